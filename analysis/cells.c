/*
 * The analysis of a campaign's cells: from the stored trials, each victim
 * metric's degradation, its confidence interval and grade, the cell's grade
 * and verdict, the aggressor's parity with native's, and the ranks of the
 * configurations. Reads the store through results/read.h only.
 */
#include "config.h"
#include "analysis/cells.h"

#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void isb_vpush(struct isb_vec *x, double d)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		double *nv = realloc(x->v, cap * sizeof(double));
		if (!nv)
			return;
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n++] = d;
}

static double vmedian(const struct isb_vec *x)
{
	return x->n ? isb_median(x->v, x->n) : NAN;
}

double isb_jpath(json_object *o, const char *path)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *k = strtok_r(buf, "/", &save); k && o; k = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NAN;
	if (!o ||
	    !(json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int)))
		return NAN;
	return json_object_get_double(o);
}

void isb_fmt_num(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "n/a");
	else if (fabs(v) >= 1e6 || (fabs(v) < 1e-2 && v != 0))
		snprintf(buf, size, "%.3e", v);
	else
		snprintf(buf, size, "%.4g", v);
}

const struct isb_config_row *isb_analysis_config(const struct isb_analysis *a, const char *name)
{
	for (size_t i = 0; i < a->configs.n; i++)
		if (!strcmp(a->configs.row[i].name, name))
			return &a->configs.row[i];
	return NULL;
}

/* Thresholds, bootstrap resamples and how to grade from the campaign's settings. */
static void load_settings(struct isb_analysis *a, const struct isb_report_opts *o)
{
	double thr[4] = {0.05, 0.15, 0.40, 0.80};
	a->resamples = 2000;
	a->seed = 1;
	a->grade_by_upper = false;
	if (a->has_campaign) {
		a->seed = (uint64_t)a->campaign.seed;
		cleanup_json json_object *j = json_tokener_parse(a->campaign.settings_json);
		json_object *x;
		if (j && json_object_object_get_ex(j, "thresholds", &x) &&
		    json_object_array_length(x) == 4)
			for (size_t i = 0; i < 4; i++)
				thr[i] = json_object_get_double(json_object_array_get_idx(x, i));
		if (j && json_object_object_get_ex(j, "bootstrap", &x))
			a->resamples = (unsigned)json_object_get_int(x);
		/* campaigns before schema 4 graded by the interval's upper bound */
		a->grade_by_upper = !j || !json_object_object_get_ex(j, "grade_by", &x) ||
				    !strcmp(json_object_get_string(x), "upper");
	}
	if (o && o->thresholds_set)
		memcpy(thr, o->thresholds, sizeof(thr));
	memcpy(a->thr, thr, sizeof(thr));
}

/* The victim's metrics, graded by the suite's list where it gives one. */
static void load_metric_defs(struct isb_results *rs, struct isb_cell *c)
{
	struct isb_metric_row defs[ISB_MAXM];
	size_t n = isb_read_metrics(rs, c->row.victim, defs, ISB_MAXM);
	for (size_t k = 0; k < n; k++) {
		struct isb_metric_verdict *m = &c->v.m[c->v.nmetrics++];
		memset(m, 0, sizeof(*m));
		m->def = defs[k];
		if (c->row.grade_metrics[0]) {
			char list[260];
			snprintf(list, sizeof(list), ",%s,", c->row.grade_metrics);
			char want[52];
			snprintf(want, sizeof(want), ",%s,", m->def.name);
			for (char *q = list; *q; q++) /* the list as written may have spaces */
				if (*q == ' ')
					memmove(q, q + 1, strlen(q)), q--;
			m->def.graded = strstr(list, want) != NULL;
		}
		m->grade = -1;
		m->d = m->lo = m->hi = m->base_med = m->cont_med = NAN;
	}
}

int isb_analysis_load(struct isb_analysis *a, struct isb_results *rs,
		      const struct isb_report_opts *o, struct isb_err *err)
{
	memset(a, 0, sizeof(*a));
	int r = isb_read_campaign(rs, &a->campaign, err);
	if (r < 0)
		return r;
	a->has_campaign = r > 0;
	load_settings(a, o);
	struct isb_cell_row *rows = NULL;
	size_t n = 0;
	if ((r = isb_read_cells(rs, &rows, &n, err)) < 0)
		return r;
	a->cells = calloc(n ? n : 1, sizeof(*a->cells));
	if (!a->cells) {
		free(rows);
		return isb_errf(err, ENOMEM, "results.db: cells");
	}
	for (size_t i = 0; i < n; i++) {
		struct isb_cell *c = &a->cells[i];
		c->row = rows[i];
		c->v.grade = -1;
		c->v.worst = -1;
		c->v.startup_ms = NAN;
		c->v.parity = NAN;
		load_metric_defs(rs, c);
	}
	a->n = n;
	free(rows);
	if ((r = isb_read_configs(rs, &a->configs, err)) < 0)
		return r;
	return isb_read_trials(rs, &a->trials, err);
}

