/*
 * The stressor interface: one workload with a resource, a role and an
 * intensity, run by the agent inside any tenant. A stressor is one C file
 * that fills one const struct isb_stressor and one line in stressors.def.
 * Nothing here may depend on the harness, backends or analysis.
 */
#ifndef ISB_STRESSOR_H
#define ISB_STRESSOR_H

#include "common/isb.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>

#define ISB_MAX_OPTS	8
#define ISB_MAX_METRICS 16

enum isb_better { ISB_HIGHER, ISB_LOWER };

struct isb_metric {
	const char *name;
	const char *unit;
	enum isb_better better;
	bool graded; /* counts toward the cell's grade (victim role) */
	const char *help;
};

/* A numeric option, validated by the core for every stressor (fio style). */
struct isb_option {
	const char *name;
	double def; /* default; 0 may mean "auto" where help says so */
	double min, max;
	const char *help;
};

struct isb_stressor_args {
	unsigned role;
	double duration_s;	  /* measure window; an aggressor runs until stopped or this ends */
	double warmup_s;	  /* work done before the window, not counted */
	double intensity;	  /* 0-100 %, meaning per stressor */
	double sample_interval_s; /* how often a sample line is emitted */
	unsigned ncpus;		  /* PUs in the tenant's affinity mask */
	double opt[ISB_MAX_OPTS]; /* by index in stressor->options */
	volatile int *stop;	  /* set when the harness says stop or stdin closes */
	const char *scratch;	  /* the campaign's scratch directory for files, or NULL */
	const char *peer;	  /* the peer's address "HOST:PORT" for network stressors */
};

/* Where a stressor puts what it measured. */
struct isb_report {
	void (*sample)(struct isb_report *, uint64_t t_ns, double ops);
	size_t nmetrics;
	struct {
		char name[48];
		double value;
	} metrics[ISB_MAX_METRICS];
	/* Words, not numbers: how the work was done (tool versions, job parameters). */
	size_t ninfo;
	struct {
		char key[32];
		char value[480];
	} info[4];
};

void isb_report_set(struct isb_report *r, const char *name, double value);
void isb_report_info(struct isb_report *r, const char *key, const char *value);

struct isb_stressor {
	const char *name; /* "cpu.compute" */
	enum isb_resource resource;
	unsigned roles; /* ISB_ROLE_VICTIM | ISB_ROLE_AGGRESSOR */
	const char *help;
	const char *intensity_help;
	const struct isb_metric *metrics; /* terminated by name == NULL */
	const struct isb_option *options; /* terminated by name == NULL */
	/* Why it cannot run in this build/host, or NULL. */
	const char *(*unavailable)(void);
	/* Optional: work before "ready" (laying out files, binding a port), so the window
	 * measures only the run; what it puts in ready->info goes out with "ready". */
	int (*prepare)(const struct isb_stressor_args *, struct isb_report *ready,
		       struct isb_err *);
	/* The stressor that serves this one's connections ("net.peer"), or NULL. */
	const char *peer;
	int (*run)(const struct isb_stressor_args *, struct isb_report *, struct isb_err *);
};

#define ISB_STRESSOR(sym) extern const struct isb_stressor sym;
#include "stressors/stressors.def"
#undef ISB_STRESSOR

const struct isb_stressor *const *isb_stressors(size_t *n);
const struct isb_stressor *isb_stressor_find(const char *name);
const struct isb_metric *isb_stressor_metric(const struct isb_stressor *s, const char *name);

/* Defaults for every option, then name=value validated against the table. */
void isb_stressor_args_init(const struct isb_stressor *s, struct isb_stressor_args *a);

/* The probe (stressors/probe.c): leaves seen from inside, against the host's reference
 * ("cgroup:INODE,ipc:INODE,..." and the campaign's ceilings; 0: none). */
json_object *isb_probe(const char *host_ns, uint64_t mem_ceiling, uint64_t pids_ceiling);
/* Syscall user dispatch on the calling thread (stressors/sud.c): arm, pause around a thread
 * creation, resume; the state and how many calls went through the handler. */
