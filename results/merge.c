/*
 * Merged stores: the stores of many campaigns (whole campaigns on many nodes, or the shards
 * of one suite) put into one results.db that the report reads like any campaign's, plus two
 * tables that say where every trial came from (source, trial_source). SQLite does the
 * copying (ATTACH and INSERT … SELECT), so a merge of 100 000 trials is a few statements.
 */
#include "config.h"
#include "results/merge.h"
#include "results/store.h"

#include <errno.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char merge_schema_sql[] =
    "CREATE TABLE source(id INTEGER PRIMARY KEY, node TEXT NOT NULL, campaign_id TEXT,"
    " dir TEXT, hostname TEXT, kernel TEXT, cpu_model TEXT, topology TEXT, host_json TEXT,"
    " suite_hash TEXT, status TEXT, shard TEXT, started_ns INTEGER, finished_ns INTEGER,"
    " ntrials INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE trial_source(trial_id INTEGER PRIMARY KEY REFERENCES trial(id),"
    " source_id INTEGER NOT NULL REFERENCES source(id), rep INTEGER, seq INTEGER);";

/* What the checks compare of one input store. */
struct input_info {
	char *campaign_id, *suite_text, *configs, *thresholds, *grade_by, *hostname, *status;
	long long seed, started_ns, finished_ns;
	bool finished, merged;
};

static void info_free(struct input_info *i)
{
	free(i->campaign_id);
	free(i->suite_text);
	free(i->configs);
	free(i->thresholds);
	free(i->grade_by);
	free(i->hostname);
	free(i->status);
	memset(i, 0, sizeof(*i));
}

static char *dup_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return strdup(t ? (const char *)t : "");
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* One row of a query on db into the info (path names the store in errors). */
static int read_info(sqlite3 *db, const char *path, struct input_info *in, struct isb_err *err)
{
	static const char sql[] =
	    "SELECT id, COALESCE(suite_text,''), COALESCE(json_extract(settings_json,"
	    " '$.thresholds'),''), COALESCE(json_extract(settings_json, '$.grade_by'),'upper'),"
	    " COALESCE(json_extract(host_json, '$.hostname'),''), status, seed, started_ns,"
	    " finished_ns,"
	    " (SELECT COALESCE(group_concat(c, char(10)),'') FROM (SELECT name || ' ' || backend"
	    "  || ' ' || COALESCE(options_json,'') AS c FROM config ORDER BY name)),"
	    " (SELECT count(*) FROM sqlite_master WHERE type='table' AND name='source')"
	    " FROM campaign LIMIT 1";
	sqlite3_stmt *s;
	memset(in, 0, sizeof(*in));
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, EINVAL, "%s: not an isobench results store (%s)", path,
				sqlite3_errmsg(db));
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(s);
		return isb_errf(err, EINVAL, "%s: no campaign in this results store", path);
	}
	in->campaign_id = dup_text(s, 0);
	in->suite_text = dup_text(s, 1);
	in->thresholds = dup_text(s, 2);
	in->grade_by = dup_text(s, 3);
	in->hostname = dup_text(s, 4);
	in->status = dup_text(s, 5);
	in->seed = sqlite3_column_int64(s, 6);
	in->started_ns = sqlite3_column_int64(s, 7);
	in->finished = sqlite3_column_type(s, 8) != SQLITE_NULL;
	in->finished_ns = sqlite3_column_int64(s, 8);
	in->configs = dup_text(s, 9);
	in->merged = sqlite3_column_int(s, 10) > 0;
	sqlite3_finalize(s);
	if (!in->campaign_id || !in->suite_text || !in->thresholds || !in->grade_by ||
	    !in->hostname || !in->status || !in->configs) {
		info_free(in);
		return isb_errf(err, ENOMEM, "%s", path);
	}
	return 0;
}

/* A refusal: the message as written (no strerror after it), errno EINVAL. */
static int refuse(struct isb_err *err, const char *msg)
{
	isb_errf(err, 0, "%s", msg);
	if (err)
		err->errnum = EINVAL;
	return -EINVAL;
}

