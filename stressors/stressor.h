/*
 * The stressor interface: one workload with a resource, a role and an
 * intensity, run by the agent inside any tenant. A stressor is one C file
 * that fills one const struct isb_stressor and one line in stressors.def.
 * Nothing here may depend on the harness, backends or analysis.
 *
 * This header is the plug-in interface only. The helpers stressors share have headers
 * by audience: window.h (the timed victims' window and latencies), fio.h (the disk
 * engine), net.h (peer connections); the agent's own parts are agent.h, probe.h, sud.h.
 */
#ifndef ISB_STRESSOR_H
#define ISB_STRESSOR_H

#include "common/isb.h"

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
int isb_stressor_set_opt(const struct isb_stressor *s, struct isb_stressor_args *a,
			 const char *name, const char *value, struct isb_err *err);
double isb_opt(const struct isb_stressor *s, const struct isb_stressor_args *a, const char *name);

/* True once the window is over or the harness asked to stop. */
static inline bool isb_should_stop(const struct isb_stressor_args *a, uint64_t end_ns)
{
	return *a->stop || isb_now_ns() >= end_ns;
}

#endif
