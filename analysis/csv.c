/*
 * The CSV outputs: cells.csv (one row per cell and victim metric) and
 * trials.csv (long format, one row per trial and metric). Their columns are
 * documented in results/SCHEMA.md.
 */
#include "config.h"
#include "analysis/cells.h"

#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void csv_field(FILE *f, const char *s, bool last)
{
	bool q = strpbrk(s, ",\"\n") != NULL;
	if (q) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v, bool last)
{
	char b[40] = "";
	if (isfinite(v))
		snprintf(b, sizeof(b), "%.6g", v);
	csv_field(f, b, last);
}

static void csv_int(FILE *f, long long v, bool last)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", v);
	csv_field(f, b, last);
}

/* One row of cells.csv: metric m of the cell, or NULL for a cell without metrics. */
static void cells_row(FILE *f, const struct isb_cell *c, const struct isb_metric_verdict *m)
{
	const struct isb_cell_verdict *v = &c->v;
	char cg[8] = "", g[8] = "", r[8] = "";
	if (v->grade >= 0)
		snprintf(cg, sizeof(cg), "%d", v->grade);
	if (m && m->grade >= 0)
		snprintf(g, sizeof(g), "%d", m->grade);
	if (m && m->rank)
		snprintf(r, sizeof(r), "%d", m->rank);
	csv_field(f, c->row.config, false);
	csv_field(f, c->row.backend, false);
	csv_field(f, c->row.resource, false);
	csv_field(f, c->row.scenario, false);
	csv_field(f, c->row.placement, false);
	csv_field(f, m ? m->def.name : "", false);
	csv_num(f, m ? m->d : NAN, false);
	csv_num(f, m ? m->lo : NAN, false);
	csv_num(f, m ? m->hi : NAN, false);
	csv_field(f, g, false);
	csv_field(f, r, false);
	csv_field(f, cg, false);
	csv_field(f, m && m->def.graded ? "1" : "0", false);
	csv_field(f, m ? m->def.unit : "", false);
	csv_num(f, m ? m->base_med : NAN, false);
	csv_num(f, m ? m->cont_med : NAN, false);
	csv_int(f, m ? (long long)m->nb : 0, false);
	csv_int(f, m ? (long long)m->nc : 0, false);
	csv_field(f, c->row.resolved, false);
	csv_field(f, c->row.status, false);
	csv_field(f, v->grade_note, false);
	csv_field(f, v->verdict, false);
	csv_field(f, m && m->ok ? (m->decided ? "1" : "0") : "", false);
	csv_int(f, m ? (long long)m->npairs : 0, false);
	csv_field(f, v->limit_note, false);
	csv_num(f, v->parity, true);
}

int isb_write_cells_csv(const char *path, const struct isb_analysis *a)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(
	    "config,backend,resource,scenario,placement,metric,d,d_lo,d_hi,grade,rank,cell_grade,graded,"
	    "unit,baseline_median,contended_median,n_baseline,n_contended,resolved_placement,status,note,"
	    "verdict,decided,n_pairs,limit_note,aggressor_parity\n",
	    f);
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		if (!c->v.nmetrics)
			cells_row(f, c, NULL);
		for (size_t k = 0; k < c->v.nmetrics; k++)
			cells_row(f, c, &c->v.m[k]);
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static const struct isb_cell *cell_by_id(const struct isb_analysis *a, long long id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->cells[i].row.id == id)
			return &a->cells[i];
	return NULL;
}

/* A trial's columns before the metric, as CSV text in pre (size bytes); false where it cannot
 * be formed. */
static bool trial_prefix(char *pre, size_t size, const struct isb_trial_row *t,
			 const struct isb_cell *c)
{
	char su[32] = "";
	pre[0] = 0;
	if (t->has_startup)
		snprintf(su, sizeof(su), "%.3f", (double)t->victim_startup_ns / 1e6);
	FILE *m = fmemopen(pre, size, "w");
	if (!m)
		return false;
	csv_int(m, t->id, false);
	csv_int(m, t->seq, false);
	csv_field(m, c->row.config, false);
	csv_field(m, c->row.backend, false);
	csv_field(m, c->row.resource, false);
	csv_field(m, c->row.scenario, false);
	csv_field(m, c->row.placement, false);
	csv_field(m, t->kind, false);
	csv_int(m, t->rep, false);
	csv_field(m, t->status, false);
	csv_field(m, t->cause, false);
	csv_num(m, t->wall_s, false);
	csv_field(m, su, false);
	int o = (int)ftell(m);
	fclose(m);
	pre[o < (int)size ? o : (int)size - 1] = 0;
	return true;
}

int isb_write_trials_csv(const char *path, const struct isb_analysis *a)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs("trial,seq,config,backend,resource,scenario,placement,kind,rep,status,cause,wall_s,"
	      "victim_startup_ms,metric,value\n",
	      f);
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		const struct isb_cell *c = cell_by_id(a, t->cell_id);
		char pre[1024];
		if (!c || !trial_prefix(pre, sizeof(pre), t, c))
			continue;
		cleanup_json json_object *j =
		    json_tokener_parse(t->metrics_json ? t->metrics_json : "{}");
		bool any = false;
		if (j && json_object_is_type(j, json_type_object)) {
			json_object_object_foreach(j, key, val)
			{
				fputs(pre, f);
				csv_field(f, key, false);
				csv_num(f, json_object_get_double(val), true);
				any = true;
			}
		}
		if (!any) {
			fputs(pre, f);
			csv_field(f, "", false);
			csv_field(f, "", true);
		}
	}
	return fclose(f) == 0 ? 0 : -errno;
}
