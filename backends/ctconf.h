/*
 * The container class's configuration (ctconf.c), shared by the container-class backends
 * (container, sandbox, oci, gvisor) and the cgroup around a VM's QEMU.
 */
#ifndef ISB_BACKENDS_CTCONF_H
#define ISB_BACKENDS_CTCONF_H

#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/intercept.h"
#include "backends/lsm.h"
#include "backends/rdt.h"

/* ---- the container class's configuration, shared by container and oci ---- */

enum isb_ns {
	ISB_NS_CGROUP,
	ISB_NS_IPC,
	ISB_NS_MNT,
	ISB_NS_NET,
	ISB_NS_PID,
	ISB_NS_TIME,
	ISB_NS_USER,
	ISB_NS_UTS,
	ISB_NS__COUNT
};
extern const char *const isb_ns_names[ISB_NS__COUNT];

enum isb_cg_policy { ISB_POLICY_NONE, ISB_POLICY_FAIR, ISB_POLICY_PARTITIONED, ISB_POLICY_CAPPED };

extern const char *const isb_cg_policy_names[]; /* by enum isb_cg_policy, NULL-terminated */

/* Docker's default namespaces (moby's oci/defaults.go). */
#define ISB_NS_DOCKER                                                                              \
	((1u << ISB_NS_CGROUP) | (1u << ISB_NS_IPC) | (1u << ISB_NS_MNT) | (1u << ISB_NS_NET) |    \
	 (1u << ISB_NS_PID) | (1u << ISB_NS_UTS))

/* The groups of rows of the container keys' table (isb_ctconf_options) a backend takes: its
 * option_set, and its kind's keys. */
enum {
	ISB_CTK_NS = 1u << 0,	  /* namespaces, ns.NAME, capabilities */
	ISB_CTK_CGROUP = 1u << 1, /* cgroups, the explicit limits, net.rate, llc.ways, mb.percent */
	ISB_CTK_SANDBOX = 1u << 2, /* sandbox: the own interception */
	ISB_CTK_RUNTIME = 1u << 3, /* runtime = runc | crun */
	ISB_CTK_GVISOR = 1u << 4,  /* platform, network */
	ISB_CTK_LSM = 1u << 5,	   /* lsm = none | landlock | bpf (lsm.c) */
};
extern const struct isb_backend_option isb_ctconf_options[];

/* A container-class backend's configuration: the keys it takes and what it is without any
 * (each backend file declares its own). */
struct isb_ct_kind {
	unsigned keys;		   /* ISB_CTK_* */
	unsigned ns;		   /* namespaces by default (bits 1 << ISB_NS_*) */
	enum isb_cg_policy policy; /* cgroups by default */
	const char *caps;	   /* capabilities by default: "docker", "all" */
	enum isb_sb_mode sb;	   /* sandbox by default */
	const char *runtime;	   /* the runtime it runs ("runc": the default of runtime) */
	/* Every tenant has an address of its own whatever its namespaces (a VM's tap): it can
	 * have a class on the shaped link. */
	bool own_address;
	/* The derived io throttles are not its cgroup's (a VM's are QEMU's). */
	bool io_elsewhere;
	/* The keys an unknown key's error lists; NULL: the table's rows it takes. */
	const char *keys_help;
};
/* The shipped backends' kinds (for the tests; a new backend need not add its own here). */
extern const struct isb_ct_kind isb_ct_container, isb_ct_sandbox, isb_ct_oci, isb_ct_gvisor,
    isb_ct_vm;

struct isb_ctconf {
	unsigned ns; /* bits 1 << ISB_NS_* */
	enum isb_cg_policy policy;
	struct isb_limits set; /* explicit keys; override the policy */
	bool caps_all;	       /* keep every capability */
	uint64_t caps;	       /* the kept set otherwise */
	char caps_name[32];
	char runtime[16]; /* oci: runc | crun */
	enum isb_sb_mode sb;
	char platform[16]; /* gvisor: ptrace | kvm | systrap */
	char network[16];  /* gvisor: none | host | sandbox */
	uint64_t net_rate; /* net.rate: bits/s of the tenant's class on the shaped link; 0 unset */
	struct isb_rdt_plan rdt; /* llc.ways, mb.percent: filled by isb_ct_prepare_common */
	enum isb_lsm lsm;	 /* lsm: the LSM sandbox's policy, by Landlock or BPF-LSM */
	int lsm_abi;		 /* Landlock's ABI, found by prepare */
};
/* Parses the container keys of a configuration (with the oci ones when oci). */
int isb_ctconf_parse(const struct isb_config *c, struct isb_ctconf *cf,
		     const struct isb_ct_kind *kind, struct isb_err *err);
int isb_ctconf_check(const char *key, const char *value, const struct isb_ct_kind *kind,
		     struct isb_err *err);
unsigned isb_ctconf_leaves(const struct isb_ctconf *cf);
/* Each tenant's class on the campaign's shaped link (fills c->net_class_rate and _ceil from
 * net.rate or the policy) and a note of it; an error where net.rate cannot be honoured. */
int isb_ctconf_net_class(struct isb_config *c, const struct isb_ctconf *cf,
			 const struct isb_ct_kind *kind, char *note, size_t size,
			 struct isb_err *err);
bool isb_ctconf_wants_cgroup(const struct isb_ctconf *cf);
/* The limits a tenant gets: the policy for its side, then the explicit keys. Online CPUs
 * are split in halves for partitioned; cpus receives the set it runs on. capped and
 * partitioned also get io throttles derived from the disk calibration, where one ran. */
int isb_ctconf_limits(const struct isb_ctconf *cf, const struct isb_config *c,
		      const struct isb_tenant_spec *spec, struct isb_limits *l, cpu_set_t *cpus,
		      struct isb_err *err);
/* Every check prepare can make before a trial (the keys, the host, a dry run of the
 * cgroups with the victim's limits), the campaign's cgroup, the declared leaves. */
int isb_ct_prepare_common(struct isb_config *c, struct isb_ctconf *cf,
			  const struct isb_ct_kind *kind, char procs[][512], size_t *nprocs,
			  struct isb_err *err);
/* A human summary: "ns=cgroup,ipc,...; cgroups=partitioned; caps=docker". */
void isb_ctconf_describe(const struct isb_ctconf *cf, char *buf, size_t size);
/* The io throttles the policy derives from c's disk calibration into l (0: none). */
void isb_ctconf_io_derive(enum isb_cg_policy policy, const struct isb_config *c,
			  struct isb_limits *l);
/* CAP_ name without "CAP_" of capability i (linux/capability.h), or NULL. */
const char *isb_cap_name(unsigned i);
/* Drops to the kept capability set (bounding, effective, permitted, inheritable). */
int isb_caps_apply(const struct isb_ctconf *cf);

#endif
