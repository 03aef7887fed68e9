/*
 * The results store: one SQLite file per campaign. results/ is the only code
 * that speaks SQL; the harness writes through typed writers (store.c), the
 * analysis reads through typed readers (read.c). The schema is documented in
 * results/SCHEMA.md.
 */
#ifndef ISB_RESULTS_STORE_H
#define ISB_RESULTS_STORE_H

#include "common/isb.h"

#include <stdbool.h>

/* A trial's outcome, stored by name in trial.status. */
enum isb_outcome {
	ISB_OUTCOME_OK,
	ISB_OUTCOME_FAILED,	   /* the victim failed (exited, was killed, missed its deadline) */
	ISB_OUTCOME_ERROR,	   /* the harness could not run the trial */
	ISB_OUTCOME_SKIPPED,	   /* not run (the cell is skipped) */
	ISB_OUTCOME_UNTRUSTWORTHY, /* ran, but its measurement cannot be trusted */
	ISB_OUTCOME__COUNT
};
const char *isb_outcome_name(enum isb_outcome o);
/* 0 and *out, or -EINVAL for a name that is none of the above. */
int isb_outcome_parse(const char *name, enum isb_outcome *out);

struct isb_store;
int isb_store_create(struct isb_store **st, const char *path, struct isb_err *err);
void isb_store_close(struct isb_store *st);

/* The rows the harness writes. Text fields may be NULL (stored as NULL). */

/* campaign: inserted with status 'running' when the campaign begins. */
struct isb_campaign_row {
	const char *id;
	long long started_ns;
	unsigned long long seed;
	const char *suite_path, *suite_text, *argv;
	const char *host_json, *settings_json;
};
int isb_store_campaign_begin(struct isb_store *st, const struct isb_campaign_row *row,
			     struct isb_err *err);
/* The campaign's end: 'complete', or 'interrupted' when interrupted is set. */
int isb_store_campaign_finish(struct isb_store *st, bool interrupted, long long finished_ns,
			      struct isb_err *err);

/* config: one per configuration of the suite, available or not. */
struct isb_config_row {
	const char *name, *backend, *class_name;
	const char *options_json, *declared_leaves, *cgroup_note;
	bool available;
	const char *unavailable_reason;
};
int isb_store_config(struct isb_store *st, const struct isb_config_row *row, struct isb_err *err);

/* metric: what each stressor's metric means (replaced if already there). */
struct isb_metric_row {
	const char *stressor, *name, *unit;
	bool higher_better;
	bool graded;
	const char *help;
};
int isb_store_metric(struct isb_store *st, const struct isb_metric_row *row, struct isb_err *err);

/* cell: planned, or skipped with its reason. *id: the cell's row id. */
struct isb_cell_row {
	const char *config, *backend, *resource, *scenario;
	const char *placement, *resolved_placement;
	const char *victim, *aggressor;
	double intensity;
	const char *victim_opts, *aggressor_opts, *victim_cpus, *aggressor_cpus;
	const char *grade_metrics;
	bool skipped;
	const char *reason;
};
int isb_store_cell(struct isb_store *st, const struct isb_cell_row *row, long long *id,
		   struct isb_err *err);

/* trial: one finished trial. Startup times < 0: unknown (NULL). */
struct isb_trial_row {
	long long cell_id;
	bool contended;
	unsigned rep, seq;
	enum isb_outcome outcome;
	const char *cause;
	long long started_ns;
	double wall_s;
	long long victim_startup_ns, aggressor_startup_ns;
	const char *metrics_json, *samples_json, *counters_json, *aggressor_json, *info_json;
	const char *declared_leaves, *probed_leaves, *probe_json, *attribution_json;
};
int isb_store_trial(struct isb_store *st, const struct isb_trial_row *row, struct isb_err *err);

int isb_store_mark_interrupted(const char *db_path);
/* The SQLite library's version, for the host record. */
const char *isb_store_lib_version(void);

#endif
