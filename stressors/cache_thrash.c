/*
 * cache.thrash: the shared-cache aggressor. A dependent random walk (pointer
 * chasing) over a working set twice the size of the last-level cache, so
 * nearly every step evicts a line someone else may need. The size comes from
 * the option, else from sysfs (the same source hwloc reads), and falls back
 * to 64 MiB where that figure is missing or not credible (< 256 KiB or
 * > 1 GiB, as virtual CPUs sometimes report).
 */
#include "config.h"
#include "stressors/stressor.h"

#include <stdlib.h>
#include <string.h>

static const struct isb_metric thrash_metrics[] = {
    {.name = "steps_per_s",
     .unit = "steps/s",
     .better = ISB_HIGHER,
     .help = "cache-missing steps of the walk per second (the pressure achieved)"},
    {.name = "set_kb", .unit = "KiB", .better = ISB_HIGHER, .help = "working set walked"},
    {.name = "llc_kb",
     .unit = "KiB",
     .better = ISB_HIGHER,
     .help = "last-level cache size it believed (0: unknown, fallback used)"},
    {0},
};

static const struct isb_option thrash_options[] = {
    {.name = "size_kb", .def = 0, .min = 0, .max = 1 << 24, .help = "working set; 0 = 2 x LLC"},
    {.name = "period_ms", .def = 10, .min = 1, .max = 1000, .help = "duty-cycle period"},
    {0},
};

static volatile size_t thrash_sink;

/* The largest cache size sysfs shows for cpu0, in KiB; 0 if none. */
static unsigned long llc_kb(void)
{
	unsigned long best = 0;
	for (int i = 0; i < 8; i++) {
		char path[96], buf[64];
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		char *end;
		unsigned long v = strtoul(buf, &end, 10);
		if (*end == 'M')
			v *= 1024;
		if (v > best)
			best = v;
	}
	return best;
}

static int thrash_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	unsigned long llc = llc_kb();
	unsigned long kb = (unsigned long)a->opt[0];
	if (!kb)
		kb = (llc >= 256 && llc <= (1ul << 20)) ? 2 * llc : 64 * 1024;
	size_t n = kb * 1024 / 64; /* one node per cache line */
	cleanup_free size_t *next = malloc(n * 64);
	cleanup_free size_t *order = malloc(n * sizeof(size_t));
	if (!next || !order)
		return isb_errf(err, ENOMEM, "cache.thrash: %lu KiB", kb);
	/* A random cyclic permutation (Sattolo), so the walk visits every line. */
	uint64_t x = 0x2545F4914F6CDD1Dull;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t j = x % i, t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		next[order[i] * 8] = order[(i + 1) % n] * 8;
	/* Eight walkers spread evenly over the cycle: eight misses in flight at once, as an
	 * out-of-order core allows, evict far more than one dependent chain. */
	size_t p[8];
	for (int w = 0; w < 8; w++)
		p[w] = order[(size_t)w * (n / 8)] * 8;
	free(order); /* not needed for the walk */
	order = NULL;
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	uint64_t period = (uint64_t)(a->opt[1] * 1e6);
	uint64_t busy = (uint64_t)(a->intensity / 100.0 * (double)period);
	double steps = 0;
	while (!isb_should_stop(a, end)) {
		uint64_t start = isb_now_ns();
		do {
			for (int i = 0; i < 512; i++)
				for (int w = 0; w < 8; w++) {
					next[p[w] + 1]++; /* dirty the line: its eviction costs a
							     write-back */
					p[w] = next[p[w]];
				}
			steps += 4096;
		} while (isb_now_ns() < start + busy);
		isb_duty_rest(start, busy, period);
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	thrash_sink += p[0] + p[7];
	isb_report_set(r, "steps_per_s", wall > 0 ? steps / wall : 0);
	isb_report_set(r, "set_kb", (double)kb);
	isb_report_set(r, "llc_kb", (double)((llc >= 256 && llc <= (1ul << 20)) ? llc : 0));
	return 0;
}

const struct isb_stressor isb_stressor_cache_thrash = {
    .name = "cache.thrash",
    .resource = ISB_RES_CACHE,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "random pointer chase over twice the last-level cache",
    .intensity_help = "duty cycle: % of each period it walks",
    .metrics = thrash_metrics,
    .options = thrash_options,
    .run = thrash_run,
};
