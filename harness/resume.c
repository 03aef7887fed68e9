/*
 * A campaign continued (isobench run --resume DIR), and the contamination of trials that
 * ran beside another campaign. The plan is deterministic from the seed: the resumed run
 * regenerates it round by round and skips every trial the store already holds, feeding
 * its stored values into its cell so the adaptive rounds decide as the first run would
 * have; a pair with only one half stored is dropped from the store and run again whole, so
 * no trial counts twice and every pair stays adjacent.
 */
#include "config.h"
#include "harness/run.h"
#include "common/json.h"
#include "results/resume.h"
#include "results/store.h"

#include <stdlib.h>
#include <string.h>

struct resume_state {
	long long *cell_ids;
	size_t ncells;
	struct isb_stored_trial *trials; /* sorted by cell_id, rep, kind */
	size_t ntrials;
	unsigned dropped, skipped;
	long long started_ns;
};

static int trial_cmp(const void *a, const void *b)
{
	const struct isb_stored_trial *p = a, *q = b;
	if (p->cell_id != q->cell_id)
		return p->cell_id < q->cell_id ? -1 : 1;
	if (p->rep != q->rep)
		return p->rep < q->rep ? -1 : 1;
	return (int)p->contended - (int)q->contended;
}

/* Removes from rs->trials the halves of pairs that lack their other half; their ids into
 * drop. */
static size_t half_pairs(struct resume_state *rs, bool baseline_only, long long *drop)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < rs->ntrials;) {
		size_t j = i + 1;
		while (j < rs->ntrials && rs->trials[j].cell_id == rs->trials[i].cell_id &&
		       rs->trials[j].rep == rs->trials[i].rep)
			j++;
		bool whole = baseline_only ? j - i == 1 && !rs->trials[i].contended
					   : j - i == 2 && !rs->trials[i].contended &&
						 rs->trials[i + 1].contended;
		for (size_t m = i; m < j; m++) {
			if (whole) {
				rs->trials[k++] = rs->trials[m];
			} else {
				drop[n++] = rs->trials[m].id;
				free(rs->trials[m].metrics_json);
			}
		}
		i = j;
	}
	rs->ntrials = k;
	return n;
}

int resume_open(struct ctx *x)
{
	struct isb_err err = {0};
	struct resume_state *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -1;
	x->resume = rs;
	rs->started_ns = (long long)isb_wall_ns();
	if (isb_store_resume_read(x->dbpath, &rs->cell_ids, &rs->ncells, &rs->trials, &rs->ntrials,
				  &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	qsort(rs->trials, rs->ntrials, sizeof(*rs->trials), trial_cmp);
	cleanup_free long long *drop = calloc(rs->ntrials + 1, sizeof(*drop));
	if (!drop)
		return -1;
	size_t n = half_pairs(rs, x->s->baseline_only, drop);
	rs->dropped = (unsigned)n;
	if (isb_store_resume_begin(x->dbpath, drop, n, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	isb_log("harness",
		"resume: %zu trials stored in %zu cells; %zu trial%s of unfinished pairs dropped "
		"(those pairs run again whole)",
		rs->ntrials, rs->ncells, n, n == 1 ? "" : "s");
	return 0;
}

void resume_free(struct ctx *x)
{
	if (!x->resume)
		return;
	isb_stored_trials_free(x->resume->trials, x->resume->ntrials);
	free(x->resume->cell_ids);
	free(x->resume);
	x->resume = NULL;
}

size_t resume_ncells(const struct ctx *x)
{
	return x->resume ? x->resume->ncells : 0;
}

int resume_cell_id(struct ctx *x, size_t index, bool skipped, const char *reason, long long *id,
		   struct isb_err *err)
{
	struct resume_state *rs = x->resume;
	if (index >= rs->ncells)
		return isb_errf(err, 0,
				"%s: the suite plans more cells than the store's %zu: not the "
				"campaign's plan",
				x->dbpath, rs->ncells),
		       -EINVAL;
	*id = rs->cell_ids[index];
	/* a cell may be skipped now for a reason of this run (a backend gone since) */
	return isb_store_cell_status(x->dbpath, *id, skipped, reason, err);
}

bool resume_done(struct ctx *x, const struct rtrial *tr)
{
	struct resume_state *rs = x->resume;
	if (!rs)
		return false;
	struct isb_stored_trial key = {
	    .cell_id = x->cells[tr->cell].id,
	    .rep = tr->rep,
	    .contended = tr->contended && !x->s->baseline_only,
	};
	struct isb_stored_trial *t =
	    bsearch(&key, rs->trials, rs->ntrials, sizeof(*rs->trials), trial_cmp);
	if (!t)
		return false;
	enum isb_outcome o = ISB_OUTCOME_ERROR;
	isb_outcome_parse(t->status, &o);
	cleanup_json json_object *m = t->metrics_json ? json_tokener_parse(t->metrics_json) : NULL;
	cell_record(x, tr, o == ISB_OUTCOME_OK ? m : NULL, o);
	rs->skipped++;
	return true;
}

void resume_record(struct ctx *x, unsigned done)
{
	struct isb_err err = {0};
	if (!x->resume)
		return;
	unsigned skipped = x->resume->skipped, ran = done - skipped;
	cleanup_free char *old = isb_store_meta_get(x->dbpath, ISB_META_RESUMED);
	json_object *arr = old ? json_tokener_parse(old) : NULL;
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		arr = json_object_new_array();
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "run", json_object_new_string(x->campaign_id));
	json_object_object_add(o, "started_ns", json_object_new_int64(x->resume->started_ns));
	json_object_object_add(o, "trials_kept", json_object_new_int((int)skipped));
	json_object_object_add(o, "trials_dropped", json_object_new_int((int)x->resume->dropped));
	json_object_object_add(o, "trials_run", json_object_new_int((int)ran));
	json_object_array_add(arr, o);
	if (isb_store_meta_set(x->dbpath, ISB_META_RESUMED,
			       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN),
			       &err) < 0)
		isb_log("harness", "%s", err.msg);
	json_object_put(arr);
	isb_log("harness", "resume: %u trials already stored, %u run now, %u dropped and rerun",
		skipped, ran, x->resume->dropped);
}

void campaign_contamination(struct ctx *x)
{
	char who[64];
	if (x->contaminated[0])
		return;
	if (x->lock.concurrent[0])
		snprintf(x->contaminated, sizeof(x->contaminated),
			 "ran with --allow-concurrent beside %s", x->lock.concurrent);
	else if (isb_campaign_other_live(x->lock.id, who, sizeof(who)))
		snprintf(x->contaminated, sizeof(x->contaminated),
			 "campaign %s ran beside it (--allow-concurrent)", who);
}
