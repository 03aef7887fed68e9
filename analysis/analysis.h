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

/* Signed: negative when the contended victim did better (facilitation); at most 1; NAN
 * where it cannot be formed (a zero baseline). */
double isb_degradation_signed(double base, double cont, bool higher_is_better);

/* Paired design: base[i] and cont[i] are one repetition's adjacent trials. d = 1 − the
 * median of the pairs' ratios (signed), with a seeded percentile-bootstrap 95 % CI over
 * pairs. Returns the number of usable pairs, or -EINVAL with none. */
int isb_paired_d(const double *base, const double *cont, size_t n, bool higher_is_better,
		 unsigned resamples, uint64_t seed, double *d, double *lo, double *hi);

/* Unpaired: median d (clamped) and a seeded percentile-bootstrap 95 % CI over trials. */
int isb_bootstrap_d(const double *base, size_t nb, const double *cont, size_t nc,
		    bool higher_is_better, unsigned resamples, uint64_t seed, double *d, double *lo,
		    double *hi);

/* Grade of a degradation (the point estimate, or a bound of its interval) by the four
 * thresholds (ascending); d < 0 (facilitation) grades isolated. */
int isb_grade(double d, const double thresholds[4], bool victim_failed);
/* Both ends of the interval lie in one grade band. */
bool isb_grade_decided(double lo, double hi, const double thresholds[4]);
/* Narrow enough to stop repeating a cell: half-width at most the target, or decided. */
bool isb_interval_settled(double lo, double hi, const double thresholds[4],
			  double target_halfwidth);
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
