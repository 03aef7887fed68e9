/*
 * Reports from a campaign directory: reads results.db only, computes the
 * degradation, confidence interval, grade and rank of every cell and
 * metric, and writes report.md, cells.csv and trials.csv.
 */
#include "config.h"
#include "analysis/analysis.h"

#include <json-c/json.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXM	    16
#define ISB_MAX_AGG 16

struct metric_def {
	char name[48], unit[24];
	bool higher, graded;
};

struct mres {
	struct metric_def def;
	size_t nb, nc, npairs; /* npairs: 0 when d came from the unpaired bootstrap */
	double base_med, cont_med, d, lo, hi;
	int grade; /* -1 not graded */
	int rank;
	bool ok;
	bool decided; /* the interval lies inside one grade band */
};

struct cell {
	long long id;
	char config[64], backend[32], resource[16], scenario[64], placement[16], resolved[16];
	char victim[48], aggressor[48], vcpus[64], acpus[64], status[16], reason[256];
	char grade_metrics[256]; /* the suite's choice, or empty for the stressor's defaults */
	double intensity;
	size_t nmetrics;
	struct mres m[MAXM];
	int nbase_ok, ncont_ok, nbase_fail, ncont_fail, nerror;
	char fail_cause[256];
	int grade; /* -1 ungraded */
	char grade_note[160];
	/* Set apart from the grades and the ranking: what was measured cannot say how well the
	 * configuration isolates ("not measurable: …", "not demonstrated: …"). */
	char verdict[200];
	char limit_note[200]; /* the aggressor was held back by a declared limit: isolation */
	double parity;	      /* its aggressor's pressure over native's; NAN without one */
	bool facilitation;    /* the victim ran significantly better beside the aggressor */
	int worst;	      /* index of the metric that set the grade, -1 */
	/* aggressor pressure and counters, as text for the report */
	char pressure[512];
	char press1_key[48]; /* the aggressor's first pressure metric and its contended median */
	double press1;
	int agg_died;
	char agg_died_cause[200];
	char counters[1024];
	double startup_ms;
};

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

/* The metric values of one trial's metrics_json into v[k] (NAN where absent). */
static void trial_values(const char *json, struct cell *c, double *v)
{
	json_object *o = json_tokener_parse(json);
	for (size_t k = 0; k < c->nmetrics; k++) {
		json_object *x;
		v[k] = NAN;
		if (o && json_object_object_get_ex(o, c->m[k].def.name, &x) &&
		    (json_object_is_type(x, json_type_double) ||
		     json_object_is_type(x, json_type_int)))
			v[k] = json_object_get_double(x);
	}
	json_object_put(o);
}

struct vec {
	double *v;
	size_t n, cap;
};
static void vpush(struct vec *x, double d)
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

/* Median of the numeric field "key" (or key.value for counters) over a list of JSON docs. */
struct jagg {
	char key[48];
	struct vec base, cont;
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
			vpush(contended ? &a[i].cont : &a[i].base, json_object_get_double(x));
	}
}

static void fmt_num(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "n/a");
	else if (fabs(v) >= 1e6 || (fabs(v) < 1e-2 && v != 0))
		snprintf(buf, size, "%.3e", v);
	else
		snprintf(buf, size, "%.4g", v);
}

static int load_cells(sqlite3 *db, struct cell **out, size_t *n, struct isb_err *err)
{
	sqlite3_stmt *s;
	const char *sql = "SELECT id, config, backend, resource, scenario, placement,"
			  " COALESCE(resolved_placement,''), victim, aggressor, intensity,"
			  " COALESCE(victim_cpus,''), COALESCE(aggressor_cpus,''), status,"
			  " COALESCE(reason,''), COALESCE(grade_metrics,'') FROM cell ORDER BY id";
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, 0, "results.db: %s", sqlite3_errmsg(db));
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct cell *nc = realloc(*out, cap * sizeof(**out));
			if (!nc)
				break;
			*out = nc;
		}
		struct cell *c = &(*out)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(s, 0);
		snprintf(c->config, sizeof(c->config), "%s", col(s, 1));
		snprintf(c->backend, sizeof(c->backend), "%s", col(s, 2));
		snprintf(c->resource, sizeof(c->resource), "%s", col(s, 3));
		snprintf(c->scenario, sizeof(c->scenario), "%s", col(s, 4));
		snprintf(c->placement, sizeof(c->placement), "%s", col(s, 5));
		snprintf(c->resolved, sizeof(c->resolved), "%s", col(s, 6));
		snprintf(c->victim, sizeof(c->victim), "%s", col(s, 7));
		snprintf(c->aggressor, sizeof(c->aggressor), "%s", col(s, 8));
		c->intensity = sqlite3_column_double(s, 9);
		snprintf(c->vcpus, sizeof(c->vcpus), "%s", col(s, 10));
		snprintf(c->acpus, sizeof(c->acpus), "%s", col(s, 11));
		snprintf(c->status, sizeof(c->status), "%s", col(s, 12));
		snprintf(c->reason, sizeof(c->reason), "%s", col(s, 13));
		snprintf(c->grade_metrics, sizeof(c->grade_metrics), "%s", col(s, 14));
		c->grade = -1;
		c->worst = -1;
		c->startup_ms = NAN;
		c->parity = NAN;
	}
	sqlite3_finalize(s);
	return 0;
}

