/*
 * A tenant's VM: what it gets before QEMU starts, QEMU itself, and what goes
 * when it stops.
 *
 * The whole QEMU process is pinned by placement at spawn; its vCPU threads,
 * found through QMP, are then pinned one CPU each and handed to the
 * counters. A disk stressor gets a sparse raw image on the campaign's
 * scratch directory (cache=none where O_DIRECT works), made into an ext2
 * file system by the guest. A network stressor or peer gets a tap in a netns
 * of its own, bridged with the veth into the campaign's test network; QEMU
 * runs in that netns and the guest takes the tenant's address. QEMU runs in
 * a cgroup of its own with the class's limits (or the campaign's) and joins
 * its resctrl group before exec. The image and the netns go when the tenant
 * stops; PR_SET_PDEATHSIG and the campaign's pid record end QEMU if the
 * harness dies.
 */
#include "config.h"
#include "backends/vm.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a spawn puts together before QEMU starts. */
struct launch {
	struct isb_tenant_spec spec; /* the tenant's, with its peer and pinning for QEMU */
	bool direct;		     /* the disk image takes O_DIRECT: cache=none */
	cpu_set_t cpus;		     /* the class's CPU set */
	const char *procs[ISB_CG_MAX_BASES + 2];
	char cmdline[2048];
};

static void vt_remove(struct isb_vm_tenant *vt)
{
	isb_cg_tenant_remove(&vt->cg);
	isb_rdt_tenant_remove(&vt->rdt);
	isb_tenant_net_remove(&vt->net);
	if (vt->image[0])
		unlink(vt->image);
	if (vt->qmp[0])
		unlink(vt->qmp);
	if (vt->errlog[0])
		unlink(vt->errlog);
	/* the console log stays in the state directory until the campaign ends */
	free(vt);
}

static bool direct_io_works(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/.isobench-odirect-%d", dir, (int)getpid());
	int fd = open(p, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(p);
	}
	return fd >= 0;
}

/* A network stressor or peer: a tap in a netns of its own, bridged into the test network;
 * the guest takes the address. */
static int tenant_net(struct isb_config *c, struct launch *l, struct isb_tenant *t,
		      struct isb_vm_tenant *vt, struct isb_err *err)
{
	if (l->spec.role != ISB_ROLE_PEER && !l->spec.peer)
		return 0;
	if (isb_tenant_net_create(c, &vt->net, err) < 0 ||
	    isb_tenant_net_tap(&vt->net, "isbtap0", err) < 0)
		return -EIO;
	unsigned a = 0, b = 0, c4 = 0, d = 0;
	sscanf(vt->net.addr, "%u.%u.%u.%u", &a, &b, &c4, &d);
	snprintf(vt->mac, sizeof(vt->mac), "52:54:%02x:%02x:%02x:%02x", a & 0xff, b & 0xff,
		 c4 & 0xff, d & 0xff);
	if (l->spec.role == ISB_ROLE_PEER)
		l->spec.peer = vt->net.addr; /* a peer listens on its own address */
	snprintf(t->addr, sizeof(t->addr), "%s", vt->net.addr);
	return 0;
}

/* A disk stressor: a sparse raw image on the campaign's scratch directory. */
static int tenant_disk(const struct isb_config *c, const struct isb_vm_priv *p, const char *name,
		       struct launch *l, struct isb_vm_tenant *vt, struct isb_err *err)
{
	snprintf(vt->image, sizeof(vt->image), "%s/vm-%s-%s.img", c->scratch_dir, c->campaign_id,
		 name);
	cleanup_close int fd = open(vt->image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)p->v.disk) < 0)
		return isb_errf(err, errno, "%s: disk image %s", l->spec.label, vt->image);
	l->direct = direct_io_works(c->scratch_dir);
	return 0;
}

/* The QEMU process in a cgroup of its own with the class's limits, or the campaign's, and in
 * its resctrl group: the directories whose procs files it joins. */
static int tenant_groups(struct isb_config *c, struct isb_vm_priv *p,
			 const struct isb_tenant_spec *spec, const char *name, struct launch *l,
			 struct isb_vm_tenant *vt, struct isb_err *err)
{
	struct isb_limits lim;
	char note[256] = "";
	if (isb_ctconf_limits(&p->v.cf, c, spec, &lim, &l->cpus, err) < 0)
		return -EINVAL;
	/* the VM's disk is throttled by QEMU, where its I/O leaves the guest; not twice */
	isb_vm_throttles(&p->v, c, vt->thr);
	lim.io_rbps = lim.io_wbps = lim.io_riops = lim.io_wiops = 0;
	size_t k = 0;
	if (p->v.cgroup) {
		if (isb_cg_tenant_create(isb_cgroup_mode(), "/sys/fs/cgroup", c->campaign_id, name,
					 &lim, &vt->cg, note, sizeof(note), err) < 0)
			return -EIO;
		for (; k < ISB_CG_MAX_BASES && vt->cg.procs[k][0]; k++)
			l->procs[k] = vt->cg.procs[k];
	} else {
		int n = isb_cgroup_campaign_join(c, p->procs, &p->nprocs, l->procs, err);
		if (n < 0)
			return n;
		k = (size_t)n;
	}
	/* QEMU joins its resctrl group before exec: the vCPU and I/O threads inherit it */
	if (isb_rdt_tenant_create(isb_rdt_root(), &p->v.cf.rdt, c->campaign_id, name, spec->label,
				  &vt->rdt, err) < 0)
		return -EIO;
	if (vt->rdt.tasks[0])
		l->procs[k] = vt->rdt.tasks;
	return 0;
}

