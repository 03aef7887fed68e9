/*
 * The null stressor: does nothing for its window. As an aggressor it gives
 * A/A runs (contended must equal baseline); as a victim it tests the harness.
 */
#include "config.h"
#include "stressors/stressor.h"

static const struct isb_metric null_metrics[] = {
    {.name = "idle_s",
     .unit = "s",
     .better = ISB_HIGHER,
     .graded = false,
     .help = "seconds it idled"},
    {0},
};

static int null_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t t0 = isb_now_ns();
	uint64_t end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	while (!isb_should_stop(a, end))
		isb_sleep_ns(20000000); /* 50 wake-ups/s: no load of its own */
	isb_report_set(r, "idle_s", (double)(isb_now_ns() - t0) / 1e9);
	return 0;
}

const struct isb_stressor isb_stressor_null = {
    .name = "null",
    .resource = ISB_RES_NONE,
    .roles = ISB_ROLE_VICTIM | ISB_ROLE_AGGRESSOR,
    .help = "does nothing (A/A runs, harness tests)",
    .intensity_help = "ignored",
    .metrics = null_metrics,
    .run = null_run,
};
