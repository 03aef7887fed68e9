/*
 * Suite files: the keys of [global], [config NAME] and [scenario NAME] and their values'
 * parsers, each value checked against its range or its list before anything runs.
 */
#include "config.h"
#include "harness/suite_keys.h"
#include "analysis/taxonomy.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int suite_perr(struct parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return isb_errf(p->err, 0, "%s:%d: %s", p->path, p->line, msg);
}

static int parse_num(struct parser *p, const char *key, const char *v, double lo, double hi,
		     bool lo_open, double *out)
{
	double d;
	if (isb_parse_double(v, &d) < 0 || d > hi || d < lo || (lo_open && d == lo))
		return PERR(p, "%s: '%s' is not a number in %s%g, %g]", key, v, lo_open ? "(" : "[",
			    lo, hi);
	*out = d;
	return 0;
}

static int parse_uint(struct parser *p, const char *key, const char *v, uint64_t lo, uint64_t hi,
		      uint64_t *out)
{
	uint64_t u = 0;
	if (isb_parse_u64(v, &u) < 0 || u < lo || u > hi)
		return PERR(p, "%s: '%s' is not an integer in [%llu, %llu]", key, v,
			    (unsigned long long)lo, (unsigned long long)hi);
	*out = u;
	return 0;
}

bool suite_placement_known(const char *v)
{
	for (size_t i = 0; isb_placement_names[i]; i++)
		if (strcmp(isb_placement_names[i], v) == 0)
			return true;
	return false;
}

/* "a, b,c" into items; returns count or negative on a bad item. */
int suite_split_list(char *v, char items[][16], size_t max, const char **bad)
{
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(v, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = isb_trim(tok);
		if (!*tok)
			continue;
		if (n >= max || strlen(tok) >= 16) {
			*bad = tok;
			return -1;
		}
		snprintf(items[n++], 16, "%s", tok);
	}
	return (int)n;
}

/* memory_budget = SIZE | none: the node's RAM around both tenants (at least 64M: the agents
 * and a working set must fit). */
static int parse_budget(struct parser *p, const char *v, uint64_t *out)
{
	uint64_t u = 0;
	if (!strcmp(v, "none") || !strcmp(v, "0"))
		return *out = 0, 0;
	if (isb_parse_size(v, &u) < 0 || u < (64ull << 20))
		return PERR(p,
			    "memory_budget: '%s' is not a size like 1G or 512M (at least 64M), "
			    "or none",
			    v);
	*out = u;
	return 0;
}

uint64_t isb_suite_budget(const struct isb_suite *s, const struct isb_suite_scenario *sc)
{
	return sc && sc->budget_set ? sc->memory_budget : s->memory_budget;
}

/* The grade bands' 4 increasing bounds in (0, 1]. */
static int parse_thresholds(struct parser *p, const char *v, double out[4])
{
	double t[4];
	char buf[256], *save = NULL;
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n >= 4 || isb_parse_double(isb_trim(tok), &t[n]) < 0 || t[n] <= 0 || t[n] > 1 ||
		    (n && t[n] <= t[n - 1]))
			return PERR(p, "thresholds: '%s' must be 4 increasing numbers in (0, 1]",
				    v);
		n++;
	}
	if (n != 4)
		return PERR(p, "thresholds: '%s' must be 4 increasing numbers in (0, 1]", v);
	memcpy(out, t, sizeof(t));
	return 0;
}

