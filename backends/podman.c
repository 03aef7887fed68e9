/*
 * The podman backend: each tenant is a `podman run --rm -i --rootfs DIR` of a root file system
 * of the agent (ctcli.c), rootful or rootless, with storage, run and tmp directories of its
 * own under the campaign's state directory (--root, --runroot, --tmpdir, and for rootless
 * HOME and XDG_RUNTIME_DIR), so nothing of the host's podman is read or written. The
 * container keys map to the same flags as docker's (ctcli.c). Rootful containers live below
 * the campaign's cgroup (--cgroup-parent, the cgroupfs manager). Rootless ones run as a user
 * the suite names or one the campaign creates (tenantuser.c); on cgroup v1 podman then
 * ignores every limit with only a warning, which prepare catches with a dry run and the
 * configuration's note reports: "declared limits were not applied".
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/agentfs.h"
#include "backends/ctcli.h"
#include "backends/ctconf.h"
#include "backends/guest.h"
#include "backends/podman.h"
#include "backends/proc.h"
#include "backends/tenantuser.h"

#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PODMAN_KEYS    (ISB_CTK_NS | ISB_CTK_CGROUP)
#define PODMAN_DRY_NS  (60ull * 1000000000ull)
#define PODMAN_IGNORED "Resource limits are not supported and ignored"
#define NOT_APPLIED    "declared limits were not applied (rootless podman on cgroup v1)"

/* what "backend = podman" alone means: Podman 4's defaults (containers.conf's capabilities) */
static const struct isb_ct_kind podman_kind = {
    .keys = PODMAN_KEYS,
    .ns = ISB_NS_DOCKER,
    .policy = ISB_POLICY_FAIR,
    .caps = "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,NET_BIND_SERVICE,SETFCAP,SETGID,SETPCAP,"
	    "SETUID,SYS_CHROOT",
    .runtime = "runc",
};

static atomic_uint config_seq;

struct podman_priv {
	struct isb_ctconf cf;
	bool rootless, unconfined, limits_ignored;
	char user_name[40];
	struct isb_tenant_user user;
	char dir[600];	  /* <state_dir>/podman/<n> */
	char rootfs[640]; /* dir/rootfs */
	char udir[640];	  /* dir/u: everything podman writes (owned by the user when rootless) */
	/* --runroot: podman refuses one longer than 50 characters (its sockets' paths), so a
	 * link /run/isbp-<campaign>-<n> to dir/u/runroot */
	char runroot[80];
	char version[120];
	char dry_leaves[128]; /* what the dry run's probe saw */
	char procs[3][512];
	size_t nprocs;
	char *envp[16];
	char envs[8][700];
	atomic_uint seq;
};

struct podman_tenant {
	char name[128], cidfile[760], pidfile[760];
	struct podman_priv *p;
	struct isb_tenant_net net; /* its link into the test network, joined once it runs */
};

static void runroot_link(const char *id, unsigned n, char *out, size_t size)
{
	snprintf(out, size, "/run/isbp-%s-%u", id, n);
}

static int podman_available(struct isb_err *err)
{
	if (geteuid() != 0)
		return isb_errf(err, 0, "needs root (private storage, and a user for rootless)"), 0;
	if (!isb_ctcli_in_path("podman"))
		return isb_errf(err, 0, "podman is not in PATH (apt-get install podman uidmap)"), 0;
	if (!isb_ctcli_in_path("runc"))
		return isb_errf(err, 0, "runc is not in PATH (crun refuses hybrid cgroups here)"),
		       0;
	return 1;
}

/* Its own keys beside the container keys: mode, user, seccomp. */
static int podman_check(const char *key, const char *value, struct isb_err *err)
{
	char keys[1024];
	if (!strcmp(key, "mode"))
		return strcmp(value, "rootful") && strcmp(value, "rootless")
			   ? isb_errf(err, 0, "mode: '%s' is not rootful or rootless", value)
			   : 0;
	if (!strcmp(key, "user"))
		return !value[0] || strlen(value) >= 32 || strchr(value, '/')
			   ? isb_errf(err, 0, "user: '%s' is not a user name", value)
			   : 0;
	if (strcmp(key, "seccomp"))
		return isb_errf(
		    err, 0, "unknown key '%s' (%s, mode, user, seccomp)", key,
		    isb_option_list(isb_ctconf_options, PODMAN_KEYS, keys, sizeof(keys)));
	if (strcmp(value, "default") && strcmp(value, "unconfined"))
		return isb_errf(err, 0, "seccomp: '%s' is not default or unconfined", value);
	return 0;
}

