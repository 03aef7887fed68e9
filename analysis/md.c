/*
 * report.md: the campaign and its host, the method, the configurations'
 * leaves, the grades, the ranking per resource, every metric, the overhead
 * against native, the attribution of degraded cells, the victim's counters,
 * start-up times, failed trials and skipped cells. One function per section.
 */
#include "config.h"
#include "analysis/cells.h"

#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void md_cell_name(char *buf, size_t size, const struct isb_cell *c)
{
	if (strcmp(c->row.placement, c->row.resolved) && c->row.resolved[0])
		snprintf(buf, size, "%s (%s)", c->row.placement, c->row.resolved);
	else
		snprintf(buf, size, "%s", c->row.placement);
}

/* The campaign and its host. */
static void campaign_section(FILE *f, const struct isb_analysis *a)
{
	const struct isb_campaign_row *cp = &a->campaign;
	fprintf(f, "# isobench report\n\n");
	if (!a->has_campaign)
		return;
	cleanup_json json_object *h = json_tokener_parse(cp->host_json);
	json_object *x, *t;
	fprintf(
	    f,
	    "| campaign | %s |\n|---|---|\n| status | %s |\n| seed | %lld |\n| suite | %s |\n| command | `%s` |\n",
	    cp->id, cp->status, cp->seed, cp->suite_path, cp->argv);
	if (cp->finished)
		fprintf(f, "| duration | %.0f s |\n",
			(double)(cp->finished_ns - cp->started_ns) / 1e9);
	if (h && json_object_object_get_ex(h, "kernel", &x))
		fprintf(f, "| kernel | %s |\n", json_object_get_string(x));
	if (h && json_object_object_get_ex(h, "cpu_model", &x))
		fprintf(f, "| cpu | %s |\n", json_object_get_string(x));
	if (h && json_object_object_get_ex(h, "topology", &t) &&
	    json_object_object_get_ex(t, "summary", &x))
		fprintf(f, "| topology | %s |\n", json_object_get_string(x));
	if (h && json_object_object_get_ex(h, "cgroup", &x))
		fprintf(f, "| cgroups | %s |\n", json_object_get_string(x));
	if (h && json_object_object_get_ex(h, "versions", &t)) {
		fprintf(f, "| versions |");
		json_object_object_foreach(t, k, v)
		    fprintf(f, " %s %s;", k, json_object_get_string(v));
		fprintf(f, " |\n");
	}
}

/* How d, its interval and the grades are formed; how sharp the grades are. */
static void method_section(FILE *f, const struct isb_analysis *a)
{
	const double *thr = a->thr;
	fprintf(
	    f,
	    "\nEach repetition is a pair of adjacent trials, baseline and contended, in random "
	    "order; d = 1 − the median of the pairs' ratios (contended/baseline for a rate, "
	    "baseline/contended for a cost), signed: below 0 the victim did better beside the "
	    "aggressor. The 95 %% interval is a seeded bootstrap over pairs. Grades use %s of d "
	    "(thresholds %.2f / %.2f / %.2f / %.2f): 4 isolated, 3 minor, 2 moderate, 1 severe, "
	    "0 none or the victim failed beside the aggressor; a grade marked ~ is undecided (its "
	    "interval spans grade bands). A cell's grade is the worst of its graded metrics. A "
	    "victim that fails alone is *not measurable*; a cell whose aggressor a configuration "
	    "slowed below half of native's pressure without a declared limit, or whose victim "
	    "reaches less than 0.35 of native's baseline, is *not demonstrated*: neither is "
	    "graded nor ranked.\n\n",
	    a->grade_by_upper ? "the upper bound of the interval" : "the point estimate", thr[0],
	    thr[1], thr[2], thr[3]);
	/* Precision: how sharp the grades are, over the cells that grade. */
	struct isb_vec hw = {0};
	int undecided = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell_verdict *v = &a->cells[i].v;
		if (v->grade >= 0 && v->worst >= 0) {
			const struct isb_metric_verdict *m = &v->m[v->worst];
			isb_vpush(&hw, (m->hi - m->lo) / 2);
			undecided += !m->decided;
		}
	}
	if (hw.n)
		fprintf(f,
			"Precision: the median 95 %% half-width of d over the %zu graded "
			"cells is %.3f; %d of them are undecided (~).\n\n",
			hw.n, isb_median(hw.v, hw.n), undecided);
	free(hw.v);
}

