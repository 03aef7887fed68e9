/*
 * The container backend: isobench's own runtime, so that every leaf of the
 * container class can be switched on and off on its own (see ctconf.c for
 * the keys). A tenant is made with clone3(): the namespaces it asked for
 * (the time namespace too, which clone() cannot), then it waits on a pipe
 * while the harness writes its user-namespace maps and puts it into its own
 * cgroup (with the policy's limits, v1 or v2); then it enters a cgroup
 * namespace rooted at that group, builds its root file system (rootfs.c),
 * brings up its loopback, pins itself, drops capabilities and executes the
 * agent. With a pid namespace the agent is pid 1: killing it kills the
 * whole tenant.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/container.h"
#include "backends/ctconf.h"
#include "backends/proc.h"
#include "backends/rootfs.h"
#include "backends/tenantnet.h"

#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct ct_priv {
	struct isb_ctconf cf;
	unsigned seq;
	char procs[3][512]; /* the campaign's group, for tenants without their own */
	size_t nprocs;
};

struct ct_tenant {
	enum isb_sb_mode sb;
	struct isb_cg_tenant cg;
	struct isb_rdt_tenant rdt;
	struct isb_tenant_net net;
	char rootdir[600];
	bool lsm_net; /* Landlock: no TCP at all (a tenant without a peer) */
};

static const unsigned long ns_clone_flag[ISB_NS__COUNT] = {
    [ISB_NS_CGROUP] = CLONE_NEWCGROUP, [ISB_NS_IPC] = CLONE_NEWIPC, [ISB_NS_MNT] = CLONE_NEWNS,
    [ISB_NS_NET] = CLONE_NEWNET,       [ISB_NS_PID] = CLONE_NEWPID, [ISB_NS_TIME] = CLONE_NEWTIME,
    [ISB_NS_USER] = CLONE_NEWUSER,     [ISB_NS_UTS] = CLONE_NEWUTS,
};

int isb_ct_available(struct isb_err *err)
{
	if (geteuid() != 0) {
		isb_errf(err, 0, "needs root (namespaces, cgroups and mounts for every tenant)");
		return 0;
	}
	return 1;
}

#define CT_KEYS (ISB_CTK_NS | ISB_CTK_CGROUP | ISB_CTK_SANDBOX | ISB_CTK_LSM)

/* What a user who writes only "backend = container" expects: Docker's defaults. */
const struct isb_ct_kind isb_ct_container = {
    .keys = CT_KEYS,
    .ns = ISB_NS_DOCKER,
    .policy = ISB_POLICY_FAIR,
    .caps = "docker",
    .runtime = "runc",
};

/* Fork with namespaces: clone3 without a stack behaves like fork in the child. */
static pid_t clone_ns(unsigned long flags)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {.flags = flags, .exit_signal = SIGCHLD};
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* The disk side of prepare: an io.weight that cannot act makes the configuration
 * unavailable; the throttles capped and partitioned derive from the calibration need the
 * device (else they are dropped, and the note says why). */
static int io_prepare(struct isb_config *c, struct isb_ctconf *cf, const struct isb_ct_kind *kind,
		      char *note, size_t nsize, struct isb_err *err)
{
	struct isb_err why = {0};
	/* a VM's throttles are QEMU's (backends/vm.c), not its process's cgroup's */
	bool derive = (cf->policy == ISB_POLICY_CAPPED || cf->policy == ISB_POLICY_PARTITIONED) &&
		      c->disk_read_iops > 0 && c->disk_write_bps > 0 && !kind->io_elsewhere;
	const struct isb_limits *s = &cf->set;
	bool v1 = isb_cgroup_mode() == ISB_CG_V1 || isb_cgroup_mode() == ISB_CG_HYBRID;
	unsigned maj = 0, min = 0;
	if ((s->io_rbps || s->io_wbps || s->io_riops || s->io_wiops) && !derive && v1)
		snprintf(note + strlen(note), nsize - strlen(note),
			 "%sv1 blkio throttles hold direct I/O only: buffered writeback is not "
			 "throttled",
			 note[0] ? "; " : "");
	if (!cf->set.io_weight && !derive)
		return 0;
	if (isb_cg_disk_of(c->scratch_dir, &maj, &min, &why) < 0) {
		if (cf->set.io_weight)
			return isb_errf(err, 0, "io.weight: %s", why.msg);
		snprintf(note + strlen(note), nsize - strlen(note),
			 "%sio throttles: not derived (%s)", note[0] ? "; " : "", why.msg);
		c->disk_read_iops = c->disk_write_bps = 0;
		return 0;
	}
	if (cf->set.io_weight && isb_cg_bfq_unavailable(maj, min, &why))
		return isb_errf(err, 0, "io.weight: no bfq: %s", why.msg);
	if (derive) {
		struct isb_limits l = {0};
		isb_ctconf_io_derive(cf->policy, c, &l);
		cf->set.io_major = maj;
		cf->set.io_minor = min;
		snprintf(note + strlen(note), nsize - strlen(note),
			 "%sio throttles per tenant on %u:%u from the calibration (%.0f IOPS, "
			 "%.0f MB/s): read %.0f MB/s %llu IOPS, write %.0f MB/s %llu IOPS%s",
			 note[0] ? "; " : "", maj, min, c->disk_read_iops, c->disk_write_bps / 1e6,
			 l.io_rbps / 1e6, (unsigned long long)l.io_riops, l.io_wbps / 1e6,
			 (unsigned long long)l.io_wiops,
			 v1 ? "; v1 blkio throttles hold direct I/O only: buffered writeback is "
			      "not throttled"
			    : "");
	}
	return 0;
}

