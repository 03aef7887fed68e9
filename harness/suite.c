/*
 * Suite files: INI style like fio job files, with [global], [config NAME]
 * and [scenario NAME] sections. Everything is validated here, before
 * anything runs: a bad file gets one error naming file:line and the bad key
 * or value. Command-line options then override what the file says.
 */
#include "config.h"
#include "harness/suite_keys.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const isb_placement_names[] = {"shared", "split", "smt",	 "core",
					   "llc",    "numa",  "package", NULL};

unsigned isb_suite_max_reps(const struct isb_suite *s)
{
	/* Fewer than 3 pairs are a quick look: no interval worth narrowing, so no more. */
	unsigned m = s->max_reps ? s->max_reps : s->reps < 3 ? s->reps : 2 * s->reps;
	return m < s->reps ? s->reps : m;
}

void isb_suite_defaults(struct isb_suite *s)
{
	memset(s, 0, sizeof(*s));
	s->reps = 5;
	s->duration = 2;
	s->warmup = 0.5;
	s->aggressor_warmup = 0.5;
	s->sample_interval = 0.5;
	s->grace = 5;
	s->seed = 1;
	s->thresholds[0] = 0.05;
	s->thresholds[1] = 0.15;
	s->thresholds[2] = 0.40;
	s->thresholds[3] = 0.80;
	s->bootstrap = 2000;
	s->max_reps = 0; /* 0: isb_suite_max_reps() */
	s->target_halfwidth = 0.05;
	s->memory_ceiling = 0.5;
	s->pids_ceiling = 4096;
	s->disk_device = ISB_DISK_HOST;
	s->disk_size = 2ull << 30;
	snprintf(s->disk_scheduler, sizeof(s->disk_scheduler), "keep");
}

/* Checks a finished section for what it must have. */
static int end_section(struct parser *p, struct isb_suite *s)
{
	int saved = p->line;
	p->line = p->secline;
	int r = 0;
	if (p->sec == SEC_CONFIG) {
		struct isb_suite_config *c = &s->configs[s->nconfigs - 1];
		const struct isb_backend *b = isb_backend_find(c->backend);
		if (!c->backend[0]) {
			r = PERR(p, "[config %s] needs 'backend'", c->name);
		} else if (c->nopts && !isb_backend_takes_options(b) &&
			   !(c->nopts == 1 && !strcmp(c->opts[0].key, "time_scale"))) {
			p->line = c->opt_line[0];
			r = PERR(p, "[config %s]: unknown key '%s' (backend %s takes no options)",
				 c->name, c->opts[0].key, c->backend);
		} else {
			for (size_t i = 0; i < c->nopts && !r; i++) {
				struct isb_err berr = {0};
				if (!strcmp(c->opts[i].key, "time_scale"))
					continue; /* the harness's own key, checked as it is read */
				if (isb_backend_check(b, c->opts[i].key, c->opts[i].value, &berr) <
				    0) {
					p->line = c->opt_line[i];
					r = PERR(p, "[config %s] %s", c->name, berr.msg);
				}
			}
		}
	} else if (p->sec == SEC_SCENARIO) {
		struct isb_suite_scenario *sc = &s->scenarios[s->nscenarios - 1];
		const char *missing = sc->resource == ISB_RES_NONE ? "resource"
				      : !sc->victim[0]		   ? "victim"
				      : !sc->aggressor[0]	   ? "aggressor"
								   : NULL;
		if (missing) {
			r = PERR(p, "[scenario %s] needs '%s'", sc->name, missing);
		} else {
			/* The victim names the resource measured; an aggressor may press on any
			 * (a CPU victim against a memory-bandwidth aggressor is a real case). */
			const char *names[1] = {sc->victim};
			for (int i = 0; i < 1 && !r; i++) {
				const struct isb_stressor *st = isb_stressor_find(names[i]);
				if (st->resource != ISB_RES_NONE && st->resource != sc->resource)
					r = PERR(p, "[scenario %s]: %s is a %s stressor, not %s",
						 sc->name, st->name,
						 isb_resource_name(st->resource),
						 isb_resource_name(sc->resource));
			}
		}
	}
	p->line = saved;
	return r;
}

