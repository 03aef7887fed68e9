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

#define ISB_MAX_CONFIG_OPTS 16

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
	char state_dir[512];	    /* the campaign's own directory for transient files */
	char scratch_dir[1024];	    /* where tenants put their files (disk stressors) */
	const char *agent_path;	    /* binary that runs "agent ARGS" */
	bool agent_is_isobench;	    /* agent_path needs "agent" as argv[1] */
	uint64_t mem_ceiling_bytes; /* hard ceiling for all tenants together */
	uint64_t pids_ceiling;	    /* idem, processes */
	void (*record_pid)(pid_t);  /* harness hook: remember a host pid it must reap */
	/* Filled by prepare. */
	unsigned declared_leaves;
	char cgroup_note[256]; /* what prepare did about the safety cgroup */
	void *priv;
};

const char *isb_config_opt(const struct isb_config *c, const char *key);

struct isb_tenant_spec {
	const char *label; /* "victim" or "aggressor" */
	const char *stressor;
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
	/* Filled by stop. */
	bool exited; /* exited by itself (not killed by stop) */
	int exit_code;
	int term_signal;
	void *priv;
};

struct isb_backend {
	const char *name;
	enum isb_class class;
	const char *help;
	int (*available)(struct isb_why *why);
	int (*prepare)(struct isb_config *, struct isb_err *);
	int (*spawn)(struct isb_config *, const struct isb_tenant_spec *, struct isb_tenant *,
		     struct isb_err *);
	/* Give the tenant grace_ns to exit by itself, then kill it; always reaps. */
	int (*stop)(struct isb_tenant *, uint64_t grace_ns);
	void (*cleanup)(struct isb_config *);
};

#define ISB_BACKEND(sym) extern const struct isb_backend sym;
#include "backends/backends.def"
#undef ISB_BACKEND

const struct isb_backend *const *isb_backends(size_t *n);
const struct isb_backend *isb_backend_find(const char *name);

/* Shared by process-based backends: fork with pipes; child runs child_fn. */
int isb_proc_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		   bool exec_agent, const char *cgroup_procs[], struct isb_err *err);
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
/* Lists campaign ids that have cgroups. */
int isb_cgroup_list_campaigns(char ids[][40], size_t max);

#endif
