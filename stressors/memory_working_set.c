/*
 * memory.working-set: the memory victim. Holds a resident working set of a
 * set size and touches it in a random order (read-modify-write of one word
 * per 64-byte line), in fixed units of accesses that are timed one by one.
 * Reports access throughput, per-unit latency and the page faults it took:
 * major faults and a fall in throughput mean its pages were taken from it.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

static const struct isb_metric ws_metrics[] = {
    {.name = "accesses_per_s",
     .unit = "accesses/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "random cache-line accesses per second of the window"},
    {.name = "lat_p50_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = true,
     .help = "median time of one unit (1024 accesses)"},
    {.name = "lat_p99_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "99th percentile time of one unit (reported)"},
    {.name = "lat_p999_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "99.9th percentile time of one unit (reported)"},
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
     .help = "size of the working set held"},
    {0},
};

static const struct isb_option ws_options[] = {
    {.name = "size_mb", .def = 256, .min = 1, .max = 1 << 20, .help = "working set size"},
    {0},
};

#define UNIT_ACCESSES 1024

static volatile uint64_t ws_sink;

static int ws_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	size_t bytes = (size_t)(a->opt[0] * 1024 * 1024);
	size_t words = bytes / sizeof(uint64_t), lines = bytes / 64;
	uint64_t *buf =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return isb_errf(err, errno, "memory.working-set: mmap %zu bytes", bytes);
	for (size_t i = 0; i < words; i += 512)
		buf[i] = i; /* make every page resident before the window */
	struct rusage r0, r1;
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
			uint64_t *p = &buf[(x % lines) * 8];
			sum += *p;
			*p = sum;
		}
		if (isb_window_unit(&w, r, s, isb_now_ns()) < 0) {
			isb_lat_free(&w.lat);
			munmap(buf, bytes);
			return isb_errf(err, ENOMEM, "memory.working-set: latency buffer");
		}
	}
	getrusage(RUSAGE_SELF, &r1);
	munmap(buf, bytes);
	if (isb_window_end(&w, r, "accesses_per_s", err, "memory.working-set") < 0)
		return -EINVAL;
	isb_report_set(r, "minor_faults", (double)(r1.ru_minflt - r0.ru_minflt));
	isb_report_set(r, "major_faults", (double)(r1.ru_majflt - r0.ru_majflt));
	isb_report_set(r, "resident_mb", a->opt[0]);
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
    .run = ws_run,
};
