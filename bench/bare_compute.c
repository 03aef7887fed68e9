/*
 * The reference for the harness-overhead benchmark: cpu.compute's unit of
 * work in a bare loop for a fixed time, pinned to one CPU, with the same
 * per-unit timing and warm-up, printing units per second.
 * usage: bare_compute [SECONDS [CPU [ITERATIONS [WARMUP]]]] Nothing of isobench around it.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <sched.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	int cpu = argc > 2 ? atoi(argv[2]) : 0;
	uint64_t iters = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000;
	double warmup = argc > 4 ? atof(argv[4]) : 0.5;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	static volatile uint64_t sink;
	double facc = 0;
	for (uint64_t w_end = isb_now_ns() + (uint64_t)(warmup * 1e9); isb_now_ns() < w_end;)
		sink += isb_cpu_compute_unit(iters, &facc);
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), ops = 0, last = t0;
	struct isb_latencies lat = {0};
	while ((last = isb_now_ns()) < end) {
		uint64_t s = last;
		sink += isb_cpu_compute_unit(iters, &facc);
		uint64_t e = isb_now_ns();
		isb_lat_add(&lat, (double)(e - s));
		ops++;
		last = e;
	}
	printf("%.6g\n", (double)ops * 1e9 / (double)(last - t0));
	isb_lat_free(&lat);
	return 0;
}
