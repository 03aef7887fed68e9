/*
 * Statistics, grades and ranks against cases with known answers: the
 * degradation formula, bootstrap CI coverage on synthetic samples whose true
 * d is known, grading at the thresholds' edges, ranking with ties.
 */
#include "config.h"
#include "analysis/analysis.h"
#include "common/isb.h"
#include "unit.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

static void test_degradation(void **state)
{
	assert_close(isb_degradation(100, 50, true), 0.5, 1e-12);
	assert_close(isb_degradation(100, 100, true), 0.0, 1e-12);
	assert_close(isb_degradation(100, 120, true), 0.0, 1e-12); /* better: clamped */
	assert_close(isb_degradation(100, 0, true), 1.0, 1e-12);
	/* latency: lower is better; 1 - base/cont */
	assert_close(isb_degradation(100, 200, false), 0.5, 1e-12);
	assert_close(isb_degradation(100, 80, false), 0.0, 1e-12);
	assert_close(isb_degradation(100, 1e9, false), 1.0 - 1e-7, 1e-12);
}

static void test_percentiles(void **state)
{
	double v[] = {1, 2, 3, 4, 5};
	assert_close(isb_percentile_sorted(v, 5, 0.5), 3, 1e-12);
	assert_close(isb_percentile_sorted(v, 5, 0.25), 2, 1e-12);
	assert_close(isb_percentile_sorted(v, 5, 0.99), 4.96, 1e-12);
	double w[] = {4, 1, 3, 2};
	assert_close(isb_median(w, 4), 2.5, 1e-12);
	assert_close(w[0], 4, 0); /* isb_median does not reorder its input */
}

static void test_bootstrap_identical(void **state)
{
	double b[] = {100, 101, 99, 100, 100}, c[] = {100, 101, 99, 100, 100};
	double d, lo, hi;
	assert_int_equal(isb_bootstrap_d(b, 5, c, 5, true, 2000, 1, &d, &lo, &hi), 0);
	assert_close(d, 0, 1e-12);
	assert_true(lo <= d && d <= hi);
	assert_true(hi < 0.02);
}

static void test_bootstrap_seeded(void **state)
{
	double b[] = {100, 95, 105, 98, 102, 101}, c[] = {60, 70, 65, 66, 64, 62};
	double d1, l1, h1, d2, l2, h2, d3, l3, h3;
	isb_bootstrap_d(b, 6, c, 6, true, 1000, 42, &d1, &l1, &h1);
	isb_bootstrap_d(b, 6, c, 6, true, 1000, 42, &d2, &l2, &h2);
	isb_bootstrap_d(b, 6, c, 6, true, 1000, 43, &d3, &l3, &h3);
	assert_close(l1, l2, 0);
	assert_close(h1, h2, 0);
	assert_true(l1 <= d1 && d1 <= h1);
	assert_true(d1 > 0.3 && d1 < 0.4);
	assert_int_equal(isb_bootstrap_d(b, 0, c, 6, true, 1000, 1, &d1, &l1, &h1), -EINVAL);
}

/* Coverage: with true d = 0.2 (medians 100 and 80), the 95 % interval must
 * contain it in about 95 % of 400 synthetic experiments of 25 trials a side. */
static void test_bootstrap_coverage(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 12345);
	int covered = 0, n = 400;
	for (int e = 0; e < n; e++) {
		double b[25], c[25], d, lo, hi;
		for (int i = 0; i < 25; i++) {
			b[i] = 100 + gsl_ran_gaussian(r, 5);
			c[i] = 80 + gsl_ran_gaussian(r, 5);
		}
		isb_bootstrap_d(b, 25, c, 25, true, 1000, (uint64_t)e, &d, &lo, &hi);
		covered += lo <= 0.2 && 0.2 <= hi;
	}
	gsl_rng_free(r);
	double cov = (double)covered / n;
	print_message("# coverage of the nominal 95 %% interval: %.3f\n", cov);
	assert_true(cov >= 0.88 && cov <= 0.995);
}

static void test_grade_edges(void **state)
{
	const double t[4] = {0.05, 0.15, 0.40, 0.80};
	assert_int_equal(isb_grade(0.0, t, false), 4);
	assert_int_equal(isb_grade(0.0499999, t, false), 4);
	assert_int_equal(isb_grade(0.05, t, false), 3);
	assert_int_equal(isb_grade(0.1499999, t, false), 3);
	assert_int_equal(isb_grade(0.15, t, false), 2);
	assert_int_equal(isb_grade(0.3999999, t, false), 2);
	assert_int_equal(isb_grade(0.40, t, false), 1);
	assert_int_equal(isb_grade(0.7999999, t, false), 1);
	assert_int_equal(isb_grade(0.80, t, false), 0);
	assert_int_equal(isb_grade(1.0, t, false), 0);
	assert_int_equal(isb_grade(0.0, t, true), 0); /* a failed victim is grade 0 */
	assert_int_equal(isb_grade(NAN, t, false), 0);
	const double custom[4] = {0.1, 0.2, 0.3, 0.4};
	assert_int_equal(isb_grade(0.05, custom, false), 4);
	assert_int_equal(isb_grade(0.35, custom, false), 1);
	assert_string_equal(isb_grade_name(4), "isolated");
	assert_string_equal(isb_grade_name(0), "none");
}

/* Paired: each repetition's contended trial against its own baseline. A host that drifts
 * between repetitions (every pair at another speed) still gives the exact d, and a
 * tight interval, where the unpaired medians cannot. */
