/*
 * `isobench compare A B`: did isolation change between two campaigns (a kernel, a runtime
 * version, a cgroup setting)? For every cell the two have in common and each of its graded
 * metrics: the change of d (B − A) with a seeded bootstrap 95 % interval of the difference,
 * a Mann-Whitney test of the two campaigns' per-pair ratios (contended over baseline, the
 * quantity d is made of) with p by permutation, Holm's correction over all the tests, the
 * grade and rank changes, and Kendall's tau-b between the two rankings of each resource.
 * Writes compare.md and compare.csv; the caller turns "something changed" into the exit
 * status, so a site can gate on it.
 */
#include "config.h"
#include "analysis/cells.h"
#include "analysis/multi.h"

#include "common/json.h"

#include <errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_MAX 200000u /* splits enumerated exactly at most */
#define PERMS	  20000u

double isb_mw_u(const double *x, size_t nx, const double *y, size_t ny)
{
	double u = 0;
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			u += x[i] > y[j] ? 1.0 : x[i] == y[j] ? 0.5 : 0.0;
	return u;
}

/* Mid-ranks (1-based) of v[0..n) into rk. */
static void midranks(const double *v, size_t n, double *rk)
{
	for (size_t i = 0; i < n; i++) {
		size_t below = 0, equal = 0;
		for (size_t j = 0; j < n; j++)
			below += v[j] < v[i], equal += v[j] == v[i];
		rk[i] = (double)below + ((double)equal + 1) / 2;
	}
}

struct enum_state {
	const double *rk;
	size_t n, k;
	double target, mu, off; /* |rank sum − mu| at least target counts */
	unsigned long long total, extreme;
};

static void enumerate(struct enum_state *s, size_t from, size_t left, double sum)
{
	if (!left) {
		s->total++;
		s->extreme += fabs(sum - s->mu) >= s->target - 1e-9;
		return;
	}
	for (size_t i = from; i + left <= s->n; i++)
		enumerate(s, i + 1, left - 1, sum + s->rk[i]);
}

static double choose(size_t n, size_t k)
{
	double c = 1;
	for (size_t i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return c;
}

double isb_mw_p(const double *x, size_t nx, const double *y, size_t ny, unsigned perms,
		uint64_t seed)
{
	size_t n = nx + ny;
	if (!nx || !ny)
		return NAN;
	double *v = malloc(n * sizeof(double)), *rk = malloc(n * sizeof(double));
	double p = NAN;
	if (!v || !rk)
		goto out;
	memcpy(v, x, nx * sizeof(double));
	memcpy(v + nx, y, ny * sizeof(double));
	midranks(v, n, rk);
	double sum = 0;
	for (size_t i = 0; i < nx; i++)
		sum += rk[i];
	/* the rank sum of x is U + nx(nx+1)/2: the same test */
	double mu = (double)nx * (double)(n + 1) / 2;
	if (choose(n, nx) <= EXACT_MAX) {
		struct enum_state s = {
		    .rk = rk, .n = n, .k = nx, .target = fabs(sum - mu), .mu = mu};
		enumerate(&s, 0, nx, 0);
		p = (double)s.extreme / (double)s.total;
		goto out;
	}
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		goto out;
	gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
	unsigned long long b = 0;
	for (unsigned t = 0; t < perms; t++) {
		/* a partial Fisher-Yates shuffle: the first nx are a random split */
		double s2 = 0;
		for (size_t i = 0; i < nx; i++) {
			size_t j = i + gsl_rng_uniform_int(rng, n - i);
			double tmp = rk[i];
			rk[i] = rk[j];
			rk[j] = tmp;
			s2 += rk[i];
		}
		b += fabs(s2 - mu) >= fabs(sum - mu) - 1e-9;
	}
	gsl_rng_free(rng);
	p = (1.0 + (double)b) / (1.0 + perms);
out:
	free(v);
	free(rk);
	return p;
}

void isb_holm(const double *p, size_t n, double *adj)
{
	size_t m = 0;
	size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		adj[i] = NAN;
		if (idx && isfinite(p[i]))
			idx[m++] = i;
	}
	if (!idx)
		return;
	/* insertion sort by p: the families here are small */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && p[idx[j]] < p[idx[j - 1]]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	double run = 0;
	for (size_t j = 0; j < m; j++) {
		double a = fmin(1.0, (double)(m - j) * p[idx[j]]);
		run = fmax(run, a);
		adj[idx[j]] = run;
	}
	free(idx);
}

