/*
 * The backend interface: a technology that creates tenants. A backend is one
 * C file filling one const struct isb_backend and one line in backends.def.
 * Backends create and remove tenants; they never read or write results and
 * never grade.
 */
#ifndef ISB_BACKEND_H
#define ISB_BACKEND_H

#include "common/isb.h"

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

enum isb_class {
	ISB_CLASS_NATIVE,
	ISB_CLASS_CONTAINER,
	ISB_CLASS_SANDBOX,
	ISB_CLASS_HYPERVISOR,
	ISB_CLASS_HYBRID,
};
const char *isb_class_name(enum isb_class c);

/* The taxonomy's leaves, as bits (TAXONOMY.md ids). */
/* clang-format off */
#define ISB_LEAVES(X) \
	X(HV_TYPE1) X(HV_TYPE2) X(HV_FULL) X(HV_PARA) X(HV_HWA) \
	X(CT_NS) X(CT_CGROUPS) X(CT_CAPS) \
	X(SB_PTRACE) X(SB_SECCOMP) X(SB_SUD)
enum {
#define X(l) ISB_LEAF_BIT_##l,
	ISB_LEAVES(X)
#undef X
	ISB_LEAF__COUNT
};
/* clang-format on */
#define ISB_LEAF(l) (1u << ISB_LEAF_BIT_##l)
/* "CT_NS,CT_CGROUPS" or "" into buf. */
const char *isb_leaves_str(unsigned leaves, char *buf, size_t size);

struct isb_why {
	char reason[256];
};

#define ISB_MAX_CONFIG_OPTS 32
#define ISB_CG_MAX_BASES    5 /* cgroup directories of one group: one per v1 controller */

/* A backend plus its options: one point of the taxonomy. */
struct isb_config {
	char name[64];
	const struct isb_backend *backend;
	size_t nopts;
	struct {
		char key[64];
		char value[192];
	} opts[ISB_MAX_CONFIG_OPTS];
	/* Filled by the harness before prepare. */
	char campaign_id[40];
	char state_dir[512];	/* the campaign's own directory for transient files */
	char scratch_dir[1024]; /* where tenants put their files (disk stressors) */
	const char *agent_path; /* binary that runs "agent ARGS" */
	bool agent_is_isobench; /* agent_path needs "agent" as argv[1] */
	/* The agent in this process, for backends that fork without exec (the harness passes
	 * it: backends do not link stressor code). */
	int (*agent_main)(int argc, char **argv);
	uint64_t mem_ceiling_bytes; /* hard ceiling for all tenants together */
	uint64_t pids_ceiling;	    /* idem, processes */
	void (*record_pid)(pid_t);  /* harness hook: remember a host pid it must reap */
	char host_ns[400];	    /* the host's namespaces, for the probe in every agent */
	char testnet_hub[64];	    /* the test network's hub namespace, "" when there is none */
	char testnet_subnet[24];    /* "169.254.N": tenants' addresses are N.2 … N.251 */
	double time_scale;	    /* the suite's time_scale: windows of this config's trials */
	/* The campaign's shaped link (link_rate), when it has one: its rate in bits/s, and why
	 * it cannot give a tenant a class of its own ("" when it can: HTB). */
	uint64_t link_rate_bps;
	char link_no_class[200];
	/* The scenario's node memory budget (memory_budget) during its trials, 0: none. The
	 * `fair` policy splits min(ceiling, budget) between the sides. */
	uint64_t mem_budget_bytes;
	/* The calibration of the device under scratch_dir (harness/disk.c), 0 where none ran:
	 * 4 KiB random reads per second at QD1, 1 MiB sequential write bytes per second. The
	 * capped and partitioned policies derive their io throttles from it. */
	double disk_read_iops, disk_write_bps;
	/* Filled by prepare. */
	unsigned declared_leaves;
	char cgroup_note[512]; /* what prepare did about the safety cgroup */
	/* Each client tenant's HTB class on the link, bits/s (net.rate, or the cgroups policy);
	 * 0: its traffic shares the link's default class with everyone's. */
	uint64_t net_class_rate, net_class_ceil;
	void *priv;
};

const char *isb_config_opt(const struct isb_config *c, const char *key);
/* What the campaign group's memory limit is now: the ceiling, or the scenario's budget
 * below it. */
