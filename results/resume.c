/*
 * A campaign's provenance and continuation in its store (results/resume.h): meta keys,
 * the trials a resume finds, the half pairs it drops, and the contaminated trials the
 * report lists. Every function opens the store itself for one short transaction.
 */
#include "config.h"
#include "results/resume.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int db_open(const char *path, bool rw, sqlite3 **db, struct isb_err *err)
{
	if (access(path, F_OK) < 0)
		return isb_errf(err, errno, "%s", path), -ENOENT;
	int r = sqlite3_open_v2(path, db, rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL);
	if (r != SQLITE_OK) {
		isb_errf(err, 0, "sqlite open %s: %s", path, sqlite3_errstr(r));
		sqlite3_close(*db);
		*db = NULL;
		return -EIO;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return strdup(t ? (const char *)t : "");
}

int isb_store_meta_set(const char *db_path, const char *key, const char *value, struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	if (db_open(db_path, true, &db, err) < 0)
		return -EIO;
	int r = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &st, NULL);
	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
	}
	if (r != SQLITE_DONE)
		isb_errf(err, 0, "sqlite %s: meta %s: %s", db_path, key, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r == SQLITE_DONE ? 0 : -EIO;
}

char *isb_store_meta_get(const char *db_path, const char *key)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	struct isb_err err = {0};
	char *v = NULL;
	if (db_open(db_path, false, &db, &err) < 0)
		return NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = col_dup(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int isb_store_resume_campaign(const char *db_path, struct isb_resume_campaign *c,
			      struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	memset(c, 0, sizeof(*c));
	int r = db_open(db_path, false, &db, err);
	if (r < 0)
		return r;
	r = sqlite3_prepare_v2(db,
			       "SELECT id, status, seed, suite_path, suite_text, host_json, argv"
			       " FROM campaign",
			       -1, &st, NULL);
	if (r != SQLITE_OK) {
		isb_errf(err, 0, "%s: not an isobench results store: %s", db_path,
			 sqlite3_errmsg(db));
		r = -EINVAL;
	} else if (sqlite3_step(st) != SQLITE_ROW) {
		isb_errf(err, 0, "%s: no campaign recorded", db_path);
		r = -EINVAL;
	} else {
		snprintf(c->id, sizeof(c->id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(c->status, sizeof(c->status), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		c->seed = (unsigned long long)sqlite3_column_int64(st, 2);
		c->suite_path = col_dup(st, 3);
		c->suite_text = col_dup(st, 4);
		c->host_json = col_dup(st, 5);
		c->argv = col_dup(st, 6);
		r = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

void isb_resume_campaign_free(struct isb_resume_campaign *c)
{
	free(c->suite_path);
	free(c->suite_text);
	free(c->host_json);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

int isb_store_resume_read(const char *db_path, long long **cell_ids, size_t *ncells,
			  struct isb_stored_trial **trials, size_t *ntrials, struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*cell_ids = NULL;
	*trials = NULL;
	*ncells = *ntrials = 0;
	if (db_open(db_path, false, &db, err) < 0)
		return -EIO;
	int r = sqlite3_prepare_v2(db, "SELECT id FROM cell ORDER BY id", -1, &st, NULL);
	while (r == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (*ncells == cap) {
			cap = cap ? cap * 2 : 64;
			long long *n = realloc(*cell_ids, cap * sizeof(*n));
			if (!n)
				goto out_nomem;
			*cell_ids = n;
		}
		(*cell_ids)[(*ncells)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	st = NULL;
	cap = 0;
	r = sqlite3_prepare_v2(
	    db, "SELECT id, cell_id, rep, kind, status, metrics_json FROM trial ORDER BY seq, id",
	    -1, &st, NULL);
	while (r == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (*ntrials == cap) {
			cap = cap ? cap * 2 : 256;
			struct isb_stored_trial *n = realloc(*trials, cap * sizeof(*n));
			if (!n)
				goto out_nomem;
			*trials = n;
		}
		struct isb_stored_trial *t = &(*trials)[(*ntrials)++];
		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(st, 0);
		t->cell_id = sqlite3_column_int64(st, 1);
		t->rep = (unsigned)sqlite3_column_int64(st, 2);
		t->contended = !strcmp((const char *)sqlite3_column_text(st, 3), "contended");
		snprintf(t->status, sizeof(t->status), "%s",
			 (const char *)sqlite3_column_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			t->metrics_json = col_dup(st, 5);
	}
	if (r != SQLITE_OK)
		isb_errf(err, 0, "sqlite %s: %s", db_path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r == SQLITE_OK ? 0 : -EIO;
out_nomem:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return isb_errf(err, ENOMEM, "%s: reading its trials", db_path), -ENOMEM;
}

void isb_stored_trials_free(struct isb_stored_trial *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].metrics_json);
	free(t);
}

int isb_store_resume_begin(const char *db_path, const long long *ids, size_t n, struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	if (db_open(db_path, true, &db, err) < 0)
		return -EIO;
	int r = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, "DELETE FROM trial WHERE id = ?", -1, &st, NULL);
	for (size_t i = 0; r == SQLITE_OK && i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		r = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (r == SQLITE_OK)
		r = sqlite3_exec(db,
				 "UPDATE campaign SET status = 'running', finished_ns = NULL;"
				 " COMMIT",
				 NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		isb_errf(err, 0, "sqlite %s: resuming: %s", db_path, sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return r == SQLITE_OK ? 0 : -EIO;
}

int isb_store_cell_status(const char *db_path, long long cell_id, bool skipped, const char *reason,
			  struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	if (db_open(db_path, true, &db, err) < 0)
		return -EIO;
	int r = sqlite3_prepare_v2(db, "UPDATE cell SET status = ?, reason = ? WHERE id = ?", -1,
				   &st, NULL);
	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, skipped ? "skipped" : "planned", -1, SQLITE_STATIC);
		if (reason)
			sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, cell_id);
		r = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	if (r != SQLITE_OK)
		isb_errf(err, 0, "sqlite %s: cell %lld: %s", db_path, cell_id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r == SQLITE_OK ? 0 : -EIO;
}

int isb_store_contaminated(const char *db_path, struct isb_contaminated_cell **out, size_t *n,
			   unsigned *total, struct isb_err *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	*total = 0;
	if (db_open(db_path, false, &db, err) < 0)
		return -EIO;
	int r = sqlite3_prepare_v2(
	    db,
	    "SELECT c.id, c.config, c.scenario, c.placement, count(*),"
	    " sum(json_extract(t.info_json, '$.contaminated') IS NOT NULL)"
	    " FROM trial t JOIN cell c ON c.id = t.cell_id GROUP BY c.id ORDER BY c.id",
	    -1, &st, NULL);
	while (r == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		unsigned k = (unsigned)sqlite3_column_int64(st, 5);
		if (!k)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct isb_contaminated_cell *m = realloc(*out, cap * sizeof(*m));
			if (!m)
				break;
			*out = m;
		}
		struct isb_contaminated_cell *c = &(*out)[(*n)++];
		c->cell_id = sqlite3_column_int64(st, 0);
		snprintf(c->config, sizeof(c->config), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(c->scenario, sizeof(c->scenario), "%s",
			 (const char *)sqlite3_column_text(st, 2));
		snprintf(c->placement, sizeof(c->placement), "%s",
			 (const char *)sqlite3_column_text(st, 3));
		c->of = (unsigned)sqlite3_column_int64(st, 4);
		c->trials = k;
		*total += k;
	}
	if (r != SQLITE_OK)
		isb_errf(err, 0, "sqlite %s: %s", db_path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r == SQLITE_OK ? 0 : -EIO;
}
