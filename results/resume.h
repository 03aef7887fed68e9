/*
 * A campaign's provenance and continuation in its store: the meta keys a resumed, sharded
 * or concurrent campaign records (suite hash, run options, node, shard, resumes,
 * contamination), the trials a resume finds already run, and the half-done pairs it drops.
 * Each function opens the store by path for its own short transaction, so the harness can
 * read and prepare a store before (or beside) the writer of store.c.
 */
#ifndef ISB_RESULTS_RESUME_H
#define ISB_RESULTS_RESUME_H

#include "common/isb.h"

#include <stdbool.h>
#include <stddef.h>

/* meta keys written by a campaign beside schema_version and isobench_version */
#define ISB_META_SUITE_SHA256 "suite_sha256" /* SHA-256 of campaign.suite_text, hex */
#define ISB_META_RUN_OPTIONS  "run_options"  /* JSON: the overrides and the shard */
#define ISB_META_NODE	      "node"	     /* hostname the campaign ran on */
#define ISB_META_SHARD	      "shard"	     /* "I/N", only for a shard */
#define ISB_META_RESUMED      "resumed"	     /* JSON array: one object per resume */
#define ISB_META_CONCURRENT   "concurrent"   /* why its trials may be contaminated */

/* Sets (replaces) a meta key of the store at db_path. 0, or -EIO with err. */
int isb_store_meta_set(const char *db_path, const char *key, const char *value,
		       struct isb_err *err);
/* A meta value (malloc'd), or NULL where the key or the store is absent. Read-only. */
char *isb_store_meta_get(const char *db_path, const char *key);

/* What a resume needs of the campaign row. */
struct isb_resume_campaign {
	char id[64], status[24];
	unsigned long long seed;
	char *suite_path, *suite_text, *host_json, *argv; /* malloc'd, "" where NULL */
};
/* 0, or -ENOENT (no store), -EINVAL (no campaign row), -EIO with err. */
int isb_store_resume_campaign(const char *db_path, struct isb_resume_campaign *c,
			      struct isb_err *err);
void isb_resume_campaign_free(struct isb_resume_campaign *c);

/* A trial already in the store. */
struct isb_stored_trial {
	long long id, cell_id;
	unsigned rep;
	bool contended;
	char status[24];
	char *metrics_json; /* malloc'd, NULL where none */
};
/* The cells' ids in plan order and every stored trial. 0, or -EIO with err. */
int isb_store_resume_read(const char *db_path, long long **cell_ids, size_t *ncells,
			  struct isb_stored_trial **trials, size_t *ntrials, struct isb_err *err);
void isb_stored_trials_free(struct isb_stored_trial *t, size_t n);

/* In one transaction: deletes the trials ids[0..n) (halves of pairs the resume runs again)
 * and sets the campaign running again. 0, or -EIO with err. */
int isb_store_resume_begin(const char *db_path, const long long *ids, size_t n,
			   struct isb_err *err);

/* A cell's status and reason updated where the resumed run finds it otherwise. */
int isb_store_cell_status(const char *db_path, long long cell_id, bool skipped, const char *reason,
			  struct isb_err *err);

/* A cell some of whose trials info_json marks "contaminated". */
struct isb_contaminated_cell {
	long long cell_id;
	char config[64], scenario[64], placement[16];
	unsigned trials, of;
};
/* 0 and the cells with at least one contaminated trial (free() *out), or -EIO. Read-only. */
int isb_store_contaminated(const char *db_path, struct isb_contaminated_cell **out, size_t *n,
			   unsigned *total, struct isb_err *err);

#endif
