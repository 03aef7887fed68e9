/*
 * The results store: one SQLite file per campaign. Every trial is written
 * in its own transaction as it ends, so an interrupted campaign loses no
 * finished trial. The schema is documented in results/SCHEMA.md.
 */
#include "config.h"
#include "results/store.h"

#include <errno.h>
#include <stdarg.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct isb_store {
	sqlite3 *db;
};

static int store_run(struct isb_store *st, struct isb_err *err, const char *sql, const char *types,
		     ...);

static const char *const outcome_names[ISB_OUTCOME__COUNT] = {
    [ISB_OUTCOME_OK] = "ok",
    [ISB_OUTCOME_FAILED] = "failed",
    [ISB_OUTCOME_ERROR] = "error",
    [ISB_OUTCOME_SKIPPED] = "skipped",
    [ISB_OUTCOME_UNTRUSTWORTHY] = "untrustworthy",
};

const char *isb_outcome_name(enum isb_outcome o)
{
	return (unsigned)o < ISB_OUTCOME__COUNT ? outcome_names[o] : "?";
}

int isb_outcome_parse(const char *name, enum isb_outcome *out)
{
	for (unsigned i = 0; name && i < ISB_OUTCOME__COUNT; i++)
		if (!strcmp(name, outcome_names[i])) {
			*out = (enum isb_outcome)i;
			return 0;
		}
	return -EINVAL;
}

const char *isb_store_lib_version(void)
{
	return sqlite3_libversion();
}

static const char schema_sql[] =
    "PRAGMA journal_mode=DELETE;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS campaign(id TEXT PRIMARY KEY, started_ns INTEGER NOT NULL,"
    " finished_ns INTEGER, status TEXT NOT NULL, seed INTEGER NOT NULL, suite_path TEXT,"
    " suite_text TEXT, argv TEXT, host_json TEXT, settings_json TEXT);"
    "CREATE TABLE IF NOT EXISTS config(name TEXT PRIMARY KEY, backend TEXT NOT NULL,"
    " class TEXT NOT NULL, options_json TEXT, declared_leaves TEXT, cgroup_note TEXT,"
    " available INTEGER NOT NULL, unavailable_reason TEXT);"
    "CREATE TABLE IF NOT EXISTS metric(stressor TEXT NOT NULL, name TEXT NOT NULL,"
    " unit TEXT, better TEXT NOT NULL, graded INTEGER NOT NULL, help TEXT,"
    " PRIMARY KEY(stressor, name));"
    "CREATE TABLE IF NOT EXISTS cell(id INTEGER PRIMARY KEY, config TEXT NOT NULL,"
    " backend TEXT NOT NULL, resource TEXT NOT NULL, scenario TEXT NOT NULL,"
    " placement TEXT NOT NULL, resolved_placement TEXT, victim TEXT NOT NULL,"
    " aggressor TEXT NOT NULL, intensity REAL, victim_opts TEXT, aggressor_opts TEXT,"
    " victim_cpus TEXT, aggressor_cpus TEXT, grade_metrics TEXT, status TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS trial(id INTEGER PRIMARY KEY, cell_id INTEGER NOT NULL"
    " REFERENCES cell(id), kind TEXT NOT NULL, rep INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " status TEXT NOT NULL, cause TEXT, started_ns INTEGER, wall_s REAL,"
    " victim_startup_ns INTEGER, aggressor_startup_ns INTEGER, metrics_json TEXT,"
    " samples_json TEXT, counters_json TEXT, aggressor_json TEXT, info_json TEXT,"
    " declared_leaves TEXT, probed_leaves TEXT, probe_json TEXT, attribution_json TEXT);";

