/*
 * The campaign's plan: its cells (configuration x scenario x placement), each runnable or
 * skipped with the reason; the pairs of trials every cell gets, in a seeded random order;
 * and the adaptive rounds that give more pairs to the cells whose interval is still wide.
 */
#include "config.h"
#include "harness/run.h"
#include "analysis/analysis.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The metrics that grade a cell: the scenario's list, or the victim stressor's defaults. */
static void cell_graded_metrics(struct rcell *c, const struct isb_suite_scenario *sc)
{
	const struct isb_stressor *st = isb_stressor_find(sc->victim);
	c->ngraded = 0;
	for (const struct isb_metric *m = st ? st->metrics : NULL; m && m->name; m++) {
		bool graded = m->graded;
		if (sc->grade[0]) {
			char list[300], want[80];
			size_t o = 0;
			for (const char *q = sc->grade; *q && o + 2 < sizeof(list); q++)
				if (*q != ' ')
					list[o++] = *q;
			list[o] = 0;
			char wrapped[304];
			snprintf(wrapped, sizeof(wrapped), ",%s,", list);
			snprintf(want, sizeof(want), ",%s,", m->name);
			graded = strstr(wrapped, want) != NULL;
		}
		if (graded && c->ngraded < ISB_MAX_GRADED)
			c->graded[c->ngraded++] = m;
	}
}

/* A finished trial's graded values (result NULL: the victim gave none) and failures. */
void cell_record(struct ctx *x, const struct rtrial *tr, json_object *result,
		 enum isb_outcome outcome)
{
	struct rcell *c = &x->cells[tr->cell];
	if (outcome == ISB_OUTCOME_FAILED)
		*(tr->contended ? &c->cont_failed : &c->base_failed) = true;
	if (!c->vals || tr->rep >= x->max_reps)
		return;
	for (size_t k = 0; k < c->ngraded; k++) {
		json_object *v;
		double val = NAN;
		if (result && json_object_object_get_ex(result, c->graded[k]->name, &v))
			val = json_object_get_double(v);
		c->vals[(tr->rep * 2 + tr->contended) * c->ngraded + k] = val;
	}
}

/* Whether a cell needs no more pairs: its victim failed (nothing more to learn), or every
 * graded metric's interval is narrow enough or inside one grade band. */
static bool cell_settled(const struct ctx *x, const struct rcell *c)
{
	if (c->base_failed || c->cont_failed || !c->vals || !c->ngraded)
		return true;
	double b[1000], v[1000];
	for (size_t k = 0; k < c->ngraded; k++) {
		size_t n = 0;
		for (unsigned r = 0; r < c->pairs && r < x->max_reps && n < 1000; r++) {
			double vb = c->vals[(r * 2) * c->ngraded + k],
			       vc = c->vals[(r * 2 + 1) * c->ngraded + k];
			if (isfinite(vb) && isfinite(vc)) {
				b[n] = vb;
				v[n++] = vc;
			}
		}
		double d, lo, hi;
		if (n < 2 || isb_paired_d(b, v, n, c->graded[k]->better == ISB_HIGHER, 500,
					  x->s->seed + (uint64_t)c->id, &d, &lo, &hi) < 2)
			return false;
		if (!isb_interval_settled(lo, hi, x->s->thresholds, x->s->target_halfwidth))
			return false;
	}
	return true;
}

/* Why a network cell of this configuration cannot run on the link, or NULL. */
static const char *link_skip(struct ctx *x, const struct rconfig *rc,
			     const struct isb_suite_scenario *sc, char *buf, size_t size)
{
	if (!x->s->link_rate || sc->resource != ISB_RES_NETWORK)
		return NULL;
	if (!x->link.up)
		return x->link_why;
	if (rc->c.net_class_rate && !x->link.htb) {
		snprintf(buf, size, "per-tenant link classes (cgroups policy) unavailable: %s",
			 x->link.no_class);
		return buf;
	}
	return NULL;
}