static void load_metric_defs(sqlite3 *db, struct cell *c)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(
		db,
		"SELECT name, COALESCE(unit,''), better, graded FROM metric WHERE stressor=? ORDER BY rowid",
		-1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, c->victim, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && c->nmetrics < MAXM) {
		struct mres *m = &c->m[c->nmetrics++];
		memset(m, 0, sizeof(*m));
		snprintf(m->def.name, sizeof(m->def.name), "%s", col(s, 0));
		snprintf(m->def.unit, sizeof(m->def.unit), "%s", col(s, 1));
		m->def.higher = !strcmp(col(s, 2), "higher");
		m->def.graded = sqlite3_column_int(s, 3) != 0;
		if (c->grade_metrics[0]) {
			char list[260];
			snprintf(list, sizeof(list), ",%s,", c->grade_metrics);
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
	sqlite3_finalize(s);
}

/* Pairs the values of one metric by repetition: out arrays hold the complete pairs. */
static size_t make_pairs(const struct vec *base, const struct vec *brep, const struct vec *cont,
			 const struct vec *crep, double *pb, double *pc)
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

static void analyse_cell(sqlite3 *db, struct cell *c, const double thr[4], unsigned resamples,
			 uint64_t seed, bool grade_by_upper)
{
	struct vec base[MAXM] = {{0}}, cont[MAXM] = {{0}}, startup = {0};
	struct vec brep[MAXM] = {{0}}, crep[MAXM] = {{0}};
	struct jagg press[ISB_MAX_AGG], ctr[ISB_MAX_AGG];
	size_t npress = 0, nctr = 0;
	sqlite3_stmt *s;
	load_metric_defs(db, c);
	if (sqlite3_prepare_v2(
		db,
		"SELECT kind, status, COALESCE(cause,''), COALESCE(metrics_json,'{}'),"
		" COALESCE(aggressor_json,'{}'), COALESCE(counters_json,'{}'), victim_startup_ns,"
		" rep FROM trial WHERE cell_id=? ORDER BY seq",
		-1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, c->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		bool contended = !strcmp(col(s, 0), "contended");
		bool ok = !strcmp(col(s, 1), "ok");
		if (!ok && strcmp(col(s, 1), "failed")) {
			/* "error": the harness or the aggressor failed, not the victim; not graded.
			 */
			c->nerror++;
			continue;
		}
		if (!ok) {
			if (contended) {
				c->ncont_fail++;
				snprintf(c->fail_cause, sizeof(c->fail_cause), "%s", col(s, 2));
			} else {
				c->nbase_fail++;
				if (!c->fail_cause[0])
					snprintf(c->fail_cause, sizeof(c->fail_cause),
						 "baseline: %s", col(s, 2));
			}
			continue;
		}
		contended ? c->ncont_ok++ : c->nbase_ok++;
		double v[MAXM];
		trial_values(col(s, 3), c, v);
		for (size_t k = 0; k < c->nmetrics; k++)
			if (isfinite(v[k])) {
				vpush(contended ? &cont[k] : &base[k], v[k]);
				vpush(contended ? &crep[k] : &brep[k],
				      (double)sqlite3_column_int64(s, 7));
			}
		if (contended) {
			json_object *a = json_tokener_parse(col(s, 4)), *m;
			if (a && json_object_object_get_ex(a, "metrics", &m))
				jagg_add(press, &npress, ISB_MAX_AGG, m, true);
			if (a && json_object_object_get_ex(a, "died", &m)) {
				if (!c->agg_died++)
					snprintf(c->agg_died_cause, sizeof(c->agg_died_cause), "%s",
						 json_object_get_string(m));
			}
			json_object_put(a);
		}
		json_object *cj = json_tokener_parse(col(s, 5));
		if (cj)
			jagg_add(ctr, &nctr, ISB_MAX_AGG, cj, contended);
		json_object_put(cj);
		if (sqlite3_column_type(s, 6) != SQLITE_NULL)
			vpush(&startup, (double)sqlite3_column_int64(s, 6) / 1e6);
	}
	sqlite3_finalize(s);

	c->startup_ms = startup.n ? isb_median(startup.v, startup.n) : NAN;
	int worst_grade = 5;
	double worst_hi = -1;
	for (size_t k = 0; k < c->nmetrics; k++) {
		struct mres *m = &c->m[k];
		m->nb = base[k].n;
		m->nc = cont[k].n;
		if (!m->nb || !m->nc)
			continue;
		m->base_med = isb_median(base[k].v, m->nb);
		m->cont_med = isb_median(cont[k].v, m->nc);
		uint64_t s2 = seed * 1000003ull + (uint64_t)c->id * 131ull + k;
		/* Paired where each repetition has both trials (the design since schema 4), so
		 * a host drift between repetitions cancels; else the medians of the two sides. */
		double *pb = malloc(m->nb * sizeof(double)), *pc = malloc(m->nb * sizeof(double));
		size_t np =
		    pb && pc ? make_pairs(&base[k], &brep[k], &cont[k], &crep[k], pb, pc) : 0;
		int pr = np >= 2 ? isb_paired_d(pb, pc, np, m->def.higher, resamples, s2, &m->d,
						&m->lo, &m->hi)
				 : -EINVAL;
		free(pb);
		free(pc);
		if (pr >= 2)
			m->npairs = (size_t)pr;
		else if (isb_bootstrap_d(base[k].v, m->nb, cont[k].v, m->nc, m->def.higher,
					 resamples, s2, &m->d, &m->lo, &m->hi) < 0)
			continue;
		m->ok = true;
		m->decided = isb_grade_decided(m->lo, m->hi, thr);
		m->grade = isb_grade(grade_by_upper ? m->hi : m->d, thr, c->ncont_fail > 0);
		if (m->def.graded &&
		    (m->grade < worst_grade || (m->grade == worst_grade && m->d > worst_hi))) {
			worst_grade = m->grade;
			worst_hi = m->d;
			c->worst = (int)k;
		}
	}
	if (!strcmp(c->status, "skipped")) {
		snprintf(c->grade_note, sizeof(c->grade_note), "skipped: %s", c->reason);
	} else if (c->nbase_fail) {
		/* The victim cannot run here even alone: nothing was measured, so no grade. */
		snprintf(c->verdict, sizeof(c->verdict),
			 "not measurable: the victim failed in %d of %d baseline trials: %s",
			 c->nbase_fail, c->nbase_fail + c->nbase_ok, c->fail_cause);
		snprintf(c->grade_note, sizeof(c->grade_note), "%.159s", c->verdict);
	} else if (c->ncont_fail) {
		c->grade = ISB_GRADE_NONE;
		snprintf(c->grade_note, sizeof(c->grade_note),
			 "victim failed in %d contended trial%s: %s", c->ncont_fail,
			 c->ncont_fail == 1 ? "" : "s", c->fail_cause);
	} else if (!c->nbase_ok || !c->ncont_ok) {
		snprintf(c->grade_note, sizeof(c->grade_note),
			 "ungraded: %d ok baseline and %d ok contended trials%s%s", c->nbase_ok,
			 c->ncont_ok, c->fail_cause[0] ? "; " : "", c->fail_cause);
	} else if (c->worst < 0) {
		snprintf(c->grade_note, sizeof(c->grade_note),
			 "ungraded: victim %s has no graded metric", c->victim);
	} else {
		c->grade = worst_grade;
		const struct mres *w = &c->m[c->worst];
		c->facilitation = w->hi < 0;
	}
	size_t o = 0;
	c->pressure[0] = 0;
	c->press1 = NAN;
	if (npress && press[0].cont.n) {
		snprintf(c->press1_key, sizeof(c->press1_key), "%s", press[0].key);
		c->press1 = isb_median(press[0].cont.v, press[0].cont.n);
	}
	for (size_t i = 0; i < npress && o < sizeof(c->pressure); i++) {
		char num[32];
		fmt_num(num, sizeof(num),
			press[i].cont.n ? isb_median(press[i].cont.v, press[i].cont.n) : NAN);
		o += (size_t)snprintf(c->pressure + o, sizeof(c->pressure) - o, "%s%s=%s",
				      i ? ", " : "", press[i].key, num);
	}
	if (c->agg_died && o < sizeof(c->pressure))
		snprintf(c->pressure + o, sizeof(c->pressure) - o,
			 "%saggressor died in %d of %d contended trials (%s)", o ? "; " : "",
			 c->agg_died, c->ncont_ok, c->agg_died_cause);
	o = 0;
	c->counters[0] = 0;
	for (size_t i = 0; i < nctr && o < sizeof(c->counters); i++) {
		char b[32], cn[32];
		if (ctr[i].unavailable[0] && !ctr[i].base.n && !ctr[i].cont.n) {
			o += (size_t)snprintf(c->counters + o, sizeof(c->counters) - o,
					      "%s%s: unavailable", i ? "; " : "", ctr[i].key);
			continue;
		}
		fmt_num(b, sizeof(b),
			ctr[i].base.n ? isb_median(ctr[i].base.v, ctr[i].base.n) : NAN);
		fmt_num(cn, sizeof(cn),
			ctr[i].cont.n ? isb_median(ctr[i].cont.v, ctr[i].cont.n) : NAN);
		o += (size_t)snprintf(c->counters + o, sizeof(c->counters) - o, "%s%s %s → %s",
				      i ? "; " : "", ctr[i].key, b, cn);
	}
	for (size_t k = 0; k < MAXM; k++) {
		free(base[k].v);
		free(cont[k].v);
		free(brep[k].v);
		free(crep[k].v);
	}
	for (size_t i = 0; i < npress; i++) {
		free(press[i].base.v);
		free(press[i].cont.v);
	}
	for (size_t i = 0; i < nctr; i++) {
		free(ctr[i].base.v);
		free(ctr[i].cont.v);
	}
	free(startup.v);
}

/* Rank configurations within (resource, scenario, placement, metric). */
static void rank_cells(struct cell *cells, size_t n)
{
	double *d = malloc(n * sizeof(double)), *lo = malloc(n * sizeof(double)),
	       *hi = malloc(n * sizeof(double));
	int *rk = malloc(n * sizeof(int));
	size_t *idx = malloc(n * sizeof(size_t));
	if (!d || !lo || !hi || !rk || !idx)
		goto out;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < cells[i].nmetrics; k++) {
			if (!cells[i].m[k].ok || cells[i].m[k].rank || cells[i].verdict[0])
				continue;
			size_t g = 0;
			for (size_t j = 0; j < n; j++) {
				if (strcmp(cells[j].resource, cells[i].resource) ||
				    strcmp(cells[j].scenario, cells[i].scenario) ||
				    strcmp(cells[j].placement, cells[i].placement))
					continue;
				for (size_t l = 0; l < cells[j].nmetrics && !cells[j].verdict[0];
				     l++) {
					if (!cells[j].m[l].ok ||
					    strcmp(cells[j].m[l].def.name, cells[i].m[k].def.name))
						continue;
					d[g] = cells[j].m[l].d;
					lo[g] = cells[j].m[l].lo;
					hi[g] = cells[j].m[l].hi;
					idx[g++] = j * MAXM + l;
				}
			}
			isb_rank(d, lo, hi, g, rk);
			for (size_t x = 0; x < g; x++)
				cells[idx[x] / MAXM].m[idx[x] % MAXM].rank = rk[x];
		}
	}
out:
	free(d);
	free(lo);
	free(hi);
	free(rk);
	free(idx);
}

