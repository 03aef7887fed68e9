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
int isb_store_exec(struct isb_store *st, const char *sql, struct isb_err *err);
/* Binds (type letters: i int64, I int64 or NULL if negative, d double, t text or NULL)
 * and steps one statement. */
int isb_store_run(struct isb_store *st, struct isb_err *err, const char *sql, const char *types,
		  ...);
long long isb_store_last_id(struct isb_store *st);
int isb_store_mark_interrupted(const char *db_path);
/* The SQLite library's version, for the host record. */
const char *isb_store_lib_version(void);

#endif