/* What the aggressor achieved: its pressure metrics' contended medians, whether it died. */
static void pressure_text(const struct isb_cell_verdict *v, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < v->npress && o < size; i++) {
		char num[32];
		isb_fmt_num(num, sizeof(num), v->press[i].cont);
		o += (size_t)snprintf(out + o, size - o, "%s%s=%s", i ? ", " : "", v->press[i].key,
				      num);
	}
	if (v->agg_died && o < size)
		snprintf(out + o, size - o, "%saggressor died in %d of %d contended trials (%s)",
			 o ? "; " : "", v->agg_died, v->ncont_ok, v->agg_died_cause);
}

/* One row of the grades table. */
static void grade_row(FILE *f, const struct isb_cell *c)
{
	const struct isb_cell_verdict *v = &c->v;
	char pl[48], g[48], dd[96] = "—", by[64] = "—", pressure[512];
	md_cell_name(pl, sizeof(pl), c);
	bool undecided = v->worst >= 0 && !v->m[v->worst].decided && v->grade > 0;
	if (v->verdict[0])
		snprintf(g, sizeof(g), "%s",
			 !strncmp(v->verdict, "not measurable", 14) ? "not measurable"
								    : "not demonstrated");
	else if (v->grade >= 0)
		snprintf(g, sizeof(g), "**%s%d** %s", undecided ? "~" : "", v->grade,
			 isb_grade_name(v->grade));
	else
		snprintf(g, sizeof(g), "%s",
			 !strcmp(c->row.status, "skipped") ? "skipped" : "ungraded");
	if (v->worst >= 0) {
		const struct isb_metric_verdict *m = &v->m[v->worst];
		snprintf(by, sizeof(by), "%s", m->def.name);
		snprintf(dd, sizeof(dd), "%.3f [%.3f, %.3f]%s", m->d, m->lo, m->hi,
			 v->facilitation ? " facilitation: the victim did better beside "
					   "the aggressor"
					 : "");
	}
	if (v->verdict[0])
		snprintf(by, sizeof(by), "%.60s", v->verdict);
	else if (v->grade_note[0])
		snprintf(by, sizeof(by), "%.60s", v->grade_note);
	char lim[260] = "";
	if (isfinite(v->parity))
		snprintf(lim, sizeof(lim), " (%.2f of native's)", v->parity);
	if (v->limit_note[0]) {
		size_t o = strlen(lim);
		snprintf(lim + o, sizeof(lim) - o, "; %s", v->limit_note);
	}
	pressure_text(v, pressure, sizeof(pressure));
	fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %d/%d | %s%s |\n", c->row.config,
		c->row.backend, c->row.resource, c->row.scenario, pl, g, by, dd, v->nbase_ok,
		v->ncont_ok, pressure[0] ? pressure : "—", lim);
}