static void csv_field(FILE *f, const char *s, bool last)
{
	bool q = strpbrk(s, ",\"\n") != NULL;
	if (q) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v, bool last)
{
	char b[40] = "";
	if (isfinite(v))
		snprintf(b, sizeof(b), "%.6g", v);
	csv_field(f, b, last);
}

static int write_cells_csv(const char *path, struct cell *cells, size_t n)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(
	    "config,backend,resource,scenario,placement,metric,d,d_lo,d_hi,grade,rank,cell_grade,graded,"
	    "unit,baseline_median,contended_median,n_baseline,n_contended,resolved_placement,status,note,"
	    "verdict,decided,n_pairs,limit_note,aggressor_parity\n",
	    f);
	for (size_t i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		char cg[8] = "";
		if (c->grade >= 0)
			snprintf(cg, sizeof(cg), "%d", c->grade);
		size_t rows = c->nmetrics ? c->nmetrics : 1;
		for (size_t k = 0; k < rows; k++) {
			struct mres *m = c->nmetrics ? &c->m[k] : NULL;
			char g[8] = "", r[8] = "", nb[16], nc[16];
			if (m && m->grade >= 0)
				snprintf(g, sizeof(g), "%d", m->grade);
			if (m && m->rank)
				snprintf(r, sizeof(r), "%d", m->rank);
			snprintf(nb, sizeof(nb), "%zu", m ? m->nb : 0);
			snprintf(nc, sizeof(nc), "%zu", m ? m->nc : 0);
			csv_field(f, c->config, false);
			csv_field(f, c->backend, false);
			csv_field(f, c->resource, false);
			csv_field(f, c->scenario, false);
			csv_field(f, c->placement, false);
			csv_field(f, m ? m->def.name : "", false);
			csv_num(f, m ? m->d : NAN, false);
			csv_num(f, m ? m->lo : NAN, false);
			csv_num(f, m ? m->hi : NAN, false);
			csv_field(f, g, false);
			csv_field(f, r, false);
			csv_field(f, cg, false);
			csv_field(f, m && m->def.graded ? "1" : "0", false);
			csv_field(f, m ? m->def.unit : "", false);
			csv_num(f, m ? m->base_med : NAN, false);
			csv_num(f, m ? m->cont_med : NAN, false);
			csv_field(f, nb, false);
			csv_field(f, nc, false);
			csv_field(f, c->resolved, false);
			char np[16];
			snprintf(np, sizeof(np), "%zu", m ? m->npairs : 0);
			csv_field(f, c->status, false);
			csv_field(f, c->grade_note, false);
			csv_field(f, c->verdict, false);
			csv_field(f, m && m->ok ? (m->decided ? "1" : "0") : "", false);
			csv_field(f, np, false);
			csv_field(f, c->limit_note, false);
			csv_num(f, c->parity, true);
		}
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static int write_trials_csv(sqlite3 *db, const char *path)
{
	sqlite3_stmt *s;
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs("trial,seq,config,backend,resource,scenario,placement,kind,rep,status,cause,wall_s,"
	      "victim_startup_ms,metric,value\n",
	      f);
	if (sqlite3_prepare_v2(
		db,
		"SELECT t.id, t.seq, c.config, c.backend, c.resource, c.scenario,"
		" c.placement, t.kind, t.rep, t.status, COALESCE(t.cause,''), t.wall_s,"
		" t.victim_startup_ns, COALESCE(t.metrics_json,'{}')"
		" FROM trial t JOIN cell c ON c.id = t.cell_id ORDER BY t.seq",
		-1, &s, NULL) != SQLITE_OK) {
		fclose(f);
		return -EIO;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char pre[1024];
		int o = 0;
		char su[32] = "";
		if (sqlite3_column_type(s, 12) != SQLITE_NULL)
			snprintf(su, sizeof(su), "%.3f", (double)sqlite3_column_int64(s, 12) / 1e6);
		FILE *m = fmemopen(pre, sizeof(pre), "w");
		if (!m)
			continue;
		for (int i = 0; i < 11; i++)
			csv_field(m, col(s, i), false);
		csv_num(m, sqlite3_column_double(s, 11), false);
		csv_field(m, su, false);
		o = (int)ftell(m);
		fclose(m);
		pre[o < (int)sizeof(pre) ? o : (int)sizeof(pre) - 1] = 0;
		json_object *j = json_tokener_parse(col(s, 13));
		bool any = false;
		if (j && json_object_is_type(j, json_type_object)) {
			json_object_object_foreach(j, key, val)
			{
				fputs(pre, f);
				csv_field(f, key, false);
				csv_num(f, json_object_get_double(val), true);
				any = true;
			}
		}
		if (!any) {
			fputs(pre, f);
			csv_field(f, "", false);
			csv_field(f, "", true);
		}
		json_object_put(j);
	}
	sqlite3_finalize(s);
	return fclose(f) == 0 ? 0 : -errno;
}

/* The limit a configuration declares on a resource, as "key = value", or "" when it
 * declares none: a held-back aggressor is then isolation, not a weak aggressor. */
static void config_limit(sqlite3 *db, const char *config, const char *resource, char *out,
			 size_t size)
{
	static const struct {
		const char *resource, *key, *values; /* values: "" any, else ",a,b," */
	} limits[] = {
	    {"cpu", "cpu.max", ""},
	    {"cpu", "cpuset", ""},
	    {"cpu", "cpu.weight", ""},
	    {"cpu", "cgroups", ",partitioned,capped,fair,"},
	    {"cpu", "vcpus", ""},
	    {"memory", "memory.max", ""},
	    {"memory", "memory.low", ""},
	    {"memory", "cgroups", ",partitioned,capped,fair,"},
	    {"memory", "memory", ""},
	    {"disk", "io.rbps", ""},
	    {"disk", "io.wbps", ""},
	    {"disk", "io.riops", ""},
	    {"disk", "io.wiops", ""},
	    {"disk", "io.weight", ""},
	    {"disk", "cgroups", ",partitioned,capped,"},
	    {"network", "net.rate", ""},
	    {"network", "cgroups", ",fair,partitioned,capped,"},
	    {"pids", "pids.max", ""},
	    {"pids", "cgroups", ",partitioned,capped,fair,"},
	};
	sqlite3_stmt *s;
	out[0] = 0;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(options_json,'{}') FROM config WHERE name=?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, config, -1, SQLITE_STATIC);
	json_object *o = sqlite3_step(s) == SQLITE_ROW ? json_tokener_parse(col(s, 0)) : NULL;
	sqlite3_finalize(s);
	for (size_t i = 0; o && i < ISB_ARRAY_SIZE(limits) && !out[0]; i++) {
		json_object *v;
		if (strcmp(limits[i].resource, resource) ||
		    !json_object_object_get_ex(o, limits[i].key, &v))
			continue;
		char want[80];
		snprintf(want, sizeof(want), ",%s,", json_object_get_string(v));
		if (!limits[i].values[0] || strstr(limits[i].values, want))
			snprintf(out, size, "%s = %s", limits[i].key, json_object_get_string(v));
	}
	json_object_put(o);
}

/* For a disk cell: the median share of the bytes a tenant reported that the host's block
 * layer saw it issue over the victim's window (the eBPF block probe); NAN where it cannot
 * tell (no probe, or nothing reported). A sandbox's or a guest's page cache, or O_DIRECT
 * not honoured, serves I/O that never reaches the device: that cell measures a cache. */
static double jpath(json_object *o, const char *path);

