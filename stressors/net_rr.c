/*
 * net.rr: the network latency victim. TCP request/response with the peer in
 * echo mode: a 64-byte request, the same 64 bytes back, one transaction at a
 * time, each timed. Transactions per second and latency percentiles.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric rr_metrics[] = {
    {.name = "tps",
     .unit = "transactions/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "request/response transactions per second"},
    {.name = "lat_p50_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = true,
     .help = "median round-trip time"},
    {.name = "lat_p99_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = true,
     .help = "99th percentile round-trip time"},
    {.name = "lat_p999_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "99.9th percentile round-trip time (reported)"},
    {0},
};

static const struct isb_option rr_options[] = {
    {.name = "size", .def = 64, .min = 1, .max = 65536, .help = "request and response bytes"},
    {0},
};

static int rr_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	int fd = isb_net_connect(a, SOCK_STREAM, "net.rr", err);
	if (fd < 0)
		return fd;
	size_t size = (size_t)a->opt[0];
	char buf[65536] = {'e'};
	if (isb_net_write_all(fd, buf, 1) < 0) {
		close(fd);
		return isb_errf(err, errno, "net.rr: write to peer");
	}
	struct isb_latencies lat = {0};
	uint64_t t0 = isb_now_ns(), wstart = t0 + (uint64_t)(a->warmup_s * 1e9);
	uint64_t end = wstart + (uint64_t)(a->duration_s * 1e9);
	uint64_t interval = (uint64_t)(a->sample_interval_s * 1e9), next = wstart + interval;
	uint64_t n = 0, last = t0;
	int rc = 0;
	while (!isb_should_stop(a, end)) {
		uint64_t s = isb_now_ns();
		if (isb_net_write_all(fd, buf, size) < 0 || isb_net_read_all(fd, buf, size) < 0) {
			rc = isb_errf(err, errno ? errno : EPIPE,
				      "net.rr: transaction %llu with the peer",
				      (unsigned long long)n + 1);
			break;
		}
		uint64_t e = isb_now_ns();
		last = e;
		if (s < wstart)
			continue;
		n++;
		isb_lat_add(&lat, (double)(e - s));
		if (interval && e >= next) {
			r->sample(r, e - wstart, (double)n);
			next += interval;
		}
	}
	close(fd);
	if (rc == 0 && (!n || last <= wstart))
		rc = isb_errf(err, 0, "net.rr: no transaction in the window");
	if (rc == 0) {
		isb_report_set(r, "tps", (double)n * 1e9 / (double)(last - wstart));
		isb_lat_report(&lat, r, "lat");
	}
	isb_lat_free(&lat);
	return rc;
}

const struct isb_stressor isb_stressor_net_rr = {
    .name = "net.rr",
    .resource = ISB_RES_NETWORK,
    .roles = ISB_ROLE_VICTIM,
    .help = "TCP request/response with its peer: transactions/s and round-trip latency",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = rr_metrics,
    .options = rr_options,
    .peer = "net.peer",
    .run = rr_run,
};