double isb_kendall_tau_b(long c, long d, long tx, long ty, long txy)
{
	double n0 = (double)(c + d + tx + ty + txy);
	double n1 = (double)(tx + txy), n2 = (double)(ty + txy);
	double den = sqrt((n0 - n1) * (n0 - n2));
	return den > 0 ? (double)(c - d) / den : NAN;
}

/* ---- the comparison ---- */

struct crow {
	const struct isb_cell *ca, *cb;
	size_t ka, kb;
	double da, loa, hia, db, lob, hib, delta, dlo, dhi, p, padj;
	size_t na, nb;
	bool sig;
	char note[160];
};

/* The per-pair ratios (contended over baseline for a rate, baseline over contended for a
 * cost: 1 − d of the pair) of metric k of cell c; their number. */
static size_t pair_ratios(const struct isb_analysis *a, const struct isb_cell *c, size_t k,
			  double **out)
{
	struct isb_vec base = {0}, brep = {0}, cont = {0}, crep = {0};
	const char *name = c->v.m[k].def.name;
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		if (t->cell_id != c->row.id || strcmp(t->status, "ok") || !t->metrics_json)
			continue;
		cleanup_json json_object *o = json_tokener_parse(t->metrics_json);
		double v = o ? isb_jpath(o, name) : NAN;
		if (!isfinite(v))
			continue;
		isb_vpush(t->contended ? &cont : &base, v);
		isb_vpush(t->contended ? &crep : &brep, (double)t->rep);
	}
	size_t n = 0;
	*out = malloc((base.n ? base.n : 1) * sizeof(double));
	for (size_t i = 0; *out && i < base.n; i++)
		for (size_t j = 0; j < cont.n; j++)
			if (brep.v[i] == crep.v[j]) {
				double d = isb_degradation_signed(base.v[i], cont.v[j],
								  c->v.m[k].def.higher);
				if (isfinite(d))
					(*out)[n++] = 1.0 - d;
				break;
			}
	free(base.v);
	free(brep.v);
	free(cont.v);
	free(crep.v);
	return n;
}

/* The bootstrap 95 % interval of d_b − d_a over the pairs of each side. */
static void delta_interval(const double *ra, size_t na, const double *rb, size_t nb,
			   unsigned resamples, uint64_t seed, double *lo, double *hi)
{
	double *sa = malloc(na * sizeof(double)), *sb = malloc(nb * sizeof(double));
	double *ds = malloc(resamples * sizeof(double));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	*lo = *hi = NAN;
	if (!sa || !sb || !ds || !rng)
		goto out;
	gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
	for (unsigned r = 0; r < resamples; r++) {
		for (size_t i = 0; i < na; i++)
			sa[i] = ra[gsl_rng_uniform_int(rng, na)];
		for (size_t i = 0; i < nb; i++)
			sb[i] = rb[gsl_rng_uniform_int(rng, nb)];
		ds[r] = (1.0 - isb_median(sb, nb)) - (1.0 - isb_median(sa, na));
	}
	isb_sort_doubles(ds, resamples);
	*lo = isb_percentile_sorted(ds, resamples, 0.025);
	*hi = isb_percentile_sorted(ds, resamples, 0.975);
out:
	if (rng)
		gsl_rng_free(rng);
	free(sa);
	free(sb);
	free(ds);
}

