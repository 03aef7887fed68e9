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
	X(SB_PTRACE) X(SB_SECCOMP) X(SB_SUD) X(SB_LSM)
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
	/* The class this configuration declares (the wrapper's class key); NULL: the backend's. */
	const char *class_name;
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

/*
 * A backend's [config] keys, declared in a table (like the stressors' options): the core
 * (options.c) checks a key against it and stores its value into the backend's parsed
 * struct, so a backend writes no parser. Terminated by name == NULL.
 */
enum isb_opt_type {
	ISB_OPT_UINT,	 /* an integer in [min, max] (max 0: no upper bound), unsigned or u64 */
	ISB_OPT_DOUBLE,	 /* a number in [min, max] */
	ISB_OPT_SIZE,	 /* bytes (512M, 2G: powers of 1024), at least min; u64 */
	ISB_OPT_RATE,	 /* bits/s (100M: powers of 1000), at least min; u64 */
	ISB_OPT_ENUM,	 /* one of names: its index, into an unsigned or enum field */
	ISB_OPT_STRING,	 /* one of names: the text, into a char array */
	ISB_OPT_CPULIST, /* "0-3,6", into a char array */
	ISB_OPT_CUSTOM,	 /* parse() reads it */
};

struct isb_backend_option {
	const char *name;  /* "cpu.weight"; ending in '.': a prefix ("ns." takes ns.NAME) */
	const char *shown; /* how lists name it ("ns.NAME"); NULL: name */
	enum isb_opt_type type;
	size_t off, size; /* the field in the parsed struct: ISB_OPT_FIELD(struct, member) */
	size_t set_off;	  /* ISB_OPT_FLAG(struct, member): a bool set when given; 0: none */
	double min, max;
	const char *const *names; /* ENUM, STRING: the values, NULL-terminated */
	/* CUSTOM: checks value and, when conf is not NULL, stores it; 0 or negative with err. */
	int (*parse)(void *conf, const char *key, const char *value, struct isb_err *err);
	/* What a bad value is not ("a positive integer"); NULL: said from type and range. */
	const char *expect;
	const char *hint; /* said after it in parentheses ("L3 cache ways per side"), or NULL */
	const char *help;
	unsigned kinds; /* which option sets take it: bits the backends declare (option_set) */
};
#define ISB_OPT_FIELD(type, member) offsetof(type, member), sizeof(((type *)0)->member)
#define ISB_OPT_FLAG(type, member)  (offsetof(type, member) + 1)

struct json_object;

struct isb_backend {
	const char *name;
	enum isb_class class;
	const char *help;
	/* 1, or 0 with why not in err (a reason, no errno). */
	int (*available)(struct isb_err *err);
	/* Its [config] keys: the rows of options whose kinds meet option_set (0: every row);
	 * checked by the core (isb_backend_check). */
	const struct isb_backend_option *options;
	unsigned option_set;
	/* Optional: checks a [config] key options does not have; NULL with no options: the
	 * backend takes none. */
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
	/* Optional: its own section of `isobench probe` (what this host offers it, and why not);
	 * host is the host's description (harness/host.c: versions of the tools it runs). */
	void (*describe)(FILE *out, struct json_object *host);
};

#define ISB_BACKEND(sym) extern const struct isb_backend sym;
#include "backends/backends.def"
#undef ISB_BACKEND

const struct isb_backend *const *isb_backends(size_t *n);
const struct isb_backend *isb_backend_find(const char *name);
/* Whether b takes [config] keys; checks one (the option table, then b->check). */
bool isb_backend_takes_options(const struct isb_backend *b);
int isb_backend_check(const struct isb_backend *b, const char *key, const char *value,
		      struct isb_err *err);

/* The option table's core (options.c). Applies key = value to conf (NULL: only checks it)
 * by the rows of t that set takes: 0, negative with err, or -ENOENT (err untouched) when
 * no such row. */
int isb_option_apply(const struct isb_backend_option *t, unsigned set, void *conf, const char *key,
		     const char *value, struct isb_err *err);
/* The keys set takes, "a, b, c", into buf. */
const char *isb_option_list(const struct isb_backend_option *t, unsigned set, char *buf,
			    size_t size);
/* What a row takes ("an integer in [1, 10000]", "none, fair or capped"), with its hint, into
 * buf. */
const char *isb_option_expect(const struct isb_backend_option *o, char *buf, size_t size);

#endif
