/*
 * report.md's provenance rows under the campaign table: the node, the shard, the suite's
 * hash, the resumes that completed it, and whether another campaign ran beside it, with
 * every cell some of whose trials it may have contaminated.
 */
#include "config.h"
#include "analysis/cells.h"
#include "common/json.h"
#include "results/resume.h"

#include <stdlib.h>
#include <string.h>

static void row(FILE *f, const char *db, const char *key, const char *label)
{
	cleanup_free char *v = isb_store_meta_get(db, key);
	if (v && *v)
		fprintf(f, "| %s | %s |\n", label, v);
}

static void resumes(FILE *f, const char *db)
{
	cleanup_free char *v = isb_store_meta_get(db, ISB_META_RESUMED);
	cleanup_json json_object *arr = v ? json_tokener_parse(v) : NULL;
	size_t n =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (!n)
		return;
	fprintf(f, "| resumed | %zu time%s:", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *k, *d, *r;
		json_object_object_get_ex(o, "trials_kept", &k);
		json_object_object_get_ex(o, "trials_dropped", &d);
		json_object_object_get_ex(o, "trials_run", &r);
		fprintf(f, "%s %d trials kept, %d of unfinished pairs dropped, %d run",
			i ? ";" : "", json_object_get_int(k), json_object_get_int(d),
			json_object_get_int(r));
	}
	fprintf(f, " |\n");
}

void isb_md_provenance(FILE *f, const char *report_path)
{
	char db[1100];
	const char *slash = strrchr(report_path, '/');
	snprintf(db, sizeof(db), "%.*sresults.db", slash ? (int)(slash - report_path + 1) : 0,
		 report_path);
	row(f, db, ISB_META_NODE, "node");
	row(f, db, ISB_META_SHARD, "shard");
	row(f, db, ISB_META_SUITE_SHA256, "suite sha256");
	resumes(f, db);
	struct isb_contaminated_cell *c = NULL;
	size_t n = 0;
	unsigned total = 0;
	struct isb_err err = {0};
	cleanup_free char *conc = isb_store_meta_get(db, ISB_META_CONCURRENT);
	if (isb_store_contaminated(db, &c, &n, &total, &err) < 0)
		fprintf(f, "| contaminated | unknown: %s |\n", err.msg);
	else if (conc || total)
		fprintf(
		    f,
		    "| contaminated | **yes**: %u trial%s in %zu cell%s ran beside another "
		    "campaign%s%s (--allow-concurrent); their figures are not this host's alone |\n",
		    total, total == 1 ? "" : "s", n, n == 1 ? "" : "s", conc ? ", " : "",
		    conc ? conc : "");
	if (n) {
		fprintf(f, "\nContaminated cells (trials that ran beside another campaign):\n\n");
		for (size_t i = 0; i < n; i++)
			fprintf(f, "- %s / %s / %s: contaminated, %u of %u trials\n", c[i].config,
				c[i].scenario, c[i].placement, c[i].trials, c[i].of);
	}
	free(c);
}
