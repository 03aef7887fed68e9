/*
 * memory.working-set: the memory victim. Holds a resident working set of a
 * set size and touches it in a random order (read-modify-write of one word
 * per 64-byte line), in fixed units of accesses that are timed one by one.
 * Reports access throughput, per-unit latency and the page faults it took:
 * major faults and a fall in throughput mean its pages were taken from it.
 *
 * With file_mb, part of the set is file-backed: a file in the scratch
 * directory, dropped from the page cache and read back into it before the
 * window (so its pages are charged to this tenant), then read at random
 * through a mapping in the window. Those are the pages the kernel can take
 * away without swap: each one taken is a major fault and a read from disk.
 */
#include "config.h"
#include "stressors/window.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct isb_metric ws_metrics[] = {
    {.name = "accesses_per_s",
     .unit = "accesses/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "random cache-line accesses per second of the window"},
    ISB_LAT_METRICS("median time of one unit (1024 accesses)", false,
		    "99th percentile time of one unit (reported)",
		    "99.9th percentile time of one unit (reported)"),
    {.name = "minor_faults",
     .unit = "faults",
     .better = ISB_LOWER,
     .graded = false,
     .help = "minor page faults in the window"},
    {.name = "major_faults",
     .unit = "faults",
     .better = ISB_LOWER,
     .graded = false,
     .help = "major page faults in the window (pages that had to be read back)"},
    {.name = "resident_mb",
     .unit = "MiB",
     .better = ISB_HIGHER,
     .graded = false,
     .help = "size of the working set held (anonymous and file-backed)"},
    {.name = "file_cached_pct",
     .unit = "%",
     .better = ISB_HIGHER,
     .graded = false,
     .help = "share of the file-backed set still in the page cache at the window's end"},
    {0},
};

static const struct isb_option ws_options[] = {
    {.name = "size_mb", .def = 256, .min = 1, .max = 1 << 20, .help = "anonymous working set size"},
    {.name = "file_mb",
     .def = 0,
     .min = 0,
     .max = 1 << 20,
     .help = "file-backed working set size (a file in the scratch directory, read at random "
	     "through the page cache); 0: none"},
    {0},
};