void isb_analysis_free(struct isb_analysis *a)
{
	isb_campaign_row_free(&a->campaign);
	isb_configs_free(&a->configs);
	isb_trials_free(&a->trials);
	free(a->cells);
	memset(a, 0, sizeof(*a));
}

/* The metric values of one trial's metrics_json into v[k] (NAN where absent). */
static void trial_values(const char *json, const struct isb_cell *c, double *v)
{
	cleanup_json json_object *o = json_tokener_parse(json);
	for (size_t k = 0; k < c->v.nmetrics; k++) {
		json_object *x;
		v[k] = NAN;
		if (o && json_object_object_get_ex(o, c->v.m[k].def.name, &x) &&
		    (json_object_is_type(x, json_type_double) ||
		     json_object_is_type(x, json_type_int)))
			v[k] = json_object_get_double(x);
	}
}

/* The values of the numeric field "key" (or key.value for counters) over a list of JSON
 * docs, baseline and contended apart. */
struct jagg {
	char key[48];
	struct isb_vec base, cont;
	char unavailable[160];
};

static void jagg_add(struct jagg *a, size_t *na, size_t max, json_object *doc, bool contended)
{
	json_object_object_foreach(doc, key, val)
	{
		size_t i;
		for (i = 0; i < *na; i++)
			if (!strcmp(a[i].key, key))
				break;
		if (i == *na) {
			if (*na >= max)
				continue;
			memset(&a[i], 0, sizeof(a[i]));
			snprintf(a[i].key, sizeof(a[i].key), "%s", key);
			(*na)++;
		}
		json_object *x = val;
		if (json_object_is_type(val, json_type_object)) {
			json_object *u;
			if (json_object_object_get_ex(val, "unavailable", &u)) {
				snprintf(a[i].unavailable, sizeof(a[i].unavailable), "%s",
					 json_object_get_string(u));
				continue;
			}
			if (!json_object_object_get_ex(val, "value", &x))
				continue;
		}
		if (json_object_is_type(x, json_type_double) ||
		    json_object_is_type(x, json_type_int))
			isb_vpush(contended ? &a[i].cont : &a[i].base, json_object_get_double(x));
	}
}

/* The medians of the aggregates into out; frees their values. */
static void jagg_done(struct jagg *a, size_t n, struct isb_agg_median *out)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(out[i].key, sizeof(out[i].key), "%s", a[i].key);
		snprintf(out[i].unavailable, sizeof(out[i].unavailable), "%s", a[i].unavailable);
		out[i].nbase = a[i].base.n;
		out[i].ncont = a[i].cont.n;
		out[i].base = vmedian(&a[i].base);
		out[i].cont = vmedian(&a[i].cont);
		free(a[i].base.v);
		free(a[i].cont.v);
	}
}

/* A cell's trials gathered: each metric's values (and repetitions) on both sides. */
struct gathered {
	struct isb_vec base[ISB_MAXM], cont[ISB_MAXM], brep[ISB_MAXM], crep[ISB_MAXM];
	struct isb_vec startup;
	struct jagg press[ISB_MAX_AGG], ctr[ISB_MAX_AGG];
	size_t npress, nctr;
};

static void gathered_free(struct gathered *g)
{
	for (size_t k = 0; k < ISB_MAXM; k++) {
		free(g->base[k].v);
		free(g->cont[k].v);
		free(g->brep[k].v);
		free(g->crep[k].v);
	}
	free(g->startup.v);
}