/* Why two stores hold different suites, or NULL where they hold the same one. */
static const char *suite_difference(const struct input_info *a, const struct input_info *b)
{
	if (strcmp(a->suite_text, b->suite_text))
		return "the suite files differ (suite hash";
	if (strcmp(a->configs, b->configs))
		return "the configurations differ (names, backends or options";
	if (strcmp(a->thresholds, b->thresholds) || strcmp(a->grade_by, b->grade_by))
		return "the grading differs (thresholds or grade_by";
	return NULL;
}

static int exec(sqlite3 *db, const char *sql, const char *what, struct isb_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	isb_errf(err, EIO, "merge, %s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -EIO;
}

/* Runs sql with its '?' bound to the texts or integers of types ('t', 'i') and steps it to
 * the end; the first column of its first row into *first where asked. */
static int run(sqlite3 *db, struct isb_err *err, long long *first, const char *sql,
	       const char *types, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, EIO, "merge, '%.80s': %s", sql, sqlite3_errmsg(db));
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't') {
			const char *t = va_arg(ap, const char *);
			t ? sqlite3_bind_text(s, i + 1, t, -1, SQLITE_TRANSIENT)
			  : sqlite3_bind_null(s, i + 1);
		} else {
			sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
		}
	}
	va_end(ap);
	int r;
	bool got = false;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (first && !got) {
			*first = sqlite3_column_int64(s, 0);
			got = true;
		}
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return isb_errf(err, EIO, "merge, '%.80s': %s", sql, sqlite3_errmsg(db));
	return 0;
}

/* The sources of one input: its own (a merged store) or one for its campaign. Fills the
 * temporary table srcmap(old, new) with the new ids (old = 0 for a single campaign). */
static int add_sources(sqlite3 *db, const struct isb_merge_input *in, struct isb_err *err)
{
	int r = exec(db, "DELETE FROM temp.srcmap", "sources", err);
	if (r < 0)
		return r;
	long long merged = 0;
	run(db, err, &merged,
	    "SELECT count(*) FROM src.sqlite_master WHERE type='table' AND name='source'", "");
	if (merged) {
		r = run(db, err, NULL,
			"INSERT INTO temp.srcmap SELECT s.id, (SELECT COALESCE(max(id),0) FROM"
			" main.source) + ROW_NUMBER() OVER (ORDER BY s.id) FROM src.source s",
			"");
		if (r < 0)
			return r;
		return run(db, err, NULL,
			   "INSERT INTO main.source SELECT m.new, COALESCE(?, s.node),"
			   " s.campaign_id, s.dir, s.hostname, s.kernel, s.cpu_model, s.topology,"
			   " s.host_json, s.suite_hash, s.status, s.shard, s.started_ns,"
			   " s.finished_ns, 0 FROM src.source s JOIN temp.srcmap m ON m.old = s.id",
			   "t", in->node);
	}
	r = run(
	    db, err, NULL,
	    "INSERT INTO main.source(node, campaign_id, dir, hostname, kernel, cpu_model,"
	    " topology, host_json, suite_hash, status, shard, started_ns, finished_ns)"
	    " SELECT COALESCE(?, NULLIF(json_extract(host_json, '$.hostname'),''), 'node'),"
	    " id, ?, json_extract(host_json, '$.hostname'), json_extract(host_json,"
	    " '$.kernel'), json_extract(host_json, '$.cpu_model'), json_extract(host_json,"
	    " '$.topology.summary'), host_json, NULL, status, COALESCE(json_extract("
	    " settings_json, '$.shard'), ''), started_ns, finished_ns FROM src.campaign LIMIT 1",
	    "tt", in->node, in->db_path);
	if (r < 0)
		return r;
	return run(db, err, NULL, "INSERT INTO temp.srcmap VALUES(0, last_insert_rowid())", "");
}

/* The cells of the attached input: new ones added (a skipped cell replaced by the same cell
 * planned elsewhere), and temp.cellmap(old, new). */
