/*
 * Statistics with known answers: degradation, a seeded percentile bootstrap
 * of it over trials (paired: each repetition's contended trial against its
 * own adjacent baseline, so host drift between repetitions cancels; or
 * unpaired, baseline and contended resampled independently), the grade
 * table of DESIGN.md, and ranking with ties where intervals overlap.
 */
#include "config.h"
#include "analysis/analysis.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double isb_degradation(double base, double cont, bool higher_is_better)
{
	double d;
	if (higher_is_better)
		d = base > 0 ? 1.0 - cont / base : 0.0;
	else
		d = cont > 0 ? 1.0 - base / cont : 0.0;
	if (!isfinite(d) || d < 0)
		return 0;
	return d > 1 ? 1 : d;
}

double isb_degradation_signed(double base, double cont, bool higher_is_better)
{
	double d = NAN;
	if (higher_is_better && base > 0 && cont >= 0)
		d = 1.0 - cont / base;
	else if (!higher_is_better && cont > 0 && base >= 0)
		d = 1.0 - base / cont;
	return isfinite(d) ? (d > 1 ? 1 : d) : NAN;
}

/* The ratio of one pair, as d's complement: contended over baseline for a throughput,
 * baseline over contended for a cost; NAN when it cannot be formed. */
static double pair_ratio(double base, double cont, bool higher)
{
	double d = isb_degradation_signed(base, cont, higher);
	return isfinite(d) ? 1.0 - d : NAN;
}

/* The k-th smallest of v[0..n) (0-based), by Wirth's selection: v is reordered so that v[k]
 * holds it, the ones before it not larger and the ones after not smaller. */
static double select_kth(double *v, size_t n, size_t k)
{
	long l = 0, m = (long)n - 1, kk = (long)k;
	while (l < m) {
		double x = v[kk];
		long i = l, j = m;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return v[k];
}

/* isb_percentile_sorted(sorted v, n, p) for 0 < p < 1, to the bit, in linear time (reorders
 * v): the bootstrap's two percentiles without sorting its resamples. */
static double percentile_unsorted(double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;
	double frac = pos - (double)lo;
	if (lo + 1 >= n)
		return select_kth(v, n, n - 1);
	double a = select_kth(v, n, lo);
	double b = v[lo + 1]; /* the next one up: the least of those after v[lo] */
	for (size_t i = lo + 2; i < n; i++)
		if (v[i] < b)
			b = v[i];
	return a + frac * (b - a);
}

/* A value and where it was, to sort the pairs' ratios once. */
struct ranked {
	double v;
	size_t i;
};

static int cmp_ranked(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;
	return a < b ? -1 : a > b;
}

/* One bootstrap resample's median, to the bit isb_percentile_sorted(sorted resample, m,
 * 0.5), without sorting it: m draws counted by the rank of the value drawn (cnt), then the
 * two middle ranks found by a walk. Linear in m: a merged store's cells have thousands of
 * pairs, and sorting every resample dominated its report. */
static double resample_median(gsl_rng *rng, const double *sorted, const size_t *rank_of,
			      unsigned *cnt, size_t m)
{
	memset(cnt, 0, m * sizeof(*cnt));
	for (size_t i = 0; i < m; i++)
		cnt[rank_of[gsl_rng_uniform_int(rng, m)]]++;
	double pos = 0.5 * (double)(m - 1);
	size_t lo = (size_t)pos, c = 0, j = 0;
	double frac = pos - (double)lo;
	while (c + cnt[j] <= lo)
		c += cnt[j++];
	double a = sorted[j];
	if (lo + 1 >= m)
		return a;
	if (c + cnt[j] <= lo + 1)
		while (!cnt[++j])
			;
	double b = sorted[j];
	return a + frac * (b - a);
}

int isb_paired_d(const double *base, const double *cont, size_t n, bool higher_is_better,
		 unsigned resamples, uint64_t seed, double *d, double *lo, double *hi)
{
	if (!n || resamples < 2)
		return -EINVAL;
	double *r = malloc(n * sizeof(double)), *sorted = malloc(n * sizeof(double));
	double *ds = malloc(resamples * sizeof(double));
	struct ranked *rk = malloc(n * sizeof(*rk));
	size_t *rank_of = malloc(n * sizeof(size_t));
	unsigned *cnt = malloc(n * sizeof(unsigned));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	size_t m = 0;
	int ret = 0;
	if (!r || !sorted || !ds || !rk || !rank_of || !cnt || !rng) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double q = pair_ratio(base[i], cont[i], higher_is_better);
		if (isfinite(q))
			r[m++] = q;
	}
	if (!m) {
		ret = -EINVAL;
		goto out;
	}
	*d = 1.0 - isb_median(r, m);
	for (size_t i = 0; i < m; i++)
		rk[i] = (struct ranked){.v = r[i], .i = i};
	qsort(rk, m, sizeof(*rk), cmp_ranked);
	for (size_t j = 0; j < m; j++) {
		sorted[j] = rk[j].v;
		rank_of[rk[j].i] = j;
	}
	gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
	for (unsigned k = 0; k < resamples; k++)
		ds[k] = 1.0 - resample_median(rng, sorted, rank_of, cnt, m);
	*lo = percentile_unsorted(ds, resamples, 0.025);
	*hi = percentile_unsorted(ds, resamples, 0.975);
	if (*d < *lo)
		*lo = *d;
	if (*d > *hi)
		*hi = *d;
out:
	gsl_rng_free(rng);
	free(r);
	free(sorted);
	free(ds);
	free(rk);
	free(rank_of);
	free(cnt);
	return ret < 0 ? ret : (int)m;
}