/* One ok trial's metrics, aggressor and counters. */
static void gather_ok_trial(struct gathered *g, struct isb_cell *c, const struct isb_trial_row *t)
{
	bool contended = t->contended;
	contended ? c->v.ncont_ok++ : c->v.nbase_ok++;
	double v[ISB_MAXM];
	trial_values(t->metrics_json ? t->metrics_json : "{}", c, v);
	for (size_t k = 0; k < c->v.nmetrics; k++)
		if (isfinite(v[k])) {
			isb_vpush(contended ? &g->cont[k] : &g->base[k], v[k]);
			isb_vpush(contended ? &g->crep[k] : &g->brep[k], (double)t->rep);
		}
	if (contended) {
		cleanup_json json_object *a =
		    json_tokener_parse(t->aggressor_json ? t->aggressor_json : "{}");
		json_object *m;
		if (a && json_object_object_get_ex(a, "metrics", &m))
			jagg_add(g->press, &g->npress, ISB_MAX_AGG, m, true);
		if (a && json_object_object_get_ex(a, "died", &m)) {
			if (!c->v.agg_died++)
				snprintf(c->v.agg_died_cause, sizeof(c->v.agg_died_cause), "%s",
					 json_object_get_string(m));
		}
	}
	cleanup_json json_object *cj =
	    json_tokener_parse(t->counters_json ? t->counters_json : "{}");
	if (cj)
		jagg_add(g->ctr, &g->nctr, ISB_MAX_AGG, cj, contended);
	if (t->has_startup)
		isb_vpush(&g->startup, (double)t->victim_startup_ns / 1e6);
}

static void gather(const struct isb_analysis *a, struct isb_cell *c, struct gathered *g)
{
	struct isb_cell_verdict *v = &c->v;
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		if (t->cell_id != c->row.id)
			continue;
		bool ok = !strcmp(t->status, "ok");
		if (!ok && strcmp(t->status, "failed")) {
			/* "error": the harness or the aggressor failed, not the victim; not graded.
			 */
			v->nerror++;
			continue;
		}
		if (ok) {
			gather_ok_trial(g, c, t);
		} else if (t->contended) {
			v->ncont_fail++;
			snprintf(v->fail_cause, sizeof(v->fail_cause), "%s", t->cause);
		} else {
			v->nbase_fail++;
			if (!v->fail_cause[0])
				snprintf(v->fail_cause, sizeof(v->fail_cause), "baseline: %s",
					 t->cause);
		}
	}
}

/* Pairs the values of one metric by repetition: out arrays hold the complete pairs. */
static size_t make_pairs(const struct isb_vec *base, const struct isb_vec *brep,
			 const struct isb_vec *cont, const struct isb_vec *crep, double *pb,
			 double *pc)
{
	size_t n = 0;
	for (size_t i = 0; i < base->n; i++)
		for (size_t j = 0; j < cont->n; j++)
			if (brep->v[i] == crep->v[j]) {
				pb[n] = base->v[i];
				pc[n++] = cont->v[j];
				break;
			}
	return n;
}

/* Metric k's d and interval: paired where each repetition has both trials (the design since
 * schema 4), so a host drift between repetitions cancels; else the medians of the two sides.
 * false where neither can be formed. */
static bool metric_d(const struct isb_analysis *a, struct isb_cell *c, size_t k,
		     const struct gathered *g)
{
	struct isb_metric_verdict *m = &c->v.m[k];
	m->nb = g->base[k].n;
	m->nc = g->cont[k].n;
	if (!m->nb || !m->nc)
		return false;
	m->base_med = isb_median(g->base[k].v, m->nb);
	m->cont_med = isb_median(g->cont[k].v, m->nc);
	uint64_t s2 = a->seed * 1000003ull + (uint64_t)c->row.id * 131ull + k;
	cleanup_free double *pb = malloc(m->nb * sizeof(double));
	cleanup_free double *pc = malloc(m->nb * sizeof(double));
	size_t np =
	    pb && pc ? make_pairs(&g->base[k], &g->brep[k], &g->cont[k], &g->crep[k], pb, pc) : 0;
	int pr = np >= 2 ? isb_paired_d(pb, pc, np, m->def.higher, a->resamples, s2, &m->d, &m->lo,
					&m->hi)
			 : -EINVAL;
	if (pr >= 2)
		m->npairs = (size_t)pr;
	else if (isb_bootstrap_d(g->base[k].v, m->nb, g->cont[k].v, m->nc, m->def.higher,
				 a->resamples, s2, &m->d, &m->lo, &m->hi) < 0)
		return false;
	return true;
}

