/*
 * Many campaigns at once: the nodes of a merged store (nodes.c, a section of its report and
 * nodes.csv) and the comparison of two campaigns (compare.c, `isobench compare`).
 */
#ifndef ISB_ANALYSIS_MULTI_H
#define ISB_ANALYSIS_MULTI_H

#include "analysis/analysis.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct isb_analysis;
struct isb_sources;

/* nodes.c: each node's own analysis of a merged store beside the pooled one: appends the
 * "Nodes" section to report_md, writes nodes_csv and, unless quiet, a summary on stdout. */
int isb_nodes_write(const struct isb_analysis *a, const struct isb_sources *src,
		    const char *report_md, const char *nodes_csv, bool quiet, struct isb_err *err);

/* compare.c */
struct isb_compare_opts {
	const char *out_dir; /* where compare.md and compare.csv go ("." by default) */
	double alpha;	     /* family-wise error rate of the Holm correction (0.05) */
	bool quiet;
};
/* Compares campaign directory b against a: 1 where some cell changed significantly, 0
 * where none did, or -errno (-ENOENT: a store is missing; -EINVAL: nothing in common). */
int isb_compare(const char *dir_a, const char *dir_b, const struct isb_compare_opts *o,
		struct isb_err *err);

/* The statistics of compare.c, exposed for their unit tests. */
/* Mann-Whitney U of x against y (ties count one half). */
double isb_mw_u(const double *x, size_t nx, const double *y, size_t ny);
/* Two-sided p of U by permutation: exact over every split where there are at most
 * max_exact of them, else seeded Monte Carlo with perms relabellings ((1 + b) / (1 + perms)).
 */
double isb_mw_p(const double *x, size_t nx, const double *y, size_t ny, unsigned perms,
		uint64_t seed);
/* Holm's step-down adjustment of n p-values (NAN ones are left NAN and not counted). */
void isb_holm(const double *p, size_t n, double *adj);
/* Kendall's tau-b from its pair counts; NAN where a ranking is all ties. */
double isb_kendall_tau_b(long concordant, long discordant, long ties_x_only, long ties_y_only,
			 long ties_both);

#endif
