/*
 * Reports from a campaign directory: loads results.db (through the typed
 * readers of results/read.h), analyses every cell (cells.c, parity.c) and
 * writes cells.csv, trials.csv (csv.c) and report.md (md.c).
 */
#include "config.h"
#include "analysis/cells.h"
#include "analysis/multi.h"
#include "results/merge.h"

#include <stdio.h>
#include <string.h>

/* A short summary on stdout: results, one line per cell. */
static void print_summary(const struct isb_analysis *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		const struct isb_cell_verdict *v = &c->v;
		if (v->verdict[0])
			printf("%-12s %-8s %-16s %-8s %s\n", c->row.config, c->row.resource,
			       c->row.scenario, c->row.placement, v->verdict);
		else if (v->worst >= 0)
			printf("%-12s %-8s %-16s %-8s grade %d %-9s %s d=%.3f [%.3f, %.3f]\n",
			       c->row.config, c->row.resource, c->row.scenario, c->row.placement,
			       v->grade, isb_grade_name(v->grade), v->m[v->worst].def.name,
			       v->m[v->worst].d, v->m[v->worst].lo, v->m[v->worst].hi);
		else
			printf("%-12s %-8s %-16s %-8s %s%s\n", c->row.config, c->row.resource,
			       c->row.scenario, c->row.placement,
			       v->grade == 0 ? "grade 0 none      " : "", v->grade_note);
	}
}

static int write_outputs(const char *dir, const struct isb_analysis *a, struct isb_err *err)
{
	static const struct {
		const char *name;
		int (*write)(const char *path, const struct isb_analysis *a);
	} outputs[] = {
	    {"cells.csv", isb_write_cells_csv},
	    {"trials.csv", isb_write_trials_csv},
	    {"report.md", isb_write_report_md},
	};
	char path[1024];
	for (size_t i = 0; i < ISB_ARRAY_SIZE(outputs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, outputs[i].name);
		int r = outputs[i].write(path, a);
		if (r < 0)
			return isb_errf(err, r, "write %s", path);
	}
	return 0;
}

int isb_report_write(const char *dir, const struct isb_report_opts *o, struct isb_err *err)
{
	char path[1024];
	struct isb_results *rs;
	struct isb_analysis a;
	snprintf(path, sizeof(path), "%s/results.db", dir);
	int r = isb_results_open(&rs, path, err);
	if (r < 0)
		return r;
	r = isb_analysis_load(&a, rs, o, err);
	isb_results_close(rs);
	if (r < 0)
		goto out_free_analysis;
	isb_analysis_run(&a);
	r = write_outputs(dir, &a, err);
	if (r >= 0 && !(o && o->quiet))
		print_summary(&a);
	/* a merged store: each node's own grades and the spread between nodes */
	struct isb_sources src;
	if (r >= 0 && (r = isb_read_sources(path, &src, err)) > 0) {
		char md[1024], csv[1024];
		snprintf(md, sizeof(md), "%s/report.md", dir);
		snprintf(csv, sizeof(csv), "%s/nodes.csv", dir);
		r = isb_nodes_write(&a, &src, md, csv, o && o->quiet, err);
		isb_sources_free(&src);
	}
out_free_analysis:
	isb_analysis_free(&a);
	return r < 0 ? r : 0;
}
