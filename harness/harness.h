/*
 * Internal interfaces of the harness: the only part of isobench that knows
 * stressors, backends, recording and analysis together.
 */
#ifndef ISB_HARNESS_H
#define ISB_HARNESS_H

#include "common/isb.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/proc.h"
#include "backends/rdt.h"
#include "results/store.h"
#include "stressors/agent.h"
#include "stressors/fio.h"
#include "stressors/probe.h"
#include "stressors/stressor.h"

#include <json-c/json.h>
#include <stdbool.h>

/* ---- suite files ---- */

#define ISB_MAX_CONFIGS	   32
#define ISB_MAX_SCENARIOS  64
#define ISB_MAX_PLACEMENTS 8
#define ISB_MAX_SOPTS	   8

struct isb_suite_config {
	char name[64];
	char backend[32];
	char technology[32]; /* the report's technology row; "": found by its match */
	int line;
	size_t nopts;
	struct {
		char key[64];
		char value[192];
	} opts[ISB_MAX_CONFIG_OPTS];
	int opt_line[ISB_MAX_CONFIG_OPTS];
};

struct isb_suite_scenario {
	char name[64];
	int line;
	enum isb_resource resource;
	char victim[48], aggressor[48];
	double intensity;
	size_t nplacements;
	char placements[ISB_MAX_PLACEMENTS][16];
	char grade[256]; /* metrics that grade the cell; empty: the stressor's defaults */
	size_t nvopts, naopts;
	char vopts[ISB_MAX_SOPTS][128], aopts[ISB_MAX_SOPTS][128]; /* NAME=VALUE */
	uint64_t memory_budget; /* bytes; with budget_set, over [global]'s (0: none) */
	bool budget_set;
	double aggressor_warmup; /* seconds; < 0: [global]'s (a bomb that needs time to grow) */
};

struct isb_suite {
	char path[512];
	char *text;	   /* the file as read, recorded with the campaign */
	unsigned reps;	   /* pairs (baseline + contended) every cell gets */
	unsigned max_reps; /* at most this many while its interval is wide; 0: 2 x reps */
	double target_halfwidth;
	bool grade_by_upper; /* grade by the interval's upper bound, not the point estimate */
	double duration, warmup, aggressor_warmup, sample_interval, grace;
	uint64_t seed;
	double thresholds[4];
	unsigned bootstrap;
	double memory_ceiling; /* fraction of MemAvailable for all tenants */
	bool test_network;     /* build the campaign's own netns + veth network */
	uint64_t link_rate;    /* bits/s of the test network's shaped link (link_rate); 0: none */
	bool baseline_only;    /* contended = no: baseline trials only (a smoke run), ungraded */
	uint64_t pids_ceiling;
	uint64_t memory_budget; /* node memory budget around both tenants, bytes; 0: none */
	/* The disk the disk stressors use (harness/disk.c): the host's file system under the
	 * scratch directory, or a loop device the campaign makes over a sparse file there. */
	enum isb_disk_device { ISB_DISK_HOST, ISB_DISK_LOOP } disk_device;
	uint64_t disk_size;	 /* the loop device's size */
	char disk_scheduler[16]; /* keep | bfq | mq-deadline | none: the loop device's only */
	size_t nconfigs, nscenarios;
	struct isb_suite_config configs[ISB_MAX_CONFIGS];
	struct isb_suite_scenario scenarios[ISB_MAX_SCENARIOS];
};

extern const char *const isb_placement_names[];

void isb_suite_defaults(struct isb_suite *s);
/* The most pairs a cell may get: max_reps, or twice reps (reps of 3 or more). */
unsigned isb_suite_max_reps(const struct isb_suite *s);
/* Parse text (named path for messages); errors name path:line and the bad key or value. */
int isb_suite_parse(struct isb_suite *s, const char *path, const char *text, struct isb_err *err);
int isb_suite_load(struct isb_suite *s, const char *path, struct isb_err *err);
void isb_suite_free(struct isb_suite *s);
/* The node memory budget of a scenario's trials: its own memory_budget, else [global]'s;
 * 0: none. */
uint64_t isb_suite_budget(const struct isb_suite *s, const struct isb_suite_scenario *sc);

struct isb_overrides {
	const char *backends, *resources, *placements;
	long reps;	 /* <0: unset */
	long max_reps;	 /* <= 0: unset */
	double duration; /* <0: unset */
	bool seed_set;
	uint64_t seed;
};
int isb_suite_override(struct isb_suite *s, const struct isb_overrides *o, struct isb_err *err);
/* Suite by name ("quick") or path. */
int isb_suite_find(const char *name, char *path, size_t size);
size_t isb_suite_dirs(const char *dirs[4]);

