/*
 * The nodes of a merged store: the report's cells pool every node's trials (one grade per
 * cell); here each node's trials are analysed on their own as well, so the report can show
 * per cell the spread of d between nodes and each node's grade, and flag a node that
 * disagrees with the others (a finding for a site: a node with another firmware, a noisy
 * neighbour of its own, a failing disk).
 *
 * A node is an outlier in a cell when its d lies outside the others' typical interval
 * (the medians of their lower and upper bounds) and the others' median d lies outside its
 * own interval: both sides must disagree, so one wide or noisy node is not flagged; and
 * its d must differ from theirs by at least the first grade threshold (0.05 by default),
 * so narrow intervals do not make a finding of a difference no grade could show.
 */
#include "config.h"
#include "analysis/cells.h"
#include "analysis/multi.h"
#include "results/merge.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Declared in cells.h beside md.c's own file-static copy. */
void isb_md_cell_name(char *buf, size_t size, const struct isb_cell *c)
{
	if (strcmp(c->row.placement, c->row.resolved) && c->row.resolved[0])
		snprintf(buf, size, "%s (%s)", c->row.placement, c->row.resolved);
	else
		snprintf(buf, size, "%s", c->row.placement);
}

/* One node's verdict on one cell (the pooled cell's grading metric). */
struct node_cell {
	bool ok;
	int grade;
	double d, lo, hi;
	bool outlier;
};

struct nodes {
	size_t n;	      /* nodes */
	const char **name;    /* [n], the sources' node names */
	struct node_cell *nc; /* [n * cells] */
	int (*res_grade)[8];  /* [n][resource]: the worst grade of its cells, -1 none */
	size_t *ntrials;      /* [n] */
};

static const char *const resources[] = {"cpu",	"memory", "disk", "network",
					"pids", "cache",  "link", "other"};

static size_t resource_index(const char *r)
{
	for (size_t i = 0; i + 1 < ISB_ARRAY_SIZE(resources); i++)
		if (!strcmp(resources[i], r))
			return i;
	return ISB_ARRAY_SIZE(resources) - 1;
}

/* A copy of the pooled cells with their verdicts reset, for one node's analysis. */
static struct isb_cell *fresh_cells(const struct isb_analysis *a)
{
	struct isb_cell *c = malloc((a->n ? a->n : 1) * sizeof(*c));
	if (!c)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *p = &a->cells[i];
		memset(&c[i].v, 0, sizeof(c[i].v));
		c[i].row = p->row;
		c[i].v.grade = -1;
		c[i].v.worst = -1;
		c[i].v.startup_ms = NAN;
		c[i].v.parity = NAN;
		c[i].v.nmetrics = p->v.nmetrics;
		for (size_t k = 0; k < p->v.nmetrics; k++) {
			struct isb_metric_verdict *m = &c[i].v.m[k];
			m->def = p->v.m[k].def;
			m->grade = -1;
			m->d = m->lo = m->hi = m->base_med = m->cont_med = NAN;
		}
	}
	return c;
}

