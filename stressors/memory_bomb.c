/*
 * memory.bomb: the memory-capacity aggressor. Grows its resident set in
 * chunks up to a cap, then keeps re-dirtying it so its pages stay hot. The
 * cap is intensity % of the smaller of cap_mb and `fraction` of the host's
 * MemAvailable at start, so the host and the harness survive; the campaign's
 * cgroup ceiling bounds it again from outside. Reports what it really held.
 *
 * Under a node memory budget (budget_mb, which the harness passes from the
 * scenario's memory_budget) it grows to `over` times the budget, still
 * bounded by the fraction of MemAvailable. With workers > 1 the set is
 * held by that many processes, as a pool of server workers would: the OOM
 * killer takes one (or a larger neighbour), the pool starts it again after
 * a pause, and the pressure on the node lasts the whole window.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
    {.name = "workers_oom_killed",
     .unit = "workers",
     .better = ISB_HIGHER,
     .help = "workers the OOM killer took (workers > 1)"},
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
    {.name = "budget_mb",
     .def = 0,
     .min = 0,
     .max = 1 << 24,
     .help = "the node memory budget in MiB (set by the harness from memory_budget); 0: none"},
    {.name = "over",
     .def = 1.5,
     .min = 0.1,
     .max = 16,
     .help = "under a budget, grow to this many times it"},
    {.name = "workers",
     .def = 1,
     .min = 1,
     .max = 256,
     .help = "processes that share the set; one the OOM killer takes is started again"},
    {.name = "rest_ms",
     .def = 1000,
     .min = 0,
     .max = 60000,
     .help = "workers > 1: pause between passes over a worker's pages (its memory in use, "
	     "not a bandwidth hog); 0: no pause"},
    {0},
};

#define MAX_CHUNKS 65536
/* A pool restarts a killed worker after a pause that doubles with each kill in the pool (a
 * supervisor's back-off, as systemd's or a CrashLoopBackOff): on a shared node the workers
 * that live keep the pressure, and a pool held by its own limit stops being restarted
 * every instant. */
#define RESPAWN_NS     250000000ull
#define RESPAWN_MAX_NS 30000000000ull

/* One worker: grows to bytes in chunks, publishing what it holds, then keeps it dirty until
 * it is killed (by the pool at the end, or by the OOM killer). */
static void __attribute__((noreturn))
bomb_worker(size_t bytes, size_t chunk, volatile uint64_t *held, uint64_t rest_ns)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	size_t nmax = bytes / chunk, n = 0;
	/* no malloc after fork in a threaded agent */
	void **chunks = mmap(NULL, (nmax ? nmax : 1) * sizeof(void *), PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunks == MAP_FAILED)
		_exit(1);
	while (n < nmax) {
		void *c =
		    mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c == MAP_FAILED)
			break;
		madvise(c, chunk, MADV_HUGEPAGE); /* a far faster climb where it can */
		memset(c, 0xa5, chunk);
		chunks[n++] = c;
		*held = (uint64_t)n * chunk;
	}
	/* What the pool contends for is room, not bandwidth: a pass over its pages, then a
	 * rest, as a service's heap is used (a scenario of its own hammers bandwidth). */
	for (;;) {
		for (size_t i = 0; i < n; i++)
			for (size_t o = 0; o < chunk; o += 4096)
				((volatile char *)chunks[i])[o]++;
		if (!n)
			pause();
		if (rest_ns)
			isb_sleep_ns(rest_ns);
	}
}

static int bomb_pool(const struct isb_stressor_args *a, struct isb_report *r, double cap,
		     size_t chunk, unsigned nw, struct isb_err *err)
{
	pid_t pids[256] = {0};
	uint64_t respawn_at[256] = {0}, pause_ns = RESPAWN_NS;
	volatile uint64_t *held = mmap(NULL, sizeof(uint64_t) * 256, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (held == MAP_FAILED)
		return isb_errf(err, errno, "memory.bomb: shared counters");
	size_t share = (size_t)(cap / nw / (double)chunk) * chunk;
	if (!share)
		share = chunk;
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	uint64_t grown_at = 0, peak = 0;
	unsigned killed = 0;
	while (!isb_should_stop(a, end)) {
		uint64_t now = isb_now_ns();
		for (unsigned i = 0; i < nw; i++) {
			if (pids[i] > 0 || now < respawn_at[i])
				continue;
			held[i] = 0;
			pid_t p = fork();
			if (p == 0)
				bomb_worker(share, chunk, &held[i], (uint64_t)(a->opt[6] * 1e6));
			if (p > 0)
				pids[i] = p;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			for (unsigned i = 0; i < nw; i++)
				if (pids[i] == p) {
					pids[i] = 0;
					held[i] = 0;
					respawn_at[i] = isb_now_ns() + pause_ns;
					if (pause_ns < RESPAWN_MAX_NS)
						pause_ns *= 2;
					killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
				}
		uint64_t total = 0;
		for (unsigned i = 0; i < nw; i++)
			total += held[i];
		if (total > peak)
			peak = total;
		if (!grown_at && total >= (uint64_t)share * nw)
			grown_at = isb_now_ns();
		isb_sleep_ns(10000000);
	}
	for (unsigned i = 0; i < nw; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (unsigned i = 0; i < nw; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	double peak_mb = (double)peak / 1048576.0;
	isb_report_set(r, "resident_mb", peak_mb);
	isb_report_set(r, "cap_mb", cap / 1048576.0);
	uint64_t grew_for = (grown_at ? grown_at : isb_now_ns()) - t0;
	isb_report_set(r, "grow_mb_per_s", grew_for ? peak_mb / ((double)grew_for / 1e9) : 0);
	isb_report_set(r, "workers_oom_killed", killed);
	munmap((void *)held, sizeof(uint64_t) * 256);
	return 0;
}

static int bomb_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t avail = isb_mem_available();
	if (!avail)
		return isb_errf(err, 0, "memory.bomb: MemAvailable unreadable in /proc/meminfo");
	double cap = a->opt[0] * (double)avail;
	if (a->opt[1] > 0 && a->opt[1] * 1048576.0 < cap)
		cap = a->opt[1] * 1048576.0;
	/* past the node's budget, but never past the safety fraction */
	if (a->opt[3] > 0 && a->opt[4] * a->opt[3] * 1048576.0 < cap)
		cap = a->opt[4] * a->opt[3] * 1048576.0;
	cap *= a->intensity / 100.0;
	size_t chunk = (size_t)(a->opt[2] * 1048576.0);
	if (a->opt[5] > 1)
		return bomb_pool(a, r, cap, chunk, (unsigned)a->opt[5], err);
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
	isb_report_set(r, "workers_oom_killed", 0);
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
    .intensity_help = "% of the cap (min of cap_mb, over x budget_mb and fraction x MemAvailable) "
		      "to hold",
    .metrics = bomb_metrics,
    .options = bomb_options,
    .run = bomb_run,
};
