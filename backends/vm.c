/*
 * The vm backend: every tenant is a QEMU virtual machine (qemu-system-x86_64)
 * booting the guest image isobench builds itself (backends/guest.c).
 *
 * Its keys (backends/vmconf.c) choose the accelerator (tcg, kvm), the device
 * model (virtio, emulated), the machine and the drive's throttling; the
 * container class's cgroup keys put each QEMU process in a cgroup of its own:
 * the taxonomy's "KVM with cgroups".
 *
 * Control: the agent's arguments travel on the kernel command line, its JSON
 * lines come back over a serial port that QEMU connects to its own stdio,
 * which are the tenant's pipes: the harness speaks to a VM as to any tenant
 * (backends/vmqemu.c). The guest's boot is part of the tenant's start-up
 * time. A tenant's VM, with its disk image, network and cgroups, is in
 * backends/vmtenant.c; its vCPU threads come from QMP (backends/vmqmp.c).
 *
 * This file prepares a configuration (its keys, the guest image, accel = kvm
 * checked by booting the probe once) and holds the backend's descriptor.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/vm.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KVM_BOOT_TIMEOUT_S 25

static int in_path(const char *prog, char *out, size_t size)
{
	const char *env = getenv("PATH");
	char buf[2048];
	snprintf(buf, sizeof(buf), "%s", env ? env : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", d, prog);
		if (access(out, X_OK) == 0)
			return 1;
	}
	return 0;
}

static int vm_available(struct isb_err *why)
{
	char p[PATH_MAX];
	struct isb_guest g;
	if (!in_path("qemu-system-x86_64", p, sizeof(p)))
		return snprintf(why->msg, sizeof(why->msg),
				"no qemu-system-x86_64 (apt-get install qemu-system-x86)"),
		       0;
	if (isb_guest_kernel_find(NULL, &g, why) < 0)
		return 0;
	return 1;
}

static const char *host_boot_id(const struct isb_config *c, char *buf, size_t size)
{
	const char *b = strstr(c->host_ns, "bootid:");
	snprintf(buf, size, "%.*s", b ? (int)strcspn(b + 7, ",") : 0, b ? b + 7 : "");
	return buf;
}

/* ---- accel = kvm: boot the probe once ---- */

/* QEMU booting the probe with its output on t: 0, or <0 with err. */
static int kvm_probe_spawn(struct isb_config *c, struct isb_vm_priv *p, struct isb_vm_tenant *vt,
			   struct isb_tenant *t, struct isb_err *err)
{
	char hex[256] = "", cmdline[1024];
	size_t o = 0;
	isb_vm_hex_arg(hex, sizeof(hex), &o, "--probe");
	isb_vm_cmdline(p, false, NULL, NULL, hex, cmdline, sizeof(cmdline));
	cleanup_free struct isb_vm_argv *b = calloc(1, sizeof(*b));
	if (!b)
		return isb_errf(err, ENOMEM, "vm");
	isb_vm_qemu_argv(b, p, "isobench-kvm-check", cmdline, vt, false);
	struct isb_spawn_hook hook = {
	    .argv = b->v, .child = isb_vm_redirect_stderr, .arg = vt->errlog};
	struct isb_tenant_spec spec = {.label = "kvm-check", .stressor = "null"};
	t->in_fd = t->out_fd = -1;
	return isb_proc_spawn_ex(c, &spec, t, NULL, &hook, err);
}