static int parse_header(struct parser *p, struct isb_suite *s, char *line)
{
	char *close = strchr(line, ']');
	if (!close || isb_trim(close + 1)[0])
		return PERR(p, "section header is not closed: '%s'", line);
	*close = 0;
	char *name = isb_trim(line + 1);
	char *space = strpbrk(name, " \t");
	char *arg = NULL;
	if (space) {
		*space = 0;
		arg = isb_trim(space + 1);
	}
	p->secline = p->line;
	p->nseen = 0;
	if (!strcmp(name, "global")) {
		if (arg && *arg)
			return PERR(p, "[global] takes no name");
		p->sec = SEC_GLOBAL;
		snprintf(p->secname, sizeof(p->secname), "global");
		return 0;
	}
	bool cfg = !strcmp(name, "config");
	if (!cfg && strcmp(name, "scenario"))
		return PERR(
		    p,
		    "unknown section '[%s]' (expected [global], [config NAME] or [scenario NAME])",
		    name);
	if (!arg || !*arg)
		return PERR(p, "[%s] needs a name", name);
	if (strlen(arg) >= 64 ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		strlen(arg))
		return PERR(p, "[%s %s]: a name is at most 63 letters, digits, '.', '_' or '-'",
			    name, arg);
	if (cfg) {
		for (size_t i = 0; i < s->nconfigs; i++)
			if (!strcmp(s->configs[i].name, arg))
				return PERR(p, "duplicate section [config %s] (first at line %d)",
					    arg, s->configs[i].line);
		if (s->nconfigs >= ISB_MAX_CONFIGS)
			return PERR(p, "more than %d [config] sections", ISB_MAX_CONFIGS);
		struct isb_suite_config *c = &s->configs[s->nconfigs++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", arg);
		c->line = p->line;
		p->sec = SEC_CONFIG;
	} else {
		for (size_t i = 0; i < s->nscenarios; i++)
			if (!strcmp(s->scenarios[i].name, arg))
				return PERR(p, "duplicate section [scenario %s] (first at line %d)",
					    arg, s->scenarios[i].line);
		if (s->nscenarios >= ISB_MAX_SCENARIOS)
			return PERR(p, "more than %d [scenario] sections", ISB_MAX_SCENARIOS);
		struct isb_suite_scenario *sc = &s->scenarios[s->nscenarios++];
		memset(sc, 0, sizeof(*sc));
		sc->aggressor_warmup = -1;
		snprintf(sc->name, sizeof(sc->name), "%s", arg);
		sc->line = p->line;
		sc->resource = ISB_RES_NONE;
		sc->intensity = 100;
		sc->nplacements = 2;
		snprintf(sc->placements[0], 16, "shared");
		snprintf(sc->placements[1], 16, "split");
		p->sec = SEC_SCENARIO;
	}
	snprintf(p->secname, sizeof(p->secname), "%s %s", name, arg);
	return 0;
}

int isb_suite_parse(struct isb_suite *s, const char *path, const char *text, struct isb_err *err)
{
	struct parser p = {.path = path, .err = err};
	char *copy = strdup(text);
	int r = 0;
	if (!copy)
		return isb_errf(err, ENOMEM, "%s", path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	char *cur = copy;
	for (;;) {
		char *nl = strchr(cur, '\n');
		if (nl)
			*nl = 0;
		p.line++;
		char *line = isb_trim(cur);
		if (!*line || *line == ';' || *line == '#') {
			/* blank or comment */
		} else if (*line == '[') {
			if ((r = end_section(&p, s)) < 0)
				break;
			if ((r = parse_header(&p, s, line)) < 0)
				break;
		} else {
			char *eq = strchr(line, '=');
			if (!eq) {
				r = PERR(&p, "line is not KEY = VALUE: '%s'", line);
				break;
			}
			*eq = 0;
			char *k = isb_trim(line), *v = isb_trim(eq + 1);
			if (!*k) {
				r = PERR(&p, "missing key before '='");
				break;
			}
			if (p.sec == SEC_NONE) {
				r = PERR(&p, "key '%s' outside any section", k);
				break;
			}
			if (!*v) {
				r = PERR(&p, "%s: empty value", k);
				break;
			}
			for (size_t i = 0; i < p.nseen; i++) {
				if (!strcmp(p.seen[i].key, k)) {
					r = PERR(&p,
						 "duplicate key '%s' in [%s] (first at line %d)", k,
						 p.secname, p.seen[i].line);
					goto out;
				}
			}
			if (p.nseen < ISB_ARRAY_SIZE(p.seen)) {
				snprintf(p.seen[p.nseen].key, sizeof(p.seen[0].key), "%s", k);
				p.seen[p.nseen++].line = p.line;
			}
			if (p.sec == SEC_GLOBAL)
				r = suite_global_key(&p, s, k, v);
			else if (p.sec == SEC_CONFIG)
				r = suite_config_key(&p, &s->configs[s->nconfigs - 1], k, v);
			else
				r = suite_scenario_key(&p, &s->scenarios[s->nscenarios - 1], k, v);
			if (r < 0)
				break;
		}
		if (!nl)
			break;
		cur = nl + 1;
	}
	if (!r)
		r = end_section(&p, s);
	if (!r && p.disk_scheduler_line && s->disk_device != ISB_DISK_LOOP &&
	    strcmp(s->disk_scheduler, "keep")) {
		/* a host disk's scheduler is never changed: only the campaign's own device's */
		p.line = p.disk_scheduler_line;
		r = PERR(&p,
			 "disk_scheduler: '%s' needs disk_device = loop (a host disk's "
			 "scheduler is never changed)",
			 s->disk_scheduler);
	}
	if (!r && !s->nconfigs)
		r = isb_errf(err, 0, "%s: no [config NAME] section: nothing to run", path);
	if (!r && !s->nscenarios)
		r = isb_errf(err, 0, "%s: no [scenario NAME] section: nothing to run", path);
out:
	free(copy);
	return r;
}

int isb_suite_load(struct isb_suite *s, const char *path, struct isb_err *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return isb_errf(err, errno, "open suite %s", path);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 >= cap) {
			if (cap >= (4u << 20)) {
				fclose(f);
				free(buf);
				return isb_errf(err, EFBIG, "suite %s", path);
			}
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return isb_errf(err, ENOMEM, "read %s", path);
	buf[len] = 0;
	if (memchr(buf, 0, len))
		return free(buf), isb_errf(err, 0, "%s: not a text file", path);
	int r = isb_suite_parse(s, path, buf, err);
	if (r < 0) {
		free(buf);
		return r;
	}
	s->text = buf;
	return 0;
}

void isb_suite_free(struct isb_suite *s)
{
	free(s->text);
	s->text = NULL;
}

/* Comma list contains name? */
static bool in_list(const char *list, const char *name)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(isb_trim(t), name))
			return true;
	return false;
}

