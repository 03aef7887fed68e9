/*
 * Typed readers of a results store: the queries the analysis needs, each
 * turning its columns into a row of named fields (results/read.h).
 */
#include "config.h"
#include "results/read.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct isb_results {
	sqlite3 *db;
	char path[1024];
};

/* Column i as text, "" for NULL. */
static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

/* Column i copied ("" for NULL), or NULL where the copy fails. */
static char *dup_col(sqlite3_stmt *s, int i)
{
	return strdup(col(s, i));
}

/* Column i copied, NULL for NULL. */
static char *dup_nullable(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : strdup(col(s, i));
}

#define COPY(field, s, i) snprintf(field, sizeof(field), "%s", col(s, i))

/* Room for one more element in *rows (n used of *cap, each size bytes): 0, or -ENOMEM. */
static int grow(void *rows, size_t n, size_t *cap, size_t size)
{
	void **p = rows;
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nr = realloc(*p, ncap * size);
	if (!nr)
		return -ENOMEM;
	*p = nr;
	*cap = ncap;
	return 0;
}

int isb_results_open(struct isb_results **out, const char *path, struct isb_err *err)
{
	*out = NULL;
	if (access(path, R_OK) != 0)
		return isb_errf(err, errno, "%s", path);
	struct isb_results *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return isb_errf(err, ENOMEM, "%s", path);
	snprintf(rs->path, sizeof(rs->path), "%s", path);
	if (sqlite3_open_v2(path, &rs->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		isb_errf(err, 0, "open %s: %s", path, sqlite3_errmsg(rs->db));
		isb_results_close(rs);
		return -EIO;
	}
	*out = rs;
	return 0;
}

void isb_results_close(struct isb_results *rs)
{
	if (!rs)
		return;
	sqlite3_close(rs->db);
	free(rs);
}

int isb_read_campaign(struct isb_results *rs, struct isb_campaign_row *row, struct isb_err *err)
{
	sqlite3_stmt *s;
	memset(row, 0, sizeof(*row));
	if (sqlite3_prepare_v2(
		rs->db,
		"SELECT id, status, seed, COALESCE(suite_path,''), COALESCE(argv,''),"
		" COALESCE(host_json,'{}'), COALESCE(settings_json,'{}'),"
		" started_ns, finished_ns FROM campaign LIMIT 1",
		-1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, 0, "%s: not an isobench results store: %s", rs->path,
				sqlite3_errmsg(rs->db)),
		       -EINVAL;
	int found = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		row->id = dup_col(s, 0);
		row->status = dup_col(s, 1);
		row->seed = sqlite3_column_int64(s, 2);
		row->suite_path = dup_col(s, 3);
		row->argv = dup_col(s, 4);
		row->host_json = dup_col(s, 5);
		row->settings_json = dup_col(s, 6);
		row->started_ns = sqlite3_column_int64(s, 7);
		row->finished = sqlite3_column_type(s, 8) != SQLITE_NULL;
		row->finished_ns = sqlite3_column_int64(s, 8);
		found = 1;
	}
	sqlite3_finalize(s);
	if (found && (!row->id || !row->status || !row->suite_path || !row->argv ||
		      !row->host_json || !row->settings_json)) {
		isb_campaign_row_free(row);
		return isb_errf(err, ENOMEM, "%s: campaign", rs->path);
	}
	return found;
}

void isb_campaign_row_free(struct isb_campaign_row *row)
{
	free(row->id);
	free(row->status);
	free(row->suite_path);
	free(row->argv);
	free(row->host_json);
	free(row->settings_json);
	memset(row, 0, sizeof(*row));
}

/* The configurations with what their victims' probes saw (schema 2 on). */
static const char configs_sql[] =
    "SELECT name, backend, class, COALESCE(options_json,'{}'), COALESCE(declared_leaves,''),"
    " COALESCE(cgroup_note,''), available, unavailable_reason, (SELECT group_concat(p, ' | ') FROM (SELECT DISTINCT"
    " COALESCE(t.probed_leaves,'') || CASE WHEN json_extract(t.probe_json, '$.gvisor')"
    " THEN ' (gVisor)' ELSE '' END AS p FROM trial t JOIN cell c ON c.id = t.cell_id"
    " WHERE c.config = config.name AND t.probe_json IS NOT NULL)) FROM config ORDER BY rowid";
/* A schema 1 store: no leaves were stored. */
static const char configs_sql_v1[] =
    "SELECT name, backend, class, COALESCE(options_json,'{}'), '', '', available, NULL, NULL"
    " FROM config ORDER BY rowid";

int isb_read_configs(struct isb_results *rs, struct isb_configs *out, struct isb_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	out->leaves = true;
	if (sqlite3_prepare_v2(rs->db, configs_sql, -1, &s, NULL) != SQLITE_OK) {
		out->leaves = false;
		if (sqlite3_prepare_v2(rs->db, configs_sql_v1, -1, &s, NULL) != SQLITE_OK)
			return isb_errf(err, 0, "%s: config: %s", rs->path, sqlite3_errmsg(rs->db)),
			       -EIO;
	}
	int r = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if ((r = grow(&out->row, out->n, &cap, sizeof(*out->row))) < 0)
			break;
		struct isb_config_row *c = &out->row[out->n++];
		memset(c, 0, sizeof(*c));
		c->name = dup_col(s, 0);
		c->backend = dup_col(s, 1);
		c->klass = dup_col(s, 2);
		c->options_json = dup_col(s, 3);
		c->declared_leaves = dup_col(s, 4);
		c->cgroup_note = dup_col(s, 5);
		c->available = sqlite3_column_int(s, 6) != 0;
		c->unavailable_reason = dup_nullable(s, 7);
		c->probed = dup_nullable(s, 8);
		if (!c->name || !c->backend || !c->klass || !c->options_json ||
		    !c->declared_leaves || !c->cgroup_note) {
			r = -ENOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	if (r < 0) {
		isb_configs_free(out);
		return isb_errf(err, -r, "%s: config", rs->path);
	}
	return 0;
}

void isb_configs_free(struct isb_configs *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct isb_config_row *x = &c->row[i];
		free(x->name);
		free(x->backend);
		free(x->klass);
		free(x->options_json);
		free(x->declared_leaves);
		free(x->cgroup_note);
		free(x->probed);
		free(x->unavailable_reason);
	}
	free(c->row);
	memset(c, 0, sizeof(*c));
}

size_t isb_read_metrics(struct isb_results *rs, const char *stressor, struct isb_metric_row *out,
			size_t max)
{
	sqlite3_stmt *s;
	size_t n = 0;
	if (sqlite3_prepare_v2(
		rs->db,
		"SELECT name, COALESCE(unit,''), better, graded FROM metric WHERE stressor=? ORDER BY rowid",
		-1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, stressor, -1, SQLITE_STATIC);
	while (n < max && sqlite3_step(s) == SQLITE_ROW) {
		struct isb_metric_row *m = &out[n++];
		memset(m, 0, sizeof(*m));
		COPY(m->name, s, 0);
		COPY(m->unit, s, 1);
		m->higher = !strcmp(col(s, 2), "higher");
		m->graded = sqlite3_column_int(s, 3) != 0;
	}
	sqlite3_finalize(s);
	return n;
}

int isb_read_cells(struct isb_results *rs, struct isb_cell_row **rows, size_t *n,
		   struct isb_err *err)
{
	sqlite3_stmt *s;
	const char *sql = "SELECT id, config, backend, resource, scenario, placement,"
			  " COALESCE(resolved_placement,''), victim, aggressor, intensity,"
			  " COALESCE(victim_cpus,''), COALESCE(aggressor_cpus,''), status,"
			  " COALESCE(reason,''), COALESCE(grade_metrics,'') FROM cell ORDER BY id";
	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(rs->db, sql, -1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, 0, "results.db: %s", sqlite3_errmsg(rs->db));
	size_t cap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (grow(rows, *n, &cap, sizeof(**rows)) < 0)
			break;
		struct isb_cell_row *c = &(*rows)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(s, 0);
		COPY(c->config, s, 1);
		COPY(c->backend, s, 2);
		COPY(c->resource, s, 3);
		COPY(c->scenario, s, 4);
		COPY(c->placement, s, 5);
		COPY(c->resolved, s, 6);
		COPY(c->victim, s, 7);
		COPY(c->aggressor, s, 8);
		c->intensity = sqlite3_column_double(s, 9);
		COPY(c->vcpus, s, 10);
		COPY(c->acpus, s, 11);
		COPY(c->status, s, 12);
		COPY(c->reason, s, 13);
		COPY(c->grade_metrics, s, 14);
	}
	sqlite3_finalize(s);
	return 0;
}

static const char trials_sql[] =
    "SELECT id, cell_id, rep, seq, kind, status, COALESCE(cause,''), wall_s, victim_startup_ns,"
    " metrics_json, aggressor_json, counters_json, attribution_json FROM trial ORDER BY seq";
/* A store before schema 3: no attribution. */
static const char trials_sql_v2[] =
    "SELECT id, cell_id, rep, seq, kind, status, COALESCE(cause,''), wall_s, victim_startup_ns,"
    " metrics_json, aggressor_json, counters_json, NULL FROM trial ORDER BY seq";

static int trial_row(sqlite3_stmt *s, struct isb_trial_row *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	t->cell_id = sqlite3_column_int64(s, 1);
	t->rep = sqlite3_column_int64(s, 2);
	t->seq = sqlite3_column_int64(s, 3);
	t->kind = dup_col(s, 4);
	t->status = dup_col(s, 5);
	t->cause = dup_col(s, 6);
	t->contended = !strcmp(col(s, 4), "contended");
	t->wall_s = sqlite3_column_double(s, 7);
	t->has_startup = sqlite3_column_type(s, 8) != SQLITE_NULL;
	t->victim_startup_ns = sqlite3_column_int64(s, 8);
	t->metrics_json = dup_nullable(s, 9);
	t->aggressor_json = dup_nullable(s, 10);
	t->counters_json = dup_nullable(s, 11);
	t->attribution_json = dup_nullable(s, 12);
	return t->kind && t->status && t->cause ? 0 : -ENOMEM;
}

static void trial_row_free(struct isb_trial_row *t)
{
	free(t->kind);
	free(t->status);
	free(t->cause);
	free(t->metrics_json);
	free(t->aggressor_json);
	free(t->counters_json);
	free(t->attribution_json);
}

int isb_read_trials(struct isb_results *rs, struct isb_trials *out, struct isb_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(rs->db, trials_sql, -1, &s, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(rs->db, trials_sql_v2, -1, &s, NULL) != SQLITE_OK)
		return isb_errf(err, 0, "%s: trial: %s", rs->path, sqlite3_errmsg(rs->db)), -EIO;
	int r = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if ((r = grow(&out->row, out->n, &cap, sizeof(*out->row))) < 0)
			break;
		if ((r = trial_row(s, &out->row[out->n++])) < 0)
			break;
	}
	sqlite3_finalize(s);
	if (r < 0) {
		isb_trials_free(out);
		return isb_errf(err, -r, "%s: trial", rs->path);
	}
	return 0;
}

void isb_trials_free(struct isb_trials *t)
{
	for (size_t i = 0; i < t->n; i++)
		trial_row_free(&t->row[i]);
	free(t->row);
	memset(t, 0, sizeof(*t));
}
