/*
 * Private to the vm backend's files: its configuration (vmconf.c), QEMU's
 * command line (vmqemu.c), QMP and the vCPU threads (vmqmp.c), a tenant's
 * VM with its disk image, network and cgroups (vmtenant.c); backends/vm.c
 * prepares a configuration and holds the backend's descriptor.
 */
#ifndef ISB_VM_H
#define ISB_VM_H

#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/ctconf.h"
#include "backends/guest.h"
#include "backends/proc.h"
#include "backends/rdt.h"
#include "backends/tenantnet.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* QEMU's drive throttling, in the order of isb_limits: rbps, wbps, riops, wiops */
extern const char *const isb_vm_thr_qemu[4];

struct isb_vm_conf {
	bool kvm, emulated, iothread;
	uint64_t thr[4]; /* explicit io.* keys; 0 unset */
	char machine[16], cpu[64], kernel[256];
	unsigned vcpus;
	uint64_t mem, disk;
	bool cgroup;
	bool container; /* container = own: the tenant runs in the guest under isobench-guestct */
	struct isb_ctconf cf;
};

/* A configuration's state: c->priv. */
struct isb_vm_priv {
	struct isb_vm_conf v;
	struct isb_guest g;
	char guest_agent[PATH_MAX];
	bool agent_sub; /* the guest agent is isobench itself: "agent" first */
	char boot_id[64];
	unsigned seq;
	char procs[3][512];
	size_t nprocs;
};

/* A tenant's VM: t->priv. */
struct isb_vm_tenant {
	struct isb_cg_tenant cg;
	struct isb_rdt_tenant rdt; /* QEMU's resctrl group: its vCPU threads inherit it */
	struct isb_tenant_net net; /* its link into the test network: a tap bridged in a netns */
	char mac[24];
	char image[PATH_MAX], qmp[PATH_MAX], console[PATH_MAX], errlog[PATH_MAX];
	uint64_t thr[4]; /* the drive's throttling; 0 none */
};

/* ---- vmconf.c ---- */

/* Defaults of a configuration. */
void isb_vm_conf_init(struct isb_vm_conf *v);
/* One vm key into v (NULL: only check it): 0, -ENOENT when it is not a vm key, or <0 with err. */
int isb_vm_key(struct isb_vm_conf *v, const char *k, const char *val, struct isb_err *err);
/* The backend's check op: the vm keys, then the container class's cgroup keys. */
int isb_vm_check(const char *key, const char *value, struct isb_err *err);
/* The hypervisor section of isobench probe (vmdescribe.c). */
struct json_object;
void isb_vm_describe(FILE *out, struct json_object *host);
/* The drive's throttling for a tenant: the explicit io.* keys, else what the policy derives
 * from the disk calibration. */
void isb_vm_throttles(const struct isb_vm_conf *v, const struct isb_config *c, uint64_t thr[4]);
/* The disk part of the configuration's note: " bps-write=... (QEMU drive throttling)". */
void isb_vm_disk_note(const struct isb_vm_conf *v, const struct isb_config *c, char *buf,
		      size_t size);

/* ---- vmqemu.c ---- */

struct isb_vm_argv {
	char *v[96];
	size_t n;
	char store[16384];
	size_t o;
};

/* One argument, hex-coded with its NUL, at hex + *o: 0, or -E2BIG. */
int isb_vm_hex_arg(char *hex, size_t size, size_t *o, const char *arg);
/* The agent's arguments as the guest sees them, hex-coded, NUL after each. */
int isb_vm_guest_args(const struct isb_config *c, const struct isb_vm_priv *p,
		      const struct isb_tenant_spec *spec, bool disk, char *hex, size_t size);
/* The guest kernel's command line (ip: the guest's address, or NULL; ct: the container's
 * isobench.ct value, or NULL): 0, or -E2BIG. */
int isb_vm_cmdline(const struct isb_vm_priv *p, bool disk, const char *ip, const char *ct,
		   const char *hex, char *out, size_t size);
/* QEMU's arguments for a VM named name booting cmdline, with vt's disk, network and QMP. */
void isb_vm_qemu_argv(struct isb_vm_argv *b, const struct isb_vm_priv *p, const char *name,
		      const char *cmdline, const struct isb_vm_tenant *vt, bool direct);
/* Spawn hooks in QEMU's child before exec: stderr to the log (arg: its path); that and the
 * tenant's netns (arg: the struct isb_vm_tenant). */
int isb_vm_redirect_stderr(void *arg);
int isb_vm_qemu_child(void *arg);
/* The last line of a log file that says something, for an error; "" if none. */
void isb_vm_last_line(const char *path, char *out, size_t size);

/* ---- vmqmp.c ---- */

/* The vCPU threads of QEMU (pid qemu) through its QMP socket: how many, or <0 with err. */
int isb_vm_vcpu_threads(const char *sock, pid_t qemu, pid_t *tids, size_t max, struct isb_err *err);

/* ---- vmct.c: container = own ---- */

/* Checks a container = own configuration against its guest (the runtime in the image, a
 * cpuset of vCPUs); its note into buf: 0, or <0 with err. */
int isb_vm_ct_prepare(const struct isb_config *c, const struct isb_vm_priv *p, char *buf,
		      size_t size, struct isb_err *err);
/* The leaves the container adds: CT_NS, and CT_CGROUPS where a limit is set. */
unsigned isb_vm_ct_leaves(const struct isb_vm_priv *p);
/* The isobench.ct value for a tenant like spec: its namespaces and its cgroup limits in the
 * guest ("ns=ipc+mnt+pid+uts;memory.max=..."): 0, or <0 with err. */
int isb_vm_ct_spec(const struct isb_config *c, const struct isb_vm_priv *p,
		   const struct isb_tenant_spec *spec, char *out, size_t size, struct isb_err *err);

/* ---- vmtenant.c ---- */

int isb_vm_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		 struct isb_err *err);
int isb_vm_stop(struct isb_tenant *t, uint64_t grace_ns);

#endif