static inline uint64_t isb_config_mem_limit(const struct isb_config *c)
{
	return c->mem_budget_bytes &&
		       (!c->mem_ceiling_bytes || c->mem_budget_bytes < c->mem_ceiling_bytes)
		   ? c->mem_budget_bytes
		   : c->mem_ceiling_bytes;
}

struct isb_tenant_spec {
	const char *label; /* "victim" or "aggressor" */
	const char *stressor;
	enum isb_resource resource; /* the stressor's */
	bool talks_to_peer;	    /* a network client (or peer): it needs a reachable address */
	unsigned role;
	double duration_s, warmup_s, intensity, sample_interval_s;
	const char *const *opts; /* NAME=VALUE strings */
	const char *peer;	 /* HOST:PORT of the peer a network stressor talks to */
	size_t nopts;
	bool pinned;
	cpu_set_t cpus;
};

struct isb_tenant {
	pid_t pid;  /* host pid of the tenant's first process */
	int in_fd;  /* the agent's stdin */
	int out_fd; /* the agent's stdout */
	uint64_t spawn_ns;
	char addr[48]; /* where other tenants reach it (its test-network address); "": loopback */
	/* Host threads that run the tenant besides pid's own tree (a VM's vCPU threads), for
	 * the counters; 0 where pid with inherit covers it all. */
	size_t nthreads;
	pid_t threads[16];
	/* The tenant's own cgroup directories (one per v1 controller), for its statistics; 0
	 * where it has none of its own. */
	size_t ncgroups;
	char cgroups[ISB_CG_MAX_BASES][512];
	/* Filled by stop. */
	bool exited;	/* exited by itself (not killed by stop) */
	long oom_kills; /* OOM kills in the tenant's own memory group; -1: it has none */
	int exit_code;
	int term_signal;
	void *priv;
};

struct isb_backend {
	const char *name;
	enum isb_class class;
	const char *help;
	int (*available)(struct isb_why *why);
	/* Checks one [config] key of the suite; NULL: the backend takes no options. */
	int (*check)(const char *key, const char *value, struct isb_err *err);
	int (*prepare)(struct isb_config *, struct isb_err *);
	int (*spawn)(struct isb_config *, const struct isb_tenant_spec *, struct isb_tenant *,
		     struct isb_err *);
	/* Give the tenant grace_ns to exit by itself, then kill it; always reaps. */
	int (*stop)(struct isb_tenant *, uint64_t grace_ns);
	void (*cleanup)(struct isb_config *);
	/* Optional: why this prepared configuration cannot run a tenant like spec (only its
	 * stressor, resource and talks_to_peer are set; the cell is skipped with the reason),
	 * or NULL. */
	const char *(*unsupported)(const struct isb_config *, const struct isb_tenant_spec *spec);
};

#define ISB_BACKEND(sym) extern const struct isb_backend sym;
#include "backends/backends.def"
#undef ISB_BACKEND

const struct isb_backend *const *isb_backends(size_t *n);
const struct isb_backend *isb_backend_find(const char *name);

/* Shared by process-based backends: fork with pipes; the child joins the cgroups, pins
 * itself, then runs the agent (exec, or in-process when !exec_agent). */
int isb_proc_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		   bool exec_agent, const char *cgroup_procs[], struct isb_err *err);
/* The same with a hook run in the child just before exec of argv (NULL: the agent's). */
struct isb_spawn_hook {
	char *const *argv;
	int (*child)(void *arg); /* <0 with errno: the child reports and exits */
	void *arg;
	bool skip_pin;
};
int isb_proc_spawn_ex(struct isb_config *c, const struct isb_tenant_spec *spec,
		      struct isb_tenant *t, const char *cgroup_procs[],
		      const struct isb_spawn_hook *hook, struct isb_err *err);
/* In a forked tenant: writes an error event naming what failed (and errno), exits 127. */
void isb_child_fail(const char *what) __attribute__((noreturn));
/* Whether /dev/kvm can create a VM here: 1, or 0 with the reason. */
int isb_kvm_usable(char *why, size_t size);
/* Runs argv to completion with output to /dev/null (stderr to errbuf); exit status. */
int isb_run_cmd(char *const argv[], char *errbuf, size_t errsize);
/* PROG ARGS... (NULL-terminated) to completion: 0, or negative with err (may be NULL) naming
 * the command line and what it printed. */