/* The file written whole under tmp and synced, then renamed to path. */
static int ws_file_write(const char *tmp, const char *path, size_t bytes, struct isb_err *err)
{
	int rc;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return isb_errf(err, errno, "memory.working-set: create %s", tmp);
	static char blk[1 << 20];
	uint64_t x = 0x243F6A8885A308D3ull ^ (uint64_t)getpid();
	for (size_t o = 0; o < bytes;) {
		for (size_t i = 0; i < sizeof(blk); i += 8) { /* not zeros: real pages */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(blk + i, &x, 8);
		}
		size_t n = bytes - o < sizeof(blk) ? bytes - o : sizeof(blk);
		ssize_t w = write(fd, blk, n);
		if (w <= 0) {
			rc = isb_errf(err, errno, "memory.working-set: write %s", tmp);
			goto fail_close;
		}
		o += (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = isb_errf(err, errno, "memory.working-set: sync %s", path);
		goto fail_close;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = isb_errf(err, errno, "memory.working-set: sync %s", path);
		goto fail_unlink;
	}
	return 0;
fail_close:
	close(fd);
fail_unlink:
	unlink(tmp);
	return rc;
}

/* The file part's file: laid out once per size under the scratch directory (a new one
 * written whole and synced, so its pages are clean and can be dropped), then per run dropped
 * from the cache and read back so this tenant's group is the one charged. */
static int ws_file_open(const struct isb_stressor_args *a, size_t bytes, struct isb_err *err)
{
	char path[1100], tmp[1200];
	struct stat st;
	if (!a->scratch || !*a->scratch)
		return isb_errf(err, 0, "memory.working-set: file_mb needs a scratch directory");
	snprintf(path, sizeof(path), "%s/memory.working-set-%zuM.dat", a->scratch, bytes >> 20);
	if (stat(path, &st) < 0 || (size_t)st.st_size != bytes) {
		snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
		int rc = ws_file_write(tmp, path, bytes, err);
		if (rc < 0)
			return rc;
	}
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return isb_errf(err, errno, "memory.working-set: open %s", path);
	/* drop what an earlier trial left (charged to its group), then read it in here */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	static char rbuf[1 << 20];
	for (off_t o = 0; (size_t)o < bytes;) {
		ssize_t r = pread(fd, rbuf, sizeof(rbuf), o);
		if (r <= 0)
			return isb_errf(err, errno, "memory.working-set: read %s", path);
		o += r;
	}
	int kept = fd;
	fd = -1; /* the caller's now */
	return kept;
}

static double ws_cached_pct(void *p, size_t bytes)
{
	size_t pages = bytes / 4096, in = 0;
	cleanup_free unsigned char *v = malloc(pages ? pages : 1);
	if (!v || mincore(p, bytes, v) < 0)
		return -1;
	for (size_t i = 0; i < pages; i++)
		in += v[i] & 1;
	return pages ? 100.0 * (double)in / (double)pages : 0;
}

#define UNIT_ACCESSES 1024

static volatile uint64_t ws_sink;

/* The set, made resident before "ready": the time it takes (slow first-touch faults, the
 * file read under a neighbour's pressure) is not the window's nor its deadline's. */
static struct {
	uint64_t *buf;
	const volatile uint64_t *fmap;
	size_t bytes, fbytes;
} ws_set;

static int ws_prepare(const struct isb_stressor_args *a, struct isb_report *ready,
		      struct isb_err *err)
{
	size_t bytes = (size_t)(a->opt[0] * 1024 * 1024);
	size_t words = bytes / sizeof(uint64_t);
	size_t fbytes = (size_t)a->opt[1] << 20;
	const volatile uint64_t *fmap = NULL;
	if (ws_set.buf)
		return 0;
	if (fbytes) {
		int fd = ws_file_open(a, fbytes, err);
		if (fd < 0)
			return fd;
		void *m = mmap(NULL, fbytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			return isb_errf(err, errno, "memory.working-set: mmap the file part");
		/* one page per fault, as a random reader's re-reads are */
		madvise(m, fbytes, MADV_RANDOM);
		fmap = m;
	}
	uint64_t *buf =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		if (fmap)
			munmap((void *)fmap, fbytes);
		return isb_errf(err, errno, "memory.working-set: mmap %zu bytes", bytes);
	}
	for (size_t i = 0; i < words; i += 512)
		buf[i] = i; /* make every page resident before the window */
	ws_set.buf = buf;
	ws_set.fmap = fmap;
	ws_set.bytes = bytes;
	ws_set.fbytes = fbytes;
	return 0;
}

static int ws_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	if (!ws_set.buf && ws_prepare(a, NULL, err) < 0)
		return -EIO;
	uint64_t *buf = ws_set.buf;
	const volatile uint64_t *fmap = ws_set.fmap;
	size_t bytes = ws_set.bytes, fbytes = ws_set.fbytes;
	size_t lines = bytes / 64, flines = fbytes / 64;
	struct rusage r0, r1, rstart;
	getrusage(RUSAGE_SELF, &rstart);
	uint64_t x = 0x9E3779B97F4A7C15ull, sum = 0;
	bool counting = false;
	struct isb_window w;
	isb_window_begin(&w, a, UNIT_ACCESSES);
	while (isb_window_running(&w)) {
		uint64_t s = isb_now_ns();
		if (!counting && s >= w.start) {
			getrusage(RUSAGE_SELF, &r0);
			counting = true;
		}
		for (int i = 0; i < UNIT_ACCESSES; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* uniform over the whole set: anonymous lines first, then the file's */
			uint64_t line = x % (lines + flines);
			if (line >= lines) {
				sum += fmap[(line - lines) * 8];
				continue;
			}
			uint64_t *p = &buf[line * 8];
			sum += *p;
			*p = sum;
		}
		if (isb_window_unit(&w, r, s, isb_now_ns()) < 0) {
			isb_lat_free(&w.lat);
			munmap(buf, bytes);
			if (fmap)
				munmap((void *)fmap, fbytes);
			ws_set.buf = NULL;
			return isb_errf(err, ENOMEM, "memory.working-set: latency buffer");
		}
	}
	getrusage(RUSAGE_SELF, &r1);
	munmap(buf, bytes);
	ws_set.buf = NULL;
	double cached = fmap ? ws_cached_pct((void *)fmap, fbytes) : -1;
	if (fmap)
		munmap((void *)fmap, fbytes);
	if (!counting)
		r0 = rstart; /* one unit outlasted the whole window */
	if (!w.units && r1.ru_majflt > r0.ru_majflt) {
		/* starved of its own pages: say so, the window's bare "no unit" would not */
		isb_lat_free(&w.lat);
		return isb_errf(err, 0,
				"memory.working-set: no unit of work completed in the window: "
				"%ld major faults, %.1f%% of the file part still cached (its pages "
				"were taken from it)",
				r1.ru_majflt - r0.ru_majflt, cached);
	}
	if (isb_window_end(&w, r, "accesses_per_s", err, "memory.working-set") < 0)
		return -EINVAL;
	isb_report_set(r, "minor_faults", (double)(r1.ru_minflt - r0.ru_minflt));
	isb_report_set(r, "major_faults", (double)(r1.ru_majflt - r0.ru_majflt));
	isb_report_set(r, "resident_mb", a->opt[0] + a->opt[1]);
	if (cached >= 0)
		isb_report_set(r, "file_cached_pct", cached);
	ws_sink += sum; /* keeps the loop from being optimised away */
	return 0;
}

const struct isb_stressor isb_stressor_memory_working_set = {
    .name = "memory.working-set",
    .resource = ISB_RES_MEMORY,
    .roles = ISB_ROLE_VICTIM,
    .help = "a resident working set touched in random order: access rate, latency, faults",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = ws_metrics,
    .options = ws_options,
    .prepare = ws_prepare,
    .run = ws_run,
};
