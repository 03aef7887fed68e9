/*
 * The stressor table built from stressors.def, and the option handling the
 * core does for every stressor so that no stressor parses its own options.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct isb_stressor *const table[] = {
#define ISB_STRESSOR(sym) &sym,
#include "stressors/stressors.def"
#undef ISB_STRESSOR
};

const struct isb_stressor *const *isb_stressors(size_t *n)
{
	*n = ISB_ARRAY_SIZE(table);
	return table;
}

const struct isb_stressor *isb_stressor_find(const char *name)
{
	for (size_t i = 0; i < ISB_ARRAY_SIZE(table); i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

const struct isb_metric *isb_stressor_metric(const struct isb_stressor *s, const char *name)
{
	for (const struct isb_metric *m = s->metrics; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

void isb_report_set(struct isb_report *r, const char *name, double value)
{
	for (size_t i = 0; i < r->nmetrics; i++) {
		if (strcmp(r->metrics[i].name, name) == 0) {
			r->metrics[i].value = value;
			return;
		}
	}
	if (r->nmetrics >= ISB_MAX_METRICS)
		return;
	snprintf(r->metrics[r->nmetrics].name, sizeof(r->metrics[0].name), "%s", name);
	r->metrics[r->nmetrics].value = value;
	r->nmetrics++;
}

void isb_report_info(struct isb_report *r, const char *key, const char *value)
{
	if (r->ninfo >= ISB_ARRAY_SIZE(r->info))
		return;
	snprintf(r->info[r->ninfo].key, sizeof(r->info[0].key), "%s", key);
	snprintf(r->info[r->ninfo].value, sizeof(r->info[0].value), "%s", value);
	r->ninfo++;
}

void isb_stressor_args_init(const struct isb_stressor *s, struct isb_stressor_args *a)
{
	static volatile int never;
	memset(a, 0, sizeof(*a));
	a->role = ISB_ROLE_VICTIM;
	a->duration_s = 1;
	a->intensity = 100;
	a->sample_interval_s = 1;
	a->ncpus = 1;
	a->stop = &never;
	for (size_t i = 0; s->options && s->options[i].name && i < ISB_MAX_OPTS; i++)
		a->opt[i] = s->options[i].def;
}

int isb_stressor_set_opt(const struct isb_stressor *s, struct isb_stressor_args *a,
			 const char *name, const char *value, struct isb_err *err)
{
	for (size_t i = 0; s->options && s->options[i].name && i < ISB_MAX_OPTS; i++) {
		const struct isb_option *o = &s->options[i];
		if (strcmp(o->name, name))
			continue;
		double v;
		if (isb_parse_double(value, &v) < 0)
			return isb_errf(err, 0, "stressor %s: option %s: '%s' is not a number",
					s->name, name, value);
		if (v < o->min || v > o->max)
			return isb_errf(err, 0, "stressor %s: option %s: %s is outside [%g, %g]",
					s->name, name, value, o->min, o->max);
		a->opt[i] = v;
		return 0;
	}
	return isb_errf(err, 0, "stressor %s has no option '%s'", s->name, name);
}

double isb_opt(const struct isb_stressor *s, const struct isb_stressor_args *a, const char *name)
{
	for (size_t i = 0; s->options && s->options[i].name && i < ISB_MAX_OPTS; i++)
		if (strcmp(s->options[i].name, name) == 0)
			return a->opt[i];
	return NAN;
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