int isb_ct_prepare_common(struct isb_config *c, struct isb_ctconf *cf,
			  const struct isb_ct_kind *kind, char procs[][512], size_t *nprocs,
			  struct isb_err *err)
{
	char desc[256], note[512] = "";
	struct isb_err why = {0};
	struct isb_err cerr = {0};
	if (isb_ctconf_parse(c, cf, kind, err) < 0)
		return -EINVAL;
	const char *why_sb = cf->sb ? isb_sandbox_unavailable(cf->sb) : NULL;
	if (why_sb)
		return isb_errf(err, 0, "sandbox = %s: %s", isb_sb_names[cf->sb], why_sb);
	char lsmnote[300] = "";
	if (isb_lsm_prepare(cf->lsm, &cf->lsm_abi, lsmnote, sizeof(lsmnote), err) < 0)
		return -EINVAL;
	char netnote[300];
	if (isb_ctconf_net_class(c, cf, kind, netnote, sizeof(netnote), err) < 0)
		return -EINVAL;
#ifndef HAVE_LIBCAPNG
	if (!cf->caps_all)
		return isb_errf(err, 0,
				"capabilities = %s needs libcap-ng (built without it): use "
				"capabilities = all",
				cf->caps_name);
#endif
	const struct isb_limits *s = &cf->set;
	if (s->io_rbps || s->io_wbps || s->io_riops || s->io_wiops) {
		if (isb_cg_disk_of(c->scratch_dir, &cf->set.io_major, &cf->set.io_minor, &why) < 0)
			return isb_errf(err, 0, "io limits: %s", why.msg);
	}
	if (io_prepare(c, cf, kind, note, sizeof(note), err) < 0)
		return -EINVAL;
	/* llc.ways, mb.percent: what this host's resctrl can give each side, or unavailable */
	if (isb_rdt_plan_make(isb_rdt_root(), cf->rdt.ways, cf->rdt.percent, &cf->rdt, note,
			      sizeof(note), err) < 0)
		return -EINVAL;
	if (isb_cgroup_campaign_create(c->campaign_id, c->mem_ceiling_bytes, c->pids_ceiling, procs,
				       nprocs, &cerr) < 0)
		return isb_errf(err, 0, "campaign cgroup: %s", cerr.msg);
	if (isb_ctconf_wants_cgroup(cf)) {
		struct isb_tenant_spec probe = {.label = "victim"};
		struct isb_limits l;
		struct isb_cg_tenant t;
		cpu_set_t cpus;
		if (isb_ctconf_limits(cf, c, &probe, &l, &cpus, err) < 0)
			return -EINVAL;
		if (isb_cg_tenant_create(isb_cgroup_mode(), "/sys/fs/cgroup", c->campaign_id,
					 "check", &l, &t, note, sizeof(note), err) < 0)
			return -EIO;
		isb_cg_tenant_remove(&t);
	}
	c->declared_leaves = isb_ctconf_leaves(cf);
	isb_ctconf_describe(cf, desc, sizeof(desc));
	snprintf(c->cgroup_note, sizeof(c->cgroup_note), "%s; %s%s%s%s%s%s%s", desc,
		 isb_cgroup_mode_name(isb_cgroup_mode()), lsmnote[0] ? "; " : "", lsmnote,
		 note[0] ? "; " : "", note, netnote[0] ? "; " : "", netnote);
	return 0;
}

