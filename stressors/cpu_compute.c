/*
 * cpu.compute: the CPU victim. Repeats a fixed unit of integer and
 * floating-point work (a xorshift/multiply chain feeding a dependent FP
 * recurrence) and times every unit, so it reports both throughput and the
 * latency percentiles of one unit. The unit never changes with the host, so
 * ops/s are comparable across configurations.
 */
#include "config.h"
#include "stressors/window.h"

#include <math.h>

static uint64_t cpu_compute_unit(uint64_t iterations, double *facc)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	double f = 1.0;
	for (uint64_t i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= 0x2545F4914F6CDD1Dull;
		f = f * 0.999999 + (double)(x & 0xffff) * 1e-9;
	}
	*facc += f;
	return x;
}

static const struct isb_metric compute_metrics[] = {
    {.name = "ops_per_s",
     .unit = "units/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "units of work completed per second of the window"},
    /* Not graded by default: a unit is far shorter than a scheduler time slice, so its
     * tail measures the slice length, not the CPU share; `grade =` in a suite opts in. */
    ISB_LAT_METRICS(
	"median time of one unit", false,
	"99th percentile time of one unit (reported; a scheduler-slice tail, see docs)",
	"99.9th percentile time of one unit (reported; too few units per window to grade)"),
    {0},
};

static const struct isb_option compute_options[] = {
    {.name = "unit",
     .def = 20000,
     .min = 100,
     .max = 1e9,
     .help = "iterations in one unit of work"},
    {0},
};

static volatile uint64_t sink;

static int compute_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t iters = (uint64_t)a->opt[0];
	double facc = 0;
	struct isb_window w;
	isb_window_begin(&w, a, 1);
	while (isb_window_running(&w)) {
		uint64_t s = isb_now_ns();
		sink += cpu_compute_unit(iters, &facc);
		if (isb_window_unit(&w, r, s, isb_now_ns()) < 0) {
			isb_lat_free(&w.lat);
			return isb_errf(err, ENOMEM, "cpu.compute: latency buffer");
		}
	}
	sink += (uint64_t)facc;
	return isb_window_end(&w, r, "ops_per_s", err, "cpu.compute");
}

const struct isb_stressor isb_stressor_cpu_compute = {
    .name = "cpu.compute",
    .resource = ISB_RES_CPU,
    .roles = ISB_ROLE_VICTIM,
    .help = "fixed units of integer and floating-point work: throughput and per-unit latency",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = compute_metrics,
    .options = compute_options,
    .run = compute_run,
};
