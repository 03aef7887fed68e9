/*
 * The oci backend: the real OCI runtimes people deploy (runc, crun). For
 * every tenant it writes a bundle (config.json made with json-c: the same
 * namespaces, cgroup limits, capabilities and read-only root file system of
 * host binds as the own runtime) under the campaign's state directory and
 * runs `RUNTIME run` in the foreground, its stdio being the agent's. The
 * runtime's own state lives under the campaign's state directory too, so a
 * killed campaign leaves nothing the next start cannot find.
 *
 * crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not
 * supported"): there it runs in a private mount namespace in which the
 * cgroup2 mount at /sys/fs/cgroup/unified is unmounted, and the
 * configuration's note says so.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/ctconf.h"
#include "backends/oci.h"
#include "backends/proc.h"
#include "backends/tenantnet.h"

#include <json-c/json.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct oci_tenant {
	struct isb_tenant_net net;
	struct isb_rdt_tenant rdt;
	char id[128], bundle[700], name[64], campaign_id[40];
	struct isb_oci *p;
};

int isb_oci_available(struct isb_err *err)
{
	if (geteuid() != 0) {
		isb_errf(err, 0, "needs root (runc and crun run rootful)");
		return 0;
	}
	return 1;
}

static int in_path(const char *prog)
{
	char path[1024];
	const char *env = getenv("PATH");
	char buf[2048];
	snprintf(buf, sizeof(buf), "%s", env ? env : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, prog);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
}

static int hide_unified(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return umount2("/sys/fs/cgroup/unified", MNT_DETACH);
}

static int write_bundle(struct isb_config *c, struct isb_oci *p, struct oci_tenant *ot,
			const char *name, char **argv, const struct isb_limits *l,
			struct isb_err *err);
static size_t run_argv(struct isb_oci *p, struct oci_tenant *ot, char **rargv);

int isb_oci_try(struct isb_config *c, struct isb_oci *p, struct isb_err *err)
{
	struct oci_tenant ot = {.p = p};
	struct isb_limits l = {0};
	char *argv[] = {"/bin/true", NULL}, *rargv[16];
	snprintf(ot.name, sizeof(ot.name), "check");
	snprintf(ot.campaign_id, sizeof(ot.campaign_id), "%s", c->campaign_id);
	snprintf(ot.id, sizeof(ot.id), "isobench-%s-check", c->campaign_id);
	snprintf(ot.bundle, sizeof(ot.bundle), "%s/bundle-check", c->state_dir);
	int r = write_bundle(c, p, &ot, "check", argv, &l, err);
	if (r == 0) {
		rargv[0] = "timeout";
		rargv[1] = "20";
		run_argv(p, &ot, rargv + 2);
		err->errnum = 0;
		r = isb_run_cmd(rargv, err->msg, sizeof(err->msg));
	}
	char *del[] = {p->cf.runtime, "--root", p->root, "delete", "-f", ot.id, NULL};
	isb_run_cmd(del, NULL, 0);
	isb_remove_tree(ot.bundle);
	isb_cgroup_campaign_remove(c->campaign_id); /* recreated by prepare */
	return r;
}

int isb_oci_prepare(struct isb_config *c, const struct isb_oci_runtime *rt, struct isb_err *err)
{
	char procs[3][512];
	size_t nprocs = 0;
	struct isb_oci *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "oci: prepare");
	p->rt = rt;
	if (isb_ctconf_parse(c, &p->cf, rt->kind, err) < 0 ||
	    (rt->check && rt->check(&p->cf, err) < 0))
		goto fail_free_p;
	if (!(p->cf.ns & (1u << ISB_NS_MNT))) {
		isb_errf(err, 0, "OCI runtimes always use a mount namespace: drop ns.mount = no");
		goto fail_free_p;
	}
	if (!in_path(p->cf.runtime)) {
		isb_errf(err, 0, "%s is not installed (apt-get install %s)", p->cf.runtime,
			 p->cf.runtime);
		goto fail_free_p;
	}
	FILE *f = NULL;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "%s --version 2>/dev/null", p->cf.runtime);
	if ((f = popen(cmd, "r"))) {
		char line[128] = "";
		if (fgets(line, sizeof(line), f))
			snprintf(p->version, sizeof(p->version), "%s", isb_trim(line));
		pclose(f);
	}
	p->hide_unified = !strcmp(p->cf.runtime, "crun") && isb_cgroup_mode() == ISB_CG_HYBRID;
	snprintf(p->root, sizeof(p->root), "%s/%s", c->state_dir, p->cf.runtime);
	if (mkdir(p->root, 0700) < 0 && errno != EEXIST) {
		isb_errf(err, errno, "mkdir %s", p->root);
		goto fail_free_p;
	}
	if (isb_ct_prepare_common(c, &p->cf, rt->kind, procs, &nprocs, err) < 0)
		goto fail_free_p;
	/* OCI runtimes always give a tenant a cgroup of its own */
	c->declared_leaves |= ISB_LEAF(CT_CGROUPS);
	size_t n = strlen(c->cgroup_note);
	snprintf(c->cgroup_note + n, sizeof(c->cgroup_note) - n, "; %s%s", p->version,
		 p->hide_unified ? "; hybrid host: crun runs in a private mount namespace with "
				   "the cgroup2 mount /sys/fs/cgroup/unified unmounted"
				 : "");
	if (rt->prepared && rt->prepared(c, p, procs, &nprocs, err) < 0)
		goto fail_free_p;
	c->priv = p;
	return 0;