int isb_ct_prepare(struct isb_config *c, const struct isb_ct_kind *kind, struct isb_err *err)
{
	struct ct_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "container: prepare");
	if (isb_ct_prepare_common(c, &p->cf, kind, p->procs, &p->nprocs, err) < 0) {
		free(p);
		isb_cgroup_campaign_remove(c->campaign_id);
		return -EINVAL;
	}
	c->priv = p;
	return 0;
}

static int ct_prepare(struct isb_config *c, struct isb_err *err)
{
	return isb_ct_prepare(c, &isb_ct_container, err);
}

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

/* The tenant's side, between clone and exec. Never returns. */
static void ct_child(struct isb_config *c, struct ct_priv *p, struct ct_tenant *ct,
		     const cpu_set_t *cpus, int in, int out, int sync, char **argv)
{
	char host_cg[4096] = "", b;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	/* the harness writes our maps and cgroups, then one byte; EOF: it gave up */
	if (read(sync, &b, 1) != 1)
		_exit(127);
	close(sync);
	unsigned ns = p->cf.ns;
	if (isb_read_file("/proc/self/cgroup", host_cg, sizeof(host_cg)) < 0)
		host_cg[0] = 0;
	if ((ns & (1u << ISB_NS_CGROUP)) && unshare(CLONE_NEWCGROUP) < 0)
		isb_child_fail("unshare(CLONE_NEWCGROUP)");
	if ((ns & (1u << ISB_NS_UTS)) && sethostname("isobench-tenant", 15) < 0)
		isb_child_fail("sethostname");
	if ((ns & (1u << ISB_NS_NET)) && !ct->net.made && lo_up() < 0)
		isb_child_fail("bring up lo");
	if (ns & (1u << ISB_NS_MNT)) {
		struct isb_rootfs r = {.dir = ct->rootdir,
				       .agent = argv[0],
				       .scratch = c->scratch_dir,
				       .pid_ns = ns & (1u << ISB_NS_PID),
				       .user_ns = ns & (1u << ISB_NS_USER),
				       .cgroup_ns = ns & (1u << ISB_NS_CGROUP),
				       .host_cgroup = host_cg};
		struct isb_err rerr = {0};
		int e = isb_rootfs_enter(&r, &rerr);
		if (e < 0) {
			errno = -e;
			isb_child_fail(rerr.msg);
		}
	}
	if (sched_setaffinity(0, sizeof(*cpus), cpus) < 0)
		isb_child_fail("sched_setaffinity");
	if (p->cf.lsm == ISB_LSM_LANDLOCK) { /* in its root, before capabilities go */
		struct isb_lsm_policy pol;
		const char *what = "";
		isb_lsm_policy_build(&pol, p->cf.lsm_abi, c->scratch_dir, argv[0], ct->lsm_net);
		int e = isb_landlock_apply(&pol, &what);
		if (e < 0) {
			errno = -e;
			isb_child_fail(what);
		}
	}
	if (isb_caps_apply(&p->cf) < 0)
		isb_child_fail("drop capabilities");
	syscall(SYS_close_range, 3u, ~0u, 0u);
	if (p->cf.sb == ISB_SB_SUD) { /* the agent arms it on its own measuring thread */
		size_t n = 0;
		while (argv[n])
			n++;
		argv[n] = "--sud";
		argv[n + 1] = NULL;
	}
	isb_sandbox_exec(p->cf.sb, argv);
}

static int write_maps(pid_t pid, struct isb_err *err)
{
	static const char *const maps[] = {"uid_map", "gid_map"};
	for (size_t i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		/* root is root inside: the identity map, so host files keep working */
		int r = isb_write_file(path, "0 0 4294967295");
		if (r < 0)
			return isb_errf(err, r, "write %s", path);
	}
	return 0;
}

/* Clone inside the tenant's prepared network namespace: enter it, clone, come back. */
static pid_t clone_in_netns(unsigned long flags, const char *netns, struct isb_err *err)
{
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cleanup_close int target = open(netns, O_RDONLY | O_CLOEXEC);
	pid_t pid = -1;
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
		isb_errf(err, errno, "enter %s", netns);
	} else {
		pid = clone_ns(flags);
		if (pid < 0)
			isb_errf(err, errno, "clone3 (namespaces %#lx)", flags);
		if (pid != 0 && setns(self, CLONE_NEWNET) < 0) {
			/* cannot happen to root; never go on in the tenant's network */
			isb_log("backend/container", "cannot return to the host's network: %s",
				strerror(errno));
			abort();
		}
	}
	return pid;
}