static int add_cells(sqlite3 *db, struct isb_err *err)
{
	static const char *const sql[] = {
	    "DELETE FROM temp.cellmap",
	    "INSERT INTO main.cell(config, backend, resource, scenario, placement,"
	    " resolved_placement, victim, aggressor, intensity, victim_opts, aggressor_opts,"
	    " victim_cpus, aggressor_cpus, grade_metrics, status, reason)"
	    " SELECT config, backend, resource, scenario, placement, resolved_placement, victim,"
	    " aggressor, intensity, victim_opts, aggressor_opts, victim_cpus, aggressor_cpus,"
	    " grade_metrics, status, reason FROM src.cell s WHERE NOT EXISTS (SELECT 1 FROM"
	    " main.cell c WHERE c.config = s.config AND c.resource = s.resource AND"
	    " c.scenario = s.scenario AND c.placement = s.placement) ORDER BY s.id",
	    "UPDATE main.cell SET (resolved_placement, victim_cpus, aggressor_cpus, status,"
	    " reason) = (SELECT s.resolved_placement, s.victim_cpus, s.aggressor_cpus, s.status,"
	    " s.reason FROM src.cell s WHERE s.config = cell.config AND s.resource ="
	    " cell.resource AND s.scenario = cell.scenario AND s.placement = cell.placement)"
	    " WHERE status = 'skipped' AND EXISTS (SELECT 1 FROM src.cell s WHERE s.config ="
	    " cell.config AND s.resource = cell.resource AND s.scenario = cell.scenario AND"
	    " s.placement = cell.placement AND s.status = 'planned')",
	    "INSERT INTO temp.cellmap SELECT s.id, c.id FROM src.cell s JOIN main.cell c ON"
	    " c.config = s.config AND c.resource = s.resource AND c.scenario = s.scenario AND"
	    " c.placement = s.placement",
	};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sql); i++)
		if (exec(db, sql[i], "cells", err) < 0)
			return -EIO;
	return 0;
}

/* The trials of the attached input, their repetitions and order moved past the ones
 * already merged (so pairs of different nodes never meet), each with its source. */
static int add_trials(sqlite3 *db, bool merged, struct isb_err *err)
{
	static const char *const sql[] = {
	    "DELETE FROM temp.off",
	    "INSERT INTO temp.off SELECT COALESCE(max(id),0), COALESCE(max(rep)+1,0),"
	    " COALESCE(max(seq)+1,0) FROM main.trial",
	    /* in the source's order, so the new ids follow on from the largest (SQLite's rowid
	     * rule) and trial_source can number them without carrying the rows' JSON through
	     * a sort */
	    "INSERT INTO main.trial(cell_id, kind, rep, seq, status, cause, started_ns,"
	    " wall_s, victim_startup_ns, aggressor_startup_ns, metrics_json, samples_json,"
	    " counters_json, aggressor_json, info_json, declared_leaves, probed_leaves,"
	    " probe_json, attribution_json)"
	    " SELECT m.new, t.kind, t.rep + (SELECT rep FROM temp.off), t.seq + (SELECT seq FROM"
	    " temp.off), t.status, t.cause, t.started_ns, t.wall_s, t.victim_startup_ns,"
	    " t.aggressor_startup_ns, t.metrics_json, t.samples_json, t.counters_json,"
	    " t.aggressor_json, t.info_json, t.declared_leaves, t.probed_leaves, t.probe_json,"
	    " t.attribution_json FROM src.trial t JOIN temp.cellmap m ON m.old = t.cell_id"
	    " ORDER BY t.id",
	};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sql); i++)
		if (exec(db, sql[i], "trials", err) < 0)
			return -EIO;
	if (merged)
		return exec(
		    db,
		    "INSERT INTO main.trial_source SELECT o.id + ROW_NUMBER() OVER (ORDER"
		    " BY t.id), sm.new, ts.rep, ts.seq FROM src.trial t JOIN temp.cellmap m"
		    " ON m.old = t.cell_id JOIN src.trial_source ts ON ts.trial_id = t.id"
		    " JOIN temp.srcmap sm ON sm.old = ts.source_id, temp.off o ORDER BY t.id",
		    "trial sources", err);
	return exec(db,
		    "INSERT INTO main.trial_source SELECT o.id + ROW_NUMBER() OVER (ORDER BY"
		    " t.id), (SELECT new FROM temp.srcmap WHERE old = 0), t.rep, t.seq FROM"
		    " src.trial t JOIN temp.cellmap m ON m.old = t.cell_id, temp.off o ORDER BY"
		    " t.id",
		    "trial sources", err);
}

