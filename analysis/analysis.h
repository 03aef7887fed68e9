/*
 * Analysis: statistics, grades, ranks and reports. It reads the results
 * store and nothing else, so a report can be regenerated anywhere from a
 * copied campaign directory, without root.
 */
#ifndef ISB_ANALYSIS_H
#define ISB_ANALYSIS_H

#include "common/isb.h"

#include <stdbool.h>

enum {
	ISB_GRADE_NONE = 0,
	ISB_GRADE_SEVERE,
	ISB_GRADE_MODERATE,
	ISB_GRADE_MINOR,
	ISB_GRADE_ISOLATED
};

/* d = 1 - cont/base (higher is better) or 1 - base/cont (lower is better), clamped to [0,1]. */
double isb_degradation(double base, double cont, bool higher_is_better);

/* Median d and a seeded percentile-bootstrap 95 % CI over trials. */
int isb_bootstrap_d(const double *base, size_t nb, const double *cont, size_t nc,
		    bool higher_is_better, unsigned resamples, uint64_t seed, double *d, double *lo,
		    double *hi);

/* Grade from the upper CI bound and the four thresholds (ascending). */
int isb_grade(double d_hi, const double thresholds[4], bool victim_failed);
const char *isb_grade_name(int grade);

/* Competition rank by d: 1 + how many others lie entirely below (hi < my lo). */
void isb_rank(const double *d, const double *lo, const double *hi, size_t n, int *rank);

struct isb_report_opts {
	bool thresholds_set;
	double thresholds[4];
	bool quiet;
};
/* Writes report.md, cells.csv and trials.csv into dir from dir/results.db. */
int isb_report_write(const char *dir, const struct isb_report_opts *o, struct isb_err *err);

#endif
