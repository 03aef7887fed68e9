/*
 * memory.bomb: the memory-capacity aggressor. Grows its resident set in
 * chunks up to a cap, then keeps re-dirtying it so its pages stay hot. The
 * cap is intensity % of the smaller of cap_mb and `fraction` of the host's
 * MemAvailable at start, so the host and the harness survive; the campaign's
 * cgroup ceiling bounds it again from outside. Reports what it really held.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const struct isb_metric bomb_metrics[] = {
    {.name = "resident_mb",
     .unit = "MiB",
     .better = ISB_HIGHER,
     .help = "largest resident set it reached (the pressure achieved)"},
    {.name = "cap_mb", .unit = "MiB", .better = ISB_HIGHER, .help = "the cap it grew toward"},
    {.name = "grow_mb_per_s",
     .unit = "MiB/s",
     .better = ISB_HIGHER,
     .help = "how fast it grew to its resident set"},
    {0},
};

static const struct isb_option bomb_options[] = {
    {.name = "fraction",
     .def = 0.5,
     .min = 0.01,
     .max = 0.9,
     .help = "cap as a fraction of MemAvailable at start"},
    {.name = "cap_mb",
     .def = 0,
     .min = 0,
     .max = 1 << 24,
     .help = "absolute cap in MiB; 0 = only the fraction"},
    {.name = "chunk_mb", .def = 64, .min = 1, .max = 4096, .help = "growth step"},
    {0},
};

#define MAX_CHUNKS 65536

static int bomb_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t avail = isb_mem_available();
	if (!avail)
		return isb_errf(err, 0, "memory.bomb: MemAvailable unreadable in /proc/meminfo");
	double cap = a->opt[0] * (double)avail;
	if (a->opt[1] > 0 && a->opt[1] * 1048576.0 < cap)
		cap = a->opt[1] * 1048576.0;
	cap *= a->intensity / 100.0;
	size_t chunk = (size_t)(a->opt[2] * 1048576.0);
	size_t nmax = (size_t)(cap / (double)chunk);
	if (nmax > MAX_CHUNKS)
		nmax = MAX_CHUNKS;
	void **chunks = calloc(nmax ? nmax : 1, sizeof(void *));
	if (!chunks)
		return isb_errf(err, ENOMEM, "memory.bomb");
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	uint64_t grown_at = 0;
	size_t n = 0;
	long page = 4096;
	while (!isb_should_stop(a, end)) {
		if (n < nmax) {
			void *c = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (c == MAP_FAILED) {
				nmax = n; /* the host said no: hold what we have */
				continue;
			}
			/* Huge pages where the host allows them: a far faster climb. */
			madvise(c, chunk, MADV_HUGEPAGE);
			memset(c, 0xa5, chunk);
			chunks[n++] = c;
			if (n == nmax)
				grown_at = isb_now_ns();
			continue;
		}
		/* At the cap: keep every page dirty and recently used. */
		for (size_t i = 0; i < n && !isb_should_stop(a, end); i++)
			for (size_t o = 0; o < chunk; o += (size_t)page)
				((volatile char *)chunks[i])[o]++;
		if (!n)
			isb_sleep_ns(20000000);
	}
	double held = (double)n * (double)chunk / 1048576.0;
	isb_report_set(r, "resident_mb", held);
	isb_report_set(r, "cap_mb", cap / 1048576.0);
	/* Growth rate up to the cap, or over its whole life if it never got there. */
	uint64_t grew_for = (grown_at ? grown_at : isb_now_ns()) - t0;
	isb_report_set(r, "grow_mb_per_s", grew_for ? held / ((double)grew_for / 1e9) : 0);
	for (size_t i = 0; i < n; i++)
		munmap(chunks[i], chunk);
	free(chunks);
	return 0;
}

const struct isb_stressor isb_stressor_memory_bomb = {
    .name = "memory.bomb",
    .resource = ISB_RES_MEMORY,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "grows a resident set up to a cap and keeps it hot",
    .intensity_help = "% of the cap (min of cap_mb and fraction x MemAvailable) to hold",
    .metrics = bomb_metrics,
    .options = bomb_options,
    .run = bomb_run,
};