int isb_suite_override(struct isb_suite *s, const struct isb_overrides *o, struct isb_err *err)
{
	char buf[512];
	if (o->backends) {
		snprintf(buf, sizeof(buf), "%s", o->backends);
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			t = isb_trim(t);
			if (!isb_backend_find(t))
				return isb_errf(err, 0, "--backends: unknown backend '%s'", t);
			bool have = false;
			for (size_t i = 0; i < s->nconfigs; i++)
				have |= !strcmp(s->configs[i].backend, t);
			if (!have && s->nconfigs < ISB_MAX_CONFIGS) {
				/* A backend the suite does not configure runs with its defaults. */
				struct isb_suite_config *c = &s->configs[s->nconfigs++];
				memset(c, 0, sizeof(*c));
				snprintf(c->name, sizeof(c->name), "%s", t);
				snprintf(c->backend, sizeof(c->backend), "%s", t);
			}
		}
		size_t k = 0;
		for (size_t i = 0; i < s->nconfigs; i++)
			if (in_list(o->backends, s->configs[i].backend))
				s->configs[k++] = s->configs[i];
		s->nconfigs = k;
	}
	if (o->resources) {
		snprintf(buf, sizeof(buf), "%s", o->resources);
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			enum isb_resource r;
			t = isb_trim(t);
			if (isb_resource_parse(t, &r) < 0 || r == ISB_RES_NONE)
				return isb_errf(err, 0, "--resources: unknown resource '%s'", t);
		}
		size_t k = 0;
		for (size_t i = 0; i < s->nscenarios; i++)
			if (in_list(o->resources, isb_resource_name(s->scenarios[i].resource)))
				s->scenarios[k++] = s->scenarios[i];
		s->nscenarios = k;
		if (!k)
			return isb_errf(err, 0,
					"--resources %s: no scenario of %s has that resource",
					o->resources, s->path);
	}
	if (o->placements) {
		char items[ISB_MAX_PLACEMENTS][16];
		const char *bad = NULL;
		snprintf(buf, sizeof(buf), "%s", o->placements);
		int n = suite_split_list(buf, items, ISB_MAX_PLACEMENTS, &bad);
		if (n <= 0)
			return isb_errf(err, 0, "--placements: bad list '%s'", o->placements);
		for (int i = 0; i < n; i++)
			if (!suite_placement_known(items[i]))
				return isb_errf(err, 0, "--placements: unknown placement '%s'",
						items[i]);
		for (size_t i = 0; i < s->nscenarios; i++) {
			memcpy(s->scenarios[i].placements, items, sizeof(items));
			s->scenarios[i].nplacements = (size_t)n;
		}
	}
	if (o->reps >= 0) {
		if (o->reps < 1 || o->reps > 1000)
			return isb_errf(err, 0, "--reps: %ld is not in [1, 1000]", o->reps);
		s->reps = (unsigned)o->reps;
	}
	if (o->max_reps > 0) {
		if (o->max_reps > 1000)
			return isb_errf(err, 0, "--max-reps: %ld is not in [1, 1000]", o->max_reps);
		s->max_reps = (unsigned)o->max_reps;
	}
	if (o->duration >= 0) {
		if (o->duration <= 0 || o->duration > 3600)
			return isb_errf(err, 0, "--duration: %g is not in (0, 3600]", o->duration);
		s->duration = o->duration;
	}
	if (o->seed_set)
		s->seed = o->seed;
	if (!s->nconfigs)
		return isb_errf(err, 0, "no configuration left to run in %s", s->path);
	return 0;
}

size_t isb_suite_dirs(const char *dirs[4])
{
	static char here[PATH_MAX];
	size_t n = 0;
	const char *env = getenv("ISOBENCH_SUITES");
	if (env)
		dirs[n++] = env;
	ssize_t l = readlink("/proc/self/exe", here, sizeof(here) - 16);
	if (l > 0) {
		here[l] = 0;
		char *slash = strrchr(here, '/');
		if (slash) {
			strcpy(slash, "/suites");
			dirs[n++] = here;
		}
	}
	dirs[n++] = ISB_SUITEDIR;
	return n;
}

int isb_suite_find(const char *name, char *path, size_t size)
{
	if (strchr(name, '/') || access(name, R_OK) == 0) {
		snprintf(path, size, "%s", name);
		return 0;
	}
	const char *dirs[4];
	size_t n = isb_suite_dirs(dirs);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, size, "%s/%s%s", dirs[i], name, strstr(name, ".ini") ? "" : ".ini");
		if (access(path, R_OK) == 0)
			return 0;
	}
	snprintf(path, size, "%s", name);
	return -ENOENT;
}
