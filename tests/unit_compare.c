/*
 * The statistics of isobench compare against known answers: Mann-Whitney's U and its exact
 * two-sided permutation p (2/C(n, k) for two samples wholly apart), the Monte Carlo p where
 * the exact count is too large, Holm's step-down adjustment, and Kendall's tau-b.
 */
#include "config.h"
#include "analysis/multi.h"
#include "common/isb.h"
#include "unit.h"

static void test_mw_u(void **state)
{
	double x[] = {1, 2, 3}, y[] = {4, 5, 6}, t[] = {1, 1}, ties[] = {1, 1};
	assert_close(isb_mw_u(x, 3, y, 3), 0, 1e-12);
	assert_close(isb_mw_u(y, 3, x, 3), 9, 1e-12);
	assert_close(isb_mw_u(t, 2, ties, 2), 2, 1e-12); /* every comparison a tie: 4 x 1/2 */
}

static void test_mw_p_exact(void **state)
{
	double x[] = {1, 2, 3}, y[] = {4, 5, 6};
	double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
	double t[] = {1, 1}, u[] = {1, 1};
	/* the two most extreme of C(6,3) = 20 and C(10,5) = 252 splits */
	assert_close(isb_mw_p(x, 3, y, 3, 1000, 1), 2.0 / 20, 1e-12);
	assert_close(isb_mw_p(a, 5, b, 5, 1000, 1), 2.0 / 252, 1e-12);
	assert_close(isb_mw_p(t, 2, u, 2, 1000, 1), 1.0, 1e-12);
	/* interleaved: 1 3 5 against 2 4 6, U = 3 of 9: p = P(|R - 10.5| >= 1.5) = 14/20 */
	double i1[] = {1, 3, 5}, i2[] = {2, 4, 6};
	assert_close(isb_mw_p(i1, 3, i2, 3, 1000, 1), 14.0 / 20, 1e-12);
}

static void test_mw_p_monte_carlo(void **state)
{
	double x[15], y[15];
	for (int i = 0; i < 15; i++)
		x[i] = i, y[i] = 100 + i;
	/* C(30,15) splits: seeded Monte Carlo; none of 20000 relabellings is as extreme */
	double p = isb_mw_p(x, 15, y, 15, 20000, 7);
	assert_close(p, 1.0 / 20001, 1e-12);
	assert_close(isb_mw_p(x, 15, y, 15, 20000, 7), p, 0); /* seeded: the same again */
	for (int i = 0; i < 15; i++)
		y[i] = i + 0.5; /* interleaved: far from significant */
	assert_true(isb_mw_p(x, 15, y, 15, 20000, 7) > 0.5);
}

static void test_holm(void **state)
{
	double p[] = {0.01, 0.04, 0.03}, adj[3];
	isb_holm(p, 3, adj);
	assert_close(adj[0], 0.03, 1e-12);
	assert_close(adj[2], 0.06, 1e-12);
	assert_close(adj[1], 0.06, 1e-12); /* monotone: never below an earlier step */
	double q[] = {0.01, NAN, 0.02, 0.9}, qa[4];
	isb_holm(q, 4, qa);
	assert_close(qa[0], 0.03, 1e-12);
	assert_true(isnan(qa[1]));
	assert_close(qa[2], 0.04, 1e-12);
	assert_close(qa[3], 0.9, 1e-12);
}

static void test_kendall(void **state)
{
	assert_close(isb_kendall_tau_b(3, 0, 0, 0, 0), 1, 1e-12);
	assert_close(isb_kendall_tau_b(0, 3, 0, 0, 0), -1, 1e-12);
	assert_close(isb_kendall_tau_b(2, 1, 0, 0, 0), 1.0 / 3, 1e-12);
	/* one pair tied in x only: 2 / sqrt(2 * 3) */
	assert_close(isb_kendall_tau_b(2, 0, 1, 0, 0), 2 / sqrt(6), 1e-12);
	assert_true(isnan(isb_kendall_tau_b(0, 0, 0, 0, 3)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mw_u),
	    cmocka_unit_test(test_mw_p_exact),
	    cmocka_unit_test(test_mw_p_monte_carlo),
	    cmocka_unit_test(test_holm),
	    cmocka_unit_test(test_kendall),
	};
	ISB_RUN_TESTS(tests);
}
