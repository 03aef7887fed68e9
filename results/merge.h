/*
 * Merged stores: one results.db built from the stores of many campaigns (whole campaigns of
 * many nodes, or the shards of one suite), with each trial's provenance. The writer
 * (isb_merge_stores) and the reader of the provenance (isb_read_sources) live here so the
 * single-campaign store (store.c, read.c) stays as it is; the tables are in
 * results/SCHEMA.md ("Merged stores").
 */
#ifndef ISB_RESULTS_MERGE_H
#define ISB_RESULTS_MERGE_H

#include "common/isb.h"
#include <stdbool.h>
#include <stddef.h>

/* One store to merge: its results.db and the node name to file it under (NULL: the
 * hostname its campaign recorded). */
struct isb_merge_input {
	const char *db_path;
	const char *node;
};

struct isb_merge_stats {
	size_t sources, nodes, cells, trials;
};

/* Builds out_db (which must not exist) from the inputs. Refuses (-EINVAL, naming both
 * stores and what differs) to mix different suites (suite text, configurations, grading
 * thresholds) or to take one campaign twice, unless force. A merged input's own sources
 * are carried over. */
int isb_merge_stores(const char *out_db, const struct isb_merge_input *in, size_t n,
		     const char *argv, bool force, struct isb_merge_stats *stats,
		     struct isb_err *err);

/* Provenance of a merged store: its sources (one per merged campaign) and, per trial, the
 * source it came from. */
struct isb_source_row {
	long long id;
	char *node, *campaign_id, *dir, *hostname, *kernel, *cpu_model, *topology, *status;
	char *shard;	     /* "I/N" where the campaign was a shard, else "" */
	char suite_hash[17]; /* FNV-1a 64 of the suite text, hex */
	long long ntrials;
};
struct isb_sources {
	struct isb_source_row *row;
	size_t n;
	/* trial ids (ascending) and the index into row[] of each one's source */
	long long *trial_id;
	size_t *src;
	size_t ntrials;
};
/* 1 and the sources of the merged store at db_path (opened read-only), 0 where it is a
 * single campaign's (no source table), or -errno. */
int isb_read_sources(const char *db_path, struct isb_sources *out, struct isb_err *err);
/* The index into row[] of a trial's source, or -1. */
long isb_source_of(const struct isb_sources *s, long long trial_id);
void isb_sources_free(struct isb_sources *s);

#endif
