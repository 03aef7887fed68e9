/*
 * The technologies the report names (analysis/technologies.ini, compiled in; or a site's
 * own table from ISOBENCH_TECHNOLOGIES): which technology each configuration measures, and
 * report.md's first table, the taxonomy's Table 1 with the measured grades beside it.
 */
#include "config.h"
#include "analysis/cells.h"
#include "analysis/taxonomy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const char isb_technologies_ini[];

#define MAX_TECH  48
#define MAX_MATCH 4

struct tech {
	char id[32], name[64], paper[48], klass[16], leaves[128], absent[240];
	char match[MAX_MATCH][160];
	size_t nmatch;
	bool seed;
};

static struct tech techs[MAX_TECH];
static size_t ntechs;
static bool loaded;

/* Parses one table (text, named where for errors) into techs. */
static int parse_table(const char *text, const char *where, struct isb_err *err)
{
	struct tech *t = NULL;
	int lineno = 0;
	ntechs = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512];
		lineno++;
		if (len >= sizeof(buf))
			return isb_errf(err, 0, "%s:%d: line too long", where, lineno), -EINVAL;
		memcpy(buf, p, len);
		buf[len] = 0;
		p += len + (nl ? 1 : 0);
		char *l = isb_trim(buf);
		if (!*l || *l == ';' || *l == '#')
			continue;
		if (!strncmp(l, "[technology ", 12) && l[strlen(l) - 1] == ']') {
			if (ntechs == MAX_TECH)
				return isb_errf(err, 0, "%s:%d: more than %d technologies", where,
						lineno, MAX_TECH),
				       -EINVAL;
			t = &techs[ntechs++];
			memset(t, 0, sizeof(*t));
			l[strlen(l) - 1] = 0;
			snprintf(t->id, sizeof(t->id), "%s", isb_trim(l + 12));
			continue;
		}
		char *eq = strchr(l, '=');
		if (!t || !eq)
			return isb_errf(err, 0, "%s:%d: '%s' is not [technology ID] or KEY = VALUE",
					where, lineno, l),
			       -EINVAL;
		*eq = 0;
		char *k = isb_trim(l), *v = isb_trim(eq + 1);
		if (!strcmp(k, "name"))
			snprintf(t->name, sizeof(t->name), "%s", v);
		else if (!strcmp(k, "paper"))
			snprintf(t->paper, sizeof(t->paper), "%s", v);
		else if (!strcmp(k, "class"))
			snprintf(t->klass, sizeof(t->klass), "%s", v);
		else if (!strcmp(k, "leaves"))
			snprintf(t->leaves, sizeof(t->leaves), "%s", v);
		else if (!strcmp(k, "absent"))
			snprintf(t->absent, sizeof(t->absent), "%s", v);
		else if (!strcmp(k, "seed") && (!strcmp(v, "yes") || !strcmp(v, "no")))
			t->seed = !strcmp(v, "yes");
		else if (!strcmp(k, "match") && t->nmatch < MAX_MATCH)
			snprintf(t->match[t->nmatch++], sizeof(t->match[0]), "%s", v);
		else
			return isb_errf(err, 0, "%s:%d: unknown key or value '%s = %s'", where,
					lineno, k, v),
			       -EINVAL;
	}
	return 0;
}

int isb_technologies_load(struct isb_err *err)
{
	if (loaded)
		return 0;
	const char *file = getenv("ISOBENCH_TECHNOLOGIES");
	int r;
	if (file && *file) {
		size_t size = 1u << 16;
		char *text = malloc(size);
		if (!text)
			return isb_errf(err, ENOMEM, "%s", file), -ENOMEM;
		ssize_t n = isb_read_file(file, text, size);
		if (n < 0 || (size_t)n >= size - 1) {
			free(text);
			return isb_errf(err, n < 0 ? (int)-n : EFBIG,
					"ISOBENCH_TECHNOLOGIES: read %s%s", file,
					n < 0 ? "" : ": larger than 64 KiB"),
			       -EINVAL;
		}
		r = parse_table(text, file, err);
		free(text);
	} else {
		r = parse_table(isb_technologies_ini, "analysis/technologies.ini", err);
	}
	if (r == 0)
		loaded = true;
	return r;
}

