/*
 * The stressor table built from stressors.def, and the option handling the
 * core does for every stressor so that no stressor parses its own options.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <math.h>
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
