/*
 * net.rr: the network latency victim. TCP request/response with the peer in
 * echo mode: a 64-byte request, the same 64 bytes back, one transaction at a
 * time, each timed. Transactions per second and latency percentiles.
 */
#include "config.h"
#include "stressors/net.h"
#include "stressors/window.h"

#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric rr_metrics[] = {
    {.name = "tps",
     .unit = "transactions/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "request/response transactions per second"},
    ISB_LAT_METRICS("median round-trip time", true, "99th percentile round-trip time",
		    "99.9th percentile round-trip time (reported)"),
    {0},
};

static const struct isb_option rr_options[] = {
    {.name = "size", .def = 64, .min = 1, .max = 65536, .help = "request and response bytes"},
    {0},
};

static int rr_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	cleanup_close int fd = isb_net_connect(a, SOCK_STREAM, "net.rr", err);
	if (fd < 0)
		return fd;
	size_t size = (size_t)a->opt[0];
	char buf[65536] = {'e'};
	if (isb_net_write_all(fd, buf, 1) < 0)
		return isb_errf(err, errno, "net.rr: write to peer");
	struct isb_window w;
	int rc = 0;
	isb_window_begin(&w, a, 1);
	while (isb_window_running(&w) && rc == 0) {
		uint64_t s = isb_now_ns();
		if (isb_net_write_all(fd, buf, size) < 0 || isb_net_read_all(fd, buf, size) < 0)
			rc = isb_errf(err, errno ? errno : EPIPE,
				      "net.rr: transaction %llu with the peer",
				      (unsigned long long)w.units + 1);
		else if (isb_window_unit(&w, r, s, isb_now_ns()) < 0)
			rc = isb_errf(err, ENOMEM, "net.rr: latency buffer");
	}
	if (rc < 0) {
		isb_lat_free(&w.lat);
		return rc;
	}
	return isb_window_end(&w, r, "tps", err, "net.rr");
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
