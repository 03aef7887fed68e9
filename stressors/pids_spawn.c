/*
 * pids.spawn: the process victim. fork + exec of a trivial program + wait,
 * timed one by one: spawn rate and latency. A fork bomb next door shows up
 * here as slow or failing forks.
 */
#include "config.h"
#include "stressors/window.h"

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
    ISB_LAT_METRICS("median time of one fork+exec+wait", false,
		    "99th percentile time of one fork+exec+wait (reported)",
		    "99.9th percentile time of one unit (reported)"),
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
	struct isb_window w;
	uint64_t fails = 0;
	isb_window_begin(&w, a, 1);
	while (isb_window_running(&w)) {
		uint64_t s = isb_now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (pid < 0) {
			if (s >= w.start)
				fails++;
			isb_sleep_ns(1000000);
			continue;
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (isb_window_unit(&w, r, s, isb_now_ns()) < 0) {
			isb_lat_free(&w.lat);
			return isb_errf(err, ENOMEM, "pids.spawn: latency buffer");
		}
	}
	isb_report_set(r, "fork_failures", (double)fails);
	if (isb_window_end(&w, r, "spawns_per_s", err, "pids.spawn") < 0)
		return isb_errf(err, 0,
				"pids.spawn: no spawn completed in the window (%llu forks refused)",
				(unsigned long long)fails);
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