static int merge_one(sqlite3 *db, const struct isb_merge_input *in, bool merged,
		     struct isb_err *err)
{
	int r = run(db, err, NULL, "ATTACH DATABASE ? AS src", "t", in->db_path);
	if (r < 0)
		return r;
	r = exec(db, "BEGIN", "begin", err);
	if (r >= 0)
		r = exec(db,
			 "INSERT OR IGNORE INTO main.config SELECT * FROM src.config;"
			 "UPDATE main.config SET available = 1, unavailable_reason = NULL WHERE"
			 " available = 0 AND name IN (SELECT name FROM src.config WHERE"
			 " available = 1);"
			 "INSERT OR IGNORE INTO main.metric SELECT * FROM src.metric",
			 "configurations", err);
	if (r >= 0)
		r = add_sources(db, in, err);
	if (r >= 0)
		r = add_cells(db, err);
	if (r >= 0)
		r = add_trials(db, merged, err);
	long long in_step = 0;
	if (r >= 0 &&
	    (r = run(db, err, &in_step,
		     "SELECT (SELECT max(id) FROM main.trial) IS (SELECT max(trial_id) FROM"
		     " main.trial_source)",
		     "")) >= 0 &&
	    !in_step)
		r = isb_errf(err, EIO,
			     "merge %s: the trials' new ids and their sources are out of step",
			     in->db_path);
	if (r >= 0)
		r = exec(db, "COMMIT", "commit", err);
	else
		exec(db, "ROLLBACK", "rollback", NULL);
	struct isb_err e2;
	exec(db, "DETACH DATABASE src", "detach", r < 0 ? &e2 : err);
	return r;
}

static int check_inputs(const struct isb_merge_input *in, size_t n, bool force,
			struct input_info *info, struct isb_err *err)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3 *db = NULL;
		if (access(in[i].db_path, R_OK) != 0)
			return isb_errf(err, errno, "%s", in[i].db_path);
		if (sqlite3_open_v2(in[i].db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			isb_errf(err, EIO, "open %s: %s", in[i].db_path, sqlite3_errmsg(db));
			sqlite3_close(db);
			return -EIO;
		}
		int r = read_info(db, in[i].db_path, &info[i], err);
		sqlite3_close(db);
		if (r < 0)
			return r;
		const char *why = i ? suite_difference(&info[0], &info[i]) : NULL;
		char msg[sizeof(err->msg)];
		if (why && !force) {
			snprintf(msg, sizeof(msg),
				 "%s and %s hold different suites: %s %016llx against %016llx); "
				 "--force merges them anyway",
				 in[0].db_path, in[i].db_path, why,
				 (unsigned long long)fnv1a(info[0].suite_text),
				 (unsigned long long)fnv1a(info[i].suite_text));
			return refuse(err, msg);
		}
		for (size_t j = 0; j < i && !force; j++)
			if (!strcmp(info[j].campaign_id, info[i].campaign_id) && !info[i].merged &&
			    !info[j].merged) {
				snprintf(
				    msg, sizeof(msg),
				    "%s and %s are the same campaign (%s): its trials would count "
				    "twice; --force merges them anyway",
				    in[j].db_path, in[i].db_path, info[i].campaign_id);
				return refuse(err, msg);
			}
	}
	return 0;
}

/* The merged store's campaign row: the first input's suite and settings, the span of all
 * and 'complete' only where every input is. */
