/*
 * One campaign per host, resume and shards: the host lock and each campaign's own lock
 * (flock under the state root), which tell a live campaign, even one still starting, from
 * a dead one; the suite's content hash; the checks and the plan a resume continues; the
 * shard's share of the cells.
 */
#ifndef ISB_HARNESS_CAMPAIGN_H
#define ISB_HARNESS_CAMPAIGN_H

#include "harness/harness.h"

/* The locks a campaign holds for its life. */
struct isb_campaign_lock {
	int self_fd; /* <state root>/.locks/<id>: this campaign is alive */
	int host_fd; /* <state root>/.lock: this campaign owns the host; -1 with --allow-concurrent
		      */
	char id[40];
	char concurrent[300]; /* "" or the campaign beside which it runs (--allow-concurrent) */
};
/* Takes the campaign's own lock, then the host's. Where another campaign holds the host:
 * -EBUSY and err names its pid and campaign id, unless allow_concurrent (then 0, and
 * l->concurrent says beside whom). 0, -EBUSY, or another -errno with err. */
int isb_campaign_lock(struct isb_campaign_lock *l, const char *id, bool allow_concurrent,
		      struct isb_err *err);
void isb_campaign_unlock(struct isb_campaign_lock *l);
/* 1: campaign id is alive (its lock is held), 0: it is dead, -1: it has no lock file. */
int isb_campaign_alive(const char *id);
/* Removes the lock file of a dead campaign, and lock files without a state directory older
 * than a minute; the number removed. */
int isb_campaign_sweep_locks(bool verbose);
/* Another live campaign under the same state root than self_id: 1 and its id in who. */
int isb_campaign_other_live(const char *self_id, char *who, size_t size);
/* flock on a campaign directory: a resume refuses one in use. fd, or -EBUSY/-errno. */
int isb_campaign_dir_lock(const char *dir, struct isb_err *err);

/* SHA-256 of text, 64 hex digits and a NUL into hex. */
void isb_sha256_hex(const char *text, size_t len, char hex[65]);

/* "I/N" with 1 <= I <= N: 0, or -EINVAL with err saying why. */
int isb_shard_parse(const char *arg, unsigned *i, unsigned *n, struct isb_err *err);

/* A resume: loads DIR's campaign, its suite (suite_arg or the path it recorded) and the
 * options it ran with, after checking the suite's hash, isobench's version and the host
 * (hostname, kernel). Fills *s (isb_suite_free it), ov (the stored overrides, seed set) and
 * ro's shard. Returns 0, ISB_EXIT_USAGE with err naming the difference, or ISB_EXIT_ERROR. */
int isb_resume_load(const char *dir, const char *suite_arg, struct isb_suite *s,
		    struct isb_run_opts *ro, struct isb_err *err);
/* The overrides and shard as the JSON a campaign records (meta run_options); malloc'd. */
char *isb_run_options_json(const struct isb_overrides *ov, const struct isb_run_opts *ro);

#endif