int isb_store_create(struct isb_store **out, const char *path, struct isb_err *err)
{
	struct isb_store *st = calloc(1, sizeof(*st));
	if (!st)
		return isb_errf(err, ENOMEM, "store");
	int r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (r != SQLITE_OK) {
		isb_errf(err, 0, "sqlite open %s: %s", path, sqlite3_errstr(r));
		sqlite3_close(st->db);
		free(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(st->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		isb_errf(err, 0, "sqlite schema in %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(st->db);
		free(st);
		return -EIO;
	}
	*out = st;
	char ver[16];
	snprintf(ver, sizeof(ver), "%d", ISB_SCHEMA_VERSION);
	if (store_run(st, err, "INSERT OR REPLACE INTO meta VALUES('schema_version', ?)", "t",
		      ver) < 0 ||
	    store_run(st, err, "INSERT OR REPLACE INTO meta VALUES('isobench_version', ?)", "t",
		      PACKAGE_VERSION) < 0) {
		isb_store_close(st);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

void isb_store_close(struct isb_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

/* Binds (type letters: i int64, I int64 or NULL if negative, d double, t text or NULL)
 * and steps one statement. */
static int store_run(struct isb_store *st, struct isb_err *err, const char *sql, const char *types,
		     ...)
{
	sqlite3_stmt *stmt = NULL;
	va_list ap;
	int r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (r != SQLITE_OK)
		return isb_errf(err, 0, "sqlite prepare '%.60s': %s", sql, sqlite3_errmsg(st->db)),
		       -EIO;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			sqlite3_bind_int64(stmt, i + 1, va_arg(ap, long long));
			break;
		case 'I': { /* int64, negative means unknown: NULL */
			long long v = va_arg(ap, long long);
			if (v < 0)
				sqlite3_bind_null(stmt, i + 1);
			else
				sqlite3_bind_int64(stmt, i + 1, v);
			break;
		}
		case 'd':
			sqlite3_bind_double(stmt, i + 1, va_arg(ap, double));
			break;
		case 't': {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(stmt, i + 1);
			break;
		}
		default:
			sqlite3_bind_null(stmt, i + 1);
		}
	}
	va_end(ap);
	r = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return isb_errf(err, 0, "sqlite '%.60s': %s", sql, sqlite3_errmsg(st->db)), -EIO;
	return 0;
}

int isb_store_campaign_begin(struct isb_store *st, const struct isb_campaign_row *row,
			     struct isb_err *err)
{
	return store_run(st, err, "INSERT INTO campaign VALUES(?,?,NULL,'running',?,?,?,?,?,?)",
			 "tiittttt", row->id, row->started_ns, (long long)row->seed,
			 row->suite_path, row->suite_text, row->argv, row->host_json,
			 row->settings_json);
}

int isb_store_campaign_finish(struct isb_store *st, bool interrupted, long long finished_ns,
			      struct isb_err *err)
{
	return store_run(st, err, "UPDATE campaign SET status=?, finished_ns=?", "ti",
			 interrupted ? "interrupted" : "complete", finished_ns);
}

int isb_store_config(struct isb_store *st, const struct isb_config_row *row, struct isb_err *err)
{
	return store_run(st, err, "INSERT INTO config VALUES(?,?,?,?,?,?,?,?)",
			 "tttttti"
			 "t",
			 row->name, row->backend, row->class_name, row->options_json,
			 row->declared_leaves, row->cgroup_note, (long long)row->available,
			 row->unavailable_reason);
}

int isb_store_metric(struct isb_store *st, const struct isb_metric_row *row, struct isb_err *err)
{
	return store_run(st, err, "INSERT OR REPLACE INTO metric VALUES(?,?,?,?,?,?)",
			 "tttt"
			 "it",
			 row->stressor, row->name, row->unit,
			 row->higher_better ? "higher" : "lower", (long long)row->graded,
			 row->help);
}

int isb_store_cell(struct isb_store *st, const struct isb_cell_row *row, long long *id,
		   struct isb_err *err)
{
	int r = store_run(
	    st, err,
	    "INSERT INTO cell(config, backend, resource, scenario, placement, resolved_placement,"
	    " victim, aggressor, intensity, victim_opts, aggressor_opts, victim_cpus,"
	    " aggressor_cpus, grade_metrics, status, reason) "
	    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "ttttttttdttttttt", row->config, row->backend, row->resource, row->scenario,
	    row->placement, row->resolved_placement, row->victim, row->aggressor, row->intensity,
	    row->victim_opts, row->aggressor_opts, row->victim_cpus, row->aggressor_cpus,
	    row->grade_metrics, row->skipped ? "skipped" : "planned", row->reason);
	if (r == 0)
		*id = (long long)sqlite3_last_insert_rowid(st->db);
	return r;
}

int isb_store_trial(struct isb_store *st, const struct isb_trial_row *row, struct isb_err *err)
{
	return store_run(
	    st, err,
	    "INSERT INTO trial(cell_id, kind, rep, seq, status, cause, started_ns, wall_s,"
	    " victim_startup_ns, aggressor_startup_ns, metrics_json, samples_json,"
	    " counters_json, aggressor_json, info_json, declared_leaves, probed_leaves,"
	    " probe_json, attribution_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "itiittidIIttttttttt", row->cell_id, row->contended ? "contended" : "baseline",
	    (long long)row->rep, (long long)row->seq, isb_outcome_name(row->outcome), row->cause,
	    row->started_ns, row->wall_s, row->victim_startup_ns, row->aggressor_startup_ns,
	    row->metrics_json, row->samples_json, row->counters_json, row->aggressor_json,
	    row->info_json, row->declared_leaves, row->probed_leaves, row->probe_json,
	    row->attribution_json);
}

int isb_store_mark_interrupted(const char *db_path)
{
	sqlite3 *db = NULL;
	/* Opening also rolls back a transaction a killed run left half-written. */
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	int r = sqlite3_exec(db, "UPDATE campaign SET status='interrupted' WHERE status='running'",
			     NULL, NULL, NULL);
	sqlite3_close(db);
	return r == SQLITE_OK ? 0 : -EIO;
}