bool isb_technology_known(const char *id)
{
	struct isb_err err = {0};
	if (isb_technologies_load(&err) < 0)
		return false;
	for (size_t i = 0; i < ntechs; i++)
		if (!strcmp(techs[i].id, id))
			return true;
	return false;
}

size_t isb_technology_ids(char *out, size_t size)
{
	struct isb_err err = {0};
	size_t o = 0;
	out[0] = 0;
	if (isb_technologies_load(&err) < 0)
		return 0;
	for (size_t i = 0; i < ntechs && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "", techs[i].id);
	return ntechs;
}

/* An option's value in a configuration's options JSON, "" where it is absent. */
static const char *opt_of(json_object *opts, const char *key)
{
	json_object *v;
	return opts && json_object_object_get_ex(opts, key, &v) ? json_object_get_string(v) : "";
}

/* One term of a match line: backend=NAME, KEY=V1|V2 (an empty alternative: absent),
 * KEY~TEXT. */
static bool term_holds(const char *term, const char *backend, json_object *opts)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", term);
	char *op = strpbrk(buf, "=~");
	if (!op)
		return false;
	bool contains = *op == '~';
	*op = 0;
	const char *val = !strcmp(buf, "backend") ? backend : opt_of(opts, buf);
	if (contains)
		return strstr(val, op + 1) != NULL;
	char *alts = op + 1;
	for (char *a = alts, *bar;; a = bar + 1) {
		bar = strchr(a, '|');
		size_t n = bar ? (size_t)(bar - a) : strlen(a);
		if (strlen(val) == n && !strncmp(val, a, n))
			return true;
		if (!bar)
			return false;
	}
}

static bool match_holds(const char *line, const char *backend, json_object *opts)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (!term_holds(t, backend, opts))
			return false;
	return true;
}

/* The technology a configuration measures: the one its `technology` key names, else the
 * first whose match holds; -1 for none. */
static int tech_of(const struct isb_config_row *cf)
{
	json_object *opts = json_tokener_parse(cf->options_json ? cf->options_json : "{}");
	const char *named = opt_of(opts, "technology");
	int found = -1;
	for (size_t i = 0; i < ntechs && found < 0; i++) {
		if (*named) {
			if (!strcmp(techs[i].id, named))
				found = (int)i;
			continue;
		}
		for (size_t m = 0; m < techs[i].nmatch && found < 0; m++)
			if (match_holds(techs[i].match[m], cf->backend, opts))
				found = (int)i;
	}
	json_object_put(opts);
	return found;
}

/* The configuration's worst cell of a resource (lowest grade, then highest d), as
 * "G (d)", "-" where it has none, "set apart" where its only cells were. */
static void resource_grade(const struct isb_analysis *a, const char *config, const char *res,
			   char *out, size_t size)
{
	const struct isb_cell *w = NULL;
	bool apart = false, any = false, skipped = false;
	for (size_t i = 0; i < a->n; i++) {
		const struct isb_cell *c = &a->cells[i];
		if (strcmp(c->row.config, config) || strcmp(c->row.resource, res))
			continue;
		if (!strcmp(c->row.status, "skipped")) {
			skipped = true;
			continue;
		}
		any = true;
		if (c->v.verdict[0]) {
			apart = true;
			continue;
		}
		if (c->v.worst < 0)
			continue;
		const struct isb_metric_verdict *m = &c->v.m[c->v.worst];
		if (!w || c->v.grade < w->v.grade ||
		    (c->v.grade == w->v.grade && m->d > w->v.m[w->v.worst].d))
			w = c;
	}
	if (w)
		snprintf(out, size, "%d (%.2f)", w->v.grade, w->v.m[w->v.worst].d);
	else
		snprintf(out, size, "%s",
			 apart	   ? "set apart"
			 : any	   ? "not graded"
			 : skipped ? "skipped"
				   : "-");
}

/* Why a configuration measured nothing: its unavailability, else a skipped cell's reason. */
static const char *config_why(const struct isb_analysis *a, const struct isb_config_row *cf)
{
	if (cf->unavailable_reason && *cf->unavailable_reason)
		return cf->unavailable_reason;
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->cells[i].row.config, cf->name) && a->cells[i].row.reason[0])
			return a->cells[i].row.reason;
	return NULL;
}

