/*
 * net.flood-tcp: a network aggressor. Several TCP streams to its own peer in
 * sink mode, each paced to intensity % of a rate cap (10 Gbit/s by default
 * for all streams together), so the flood is bounded in rate as well as in
 * time. Reports the bandwidth it achieved.
 */
#include "config.h"
#include "stressors/net.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric ft_metrics[] = {
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .help = "bandwidth achieved by all streams (the pressure achieved)"},
    {.name = "streams", .unit = "streams", .better = ISB_HIGHER, .help = "TCP connections"},
    {0},
};

static const struct isb_option ft_options[] = {
    {.name = "streams", .def = 4, .min = 1, .max = 256, .help = "parallel TCP connections"},
    {.name = "max_mbit",
     .def = 10000,
     .min = 1,
     .max = 400000,
     .help = "rate cap of all streams at 100 % intensity, Mbit/s"},
    {0},
};

struct ft_stream {
	const struct isb_stressor_args *a;
	int fd;
	uint64_t end;
	double rate, bytes;
	pthread_t tid;
};

static void *ft_main(void *p)
{
	struct ft_stream *s = p;
	static char buf[65536];
	uint64_t t0 = isb_now_ns();
	while (!isb_should_stop(s->a, s->end)) {
		if (isb_net_write_all(s->fd, buf, sizeof(buf)) < 0)
			break;
		s->bytes += sizeof(buf);
		isb_net_pace(t0, s->bytes, s->rate);
	}
	return NULL;
}

static int ft_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	unsigned n = (unsigned)a->opt[0];
	double rate = a->opt[1] * 1e6 / 8 * a->intensity / 100.0 / n;
	cleanup_free struct ft_stream *s = calloc(n, sizeof(*s));
	if (!s)
		return isb_errf(err, ENOMEM, "net.flood-tcp");
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	unsigned started = 0;
	int rc = 0;
	for (unsigned i = 0; i < n && rate > 0; i++) {
		s[i] = (struct ft_stream){.a = a, .end = end, .rate = rate};
		s[i].fd = isb_net_connect(a, SOCK_STREAM, "net.flood-tcp", err);
		if (s[i].fd < 0) {
			rc = s[i].fd;
			break;
		}
		char mode = 's';
		if (isb_net_write_all(s[i].fd, &mode, 1) < 0 ||
		    pthread_create(&s[i].tid, NULL, ft_main, &s[i])) {
			close(s[i].fd);
			rc = isb_errf(err, errno, "net.flood-tcp: stream %u", i + 1);
			break;
		}
		started++;
	}
	if (rc < 0)
		*a->stop = 1;
	while (rate <= 0 && !isb_should_stop(a, end))
		isb_sleep_ns(20000000); /* intensity 0: an idle aggressor */
	double bytes = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(s[i].tid, NULL);
		close(s[i].fd);
		bytes += s[i].bytes;
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	if (rc < 0)
		return rc;
	isb_report_set(r, "bytes_per_s", wall > 0 ? bytes / wall : 0);
	isb_report_set(r, "streams", started);
	return 0;
}

const struct isb_stressor isb_stressor_net_flood_tcp = {
    .name = "net.flood-tcp",
    .resource = ISB_RES_NETWORK,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "parallel TCP streams to its peer, bounded in rate",
    .intensity_help = "% of the rate cap (max_mbit)",
    .metrics = ft_metrics,
    .options = ft_options,
    .peer = "net.peer",
    .run = ft_run,
};