static int write_campaign(sqlite3 *db, const struct input_info *info, size_t n, const char *argv,
			  struct isb_err *err)
{
	long long started = info[0].started_ns, finished = 0;
	bool complete = true;
	for (size_t i = 0; i < n; i++) {
		if (info[i].started_ns < started)
			started = info[i].started_ns;
		if (info[i].finished_ns > finished)
			finished = info[i].finished_ns;
		complete = complete && !strcmp(info[i].status, "complete");
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char id[64];
	snprintf(id, sizeof(id), "merge-%04d%02d%02d-%02d%02d%02d-%x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)getpid());
	return run(db, err, NULL,
		   "INSERT INTO main.campaign SELECT ?, ?, ?, ?, seed, suite_path, suite_text, ?,"
		   " json_set(COALESCE(host_json,'{}'), '$.merged', json('true')), settings_json"
		   " FROM src.campaign LIMIT 1",
		   "tiitt", id, started, finished, complete ? "complete" : "interrupted", argv);
}

int isb_merge_stores(const char *out_db, const struct isb_merge_input *in, size_t n,
		     const char *argv, bool force, struct isb_merge_stats *stats,
		     struct isb_err *err)
{
	memset(stats, 0, sizeof(*stats));
	if (!n)
		return isb_errf(err, EINVAL, "merge: no store to merge");
	if (access(out_db, F_OK) == 0)
		return isb_errf(err, EEXIST, "%s", out_db);
	struct input_info *info = calloc(n, sizeof(*info));
	if (!info)
		return isb_errf(err, ENOMEM, "merge");
	sqlite3 *db = NULL;
	struct isb_store *st = NULL;
	int r = check_inputs(in, n, force, info, err);
	if (r < 0)
		goto out_free_info;
	/* the schema and meta of a campaign's store, then the merged store's own tables */
	if ((r = isb_store_create(&st, out_db, err)) < 0)
		goto out_free_info;
	isb_store_close(st);
	if (sqlite3_open_v2(out_db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		r = isb_errf(err, EIO, "open %s: %s", out_db, sqlite3_errmsg(db));
		goto out_unlink;
	}
	if ((r = exec(db,
		      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
		      "CREATE TEMP TABLE srcmap(old INTEGER, new INTEGER);"
		      "CREATE TEMP TABLE cellmap(old INTEGER PRIMARY KEY, new INTEGER);"
		      "CREATE TEMP TABLE off(id INTEGER, rep INTEGER, seq INTEGER);",
		      "setup", err)) < 0 ||
	    (r = exec(db, merge_schema_sql, "schema", err)) < 0)
		goto out_close;
	for (size_t i = 0; i < n; i++) {
		if ((r = merge_one(db, &in[i], info[i].merged, err)) < 0)
			goto out_close;
		if (i == 0) {
			run(db, err, NULL, "ATTACH DATABASE ? AS src", "t", in[0].db_path);
			r = write_campaign(db, info, n, argv, err);
			exec(db, "DETACH DATABASE src", "detach", NULL);
			if (r < 0)
				goto out_close;
		}
	}
	char hash[20];
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)fnv1a(info[0].suite_text));
	long long v = 0;
	if ((r = run(db, err, NULL,
		     "UPDATE source SET suite_hash = COALESCE(suite_hash, ?), ntrials = (SELECT"
		     " count(*) FROM trial_source ts WHERE ts.source_id = source.id)",
		     "t", hash)) < 0)
		goto out_close;
	/* the readers' orders (trials by seq, a configuration's trials by cell) without a sort of
	 * every trial's JSON through temporary files */
	if ((r = exec(db,
		      "CREATE INDEX trial_seq ON trial(seq); CREATE INDEX trial_cell ON "
		      "trial(cell_id)",
		      "indexes", err)) < 0)
		goto out_close;
	run(db, err, &v, "SELECT count(*) FROM source", "");
	stats->sources = (size_t)v;
	run(db, err, &v, "SELECT count(DISTINCT node) FROM source", "");
	stats->nodes = (size_t)v;
	run(db, err, &v, "SELECT count(*) FROM cell", "");
	stats->cells = (size_t)v;
	run(db, err, &v, "SELECT count(*) FROM trial", "");
	stats->trials = (size_t)v;
	r = 0;
out_close:
	sqlite3_close(db);
out_unlink:
	if (r < 0)
		unlink(out_db);
out_free_info:
	for (size_t i = 0; i < n; i++)
		info_free(&info[i]);
	free(info);
	return r;
}

long isb_source_of(const struct isb_sources *s, long long trial_id)
{
	size_t lo = 0, hi = s->ntrials;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->trial_id[mid] < trial_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ntrials && s->trial_id[lo] == trial_id ? (long)s->src[lo] : -1;
}

void isb_sources_free(struct isb_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct isb_source_row *r = &s->row[i];
		free(r->node);
		free(r->campaign_id);
		free(r->dir);
		free(r->hostname);
		free(r->kernel);
		free(r->cpu_model);
		free(r->topology);
		free(r->status);
		free(r->shard);
	}
	free(s->row);
	free(s->trial_id);
	free(s->src);
	memset(s, 0, sizeof(*s));
}