/* ---- placement ---- */

struct isb_placement {
	cpu_set_t victim, aggressor;
	char resolved[16]; /* what split resolved to, or the placement itself */
	char victim_cpus[64], aggressor_cpus[64];
};

struct isb_topology;
/* synthetic: an hwloc synthetic description, or NULL for this machine. */
int isb_topo_load(struct isb_topology **t, const char *synthetic, struct isb_err *err);
void isb_topo_free(struct isb_topology *t);
/* 0 and *out, or -1 with err when this machine cannot give it. */
int isb_topo_place(struct isb_topology *t, const char *placement, struct isb_placement *out,
		   struct isb_err *err);
void isb_topo_summary(struct isb_topology *t, char *buf, size_t size);
json_object *isb_topo_json(struct isb_topology *t);

/* ---- the agent protocol, harness side ---- */

enum isb_event_type { ISB_EV_READY, ISB_EV_SAMPLE, ISB_EV_RESULT, ISB_EV_ERROR, ISB_EV_PROBE };
struct isb_event {
	enum isb_event_type type;
	json_object *obj; /* owned */
};
/* One JSON line into an event; -EPROTO with err naming what is wrong. */
int isb_event_parse(const char *line, struct isb_event *ev, struct isb_err *err);

struct isb_line_reader {
	int fd;
	size_t len;
	char buf[65536];
};
/* 1 and a line, 0 at EOF, -ETIMEDOUT past deadline, -EINTR if interrupted. */
int isb_read_line(struct isb_line_reader *r, uint64_t deadline_ns, char *line, size_t size);

/* ---- counters ---- */

#define ISB_MAX_COUNTERS      8
#define ISB_MAX_COUNTER_TASKS 17
struct isb_counters {
	size_t n;
	size_t ntasks; /* pid, then extra threads (a VM's vCPUs) */
	struct {
		const char *name;
		int fd;				     /* the first task's; -1: unavailable */
		int more[ISB_MAX_COUNTER_TASKS - 1]; /* the other tasks' */
		char unavailable[128];
		uint64_t value, enabled, running;
	} ev[ISB_MAX_COUNTERS];
};
void isb_counters_open(struct isb_counters *c, pid_t pid);
/* The same on pid (with inherit) and each of threads, summed. */
void isb_counters_open_tasks(struct isb_counters *c, pid_t pid, const pid_t *threads,
			     size_t nthreads);
void isb_counters_read(struct isb_counters *c);
json_object *isb_counters_json(const struct isb_counters *c);
/* One counter's value, scaled for multiplexing; -1 where it is unavailable. */
int isb_counters_value(const struct isb_counters *c, const char *name, double *v);
void isb_counters_close(struct isb_counters *c);
const char *isb_counters_lib(void);

/* ---- attribution: eBPF probes (harness/bpf/attrib.c), PSI and cgroup statistics ---- */

struct isb_attrib;
/* Loads and attaches the probes once per campaign (ISOBENCH_BPF = tp_btf | tracepoint | off
 * chooses); NULL with err where they cannot run. */
struct isb_attrib *isb_attrib_open(struct isb_err *err);
const char *isb_attrib_variant(const struct isb_attrib *a);
/* Before the start barrier: forget the last trial; track these host pids (their threads and
 * descendants, and forks from now on) as victim and aggressor. */
int isb_attrib_begin(struct isb_attrib *a, const pid_t *victim, size_t nv, const pid_t *aggressor,
		     size_t na);
/* After the victim's window: run-queue, block I/O, reclaim and softirq summaries. */
json_object *isb_attrib_end(struct isb_attrib *a, double window_s);
void isb_attrib_close(struct isb_attrib *a);

/* System-wide pressure stall totals (/proc/pressure), microseconds. */
struct isb_psi {
	bool ok[3]; /* cpu, memory, io */
	unsigned long long some[3], full[3];
	bool steal_ok; /* /proc/stat: time the hypervisor ran others on our CPUs */
	unsigned long long steal_ticks;
};
void isb_psi_read(struct isb_psi *p);
/* The growth between two readings, in ms of stall per second of window; NULL where the
 * kernel has no PSI. */
json_object *isb_psi_delta(const struct isb_psi *a, const struct isb_psi *b, double window_s);
/* A tenant's own cgroup statistics (cpu.stat, memory.events, *.pressure, io.stat and their v1
 * kin) as flat NAME -> number; NULL where it has no cgroup of its own. */