static int load(const char *dir, struct isb_analysis *a, struct isb_err *err)
{
	char path[1024];
	struct isb_results *rs;
	snprintf(path, sizeof(path), "%s/results.db", dir);
	int r = isb_results_open(&rs, path, err);
	if (r < 0)
		return r;
	r = isb_analysis_load(a, rs, NULL, err);
	isb_results_close(rs);
	if (r < 0) {
		isb_analysis_free(a);
		return r;
	}
	isb_analysis_run(a);
	return 0;
}

static const struct isb_cell *find_cell(const struct isb_analysis *a, const struct isb_cell *c)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *o = &a->cells[i];
		if (!strcmp(o->row.config, c->row.config) &&
		    !strcmp(o->row.resource, c->row.resource) &&
		    !strcmp(o->row.scenario, c->row.scenario) &&
		    !strcmp(o->row.placement, c->row.placement))
			return o;
	}
	return NULL;
}

static int find_metric(const struct isb_cell *c, const char *name)
{
	for (size_t k = 0; k < c->v.nmetrics; k++)
		if (!strcmp(c->v.m[k].def.name, name))
			return (int)k;
	return -1;
}

/* The rows: every graded metric both campaigns measured in a cell they share. */
static size_t build_rows(const struct isb_analysis *A, const struct isb_analysis *B,
			 struct crow *rows, size_t max, size_t *common)
{
	size_t n = 0;
	*common = 0;
	for (size_t i = 0; i < A->n; i++) {
		const struct isb_cell *ca = &A->cells[i], *cb = find_cell(B, ca);
		if (!cb)
			continue;
		++*common;
		for (size_t k = 0; k < ca->v.nmetrics && n < max; k++) {
			int kb = find_metric(cb, ca->v.m[k].def.name);
			if (!ca->v.m[k].def.graded || kb < 0 || !ca->v.m[k].ok || !cb->v.m[kb].ok)
				continue;
			struct crow *r = &rows[n++];
			memset(r, 0, sizeof(*r));
			r->ca = ca;
			r->cb = cb;
			r->ka = k;
			r->kb = (size_t)kb;
		}
	}
	return n;
}

static void test_row(const struct isb_analysis *A, const struct isb_analysis *B, struct crow *r,
		     size_t idx)
{
	const struct isb_metric_verdict *ma = &r->ca->v.m[r->ka], *mb = &r->cb->v.m[r->kb];
	r->da = ma->d, r->loa = ma->lo, r->hia = ma->hi;
	r->db = mb->d, r->lob = mb->lo, r->hib = mb->hi;
	r->delta = r->db - r->da;
	r->p = r->dlo = r->dhi = r->padj = NAN;
	cleanup_free double *ra = NULL;
	cleanup_free double *rb = NULL;
	r->na = pair_ratios(A, r->ca, r->ka, &ra);
	r->nb = pair_ratios(B, r->cb, r->kb, &rb);
	if (r->na < 2 || r->nb < 2) {
		snprintf(r->note, sizeof(r->note), "not tested: %zu and %zu complete pairs", r->na,
			 r->nb);
		return;
	}
	uint64_t seed = (A->seed * 1000003ull) ^ (B->seed * 7919ull) ^ (idx * 2654435761ull);
	unsigned res = A->resamples > B->resamples ? A->resamples : B->resamples;
	delta_interval(ra, r->na, rb, r->nb, res < 1000 ? 1000 : res, seed, &r->dlo, &r->dhi);
	r->p = isb_mw_p(ra, r->na, rb, r->nb, PERMS, seed + 1);
	if (r->ca->v.verdict[0] || r->cb->v.verdict[0])
		snprintf(r->note, sizeof(r->note), "%.150s",
			 r->ca->v.verdict[0] ? r->ca->v.verdict : r->cb->v.verdict);
}

struct tau {
	long c, d, tx, ty, txy;
};