int isb_bootstrap_d(const double *base, size_t nb, const double *cont, size_t nc,
		    bool higher_is_better, unsigned resamples, uint64_t seed, double *d, double *lo,
		    double *hi)
{
	if (!nb || !nc || resamples < 2)
		return -EINVAL;
	*d = isb_degradation(isb_median(base, nb), isb_median(cont, nc), higher_is_better);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *rb = malloc(nb * sizeof(double)), *rc = malloc(nc * sizeof(double));
	double *ds = malloc(resamples * sizeof(double));
	if (!rng || !rb || !rc || !ds) {
		gsl_rng_free(rng);
		free(rb);
		free(rc);
		free(ds);
		return -ENOMEM;
	}
	gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
	for (unsigned r = 0; r < resamples; r++) {
		for (size_t i = 0; i < nb; i++)
			rb[i] = base[gsl_rng_uniform_int(rng, nb)];
		for (size_t i = 0; i < nc; i++)
			rc[i] = cont[gsl_rng_uniform_int(rng, nc)];
		isb_sort_doubles(rb, nb);
		isb_sort_doubles(rc, nc);
		ds[r] = isb_degradation(isb_percentile_sorted(rb, nb, 0.5),
					isb_percentile_sorted(rc, nc, 0.5), higher_is_better);
	}
	isb_sort_doubles(ds, resamples);
	*lo = isb_percentile_sorted(ds, resamples, 0.025);
	*hi = isb_percentile_sorted(ds, resamples, 0.975);
	/* The point estimate always lies inside its own interval. */
	if (*d < *lo)
		*lo = *d;
	if (*d > *hi)
		*hi = *d;
	gsl_rng_free(rng);
	free(rb);
	free(rc);
	free(ds);
	return 0;
}

int isb_grade(double d, const double t[4], bool victim_failed)
{
	if (victim_failed || !isfinite(d) || d >= t[3])
		return ISB_GRADE_NONE;
	if (d < t[0])
		return ISB_GRADE_ISOLATED;
	if (d < t[1])
		return ISB_GRADE_MINOR;
	if (d < t[2])
		return ISB_GRADE_MODERATE;
	return ISB_GRADE_SEVERE;
}

bool isb_grade_decided(double lo, double hi, const double t[4])
{
	return isfinite(lo) && isfinite(hi) && isb_grade(lo, t, false) == isb_grade(hi, t, false);
}

bool isb_interval_settled(double lo, double hi, const double t[4], double target_halfwidth)
{
	return isfinite(lo) && isfinite(hi) &&
	       ((hi - lo) / 2 <= target_halfwidth || isb_grade_decided(lo, hi, t));
}

const char *isb_grade_name(int g)
{
	static const char *const names[] = {"none", "severe", "moderate", "minor", "isolated"};
	return g >= 0 && g <= 4 ? names[g] : "ungraded";
}

void isb_rank(const double *d, const double *lo, const double *hi, size_t n, int *rank)
{
	for (size_t i = 0; i < n; i++) {
		int below = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i && hi[j] < lo[i])
				below++;
		rank[i] = below + 1;
	}
	(void)d;
}
