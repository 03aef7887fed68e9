/*
 * The measure window of a timed victim (stressors/window.c): work before warm-up ends is
 * not counted; after it every unit is timed, counted and sampled; at the end the rate and
 * the unit's latency percentiles go into the report.
 */
#ifndef ISB_WINDOW_H
#define ISB_WINDOW_H

#include "stressors/stressor.h"

/* Per-unit latency recorder shared by victims: percentiles at the end. */
struct isb_latencies {
	double *v;
	size_t n, cap;
};
int isb_lat_add(struct isb_latencies *l, double ns);
/* PREFIX_p50_ns, PREFIX_p99_ns, PREFIX_p999_ns. */
void isb_lat_report(struct isb_latencies *l, struct isb_report *r, const char *prefix);
void isb_lat_free(struct isb_latencies *l);

/*
 * The metric rows of what isb_window_end reports: lat_p50_ns (graded), lat_p99_ns (graded
 * where g99), lat_p999_ns (reported only), with each one's help text.
 */
#define ISB_LAT_METRIC(pct, is_graded, text)                                                       \
	{                                                                                          \
		.name = "lat_" #pct "_ns", .unit = "ns", .better = ISB_LOWER,                      \
		.graded = (is_graded), .help = (text)                                              \
	}
#define ISB_LAT_METRICS(h50, g99, h99, h999)                                                       \
	ISB_LAT_METRIC(p50, true, h50), ISB_LAT_METRIC(p99, g99, h99),                             \
	    ISB_LAT_METRIC(p999, false, h999)

struct isb_window {
	const struct isb_stressor_args *a;
	uint64_t start, end, interval, next, last, units;
	double per_unit; /* what one unit counts for in samples and the rate */
	struct isb_latencies lat;
};
void isb_window_begin(struct isb_window *w, const struct isb_stressor_args *a, double per_unit);
bool isb_window_running(const struct isb_window *w);
/* One unit of work timed from s to e: counted, timed and sampled once warm-up is over. */
int isb_window_unit(struct isb_window *w, struct isb_report *r, uint64_t s, uint64_t e);
/* rate_metric = units x per_unit per second, and lat_p50/p99/p999_ns; -1 if nothing counted. */
int isb_window_end(struct isb_window *w, struct isb_report *r, const char *rate_metric,
		   struct isb_err *err, const char *who);
/* The syscall victims' metrics and window end: calls_per_s, ns_per_call, latencies. */
extern const struct isb_metric isb_sys_metrics[];
int isb_sys_window_end(struct isb_window *w, struct isb_report *r, struct isb_err *err,
		       const char *who);

#endif
