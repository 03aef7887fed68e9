/*
 * pids.spawn: the process victim. fork + exec of a trivial program + wait,
 * timed one by one: spawn rate and latency. A fork bomb next door shows up
 * here as slow or failing forks.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct isb_metric spawn_metrics[] = {
    {.name = "spawns_per_s",
     .unit = "spawns/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "fork+exec+wait cycles per second"},
    {.name = "lat_p50_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = true,
     .help = "median time of one fork+exec+wait"},
    {.name = "lat_p99_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "99th percentile time of one fork+exec+wait (reported)"},
    {.name = "lat_p999_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .graded = false,
     .help = "99.9th percentile time of one unit (reported)"},
    {.name = "fork_failures",
     .unit = "failures",
     .better = ISB_LOWER,
     .graded = false,
     .help = "forks refused (EAGAIN: a pids limit reached)"},
    {0},
};

static int spawn_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	static const char *const candidates[] = {"/bin/true", "/usr/bin/true"};
	const char *prog = NULL;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(candidates) && !prog; i++)
		if (access(candidates[i], X_OK) == 0)
			prog = candidates[i];
	if (!prog)
		return isb_errf(err, ENOENT, "pids.spawn: no /bin/true to exec");
	struct isb_latencies lat = {0};
	uint64_t t0 = isb_now_ns(), wstart = t0 + (uint64_t)(a->warmup_s * 1e9);
	uint64_t end = wstart + (uint64_t)(a->duration_s * 1e9);
	uint64_t interval = (uint64_t)(a->sample_interval_s * 1e9), next = wstart + interval;
	uint64_t n = 0, fails = 0, last = t0;
	while (!isb_should_stop(a, end)) {
		uint64_t s = isb_now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (pid < 0) {
			if (s >= wstart)
				fails++;
			isb_sleep_ns(1000000);
			continue;
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		uint64_t e = isb_now_ns();
		last = e;
		if (s < wstart)
			continue;
		n++;
		isb_lat_add(&lat, (double)(e - s));
		if (interval && e >= next) {
			r->sample(r, e - wstart, (double)n);
			next += interval;
		}
	}
	if (!n || last <= wstart) {
		isb_lat_free(&lat);
		return isb_errf(err, 0,
				"pids.spawn: no spawn completed in the window (%llu forks refused)",
				(unsigned long long)fails);
	}
	isb_report_set(r, "spawns_per_s", (double)n * 1e9 / (double)(last - wstart));
	isb_lat_report(&lat, r, "lat");
	isb_lat_free(&lat);
	isb_report_set(r, "fork_failures", (double)fails);
	return 0;
}

const struct isb_stressor isb_stressor_pids_spawn = {
    .name = "pids.spawn",
    .resource = ISB_RES_PIDS,
    .roles = ISB_ROLE_VICTIM,
    .help = "fork+exec+wait of /bin/true: spawn rate and latency",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = spawn_metrics,
    .run = spawn_run,
};