/* Kendall's tau-b of one resource: the pairs of configurations ranked in the same ranking
 * (scenario, placement, metric) by both campaigns. */
static void resource_tau(const struct crow *rows, size_t n, const char *resource, struct tau *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			const struct crow *x = &rows[i], *y = &rows[j];
			const struct isb_cell *a = x->ca, *b = y->ca;
			if (strcmp(a->row.resource, resource) ||
			    strcmp(b->row.resource, resource) ||
			    strcmp(a->row.scenario, b->row.scenario) ||
			    strcmp(a->row.placement, b->row.placement) ||
			    strcmp(a->v.m[x->ka].def.name, b->v.m[y->ka].def.name) ||
			    !strcmp(a->row.config, b->row.config))
				continue;
			int ra1 = a->v.m[x->ka].rank, ra2 = b->v.m[y->ka].rank;
			int rb1 = x->cb->v.m[x->kb].rank, rb2 = y->cb->v.m[y->kb].rank;
			if (ra1 <= 0 || ra2 <= 0 || rb1 <= 0 || rb2 <= 0)
				continue;
			int sa = (ra1 > ra2) - (ra1 < ra2), sb = (rb1 > rb2) - (rb1 < rb2);
			if (!sa && !sb)
				t->txy++;
			else if (!sa)
				t->tx++;
			else if (!sb)
				t->ty++;
			else if (sa == sb)
				t->c++;
			else
				t->d++;
		}
}

/* tau as text: the value, "1 (all tied in both)", or why there is none. */
static double tau_text(const struct tau *t, char *buf, size_t size)
{
	long pairs = t->c + t->d + t->tx + t->ty + t->txy;
	double tau = isb_kendall_tau_b(t->c, t->d, t->tx, t->ty, t->txy);
	if (!pairs)
		snprintf(buf, size, "n/a: no ranking with more than one configuration in both");
	else if (t->txy == pairs)
		tau = 1, snprintf(buf, size, "1 (%ld pairs, all tied in both)", pairs);
	else if (!isfinite(tau))
		snprintf(buf, size, "n/a: one ranking ties all %ld pairs, the other does not",
			 pairs);
	else
		snprintf(buf, size, "%.3f (%ld pairs: %ld concordant, %ld discordant, %ld tied)",
			 tau, pairs, t->c, t->d, t->tx + t->ty + t->txy);
	return tau;
}

static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		*s == '"' ? fputs("\"\"", f) : fputc(*s, f);
	fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
}

static int write_csv(const char *path, const struct crow *rows, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "config,backend,resource,scenario,placement,metric,n_pairs_a,n_pairs_b,d_a,"
		   "d_a_lo,d_a_hi,d_b,d_b_lo,d_b_hi,delta,delta_lo,delta_hi,p,p_holm,significant,"
		   "grade_a,grade_b,rank_a,rank_b,note\n");
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		const struct isb_cell *c = r->ca;
		fprintf(f, "%s,%s,%s,%s,%s,%s,%zu,%zu,", c->row.config, c->row.backend,
			c->row.resource, c->row.scenario, c->row.placement, c->v.m[r->ka].def.name,
			r->na, r->nb);
		const double v[] = {r->da,    r->loa, r->hia, r->db, r->lob, r->hib,
				    r->delta, r->dlo, r->dhi, r->p,  r->padj};
		for (size_t k = 0; k < ISB_ARRAY_SIZE(v); k++)
			csv_num(f, v[k]), fputc(',', f);
		fprintf(f, "%d,", r->sig);
		if (r->ca->v.grade >= 0)
			fprintf(f, "%d", r->ca->v.grade);
		fputc(',', f);
		if (r->cb->v.grade >= 0)
			fprintf(f, "%d", r->cb->v.grade);
		fprintf(f, ",%d,%d,", r->ca->v.m[r->ka].rank, r->cb->v.m[r->kb].rank);
		csv_text(f, r->note);
		fputc('\n', f);
	}
	return fclose(f) ? -errno : 0;
}