/* Everything QEMU needs before it starts: network, disk, command line, groups. */
static int tenant_setup(struct isb_config *c, struct isb_vm_priv *p,
			const struct isb_tenant_spec *spec, const char *name, struct launch *l,
			struct isb_tenant *t, struct isb_vm_tenant *vt, struct isb_err *err)
{
	bool disk = spec->resource == ISB_RES_DISK;
	char hex[1800], ct[400];
	if (p->v.container && isb_vm_ct_spec(c, p, spec, ct, sizeof(ct), err) < 0)
		return -1;
	if (tenant_net(c, l, t, vt, err) < 0)
		return -1;
	if (disk && tenant_disk(c, p, name, l, vt, err) < 0)
		return -1;
	if (isb_vm_guest_args(c, p, &l->spec, disk, hex, sizeof(hex)) < 0)
		return isb_errf(err, E2BIG,
				"%s: agent arguments too long for the kernel command line",
				spec->label);
	if (isb_vm_cmdline(p, disk, vt->net.made ? vt->net.addr : NULL, p->v.container ? ct : NULL,
			   hex, l->cmdline, sizeof(l->cmdline)) < 0)
		return isb_errf(err, E2BIG, "%s: kernel command line too long", spec->label);
	return tenant_groups(c, p, spec, name, l, vt, err);
}

/* One CPU of the tenant's set for each vCPU thread. */
static void pin_vcpus(const struct isb_tenant *t, const cpu_set_t *cpus)
{
	int cpu = -1;
	for (size_t i = 0; i < t->nthreads; i++) {
		do
			cpu = (cpu + 1) % CPU_SETSIZE;
		while (!CPU_ISSET(cpu, cpus));
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(t->threads[i], sizeof(one), &one) < 0)
			isb_debug("vm", "pin vCPU %zu (tid %d): %s", i, (int)t->threads[i],
				  strerror(errno));
	}
}

/* QEMU's vCPU threads into t, pinned when the tenant is: 0, or <0 with err. */
static int watch_vcpus(const struct launch *l, struct isb_tenant *t, const struct isb_vm_tenant *vt,
		       struct isb_err *err)
{
	struct isb_err qerr = {0};
	int n = isb_vm_vcpu_threads(vt->qmp, t->pid, t->threads, ISB_ARRAY_SIZE(t->threads), &qerr);
	if (n < 0) {
		char last[200];
		isb_vm_last_line(vt->errlog, last, sizeof(last));
		return isb_errf(err, 0, "%s: %s%s%s", l->spec.label, qerr.msg,
				last[0] ? "; qemu: " : "", last);
	}
	t->nthreads = (size_t)n;
	if (l->spec.pinned && CPU_COUNT(&l->spec.cpus) > 0)
		pin_vcpus(t, &l->spec.cpus);
	return 0;
}

int isb_vm_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		 struct isb_err *err)
{
	struct isb_vm_priv *p = c->priv;
	cleanup_free struct launch *l = calloc(1, sizeof(*l));
	cleanup_free struct isb_vm_argv *b = calloc(1, sizeof(*b));
	struct isb_vm_tenant *vt = calloc(1, sizeof(*vt));
	if (!vt || !b || !l) {
		free(vt);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	char name[96], qname[200];
	snprintf(name, sizeof(name), "%.30s-%s-%u", c->name, spec->label, ++p->seq);
	snprintf(qname, sizeof(qname), "isobench-%s-%s", c->campaign_id, name);
	snprintf(vt->console, sizeof(vt->console), "%s/vm-%s.console", c->state_dir, name);
	snprintf(vt->errlog, sizeof(vt->errlog), "%s/vm-%s.stderr", c->state_dir, name);
	snprintf(vt->qmp, sizeof(vt->qmp), "%s/vm-%s.qmp", c->state_dir, name);
	l->spec = *spec;
	l->direct = true;
	if (tenant_setup(c, p, spec, name, l, t, vt, err) < 0)
		goto fail_remove_vm;
	isb_vm_qemu_argv(b, p, qname, l->cmdline, vt, l->direct);
	/* with container = own an explicit cpuset names the guest's vCPUs, not the host's */
	bool own_cpuset = p->v.cf.set.cpuset[0] && !p->v.container;
	if ((p->v.cf.policy == ISB_POLICY_PARTITIONED && !p->v.cf.set.cpuset[0]) || own_cpuset) {
		l->spec.pinned = true; /* the partition replaces the placement's pinning */
		l->spec.cpus = l->cpus;
	}
	struct isb_spawn_hook hook = {.argv = b->v, .child = isb_vm_qemu_child, .arg = vt};
	if (isb_proc_spawn_ex(c, &l->spec, t, l->procs, &hook, err) < 0)
		goto fail_remove_vm;
	t->priv = vt;
	isb_tenant_set_cgroups(t, &vt->cg);
	if (watch_vcpus(l, t, vt, err) < 0)
		goto fail_stop_qemu;
	return 0;

fail_stop_qemu:
	isb_proc_stop(t, 0);
	t->priv = NULL;
fail_remove_vm:
	vt_remove(vt);
	return -1;
}

int isb_vm_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct isb_vm_tenant *vt = t->priv;
	/* the guest reboots (QEMU exits) once its agent is done: give it the time */
	int r = isb_proc_stop(t, grace_ns);
	t->oom_kills = -1;
	if (!vt)
		return r;
	for (size_t i = 0; i < vt->cg.ndirs && t->oom_kills < 0; i++)
		t->oom_kills = isb_cg_dir_oom_kills(vt->cg.dirs[i]);
	if (t->exit_code > 0 && !t->term_signal) {
		char qerr[200];
		isb_vm_last_line(vt->errlog, qerr, sizeof(qerr));
		if (qerr[0])
			isb_log("vm", "QEMU exited %d: %s", t->exit_code, qerr);
	}
	vt_remove(vt);
	t->priv = NULL;
	return r;
}