int isb_sud_arm(void);
void isb_sud_pause(void);
void isb_sud_resume(void);
const char *isb_sud_state(unsigned long *dispatched);
/* This process's namespaces in the form isb_probe takes. */
void isb_probe_host_ns(char *buf, size_t size);
/* The kernel's boot id, hex digits only; -1 where unreadable. */
int isb_probe_boot_id(char *buf, size_t size);
int isb_stressor_set_opt(const struct isb_stressor *s, struct isb_stressor_args *a,
			 const char *name, const char *value, struct isb_err *err);
double isb_opt(const struct isb_stressor *s, const struct isb_stressor_args *a, const char *name);

/* True once the window is over or the harness asked to stop. */
static inline bool isb_should_stop(const struct isb_stressor_args *a, uint64_t end_ns)
{
	return *a->stop || isb_now_ns() >= end_ns;
}

/* The agent: argv in, JSON lines out. Returns the process exit code. */
int isb_agent_main(int argc, char **argv);

/* The fixed unit of CPU work of cpu.compute. */
uint64_t isb_cpu_compute_unit(uint64_t iterations, double *facc);

/* fio as the disk engine (stressors/fio.c). */
struct isb_fio_job {
	const char *rw;	    /* randread, write, randwrite */
	unsigned bs_kb;	    /* block size */
	unsigned iodepth;   /* queue depth */
	const char *engine; /* psync, libaio */
	double size_mb;	    /* file size */
};
const char *isb_fio_bin(void); /* $ISOBENCH_FIO, else the fio configure found */
const char *isb_fio_unavailable(void);
/* The tenant's own file under the scratch directory: <scratch>/<stressor>-<pid>.dat */
int isb_fio_path(const struct isb_stressor_args *a, const char *stressor, char *buf, size_t size,
		 struct isb_err *err);
int isb_fio_layout(const struct isb_stressor_args *a, const char *stressor, double size_mb,
		   struct isb_err *err);
int isb_fio_run(const struct isb_stressor_args *a, const char *stressor,
		const struct isb_fio_job *job, bool write, struct isb_report *r,
		struct isb_err *err);
/* The disk aggressors' shared metrics, options and run (rw pattern and block size differ). */
extern const struct isb_metric isb_fio_writer_metrics[];
extern const struct isb_option isb_fio_writer_options[];
int isb_fio_writer_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err,
		       const char *stressor, const char *rw, unsigned bs_kb);
/* Metrics of one direction ("read"/"write") of fio's JSON output; -EIO on a failed job. */
int isb_fio_parse(const char *json, const char *dir, struct isb_report *r, struct isb_err *err);

/* Network helpers (stressors/net.c): connect to args->peer; write or read fully. */
int isb_net_connect(const struct isb_stressor_args *a, int type, const char *who,
		    struct isb_err *err);
int isb_net_write_all(int fd, const void *buf, size_t len);
int isb_net_read_all(int fd, void *buf, size_t len);
/* Sleep as needed so that bytes sent since t0 stay under rate bytes/s (0: no cap). */
void isb_net_pace(uint64_t t0, double bytes, double rate);

/* Per-unit latency recorder shared by victims: percentiles at the end. */
struct isb_latencies {
	double *v;
	size_t n, cap;
};
int isb_lat_add(struct isb_latencies *l, double ns);
void isb_lat_report(struct isb_latencies *l, struct isb_report *r, const char *prefix);
void isb_lat_free(struct isb_latencies *l);

/* The measure window of a timed victim (stressors/window.c). */
struct isb_window {
	const struct isb_stressor_args *a;
	uint64_t start, end, interval, next, last, units;
	double per_unit; /* what one unit counts for in samples and the rate */
	struct isb_latencies lat;
};
void isb_window_begin(struct isb_window *w, const struct isb_stressor_args *a, double per_unit);
bool isb_window_running(const struct isb_window *w);
/* One unit of work timed from s to e: counted, timed and sampled once warm-up is over. */
int isb_window_unit(struct isb_window *w, struct isb_report *r, uint64_t s, uint64_t e);
/* rate_metric = units x per_unit per second, and lat_p50/p99/p999_ns; -1 if nothing counted. */
int isb_window_end(struct isb_window *w, struct isb_report *r, const char *rate_metric,
		   struct isb_err *err, const char *who);
/* The syscall victims' metrics and window end: calls_per_s, ns_per_call, latencies. */
extern const struct isb_metric isb_sys_metrics[];
int isb_sys_window_end(struct isb_window *w, struct isb_report *r, struct isb_err *err,
		       const char *who);

#endif