static void fmt_grade(char *buf, size_t size, int g)
{
	g >= 0 ? snprintf(buf, size, "%d", g) : snprintf(buf, size, "-");
}

/* The distinct resources of rows, in their order (at most max): their number. */
static size_t distinct_resources(const struct crow *rows, size_t n, const char **out, size_t max)
{
	size_t nr = 0;
	for (size_t i = 0; i < n && nr < max; i++) {
		const char *res = rows[i].ca->row.resource;
		size_t j = 0;
		while (j < nr && strcmp(out[j], res))
			j++;
		if (j == nr)
			out[nr++] = res;
	}
	return nr;
}

/* Kendall's tau of one resource between A's and B's rankings, as text into buf. */
static const char *resource_tau_text(const struct crow *rows, size_t n, const char *res, char *buf,
				     size_t size)
{
	struct tau t;
	resource_tau(rows, n, res, &t);
	tau_text(&t, buf, size);
	return buf;
}

static int write_md(const char *path, const struct isb_analysis *A, const struct isb_analysis *B,
		    const char *dir_a, const char *dir_b, const struct crow *rows, size_t n,
		    size_t common, size_t nsig, double alpha)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"# isobench compare\n\nA: `%s` (campaign %s)  \nB: `%s` (campaign %s)\n\n"
		"%zu cells in common (%zu only in A, %zu only in B); %zu metrics compared; "
		"**%zu changed significantly** (Holm-corrected p < %g).\n\n"
		"Δd = d(B) − d(A), with a seeded bootstrap 95 %% interval over each campaign's "
		"pairs; p: two-sided Mann-Whitney test of the two campaigns' per-pair ratios "
		"(contended over baseline), by permutation; p (Holm): corrected over every "
		"metric compared.\n\n"
		"| configuration | resource | scenario | placement | metric | d (A) | d (B) | Δd "
		"[95 %%] | p | p (Holm) | changed | grade A → B | rank A → B | note |\n"
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
		dir_a, A->has_campaign ? A->campaign.id : "?", dir_b,
		B->has_campaign ? B->campaign.id : "?", common, A->n - common,
		B->n >= common ? B->n - common : 0, n, nsig, alpha);
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		const struct isb_cell *c = r->ca;
		char place[64], da[24], db[24], dd[24], dl[24], dh[24], p[24], pa[24], ga[8], gb[8];
		isb_md_cell_name(place, sizeof(place), c);
		isb_fmt_num(da, sizeof(da), r->da);
		isb_fmt_num(db, sizeof(db), r->db);
		isb_fmt_num(dd, sizeof(dd), r->delta);
		isb_fmt_num(dl, sizeof(dl), r->dlo);
		isb_fmt_num(dh, sizeof(dh), r->dhi);
		isb_fmt_num(p, sizeof(p), r->p);
		isb_fmt_num(pa, sizeof(pa), r->padj);
		fmt_grade(ga, sizeof(ga), r->ca->v.grade);
		fmt_grade(gb, sizeof(gb), r->cb->v.grade);
		fprintf(
		    f,
		    "| %s | %s | %s | %s | %s | %s | %s | %s [%s, %s] | %s | %s | %s | %s → %s | "
		    "%d → %d | %s |\n",
		    c->row.config, c->row.resource, c->row.scenario, place, c->v.m[r->ka].def.name,
		    da, db, dd, dl, dh, p, pa,
		    r->sig ? (r->delta > 0 ? "**worse**" : "**better**") : "no", ga, gb,
		    r->ca->v.m[r->ka].rank, r->cb->v.m[r->kb].rank, r->note[0] ? r->note : "");
	}
	fprintf(f, "\n## Rankings\n\nKendall's tau-b between A's and B's ranks (ties where "
		   "intervals overlap), over the pairs of configurations ranked in the same "
		   "scenario, placement and metric by both.\n\n| resource | tau |\n|---|---|\n");
	const char *res[32];
	char buf[160];
	for (size_t k = 0, nr = distinct_resources(rows, n, res, ISB_ARRAY_SIZE(res)); k < nr; k++)
		fprintf(f, "| %s | %s |\n", res[k],
			resource_tau_text(rows, n, res[k], buf, sizeof(buf)));
	return fclose(f) ? -errno : 0;
}

