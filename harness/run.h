/*
 * The runner's private context, shared by runner.c (the campaign's setup, loop and end),
 * plan.c (cells, repetitions, the seeded order, adaptive rounds), trial.c (one trial) and
 * tenant.c (a tenant's start, barrier and collection, peers, tenants on the shaped link).
 */
#ifndef ISB_HARNESS_RUN_H
#define ISB_HARNESS_RUN_H

#include "common/events.h"
#include "harness/campaign.h"
#include "harness/harness.h"

#include <gsl/gsl_rng.h>

#define ISB_MAX_GRADED 8

struct rcell {
	long long id;
	size_t cfg, sc;
	const char *placement;
	struct isb_placement pl;
	bool skipped;
	/* Adaptive repetitions: the pairs planned so far and, per pair and side, the values
	 * of the metrics that grade the cell (NAN where the trial gave none). */
	unsigned pairs;
	bool settled;
	bool base_failed, cont_failed;
	size_t ngraded;
	const struct isb_metric *graded[ISB_MAX_GRADED];
	double *vals; /* [max_reps][2][ngraded] */
};

struct rtrial {
	size_t cell;
	bool contended;
	unsigned rep;
};

struct rconfig {
	struct isb_config c;
	bool prepared;
	char unavailable[300];
};

struct ctx {
	struct isb_suite *s;
	const struct isb_run_opts *o;
	struct isb_store *st;
	struct isb_attrib *attrib; /* the eBPF probes, or NULL and why */
	char attrib_why[300];
	struct rconfig *cfgs;
	struct rcell *cells;
	size_t ncells, runnable;
	unsigned max_reps;
	char campaign_id[40];
	struct isb_topology *topo;
	struct isb_testnet net;
	struct isb_link link; /* the shaped link (link_rate), when up */
	char link_why[400];   /* why link_rate is set but the link is not up */
	struct isb_disk disk;
	struct isb_err disk_why; /* why the disk cells cannot run (msg "" when they can) */
	char out[1024], state[700], dbpath[1100], scratch[1100];
	bool state_made;
	char self[1024]; /* this program: the tenants' agent unless ISOBENCH_AGENT says */
	struct isb_campaign_lock lock; /* held from before anything is created */
	int dir_fd;		       /* flock on the campaign directory, -1 */
	size_t plan_index;	       /* cells of the full plan so far (shards count them all) */
	/* A resume: the stored cells' ids in plan order and the trials already run. */
	struct resume_state *resume;
	char contaminated[300]; /* why the trial now running may be contaminated, or "" */
};

/* ---- resume.c ---- */

/* The store's cells and trials read, half-done pairs dropped, the campaign running again.
 * 0, or -1 (logged). */
int resume_open(struct ctx *x);
void resume_free(struct ctx *x);
/* The number of cells the resumed store holds. */
size_t resume_ncells(const struct ctx *x);
/* A planned cell: its stored id (resume) or stored now. Returns 0, or <0 with err. */
int resume_cell_id(struct ctx *x, size_t index, bool skipped, const char *reason, long long *id,
		   struct isb_err *err);
/* Whether this planned trial is already stored complete; if so its values are recorded
 * into its cell as a run trial's would be. */
bool resume_done(struct ctx *x, const struct rtrial *tr);
/* The resume recorded in meta "resumed" and the log: what it kept, dropped and ran. */
void resume_record(struct ctx *x, unsigned done);
/* Fills x->contaminated (when empty) where another campaign runs beside this one. */
void campaign_contamination(struct ctx *x);

struct tenant_run {
	struct isb_tenant t;
	struct isb_line_reader rd;
	bool spawned;
	uint64_t ready_ns;
	json_object *result;	 /* "metrics" of the result event */
	json_object *info;	 /* "info" of the result event, if any */
	json_object *ready_info; /* "info" of the ready event (a peer's port) */
	json_object *probe;	 /* "probe" of the ready event: the leaves seen inside */
	struct isb_err err;
};

/* ---- tenant.c ---- */

void interruptible_sleep(uint64_t ns);
/* Spawn and wait for "ready". Returns 0, or negative with tr->err filled. */
int tenant_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *spec,
		 struct tenant_run *tr);
/* Says GO or STOP (common/events.h) on the tenant's stdin: 0, or -EPIPE. */
int tenant_say(const struct tenant_run *tr, const char *word);
/* Read events until result/error/EOF/deadline. samples may be NULL. Returns 1 result, 0
 * other. */
int tenant_collect(struct tenant_run *tr, uint64_t deadline, json_object *samples,
		   const char *label);
/* The json objects a tenant's events left, released. */
void tenant_release(struct tenant_run *tr);
/* oom_before/after: the campaign cgroup's OOM kill count around the tenant's life. */
void exit_cause(const struct isb_tenant *t, long oom_before, long oom_after, char *buf,
		size_t size);
void spec_init(struct isb_tenant_spec *sp, const char *label, const char *stressor, unsigned role,
	       const char (*opts)[128], size_t nopts, const char **optv, const cpu_set_t *cpus);
/* A network client (victim or aggressor), on the near side of the shaped link when there is
 * one. *class_id: 0, or the class to delete after it. */
int link_client_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *sp,
		      struct tenant_run *tr, unsigned *class_id);
/* Starts the peer (server end) a network stressor needs, pinned like its client, and
 * fills addr with where the client finds it. 0, or -1 with pr->err. */
int peer_start(struct ctx *x, struct rconfig *rc, const char *stressor, const char *label,
	       const cpu_set_t *cpus, struct tenant_run *pr, char *addr, size_t size);
void peer_stop(struct rconfig *rc, struct tenant_run *pr);

/* ---- trial.c ---- */

/* One trial. Returns 0 stored, -EINTR interrupted (nothing stored), other <0 store error. */
int run_trial(struct ctx *x, const struct rtrial *tr, unsigned seq, char *summary, size_t ssize);

/* ---- plan.c ---- */

/* Every cell (configuration x scenario x placement), runnable or stored as skipped with the
 * reason; counts the runnable ones. 0, or <0 with err (the store failed). */
int plan_cells(struct ctx *x, struct isb_err *err);
/* The next round's trials into trials (room for max_reps pairs of every cell): the first
 * round reps pairs of every cell, later ones more pairs for the cells not settled, in a
 * seeded random order. Returns the number of trials; 0: nothing left. */
size_t plan_round(struct ctx *x, gsl_rng *rng, unsigned round, struct rtrial *trials);
/* After a round: which cells need no more pairs. */
void plan_settle(struct ctx *x);
/* A finished trial's graded values (result NULL: the victim gave none) and failures. */
void cell_record(struct ctx *x, const struct rtrial *tr, json_object *result,
		 enum isb_outcome outcome);

#endif