static bool own_key(const char *key)
{
	return !strcmp(key, "seccomp") || !strcmp(key, "mode") || !strcmp(key, "user");
}

/* The container keys' parse, without its own keys (moved past nopts meanwhile). */
static int prepare_ct(struct isb_config *c, struct podman_priv *p, struct isb_err *err)
{
	size_t moved[3], k = 0;
	for (size_t i = c->nopts; i-- > 0 && k < ISB_ARRAY_SIZE(moved);) {
		const char *key = c->opts[i].key, *v = c->opts[i].value;
		if (!own_key(key))
			continue;
		if (!strcmp(key, "seccomp"))
			p->unconfined = !strcmp(v, "unconfined");
		else if (!strcmp(key, "mode"))
			p->rootless = !strcmp(v, "rootless");
		else
			snprintf(p->user_name, sizeof(p->user_name), "%s", v);
		ISB_SWAP(c->opts[i], c->opts[c->nopts - 1]);
		moved[k++] = i;
		c->nopts--;
	}
	int r = isb_ct_prepare_common(c, &p->cf, &podman_kind, p->procs, &p->nprocs, err);
	while (k-- > 0) {
		c->nopts++;
		ISB_SWAP(c->opts[moved[k]], c->opts[c->nopts - 1]);
	}
	return r;
}

/* podman's environment: its HOME, config and runtime directories are ours, not the host's */
static void make_env(struct podman_priv *p)
{
	static const char *const var[] = {"HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
					  "XDG_DATA_HOME", "TMPDIR"};
	static const char *const sub[] = {"home", "run", "home/.config", "home/.local/share",
					  "tmp"};
	size_t n = 0;
	snprintf(p->envs[n], sizeof(p->envs[0]), "PATH=%s",
		 getenv("PATH") ? getenv("PATH") : "/usr/sbin:/usr/bin:/sbin:/bin");
	p->envp[n] = p->envs[n];
	n++;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(var); i++, n++) {
		snprintf(p->envs[n], sizeof(p->envs[0]), "%s=%s/%s", var[i], p->udir, sub[i]);
		p->envp[n] = p->envs[n];
	}
	p->envp[n] = NULL;
}