static double device_share(sqlite3 *db, const struct cell *c, bool aggressor)
{
	sqlite3_stmt *s;
	struct vec v = {0};
	if (sqlite3_prepare_v2(db,
			       "SELECT attribution_json, metrics_json, aggressor_json FROM trial"
			       " WHERE cell_id = ? AND status = 'ok' AND kind = ?"
			       " AND attribution_json IS NOT NULL",
			       -1, &s, NULL) != SQLITE_OK)
		return NAN;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_text(s, 2, aggressor ? "contended" : "baseline", -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_object *a = json_tokener_parse(col(s, 0));
		json_object *m = json_tokener_parse(col(s, aggressor ? 2 : 1));
		double win = jpath(a, "window_s");
		/* the host's count of its block requests: its cgroup's where it has one (a
		 * throttled bio is dispatched by a kernel worker, not the tenant's thread the
		 * probe follows), else the probe's */
		double dev = jpath(a, aggressor ? "host/aggressor/cg_blk_write_bytes"
						: "host/victim/cg_blk_read_bytes");
		if (!isfinite(dev))
			dev = jpath(a, aggressor ? "host/aggressor/blk_write_bytes"
						 : "host/victim/blk_read_bytes");
		if (!isfinite(dev)) /* a campaign before the host-side counts */
			dev = jpath(a,
				    aggressor ? "bpf/bio/aggressor/bytes" : "bpf/bio/victim/bytes");
		double rate = jpath(m, aggressor ? "metrics/bytes_per_s" : "bytes_per_s");
		if (isfinite(win) && isfinite(dev) && isfinite(rate) && rate * win > 0)
			vpush(&v, dev / (rate * win));
		json_object_put(a);
		json_object_put(m);
	}
	sqlite3_finalize(s);
	double r = v.n ? isb_median(v.v, v.n) : NAN;
	free(v.v);
	return r;
}

/* Aggressor parity and the victim's reach, against native in the same campaign. An
 * aggressor that achieved less than half of native's pressure was either held back by a
 * limit the configuration declares on that resource (that is the isolation) or slowed by
 * the configuration's overhead (a sandbox, an emulator): then the cell cannot show
 * isolation and is set apart. So is a victim whose baseline is far below native's (it
 * cannot load the resource, so it is less sensitive to a neighbour). */
static void parity_check(sqlite3 *db, struct cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		if (c->grade < 0 || c->verdict[0])
			continue;
		const struct cell *r = NULL;
		for (size_t j = 0; j < n && !r && strcmp(c->backend, "native"); j++)
			if (!strcmp(cells[j].backend, "native") &&
			    !strcmp(cells[j].scenario, c->scenario) &&
			    !strcmp(cells[j].placement, c->placement))
				r = &cells[j];
		if (!strcmp(c->resource, "disk")) {
			/* The victim's O_DIRECT reads must reach the device. The aggressor's
			 * share is judged against native's: the probe sees a writer's requests
			 * only over the victim's window, where native sets the reference. */
			double vs = device_share(db, c, false), as = device_share(db, c, true);
			double ar = r ? device_share(db, r, true) : NAN;
			if (isfinite(vs) && vs < 0.5)
				snprintf(c->verdict, sizeof(c->verdict),
					 "not measurable: I/O served from a cache (the victim's "
					 "block requests carried %.0f %% of the bytes it read)",
					 100 * vs);
			else if (isfinite(as) && isfinite(ar) && ar > 0 && as < 0.5 * ar)
				snprintf(
				    c->verdict, sizeof(c->verdict),
				    "not measurable: I/O served from a cache (the aggressor's "
				    "block requests carried %.2f of native's share of the bytes "
				    "it wrote)",
				    as / ar);
			if (c->verdict[0]) {
				c->grade = -1;
				continue;
			}
		}
		if (!r)
			continue;
		char limit[160];
		config_limit(db, c->config, c->resource, limit, sizeof(limit));
		if (!strcmp(r->press1_key, c->press1_key) && isfinite(r->press1) &&
		    isfinite(c->press1) && r->press1 > 0)
			c->parity = c->press1 / r->press1;
		if (isfinite(c->parity) && c->parity < 0.5) {
			double q = c->parity;
			if (limit[0])
				snprintf(c->limit_note, sizeof(c->limit_note),
					 "aggressor held to %.0f %% of native's %s by %s", 100 * q,
					 c->press1_key, limit);
			else
				snprintf(c->verdict, sizeof(c->verdict),
					 "not demonstrated: weak aggressor (%.2f of native's %s; "
					 "no limit declared)",
					 q, c->press1_key);
		}
		if (c->verdict[0])
			c->grade = -1;
		/* Reach matters where the victim's own demand loads the shared resource (a
		 * device's queue, a link); a slow CPU victim (TCG) still uses its whole CPU. */
		if (c->verdict[0] || c->worst < 0 ||
		    (strcmp(c->resource, "disk") && strcmp(c->resource, "network")))
			continue;
		const struct mres *m = &c->m[c->worst], *b = NULL;
		for (size_t k = 0; k < r->nmetrics; k++)
			if (!strcmp(r->m[k].def.name, m->def.name))
				b = &r->m[k];
		if (!b || !isfinite(b->base_med) || !isfinite(m->base_med) || b->base_med <= 0 ||
		    m->base_med <= 0)
			continue;
		double reach =
		    m->def.higher ? m->base_med / b->base_med : b->base_med / m->base_med;
		if (reach >= 0.35)
			continue;
		if (limit[0]) {
			size_t o = strlen(c->limit_note);
			snprintf(c->limit_note + o, sizeof(c->limit_note) - o,
				 "%svictim's baseline %.2f of native's (%s)", o ? "; " : "", reach,
				 limit);
		} else {
			snprintf(c->verdict, sizeof(c->verdict),
				 "not demonstrated: weak victim (its baseline %s is %.2f of "
				 "native's)",
				 m->def.name, reach);
			c->grade = -1;
		}
	}
}

static void md_cell_name(char *buf, size_t size, const struct cell *c)
{
	if (strcmp(c->placement, c->resolved) && c->resolved[0])
		snprintf(buf, size, "%s (%s)", c->placement, c->resolved);
	else
		snprintf(buf, size, "%s", c->placement);
}

/* Overhead: each configuration's baseline beside native's for the same scenario and
 * placement, metric by metric: what the isolation costs when nobody is noisy. */
static void overhead_section(FILE *f, const struct cell *cells, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		if (!strcmp(c->backend, "native"))
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct cell *r = &cells[j];
			if (strcmp(r->backend, "native") || strcmp(r->scenario, c->scenario) ||
			    strcmp(r->placement, c->placement))
				continue;
			for (size_t k = 0; k < c->nmetrics; k++) {
				const struct mres *m = &c->m[k];
				const struct mres *b = NULL;
				for (size_t q = 0; q < r->nmetrics; q++)
					if (!strcmp(r->m[q].def.name, m->def.name))
						b = &r->m[q];
				/* the rate and the per-call cost; latencies are in Metrics */
				if (!b || !m->nb || !b->nb || !isfinite(m->base_med) ||
				    !isfinite(b->base_med) || b->base_med <= 0 ||
				    m->base_med <= 0 ||
				    (!strstr(m->def.name, "per_s") &&
				     strcmp(m->def.name, "ns_per_call") &&
				     strcmp(m->def.name, "iops")))
					continue;
				if (!any)
					fprintf(
					    f,
					    "\n## Overhead (baseline against native's baseline)\n\n"
					    "Overhead = 1 − config/native for a rate, 1 − "
					    "native/config for a cost; × is config/native. Beside "
					    "each: the cell's isolation grade.\n\n"
					    "| config | scenario | placement | metric | native | config "
					    "| × | overhead | grade |\n|---|---|---|---|---|---|---|---|---|\n");
				any = true;
				double ratio = m->base_med / b->base_med;
				double ov = m->def.higher ? 1 - ratio : 1 - 1 / ratio;
				char nb[32], cb[32], g[16] = "-";
				fmt_num(nb, sizeof(nb), b->base_med);
				fmt_num(cb, sizeof(cb), m->base_med);
				if (c->grade >= 0)
					snprintf(g, sizeof(g), "%d", c->grade);
				fprintf(f,
					"| %s | %s | %s | %s | %s | %s | %.2f | %.1f %% | %s |\n",
					c->config, c->scenario, c->placement, m->def.name, nb, cb,
					ratio, 100 * ov, g);
			}
		}
	}
}

/* ---- attribution: through which channel the victim suffered ---- */

/* A number at a '/'-separated path of a JSON document (keys may hold dots); NAN if absent. */
static double jpath(json_object *o, const char *path)
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

/* Where a loss comes from: a neighbour (the aggressor took the CPU, the queue, the memory),
 * the victim's own limit (its quota, its memory or io limit: not a failure of isolation),
 * or the host (steal time, other tasks). Production noisy-neighbour monitors draw the
 * same line, and a ranking must not blame isolation for a victim's own quota. */
