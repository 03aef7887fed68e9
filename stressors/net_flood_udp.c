/*
 * net.flood-udp: a network aggressor. 1400-byte UDP datagrams to its own
 * peer, paced to intensity % of a rate cap (2 Gbit/s by default), bounded in
 * rate and time. Reports the packets and bytes per second it sent.
 */
#include "config.h"
#include "stressors/net.h"

#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric fu_metrics[] = {
    {.name = "packets_per_s",
     .unit = "packets/s",
     .better = ISB_HIGHER,
     .help = "datagrams sent per second (the pressure achieved)"},
    {.name = "bytes_per_s", .unit = "B/s", .better = ISB_HIGHER, .help = "bytes sent per second"},
    {.name = "send_errors",
     .unit = "errors",
     .better = ISB_LOWER,
     .help = "sends refused (full buffers: the path is saturated)"},
    {0},
};

static const struct isb_option fu_options[] = {
    {.name = "max_mbit",
     .def = 2000,
     .min = 1,
     .max = 100000,
     .help = "rate cap at 100 % intensity, Mbit/s"},
    {.name = "size", .def = 1400, .min = 16, .max = 65000, .help = "datagram bytes"},
    {0},
};

static int fu_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	cleanup_close int fd = isb_net_connect(a, SOCK_DGRAM, "net.flood-udp", err);
	if (fd < 0)
		return fd;
	double rate = a->opt[0] * 1e6 / 8 * a->intensity / 100.0;
	size_t size = (size_t)a->opt[1];
	static char buf[65536];
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	double sent = 0, packets = 0, errors = 0;
	while (!isb_should_stop(a, end)) {
		if (rate <= 0) {
			isb_sleep_ns(20000000);
			continue;
		}
		for (int i = 0; i < 64; i++) {
			if (send(fd, buf, size, 0) < 0) {
				errors++;
				continue;
			}
			sent += (double)size;
			packets++;
		}
		isb_net_pace(t0, sent, rate);
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	isb_report_set(r, "packets_per_s", wall > 0 ? packets / wall : 0);
	isb_report_set(r, "bytes_per_s", wall > 0 ? sent / wall : 0);
	isb_report_set(r, "send_errors", errors);
	return 0;
}

const struct isb_stressor isb_stressor_net_flood_udp = {
    .name = "net.flood-udp",
    .resource = ISB_RES_NETWORK,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "UDP datagrams to its peer, bounded in rate",
    .intensity_help = "% of the rate cap (max_mbit)",
    .metrics = fu_metrics,
    .options = fu_options,
    .peer = "net.peer",
    .run = fu_run,
};