static void grades_section(FILE *f, const struct isb_analysis *a)
{
	fprintf(
	    f,
	    "## Grades\n\n| config | backend | resource | scenario | placement | grade | decided by | d [95 %% CI] | trials (base/cont) | aggressor achieved |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++)
		grade_row(f, &a->cells[i]);
}

/* Memory bandwidth and the last-level cache: only resctrl (Intel RDT, AMD PQoS) can give a
 * tenant its own share. Where the campaign's host had none (its host record says why), the
 * cells whose aggressor contends for them are not ranked: no configuration there could
 * isolate them, and an order would only rank noise. 1 (no resctrl) or 2 (resctrl without
 * that allocation) with the reason in why->msg, 0 where the host had the mechanism (or an
 * older campaign did not record it). */
static int no_membw_mechanism(const struct isb_analysis *a, bool cache, struct isb_err *why)
{
	if (!a->has_campaign)
		return 0;
	cleanup_json json_object *h = json_tokener_parse(a->campaign.host_json);
	json_object *rd, *x;
	if (!h || !json_object_object_get_ex(h, "resctrl", &rd))
		return 0;
	bool avail = json_object_object_get_ex(rd, "available", &x) && json_object_get_boolean(x);
	bool part = avail && json_object_object_get_ex(rd, cache ? "l3" : "mb", &x) &&
		    !json_object_get_boolean(x);
	if (avail && !part)
		return 0;
	isb_errf(why, 0, "%s",
		 json_object_object_get_ex(rd, "reason", &x) ? json_object_get_string(x)
							     : "unknown reason");
	return avail ? 2 : 1;
}

/* -1: not a memory-bandwidth or cache cell; 0: memory bandwidth (MB); 1: cache (L3). */
static int membw_kind(const struct isb_cell *c)
{
	if (!strcmp(c->row.aggressor, "cache.thrash") || !strcmp(c->row.resource, "cache"))
		return 1;
	return !strcmp(c->row.aggressor, "memory.bandwidth") ? 0 : -1;
}

/* The ranking of one resource: each configuration by its worst graded cell. */
static void rank_resource(FILE *f, const struct isb_analysis *a, const char *res,
			  const int nomech[2])
{
	const struct isb_cell *cells = a->cells;
	size_t idx[64], g = 0;
	for (size_t i = 0; i < a->n && g < 64; i++) {
		const struct isb_cell *c = &cells[i];
		if (strcmp(c->row.resource, res) || c->v.worst < 0 || c->v.verdict[0])
			continue;
		if (membw_kind(c) >= 0 && nomech[membw_kind(c)])
			continue; /* not ranked: see below the table */
		size_t j;
		for (j = 0; j < g; j++)
			if (!strcmp(cells[idx[j]].row.config, c->row.config))
				break;
		if (j == g)
			idx[g++] = i;
		else if (c->v.grade < cells[idx[j]].v.grade ||
			 (c->v.grade == cells[idx[j]].v.grade &&
			  c->v.m[c->v.worst].d > cells[idx[j]].v.m[cells[idx[j]].v.worst].d))
			idx[j] = i;
	}
	if (!g)
		return;
	double d[64], lo[64], hi[64];
	int rk[64];
	for (size_t j = 0; j < g; j++) {
		const struct isb_metric_verdict *m = &cells[idx[j]].v.m[cells[idx[j]].v.worst];
		d[j] = m->d;
		lo[j] = m->lo;
		hi[j] = m->hi;
	}
	isb_rank(d, lo, hi, g, rk);
	for (int want = 1; want <= (int)g; want++)
		for (size_t j = 0; j < g; j++) {
			if (rk[j] != want)
				continue;
			const struct isb_cell *c = &cells[idx[j]];
			fprintf(f, "| %s | %d | %s | %s/%s | %.3f [%.3f, %.3f] | %d %s |\n", res,
				rk[j], c->row.config, c->row.scenario, c->row.placement, d[j],
				lo[j], hi[j], c->v.grade, isb_grade_name(c->v.grade));
		}
}

/* Ranking per resource, the memory-bandwidth cells a host could not isolate, and the cells
 * set apart. */
static void ranking_section(FILE *f, const struct isb_analysis *a)
{
	static const char *const res[] = {"cpu", "memory", "disk", "network", "pids", "cache"};
	struct isb_err why[2] = {{0}};
	int nomech[2] = {no_membw_mechanism(a, false, &why[0]),
			 no_membw_mechanism(a, true, &why[1])};
	size_t nomech_cells = 0;
	fprintf(
	    f,
	    "\n## Ranking per resource\n\nEach configuration is represented by its worst graded cell of that resource; ranks tie where 95 %% intervals overlap.\n\n| resource | rank | config | worst cell | d [95 %% CI] | grade |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++)
		nomech_cells += membw_kind(&a->cells[i]) >= 0 && nomech[membw_kind(&a->cells[i])] &&
				strcmp(a->cells[i].row.status, "skipped");
	for (size_t r = 0; r < ISB_ARRAY_SIZE(res); r++)
		rank_resource(f, a, res[r], nomech);
	if (nomech_cells)
		fprintf(f,
			"\nMemory bandwidth and cache (%zu cell%s whose aggressor is "
			"memory.bandwidth or cache.thrash, not ranked): no mechanism on this host "
			"can isolate memory bandwidth (%s%.319s). Every configuration shares "
			"the memory bus and the last-level cache; their grades above measure the "
			"interference, not a difference in isolation.\n",
			nomech_cells, nomech_cells == 1 ? "" : "s",
			(nomech[0] ? nomech[0] : nomech[1]) == 1 ? "no resctrl: " : "resctrl: ",
			nomech[0] ? why[0].msg : why[1].msg);
	bool apart = false;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		if (!c->v.verdict[0])
			continue;
		if (!apart)
			fprintf(f, "\nNot ranked (what was measured cannot say how well the "
				   "configuration isolates):\n\n");
		apart = true;
		fprintf(f, "- %s / %s / %s: %s\n", c->row.config, c->row.scenario, c->row.placement,
			c->v.verdict);
	}
}

static void metrics_section(FILE *f, const struct isb_analysis *a)
{
	fprintf(
	    f,
	    "\n## Metrics\n\n| config | scenario | placement | metric | unit | baseline median | contended median | d [95 %% CI] | grade | rank | graded |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		for (size_t k = 0; k < c->v.nmetrics; k++) {
			const struct isb_metric_verdict *m = &c->v.m[k];
			char b[32], cc[32], pl[48];
			if (!m->ok)
				continue;
			md_cell_name(pl, sizeof(pl), c);
			isb_fmt_num(b, sizeof(b), m->base_med);
			isb_fmt_num(cc, sizeof(cc), m->cont_med);
			fprintf(
			    f,
			    "| %s | %s | %s | %s | %s | %s | %s | %.3f [%.3f, %.3f] | %d | %d | %s |\n",
			    c->row.config, c->row.scenario, pl, m->def.name, m->def.unit, b, cc,
			    m->d, m->lo, m->hi, m->grade, m->rank, m->def.graded ? "yes" : "no");
		}
	}
}