fail_free_p:
	free(p);
	return -EINVAL;
}

static int write_bundle(struct isb_config *c, struct isb_oci *p, struct oci_tenant *ot,
			const char *name, char **argv, const struct isb_limits *l,
			struct isb_err *err)
{
	return isb_oci_bundle(c, p, ot->bundle, name, argv, l, &ot->net, &ot->rdt, err);
}

/* RUNTIME [its global flags] --root R run --bundle B ID */
static size_t run_argv(struct isb_oci *p, struct oci_tenant *ot, char **rargv)
{
	size_t n = 0;
	rargv[n++] = p->cf.runtime;
	if (!strcmp(p->cf.runtime, "crun"))
		rargv[n++] = "--cgroup-manager=cgroupfs";
	if (p->rt->flags)
		n += p->rt->flags(&p->cf, rargv + n);
	rargv[n++] = "--root";
	rargv[n++] = p->root;
	rargv[n++] = "run";
	rargv[n++] = "--bundle";
	rargv[n++] = ot->bundle;
	rargv[n++] = ot->id;
	rargv[n] = NULL;
	return n;
}

static void runtime_cmd(struct isb_oci *p, const char *verb, const char *id, const char *arg)
{
	char *argv[10];
	size_t n = 0;
	argv[n++] = p->cf.runtime;
	argv[n++] = "--root";
	argv[n++] = p->root;
	argv[n++] = (char *)verb;
	if (!strcmp(verb, "delete"))
		argv[n++] = "-f";
	argv[n++] = (char *)id;
	if (arg)
		argv[n++] = (char *)arg;
	argv[n] = NULL;
	char errbuf[256];
	isb_run_cmd(argv, errbuf, sizeof(errbuf));
}