int suite_global_key(struct parser *p, struct isb_suite *s, const char *k, const char *v)
{
	uint64_t u = 0;
	if (!strcmp(k, "reps")) {
		if (parse_uint(p, k, v, 1, 1000, &u) < 0)
			return -EINVAL;
		s->reps = (unsigned)u;
	} else if (!strcmp(k, "max_reps")) {
		/* adaptive repetitions: a cell whose interval is still wide gets more pairs */
		if (parse_uint(p, k, v, 1, 1000, &u) < 0)
			return -EINVAL;
		s->max_reps = (unsigned)u;
	} else if (!strcmp(k, "target_halfwidth")) {
		return parse_num(p, k, v, 0, 1, true, &s->target_halfwidth);
	} else if (!strcmp(k, "grade_by")) {
		if (strcmp(v, "point") && strcmp(v, "upper"))
			return PERR(p, "grade_by: '%s' is not point or upper", v);
		s->grade_by_upper = !strcmp(v, "upper");
	} else if (!strcmp(k, "duration")) {
		return parse_num(p, k, v, 0, 3600, true, &s->duration);
	} else if (!strcmp(k, "warmup")) {
		return parse_num(p, k, v, 0, 600, false, &s->warmup);
	} else if (!strcmp(k, "aggressor_warmup")) {
		return parse_num(p, k, v, 0, 600, false, &s->aggressor_warmup);
	} else if (!strcmp(k, "sample_interval")) {
		return parse_num(p, k, v, 0, 3600, true, &s->sample_interval);
	} else if (!strcmp(k, "grace")) {
		return parse_num(p, k, v, 0, 600, true, &s->grace);
	} else if (!strcmp(k, "seed")) {
		return parse_uint(p, k, v, 0, UINT64_MAX, &s->seed);
	} else if (!strcmp(k, "bootstrap")) {
		if (parse_uint(p, k, v, 100, 1000000, &u) < 0)
			return -EINVAL;
		s->bootstrap = (unsigned)u;
	} else if (!strcmp(k, "memory_ceiling")) {
		return parse_num(p, k, v, 0, 0.9, true, &s->memory_ceiling);
	} else if (!strcmp(k, "memory_budget")) {
		return parse_budget(p, v, &s->memory_budget);
	} else if (!strcmp(k, "pids_ceiling")) {
		return parse_uint(p, k, v, 16, 1000000, &s->pids_ceiling);
	} else if (!strcmp(k, "test_network")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return PERR(p, "test_network: '%s' is not yes or no", v);
		s->test_network = !strcmp(v, "yes");
	} else if (!strcmp(k, "link_rate")) {
		/* the bottleneck every network tenant's traffic to its peer crosses */
		if (isb_parse_rate(v, &s->link_rate) < 0 || s->link_rate < 100000)
			return PERR(p,
				    "link_rate: '%s' is not a rate in bits/s like 200M or 1G "
				    "(k, M, G: powers of 1000; at least 100k)",
				    v);
	} else if (!strcmp(k, "contended")) {
		/* no: only baseline trials, for a smoke run that asks whether each victim runs */
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return PERR(p, "contended: '%s' is not yes or no", v);
		s->baseline_only = !strcmp(v, "no");
	} else if (!strcmp(k, "disk_device")) {
		if (strcmp(v, "host") && strcmp(v, "loop"))
			return PERR(p, "disk_device: '%s' is not host or loop", v);
		s->disk_device = !strcmp(v, "loop") ? ISB_DISK_LOOP : ISB_DISK_HOST;
	} else if (!strcmp(k, "disk_size")) {
		/* room for both tenants' files (and a VM's image) on a file system of its own */
		if (isb_parse_size(v, &u) < 0 || u < (256ull << 20) || u > (1ull << 40))
			return PERR(p, "disk_size: '%s' is not a size in [256M, 1T] like 2G", v);
		s->disk_size = u;
	} else if (!strcmp(k, "disk_scheduler")) {
		if (strcmp(v, "keep") && strcmp(v, "bfq") && strcmp(v, "mq-deadline") &&
		    strcmp(v, "none"))
			return PERR(p, "disk_scheduler: '%s' is not keep, bfq, mq-deadline or none",
				    v);
		snprintf(s->disk_scheduler, sizeof(s->disk_scheduler), "%s", v);
		p->disk_scheduler_line = p->line;
	} else if (!strcmp(k, "thresholds")) {
		return parse_thresholds(p, v, s->thresholds);
	} else {
		return PERR(p, "unknown key '%s' in [global]", k);
	}
	return 0;
}

int suite_config_key(struct parser *p, struct isb_suite_config *c, const char *k, const char *v)
{
	if (!strcmp(k, "backend")) {
		if (!isb_backend_find(v)) {
			char known[256] = "";
			size_t n, o = 0;
			const struct isb_backend *const *t = isb_backends(&n);
			for (size_t i = 0; i < n; i++)
				o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
						      i ? ", " : "", t[i]->name);
			return PERR(p, "backend: unknown backend '%s' (known: %s)", v, known);
		}
		snprintf(c->backend, sizeof(c->backend), "%s", v);
		return 0;
	}
	if (!strcmp(k, "description"))
		return 0;
	if (!strcmp(k, "technology")) {
		/* which row of the report's technologies table it measures: stored with the
		 * options, not passed to the backend */
		char ids[1024];
		isb_technology_ids(ids, sizeof(ids));
		if (!isb_technology_known(v))
			return PERR(p, "technology: unknown technology '%s' (known: %s)", v, ids);
		snprintf(c->technology, sizeof(c->technology), "%s", v);
		return 0;
	}
	if (!strcmp(k, "time_scale")) {
		/* every window of this configuration's trials times this: TCG runs code
		 * many times slower than the host */
		double d;
		if (isb_parse_double(v, &d) < 0 || d < 1 || d > 100)
			return PERR(p, "time_scale: '%s' is not a number in [1, 100]", v);
	}
	/* Backend options: checked against the backend once it is known (end of section). */
	if (c->nopts >= ISB_MAX_CONFIG_OPTS)
		return PERR(p, "too many keys in [config %s]", c->name);
	if (strlen(k) >= sizeof(c->opts[0].key) || strlen(v) >= sizeof(c->opts[0].value))
		return PERR(p, "%s: value too long", k);
	snprintf(c->opts[c->nopts].key, sizeof(c->opts[0].key), "%s", k);
	snprintf(c->opts[c->nopts].value, sizeof(c->opts[0].value), "%s", v);
	c->opt_line[c->nopts] = p->line;
	c->nopts++;
	return 0;
}

