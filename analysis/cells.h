/*
 * A campaign's cells as the analysis sees them: each stored cell row
 * (results/read.h) beside its verdict (degradation, interval, grade, rank,
 * parity, why it is set apart) and the medians the report's writers turn
 * into text. Internal to analysis/.
 */
#ifndef ISB_ANALYSIS_CELLS_H
#define ISB_ANALYSIS_CELLS_H

#include "analysis/analysis.h"
#include "results/read.h"

#include <json-c/json.h>
#include <stdio.h>

#define ISB_MAXM    16 /* metrics of a victim */
#define ISB_MAX_AGG 16 /* aggressor pressure metrics, victim counters */

/* One victim metric of a cell: its d, interval, grade and rank. */
struct isb_metric_verdict {
	struct isb_metric_row def; /* graded: the suite's grade list where it has one */
	size_t nb, nc, npairs;	   /* npairs: 0 when d came from the unpaired bootstrap */
	double base_med, cont_med, d, lo, hi;
	int grade; /* -1 not graded */
	int rank;
	bool ok;
	bool decided; /* the interval lies inside one grade band */
};

/* The medians of one named quantity (an aggressor's pressure metric, a victim counter) over
 * the baseline and the contended trials. */
struct isb_agg_median {
	char key[48];
	size_t nbase, ncont;
	double base, cont; /* NAN without values */
	char unavailable[160];
};

/* What the analysis made of a cell. */
struct isb_cell_verdict {
	size_t nmetrics;
	struct isb_metric_verdict m[ISB_MAXM];
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
	/* the aggressor's pressure (contended medians) and the victim's counters */
	struct isb_agg_median press[ISB_MAX_AGG], ctr[ISB_MAX_AGG];
	size_t npress, nctr;
	char press1_key[48]; /* the aggressor's first pressure metric and its contended median */
	double press1;
	int agg_died;
	char agg_died_cause[200];
	double startup_ms;
};

struct isb_cell {
	struct isb_cell_row row; /* as stored */
	struct isb_cell_verdict v;
};

/* A loaded and analysed campaign. */
struct isb_analysis {
	struct isb_campaign_row campaign;
	bool has_campaign;
	struct isb_configs configs;
	struct isb_trials trials;
	struct isb_cell *cells;
	size_t n;
	double thr[4];
	unsigned resamples;
	uint64_t seed;
	bool grade_by_upper; /* campaigns before schema 4 graded by the interval's upper bound */
};

/* cells.c: loads the store, then the statistics, grades, parity and ranks of every cell. */
int isb_analysis_load(struct isb_analysis *a, struct isb_results *rs,
		      const struct isb_report_opts *o, struct isb_err *err);
void isb_analysis_run(struct isb_analysis *a);
/* parity.c: the verdicts against native (a cache, a weak aggressor or victim, a limit). */
void isb_parity_check(struct isb_analysis *a);
void isb_analysis_free(struct isb_analysis *a);
/* The configuration of that name, or NULL. */
const struct isb_config_row *isb_analysis_config(const struct isb_analysis *a, const char *name);

/* A growing vector of doubles (an allocation failure drops the value). */
struct isb_vec {
	double *v;
	size_t n, cap;
};
void isb_vpush(struct isb_vec *x, double d);

/* A number at a '/'-separated path of a JSON document (keys may hold dots); NAN if absent. */
double isb_jpath(json_object *o, const char *path);
/* A number for the report: n/a, %.3e for the very large or small, else %.4g. */
void isb_fmt_num(char *buf, size_t size, double v);
/* "placement" or "placement (resolved)". */
void isb_md_cell_name(char *buf, size_t size, const struct isb_cell *c);

/* attrib.c: through which channels a degraded cell's victim suffered, as text. */
struct isb_attribution {
	char channels[1024]; /* "" when none grew */
	char source[64];     /* "neighbour, host", "" */
	char network[400];   /* a network cell's stack and link, "" */
	/* why kernel probes were unavailable, from the first of its trials that says so */
	char bpf_unavailable[300];
};
void isb_attribute_cell(const struct isb_analysis *a, const struct isb_cell *c,
			struct isb_attribution *out);

/* csv.c and md.c: the writers; leaves.c: report.md's section on the configurations' leaves. */
void isb_md_leaves_section(FILE *f, const struct isb_analysis *a);
/* A configuration's probed leaves (the store's " | "-separated sets) for a table cell:
 * "; "-separated, "none" for an empty set, "-" without a probe. */
void isb_md_probed(char *out, size_t size, const char *probed);
/* taxonomy.c: report.md's first table, one row per technology and its configurations. */
void isb_md_technologies_section(FILE *f, const struct isb_analysis *a);
/* provenance.c: node, shard, suite hash, resumes and contamination, from the store beside
 * report_path. */
void isb_md_provenance(FILE *f, const char *report_path);
int isb_write_cells_csv(const char *path, const struct isb_analysis *a);
int isb_write_trials_csv(const char *path, const struct isb_analysis *a);
int isb_write_report_md(const char *path, const struct isb_analysis *a);

#endif