static void print_summary(const struct crow *rows, size_t n, size_t common, size_t nsig,
			  double alpha)
{
	printf("compare: %zu cells in common, %zu metrics compared, %zu changed significantly "
	       "(Holm, alpha %g)\n",
	       common, n, nsig, alpha);
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		const struct isb_cell *c = r->ca;
		printf("%-8s %-12s %-8s %-16s %-8s %-14s d %.3f -> %.3f delta %+.3f [%+.3f, %+.3f] "
		       "p %.3g p_holm %.3g grade %d -> %d%s%s%s\n",
		       r->sig ? "CHANGED" : "same", c->row.config, c->row.resource, c->row.scenario,
		       c->row.placement, c->v.m[r->ka].def.name, r->da, r->db, r->delta, r->dlo,
		       r->dhi, r->p, r->padj, r->ca->v.grade, r->cb->v.grade,
		       r->note[0] ? " (" : "", r->note, r->note[0] ? ")" : "");
	}
	const char *res[32];
	char buf[160];
	for (size_t k = 0, nr = distinct_resources(rows, n, res, ISB_ARRAY_SIZE(res)); k < nr; k++)
		printf("kendall tau %s: %s\n", res[k],
		       resource_tau_text(rows, n, res[k], buf, sizeof(buf)));
}

int isb_compare(const char *dir_a, const char *dir_b, const struct isb_compare_opts *o,
		struct isb_err *err)
{
	struct isb_analysis A, B;
	int r = load(dir_a, &A, err);
	if (r < 0)
		return r;
	if ((r = load(dir_b, &B, err)) < 0) {
		isb_analysis_free(&A);
		return r;
	}
	size_t max = A.n * ISB_MAXM, common = 0, nsig = 0;
	struct crow *rows = malloc((max ? max : 1) * sizeof(*rows));
	double *p = malloc((max ? max : 1) * sizeof(double));
	double *adj = malloc((max ? max : 1) * sizeof(double));
	if (!rows || !p || !adj) {
		r = isb_errf(err, ENOMEM, "compare");
		goto out;
	}
	size_t n = build_rows(&A, &B, rows, max, &common);
	if (!n) {
		r = isb_errf(err, EINVAL,
			     "%s and %s have no graded metric of a cell in common (%zu cells in "
			     "common)",
			     dir_a, dir_b, common);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		test_row(&A, &B, &rows[i], i);
		p[i] = rows[i].p;
	}
	isb_holm(p, n, adj);
	double alpha = o && o->alpha > 0 ? o->alpha : 0.05;
	for (size_t i = 0; i < n; i++) {
		rows[i].padj = adj[i];
		rows[i].sig = isfinite(adj[i]) && adj[i] < alpha;
		nsig += rows[i].sig;
	}
	const char *out = o && o->out_dir ? o->out_dir : ".";
	char path[1024];
	snprintf(path, sizeof(path), "%s/compare.csv", out);
	if ((r = write_csv(path, rows, n)) < 0) {
		r = isb_errf(err, -r, "write %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/compare.md", out);
	if ((r = write_md(path, &A, &B, dir_a, dir_b, rows, n, common, nsig, alpha)) < 0) {
		r = isb_errf(err, -r, "write %s", path);
		goto out;
	}
	if (!(o && o->quiet))
		print_summary(rows, n, common, nsig, alpha);
	r = nsig > 0;
out:
	free(rows);
	free(p);
	free(adj);
	isb_analysis_free(&A);
	isb_analysis_free(&B);
	return r;
}