static int kvm_smoke(struct isb_config *c, struct isb_vm_priv *p, struct isb_err *err)
{
	struct isb_err why = {0};
	if (!isb_kvm_usable(&why))
		return isb_errf(err, 0, "accel = kvm: %s", why.msg);
	/* /dev/kvm may create a VM that still cannot run a guest (nested virtualisation that
	 * hides CPU features): boot the probe once */
	struct isb_vm_tenant vt = {0};
	snprintf(vt.console, sizeof(vt.console), "%s/vm-kvm-check.console", c->state_dir);
	snprintf(vt.errlog, sizeof(vt.errlog), "%s/vm-kvm-check.stderr", c->state_dir);
	struct isb_tenant t = {0};
	if (kvm_probe_spawn(c, p, &vt, &t, err) < 0)
		return -1;
	char line[256] = "";
	struct pollfd pfd = {.fd = t.out_fd, .events = POLLIN};
	int ready = poll(&pfd, 1, KVM_BOOT_TIMEOUT_S * 1000);
	bool booted = ready > 0 && read(t.out_fd, line, sizeof(line) - 1) > 0 && line[0] == '{';
	bool died = ready > 0 && !booted; /* QEMU gone before the guest spoke */
	isb_proc_stop(&t, 0);
	char con[200], qerr[200];
	isb_vm_last_line(vt.console, con, sizeof(con));
	isb_vm_last_line(vt.errlog, qerr, sizeof(qerr));
	unlink(vt.console);
	unlink(vt.errlog);
	if (!booted && died)
		return isb_errf(err, 0,
				"accel = kvm: /dev/kvm creates a VM, but QEMU failed to run the "
				"guest (qemu: %s; console: %s)",
				qerr[0] ? qerr : "nothing", con[0] ? con : "nothing");
	if (!booted)
		return isb_errf(err, 0,
				"accel = kvm: /dev/kvm creates a VM, but the guest did not boot "
				"within %d s (console: %s; qemu: %s)",
				KVM_BOOT_TIMEOUT_S, con[0] ? con : "nothing",
				qerr[0] ? qerr : "nothing");
	return 0;
}

/* ---- prepare ---- */

/* The vm keys into p->v, the cgroup keys to the container class's parser; its note (the
 * switches and the host) into cgnote. */
static int prepare_keys(struct isb_config *c, struct isb_vm_priv *p, char *cgnote, size_t size,
			struct isb_err *err)
{
	struct isb_vm_conf *v = &p->v;
	isb_vm_conf_init(v);
	cleanup_free struct isb_config *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return isb_errf(err, ENOMEM, "vm: prepare");
	*cg = *c;
	cg->nopts = 0;
	for (size_t i = 0; i < c->nopts; i++) {
		int r = isb_vm_key(v, c->opts[i].key, c->opts[i].value, err);
		if (r == -ENOENT)
			cg->opts[cg->nopts++] = c->opts[i];
		else if (r < 0)
			return -EINVAL;
	}
	if (v->iothread && v->emulated)
		return isb_errf(
		    err, 0,
		    "iothread = yes needs devices = virtio (an emulated IDE disk has no "
		    "I/O thread)");
	int r = isb_ct_prepare_common(cg, &v->cf, &isb_ct_vm, p->procs, &p->nprocs, err);
	snprintf(cgnote, size, "%s", cg->cgroup_note);
	c->net_class_rate = cg->net_class_rate; /* its tap's class on the shaped link */
	c->net_class_ceil = cg->net_class_ceil;
	if (r < 0)
		return -1;
	/* container = own: the limits are the guest's container's, not QEMU's (vmct.c) */
	v->cgroup = isb_ctconf_wants_cgroup(&v->cf) && !v->container;
	return 0;
}

/* The guest image for this agent, usable with the device model. */
static int prepare_guest(struct isb_config *c, struct isb_vm_priv *p, struct isb_err *err)
{
	host_boot_id(c, p->boot_id, sizeof(p->boot_id));
	isb_guest_agent(c->agent_path, c->agent_is_isobench, p->guest_agent, sizeof(p->guest_agent),
			&p->agent_sub);
	if (isb_guest_build(p->guest_agent, p->v.kernel, &p->g, err) < 0)
		return -1;
	const char *bad = p->v.emulated ? p->g.unusable_emulated : p->g.unusable_virtio;
	if (bad[0])
		return isb_errf(err, 0, "%s", bad);
	isb_log("vm", "%s: guest image %s %s (%.1f MB, kernel %s, agent %s) in %.2f s", c->name,
		p->g.hash, p->g.built ? "built" : "cached", (double)p->g.bytes / 1e6, p->g.kver,
		p->guest_agent, p->g.build_s);
	return 0;
}