/* The rate and the per-call cost metrics the overhead compares; latencies are in Metrics. */
static bool overhead_metric(const struct isb_metric_verdict *m, const struct isb_metric_verdict *b)
{
	return b && m->nb && b->nb && isfinite(m->base_med) && isfinite(b->base_med) &&
	       b->base_med > 0 && m->base_med > 0 &&
	       (strstr(m->def.name, "per_s") || !strcmp(m->def.name, "ns_per_call") ||
		!strcmp(m->def.name, "iops"));
}

/* Cell c's baseline beside native cell r's, metric by metric; any: a row was written. */
static void overhead_rows(FILE *f, const struct isb_cell *c, const struct isb_cell *r, bool *any)
{
	for (size_t k = 0; k < c->v.nmetrics; k++) {
		const struct isb_metric_verdict *m = &c->v.m[k], *b = NULL;
		for (size_t q = 0; q < r->v.nmetrics; q++)
			if (!strcmp(r->v.m[q].def.name, m->def.name))
				b = &r->v.m[q];
		if (!overhead_metric(m, b))
			continue;
		if (!*any)
			fprintf(
			    f, "\n## Overhead (baseline against native's baseline)\n\n"
			       "Overhead = 1 − config/native for a rate, 1 − "
			       "native/config for a cost; × is config/native. Beside "
			       "each: the cell's isolation grade.\n\n"
			       "| config | scenario | placement | metric | native | config "
			       "| × | overhead | grade |\n|---|---|---|---|---|---|---|---|---|\n");
		*any = true;
		double ratio = m->base_med / b->base_med;
		double ov = m->def.higher ? 1 - ratio : 1 - 1 / ratio;
		char nb[32], cb[32], g[16] = "-";
		isb_fmt_num(nb, sizeof(nb), b->base_med);
		isb_fmt_num(cb, sizeof(cb), m->base_med);
		if (c->v.grade >= 0)
			snprintf(g, sizeof(g), "%d", c->v.grade);
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %.2f | %.1f %% | %s |\n", c->row.config,
			c->row.scenario, c->row.placement, m->def.name, nb, cb, ratio, 100 * ov, g);
	}
}