static double config_startup(const struct isb_analysis *a, const char *config)
{
	struct isb_vec v = {0};
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->cells[i].row.config, config) && isfinite(a->cells[i].v.startup_ms))
			isb_vpush(&v, a->cells[i].v.startup_ms);
	double m = v.n ? isb_median(v.v, v.n) : NAN;
	free(v.v);
	return m;
}

static const char *const resources[] = {"cpu", "memory", "disk", "network"};

/* One configuration's row under its technology (t: its name column, "" for the next). */
static void config_row(FILE *f, const struct isb_analysis *a, const struct isb_config_row *cf,
		       const char *t, const char *paper)
{
	char g[4][40], st[24] = "-";
	for (size_t r = 0; r < 4; r++)
		resource_grade(a, cf->name, resources[r], g[r], sizeof(g[r]));
	double ms = config_startup(a, cf->name);
	if (isfinite(ms))
		snprintf(st, sizeof(st), "%.0f ms", ms);
	const char *why = config_why(a, cf);
	bool measured = false;
	for (size_t i = 0; i < a->n && !measured; i++)
		measured = !strcmp(a->cells[i].row.config, cf->name) && a->cells[i].v.worst >= 0;
	char status[320];
	if (measured)
		snprintf(status, sizeof(status), "measured");
	else
		snprintf(status, sizeof(status), "%s%s",
			 why && strncmp(why, "unavailable", 11) ? "not measured: " : "",
			 why ? why : "not measured");
	char probed[300];
	isb_md_probed(probed, sizeof(probed), cf->probed);
	fprintf(f, "| %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", t, paper,
		cf->name, cf->klass, cf->declared_leaves[0] ? cf->declared_leaves : "none", probed,
		g[0], g[1], g[2], g[3], st, status);
}

void isb_md_technologies_section(FILE *f, const struct isb_analysis *a)
{
	struct isb_err err = {0};
	if (isb_technologies_load(&err) < 0) {
		fprintf(f, "## Technologies\n\nThe technologies table could not be read: %s\n\n",
			err.msg);
		fprintf(stderr, "isobench: report: the technologies table: %s\n", err.msg);
		return;
	}
	int *of = calloc(a->configs.n + 1, sizeof(*of));
	if (!of)
		return;
	for (size_t i = 0; i < a->configs.n; i++)
		of[i] = tech_of(&a->configs.row[i]);
	fprintf(f, "## Technologies (the taxonomy's Table 1, measured)\n\n"
		   "Each technology with its class and leaves as the taxonomy gives them, the "
		   "configurations that measured it with the leaves they declared and those the "
		   "probe saw inside, and per resource the grade of its worst cell (4 isolated "
		   "... 0 none) with d. Every technology of the seed taxonomy has a row: measured, "
		   "or why not.\n\n"
		   "| technology | taxonomy: class, leaves | config | declared (class, leaves) | "
		   "probed | cpu | memory | disk | network | start-up | status |\n"
		   "|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t t = 0; t < ntechs; t++) {
		const struct tech *x = &techs[t];
		char paper[200];
		snprintf(paper, sizeof(paper), "%s%s%s: %s", x->klass,
			 strcmp(x->paper, "-") && x->paper[0] ? ", " : "",
			 strcmp(x->paper, "-") ? x->paper : "", x->leaves[0] ? x->leaves : "none");
		bool any = false;
		for (size_t i = 0; i < a->configs.n; i++)
			if (of[i] == (int)t) {
				config_row(f, a, &a->configs.row[i], any ? "" : x->name,
					   any ? "" : paper);
				any = true;
			}
		if (any || !x->seed)
			continue;
		if (x->absent[0])
			fprintf(f,
				"| %s | %s | - | - | - | - | - | - | - | - | unavailable: %s |\n",
				x->name, paper, x->absent);
		else
			fprintf(f,
				"| %s | %s | - | - | - | - | - | - | - | - | not in this suite (a "
				"configuration with `technology = %s`) |\n",
				x->name, paper, x->id);
	}
	for (size_t i = 0; i < a->configs.n; i++)
		if (of[i] < 0)
			config_row(f, a, &a->configs.row[i], "(none of the table)", "-");
	fprintf(f, "\n");
	free(of);
}