static int read_source_rows(sqlite3 *db, struct isb_sources *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(
		db,
		"SELECT id, node, COALESCE(campaign_id,''), COALESCE(dir,''),"
		" COALESCE(hostname,''), COALESCE(kernel,''), COALESCE(cpu_model,''),"
		" COALESCE(topology,''), COALESCE(status,''), COALESCE(shard,''),"
		" COALESCE(suite_hash,''), ntrials FROM source ORDER BY id",
		-1, &s, NULL) != SQLITE_OK)
		return -EIO;
	size_t cap = 0;
	int r = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			void *nr = realloc(out->row, cap * sizeof(*out->row));
			if (!nr) {
				r = -ENOMEM;
				break;
			}
			out->row = nr;
		}
		struct isb_source_row *x = &out->row[out->n++];
		memset(x, 0, sizeof(*x));
		x->id = sqlite3_column_int64(s, 0);
		x->node = dup_text(s, 1);
		x->campaign_id = dup_text(s, 2);
		x->dir = dup_text(s, 3);
		x->hostname = dup_text(s, 4);
		x->kernel = dup_text(s, 5);
		x->cpu_model = dup_text(s, 6);
		x->topology = dup_text(s, 7);
		x->status = dup_text(s, 8);
		x->shard = dup_text(s, 9);
		const unsigned char *h = sqlite3_column_text(s, 10);
		snprintf(x->suite_hash, sizeof(x->suite_hash), "%s", h ? (const char *)h : "");
		x->ntrials = sqlite3_column_int64(s, 11);
		if (!x->node || !x->campaign_id || !x->dir || !x->hostname || !x->kernel ||
		    !x->cpu_model || !x->topology || !x->status || !x->shard) {
			r = -ENOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	return r;
}

static int read_trial_sources(sqlite3 *db, struct isb_sources *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT trial_id, source_id FROM trial_source ORDER BY trial_id",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	size_t cap = 0;
	int r = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (out->ntrials == cap) {
			cap = cap ? cap * 2 : 1024;
			long long *nt = realloc(out->trial_id, cap * sizeof(*nt));
			if (nt)
				out->trial_id = nt;
			size_t *ns = realloc(out->src, cap * sizeof(*ns));
			if (ns)
				out->src = ns;
			if (!nt || !ns) {
				r = -ENOMEM;
				break;
			}
		}
		long long sid = sqlite3_column_int64(s, 1);
		size_t k = 0;
		while (k < out->n && out->row[k].id != sid)
			k++;
		if (k == out->n)
			continue;
		out->trial_id[out->ntrials] = sqlite3_column_int64(s, 0);
		out->src[out->ntrials++] = k;
	}
	sqlite3_finalize(s);
	return r;
}

int isb_read_sources(const char *db_path, struct isb_sources *out, struct isb_err *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		isb_errf(err, EIO, "open %s: %s", db_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_stmt *s;
	int merged = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN"
			       " ('source', 'trial_source')",
			       -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			merged = sqlite3_column_int(s, 0) == 2;
		sqlite3_finalize(s);
	}
	int r = 0;
	if (merged) {
		r = read_source_rows(db, out);
		if (r >= 0)
			r = read_trial_sources(db, out);
		if (r < 0) {
			isb_errf(err, -r, "%s: sources", db_path);
			isb_sources_free(out);
		}
	}
	sqlite3_close(db);
	return r < 0 ? r : merged;
}
