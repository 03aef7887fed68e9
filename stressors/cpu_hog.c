/*
 * cpu.hog: the CPU aggressor. N threads, each busy for intensity % of every
 * period and asleep for the rest. It reports the CPU time it really got, so
 * a report can tell a throttled aggressor from a well-isolated victim.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static const struct isb_metric hog_metrics[] = {
    {.name = "cpus_used",
     .unit = "CPUs",
     .better = ISB_HIGHER,
     .help = "CPU seconds consumed per second of wall time (the pressure achieved)"},
    {.name = "duty_achieved",
     .unit = "fraction",
     .better = ISB_HIGHER,
     .help = "cpus_used divided by what threads x intensity asked for"},
    {.name = "threads", .unit = "threads", .better = ISB_HIGHER, .help = "threads run"},
    {0},
};

static const struct isb_option hog_options[] = {
    {.name = "threads",
     .def = 0,
     .min = 0,
     .max = 4096,
     .help = "busy threads; 0 = one per PU the tenant may use"},
    {.name = "period_ms", .def = 10, .min = 1, .max = 1000, .help = "duty-cycle period"},
    {0},
};

struct hog_thread {
	const struct isb_stressor_args *a;
	uint64_t end_ns, period_ns, busy_ns;
	double cpu_s;
	pthread_t tid;
};

static volatile uint64_t hog_sink;

static void *hog_thread_main(void *p)
{
	struct hog_thread *t = p;
	uint64_t x = (uint64_t)(uintptr_t)t | 1;
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	while (!isb_should_stop(t->a, t->end_ns)) {
		uint64_t start = isb_now_ns();
		uint64_t busy_until = start + t->busy_ns;
		do {
			for (int i = 0; i < 4096; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
			}
		} while (isb_now_ns() < busy_until);
		isb_duty_rest(start, t->busy_ns, t->period_ns);
	}
	hog_sink += x;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	t->cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	return NULL;
}

static int hog_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	unsigned n = (unsigned)a->opt[0];
	if (n == 0)
		n = a->ncpus ? a->ncpus : 1;
	uint64_t period = (uint64_t)(a->opt[1] * 1e6);
	double duty = a->intensity / 100.0;
	if (duty <= 0) {
		/* Intensity 0 is a legitimate setting: an idle aggressor. */
		uint64_t t0 = isb_now_ns(),
			 end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
		while (!isb_should_stop(a, end))
			isb_sleep_ns(20000000); /* 50 wake-ups/s: no load of its own */
		isb_report_set(r, "cpus_used", 0);
		isb_report_set(r, "duty_achieved", 1);
		isb_report_set(r, "threads", 0);
		return 0;
	}
	cleanup_free struct hog_thread *t = calloc(n, sizeof(*t));
	if (!t)
		return isb_errf(err, ENOMEM, "cpu.hog: %u threads", n);
	uint64_t t0 = isb_now_ns();
	uint64_t end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	unsigned started = 0;
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		t[i] = (struct hog_thread){.a = a,
					   .end_ns = end,
					   .period_ns = period,
					   .busy_ns = (uint64_t)(duty * (double)period)};
		int e = pthread_create(&t[i].tid, NULL, hog_thread_main, &t[i]);
		if (e) {
			rc = isb_errf(err, e, "cpu.hog: pthread_create %u of %u", i + 1, n);
			*(volatile int *)a->stop = 1;
			break;
		}
		started++;
	}
	double cpu = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i].tid, NULL);
		cpu += t[i].cpu_s;
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	if (rc < 0)
		return rc;
	double used = wall > 0 ? cpu / wall : 0;
	isb_report_set(r, "cpus_used", used);
	isb_report_set(r, "duty_achieved", used / ((double)n * duty));
	isb_report_set(r, "threads", n);
	return 0;
}

const struct isb_stressor isb_stressor_cpu_hog = {
    .name = "cpu.hog",
    .resource = ISB_RES_CPU,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "busy threads with a duty cycle",
    .intensity_help = "duty cycle: % of each period every thread spins",
    .metrics = hog_metrics,
    .options = hog_options,
    .run = hog_run,
};