int isb_run_prog(struct isb_err *err, const char *prog, ...);
/* The same with its standard output into out (stderr to /dev/null). */
int isb_run_output(char *const argv[], char *out, size_t size);
int isb_proc_stop(struct isb_tenant *t, uint64_t grace_ns);
/* argv for the agent from a spec; returns argc; strings live in store. */
int isb_agent_argv(const struct isb_config *c, const struct isb_tenant_spec *spec, char **argv,
		   size_t max, char *store, size_t store_size);

/* The campaign's safety cgroup: memory and pids ceiling for all tenants. */
enum isb_cgroup_mode { ISB_CG_NONE, ISB_CG_V1, ISB_CG_V2, ISB_CG_HYBRID };
enum isb_cgroup_mode isb_cgroup_mode(void);
const char *isb_cgroup_mode_name(enum isb_cgroup_mode m);
/* Creates the campaign cgroup(s); fills up to 3 cgroup.procs paths. */
int isb_cgroup_campaign_create(const char *campaign_id, uint64_t mem_max, uint64_t pids_max,
			       char procs[][512], size_t *nprocs, struct isb_err *err);
/* Removes every cgroup of this campaign id (or every isobench cgroup if id is NULL
 * and owner_alive says no). Returns how many it removed. */
int isb_cgroup_campaign_remove(const char *campaign_id);
/* OOM kills so far in the campaign's cgroup, or -1 where it has none. */
long isb_cgroup_oom_kills(const char *campaign_id);
/* The campaign group's memory limit (v2 memory.max, v1 memory.limit_in_bytes): the node
 * budget around every tenant during a scenario's trials, the ceiling between them. */
int isb_cgroup_campaign_set_memory(const char *campaign_id, uint64_t bytes, struct isb_err *err);
/* Lists campaign ids that have cgroups. */
int isb_cgroup_list_campaigns(char ids[][40], size_t max);

/* Enables every controller a v2 group may pass to its children. */
int isb_cg2_enable_controllers(const char *dir, struct isb_err *err);

/* ---- a tenant's own cgroup: one interface, a v1 and a v2 implementation ---- */

struct isb_limits {
	unsigned cpu_weight; /* 1..10000 (v2 units, 100 = default); 0 unset */
	double cpu_max;	     /* CPUs of quota per period; 0 unset */
	char cpuset[64];     /* "0-3"; "" unset */
	uint64_t mem_max;    /* bytes; 0 unset */
	uint64_t swap_max;   /* bytes of swap beyond mem_max */
	bool swap_set;
	unsigned io_weight; /* 1..10000 (v2 units); 0 unset; needs bfq on the device */
	uint64_t io_rbps, io_wbps, io_riops, io_wiops; /* 0 unset */
	unsigned io_major, io_minor;		       /* the disk io limits apply to */
	uint64_t pids_max;			       /* 0 unset */
	uint64_t mem_low; /* bytes protected from reclaim (v2 memory.low); 0 unset */
};

struct isb_cg_tenant {
	size_t ndirs;
	char dirs[ISB_CG_MAX_BASES][512]; /* created groups, one per controller on v1 */
	char procs[ISB_CG_MAX_BASES + 1][512];
};

/* Creates root/.../isobench-<campaign>/<name> with the limits, for the given mode
 * (root is /sys/fs/cgroup, or a directory tree in tests). Appends to note what was
 * applied and what the host could not. */
int isb_cg_tenant_create(enum isb_cgroup_mode mode, const char *root, const char *campaign_id,
			 const char *name, const struct isb_limits *l, struct isb_cg_tenant *t,
			 char *note, size_t note_size, struct isb_err *err);
void isb_cg_tenant_remove(struct isb_cg_tenant *t);
/* Tells the harness where the tenant's own cgroup is (for its statistics). */
void isb_tenant_set_cgroups(struct isb_tenant *t, const struct isb_cg_tenant *cg);
/* OOM kills counted in a memory group directory (v1 or v2), or -1. */
long isb_cg_dir_oom_kills(const char *dir);
/* The whole disk under a directory (for io limits): 0 with major/minor, or -1 and why. */
int isb_cg_disk_of(const char *path, unsigned *major, unsigned *minor, char *why, size_t size);
/* Why io.weight cannot act on disk major:minor (no bfq in the kernel, or the device runs
 * another scheduler; ISOBENCH_FAULT=no-bfq pretends the former), or NULL. */
const char *isb_cg_bfq_unavailable(unsigned major, unsigned minor, char *why, size_t size);