static void ct_tenant_free(struct ct_tenant *ct)
{
	isb_cg_tenant_remove(&ct->cg);
	isb_rdt_tenant_remove(&ct->rdt);
	isb_tenant_net_remove(&ct->net);
	if (ct->rootdir[0])
		rmdir(ct->rootdir);
	free(ct);
}

/* Before the clone: the tenant's cgroup (its own, or the campaign's) into procs, its
 * resctrl group, the directory of its root. */
static int ct_groups(struct isb_config *c, struct ct_priv *p, struct ct_tenant *ct,
		     const char *name, const char *label, const struct isb_limits *l,
		     const char *procs[], struct isb_err *err)
{
	char note[256] = "";
	if (isb_ctconf_wants_cgroup(&p->cf)) {
		if (isb_cg_tenant_create(isb_cgroup_mode(), "/sys/fs/cgroup", c->campaign_id, name,
					 l, &ct->cg, note, sizeof(note), err) < 0)
			return -EIO;
		for (size_t i = 0; ct->cg.procs[i][0] && i < ISB_CG_MAX_BASES; i++)
			procs[i] = ct->cg.procs[i];
	} else if (isb_cgroup_campaign_join(c, p->procs, &p->nprocs, procs, err) < 0) {
		return -EIO;
	}
	/* its resctrl group (llc.ways, mb.percent): the harness adds the tenant before release */
	if (isb_rdt_tenant_create(isb_rdt_root(), &p->cf.rdt, c->campaign_id, name, label, &ct->rdt,
				  err) < 0)
		return -EIO;
	if (p->cf.ns & (1u << ISB_NS_MNT)) {
		snprintf(ct->rootdir, sizeof(ct->rootdir), "%s/root-%s", c->state_dir, name);
		if (mkdir(ct->rootdir, 0700) < 0 && errno != EEXIST)
			return isb_errf(err, errno, "mkdir %s", ct->rootdir);
	}
	return 0;
}

/* The harness's side of a cloned tenant: its user-namespace maps, its groups, then the
 * byte on sync that releases it. */
static int ct_release(struct isb_config *c, struct ct_priv *p, struct ct_tenant *ct, pid_t pid,
		      const char *procs[], int sync, const char *label, struct isb_err *err)
{
	char self[32];
	setpgid(pid, pid);
	if (c->record_pid)
		c->record_pid(pid);
	if ((p->cf.ns & (1u << ISB_NS_USER)) && write_maps(pid, err) < 0)
		return -EIO;
	snprintf(self, sizeof(self), "%d", (int)pid);
	for (size_t i = 0; procs[i]; i++) {
		int r = isb_write_file(procs[i], self);
		if (r < 0)
			return isb_errf(err, r, "put %s into %s", label, procs[i]);
	}
	/* every thread (one, before release); what it forks inherits the group */
	if (isb_rdt_add_task(&ct->rdt, pid, err) < 0)
		return -EIO;
	if (write(sync, "g", 1) != 1)
		return isb_errf(err, errno, "release %s", label);
	return 0;
}

/* Clones the tenant with its namespaces (in its network namespace where it has a link). */
static pid_t ct_clone(struct ct_priv *p, struct ct_tenant *ct, const char *label,
		      struct isb_err *err)
{
	unsigned long flags = 0;
	pid_t pid;
	for (int i = 0; i < ISB_NS__COUNT; i++)
		if (i != ISB_NS_CGROUP && (p->cf.ns & (1u << i)) &&
		    !(i == ISB_NS_NET && ct->net.made))
			flags |= ns_clone_flag[i];
	if (ct->net.made)
		return clone_in_netns(flags, ct->net.path, err);
	if ((pid = clone_ns(flags)) < 0)
		isb_errf(err, errno, "clone3 %s (namespaces %#lx)", label, flags);
	return pid;
}