static void test_paired_drift(void **state)
{
	double b[8], c[8], d, lo, hi;
	for (int i = 0; i < 8; i++) {
		b[i] = 100.0 * (1 + 0.3 * (i % 3)); /* 100, 130, 160, ... */
		c[i] = 0.8 * b[i];
	}
	assert_int_equal(isb_paired_d(b, c, 8, true, 2000, 1, &d, &lo, &hi), 8);
	assert_close(d, 0.2, 1e-12);
	assert_close(lo, 0.2, 1e-12);
	assert_close(hi, 0.2, 1e-12);
	double ud, ulo, uhi;
	isb_bootstrap_d(b, 8, c, 8, true, 2000, 1, &ud, &ulo, &uhi);
	assert_true(uhi - ulo > 0.2); /* the drift widens the unpaired interval */
	/* a cost (latency): d = 1 - base/cont */
	for (int i = 0; i < 8; i++)
		c[i] = 2 * b[i];
	isb_paired_d(b, c, 8, false, 2000, 1, &d, &lo, &hi);
	assert_close(d, 0.5, 1e-12);
}

/* Signed: a victim faster beside the aggressor has d < 0 (facilitation), not 0. */
static void test_paired_signed(void **state)
{
	double b[] = {100, 100, 100, 100, 100}, c[] = {110, 111, 109, 110, 110}, d, lo, hi;
	isb_paired_d(b, c, 5, true, 2000, 3, &d, &lo, &hi);
	assert_close(d, -0.1, 1e-9);
	assert_true(hi < 0);
	assert_close(isb_degradation_signed(100, 120, true), -0.2, 1e-12);
	assert_true(isnan(isb_degradation_signed(0, 120, true)));
	/* pairs that cannot form a ratio are left out; none at all is an error */
	double b2[] = {0, 100}, c2[] = {50, 50};
	assert_int_equal(isb_paired_d(b2, c2, 2, true, 100, 1, &d, &lo, &hi), 1);
	assert_close(d, 0.5, 1e-12);
	assert_int_equal(isb_paired_d(b2, c2, 1, true, 100, 1, &d, &lo, &hi), -EINVAL);
	/* a facilitated victim grades isolated */
	const double t[4] = {0.05, 0.15, 0.40, 0.80};
	assert_int_equal(isb_grade(-0.3, t, false), 4);
}

/* Coverage of the paired interval (true d = 0.2, 5 % noise per trial, 10 pairs) and the
 * A/A false-alarm rate of point grading (true d = 0): at most 5 % of cells leave grade 4. */
static void test_paired_coverage_and_aa(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 777);
	const double t[4] = {0.05, 0.15, 0.40, 0.80};
	int covered = 0, alarms = 0, n = 400;
	for (int e = 0; e < n; e++) {
		double b[10], c[10], a[10], d, lo, hi;
		for (int i = 0; i < 10; i++) {
			double host = 1 + 0.2 * gsl_rng_uniform(r); /* drift between pairs */
			b[i] = 100 * host * (1 + gsl_ran_gaussian(r, 0.05));
			c[i] = 80 * host * (1 + gsl_ran_gaussian(r, 0.05));
			a[i] = 100 * host * (1 + gsl_ran_gaussian(r, 0.05));
		}
		isb_paired_d(b, c, 10, true, 1000, (uint64_t)e, &d, &lo, &hi);
		covered += lo <= 0.2 && 0.2 <= hi;
		isb_paired_d(b, a, 10, true, 1000, (uint64_t)e, &d, &lo, &hi);
		alarms += isb_grade(d, t, false) != 4;
	}
	gsl_rng_free(r);
	print_message("# paired coverage %.3f, A/A cells off grade 4: %.3f\n", (double)covered / n,
		      (double)alarms / n);
	assert_true(covered >= 0.85 * n);
	assert_true(alarms <= 0.05 * n);
}

static void test_settled(void **state)
{
	const double t[4] = {0.05, 0.15, 0.40, 0.80};
	assert_true(isb_grade_decided(0.20, 0.35, t));		/* both moderate */
	assert_false(isb_grade_decided(0.10, 0.20, t));		/* minor .. moderate */
	assert_true(isb_interval_settled(0.10, 0.20, t, 0.05)); /* half-width 0.05 */
	assert_false(isb_interval_settled(0.10, 0.25, t, 0.05));
	assert_true(isb_interval_settled(0.45, 0.75, t, 0.05)); /* inside severe */
	assert_false(isb_interval_settled(NAN, 0.2, t, 0.05));
}

static void test_rank_ties(void **state)
{
	/* A and B overlap (tie at 1); C is above both; D overlaps C only. */
	double d[] = {0.02, 0.05, 0.50, 0.60}, lo[] = {0.00, 0.01, 0.45, 0.48},
	       hi[] = {0.04, 0.09, 0.55, 0.70};
	int rk[4];
	isb_rank(d, lo, hi, 4, rk);
	assert_int_equal(rk[0], 1);
	assert_int_equal(rk[1], 1);
	assert_int_equal(rk[2], 3);
	assert_int_equal(rk[3], 3);
	/* disjoint intervals give a strict order */
	double d2[] = {0.3, 0.1, 0.2}, lo2[] = {0.29, 0.09, 0.19}, hi2[] = {0.31, 0.11, 0.21};
	isb_rank(d2, lo2, hi2, 3, rk);
	assert_int_equal(rk[0], 3);
	assert_int_equal(rk[1], 1);
	assert_int_equal(rk[2], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_degradation),
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test(test_bootstrap_identical),
	    cmocka_unit_test(test_bootstrap_seeded),
	    cmocka_unit_test(test_bootstrap_coverage),
	    cmocka_unit_test(test_grade_edges),
	    cmocka_unit_test(test_rank_ties),
	    cmocka_unit_test(test_paired_drift),
	    cmocka_unit_test(test_paired_signed),
	    cmocka_unit_test(test_paired_coverage_and_aa),
	    cmocka_unit_test(test_settled),
	};
	ISB_RUN_TESTS(tests);
}