/* Overhead: each configuration's baseline beside native's for the same scenario and
 * placement, metric by metric: what the isolation costs when nobody is noisy. */
static void overhead_section(FILE *f, const struct isb_analysis *a)
{
	bool any = false;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		if (!strcmp(c->row.backend, "native"))
			continue;
		for (size_t j = 0; j < a->n; j++) {
			const struct isb_cell *r = &a->cells[j];
			if (!strcmp(r->row.backend, "native") &&
			    !strcmp(r->row.scenario, c->row.scenario) &&
			    !strcmp(r->row.placement, c->row.placement))
				overhead_rows(f, c, r, &any);
		}
	}
}

static void attribution_section(FILE *f, const struct isb_analysis *a)
{
	char why[300] = "";
	bool head = false;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		struct isb_attribution at;
		char pl[48];
		if (c->v.grade < 0 || c->v.grade >= 4)
			continue; /* isolated or ungraded: nothing to explain */
		isb_attribute_cell(a, c, &at);
		if (!why[0])
			snprintf(why, sizeof(why), "%s", at.bpf_unavailable);
		if (!head) {
			fprintf(
			    f, "\n## Attribution of degraded cells\n\nThe channels that grew most "
			       "from baseline to contended (medians over trials; kernel probes, "
			       "PSI, the victim's cgroup, counters), and where the loss came from: "
			       "a *neighbour* (the aggressor preempted the victim, pressure, "
			       "reclaim, queueing), the victim's *own limit* (its cgroup's "
			       "throttling or memory limit), or the *host* (steal time, other "
			       "tasks).\n\n| config | scenario | placement | grade | source | "
			       "channels |\n|---|---|---|---|---|---|\n");
			head = true;
		}
		md_cell_name(pl, sizeof(pl), c);
		fprintf(f, "| %s | %s | %s | %d | %s | %s%s%s |\n", c->row.config, c->row.scenario,
			pl, c->v.grade, at.source[0] ? at.source : "—",
			at.channels[0] ? at.channels : "no channel grew beyond its noise floor",
			at.network[0] ? "; " : "", at.network);
	}
	if (why[0])
		fprintf(f, "\nKernel probes (eBPF) unavailable: %s.\n", why);
}

/* The victim's counters, median baseline → contended. */
static void counters_text(const struct isb_cell_verdict *v, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < v->nctr && o < size; i++) {
		const struct isb_agg_median *x = &v->ctr[i];
		char b[32], cn[32];
		if (x->unavailable[0] && !x->nbase && !x->ncont) {
			o += (size_t)snprintf(out + o, size - o, "%s%s: unavailable", i ? "; " : "",
					      x->key);
			continue;
		}
		isb_fmt_num(b, sizeof(b), x->base);
		isb_fmt_num(cn, sizeof(cn), x->cont);
		o += (size_t)snprintf(out + o, size - o, "%s%s %s → %s", i ? "; " : "", x->key, b,
				      cn);
	}
}