/* The cell's grade (the worst graded metric), or why it has none. */
static void grade_cell(struct isb_cell *c, int worst_grade)
{
	struct isb_cell_verdict *v = &c->v;
	if (!strcmp(c->row.status, "skipped")) {
		snprintf(v->grade_note, sizeof(v->grade_note), "skipped: %s", c->row.reason);
	} else if (v->nbase_fail) {
		/* The victim cannot run here even alone: nothing was measured, so no grade. */
		snprintf(v->verdict, sizeof(v->verdict),
			 "not measurable: the victim failed in %d of %d baseline trials: %s",
			 v->nbase_fail, v->nbase_fail + v->nbase_ok, v->fail_cause);
		snprintf(v->grade_note, sizeof(v->grade_note), "%.159s", v->verdict);
	} else if (v->ncont_fail) {
		v->grade = ISB_GRADE_NONE;
		snprintf(v->grade_note, sizeof(v->grade_note),
			 "victim failed in %d contended trial%s: %s", v->ncont_fail,
			 v->ncont_fail == 1 ? "" : "s", v->fail_cause);
	} else if (!v->nbase_ok || !v->ncont_ok) {
		snprintf(v->grade_note, sizeof(v->grade_note),
			 "ungraded: %d ok baseline and %d ok contended trials%s%s", v->nbase_ok,
			 v->ncont_ok, v->fail_cause[0] ? "; " : "", v->fail_cause);
	} else if (v->worst < 0) {
		snprintf(v->grade_note, sizeof(v->grade_note),
			 "ungraded: victim %s has no graded metric", c->row.victim);
	} else {
		v->grade = worst_grade;
		v->facilitation = v->m[v->worst].hi < 0;
	}
}

static void analyse_cell(const struct isb_analysis *a, struct isb_cell *c)
{
	struct gathered g;
	memset(&g, 0, sizeof(g));
	gather(a, c, &g);
	c->v.startup_ms = vmedian(&g.startup);
	int worst_grade = 5;
	double worst_hi = -1;
	for (size_t k = 0; k < c->v.nmetrics; k++) {
		struct isb_metric_verdict *m = &c->v.m[k];
		if (!metric_d(a, c, k, &g))
			continue;
		m->ok = true;
		m->decided = isb_grade_decided(m->lo, m->hi, a->thr);
		m->grade = isb_grade(a->grade_by_upper ? m->hi : m->d, a->thr, c->v.ncont_fail > 0);
		if (m->def.graded &&
		    (m->grade < worst_grade || (m->grade == worst_grade && m->d > worst_hi))) {
			worst_grade = m->grade;
			worst_hi = m->d;
			c->v.worst = (int)k;
		}
	}
	grade_cell(c, worst_grade);
	c->v.press1 = NAN;
	if (g.npress && g.press[0].cont.n) {
		snprintf(c->v.press1_key, sizeof(c->v.press1_key), "%s", g.press[0].key);
		c->v.press1 = isb_median(g.press[0].cont.v, g.press[0].cont.n);
	}
	jagg_done(g.press, g.npress, c->v.press);
	c->v.npress = g.npress;
	jagg_done(g.ctr, g.nctr, c->v.ctr);
	c->v.nctr = g.nctr;
	gathered_free(&g);
}

/* Rank configurations within (resource, scenario, placement, metric). */
static void rank_cells(struct isb_cell *cells, size_t n)
{
	cleanup_free double *d = malloc(n * sizeof(double));
	cleanup_free double *lo = malloc(n * sizeof(double));
	cleanup_free double *hi = malloc(n * sizeof(double));
	cleanup_free int *rk = malloc(n * sizeof(int));
	cleanup_free size_t *idx = malloc(n * sizeof(size_t));
	if (!d || !lo || !hi || !rk || !idx)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct isb_cell *c = &cells[i];
		for (size_t k = 0; k < c->v.nmetrics; k++) {
			if (!c->v.m[k].ok || c->v.m[k].rank || c->v.verdict[0])
				continue;
			size_t g = 0;
			for (size_t j = 0; j < n; j++) {
				const struct isb_cell *o = &cells[j];
				if (strcmp(o->row.resource, c->row.resource) ||
				    strcmp(o->row.scenario, c->row.scenario) ||
				    strcmp(o->row.placement, c->row.placement))
					continue;
				for (size_t l = 0; l < o->v.nmetrics && !o->v.verdict[0]; l++) {
					if (!o->v.m[l].ok ||
					    strcmp(o->v.m[l].def.name, c->v.m[k].def.name))
						continue;
					d[g] = o->v.m[l].d;
					lo[g] = o->v.m[l].lo;
					hi[g] = o->v.m[l].hi;
					idx[g++] = j * ISB_MAXM + l;
				}
			}
			isb_rank(d, lo, hi, g, rk);
			for (size_t x = 0; x < g; x++)
				cells[idx[x] / ISB_MAXM].v.m[idx[x] % ISB_MAXM].rank = rk[x];
		}
	}
}

void isb_analysis_run(struct isb_analysis *a)
{
	for (size_t i = 0; i < a->n; i++)
		analyse_cell(a, &a->cells[i]);
	isb_parity_check(a);
	rank_cells(a->cells, a->n);
}