/* ---- cache ways and memory bandwidth per tenant: Linux resctrl (Intel RDT, AMD PQoS) ---- */

#define ISB_RESCTRL_ROOT "/sys/fs/resctrl"
/* ISB_RESCTRL_ROOT, or $ISOBENCH_RESCTRL_ROOT: a directory tree that looks like resctrl,
 * for the integration tests on hosts without it. */
const char *isb_rdt_root(void);
#define ISB_RDT_MAX_DOMAINS 64

/* What a resctrl root offers (root is /sys/fs/resctrl, or a directory tree in tests). */
struct isb_rdt_host {
	bool l3, mb;	   /* cache allocation (L3 CAT) and memory bandwidth allocation */
	bool cdp;	   /* L3 as L3CODE and L3DATA (mounted with -o cdp) */
	bool mb_percent;   /* MB values are percentages (Intel); else absolute (AMD) */
	bool mba_mbps;	   /* mounted with mba_MBps: MB values are MB/s */
	uint64_t cbm_mask; /* info/L3/cbm_mask: every way */
	unsigned cbm_bits; /* ways */
	unsigned min_cbm_bits, l3_closids, mb_closids;
	unsigned mb_gran, mb_min, mb_max; /* info/MB; mb_max: the default group's value */
	size_t nl3, nmb;
	unsigned l3_dom[ISB_RDT_MAX_DOMAINS], mb_dom[ISB_RDT_MAX_DOMAINS];
};
/* 0 with h filled, or -1 and why (no resctrl, not mounted, no allocation). */
int isb_rdt_probe(const char *root, struct isb_rdt_host *h, char *why, size_t size);
/* The contiguous mask of ways for a side (0 victim: the low ways, 1 aggressor: the high). */
uint64_t isb_rdt_mask(const struct isb_rdt_host *h, unsigned ways, int side);
/* The MB value for a percentage: the host's granularity, at least min_bandwidth. */
unsigned isb_rdt_mb_value(const struct isb_rdt_host *h, unsigned percent);

/* A configuration's allocation: the schemata each side's groups get. */
struct isb_rdt_plan {
	unsigned ways, percent; /* asked (llc.ways, mb.percent); 0 unset */
	char schemata[2][512];	/* side 0 (victim and its peer), side 1 (aggressor and its peer) */
	char mb_line[2][256];	/* the MB line alone (OCI's memBwSchema) */
	char l3_line[2][256];	/* the L3 line(s) alone (OCI's l3CacheSchema) */
};
/* Checks the host can give both sides what was asked and fills p; appends to note what
 * will be applied. */
int isb_rdt_plan_make(const char *root, unsigned ways, unsigned percent, struct isb_rdt_plan *p,
		      char *note, size_t note_size, struct isb_err *err);

struct isb_rdt_tenant {
	char name[160]; /* isobench-<campaign>-<tenant>: the group, and OCI's closID */
	char dir[700];
	char tasks[720];
};
/* Creates root/isobench-<campaign>-<name> with the side's schemata (the side from the label,
 * as the limits: "aggressor…" is side 1). */
int isb_rdt_tenant_create(const char *root, const struct isb_rdt_plan *p, const char *campaign_id,
			  const char *name, const char *label, struct isb_rdt_tenant *t,
			  struct isb_err *err);
/* Adds every thread of pid (resctrl is per task; children inherit at fork). */
int isb_rdt_add_task(const struct isb_rdt_tenant *t, pid_t pid, struct isb_err *err);
void isb_rdt_tenant_remove(struct isb_rdt_tenant *t);
/* Every group of a campaign under root; how many it removed. */
int isb_rdt_campaign_remove_at(const char *root, const char *campaign_id);
int isb_rdt_campaign_remove(const char *campaign_id);
/* Campaign ids that have groups under root (ids are YYYYmmdd-HHMMSS-hex). */
int isb_rdt_list_campaigns_at(const char *root, char ids[][40], size_t max);
int isb_rdt_list_campaigns(char ids[][40], size_t max);

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

/* The sandbox class's own interception (backends/sandbox.c). */
enum isb_sb_mode {
	ISB_SB_NONE,
	ISB_SB_SECCOMP,
	ISB_SB_NOTIFY,
	ISB_SB_PTRACE,
	ISB_SB_SUD,
	ISB_SB__COUNT
};
extern const char *const isb_sb_names[ISB_SB__COUNT];
/* In the tenant: runs argv under the interception; never returns. */
void isb_sandbox_exec(enum isb_sb_mode mode, char **argv) __attribute__((noreturn));
/* Why a mode cannot run here, or NULL. */
const char *isb_sandbox_unavailable(enum isb_sb_mode mode);