/* Node j's analysis: the pooled one restricted to its trials. */
static int analyse_node(const struct isb_analysis *a, const struct isb_sources *src,
			const char *node, struct node_cell *out, size_t *ntrials)
{
	struct isb_analysis sub = *a;
	sub.trials.n = 0;
	sub.trials.row = malloc((a->trials.n ? a->trials.n : 1) * sizeof(*sub.trials.row));
	sub.cells = fresh_cells(a);
	if (!sub.trials.row || !sub.cells) {
		free(sub.trials.row);
		free(sub.cells);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->trials.n; i++) {
		long s = isb_source_of(src, a->trials.row[i].id);
		if (s >= 0 && !strcmp(src->row[s].node, node))
			sub.trials.row[sub.trials.n++] = a->trials.row[i];
	}
	*ntrials = sub.trials.n;
	isb_analysis_run(&sub);
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *p = &a->cells[i], *c = &sub.cells[i];
		struct node_cell *x = &out[i];
		memset(x, 0, sizeof(*x));
		x->grade = c->v.grade;
		x->d = x->lo = x->hi = NAN;
		int k = p->v.worst;
		if (k >= 0 && c->v.m[k].ok) {
			x->ok = true;
			x->d = c->v.m[k].d;
			x->lo = c->v.m[k].lo;
			x->hi = c->v.m[k].hi;
		}
	}
	free(sub.trials.row);
	free(sub.cells);
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The outlier flags of one cell over the nodes (see the file's comment). */
static void flag_outliers(struct nodes *N, size_t ncells, size_t cell, double min_gap)
{
	double *lo = malloc(N->n * sizeof(double)), *hi = malloc(N->n * sizeof(double));
	double *d = malloc(N->n * sizeof(double));
	if (!lo || !hi || !d)
		goto out;
	for (size_t j = 0; j < N->n; j++) {
		struct node_cell *x = &N->nc[j * ncells + cell];
		if (!x->ok)
			continue;
		size_t m = 0;
		for (size_t i = 0; i < N->n; i++) {
			const struct node_cell *o = &N->nc[i * ncells + cell];
			if (i == j || !o->ok)
				continue;
			lo[m] = o->lo;
			hi[m] = o->hi;
			d[m++] = o->d;
		}
		if (!m)
			continue;
		double olo = median_of(lo, m), ohi = median_of(hi, m), od = median_of(d, m);
		x->outlier = (x->d < olo || x->d > ohi) && (od < x->lo || od > x->hi) &&
			     fabs(x->d - od) >= min_gap;
	}
out:
	free(lo);
	free(hi);
	free(d);
}

static void nodes_free(struct nodes *N)
{
	free(N->name);
	free(N->nc);
	free(N->res_grade);
	free(N->ntrials);
}

static int nodes_build(const struct isb_analysis *a, const struct isb_sources *src, struct nodes *N)
{
	memset(N, 0, sizeof(*N));
	N->name = calloc(src->n ? src->n : 1, sizeof(*N->name));
	if (!N->name)
		return -ENOMEM;
	for (size_t s = 0; s < src->n; s++) {
		size_t j = 0;
		while (j < N->n && strcmp(N->name[j], src->row[s].node))
			j++;
		if (j == N->n)
			N->name[N->n++] = src->row[s].node;
	}
	N->nc = calloc(N->n * (a->n ? a->n : 1), sizeof(*N->nc));
	N->res_grade = calloc(N->n, sizeof(*N->res_grade));
	N->ntrials = calloc(N->n, sizeof(*N->ntrials));
	if (!N->nc || !N->res_grade || !N->ntrials)
		return -ENOMEM;
	for (size_t j = 0; j < N->n; j++) {
		int r = analyse_node(a, src, N->name[j], &N->nc[j * a->n], &N->ntrials[j]);
		if (r < 0)
			return r;
		for (size_t k = 0; k < ISB_ARRAY_SIZE(resources); k++)
			N->res_grade[j][k] = -1;
		for (size_t i = 0; i < a->n; i++) {
			const struct node_cell *x = &N->nc[j * a->n + i];
			int *g = &N->res_grade[j][resource_index(a->cells[i].row.resource)];
			if (x->grade >= 0 && (*g < 0 || x->grade < *g))
				*g = x->grade;
		}
	}
	for (size_t i = 0; i < a->n; i++)
		flag_outliers(N, a->n, i, a->thr[0]);
	return 0;
}

static void fmt_grade(char *buf, size_t size, int g)
{
	if (g < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%d", g);
}

static void md_sources(FILE *f, const struct isb_sources *src)
{
	fprintf(f, "\n### Campaigns merged\n\n"
		   "| node | campaign | shard | status | trials | kernel | CPU | topology |\n"
		   "|---|---|---|---|---|---|---|---|\n");
	for (size_t s = 0; s < src->n; s++) {
		const struct isb_source_row *r = &src->row[s];
		fprintf(f, "| %s | %s | %s | %s | %lld | %s | %s | %s |\n", r->node, r->campaign_id,
			r->shard[0] ? r->shard : "-", r->status, r->ntrials, r->kernel,
			r->cpu_model, r->topology);
	}
}

static void md_node_grades(FILE *f, const struct isb_analysis *a, const struct nodes *N)
{
	bool used[ISB_ARRAY_SIZE(resources)] = {0};
	for (size_t i = 0; i < a->n; i++)
		used[resource_index(a->cells[i].row.resource)] = true;
	fprintf(f, "\n### Grade of each node\n\nEach node's trials on their own: the worst "
		   "grade of its cells per resource, and the cells where it disagrees with the "
		   "other nodes.\n\n| node | trials |");
	for (size_t k = 0; k < ISB_ARRAY_SIZE(resources); k++)
		if (used[k])
			fprintf(f, " %s |", resources[k]);
	fprintf(f, " outlier in |\n|---|---|");
	for (size_t k = 0; k < ISB_ARRAY_SIZE(resources); k++)
		if (used[k])
			fprintf(f, "---|");
	fprintf(f, "---|\n");
	for (size_t j = 0; j < N->n; j++) {
		fprintf(f, "| %s | %zu |", N->name[j], N->ntrials[j]);
		for (size_t k = 0; k < ISB_ARRAY_SIZE(resources); k++) {
			char g[8];
			fmt_grade(g, sizeof(g), N->res_grade[j][k]);
			if (used[k])
				fprintf(f, " %s |", g);
		}
		size_t nout = 0;
		for (size_t i = 0; i < a->n; i++)
			if (N->nc[j * a->n + i].outlier) {
				char name[64];
				isb_md_cell_name(name, sizeof(name), &a->cells[i]);
				fprintf(f, "%s %s %s %s", nout++ ? ";" : "", a->cells[i].row.config,
					a->cells[i].row.scenario, name);
			}
		fprintf(f, "%s |\n", nout ? "" : " none");
	}
}

/* Per cell: the pooled grade, the spread of the nodes' d and their grades. */
static void md_cells(FILE *f, const struct isb_analysis *a, const struct nodes *N)
{
	fprintf(
	    f,
	    "\n### Cells across nodes\n\nd and grade from all nodes' trials pooled; "
	    "the spread is the lowest and highest of the nodes' own d (same metric); an "
	    "outlier node's d lies outside the others' typical interval, theirs "
	    "outside its own, %g or more apart.\n\n| configuration | resource | scenario | placement | metric | "
	    "grade (all) | d (all) | nodes | d min | d max | grades by node | outlier "
	    "nodes |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
	    a->thr[0]);
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		int k = c->v.worst;
		if (k < 0)
			continue;
		char place[64], g[8], dall[96], dmin[24], dmax[24], d[24], lo[24], hi[24];
		isb_md_cell_name(place, sizeof(place), c);
		fmt_grade(g, sizeof(g), c->v.grade);
		isb_fmt_num(d, sizeof(d), c->v.m[k].d);
		isb_fmt_num(lo, sizeof(lo), c->v.m[k].lo);
		isb_fmt_num(hi, sizeof(hi), c->v.m[k].hi);
		snprintf(dall, sizeof(dall), "%s [%s, %s]", d, lo, hi);
		double mn = INFINITY, mx = -INFINITY;
		size_t nn = 0;
		int count[5] = {0};
		for (size_t j = 0; j < N->n; j++) {
			const struct node_cell *x = &N->nc[j * a->n + i];
			if (!x->ok)
				continue;
			nn++;
			mn = fmin(mn, x->d);
			mx = fmax(mx, x->d);
			if (x->grade >= 0 && x->grade <= 4)
				count[x->grade]++;
		}
		isb_fmt_num(dmin, sizeof(dmin), nn ? mn : NAN);
		isb_fmt_num(dmax, sizeof(dmax), nn ? mx : NAN);
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %zu | %s | %s | ", c->row.config,
			c->row.resource, c->row.scenario, place, c->v.m[k].def.name, g, dall, nn,
			dmin, dmax);
		size_t printed = 0;
		if (N->n <= 16) {
			for (size_t j = 0; j < N->n; j++) {
				const struct node_cell *x = &N->nc[j * a->n + i];
				if (!x->ok)
					continue;
				fmt_grade(g, sizeof(g), x->grade);
				fprintf(f, "%s%s %s", printed++ ? ", " : "", N->name[j], g);
			}
		} else {
			for (int q = 4; q >= 0; q--)
				if (count[q])
					fprintf(f, "%s%d: %d nodes", printed++ ? ", " : "", q,
						count[q]);
		}
		fprintf(f, "%s | ", printed ? "" : "-");
		printed = 0;
		for (size_t j = 0; j < N->n; j++)
			if (N->nc[j * a->n + i].outlier) {
				isb_fmt_num(d, sizeof(d), N->nc[j * a->n + i].d);
				fprintf(f, "%s%s (d %s)", printed++ ? ", " : "", N->name[j], d);
			}
		fprintf(f, "%s |\n", printed ? "" : "none");
	}
}