/* Why a cell's stressors cannot run on its configuration's backend ("" when they can). */
static void cell_unsupported(const struct isb_config *cc, const struct isb_stressor *sv,
			     const struct isb_stressor *sa, char *reason, size_t size)
{
	struct isb_tenant_spec vsp = {
	    .stressor = sv->name,
	    .resource = sv->resource,
	    .talks_to_peer = sv->peer != NULL,
	};
	struct isb_tenant_spec asp = {
	    .stressor = sa->name,
	    .resource = sa->resource,
	    .talks_to_peer = sa->peer != NULL,
	};
	if (!cc->backend->unsupported)
		return;
	const char *u = cc->backend->unsupported(cc, &vsp);
	const char *who = sv->name;
	if (!u) {
		u = cc->backend->unsupported(cc, &asp);
		who = sa->name;
	}
	if (u)
		snprintf(reason, size, "%s: %s: %s", cc->backend->name, who, u);
}

/* Why a cell cannot run here ("" when it can); its placement resolved in c->pl. */
static void cell_skip_reason(struct ctx *x, struct rcell *c, const struct isb_suite_scenario *sc,
			     char *reason, size_t size)
{
	struct rconfig *rc = &x->cfgs[c->cfg];
	struct isb_err err = {0};
	char lbuf[300];
	const char *lskip;
	const struct isb_stressor *sv = isb_stressor_find(sc->victim),
				  *sa = isb_stressor_find(sc->aggressor);
	reason[0] = 0;
	if (!rc->prepared)
		snprintf(reason, size, "config %s %s", rc->c.name, rc->unavailable);
	else if (sc->resource == ISB_RES_DISK && x->disk_why.msg[0])
		snprintf(reason, size, "%s", x->disk_why.msg);
	else if (isb_topo_place(x->topo, c->placement, &c->pl, &err) < 0)
		snprintf(reason, size, "placement %s: %s", c->placement, err.msg);
	else if ((lskip = link_skip(x, rc, sc, lbuf, sizeof(lbuf))))
		snprintf(reason, size, "%s", lskip);
	else if (sv->unavailable && sv->unavailable())
		snprintf(reason, size, "stressor %s unavailable: %s", sv->name, sv->unavailable());
	else if (sa->unavailable && sa->unavailable())
		snprintf(reason, size, "stressor %s unavailable: %s", sa->name, sa->unavailable());
	else
		cell_unsupported(&rc->c, sv, sa, reason, size);
}