enum source { SRC_NEIGHBOUR, SRC_LIMIT, SRC_HOST };
static const char *const source_names[] = {"neighbour", "own limit", "host"};

static const struct channel {
	const char *label, *path, *unit;
	double scale; /* to the unit */
	double floor; /* growth below this is noise */
	enum source src;
} channels[] = {
    {"run-queue wait", "bpf/runq/wait_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"block I/O latency (mean)", "bpf/bio/victim/mean_ns", "ms", 1e-6, 0.05, SRC_NEIGHBOUR},
    {"block queue depth met", "bpf/bio/victim/qd_mean", "requests", 1, 1, SRC_NEIGHBOUR},
    {"direct reclaim and compaction stalls", "bpf/reclaim/stall_ms_per_s", "ms/s", 1, 1,
     SRC_NEIGHBOUR},
    {"softirq time on its CPUs", "bpf/softirq/total_ms_per_s", "ms/s", 1, 5, SRC_NEIGHBOUR},
    {"NET_RX softirq time on its CPUs", "bpf/softirq/net_rx_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"NET_TX softirq time on its CPUs", "bpf/softirq/net_tx_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"CPU pressure (PSI some)", "psi/cpu/some_ms_per_s", "ms/s", 1, 20, SRC_NEIGHBOUR},
    {"memory pressure (PSI some)", "psi/memory/some_ms_per_s", "ms/s", 1, 5, SRC_NEIGHBOUR},
    {"I/O pressure (PSI some)", "psi/io/some_ms_per_s", "ms/s", 1, 20, SRC_NEIGHBOUR},
    {"steal time (the hypervisor under this host)", "psi/steal/ms_per_s", "ms/s", 1, 20, SRC_HOST},
    {"cgroup CPU throttling", "cgroup/cpu.stat.throttled_usec", "ms", 1e-3, 5, SRC_LIMIT},
    {"cgroup CPU throttling", "cgroup/cpu.stat.throttled_time", "ms", 1e-6, 5, SRC_LIMIT},
    {"cgroup memory high/max events", "cgroup/memory.events.max", "events", 1, 1, SRC_LIMIT},
    {"cgroup memory high events", "cgroup/memory.events.high", "events", 1, 1, SRC_LIMIT},
    {"cgroup memory limit hits", "cgroup/memory.failcnt", "events", 1, 1, SRC_LIMIT},
    {"context switches", "perf/context_switches_per_s", "/s", 1, 50, SRC_NEIGHBOUR},
    {"page faults", "perf/page_faults_per_s", "/s", 1, 500, SRC_NEIGHBOUR},
};
#define NCHAN (sizeof(channels) / sizeof(channels[0]))

/* The channels that grew most from baseline to contended, as text; "" when none did. */
static void attribute_cell(sqlite3 *db, const struct cell *c, char *out, size_t size, char *bpf_why,
			   size_t why_size, char *source, size_t source_size)
{
	source[0] = 0;
	sqlite3_stmt *s;
	out[0] = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, attribution_json FROM trial WHERE cell_id = ? AND"
			       " status = 'ok' AND attribution_json IS NOT NULL",
			       -1, &s, NULL) != SQLITE_OK)
		return; /* a campaign before schema 3 */
	sqlite3_bind_int64(s, 1, c->id);
	struct vec v[NCHAN][2], share = {0};
	memset(v, 0, sizeof(v));
	while (sqlite3_step(s) == SQLITE_ROW) {
		bool cont = !strcmp(col(s, 0), "contended");
		json_object *j = json_tokener_parse(col(s, 1)), *u;
		if (!j)
			continue;
		for (size_t k = 0; k < NCHAN; k++) {
			double x = jpath(j, channels[k].path);
			if (isfinite(x))
				vpush(&v[k][cont], x * channels[k].scale);
		}
		double sh = jpath(j, "bpf/runq/aggressor_share");
		if (cont && isfinite(sh))
			vpush(&share, sh);
		json_object *b;
		if (!bpf_why[0] && json_object_object_get_ex(j, "bpf", &b) &&
		    json_object_object_get_ex(b, "unavailable", &u))
			snprintf(bpf_why, why_size, "%s", json_object_get_string(u));
		json_object_put(j);
	}
	sqlite3_finalize(s);
	struct {
		size_t k;
		double b, c, score;
	} best[NCHAN];
	size_t nb = 0;
	for (size_t k = 0; k < NCHAN; k++) {
		if (!v[k][0].n || !v[k][1].n)
			continue;
		double b = isb_median(v[k][0].v, v[k][0].n), cc = isb_median(v[k][1].v, v[k][1].n);
		double grow = cc - b;
		/* grown beyond noise: by its floor and by half again its baseline */
		if (grow > channels[k].floor && cc > 1.5 * b) {
			best[nb].k = k;
			best[nb].b = b;
			best[nb].c = cc;
			best[nb++].score = grow / (b > channels[k].floor ? b : channels[k].floor);
		}
	}
	for (size_t i = 0; i < nb; i++) /* largest relative growth first */
		for (size_t j = i + 1; j < nb; j++)
			if (best[j].score > best[i].score) {
				__typeof__(best[0]) t = best[i];
				best[i] = best[j];
				best[j] = t;
			}
	size_t o = 0;
	bool from[3] = {false};
	for (size_t i = 0; i < nb && i < 3; i++) {
		const struct channel *ch = &channels[best[i].k];
		enum source src = ch->src;
		/* run-queue wait behind tasks other than the aggressor: the host's */
		if (!strcmp(ch->path, "bpf/runq/wait_ms_per_s") && share.n &&
		    isb_median(share.v, share.n) < 0.5)
			src = SRC_HOST;
		from[src] = true;
	}
	for (size_t i = 0, so = 0; i < 3 && so < source_size; i++)
		if (from[i])
			so += (size_t)snprintf(source + so, source_size - so, "%s%s",
					       so ? ", " : "", source_names[i]);
	for (size_t i = 0; i < nb && i < 3 && o < size; i++) {
		const struct channel *ch = &channels[best[i].k];
		char b[32], cc[32], g[32];
		fmt_num(b, sizeof(b), best[i].b);
		fmt_num(cc, sizeof(cc), best[i].c);
		fmt_num(g, sizeof(g), best[i].c - best[i].b);
		o += (size_t)snprintf(out + o, size - o, "%s%s +%s %s (%s → %s)", o ? "; " : "",
				      ch->label, g, ch->unit, b, cc);
		if (!strcmp(ch->path, "bpf/runq/wait_ms_per_s") && share.n && o < size)
			o += (size_t)snprintf(out + o, size - o,
					      ", the aggressor preempted the victim %.0f %% of the "
					      "time",
					      100 * isb_median(share.v, share.n));
	}
	for (size_t k = 0; k < NCHAN; k++) {
		free(v[k][0].v);
		free(v[k][1].v);
	}
	free(share.v);
}

/* ---- network attribution: the network stack's work on the victim's CPUs, the link ---- */

/* For a network cell: the growth of NET_RX and NET_TX softirq time on the CPUs the victim
 * ran on (the kernel's network stack, working for whoever sent or received, on the victim's
 * CPU) and of the victim's run-queue wait, each named when it grew beyond its noise floor;
 * on a shaped link (link_rate), how busy the link was and what it dropped, in the contended
 * trials against the baseline ones (medians). */
