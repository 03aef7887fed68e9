/*
 * pids.forkbomb: the process-table aggressor, bounded. Keeps up to a cap of
 * live children (intensity % of `cap`), each a short-lived process that is
 * replaced as soon as it exits, so it both fills the pid space and churns
 * fork/exit. Children die with it (PR_SET_PDEATHSIG) and share its process
 * group, which the harness kills; the campaign's pids ceiling bounds it again.
 */
#include "config.h"
#include "stressors/stressor.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct isb_metric fb_metrics[] = {
    {.name = "forks_per_s",
     .unit = "forks/s",
     .better = ISB_HIGHER,
     .help = "children created per second (the pressure achieved)"},
    {.name = "live_max",
     .unit = "processes",
     .better = ISB_HIGHER,
     .help = "most children alive at once"},
    {.name = "fork_failures",
     .unit = "failures",
     .better = ISB_LOWER,
     .help = "forks refused (a pids limit held it back)"},
    {0},
};

static const struct isb_option fb_options[] = {
    {.name = "cap", .def = 1000, .min = 1, .max = 100000, .help = "most live children at 100 %"},
    {.name = "child_ms", .def = 50, .min = 0, .max = 60000, .help = "how long each child lives"},
    {0},
};

static int fb_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	long cap = (long)(a->opt[0] * a->intensity / 100.0);
	uint64_t life = (uint64_t)(a->opt[1] * 1e6);
	pid_t self = getpid();
	uint64_t t0 = isb_now_ns(), end = t0 + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	long live = 0, live_max = 0;
	double forks = 0, fails = 0;
	while (!isb_should_stop(a, end)) {
		while (live < cap && !isb_should_stop(a, end)) {
			pid_t pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != self)
					_exit(0);
				if (life)
					isb_sleep_ns(life);
				_exit(0);
			}
			if (pid < 0) {
				fails++;
				break;
			}
			forks++;
			if (++live > live_max)
				live_max = live;
		}
		/* Reap whatever exited; wait a little when at the cap or refused. */
		int st;
		pid_t p;
		bool reaped = false;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			live--;
			reaped = true;
		}
		if (!reaped)
			isb_sleep_ns(1000000);
	}
	double wall = (double)(isb_now_ns() - t0) / 1e9;
	/* Children end on their own within child_ms: reap them all. */
	while (live > 0 && waitpid(-1, NULL, 0) > 0)
		live--;
	isb_report_set(r, "forks_per_s", wall > 0 ? forks / wall : 0);
	isb_report_set(r, "live_max", (double)live_max);
	isb_report_set(r, "fork_failures", fails);
	return 0;
}

const struct isb_stressor isb_stressor_pids_forkbomb = {
    .name = "pids.forkbomb",
    .resource = ISB_RES_PIDS,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "a bounded fork bomb: up to a cap of short-lived children, replaced as they exit",
    .intensity_help = "% of `cap` live children to hold",
    .metrics = fb_metrics,
    .options = fb_options,
    .run = fb_run,
};