int isb_ct_spawn(struct isb_config *c, const struct isb_tenant_spec *spec_in, struct isb_tenant *t,
		 struct isb_err *err)
{
	struct ct_priv *p = c->priv;
	struct isb_tenant_spec spec_buf = *spec_in, *spec = &spec_buf;
	struct isb_tenant_net net = {0};
	if (isb_tenant_wants_link(&p->cf, spec)) {
		if (isb_tenant_net_create(c, &net, err) < 0)
			return -EIO;
		if (spec->role == ISB_ROLE_PEER)
			spec->peer = net.addr; /* a peer listens on its own address */
		snprintf(t->addr, sizeof(t->addr), "%s", net.addr);
	}
	char *argv[64], store[8192], name[64];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, sync[2] = {-1, -1}, e = 0;
	struct isb_limits l;
	cpu_set_t cpus;
	const char *procs[ISB_CG_MAX_BASES + 2] = {0};
	struct ct_tenant *ct = calloc(1, sizeof(*ct));
	if (!ct) {
		isb_tenant_net_remove(&net);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	ct->net = net;
	ct->sb = p->cf.sb;
	ct->lsm_net = !spec->talks_to_peer && spec->role != ISB_ROLE_PEER;
	if (isb_agent_argv(c, spec, argv, ISB_ARRAY_SIZE(argv) - 1, store, sizeof(store)) < 0 ||
	    isb_ctconf_limits(&p->cf, c, spec, &l, &cpus, err) < 0) {
		ct_tenant_free(ct);
		return isb_errf(err, E2BIG, "%s: agent arguments or limits", spec->label);
	}
	snprintf(name, sizeof(name), "%s-%u", spec->label, ++p->seq);
	if ((e = ct_groups(c, p, ct, name, spec->label, &l, procs, err)) < 0) {
		ct_tenant_free(ct);
		return e;
	}
	pid_t pid = -1;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0)
		e = isb_errf(err, errno, "pipe");
	if (!e) {
		fflush(NULL);
		t->spawn_ns = isb_now_ns();
		if ((pid = ct_clone(p, ct, spec->label, err)) < 0)
			e = -EIO;
	}
	if (pid == 0) {
		close(sync[1]);
		ct_child(c, p, ct, &cpus, in[0], out[1], sync[0], argv);
	}
	if (pid > 0 && ct_release(c, p, ct, pid, procs, sync[1], spec->label, err) < 0)
		e = -EIO;
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
	}
	if (in[0] >= 0)
		close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	t->pid = pid > 0 ? pid : 0;
	t->in_fd = in[1];
	t->out_fd = out[0];
	t->priv = ct;
	isb_tenant_set_cgroups(t, &ct->cg);
	if (e) {
		if (pid > 0)
			isb_proc_stop(t, 0);
		else {
			if (in[1] >= 0)
				close(in[1]);
			if (out[0] >= 0)
				close(out[0]);
			t->in_fd = t->out_fd = -1;
		}
		ct_tenant_free(ct);
		t->priv = NULL;
		return -EIO;
	}
	return 0;
}

int isb_ct_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct ct_tenant *ct = t->priv;
	int r = isb_proc_stop(t, grace_ns);
	t->oom_kills = -1;
	/* a supervisor (ptrace, seccomp-notify) reports its tenant's signal as 128 + N */
	if (ct && (ct->sb == ISB_SB_PTRACE || ct->sb == ISB_SB_NOTIFY) && t->exit_code > 128 &&
	    t->exit_code < 128 + 65 && !t->term_signal) {
		t->term_signal = t->exit_code - 128;
		t->exit_code = -1;
	}
	if (ct) {
		/* v1 counts an OOM kill only in the tenant's own group: read it before rmdir */
		for (size_t i = 0; i < ct->cg.ndirs && t->oom_kills < 0; i++)
			t->oom_kills = isb_cg_dir_oom_kills(ct->cg.dirs[i]);
		ct_tenant_free(ct); /* its root's mounts died with the tenant's namespace */
		t->priv = NULL;
	}
	return r;
}

void isb_ct_cleanup(struct isb_config *c)
{
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	isb_rdt_campaign_remove(c->campaign_id);
}

const struct isb_backend isb_backend_container = {
    .name = "container",
    .class = ISB_CLASS_CONTAINER,
    .help = "isobench's own runtime: each namespace, cgroup limit and capability a switch",
    .available = isb_ct_available,
    .options = isb_ctconf_options,
    .option_set = CT_KEYS,
    .prepare = ct_prepare,
    .spawn = isb_ct_spawn,
    .stop = isb_ct_stop,
    .cleanup = isb_ct_cleanup,
};