static void network_attribution(sqlite3 *db, const struct cell *c, const char *named, char *out,
				size_t size)
{
	enum { NRX, NTX, RUNQ, LUTIL, LDROP, LVDROP, LBYTES, LVBYTES, NCH };
	static const struct {
		const char *label, *path;
		double floor; /* ms/s, for the growth channels */
	} ch[NCH] = {
	    {"NET_RX softirq", "bpf/softirq/net_rx_ms_per_s", 2},
	    {"NET_TX softirq", "bpf/softirq/net_tx_ms_per_s", 2},
	    {"run-queue wait", "bpf/runq/wait_ms_per_s", 2},
	    {"link utilisation", "link/utilisation", 0},
	    {"link drops", "link/drops_per_s", 0},
	    {"victim class drops", "link/victim_class/drops_per_s", 0},
	    {"link bytes", "link/bytes_per_s", 0},
	    {"victim class bytes", "link/victim_class/bytes_per_s", 0},
	};
	struct vec v[NCH][2];
	double med[NCH][2];
	sqlite3_stmt *s;
	bool any = false;
	size_t o = 0;
	out[0] = 0;
	if (strcmp(c->resource, "network"))
		return;
	memset(v, 0, sizeof(v));
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, attribution_json FROM trial WHERE cell_id = ? AND"
			       " status = 'ok' AND attribution_json IS NOT NULL",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, c->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		bool cont = !strcmp(col(s, 0), "contended");
		json_object *j = json_tokener_parse(col(s, 1));
		for (size_t k = 0; j && k < NCH; k++) {
			double x = jpath(j, ch[k].path);
			if (isfinite(x))
				vpush(&v[k][cont], x);
		}
		json_object_put(j);
	}
	sqlite3_finalize(s);
	for (size_t k = 0; k < NCH; k++)
		for (int m = 0; m < 2; m++)
			med[k][m] = v[k][m].n ? isb_median(v[k][m].v, v[k][m].n) : NAN;
	for (size_t k = NRX; k <= RUNQ && o < size; k++) {
		double b = med[k][0], cc = med[k][1];
		if (!isfinite(b) || !isfinite(cc) || cc - b <= ch[k].floor || cc <= 1.5 * b)
			continue;
		any = true;
		if (strstr(named, ch[k].label))
			continue; /* the channels before it named it already */
		char bs[32], cs[32], gs[32];
		fmt_num(bs, sizeof(bs), b);
		fmt_num(cs, sizeof(cs), cc);
		fmt_num(gs, sizeof(gs), cc - b);
		o += (size_t)snprintf(out + o, size - o, "%s%s +%s ms/s (%s → %s)%s",
				      o ? "; " : "network: ", ch[k].label, gs, bs, cs,
				      k < RUNQ ? " on the victim's CPUs" : "");
	}
	if (!any && isfinite(med[NRX][0]) && isfinite(med[NRX][1]) && o < size)
		o += (size_t)snprintf(out + o, size - o,
				      "network: neither NET_RX/NET_TX softirq time nor run-queue "
				      "wait grew");
	if (isfinite(med[LUTIL][0]) && isfinite(med[LUTIL][1]) && o < size) {
		char d[32];
		fmt_num(d, sizeof(d), isfinite(med[LDROP][1]) ? med[LDROP][1] : 0);
		o += (size_t)snprintf(out + o, size - o,
				      "%sthe shared link was %.0f %% busy beside the aggressor "
				      "(%.0f %% with the victim alone) and dropped %s packets/s",
				      o ? "; " : "network: ", 100 * med[LUTIL][1],
				      100 * med[LUTIL][0], d);
		if (isfinite(med[LVDROP][1]) && o < size)
			o += (size_t)snprintf(out + o, size - o, ", %s in the victim's own class",
					      med[LVDROP][1] > 0 ? "some" : "none");
		if (isfinite(med[LVBYTES][1]) && med[LBYTES][1] > 0 && o < size)
			o += (size_t)snprintf(out + o, size - o,
					      "; the victim's class carried %.0f %% of it",
					      100 * med[LVBYTES][1] / med[LBYTES][1]);
	}
	for (size_t k = 0; k < NCH; k++) {
		free(v[k][0].v);
		free(v[k][1].v);
	}
}

static void attribution_section(FILE *f, sqlite3 *db, const struct cell *cells, size_t n)
{
	char why[300] = "";
	bool head = false;
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		char text[1024], pl[48], src[64];
		if (c->grade < 0 || c->grade >= 4)
			continue; /* isolated or ungraded: nothing to explain */
		attribute_cell(db, c, text, sizeof(text), why, sizeof(why), src, sizeof(src));
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
		char net[400];
		network_attribution(db, c, text, net, sizeof(net));
		fprintf(f, "| %s | %s | %s | %d | %s | %s%s%s |\n", c->config, c->scenario, pl,
			c->grade, src[0] ? src : "—",
			text[0] ? text : "no channel grew beyond its noise floor",
			net[0] ? "; " : "", net);
	}
	if (why[0])
		fprintf(f, "\nKernel probes (eBPF) unavailable: %s.\n", why);
}

/* The leaves a victim's probe can see. On the host: all of them (container, sandbox, and
 * hypervisor leaves, which it never sees there). Inside gVisor it sees gVisor's own kernel:
 * namespaces and capabilities, not the host's cgroups nor the platform under it (its
 * signature stands for those). Inside a VM: the hypervisor leaves, not the cgroup around
 * QEMU. Keeps the visible ones of a "A,B,C" list, in order. */
static void visible_leaves(const char *in, bool gvisor, bool guest, char *out, size_t size)
{
	char buf[256];
	size_t o = 0;
	out[0] = 0;
	snprintf(buf, sizeof(buf), "%s", in ? in : "");
	for (char *save, *t = strtok_r(buf, ",", &save); t && o < size;
	     t = strtok_r(NULL, ",", &save))
		if (gvisor  ? !strcmp(t, "CT_NS") || !strcmp(t, "CT_CAPS")
		    : guest ? !strncmp(t, "HV_", 3)
			    : true)
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "," : "", t);
}

/* Each configuration's declared leaves beside the leaves its victims' probe saw. */
static void leaves_section(FILE *f, sqlite3 *db)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(
		db,
		"SELECT name, backend, class, COALESCE(declared_leaves,''), COALESCE(cgroup_note,''),"
		" available, (SELECT group_concat(p, ' | ') FROM (SELECT DISTINCT"
		" COALESCE(t.probed_leaves,'') || CASE WHEN json_extract(t.probe_json, '$.gvisor')"
		" THEN ' (gVisor)' ELSE '' END AS p FROM trial t JOIN cell c ON c.id = t.cell_id"
		" WHERE c.config = config.name AND t.probe_json IS NOT NULL)) FROM config ORDER BY rowid",
		-1, &s, NULL) != SQLITE_OK)
		return; /* a schema 1 campaign: no probes were stored */
	fprintf(f, "## Configurations: declared and probed leaves\n\n"
		   "| config | backend | class | declared | probed (victims) | check | setup |\n"
		   "|---|---|---|---|---|---|---|\n");
	while (sqlite3_step(s) == SQLITE_ROW) {
		char want[256], seen[256], check[300] = "no probe";
		const char *probed = (const char *)sqlite3_column_text(s, 6);
		bool gv = probed && strstr(probed, "(gVisor)");
		/* inside a VM the probe sees the hypervisor, not the cgroup around QEMU */
		bool guest = !strcmp(col(s, 2), "hypervisor");
		visible_leaves(col(s, 3), gv, guest, want, sizeof(want));
		if (probed) {
			snprintf(check, sizeof(check), "ok");
			char buf[1024];
			snprintf(buf, sizeof(buf), "%s", probed);
			for (char *save, *t = strtok_r(buf, "|", &save); t;
			     t = strtok_r(NULL, "|", &save)) {
				char *mark = strstr(t, " (gVisor)");
				if (mark)
					*mark = 0;
				visible_leaves(isb_trim(t), gv, guest, seen, sizeof(seen));
				if (strcmp(seen, want)) {
					snprintf(check, sizeof(check),
						 "**MISMATCH**: declared %s, probe saw %s",
						 want[0] ? want : "none", seen[0] ? seen : "none");
					break;
				}
			}
		}
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", col(s, 0), col(s, 1),
			col(s, 2), col(s, 3)[0] ? col(s, 3) : "none",
			probed ? (probed[0] ? probed : "none") : "-", check,
			sqlite3_column_int(s, 5) ? col(s, 4) : "unavailable");
	}
	sqlite3_finalize(s);
	fprintf(f, "\n");
}

/* Memory bandwidth and the last-level cache: only resctrl (Intel RDT, AMD PQoS) can give a
 * tenant its own share. Where the campaign's host had none (its host JSON says why), the
 * cells whose aggressor contends for them are not ranked: no configuration there could
 * isolate them, and an order would only rank noise. 1 (no resctrl) or 2 (resctrl without
 * that allocation) with why filled, 0 where the host had the mechanism (or an older campaign
 * did not record it). */
