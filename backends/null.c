/*
 * The null backend: the agent runs in a forked child of the harness, with
 * no exec, pinning or cgroup. It needs no privileges, so the harness
 * (planning, barrier, recording, analysis) can be tested by any user.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/proc.h"

static int null_available(struct isb_err *err)
{
	return 1;
}

static int null_prepare(struct isb_config *c, struct isb_err *err)
{
	c->declared_leaves = 0;
	snprintf(c->cgroup_note, sizeof(c->cgroup_note), "none: the null backend uses no cgroup");
	return 0;
}

static int null_spawn(struct isb_config *c, const struct isb_tenant_spec *spec,
		      struct isb_tenant *t, struct isb_err *err)
{
	struct isb_tenant_spec s = *spec;
	s.pinned = false;
	return isb_proc_spawn(c, &s, t, false, NULL, err);
}

static void null_cleanup(struct isb_config *c)
{
}

const struct isb_backend isb_backend_null = {
    .name = "null",
    .class = ISB_CLASS_NATIVE,
    .help = "in-process fork of the agent, no pinning or limits (harness tests)",
    .available = null_available,
    .prepare = null_prepare,
    .spawn = null_spawn,
    .stop = isb_proc_stop,
    .cleanup = null_cleanup,
};
