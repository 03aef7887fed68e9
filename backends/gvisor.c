/*
 * The gvisor backend: gVisor's runsc, an OCI runtime with a kernel of its own, run by the OCI
 * driver (oci.c) on the same bundle as runc and crun. Its keys: platform = ptrace | kvm |
 * systrap (the isolation leaf), network = none | host | sandbox.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/oci.h"
#include "backends/proc.h"

#include <string.h>
#include <sys/stat.h>

#define GV_KEYS (ISB_CTK_NS | ISB_CTK_CGROUP | ISB_CTK_GVISOR)

const struct isb_ct_kind isb_ct_gvisor = {
    .keys = GV_KEYS,
    .ns = ISB_NS_DOCKER,
    .policy = ISB_POLICY_FAIR,
    .caps = "docker",
    .runtime = "runsc",
};

static int gv_check(const struct isb_ctconf *cf, struct isb_err *err)
{
	struct isb_err why = {0};
	if (!strcmp(cf->platform, "kvm") && !isb_kvm_usable(&why))
		return isb_errf(err, 0, "platform kvm needs a usable /dev/kvm: %s", why.msg);
	return 0;
}

static size_t gv_flags(const struct isb_ctconf *cf, char **argv)
{
	static char plat[40], net[40];
	snprintf(plat, sizeof(plat), "--platform=%s", cf->platform);
	snprintf(net, sizeof(net), "--network=%s", cf->network);
	argv[0] = plat;
	argv[1] = net;
	return 2;
}

/* Whether this platform and network really start here, with runsc's own words when they do
 * not (an unknown platform, no /dev/kvm, a refused sandboxed network). */
static int gv_smoke(struct isb_config *c, struct isb_oci *p, struct isb_err *err)
{
	int r = isb_oci_try(c, p, err);
	if (r <= 0)
		return r;
	/* runsc logs "W1128 21:03:30 ... util.go:64] FATAL ERROR: why": keep why */
	char msg[sizeof(err->msg)];
	const char *why_rs = msg, *q;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	while ((q = strstr(why_rs, "] ")))
		why_rs = q + 2;
	if (!strncmp(why_rs, "FATAL ERROR: ", 13))
		why_rs += 13;
	size_t len = strlen(why_rs);
	isb_errf(err, 0,
		 "runsc --platform=%s --network=%s cannot start a sandbox here (exit %d%s): %s",
		 p->cf.platform, p->cf.network, r, r == 124 ? ", timed out" : "",
		 len > 300 ? why_rs + len - 300 : why_rs);
	return -EIO;
}

/* v1 cpuset: the campaign's parent group of the tenants' cpusets, with the root's CPUs and
 * memory nodes. runc fills a parent it creates; runsc (20221219) leaves it empty, and its
 * write of a tenant's cpuset.cpus then fails with EACCES (not a subset of the parent's) when
 * no other configuration of the campaign made the parent first. Removed with the campaign's
 * other groups. */
static int cpuset_parent(const char *campaign_id, struct isb_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	const char *root = "/sys/fs/cgroup/cpuset";
	char dir[300];
	struct stat st;
	if (stat(root, &st) < 0)
		return 0; /* no v1 cpuset hierarchy: nothing to prepare */
	snprintf(dir, sizeof(dir), "%s/isobench-%s", root, campaign_id);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", dir);
	for (size_t i = 0; i < ISB_ARRAY_SIZE(files); i++) {
		char path[400], v[256];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (isb_read_file(path, v, sizeof(v)) > 0 && isb_trim(v)[0])
			continue; /* made and filled by another configuration */
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		if (isb_read_file(path, v, sizeof(v)) <= 0)
			return isb_errf(err, errno, "read %s", path);
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (isb_write_file(path, isb_trim(v)) < 0)
			return isb_errf(err, errno, "write %s", path);
	}
	return 0;
}

static int gv_prepared(struct isb_config *c, struct isb_oci *p, char procs[][512], size_t *nprocs,
		       struct isb_err *err)
{
	/* the platform is the isolation leaf (TAXONOMY.md: gVisor with ptrace, with KVM) */
	if (!strcmp(p->cf.platform, "ptrace"))
		c->declared_leaves |= ISB_LEAF(SB_PTRACE);
	else if (!strcmp(p->cf.platform, "systrap"))
		c->declared_leaves |= ISB_LEAF(SB_SECCOMP);
	else
		c->declared_leaves |= ISB_LEAF(HV_TYPE1) | ISB_LEAF(HV_PARA) | ISB_LEAF(HV_HWA);
	if (gv_smoke(c, p, err) < 0 ||
	    isb_cgroup_campaign_create(c->campaign_id, isb_config_mem_limit(c), c->pids_ceiling,
				       procs, nprocs, err) < 0 ||
	    (isb_cgroup_mode() != ISB_CG_V2 && cpuset_parent(c->campaign_id, err) < 0))
		return -EIO;
	size_t n = strlen(c->cgroup_note);
	snprintf(c->cgroup_note + n, sizeof(c->cgroup_note) - n, "; platform %s, network %s",
		 p->cf.platform, p->cf.network);
	return 0;
}

static const struct isb_oci_runtime gv_runtime = {
    .kind = &isb_ct_gvisor,
    .check = gv_check,
    .flags = gv_flags,
    .prepared = gv_prepared,
    .own_sysfs = true, /* gVisor has its own view */
};

static int gv_prepare(struct isb_config *c, struct isb_err *err)
{
	return isb_oci_prepare(c, &gv_runtime, err);
}

/* gVisor with network = none has its own loopback only: a network stressor's peer listens on
 * the tenant's test-network address, which the sandbox never has (net.peer: listen: Cannot
 * assign requested address). Said once per cell instead of failing every trial. */
static const char *gv_unsupported(const struct isb_config *c, const struct isb_tenant_spec *spec)
{
	const struct isb_oci *p = c->priv;
	if (p && (spec->resource == ISB_RES_NETWORK || spec->talks_to_peer) &&
	    !strcmp(p->cf.network, "none"))
		return "gVisor with network = none has only its own loopback: a network stressor "
		       "needs network = sandbox (or host)";
	return NULL;
}

const struct isb_backend isb_backend_gvisor = {
    .name = "gvisor",
    .class = ISB_CLASS_SANDBOX,
    .help = "gVisor (runsc) on the same bundle: platform = ptrace | kvm | systrap, network = "
	    "none | host | sandbox",
    .available = isb_oci_available,
    .options = isb_ctconf_options,
    .option_set = GV_KEYS,
    .prepare = gv_prepare,
    .spawn = isb_oci_spawn,
    .stop = isb_oci_stop,
    .cleanup = isb_oci_cleanup,
    .unsupported = gv_unsupported,
};
