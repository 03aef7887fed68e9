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
	struct native_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "native: prepare");
	c->declared_leaves = 0;
	isb_cgroup_campaign_safety(c, "backend/native", p->procs, &p->nprocs);
	c->priv = p;
	return 0;
}

static int native_spawn(struct isb_config *c, const struct isb_tenant_spec *spec,
			struct isb_tenant *t, struct isb_err *err)
{
	struct native_priv *p = c->priv;
	const char *procs[4] = {0};
	if (p && isb_cgroup_campaign_join(c, p->procs, &p->nprocs, procs, err) < 0)
		return -EIO;
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
