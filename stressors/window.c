/*
 * The measure window every timed victim shares: work before warm-up ends is
 * not counted; after it, every unit of work is timed, counted and sampled;
 * at the end the rate over the window and the unit's latency percentiles go
 * into the report. A victim supplies only its unit of work.
 */
#include "config.h"
#include "stressors/window.h"

#include <stdlib.h>
#include <string.h>

void isb_window_begin(struct isb_window *w, const struct isb_stressor_args *a, double per_unit)
{
	memset(w, 0, sizeof(*w));
	w->a = a;
	w->per_unit = per_unit;
	w->start = isb_now_ns() + (uint64_t)(a->warmup_s * 1e9);
	w->end = w->start + (uint64_t)(a->duration_s * 1e9);
	w->interval = (uint64_t)(a->sample_interval_s * 1e9);
	w->next = w->start + w->interval;
	w->last = w->start;
}

bool isb_window_running(const struct isb_window *w)
{
	return !isb_should_stop(w->a, w->end);
}

int isb_window_unit(struct isb_window *w, struct isb_report *r, uint64_t s, uint64_t e)
{
	if (s < w->start)
		return 0; /* warm-up */
	w->last = e;
	w->units++;
	if (isb_lat_add(&w->lat, (double)(e - s)) < 0)
		return -ENOMEM;
	if (w->interval && e >= w->next) {
		r->sample(r, e - w->start, (double)w->units * w->per_unit);
		w->next += w->interval;
	}
	return 0;
}

int isb_window_end(struct isb_window *w, struct isb_report *r, const char *rate_metric,
		   struct isb_err *err, const char *who)
{
	int rc = 0;
	if (!w->units || w->last <= w->start)
		rc = isb_errf(err, 0, "%s: no unit of work completed in the window", who);
	else {
		isb_report_set(r, rate_metric,
			       (double)w->units * w->per_unit * 1e9 / (double)(w->last - w->start));
		isb_lat_report(&w->lat, r, "lat");
	}
	isb_lat_free(&w->lat);
	return rc;
}

int isb_lat_add(struct isb_latencies *l, double ns)
{
	if (l->n == l->cap) {
		/* Bounded: 64 Mi samples (512 MiB) is far beyond any sane window. */
		if (l->cap >= (64u << 20))
			return -ENOMEM;
		size_t cap = l->cap ? l->cap * 2 : 4096;
		double *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
	return 0;
}

void isb_lat_report(struct isb_latencies *l, struct isb_report *r, const char *prefix)
{
	char name[48];
	static const struct {
		const char *suffix;
		double p;
	} pct[] = {{"p50_ns", 0.50}, {"p99_ns", 0.99}, {"p999_ns", 0.999}};
	if (!l->n)
		return;
	isb_sort_doubles(l->v, l->n);
	for (size_t i = 0; i < ISB_ARRAY_SIZE(pct); i++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, pct[i].suffix);
		isb_report_set(r, name, isb_percentile_sorted(l->v, l->n, pct[i].p));
	}
}

void isb_lat_free(struct isb_latencies *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