int isb_oci_spawn(struct isb_config *c, const struct isb_tenant_spec *spec_in, struct isb_tenant *t,
		  struct isb_err *err)
{
	struct isb_oci *p = c->priv;
	struct isb_tenant_spec spec_buf = *spec_in, *spec = &spec_buf;
	struct isb_tenant_net net = {0};
	char *argv[64], store[8192], name[64];
	if (isb_tenant_wants_link(&p->cf, spec)) {
		if (isb_tenant_net_create(c, &net, err) < 0)
			return -EIO;
		if (spec->role == ISB_ROLE_PEER)
			spec->peer = net.addr;
		snprintf(t->addr, sizeof(t->addr), "%s", net.addr);
	}
	struct isb_limits l;
	cpu_set_t cpus;
	struct oci_tenant *ot = calloc(1, sizeof(*ot));
	if (!ot) {
		isb_tenant_net_remove(&net);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	ot->p = p;
	ot->net = net;
	if (isb_agent_argv(c, spec, argv, ISB_ARRAY_SIZE(argv), store, sizeof(store)) < 0 ||
	    isb_ctconf_limits(&p->cf, c, spec, &l, &cpus, err) < 0) {
		isb_tenant_net_remove(&ot->net);
		free(ot);
		return isb_errf(err, E2BIG, "%s: agent arguments or limits", spec->label);
	}
	snprintf(name, sizeof(name), "%s-%u", spec->label, ++p->seq);
	snprintf(ot->name, sizeof(ot->name), "%s", name);
	snprintf(ot->campaign_id, sizeof(ot->campaign_id), "%s", c->campaign_id);
	snprintf(ot->id, sizeof(ot->id), "isobench-%s-%s", c->campaign_id, name);
	snprintf(ot->bundle, sizeof(ot->bundle), "%s/bundle-%s", c->state_dir, name);
	if (isb_rdt_tenant_create(isb_rdt_root(), &p->cf.rdt, c->campaign_id, name, spec->label,
				  &ot->rdt, err) < 0 ||
	    write_bundle(c, p, ot, name, argv, &l, err) < 0) {
		isb_remove_tree(ot->bundle);
		isb_rdt_tenant_remove(&ot->rdt);
		isb_tenant_net_remove(&ot->net);
		free(ot);
		return -EIO;
	}
	char *rargv[16];
	run_argv(p, ot, rargv);
	/* the runtime runs where the tenant should: its children inherit the affinity */
	struct isb_tenant_spec s2 = *spec;
	s2.pinned = true;
	s2.cpus = cpus;
	struct isb_spawn_hook h = {.argv = rargv, .child = p->hide_unified ? hide_unified : NULL};
	/* the runtime's process joins the tenant's resctrl group before exec: what it forks
	 * (the container) inherits the group */
	const char *rdt_tasks[] = {ot->rdt.tasks[0] ? ot->rdt.tasks : NULL, NULL};
	if (isb_proc_spawn_ex(c, &s2, t, rdt_tasks, &h, err) < 0) {
		isb_remove_tree(ot->bundle);
		isb_rdt_tenant_remove(&ot->rdt);
		isb_tenant_net_remove(&ot->net);
		free(ot);
		return -EIO;
	}
	t->priv = ot;
	/* the runtime makes the tenant's cgroup at cgroupsPath: where its statistics are */
	enum isb_cgroup_mode m = isb_cgroup_mode();
	static const char *const v1[] = {"cpu", "memory", "blkio", "pids"};
	t->ncgroups = 0;
	for (size_t i = 0; i < (m == ISB_CG_V2 ? 1 : ISB_ARRAY_SIZE(v1)); i++)
		snprintf(t->cgroups[t->ncgroups++], sizeof(t->cgroups[0]),
			 "/sys/fs/cgroup%s%s/isobench-%s/%s", m == ISB_CG_V2 ? "" : "/",
			 m == ISB_CG_V2 ? "" : v1[i], c->campaign_id, ot->name);
	return 0;
}

static void oci_kill(void *arg)
{
	struct oci_tenant *ot = arg;
	runtime_cmd(ot->p, "kill", ot->id, "KILL");
}

int isb_oci_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct oci_tenant *ot = t->priv;
	isb_proc_stop_via(t, grace_ns, ot ? oci_kill : NULL, ot);
	if (ot) {
		char dir[700];
		enum isb_cgroup_mode m = isb_cgroup_mode();
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s/isobench-%s/%s",
			 m == ISB_CG_V2 ? "" : "/memory", ot->campaign_id, ot->name);
		t->oom_kills = isb_cg_dir_oom_kills(dir);
		runtime_cmd(ot->p, "delete", ot->id, NULL);
		isb_remove_tree(ot->bundle);
		/* runc leaves a group named by closID to whoever made it: isobench */
		isb_rdt_tenant_remove(&ot->rdt);
		isb_tenant_net_remove(&ot->net);
		free(ot);
		t->priv = NULL;
	}
	return 0;
}

void isb_oci_cleanup(struct isb_config *c)
{
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	isb_rdt_campaign_remove(c->campaign_id);
}

#define OCI_KEYS (ISB_CTK_NS | ISB_CTK_CGROUP | ISB_CTK_RUNTIME)

/* Docker's defaults, as the own runtime's */
const struct isb_ct_kind isb_ct_oci = {
    .keys = OCI_KEYS,
    .ns = ISB_NS_DOCKER,
    .policy = ISB_POLICY_FAIR,
    .caps = "docker",
    .runtime = "runc",
};

static const struct isb_oci_runtime oci_runtime = {.kind = &isb_ct_oci};

static int oci_prepare(struct isb_config *c, struct isb_err *err)
{
	return isb_oci_prepare(c, &oci_runtime, err);
}

/* The runtimes the oci and gvisor backends run, as the host's description found them. */
static void oci_describe(FILE *out, json_object *host)
{
	static const char *const rt[] = {"runc", "crun", "runsc", "libcap-ng"};
	json_object *v, *x;
	if (!json_object_object_get_ex(host, "versions", &v))
		return;
	fprintf(out, "runtimes:\n");
	for (size_t i = 0; i < ISB_ARRAY_SIZE(rt); i++)
		if (json_object_object_get_ex(v, rt[i], &x))
			fprintf(out, "  %-9s %s%s\n", rt[i], json_object_get_string(x),
				!strcmp(rt[i], "crun") && isb_cgroup_mode() == ISB_CG_HYBRID
				    ? " (hybrid host: run with the cgroup2 mount hidden in a "
				      "private mount namespace)"
				    : "");
}

const struct isb_backend isb_backend_oci = {
    .name = "oci",
    .class = ISB_CLASS_CONTAINER,
    .help = "an OCI runtime (runtime = runc | crun) on a bundle isobench writes",
    .available = isb_oci_available,
    .options = isb_ctconf_options,
    .option_set = OCI_KEYS,
    .prepare = oci_prepare,
    .spawn = isb_oci_spawn,
    .stop = isb_oci_stop,
    .cleanup = isb_oci_cleanup,
    .describe = oci_describe,
};