static int stressor_key(struct parser *p, struct isb_suite_scenario *sc, const char *k,
			const char *v, unsigned role, char *dst)
{
	const struct isb_stressor *st = isb_stressor_find(v);
	if (!st)
		return PERR(p, "%s: unknown stressor '%s' (see 'isobench list stressors')", k, v);
	if (!(st->roles & role))
		return PERR(p, "%s: stressor '%s' cannot be a%s %s", k, v,
			    role == ISB_ROLE_AGGRESSOR ? "n" : "", isb_role_name(role));
	snprintf(dst, 48, "%s", v);
	return 0;
}

int suite_scenario_key(struct parser *p, struct isb_suite_scenario *sc, const char *k,
		       const char *v)
{
	if (!strcmp(k, "resource")) {
		if (isb_resource_parse(v, &sc->resource) < 0 || sc->resource == ISB_RES_NONE)
			return PERR(
			    p,
			    "resource: unknown resource '%s' (known: cpu, memory, disk, network, pids, cache)",
			    v);
		return 0;
	}
	if (!strcmp(k, "victim"))
		return stressor_key(p, sc, k, v, ISB_ROLE_VICTIM, sc->victim);
	if (!strcmp(k, "aggressor"))
		return stressor_key(p, sc, k, v, ISB_ROLE_AGGRESSOR, sc->aggressor);
	if (!strcmp(k, "intensity"))
		return parse_num(p, k, v, 0, 100, false, &sc->intensity);
	if (!strcmp(k, "aggressor_warmup"))
		return parse_num(p, k, v, 0, 600, false, &sc->aggressor_warmup);
	if (!strcmp(k, "memory_budget")) {
		sc->budget_set = true;
		return parse_budget(p, v, &sc->memory_budget);
	}
	if (!strcmp(k, "placements") || !strcmp(k, "placement")) {
		char buf[256];
		const char *bad = NULL;
		snprintf(buf, sizeof(buf), "%s", v);
		int n = suite_split_list(buf, sc->placements, ISB_MAX_PLACEMENTS, &bad);
		if (n < 0)
			return PERR(p, "%s: bad list '%s'", k, v);
		if (n == 0)
			return PERR(p, "%s: empty list", k);
		for (int i = 0; i < n; i++)
			if (!suite_placement_known(sc->placements[i]))
				return PERR(
				    p,
				    "%s: unknown placement '%s' (known: shared, split, smt, core, llc, numa, package)",
				    k, sc->placements[i]);
		sc->nplacements = (size_t)n;
		return 0;
	}
	if (!strcmp(k, "grade")) {
		const struct isb_stressor *st = isb_stressor_find(sc->victim);
		char buf[256];
		if (!st)
			return PERR(p, "grade: set 'victim' before the metrics that grade it");
		snprintf(buf, sizeof(buf), "%s", v);
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			if (!isb_stressor_metric(st, isb_trim(t)))
				return PERR(
				    p,
				    "grade: %s has no metric '%s' (see 'isobench list stressors')",
				    st->name, isb_trim(t));
		snprintf(sc->grade, sizeof(sc->grade), "%s", v);
		return 0;
	}
	bool vict = !strncmp(k, "victim.", 7), aggr = !strncmp(k, "aggressor.", 10);
	if (vict || aggr) {
		const char *name = strchr(k, '.') + 1;
		const char *stname = vict ? sc->victim : sc->aggressor;
		const struct isb_stressor *st = isb_stressor_find(stname);
		if (!st)
			return PERR(p, "%s: set '%s' before its options", k,
				    vict ? "victim" : "aggressor");
		struct isb_stressor_args a;
		struct isb_err e = {0};
		isb_stressor_args_init(st, &a);
		if (isb_stressor_set_opt(st, &a, name, v, &e) < 0)
			return PERR(p, "%s: %s", k, e.msg);
		size_t *n = vict ? &sc->nvopts : &sc->naopts;
		char(*dst)[128] = vict ? sc->vopts : sc->aopts;
		if (*n >= ISB_MAX_SOPTS)
			return PERR(p, "%s: too many options", k);
		snprintf(dst[(*n)++], 128, "%s=%s", name, v);
		return 0;
	}
	return PERR(p, "unknown key '%s' in [scenario %s]", k, sc->name);
}