/* The leaves the configuration declares and its note; container = own makes it a hybrid,
 * with the container's leaves in the guest (cgnote is then the container's note). */
static void declare(struct isb_config *c, const struct isb_vm_priv *p, const char *cgnote)
{
	const struct isb_vm_conf *v = &p->v;
	unsigned leaves =
	    v->kvm ? ISB_LEAF(HV_TYPE1) | ISB_LEAF(HV_HWA) : ISB_LEAF(HV_TYPE2) | ISB_LEAF(HV_FULL);
	leaves |= v->emulated ? ISB_LEAF(HV_FULL) : ISB_LEAF(HV_PARA);
	if (v->cgroup)
		leaves |= ISB_LEAF(CT_CGROUPS);
	if (v->container) {
		leaves |= isb_vm_ct_leaves(p);
		c->class_name = isb_class_name(ISB_CLASS_HYBRID);
	}
	c->declared_leaves = leaves;
	char dnote[200] = "";
	isb_vm_disk_note(v, c, dnote, sizeof(dnote));
	snprintf(c->cgroup_note, sizeof(c->cgroup_note),
		 "%s, %s, %s, %u vCPU, %lluM; guest image %s (%s), kernel %s, %s; disk%s; cgroups "
		 "%s",
		 v->kvm ? "kvm" : "tcg", v->emulated ? "emulated" : "virtio", v->machine, v->vcpus,
		 (unsigned long long)(v->mem >> 20), p->g.hash, p->g.built ? "built" : "cached",
		 p->g.kver, p->g.boot_note, dnote,
		 v->cgroup || v->container || v->cf.rdt.ways || v->cf.rdt.percent
		     ? cgnote
		     : "none (campaign ceiling only)");
}

static int vm_prepare(struct isb_config *c, struct isb_err *err)
{
	struct isb_vm_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "vm: prepare");
	c->priv = p;
	char cgnote[512];
	if (prepare_keys(c, p, cgnote, sizeof(cgnote), err) < 0 || prepare_guest(c, p, err) < 0 ||
	    (p->v.container && isb_vm_ct_prepare(c, p, cgnote, sizeof(cgnote), err) < 0) ||
	    (p->v.kvm && kvm_smoke(c, p, err) < 0))
		goto fail_remove_campaign;
	declare(c, p, cgnote);
	return 0;

fail_remove_campaign:
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	return -1;
}

static void vm_cleanup(struct isb_config *c)
{
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	isb_rdt_campaign_remove(c->campaign_id);
}

static const char *vm_unsupported(const struct isb_config *c, const struct isb_tenant_spec *spec)
{
	const struct isb_vm_priv *p = c->priv;
	if (spec->resource == ISB_RES_DISK && p && !p->g.has_fio)
		return "the guest image has no fio (apt-get install fio, then a new campaign "
		       "rebuilds it)";
	return NULL;
}

const struct isb_backend isb_backend_vm = {
    .name = "vm",
    .class = ISB_CLASS_HYPERVISOR,
    .help = "QEMU virtual machines booting isobench's own guest image (accel = tcg | kvm, "
	    "devices = virtio | emulated), optionally each in a cgroup, or running the tenant in "
	    "a container inside the guest (container = own: a hybrid)",
    .available = vm_available,
    .check = isb_vm_check,
    .describe = isb_vm_describe,
    .prepare = vm_prepare,
    .spawn = isb_vm_spawn,
    .stop = isb_vm_stop,
    .cleanup = vm_cleanup,
    .unsupported = vm_unsupported,
};