/* Why counters were unavailable: from the first trial that recorded counters. */
static void counters_unavailable(FILE *f, const struct isb_analysis *a)
{
	char unavail[1024] = "";
	size_t o = 0;
	for (size_t i = 0; i < a->trials.n; i++) {
		if (!a->trials.row[i].counters_json)
			continue;
		cleanup_json json_object *j = json_tokener_parse(a->trials.row[i].counters_json);
		if (j) {
			json_object_object_foreach(j, k, v)
			{
				json_object *u;
				if (json_object_object_get_ex(v, "unavailable", &u) &&
				    o < sizeof(unavail))
					o += (size_t)snprintf(unavail + o, sizeof(unavail) - o,
							      "- %s: unavailable: %s\n", k,
							      json_object_get_string(u));
			}
		}
		break;
	}
	if (unavail[0])
		fprintf(f, "\n%s", unavail);
}

static void counters_section(FILE *f, const struct isb_analysis *a)
{
	fprintf(
	    f,
	    "\n## Counters of the victim (median baseline → contended)\n\n| config | scenario | placement | counters |\n|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		char pl[48], counters[1024];
		counters_text(&c->v, counters, sizeof(counters));
		if (!counters[0])
			continue;
		md_cell_name(pl, sizeof(pl), c);
		fprintf(f, "| %s | %s | %s | %s |\n", c->row.config, c->row.scenario, pl, counters);
	}
	counters_unavailable(f, a);
}

static void startup_section(FILE *f, const struct isb_analysis *a)
{
	const struct isb_cell *cells = a->cells;
	fprintf(
	    f,
	    "\n## Start-up time\n\n| config | backend | median victim start-up (spawn to ready) |\n|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(cells[j].row.config, cells[i].row.config);
		if (seen)
			continue;
		struct isb_vec v = {0};
		for (size_t j = i; j < a->n; j++)
			if (!strcmp(cells[j].row.config, cells[i].row.config) &&
			    isfinite(cells[j].v.startup_ms))
				isb_vpush(&v, cells[j].v.startup_ms);
		if (v.n)
			fprintf(f, "| %s | %s | %.2f ms |\n", cells[i].row.config,
				cells[i].row.backend, isb_median(v.v, v.n));
		free(v.v);
	}
}

static void failed_section(FILE *f, const struct isb_analysis *a)
{
	int nf = 0;
	fprintf(f, "\n## Failed trials\n\n");
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		const struct isb_cell *c = NULL;
		for (size_t j = 0; j < a->n && !c; j++)
			if (a->cells[j].row.id == t->cell_id)
				c = &a->cells[j];
		if (!c || !strcmp(t->status, "ok"))
			continue;
		fprintf(f, "- trial %lld (%s, %s, %s, %s): %s\n", t->seq, c->row.config,
			c->row.scenario, c->row.placement, t->kind, t->cause);
		nf++;
	}
	if (!nf)
		fprintf(f, "None.\n");
}

static void skipped_section(FILE *f, const struct isb_analysis *a)
{
	int ns = 0;
	fprintf(f, "\n## Skipped cells\n\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		if (!strcmp(c->row.status, "skipped")) {
			fprintf(f, "- %s / %s / %s: %s\n", c->row.config, c->row.scenario,
				c->row.placement, c->row.reason);
			ns++;
		}
	}
	if (!ns)
		fprintf(f, "None.\n");
}

int isb_write_report_md(const char *path, const struct isb_analysis *a)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	campaign_section(f, a);
	if (a->has_campaign)
		isb_md_provenance(f, path);
	method_section(f, a);
	isb_md_technologies_section(f, a);
	isb_md_leaves_section(f, a);
	grades_section(f, a);
	ranking_section(f, a);
	metrics_section(f, a);
	overhead_section(f, a);
	attribution_section(f, a);
	counters_section(f, a);
	startup_section(f, a);
	failed_section(f, a);
	skipped_section(f, a);
	return fclose(f) == 0 ? 0 : -errno;
}
