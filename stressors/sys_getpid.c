/*
 * sys.getpid: the price of the most trivial system call. Units of N raw
 * getpid() calls (syscall(2), so libc cannot cache it), each unit timed:
 * calls per second and ns per call. Every interception a sandbox adds
 * (a seccomp filter, a tracer's stops, a SIGSYS round trip, a user-space
 * kernel) shows here first: the sandbox class's overhead axis.
 */
#include "config.h"
#include "stressors/window.h"

#include <sys/syscall.h>
#include <unistd.h>

const struct isb_metric isb_sys_metrics[] = {
    {.name = "calls_per_s",
     .unit = "calls/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "system calls completed per second of the window"},
    {.name = "ns_per_call",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "mean time of one call (1e9 / calls_per_s): the overhead axis"},
    ISB_LAT_METRICS("median time of one unit of N calls", false,
		    "99th percentile time of one unit (reported)",
		    "99.9th percentile time of one unit (reported)"),
    {0},
};

static const struct isb_option getpid_options[] = {
    {.name = "calls", .def = 200, .min = 1, .max = 1e7, .help = "getpid calls in one unit"},
    {0},
};

/* Closes a window of units of `calls` calls each: calls_per_s, ns_per_call, latencies. */
int isb_sys_window_end(struct isb_window *w, struct isb_report *r, struct isb_err *err,
		       const char *who)
{
	if (w->units && w->last > w->start)
		isb_report_set(r, "ns_per_call",
			       (double)(w->last - w->start) / ((double)w->units * w->per_unit));
	return isb_window_end(w, r, "calls_per_s", err, who);
}

static int getpid_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t n = (uint64_t)a->opt[0];
	struct isb_window w;
	isb_window_begin(&w, a, (double)n);
	while (isb_window_running(&w)) {
		uint64_t s = isb_now_ns();
		for (uint64_t i = 0; i < n; i++)
			syscall(SYS_getpid);
		if (isb_window_unit(&w, r, s, isb_now_ns()) < 0) {
			isb_lat_free(&w.lat);
			return isb_errf(err, ENOMEM, "sys.getpid: latency buffer");
		}
	}
	return isb_sys_window_end(&w, r, err, "sys.getpid");
}

const struct isb_stressor isb_stressor_sys_getpid = {
    .name = "sys.getpid",
    .resource = ISB_RES_SYSCALL,
    .roles = ISB_ROLE_VICTIM,
    .help = "units of raw getpid() calls: calls/s and ns per call (the syscall overhead axis)",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = isb_sys_metrics,
    .options = getpid_options,
    .run = getpid_run,
};