/* Which backend's keys: the own runtime, an OCI runtime, the sandbox, gVisor. */
/* ISB_CT_VM: only the cgroup keys, for the cgroup around each QEMU process. */
enum isb_ct_kind { ISB_CT_CONTAINER, ISB_CT_OCI, ISB_CT_SANDBOX, ISB_CT_GVISOR, ISB_CT_VM };

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
};
/* Parses the container keys of a configuration (with the oci ones when oci). */
int isb_ctconf_parse(const struct isb_config *c, struct isb_ctconf *cf, enum isb_ct_kind kind,
		     struct isb_err *err);
int isb_ctconf_check(const char *key, const char *value, enum isb_ct_kind kind,
		     struct isb_err *err);
unsigned isb_ctconf_leaves(const struct isb_ctconf *cf);
/* Each tenant's class on the campaign's shaped link (fills c->net_class_rate and _ceil from
 * net.rate or the policy) and a note of it; an error where net.rate cannot be honoured. */
int isb_ctconf_net_class(struct isb_config *c, const struct isb_ctconf *cf, enum isb_ct_kind kind,
			 char *note, size_t size, struct isb_err *err);
bool isb_ctconf_wants_cgroup(const struct isb_ctconf *cf);
/* The limits a tenant gets: the policy for its side, then the explicit keys. Online CPUs
 * are split in halves for partitioned; cpus receives the set it runs on. capped and
 * partitioned also get io throttles derived from the disk calibration, where one ran. */
int isb_ctconf_limits(const struct isb_ctconf *cf, const struct isb_config *c,
		      const struct isb_tenant_spec *spec, struct isb_limits *l, cpu_set_t *cpus,
		      struct isb_err *err);
/* Every check prepare can make before a trial (the keys, the host, a dry run of the
 * cgroups with the victim's limits), the campaign's cgroup, the declared leaves. */
int isb_ct_prepare_common(struct isb_config *c, struct isb_ctconf *cf, enum isb_ct_kind kind,
			  char procs[][512], size_t *nprocs, struct isb_err *err);
/* A human summary: "ns=cgroup,ipc,...; cgroups=partitioned; caps=docker". */
void isb_ctconf_describe(const struct isb_ctconf *cf, char *buf, size_t size);
/* The io throttles the policy derives from c's disk calibration into l (0: none). */
void isb_ctconf_io_derive(enum isb_cg_policy policy, const struct isb_config *c,
			  struct isb_limits *l);
/* Drops to the kept capability set (bounding, effective, permitted, inheritable). */
int isb_caps_apply(const struct isb_ctconf *cf);

/* ---- a tenant's link into the campaign's test network ---- */

struct isb_tenant_net {
	bool made;
	char netns[96]; /* isobench-<campaign>-t<n>, under /run/netns */
	char path[128];
	char outer[16]; /* the bridge's end of the veth */
	char addr[24];	/* the tenant's address */
};
int isb_tenant_net_create(const struct isb_config *c, struct isb_tenant_net *n,
			  struct isb_err *err);
void isb_tenant_net_remove(struct isb_tenant_net *n);
/* For a VM: a tap device bridged with the namespace's eth0, whose address the guest takes;
 * it goes with the namespace. */
int isb_tenant_net_tap(struct isb_tenant_net *n, const char *tap, struct isb_err *err);
/* Does this tenant need a link: its own network namespace and a network stressor? */
bool isb_tenant_wants_link(const struct isb_ctconf *cf, const struct isb_tenant_spec *spec);

/* ---- the root file system of a tenant with its own mount namespace ---- */

struct isb_rootfs {
	const char *dir;     /* where to build it (an empty directory) */
	const char *agent;   /* the agent binary: its directory is bound read-only */
	const char *scratch; /* bound read-write at the same path */
	bool pid_ns, user_ns, cgroup_ns;
	const char *host_cgroup; /* /proc/self/cgroup as it was before the cgroup ns */
};
/* In the tenant, after unshare: builds the root and pivots into it. -errno, what fills
 * what failed. */
int isb_rootfs_enter(const struct isb_rootfs *r, char *what, size_t size);

#endif
