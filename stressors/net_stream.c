/*
 * net.stream: the network throughput victim. One TCP stream to the peer in
 * sink mode, written as fast as the path allows; bytes per second over the
 * window, measured at the sender.
 */
#include "config.h"
#include "stressors/net.h"

#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric st_metrics[] = {
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "TCP throughput to the peer"},
    {0},
};

static int st_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	cleanup_close int fd = isb_net_connect(a, SOCK_STREAM, "net.stream", err);
	if (fd < 0)
		return fd;
	static char buf[65536] = {'s'};
	if (isb_net_write_all(fd, buf, 1) < 0)
		return isb_errf(err, errno, "net.stream: write to peer");
	uint64_t t0 = isb_now_ns(), wstart = t0 + (uint64_t)(a->warmup_s * 1e9);
	uint64_t end = wstart + (uint64_t)(a->duration_s * 1e9);
	uint64_t interval = (uint64_t)(a->sample_interval_s * 1e9), next = wstart + interval;
	double bytes = 0;
	uint64_t last = t0;
	int rc = 0;
	while (!isb_should_stop(a, end)) {
		if (isb_net_write_all(fd, buf, sizeof(buf)) < 0) {
			rc = isb_errf(err, errno ? errno : EPIPE, "net.stream: write to peer");
			break;
		}
		uint64_t e = isb_now_ns();
		last = e;
		if (e < wstart)
			continue;
		bytes += sizeof(buf);
		if (interval && e >= next) {
			r->sample(r, e - wstart, bytes);
			next += interval;
		}
	}
	if (rc == 0 && last <= wstart)
		rc = isb_errf(err, 0, "net.stream: stopped before the window began");
	if (rc == 0)
		isb_report_set(r, "bytes_per_s", bytes * 1e9 / (double)(last - wstart));
	return rc;
}

const struct isb_stressor isb_stressor_net_stream = {
    .name = "net.stream",
    .resource = ISB_RES_NETWORK,
    .roles = ISB_ROLE_VICTIM,
    .help = "one TCP stream to its peer: throughput",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = st_metrics,
    .peer = "net.peer",
    .run = st_run,
};
