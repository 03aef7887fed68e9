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
	/* 1, or 0 with why not in err (a reason, no errno). */
	int (*available)(struct isb_err *err);
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

#endif