static void join_opts(const char (*opts)[128], size_t n, char *buf, size_t size)
{
	buf[0] = 0;
	for (size_t k = 0, o = 0; k < n; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", k ? " " : "", opts[k]);
}

/* One cell planned and stored: skipped with its reason, or runnable with room for the
 * values of its graded metrics. */
static int plan_cell(struct ctx *x, size_t ci, size_t si, size_t pi, struct isb_err *err)
{
	const struct isb_suite_scenario *sc = &x->s->scenarios[si];
	struct rcell *c = &x->cells[x->ncells++];
	char reason[400], vo[1200], ao[1200];
	c->cfg = ci;
	c->sc = si;
	c->placement = sc->placements[pi];
	cell_skip_reason(x, c, sc, reason, sizeof(reason));
	c->skipped = reason[0] != 0;
	join_opts(sc->vopts, sc->nvopts, vo, sizeof(vo));
	join_opts(sc->aopts, sc->naopts, ao, sizeof(ao));
	struct isb_cell_row row = {
	    .config = x->cfgs[ci].c.name,
	    .backend = x->s->configs[ci].backend,
	    .resource = isb_resource_name(sc->resource),
	    .scenario = sc->name,
	    .placement = c->placement,
	    .resolved_placement = c->skipped ? NULL : c->pl.resolved,
	    .victim = sc->victim,
	    .aggressor = sc->aggressor,
	    .intensity = sc->intensity,
	    .victim_opts = vo,
	    .aggressor_opts = ao,
	    .victim_cpus = c->skipped ? NULL : c->pl.victim_cpus,
	    .aggressor_cpus = c->skipped ? NULL : c->pl.aggressor_cpus,
	    .grade_metrics = sc->grade[0] ? sc->grade : NULL,
	    .skipped = c->skipped,
	    .reason = c->skipped ? reason : NULL,
	};
	if ((x->resume ? resume_cell_id(x, x->ncells - 1, c->skipped, row.reason, &c->id, err)
		       : isb_store_cell(x->st, &row, &c->id, err)) < 0)
		return -EIO;
	if (c->skipped) {
		isb_log("harness", "skip %s/%s/%s: %s", x->cfgs[ci].c.name, sc->name, c->placement,
			reason);
		return 0;
	}
	x->runnable++;
	cell_graded_metrics(c, sc);
	c->vals = malloc((size_t)x->max_reps * 2 * (c->ngraded ? c->ngraded : 1) * sizeof(double));
	for (size_t k = 0; c->vals && k < (size_t)x->max_reps * 2 * c->ngraded; k++)
		c->vals[k] = NAN;
	return 0;
}

/* A shard (--shard I/N) plans the cells whose index in the whole plan, in the suite's order
 * of configurations, scenarios and placements, is I-1 modulo N: every node derives the same
 * plan from the same suite and takes its own share. */
int plan_cells(struct ctx *x, struct isb_err *err)
{
	const struct isb_suite *s = x->s;
	const struct isb_run_opts *o = x->o;
	for (size_t ci = 0; ci < s->nconfigs; ci++)
		for (size_t si = 0; si < s->nscenarios; si++)
			for (size_t pi = 0; pi < s->scenarios[si].nplacements; pi++) {
				size_t index = x->plan_index++;
				if (o->shard_n && index % o->shard_n != o->shard_i - 1)
					continue;
				if (plan_cell(x, ci, si, pi, err) < 0)
					return -EIO;
			}
	if (o->shard_n)
		isb_log("harness", "shard %u/%u: %zu of the plan's %zu cells", o->shard_i,
			o->shard_n, x->ncells, x->plan_index);
	if (x->resume && x->ncells != resume_ncells(x))
		return isb_errf(err, 0,
				"%s: the store holds %zu cells, the suite plans %zu: not the "
				"campaign's plan",
				x->dbpath, resume_ncells(x), x->ncells),
		       -EINVAL;
	return 0;
}

/* Paired design: each repetition is one baseline and one contended trial, adjacent, in a
 * seeded random order; the pairs of every cell are interleaved in a seeded random order.
 * Adaptive: after the first round of reps pairs, a cell whose interval is still wide (and
 * its grade undecided) gets more pairs, up to max_reps. */
size_t plan_round(struct ctx *x, gsl_rng *rng, unsigned round, struct rtrial *trials)
{
	const struct isb_suite *s = x->s;
	unsigned batch = s->reps > 1 ? (s->reps + 1) / 2 : 1;
	size_t npairs = 0;
	for (size_t ci = 0; ci < x->ncells; ci++) {
		struct rcell *c = &x->cells[ci];
		if (c->skipped || c->settled)
			continue;
		unsigned add = round ? batch : s->reps;
		if (c->pairs + add > x->max_reps)
			add = x->max_reps - c->pairs;
		for (unsigned r = 0; r < add; r++) {
			bool base_first = gsl_rng_uniform_int(rng, 2) == 0;
			trials[npairs * 2] = (struct rtrial){
			    .cell = ci, .contended = !base_first, .rep = c->pairs + r};
			trials[npairs * 2 + 1] = (struct rtrial){
			    .cell = ci, .contended = base_first, .rep = c->pairs + r};
			/* contended = no (a smoke run): the baseline half only */
			if (s->baseline_only)
				trials[npairs * 2] = trials[npairs * 2 + 1] =
				    (struct rtrial){.cell = ci, .rep = c->pairs + r};
			npairs++;
		}
		c->pairs += add;
	}
	if (!npairs)
		return 0;
	if (npairs > 1)
		gsl_ran_shuffle(rng, trials, npairs, 2 * sizeof(*trials));
	if (!s->baseline_only)
		return npairs * 2;
	for (size_t i = 0; i < npairs; i++) /* one trial of each pair slot */
		trials[i] = trials[2 * i];
	return npairs;
}

void plan_settle(struct ctx *x)
{
	for (size_t ci = 0; ci < x->ncells; ci++) {
		struct rcell *c = &x->cells[ci];
		if (!c->skipped && !c->settled)
			c->settled =
			    c->pairs >= x->max_reps || x->s->baseline_only || cell_settled(x, c);
	}
}
