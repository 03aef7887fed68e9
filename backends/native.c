/*
 * The native backend: fork/exec of the agent on the host, pinned to its
 * placement's PUs, inside the campaign's safety cgroup (memory and pids
 * ceiling) where the host lets us create one. It realizes no taxonomy leaf:
 * it is the reference every other configuration is compared with.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/proc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct native_priv {
	char procs[3][512];
	size_t nprocs;
};

static int native_available(struct isb_err *err)
{
	return 1;
}

static int native_prepare(struct isb_config *c, struct isb_err *err)
{
	struct isb_err cerr = {0};
	struct native_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "native: prepare");
	c->declared_leaves = 0;
	if (isb_cgroup_campaign_create(c->campaign_id, c->mem_ceiling_bytes, c->pids_ceiling,
				       p->procs, &p->nprocs, &cerr) < 0) {
		/* Not fatal: an unprivileged user still gets deadlines and bounded stressors. */
		snprintf(c->cgroup_note, sizeof(c->cgroup_note), "unavailable: %s", cerr.msg);
		isb_log("backend/native", "no safety cgroup: %s", cerr.msg);
		p->nprocs = 0;
	} else {
		snprintf(c->cgroup_note, sizeof(c->cgroup_note),
			 "%s: memory max %llu bytes, pids max %llu",
			 isb_cgroup_mode_name(isb_cgroup_mode()),
			 (unsigned long long)c->mem_ceiling_bytes,
			 (unsigned long long)c->pids_ceiling);
	}
	c->priv = p;
	return 0;
}

static int native_spawn(struct isb_config *c, const struct isb_tenant_spec *spec,
			struct isb_tenant *t, struct isb_err *err)
{
	struct native_priv *p = c->priv;
	const char *procs[4] = {0};
	struct isb_err cerr = {0};
	/* a runtime that tidies up empty groups may have taken the leaf away: re-create it */
	if (p && p->nprocs && access(p->procs[0], F_OK) < 0 &&
	    isb_cgroup_campaign_create(c->campaign_id, isb_config_mem_limit(c), c->pids_ceiling,
				       p->procs, &p->nprocs, &cerr) < 0)
		return isb_errf(err, 0, "campaign cgroup: %s", cerr.msg);
	for (size_t i = 0; p && i < p->nprocs; i++)
		procs[i] = p->procs[i];
	return isb_proc_spawn(c, spec, t, true, procs, err);
}

static void native_cleanup(struct isb_config *c)
{
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
}

const struct isb_backend isb_backend_native = {
    .name = "native",
    .class = ISB_CLASS_NATIVE,
    .help = "fork/exec of the agent on the host, pinned by placement",
    .available = native_available,
    .prepare = native_prepare,
    .spawn = native_spawn,
    .stop = isb_proc_stop,
    .cleanup = native_cleanup,
};