static int no_membw_mechanism(sqlite3 *db, bool cache, char *why, size_t size)
{
	sqlite3_stmt *s;
	int r = 0;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(host_json,'{}') FROM campaign", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		json_object *h = json_tokener_parse(col(s, 0)), *rd, *x;
		if (h && json_object_object_get_ex(h, "resctrl", &rd)) {
			bool avail = json_object_object_get_ex(rd, "available", &x) &&
				     json_object_get_boolean(x);
			bool part = avail &&
				    json_object_object_get_ex(rd, cache ? "l3" : "mb", &x) &&
				    !json_object_get_boolean(x);
			if (!avail || part) {
				r = avail ? 2 : 1;
				snprintf(why, size, "%s",
					 json_object_object_get_ex(rd, "reason", &x)
					     ? json_object_get_string(x)
					     : "unknown reason");
			}
		}
		json_object_put(h);
	}
	sqlite3_finalize(s);
	return r;
}

/* -1: not a memory-bandwidth or cache cell; 0: memory bandwidth (MB); 1: cache (L3). */
static int membw_kind(const struct cell *c)
{
	if (!strcmp(c->aggressor, "cache.thrash") || !strcmp(c->resource, "cache"))
		return 1;
	return !strcmp(c->aggressor, "memory.bandwidth") ? 0 : -1;
}

static int write_report_md(sqlite3 *db, const char *path, struct cell *cells, size_t n,
			   const double thr[4], bool grade_by_upper)
{
	FILE *f = fopen(path, "we");
	sqlite3_stmt *s;
	if (!f)
		return -errno;
	fprintf(f, "# isobench report\n\n");
	if (sqlite3_prepare_v2(
		db,
		"SELECT id, status, seed, COALESCE(suite_path,''), COALESCE(argv,''),"
		" COALESCE(host_json,'{}'), started_ns, finished_ns FROM campaign",
		-1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			json_object *h = json_tokener_parse(col(s, 5)), *x, *t;
			fprintf(
			    f,
			    "| campaign | %s |\n|---|---|\n| status | %s |\n| seed | %s |\n| suite | %s |\n| command | `%s` |\n",
			    col(s, 0), col(s, 1), col(s, 2), col(s, 3), col(s, 4));
			if (sqlite3_column_type(s, 7) != SQLITE_NULL)
				fprintf(f, "| duration | %.0f s |\n",
					(double)(sqlite3_column_int64(s, 7) -
						 sqlite3_column_int64(s, 6)) /
					    1e9);
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
			json_object_put(h);
		}
		sqlite3_finalize(s);
	}
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
	    grade_by_upper ? "the upper bound of the interval" : "the point estimate", thr[0],
	    thr[1], thr[2], thr[3]);

	{
		/* Precision: how sharp the grades are, over the cells that grade. */
		struct vec hw = {0};
		int undecided = 0;
		for (size_t i = 0; i < n; i++)
			if (cells[i].grade >= 0 && cells[i].worst >= 0) {
				const struct mres *m = &cells[i].m[cells[i].worst];
				vpush(&hw, (m->hi - m->lo) / 2);
				undecided += !m->decided;
			}
		if (hw.n)
			fprintf(f,
				"Precision: the median 95 %% half-width of d over the %zu graded "
				"cells is %.3f; %d of them are undecided (~).\n\n",
				hw.n, isb_median(hw.v, hw.n), undecided);
		free(hw.v);
	}
	leaves_section(f, db);

	fprintf(
	    f,
	    "## Grades\n\n| config | backend | resource | scenario | placement | grade | decided by | d [95 %% CI] | trials (base/cont) | aggressor achieved |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		char pl[48], g[48], dd[96] = "—", by[64] = "—";
		md_cell_name(pl, sizeof(pl), c);
		bool undecided = c->worst >= 0 && !c->m[c->worst].decided && c->grade > 0;
		if (c->verdict[0])
			snprintf(g, sizeof(g), "%s",
				 !strncmp(c->verdict, "not measurable", 14) ? "not measurable"
									    : "not demonstrated");
		else if (c->grade >= 0)
			snprintf(g, sizeof(g), "**%s%d** %s", undecided ? "~" : "", c->grade,
				 isb_grade_name(c->grade));
		else
			snprintf(g, sizeof(g), "%s",
				 !strcmp(c->status, "skipped") ? "skipped" : "ungraded");
		if (c->worst >= 0) {
			struct mres *m = &c->m[c->worst];
			snprintf(by, sizeof(by), "%s", m->def.name);
			snprintf(dd, sizeof(dd), "%.3f [%.3f, %.3f]%s", m->d, m->lo, m->hi,
				 c->facilitation ? " facilitation: the victim did better beside "
						   "the aggressor"
						 : "");
		}
		if (c->verdict[0])
			snprintf(by, sizeof(by), "%.60s", c->verdict);
		else if (c->grade_note[0])
			snprintf(by, sizeof(by), "%.60s", c->grade_note);
		char lim[260] = "";
		if (isfinite(c->parity))
			snprintf(lim, sizeof(lim), " (%.2f of native's)", c->parity);
		if (c->limit_note[0]) {
			size_t o = strlen(lim);
			snprintf(lim + o, sizeof(lim) - o, "; %s", c->limit_note);
		}
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %d/%d | %s%s |\n", c->config,
			c->backend, c->resource, c->scenario, pl, g, by, dd, c->nbase_ok,
			c->ncont_ok, c->pressure[0] ? c->pressure : "—", lim);
	}

	/* Ranking per resource: each configuration by its worst graded cell. */
	fprintf(
	    f,
	    "\n## Ranking per resource\n\nEach configuration is represented by its worst graded cell of that resource; ranks tie where 95 %% intervals overlap.\n\n| resource | rank | config | worst cell | d [95 %% CI] | grade |\n|---|---|---|---|---|---|\n");
	static const char *const res[] = {"cpu", "memory", "disk", "network", "pids", "cache"};
	char nomech_why[2][320];
	int nomech[2] = {no_membw_mechanism(db, false, nomech_why[0], sizeof(nomech_why[0])),
			 no_membw_mechanism(db, true, nomech_why[1], sizeof(nomech_why[1]))};
	size_t nomech_cells = 0;
	for (size_t i = 0; i < n; i++)
		nomech_cells += membw_kind(&cells[i]) >= 0 && nomech[membw_kind(&cells[i])] &&
				strcmp(cells[i].status, "skipped");
	for (size_t r = 0; r < ISB_ARRAY_SIZE(res); r++) {
		size_t idx[64], g = 0;
		for (size_t i = 0; i < n && g < 64; i++) {
			struct cell *c = &cells[i];
			if (strcmp(c->resource, res[r]) || c->worst < 0 || c->verdict[0])
				continue;
			if (membw_kind(c) >= 0 && nomech[membw_kind(c)])
				continue; /* not ranked: see below the table */
			size_t j;
			for (j = 0; j < g; j++)
				if (!strcmp(cells[idx[j]].config, c->config))
					break;
			if (j == g)
				idx[g++] = i;
			else if (c->grade < cells[idx[j]].grade ||
				 (c->grade == cells[idx[j]].grade &&
				  c->m[c->worst].d > cells[idx[j]].m[cells[idx[j]].worst].d))
				idx[j] = i;
		}
		if (!g)
			continue;
		double d[64], lo[64], hi[64];
		int rk[64];
		for (size_t j = 0; j < g; j++) {
			struct mres *m = &cells[idx[j]].m[cells[idx[j]].worst];
			d[j] = m->d;
			lo[j] = m->lo;
			hi[j] = m->hi;
		}
		isb_rank(d, lo, hi, g, rk);
		for (int want = 1; want <= (int)g; want++)
			for (size_t j = 0; j < g; j++) {
				if (rk[j] != want)
					continue;
				struct cell *c = &cells[idx[j]];
				fprintf(f, "| %s | %d | %s | %s/%s | %.3f [%.3f, %.3f] | %d %s |\n",
					res[r], rk[j], c->config, c->scenario, c->placement, d[j],
					lo[j], hi[j], c->grade, isb_grade_name(c->grade));
			}
	}

	if (nomech_cells) {
		fprintf(f,
			"\nMemory bandwidth and cache (%zu cell%s whose aggressor is "
			"memory.bandwidth or cache.thrash, not ranked): no mechanism on this host "
			"can isolate memory bandwidth (%s%s). Every configuration shares "
			"the memory bus and the last-level cache; their grades above measure the "
			"interference, not a difference in isolation.\n",
			nomech_cells, nomech_cells == 1 ? "" : "s",
			(nomech[0] ? nomech[0] : nomech[1]) == 1 ? "no resctrl: " : "resctrl: ",
			nomech[0] ? nomech_why[0] : nomech_why[1]);
	}

	bool apart = false;
	for (size_t i = 0; i < n; i++) {
		if (!cells[i].verdict[0])
			continue;
		if (!apart)
			fprintf(f, "\nNot ranked (what was measured cannot say how well the "
				   "configuration isolates):\n\n");
		apart = true;
		fprintf(f, "- %s / %s / %s: %s\n", cells[i].config, cells[i].scenario,
			cells[i].placement, cells[i].verdict);
	}

	fprintf(
	    f,
	    "\n## Metrics\n\n| config | scenario | placement | metric | unit | baseline median | contended median | d [95 %% CI] | grade | rank | graded |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		for (size_t k = 0; k < c->nmetrics; k++) {
			struct mres *m = &c->m[k];
			char b[32], cc[32], pl[48];
			if (!m->ok)
				continue;
			md_cell_name(pl, sizeof(pl), c);
			fmt_num(b, sizeof(b), m->base_med);
			fmt_num(cc, sizeof(cc), m->cont_med);
			fprintf(
			    f,
			    "| %s | %s | %s | %s | %s | %s | %s | %.3f [%.3f, %.3f] | %d | %d | %s |\n",
			    c->config, c->scenario, pl, m->def.name, m->def.unit, b, cc, m->d,
			    m->lo, m->hi, m->grade, m->rank, m->def.graded ? "yes" : "no");
		}
	}

	overhead_section(f, cells, n);
	attribution_section(f, db, cells, n);

	fprintf(
	    f,
	    "\n## Counters of the victim (median baseline → contended)\n\n| config | scenario | placement | counters |\n|---|---|---|---|\n");
	char unavail[1024] = "";
	for (size_t i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		char pl[48];
		if (!c->counters[0])
			continue;
		md_cell_name(pl, sizeof(pl), c);
		fprintf(f, "| %s | %s | %s | %s |\n", c->config, c->scenario, pl, c->counters);
	}
	/* Why counters were unavailable: from the first trial that says so. */
	if (sqlite3_prepare_v2(
		db,
		"SELECT counters_json FROM trial WHERE counters_json IS NOT NULL ORDER BY seq LIMIT 1",
		-1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			json_object *j = json_tokener_parse(col(s, 0));
			size_t o = 0;
			if (j) {
				json_object_object_foreach(j, k, v)
				{
					json_object *u;
					if (json_object_object_get_ex(v, "unavailable", &u) &&
					    o < sizeof(unavail))
						o += (size_t)snprintf(unavail + o,
								      sizeof(unavail) - o,
								      "- %s: unavailable: %s\n", k,
								      json_object_get_string(u));
				}
			}
			json_object_put(j);
		}
		sqlite3_finalize(s);
	}
	if (unavail[0])
		fprintf(f, "\n%s", unavail);

	fprintf(
	    f,
	    "\n## Start-up time\n\n| config | backend | median victim start-up (spawn to ready) |\n|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(cells[j].config, cells[i].config);
		if (seen)
			continue;
		struct vec v = {0};
		for (size_t j = i; j < n; j++)
			if (!strcmp(cells[j].config, cells[i].config) &&
			    isfinite(cells[j].startup_ms))
				vpush(&v, cells[j].startup_ms);
		if (v.n)
			fprintf(f, "| %s | %s | %.2f ms |\n", cells[i].config, cells[i].backend,
				isb_median(v.v, v.n));
		free(v.v);
	}

	fprintf(f, "\n## Failed trials\n\n");
	int nf = 0;
	if (sqlite3_prepare_v2(
		db,
		"SELECT t.seq, c.config, c.scenario, c.placement, t.kind, t.cause FROM trial t JOIN cell c ON c.id=t.cell_id WHERE t.status<>'ok' ORDER BY t.seq",
		-1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			fprintf(f, "- trial %s (%s, %s, %s, %s): %s\n", col(s, 0), col(s, 1),
				col(s, 2), col(s, 3), col(s, 4), col(s, 5));
			nf++;
		}
		sqlite3_finalize(s);
	}
	if (!nf)
		fprintf(f, "None.\n");
	fprintf(f, "\n## Skipped cells\n\n");
	int ns = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cells[i].status, "skipped")) {
			fprintf(f, "- %s / %s / %s: %s\n", cells[i].config, cells[i].scenario,
				cells[i].placement, cells[i].reason);
			ns++;
		}
	if (!ns)
		fprintf(f, "None.\n");
	return fclose(f) == 0 ? 0 : -errno;
}

