/*
 * Pressure and cgroup statistics of a trial: system-wide PSI totals from
 * /proc/pressure, and the victim's own cgroup's counters (cpu throttling,
 * memory events, pressure, io bytes), each read before the start barrier
 * and after the window, stored as the growth between the two.
 */
#include "config.h"
#include "harness/harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const psi_names[3] = {"cpu", "memory", "io"};

void isb_psi_read(struct isb_psi *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 3; i++) {
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/pressure/%s", psi_names[i]);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *s = strstr(buf, "some "), *f = strstr(buf, "full ");
		const char *st = s ? strstr(s, "total=") : NULL,
			   *ft = f ? strstr(f, "total=") : NULL;
		if (!st)
			continue;
		p->ok[i] = true;
		p->some[i] = strtoull(st + 6, NULL, 10);
		p->full[i] = ft ? strtoull(ft + 6, NULL, 10) : 0;
	}
	/* "cpu  user nice system idle iowait irq softirq steal ...": all CPUs together */
	char stat[512];
	unsigned long long v[8];
	if (isb_read_file("/proc/stat", stat, sizeof(stat)) > 0 &&
	    sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		p->steal_ok = true;
		p->steal_ticks = v[7];
	}
}

json_object *isb_psi_delta(const struct isb_psi *a, const struct isb_psi *b, double window_s)
{
	json_object *o = NULL;
	double w = window_s > 0 ? window_s : 1;
	for (int i = 0; i < 3; i++) {
		if (!a->ok[i] || !b->ok[i])
			continue;
		if (!o)
			o = json_object_new_object();
		json_object *x = json_object_new_object();
		json_object_object_add(
		    x, "some_ms_per_s",
		    json_object_new_double((double)(b->some[i] - a->some[i]) / 1e3 / w));
		json_object_object_add(
		    x, "full_ms_per_s",
		    json_object_new_double((double)(b->full[i] - a->full[i]) / 1e3 / w));
		json_object_object_add(o, psi_names[i], x);
	}
	if (o && a->steal_ok && b->steal_ok) {
		long hz = sysconf(_SC_CLK_TCK);
		json_object *x = json_object_new_object();
		json_object_object_add(
		    x, "ms_per_s",
		    json_object_new_double((double)(b->steal_ticks - a->steal_ticks) * 1e3 /
					   (double)(hz > 0 ? hz : 100) / w));
		json_object_object_add(o, "steal", x);
	}
	return o;
}

/* "key value" lines, or "some avg10=.. total=N" (pressure), or "MAJ:MIN k=v ..." (io.stat,
 * summed over devices), or "Total N" (v1 blkio): NAME.key -> number. */
static void parse_stat(json_object *o, const char *file, char *text)
{
	for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char key[160], *sp = strchr(l, ' ');
		if (!sp)
			continue;
		*sp = 0;
		const char *rest = sp + 1;
		if (strstr(file, "pressure")) {
			const char *t = strstr(rest, "total=");
			if (!t)
				continue;
			snprintf(key, sizeof(key), "%s.%s_us", file, l);
			json_object_object_add(o, key, json_object_new_double(strtod(t + 6, NULL)));
		} else if (strchr(l, ':') && strchr(rest, '=')) { /* io.stat: per device, summed */
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "%s", rest);
			for (char *s2, *kv = strtok_r(tmp, " ", &s2); kv;
			     kv = strtok_r(NULL, " ", &s2)) {
				char *eq = strchr(kv, '=');
				if (!eq)
					continue;
				*eq = 0;
				snprintf(key, sizeof(key), "%s.%s", file, kv);
				json_object *prev;
				double v = strtod(eq + 1, NULL);
				if (json_object_object_get_ex(o, key, &prev))
					v += json_object_get_double(prev);
				json_object_object_add(o, key, json_object_new_double(v));
			}
		} else if (!strchr(l, ':')) {
			char *end;
			double v = strtod(rest, &end);
			if (end == rest)
				continue;
			snprintf(key, sizeof(key), "%s.%s", file, l);
			json_object_object_add(o, key, json_object_new_double(v));
		}
	}
}

json_object *isb_cgstat_read(const struct isb_tenant *t)
{
	const size_t ndirs = t->ncgroups;
	static const char *const files[] = {
	    "cpu.stat",	       "memory.events",	     "cpu.pressure",
	    "memory.pressure", "io.pressure",	     "io.stat",
	    "memory.failcnt",  "memory.oom_control", "blkio.throttle.io_service_bytes",
	    "memory.stat"};
	if (!ndirs)
		return NULL;
	json_object *o = json_object_new_object();
	for (size_t d = 0; d < ndirs; d++) {
		for (size_t f = 0; f < ISB_ARRAY_SIZE(files); f++) {
			char path[700];
			static char buf[16384];
			snprintf(path, sizeof(path), "%s/%s", t->cgroups[d], files[f]);
			if (isb_read_file(path, buf, sizeof(buf)) <= 0)
				continue;
			if (!strcmp(files[f], "memory.failcnt")) { /* one number */
				json_object_object_add(o, "memory.failcnt",
						       json_object_new_double(strtod(buf, NULL)));
				continue;
			}
			if (!strcmp(files[f], "memory.stat")) { /* only the reclaim counters */
				char keep[2048] = "";
				for (char *s2, *l = strtok_r(buf, "\n", &s2); l;
				     l = strtok_r(NULL, "\n", &s2))
					if (!strncmp(l, "pgscan", 6) || !strncmp(l, "pgsteal", 7) ||
					    !strncmp(l, "pgmajfault", 10) ||
					    !strncmp(l, "workingset_refault", 18))
						snprintf(keep + strlen(keep),
							 sizeof(keep) - strlen(keep), "%s\n", l);
				parse_stat(o, files[f], keep);
				continue;
			}
			parse_stat(o, files[f], buf);
		}
	}
	return o;
}

json_object *isb_cgstat_delta(json_object *a, json_object *b)
{
	if (!a || !b)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_foreach(b, k, v)
	{
		json_object *x;
		if (json_object_object_get_ex(a, k, &x))
			json_object_object_add(o, k,
					       json_object_new_double(json_object_get_double(v) -
								      json_object_get_double(x)));
	}
	return o;
}