json_object *isb_cgstat_read(const struct isb_tenant *t);
/* b - a for every number both hold. */
json_object *isb_cgstat_delta(json_object *a, json_object *b);

/* ---- host-side use of each tenant (harness/hostuse.c): CPU time, resident memory, block
 * I/O that reached the block layer, bytes on its link, over the victim's window ---- */
struct isb_hostuse_tenant {
	bool present;
	size_t ntree;		  /* processes in its tree */
	unsigned long long ticks; /* their CPU time, clock ticks (children reaped included) */
	long long rss_pages;	  /* their resident pages */
	bool cpu_cg_ok, blk_cg_ok, net_ok;
	double cpu_cg_s, blk_cg[4]; /* its own cgroup: CPU s; read, write bytes; read, write ios */
	pid_t net_pid;		    /* a process of its in a network namespace of its own */
	bool has_netns;		    /* net_fd holds that namespace (until the window's end) */
	int net_fd;
	unsigned long long net_tx, net_rx; /* bytes on its link */
	char net_why[200];
};
struct isb_hostuse {
	bool begun, dev_ok;
	struct isb_hostuse_tenant t[2]; /* victim, aggressor */
	double dev[4]; /* every physical block device: read, write bytes; read, write requests */
};
/* At the start barrier; aggressor NULL in a baseline trial. */
void isb_hostuse_begin(struct isb_hostuse *h, const struct isb_tenant *victim,
		       const struct isb_tenant *aggressor);
/* After the victim's window: adds "host": {"victim": {...}, "aggressor": {...}} to the
 * attribution att (its bpf.bio gives the block-layer counts; bpf_why where it is absent). */
void isb_hostuse_end(struct isb_hostuse *h, json_object *att, const struct isb_tenant *victim,
		     const struct isb_tenant *aggressor, const char *bpf_why);
/* ---- node memory budget (membudget.c) ---- */

/* Limits the campaign's group to min(ceiling, budget) for one trial (budget 0: nothing);
 * -1 and err ("memory_budget: unavailable: ...") where it cannot. */
int isb_budget_begin(struct isb_config *c, uint64_t budget, struct isb_err *err);
/* The ceiling back, after every tenant of the trial stopped. */
void isb_budget_end(struct isb_config *c);
struct isb_budget_tenants {
	const struct isb_tenant *victim, *aggressor, *peers[2];
	bool victim_spawned, aggressor_spawned, peers_spawned[2];
	double aggressor_workers_killed; /* memory.bomb's own count of OOM-killed workers */
	double victim_major_faults;	 /* in the window; <0 unknown */
};
/* The trial's "memory" record: budget_bytes, limit_bytes, oom_kills, oom_chose (victim,
 * aggressor, peer, unknown or none), oom_killed, victim_major_faults. */
json_object *isb_budget_trial_json(const struct isb_config *c, uint64_t budget, long campaign_kills,
				   const struct isb_budget_tenants *bt);

/* ---- campaign state and cleanup ---- */

const char *isb_state_root(void);
int isb_state_create(const char *id, const char *out_dir, char *dir, size_t size,
		     struct isb_err *err);
void isb_state_record_pid(pid_t pid);
/* A file NAME holding VALUE in the campaign's state directory, for cleanup to find. */
int isb_state_note(const char *dir, const char *name, const char *value);
void isb_state_remove(const char *dir);
/* Removes what campaigns that are no longer running left; returns items removed. */
int isb_cleanup_stale(bool verbose);

/* ---- the campaign's test network ---- */
struct isb_testnet {
	bool up;
	char ns[2][64];
	char link[2][16];
	char addr[2][20];
	char subnet[20]; /* "169.254.N": the bridge isbbr in ns[0] is N.1/24, tenants N.2 … */
};
void isb_testnet_names(const char *id, struct isb_testnet *n);
int isb_testnet_create(const char *id, const char *state_dir, struct isb_testnet *n,
		       struct isb_err *err);
int isb_testnet_remove(const char *id); /* returns namespaces removed */
int isb_testnet_list(char ids[][40], size_t max);

/* ---- the test network's shaped link (link_rate; harness/link.c) ---- */
struct isb_link {
	bool up;
	bool htb;	    /* per-tenant classes possible; else no_class says why */
	char no_class[200]; /* why no tenant can have a class ("" with htb) */
	char ns[2][64];	    /* near (tenants, the hub) and far (peers) namespaces */
	char dev[16];	    /* the near end of the wire: its egress is shaped */
	char far_addr[20];  /* the far bridge's address: where peers without their own listen */
	uint64_t rate;	    /* bits/s */
	unsigned next_class;
};
/* Turns the test network's pair into a wire of the given rate (HTB, else TBF). */
int isb_link_create(const struct isb_testnet *n, uint64_t rate, struct isb_link *l,
		    struct isb_err *err);