int isb_report_write(const char *dir, const struct isb_report_opts *o, struct isb_err *err)
{
	char path[1024];
	sqlite3 *db = NULL;
	snprintf(path, sizeof(path), "%s/results.db", dir);
	if (access(path, R_OK) != 0)
		return isb_errf(err, errno, "%s", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		isb_errf(err, 0, "open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EIO;
	}
	double thr[4] = {0.05, 0.15, 0.40, 0.80};
	unsigned resamples = 2000;
	uint64_t seed = 1;
	bool grade_by_upper = false;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT seed, COALESCE(settings_json,'{}') FROM campaign LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK) {
		isb_errf(err, 0, "%s: not an isobench results store: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EINVAL;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		seed = (uint64_t)sqlite3_column_int64(s, 0);
		json_object *j = json_tokener_parse(col(s, 1)), *x;
		if (j && json_object_object_get_ex(j, "thresholds", &x) &&
		    json_object_array_length(x) == 4)
			for (size_t i = 0; i < 4; i++)
				thr[i] = json_object_get_double(json_object_array_get_idx(x, i));
		if (j && json_object_object_get_ex(j, "bootstrap", &x))
			resamples = (unsigned)json_object_get_int(x);
		/* campaigns before schema 4 graded by the interval's upper bound */
		grade_by_upper = !j || !json_object_object_get_ex(j, "grade_by", &x) ||
				 !strcmp(json_object_get_string(x), "upper");
		json_object_put(j);
	}
	sqlite3_finalize(s);
	if (o && o->thresholds_set)
		memcpy(thr, o->thresholds, sizeof(thr));

	struct cell *cells = NULL;
	size_t n = 0;
	int r = load_cells(db, &cells, &n, err);
	if (r < 0) {
		sqlite3_close(db);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		analyse_cell(db, &cells[i], thr, resamples, seed, grade_by_upper);
	parity_check(db, cells, n);
	rank_cells(cells, n);

	snprintf(path, sizeof(path), "%s/cells.csv", dir);
	if ((r = write_cells_csv(path, cells, n)) < 0)
		isb_errf(err, r, "write %s", path);
	snprintf(path, sizeof(path), "%s/trials.csv", dir);
	if (r >= 0 && (r = write_trials_csv(db, path)) < 0)
		isb_errf(err, r, "write %s", path);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	if (r >= 0 && (r = write_report_md(db, path, cells, n, thr, grade_by_upper)) < 0)
		isb_errf(err, r, "write %s", path);
	if (r >= 0 && !(o && o->quiet)) {
		/* A short summary on stdout: results, one line per cell. */
		for (size_t i = 0; i < n; i++) {
			struct cell *c = &cells[i];
			if (c->verdict[0])
				printf("%-12s %-8s %-16s %-8s %s\n", c->config, c->resource,
				       c->scenario, c->placement, c->verdict);
			else if (c->worst >= 0)
				printf(
				    "%-12s %-8s %-16s %-8s grade %d %-9s %s d=%.3f [%.3f, %.3f]\n",
				    c->config, c->resource, c->scenario, c->placement, c->grade,
				    isb_grade_name(c->grade), c->m[c->worst].def.name,
				    c->m[c->worst].d, c->m[c->worst].lo, c->m[c->worst].hi);
			else
				printf("%-12s %-8s %-16s %-8s %s%s\n", c->config, c->resource,
				       c->scenario, c->placement,
				       c->grade == 0 ? "grade 0 none      " : "", c->grade_note);
		}
	}
	free(cells);
	sqlite3_close(db);
	return r < 0 ? r : 0;
}
