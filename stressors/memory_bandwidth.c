/*
 * memory.bandwidth: the memory-bandwidth aggressor, STREAM triad style
 * (a[i] = b[i] + s * c[i]) on arrays far larger than any cache, one thread
 * per PU the tenant may use, each busy for intensity % of every period.
 * Reports the bandwidth it achieved (24 bytes moved per element).
 */
#include "config.h"
#include "stressors/stressor.h"

#include <pthread.h>
#include <stdlib.h>

static const struct isb_metric bw_metrics[] = {
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .help = "triad bandwidth achieved by all threads (the pressure achieved)"},
    {.name = "threads", .unit = "threads", .better = ISB_HIGHER, .help = "threads run"},
    {0},
};

static const struct isb_option bw_options[] = {
    {.name = "threads", .def = 0, .min = 0, .max = 4096, .help = "0 = one per PU"},
    {.name = "array_mb",
     .def = 64,
     .min = 1,
     .max = 65536,
     .help = "size of each of the 3 arrays per thread"},
    {.name = "period_ms", .def = 10, .min = 1, .max = 1000, .help = "duty-cycle period"},
    {0},
};

struct bw_thread {
	const struct isb_stressor_args *a;
	uint64_t end_ns, period_ns, busy_ns;
	size_t n;
	double bytes;
	pthread_t tid;
	int err;
};

static void *bw_main(void *p)
{
	struct bw_thread *t = p;
	cleanup_free double *a = malloc(t->n * sizeof(double));
	cleanup_free double *b = malloc(t->n * sizeof(double));
	cleanup_free double *c = malloc(t->n * sizeof(double));
	if (!a || !b || !c) {
		t->err = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		a[i] = 0;
		b[i] = 1;
		c[i] = 2;
	}
	size_t pos = 0, step = 1 << 16;
	while (!isb_should_stop(t->a, t->end_ns)) {
		uint64_t start = isb_now_ns(), busy_until = start + t->busy_ns;
		do {
			size_t lim = pos + step < t->n ? pos + step : t->n;
			for (size_t i = pos; i < lim; i++)
				a[i] = b[i] + 3.0 * c[i];
			t->bytes += 24.0 * (double)(lim - pos);
			pos = lim == t->n ? 0 : lim;
		} while (isb_now_ns() < busy_until);
		isb_duty_rest(start, t->busy_ns, t->period_ns);
	}
	return NULL;
}

static int bw_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	unsigned n = (unsigned)a->opt[0];
	if (!n)
		n = a->ncpus ? a->ncpus : 1;
	cleanup_free struct bw_thread *t = calloc(n, sizeof(*t));
	if (!t)
		return isb_errf(err, ENOMEM, "memory.bandwidth");
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	uint64_t period = (uint64_t)(a->opt[2] * 1e6);
	unsigned started = 0;
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		t[i] =
		    (struct bw_thread){.a = a,
				       .end_ns = end,
				       .period_ns = period,
				       .busy_ns = (uint64_t)(a->intensity / 100.0 * (double)period),
				       .n = (size_t)(a->opt[1] * 1048576.0 / sizeof(double))};
		int e = pthread_create(&t[i].tid, NULL, bw_main, &t[i]);
		if (e) {
			rc = isb_errf(err, e, "memory.bandwidth: thread %u", i + 1);
			*a->stop = 1;
			break;
		}
		started++;
	}
	double bytes = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i].tid, NULL);
		bytes += t[i].bytes;
		if (t[i].err && !rc)
			rc =
			    isb_errf(err, t[i].err, "memory.bandwidth: arrays of thread %u", i + 1);
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	if (rc < 0)
		return rc;
	isb_report_set(r, "bytes_per_s", wall > 0 ? bytes / wall : 0);
	isb_report_set(r, "threads", n);
	return 0;
}

const struct isb_stressor isb_stressor_memory_bandwidth = {
    .name = "memory.bandwidth",
    .resource = ISB_RES_MEMORY,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "STREAM-triad threads saturating memory bandwidth",
    .intensity_help = "duty cycle: % of each period every thread streams",
    .metrics = bw_metrics,
    .options = bw_options,
    .run = bw_run,
};