/* A class rate/ceil (bits/s) for traffic from src on the link; *id for isb_link_class_del. */
int isb_link_class_add(struct isb_link *l, const char *src, uint64_t rate, uint64_t ceil,
		       unsigned *id, struct isb_err *err);
void isb_link_class_del(struct isb_link *l, unsigned id);
/* Moves the calling thread into the near (side 0) or far (1) namespace; returns what
 * isb_link_leave takes to bring it back, or negative with err. */
int isb_link_enter(const struct isb_link *l, int side, struct isb_err *err);
void isb_link_leave(int saved);
/* The link's qdisc counters now (tc -s -j), or NULL; and the growth between two readings
 * over win seconds: the link's bytes_per_s, utilisation (of its rate), drops_per_s, and the
 * same for the victim's and the aggressor's class (0: none). */
json_object *isb_link_stats(const struct isb_link *l);
json_object *isb_link_delta(const struct isb_link *l, json_object *a, json_object *b,
			    unsigned victim_class, unsigned aggressor_class, double win);
/* ---- the campaign's own disk (harness/disk.c) ---- */
struct isb_disk {
	bool up;	  /* attached and mounted: the disk stressors' files live on it */
	char image[1100]; /* the sparse file under the scratch directory */
	char dev[32];	  /* /dev/loopN */
	char mnt[1100];	  /* its file system's mount point, under the scratch directory */
	unsigned major, minor;
	bool dio;	      /* direct I/O between the loop device and its file */
	char scheduler[32];   /* the scheduler it runs */
	char sched_orig[32];  /* the one it had, put back when the campaign ends */
	char sched_note[200]; /* why not the one disk_scheduler asked for */
	/* calibration of the device under the tenants' files; 0 where it did not run */
	double read_iops, write_bps, calib_s;
	char calib_note[300];
};
/* Makes the loop device (noted in state_dir first), its file system and its mount under
 * scratch; what it could not do in err. */
int isb_disk_create(const struct isb_suite *s, const char *id, const char *state_dir,
		    const char *scratch, struct isb_disk *d, struct isb_err *err);
void isb_disk_remove(struct isb_disk *d);
/* What a campaign's state directory says it made: unmounted, detached; items removed. */
int isb_disk_cleanup_state(const char *state_dir, bool verbose);
/* Campaign ids with a loop device over their image; and their removal (for the sweep). */
int isb_disk_list(char ids[][40], size_t max);
int isb_disk_remove_id(const char *id);
/* ~2 s of fio on dir: d->read_iops (4 KiB random, QD1) and d->write_bps (1 MiB sequential,
 * QD32), direct I/O. */
int isb_disk_calibrate(const char *dir, struct isb_disk *d, struct isb_err *err);
json_object *isb_disk_json(const struct isb_suite *s, const struct isb_disk *d);

/* ---- host ---- */
json_object *isb_host_json(struct isb_topology *t);
/* {"available": bool, "reason": …, ways, granularity}: resctrl at root (host.c). */
json_object *isb_rdt_host_json(const char *root);

/* ---- running ---- */

struct isb_run_opts {
	const char *out_dir;  /* NULL: campaigns/<id> */
	const char *argv_str; /* the command line, recorded */
	const char *scratch;  /* NULL: <out>/scratch; else a campaign subdirectory in it */
	bool progress_tty;
	bool no_report;
	bool no_bpf;		      /* no eBPF attribution probes */
	bool resume;		      /* continue the campaign in out_dir (harness/campaign.h) */
	bool allow_concurrent;	      /* run beside a campaign that holds the host */
	unsigned shard_i, shard_n;    /* --shard I/N: cells whose index mod N is I-1; N 0: all */
	const char *run_options_json; /* the overrides, recorded for a resume */
};
/* Runs a campaign; returns the process exit code. */
int isb_run_campaign(struct isb_suite *s, const struct isb_run_opts *o);

extern volatile int isb_interrupted; /* the signal that asked us to stop, or 0 */

/* ---- exit codes (documented in isobench(1)) ---- */
enum {
	ISB_EXIT_OK = 0,
	ISB_EXIT_ERROR = 1,
	ISB_EXIT_USAGE = 2,
	ISB_EXIT_INTERRUPTED = 130,
};

#endif