static int write_csv(const char *path, const struct isb_analysis *a, const struct nodes *N)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "node,config,backend,resource,scenario,placement,metric,d,d_lo,d_hi,grade,"
		   "outlier\n");
	for (size_t j = 0; j < N->n; j++)
		for (size_t i = 0; i < a->n; i++) {
			const struct isb_cell *c = &a->cells[i];
			const struct node_cell *x = &N->nc[j * a->n + i];
			if (!x->ok && x->grade < 0)
				continue;
			fprintf(f, "\"%s\",%s,%s,%s,%s,%s,%s,", N->name[j], c->row.config,
				c->row.backend, c->row.resource, c->row.scenario, c->row.placement,
				c->v.worst >= 0 ? c->v.m[c->v.worst].def.name : "");
			if (x->ok)
				fprintf(f, "%.6g,%.6g,%.6g,", x->d, x->lo, x->hi);
			else
				fprintf(f, ",,,");
			if (x->grade >= 0)
				fprintf(f, "%d", x->grade);
			fprintf(f, ",%d\n", x->outlier);
		}
	return fclose(f) ? -errno : 0;
}

int isb_nodes_write(const struct isb_analysis *a, const struct isb_sources *src,
		    const char *report_md, const char *nodes_csv, bool quiet, struct isb_err *err)
{
	struct nodes N;
	int r = nodes_build(a, src, &N);
	if (r < 0) {
		nodes_free(&N);
		return isb_errf(err, -r, "nodes of the merged store");
	}
	FILE *f = fopen(report_md, "a");
	if (!f) {
		r = isb_errf(err, errno, "%s", report_md);
		goto out;
	}
	fprintf(f, "\n## Nodes\n\nThis store merges %zu campaign%s of %zu node%s.\n", src->n,
		src->n == 1 ? "" : "s", N.n, N.n == 1 ? "" : "s");
	md_sources(f, src);
	md_node_grades(f, a, &N);
	md_cells(f, a, &N);
	if (fclose(f)) {
		r = isb_errf(err, errno, "%s", report_md);
		goto out;
	}
	if ((r = write_csv(nodes_csv, a, &N)) < 0) {
		r = isb_errf(err, -r, "%s", nodes_csv);
		goto out;
	}
	if (!quiet) {
		printf("nodes: %zu (%zu campaigns)\n", N.n, src->n);
		for (size_t j = 0; j < N.n; j++)
			for (size_t i = 0; i < a->n; i++)
				if (N.nc[j * a->n + i].outlier)
					printf("outlier node %s: %s %s %s d=%.3f\n", N.name[j],
					       a->cells[i].row.config, a->cells[i].row.scenario,
					       a->cells[i].row.placement, N.nc[j * a->n + i].d);
	}
	r = 0;
out:
	nodes_free(&N);
	return r;
}