static int make_dirs(struct podman_priv *p, struct isb_err *err)
{
	static const char *const sub[] = {
	    "",	    "/home", "/home/.config", "/home/.local", "/home/.local/share",
	    "/run", "/tmp",  "/ids",	      "/runroot"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sub); i++) {
		char path[700];
		snprintf(path, sizeof(path), "%s%s", p->udir, sub[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return isb_errf(err, errno, "mkdir %s", path);
		if (p->rootless && chown(path, p->user.uid, p->user.gid) < 0)
			return isb_errf(err, errno, "chown %s to %s", path, p->user.name);
	}
	return 0;
}

/* The tenant's side of the fork: podman's environment, and the user when rootless. */
static int podman_child(void *arg)
{
	struct podman_priv *p = arg;
	environ = p->envp;
	if (p->rootless && isb_tenant_user_become(&p->user) < 0)
		return -1;
	return 0;
}

/* A tenant's podman, conmon and runc run on the container's own CPUs: the engine's work for
 * a tenant (podman run relays its pipes all along) is charged to that tenant's share, not
 * to the CPUs of the placement, which a partitioned victim may not share with it. */
struct podman_child_arg {
	struct podman_priv *p;
	cpu_set_t cpus;
};

static int podman_tenant_child(void *arg)
{
	struct podman_child_arg *ca = arg;
	if (CPU_COUNT(&ca->cpus) > 0 && sched_setaffinity(0, sizeof(ca->cpus), &ca->cpus) < 0)
		return -1;
	return podman_child(ca->p);
}

/* podman --root ... (the global flags) into a */
static int global_flags(struct isb_ctargv *a, const struct podman_priv *p)
{
	return isb_ctargv_add(a, "podman") | isb_ctargv_add(a, "--root=%s/root", p->udir) |
	       isb_ctargv_add(a, "--runroot=%s", p->runroot) |
	       isb_ctargv_add(a, "--tmpdir=%s/libpod", p->udir) |
	       isb_ctargv_add(a, "--cgroup-manager=cgroupfs") |
	       isb_ctargv_add(a, "--events-backend=file") | isb_ctargv_add(a, "--runtime=runc");
}

/* Runs a to completion as podman runs (its environment, its user), stdout into out and
 * stderr into errout (either may be NULL): the exit status, or -1. */
static int run_podman(struct podman_priv *p, struct isb_ctargv *a, char *out, size_t osize,
		      char *errout, size_t esize)
{
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (podman_child(p) < 0)
			_exit(126);
		execvp(a->v[0], a->v);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	char *bufs[2] = {out, errout};
	size_t sizes[2] = {osize, esize}, used[2] = {0, 0};
	int fds[2] = {po[0], pe[0]};
	for (int i = 0; i < 2; i++) {
		char junk[4096];
		ssize_t k;
		while (
		    pid > 0 &&
		    (k = read(fds[i], bufs[i] && used[i] + 1 < sizes[i] ? bufs[i] + used[i] : junk,
			      bufs[i] && used[i] + 1 < sizes[i] ? sizes[i] - used[i] - 1
								: sizeof(junk))) > 0)
			if (bufs[i] && used[i] + 1 < sizes[i])
				used[i] += (size_t)k;
		if (bufs[i])
			bufs[i][used[i]] = 0;
		close(fds[i]);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void read_version(struct podman_priv *p)
{
	struct isb_ctargv *a = calloc(1, sizeof(*a));
	char out[128] = "", rv[128] = "";
	char *rargv[] = {"runc", "--version", NULL};
	snprintf(p->version, sizeof(p->version), "Podman (version unknown)");
	if (!a)
		return;
	if ((global_flags(a, p) | isb_ctargv_add(a, "version") |
	     isb_ctargv_add(a, "--format={{.Client.Version}}")) == 0 &&
	    run_podman(p, a, out, sizeof(out), NULL, 0) == 0 && isb_trim(out)[0])
		snprintf(p->version, sizeof(p->version), "Podman %s", isb_trim(out));
	if (isb_run_output(rargv, rv, sizeof(rv)) == 0) {
		char *sp = strstr(rv, "version ");
		size_t n = strlen(p->version);
		snprintf(p->version + n, sizeof(p->version) - n, ", runc %.*s",
			 sp ? (int)strcspn(sp + 8, "\n+") : 0, sp ? sp + 8 : "");
	}
	free(a);
}

/* The agent's arguments at /isobench/agent in the container. */
static int agent_args(const struct isb_config *c, const struct isb_tenant_spec *spec,
		      struct isb_ctargv *a)
{
	char *aargv[64], store[8192], agent[1024];
	struct isb_config ac = *c;
	bool sub;
	ac.agent_path = "/isobench/agent";
	isb_guest_agent(c->agent_path, c->agent_is_isobench, agent, sizeof(agent), &sub);
	ac.agent_is_isobench = sub;
	/* a rootless container gets no scratch volume (the directory is root's): its stressors
	 * use their own /tmp (a tmpfs with --read-only), or say they need one */
	const struct podman_priv *p = c->priv;
	if (p && p->rootless)
		ac.scratch_dir[0] = 0;
	if (isb_agent_argv(&ac, spec, aargv, ISB_ARRAY_SIZE(aargv), store, sizeof(store)) < 0)
		return -E2BIG;
	int r = 0;
	for (size_t i = 0; aargv[i]; i++)
		r |= isb_ctargv_add(a, "%s", aargv[i]);
	return r;
}

/* podman ... run ... --rootfs, up to the root file system and command */
static int run_flags(const struct isb_config *c, const struct podman_priv *p,
		     const struct isb_limits *l, const cpu_set_t *cpus, struct isb_ctargv *a)
{
	/* rootless on cgroup v1: podman ignores every limit with a warning but runc refuses
	 * to start a container with a blkio throttle; the io limits are left out (and the
	 * report says the declared limits were not applied) */
	struct isb_limits lim = *l;
	if (p->rootless && isb_cgroup_mode() != ISB_CG_V2)
		lim.io_rbps = lim.io_wbps = lim.io_riops = lim.io_wiops = 0;
	int r = global_flags(a, p) | isb_ctargv_add(a, "run") | isb_ctargv_add(a, "--rm") |
		isb_ctargv_add(a, "-i") | isb_ctargv_add(a, "--network=none") |
		isb_ctargv_add(a, "--log-driver=none") | isb_ctargv_add(a, "--cgroupns=private") |
		isb_ctargv_add(a, "--read-only") |
		/* root here lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set */
		isb_ctargv_add(a, "--ulimit=nofile=20000:20000") |
		isb_ctargv_add(a, "--ulimit=nproc=32768:32768") |
		isb_ctcli_limit_flags(a, &lim, cpus) | isb_ctcli_caps_flags(a, &p->cf);
	if (!p->rootless)
		r |= isb_ctargv_add(a, "--cgroup-parent=/isobench-%s", c->campaign_id);
	if (p->unconfined)
		r |= isb_ctargv_add(a, "--security-opt=seccomp=unconfined");
	if (!p->rootless && c->scratch_dir[0])
		r |= isb_ctargv_add(a, "--volume=%s:%s", c->scratch_dir, c->scratch_dir);
	return r | isb_ctargv_add(a, "--rootfs"); /* a flag: the root file system is the image */
}

/* A dry run of the agent's probe with the victim's limits: whether podman applies them.
 * Rootless on cgroup v1 warns that it ignores them, and the probe finds no limit tighter
 * than the campaign's ceilings. Also creates the storage, so that the first tenant's
 * start-up is not the storage's. */
static int dry_run(struct isb_config *c, struct podman_priv *p, struct isb_err *err)
{
	struct isb_tenant_spec probe = {.label = "victim"};
	struct isb_limits l;
	cpu_set_t cpus;
	char out[16384] = "", errout[4096] = "";
	if (isb_ctconf_limits(&p->cf, c, &probe, &l, &cpus, err) < 0)
		return -EINVAL;
	struct isb_ctargv *a = calloc(1, sizeof(*a));
	if (!a)
		return isb_errf(err, ENOMEM, "podman: dry run");
	int r = run_flags(c, p, &l, &cpus, a) | isb_ctargv_add(a, "%s", p->rootfs) |
		isb_ctargv_add(a, "/isobench/agent") | isb_ctargv_add(a, "--probe") |
		isb_ctargv_add(a, "--ceilings=%llu:%llu", (unsigned long long)c->mem_ceiling_bytes,
			       (unsigned long long)c->pids_ceiling);
	int st = r < 0 ? -1 : run_podman(p, a, out, sizeof(out), errout, sizeof(errout));
	free(a);
	p->limits_ignored = strstr(errout, PODMAN_IGNORED) != NULL;
	const char *lv = strstr(out, "\"leaves\":\"");
	if (st != 0 || !lv) {
		for (char *q = errout; *q; q++)
			*q = *q == '\n' ? ' ' : *q;
		isb_log("backend/podman", "the dry run's podman said: %s", errout);
		/* its error line, past the warnings */
		char *e = strstr(errout, "Error"), *m = e ? e : isb_trim(errout);
		return isb_errf(err, 0,
				"podman: a dry run of the agent's probe failed (exit %d): %s", st,
				m[0] ? m : "no probe line");
	}
	snprintf(p->dry_leaves, sizeof(p->dry_leaves), "%.*s", (int)strcspn(lv + 10, "\""),
		 lv + 10);
	return 0;
}

static int podman_prepare(struct isb_config *c, struct isb_err *err)
{
	if (!podman_available(err))
		return -ENOENT;
	struct podman_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "podman: prepare");
	if (prepare_ct(c, p, err) < 0)
		goto fail_free_p;
	if (p->cf.ns != ISB_NS_DOCKER) {
		isb_errf(err, 0, "podman: the namespaces are Podman's (drop namespaces, ns.NAME)");
		goto fail_free_p;
	}
	if (p->user_name[0] && !p->rootless) {
		isb_errf(err, 0, "podman: user = %s needs mode = rootless", p->user_name);
		goto fail_free_p;
	}
	char top[560];
	snprintf(top, sizeof(top), "%s/podman", c->state_dir);
	unsigned n = atomic_fetch_add(&config_seq, 1);
	snprintf(p->dir, sizeof(p->dir), "%s/%u", top, n);
	snprintf(p->rootfs, sizeof(p->rootfs), "%s/rootfs", p->dir);
	snprintf(p->udir, sizeof(p->udir), "%s/u", p->dir);
	runroot_link(c->campaign_id, n, p->runroot, sizeof(p->runroot));
	if ((mkdir(top, 0711) < 0 && errno != EEXIST) || mkdir(p->dir, 0711) < 0) {
		isb_errf(err, errno, "mkdir %s", p->dir);
		goto fail_free_p;
	}
	char target[700];
	snprintf(target, sizeof(target), "%s/runroot", p->udir);
	if (symlink(target, p->runroot) < 0) {
		isb_errf(err, errno, "symlink %s to %s", p->runroot, target);
		goto fail_remove_dir;
	}
	if (p->rootless) {
		/* the user reaches its directories through ours: search, not read */
		if (isb_tenant_user_open_state(c, err) < 0)
			goto fail_remove_dir;
		if (isb_tenant_user_get(c, p->user_name, &p->user, err) < 0)
			goto fail_remove_dir;
		p->cf.ns |= 1u << ISB_NS_USER;
	}
	make_env(p);
	if ((p->rootless &&
	     isb_tenant_user_reachable(p->dir, &p->user, "its storage",
				       "state directory: ISOBENCH_STATE_DIR", err) < 0) ||
	    make_dirs(p, err) < 0 || isb_agent_rootfs(c, p->rootfs, false, NULL, err) < 0)
		goto fail_put_user;
	read_version(p);
	if (dry_run(c, p, err) < 0)
		goto fail_put_user;
	c->declared_leaves = isb_ctconf_leaves(&p->cf) | ISB_LEAF(CT_NS) |
			     (p->unconfined ? 0 : ISB_LEAF(SB_SECCOMP));
	if (!p->rootless)
		c->declared_leaves |= ISB_LEAF(CT_CGROUPS);
	isb_note_add(c->cgroup_note, sizeof(c->cgroup_note),
		     "%s, %s%s; seccomp=%s; network=none (a link of the test network joins "
		     "the namespace of a network tenant)",
		     p->version, p->rootless ? "rootless, in a user namespace, as " : "rootful",
		     p->rootless ? p->user.name : "", p->unconfined ? "unconfined" : "default");
	/* a finding, not an error: the cells run, without the limits the suite declared */
	bool cg_seen = strstr(p->dry_leaves, "CT_CGROUPS") != NULL;
	if (isb_ctconf_wants_cgroup(&p->cf) && (p->limits_ignored || !cg_seen))
		isb_note_add(c->cgroup_note, sizeof(c->cgroup_note),
			     "%s: the dry run's probe saw %s%s",
			     p->rootless && isb_cgroup_mode() != ISB_CG_V2
				 ? NOT_APPLIED
				 : "declared limits were not applied",
			     cg_seen ? "its cgroup limits" : "no cgroup limit of its own",
			     p->limits_ignored ? ", and podman warned \"" PODMAN_IGNORED "\"" : "");
	c->priv = p;
	return 0;
fail_put_user:
	if (p->rootless)
		isb_tenant_user_put(&p->user);
fail_remove_dir:
	unlink(p->runroot);
	isb_ctcli_umount_under(p->dir);
	isb_remove_tree(p->dir);
fail_free_p:
	isb_cgroup_campaign_remove(c->campaign_id);
	free(p);
	return -EINVAL;
}

static const char *podman_unsupported(const struct isb_config *c,
				      const struct isb_tenant_spec *spec)
{
	const struct podman_priv *p = c->priv;
	if ((spec->talks_to_peer || spec->resource == ISB_RES_NETWORK) && !c->testnet_hub[0])
		return "podman: its containers run with --network none (Podman's default network "
		       "is 10.88.0.0/16, a private range) and join the campaign's test network, "
		       "which this campaign has not made";
	if (p && p->rootless && spec->resource == ISB_RES_DISK)
		return "podman: rootless containers do not get the campaign's scratch directory "
		       "(it is root's)";
	return NULL;
}

/* The container's cgroups (rootful) and first process, once podman wrote its files. */
static void find_tenant(const struct isb_config *c, const struct podman_tenant *pt,
			struct isb_tenant *t)
{
	char id[128] = "", buf[64] = "";
	uint64_t deadline = isb_now_ns() + 20000000000ull;
	siginfo_t si = {0};
	while (isb_read_file(pt->pidfile, buf, sizeof(buf)) <= 0 && isb_now_ns() < deadline &&
	       waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && !si.si_pid)
		isb_sleep_ns(5000000);
	/* the container's first process is no child of podman run's: the counters, attribution
	 * and host use follow it as well */
	if (atoi(buf) > 0) {
		t->threads[0] = (pid_t)atoi(buf);
		t->nthreads = 1;
	}
	if (pt->p->rootless || isb_read_file(pt->cidfile, id, sizeof(id)) <= 0)
		return; /* rootless on v1: no cgroup of its own */
	enum isb_cgroup_mode m = isb_cgroup_mode();
	static const char *const v1[] = {"cpu", "memory", "blkio", "pids"};
	t->ncgroups = 0;
	for (size_t i = 0; i < (m == ISB_CG_V2 ? 1 : ISB_ARRAY_SIZE(v1)); i++)
		snprintf(t->cgroups[t->ncgroups++], sizeof(t->cgroups[0]),
			 "/sys/fs/cgroup%s%s/isobench-%s/libpod-%.64s", m == ISB_CG_V2 ? "" : "/",
			 m == ISB_CG_V2 ? "" : v1[i], c->campaign_id, isb_trim(id));
}

static int podman_stop(struct isb_tenant *t, uint64_t grace_ns);

static int podman_spawn(struct isb_config *c, const struct isb_tenant_spec *spec,
			struct isb_tenant *t, struct isb_err *err)
{
	struct podman_priv *p = c->priv;
	struct isb_limits l;
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	const char *procs[4] = {0};
	struct isb_ctargv *a = calloc(1, sizeof(*a));
	struct podman_tenant *pt = calloc(1, sizeof(*pt));
	if (!a || !pt) {
		free(a);
		free(pt);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	pt->p = p;
	snprintf(pt->name, sizeof(pt->name), "isobench-%s-%s-%u", c->campaign_id, spec->label,
		 atomic_fetch_add(&p->seq, 1));
	snprintf(pt->cidfile, sizeof(pt->cidfile), "%s/ids/%s.cid", p->udir, pt->name);
	snprintf(pt->pidfile, sizeof(pt->pidfile), "%s/ids/%s.pid", p->udir, pt->name);
	/* a network tenant: Podman's none network, then a veth of the test network joins it */
	bool link;
	struct isb_tenant_spec sp = isb_ctcli_link_spec(&p->cf, spec, &link);
	int r = isb_ctconf_limits(&p->cf, c, spec, &l, &cpus, err);
	if (r == 0 && (run_flags(c, p, &l, &cpus, a) | isb_ctargv_add(a, "--name=%s", pt->name) |
		       isb_ctargv_add(a, "--cidfile=%s", pt->cidfile) |
		       isb_ctargv_add(a, "--pidfile=%s", pt->pidfile) |
		       isb_ctargv_add(a, "%s", p->rootfs) | agent_args(c, &sp, a)) < 0)
		r = isb_errf(err, E2BIG, "%s: podman arguments", spec->label);
	/* rootless: podman and its pause process stay in the campaign's group, its ceilings */
	if (r == 0 && p->rootless &&
	    isb_cgroup_campaign_join(c, p->procs, &p->nprocs, procs, err) < 0)
		r = -EIO;
	struct podman_child_arg ca = {.p = p, .cpus = cpus};
	/* podman, conmon and runc run on the container's CPUs; where podman ignores the
	 * declared limits (rootless on cgroup v1), the cpuset too, and the container runs
	 * where podman was started: on the placement's CPUs, as a user's would, not on a
	 * partition isobench's own pinning would hand it */
	if (p->rootless && p->limits_ignored && spec->pinned)
		ca.cpus = spec->cpus;
	struct isb_spawn_hook h = {.argv = a->v, .child = podman_tenant_child, .arg = &ca};
	if (r < 0 || isb_proc_spawn_ex(c, &sp, t, p->rootless ? procs : NULL, &h, err) < 0) {
		free(a);
		free(pt);
		return -EIO;
	}
	free(a);
	t->priv = pt;
	find_tenant(c, pt, t);
	if (link && isb_ctcli_link_join(c, spec->label, t, &pt->net, err) < 0) {
		podman_stop(t, 0);
		return -EIO;
	}
	return 0;
}

static void podman_cmd(const struct podman_tenant *pt, const char *verb, const char *flag)
{
	struct isb_ctargv *a = calloc(1, sizeof(*a));
	if (a && (global_flags(a, pt->p) | isb_ctargv_add(a, "%s", verb) |
		  isb_ctargv_add(a, "%s", flag) | isb_ctargv_add(a, "%s", pt->name)) == 0)
		run_podman(pt->p, a, NULL, 0, NULL, 0);
	free(a);
}

static void podman_kill(void *arg)
{
	podman_cmd(arg, "kill", "--signal=KILL");
}

static int podman_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct podman_tenant *pt = t->priv;
	/* oom_kills stays -1: --rm removed its memory group */
	isb_proc_stop_via(t, grace_ns, pt ? podman_kill : NULL, pt);
	if (pt) {
		podman_cmd(pt, "rm", "--force");
		isb_tenant_net_remove(&pt->net);
		unlink(pt->cidfile);
		unlink(pt->pidfile);
		free(pt);
		t->priv = NULL;
	}
	return 0;
}

/* The rootless pause process podman leaves (its pid file in its tmpdir, or under our
 * XDG_RUNTIME_DIR), by pid and only while it runs as that user. */
static int kill_pause(const char *udir, uid_t uid)
{
	static const char *const at[] = {"libpod/pause.pid", "run/libpod/tmp/pause.pid"};
	int n = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(at); i++) {
		char path[760], buf[2048];
		snprintf(path, sizeof(path), "%s/%s", udir, at[i]);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		pid_t pid = (pid_t)atoi(buf);
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if (pid <= 1 || isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *l = strstr(buf, "\nUid:");
		n += l && strtoul(l + 5, NULL, 10) == uid && kill(pid, SIGKILL) == 0;
	}
	return n;
}

/* SIGKILL to each conmon whose command line names dir. */
static int kill_conmons(const char *dir)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], buf[8192], comm[32] = "";
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (isb_read_file(path, comm, sizeof(comm)) <= 0 || strncmp(comm, "conmon", 6))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		for (ssize_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		if (len > 0 && (buf[len] = 0, strstr(buf, dir)) && kill(pid, SIGKILL) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Everything under one configuration's directory: its processes, mounts and files. */
static int remove_dir(const char *dir, const char *link, uid_t uid)
{
	unlink(link);
	char udir[700];
	snprintf(udir, sizeof(udir), "%s/u", dir);
	int n = kill_conmons(dir) + (uid ? kill_pause(udir, uid) : 0);
	if (n)
		isb_sleep_ns(100000000); /* their mounts go with them */
	n += isb_ctcli_umount_under(dir);
	n += isb_ctcli_umount_under(dir);
	isb_remove_tree(dir);
	return n;
}

static void podman_cleanup(struct isb_config *c)
{
	struct podman_priv *p = c->priv;
	if (p) {
		remove_dir(p->dir, p->runroot, p->rootless ? p->user.uid : 0);
		if (p->rootless)
			isb_tenant_user_put(&p->user);
		free(p);
	}
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
}

int isb_podman_cleanup_state(const char *state_dir, bool verbose)
{
	char top[600], path[900];
	snprintf(top, sizeof(top), "%s/podman", state_dir);
	DIR *d = opendir(top);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, e->d_name);
		struct stat st;
		/* a rootless configuration's directories are its user's */
		char home[960];
		snprintf(home, sizeof(home), "%s/u/home", path);
		uid_t uid = stat(home, &st) == 0 ? st.st_uid : 0;
		char link[80];
		const char *id = strrchr(state_dir, '/');
		runroot_link(id ? id + 1 : state_dir, (unsigned)atoi(e->d_name), link,
			     sizeof(link));
		n += remove_dir(path, link, uid) + 1;
	}
	closedir(d);
	isb_remove_tree(top);
	if (verbose)
		isb_log("cleanup", "removed podman's %s (%d things)", top, n);
	return n;
}

const struct isb_backend isb_backend_podman = {
    .name = "podman",
    .class = ISB_CLASS_CONTAINER,
    .help = "podman run --rootfs of the agent, rootful or rootless, with private storage",
    .available = podman_available,
    .options = isb_ctconf_options,
    .option_set = PODMAN_KEYS,
    .check = podman_check,
    .prepare = podman_prepare,
    .spawn = podman_spawn,
    .stop = podman_stop,
    .cleanup = podman_cleanup,
    .unsupported = podman_unsupported,
};
