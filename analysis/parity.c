/*
 * Verdicts against native in the same campaign: a cell whose I/O was served
 * from a cache, whose aggressor a configuration slowed without declaring a
 * limit, or whose victim reaches too little of native's baseline cannot show
 * isolation and is set apart from the grades and the ranking.
 */
#include "config.h"
#include "analysis/cells.h"

#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The limit a configuration declares on a resource, as "key = value", or "" when it
 * declares none: a held-back aggressor is then isolation, not a weak aggressor. */
static void config_limit(const struct isb_analysis *a, const char *config, const char *resource,
			 char *out, size_t size)
{
	static const struct {
		const char *resource, *key, *values; /* values: "" any, else ",a,b," */
	} limits[] = {
	    {"cpu", "cpu.max", ""},
	    {"cpu", "cpuset", ""},
	    {"cpu", "cpu.weight", ""},
	    {"cpu", "cgroups", ",partitioned,capped,fair,"},
	    {"cpu", "vcpus", ""},
	    {"memory", "memory.max", ""},
	    {"memory", "memory.low", ""},
	    {"memory", "cgroups", ",partitioned,capped,fair,"},
	    {"memory", "memory", ""},
	    {"disk", "io.rbps", ""},
	    {"disk", "io.wbps", ""},
	    {"disk", "io.riops", ""},
	    {"disk", "io.wiops", ""},
	    {"disk", "io.weight", ""},
	    {"disk", "cgroups", ",partitioned,capped,"},
	    {"network", "net.rate", ""},
	    {"network", "cgroups", ",fair,partitioned,capped,"},
	    {"pids", "pids.max", ""},
	    {"pids", "cgroups", ",partitioned,capped,fair,"},
	};
	out[0] = 0;
	const struct isb_config_row *cf = isb_analysis_config(a, config);
	cleanup_json json_object *o = cf ? json_tokener_parse(cf->options_json) : NULL;
	for (size_t i = 0; o && i < ISB_ARRAY_SIZE(limits) && !out[0]; i++) {
		json_object *v;
		if (strcmp(limits[i].resource, resource) ||
		    !json_object_object_get_ex(o, limits[i].key, &v))
			continue;
		char want[80];
		snprintf(want, sizeof(want), ",%s,", json_object_get_string(v));
		if (!limits[i].values[0] || strstr(limits[i].values, want))
			snprintf(out, size, "%s = %s", limits[i].key, json_object_get_string(v));
	}
}

/* For a disk cell: the median share of the bytes a tenant reported that the host's block
 * layer saw it issue over the victim's window (the eBPF block probe); NAN where it cannot
 * tell (no probe, or nothing reported). A sandbox's or a guest's page cache, or O_DIRECT
 * not honoured, serves I/O that never reaches the device: that cell measures a cache. */
static double device_share(const struct isb_analysis *a, const struct isb_cell *c, bool aggressor)
{
	struct isb_vec v = {0};
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		if (t->cell_id != c->row.id || strcmp(t->status, "ok") ||
		    t->contended != aggressor || !t->attribution_json)
			continue;
		cleanup_json json_object *at = json_tokener_parse(t->attribution_json);
		cleanup_json json_object *m =
		    json_tokener_parse(aggressor ? (t->aggressor_json ? t->aggressor_json : "")
						 : (t->metrics_json ? t->metrics_json : ""));
		double win = isb_jpath(at, "window_s");
		/* the host's count of its block requests: its cgroup's where it has one (a
		 * throttled bio is dispatched by a kernel worker, not the tenant's thread the
		 * probe follows), else the probe's */
		double dev = isb_jpath(at, aggressor ? "host/aggressor/cg_blk_write_bytes"
						     : "host/victim/cg_blk_read_bytes");
		if (!isfinite(dev))
			dev = isb_jpath(at, aggressor ? "host/aggressor/blk_write_bytes"
						      : "host/victim/blk_read_bytes");
		if (!isfinite(dev)) /* a campaign before the host-side counts */
			dev = isb_jpath(at, aggressor ? "bpf/bio/aggressor/bytes"
						      : "bpf/bio/victim/bytes");
		double rate = isb_jpath(m, aggressor ? "metrics/bytes_per_s" : "bytes_per_s");
		if (isfinite(win) && isfinite(dev) && isfinite(rate) && rate * win > 0)
			isb_vpush(&v, dev / (rate * win));
	}
	double r = v.n ? isb_median(v.v, v.n) : NAN;
	free(v.v);
	return r;
}

/* The native cell of the same scenario and placement, or NULL (also for a native cell). */
static const struct isb_cell *native_of(const struct isb_analysis *a, const struct isb_cell *c)
{
	for (size_t j = 0; j < a->n && strcmp(c->row.backend, "native"); j++) {
		const struct isb_cell *r = &a->cells[j];
		if (!strcmp(r->row.backend, "native") &&
		    !strcmp(r->row.scenario, c->row.scenario) &&
		    !strcmp(r->row.placement, c->row.placement))
			return r;
	}
	return NULL;
}

/* A disk cell: the victim's O_DIRECT reads must reach the device. The aggressor's share is
 * judged against native's: the probe sees a writer's requests only over the victim's window,
 * where native sets the reference. */
static void disk_cache_verdict(const struct isb_analysis *a, struct isb_cell *c,
			       const struct isb_cell *r)
{
	struct isb_cell_verdict *v = &c->v;
	double vs = device_share(a, c, false), as = device_share(a, c, true);
	double ar = r ? device_share(a, r, true) : NAN;
	if (isfinite(vs) && vs < 0.5)
		snprintf(v->verdict, sizeof(v->verdict),
			 "not measurable: I/O served from a cache (the victim's "
			 "block requests carried %.0f %% of the bytes it read)",
			 100 * vs);
	else if (isfinite(as) && isfinite(ar) && ar > 0 && as < 0.5 * ar)
		snprintf(v->verdict, sizeof(v->verdict),
			 "not measurable: I/O served from a cache (the aggressor's "
			 "block requests carried %.2f of native's share of the bytes "
			 "it wrote)",
			 as / ar);
	if (v->verdict[0])
		v->grade = -1;
}

/* The aggressor's pressure over native's: held back by a declared limit (isolation), or
 * weak (not demonstrated). */
static void aggressor_parity(struct isb_cell *c, const struct isb_cell *r, const char *limit)
{
	struct isb_cell_verdict *v = &c->v;
	if (!strcmp(r->v.press1_key, v->press1_key) && isfinite(r->v.press1) &&
	    isfinite(v->press1) && r->v.press1 > 0)
		v->parity = v->press1 / r->v.press1;
	if (isfinite(v->parity) && v->parity < 0.5) {
		double q = v->parity;
		if (limit[0])
			snprintf(v->limit_note, sizeof(v->limit_note),
				 "aggressor held to %.0f %% of native's %s by %s", 100 * q,
				 v->press1_key, limit);
		else
			snprintf(v->verdict, sizeof(v->verdict),
				 "not demonstrated: weak aggressor (%.2f of native's %s; "
				 "no limit declared)",
				 q, v->press1_key);
	}
	if (v->verdict[0])
		v->grade = -1;
}

/* Reach matters where the victim's own demand loads the shared resource (a device's queue,
 * a link); a slow CPU victim (TCG) still uses its whole CPU. */
static void victim_reach(struct isb_cell *c, const struct isb_cell *r, const char *limit)
{
	struct isb_cell_verdict *v = &c->v;
	if (v->verdict[0] || v->worst < 0 ||
	    (strcmp(c->row.resource, "disk") && strcmp(c->row.resource, "network")))
		return;
	const struct isb_metric_verdict *m = &v->m[v->worst], *b = NULL;
	for (size_t k = 0; k < r->v.nmetrics; k++)
		if (!strcmp(r->v.m[k].def.name, m->def.name))
			b = &r->v.m[k];
	if (!b || !isfinite(b->base_med) || !isfinite(m->base_med) || b->base_med <= 0 ||
	    m->base_med <= 0)
		return;
	double reach = m->def.higher ? m->base_med / b->base_med : b->base_med / m->base_med;
	if (reach >= 0.35)
		return;
	if (limit[0]) {
		size_t o = strlen(v->limit_note);
		snprintf(v->limit_note + o, sizeof(v->limit_note) - o,
			 "%svictim's baseline %.2f of native's (%s)", o ? "; " : "", reach, limit);
	} else {
		snprintf(v->verdict, sizeof(v->verdict),
			 "not demonstrated: weak victim (its baseline %s is %.2f of "
			 "native's)",
			 m->def.name, reach);
		v->grade = -1;
	}
}

/* Aggressor parity and the victim's reach, against native in the same campaign. An
 * aggressor that achieved less than half of native's pressure was either held back by a
 * limit the configuration declares on that resource (that is the isolation) or slowed by
 * the configuration's overhead (a sandbox, an emulator): then the cell cannot show
 * isolation and is set apart. So is a victim whose baseline is far below native's (it
 * cannot load the resource, so it is less sensitive to a neighbour). */
void isb_parity_check(struct isb_analysis *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct isb_cell *c = &a->cells[i];
		if (c->v.grade < 0 || c->v.verdict[0])
			continue;
		const struct isb_cell *r = native_of(a, c);
		if (!strcmp(c->row.resource, "disk")) {
			disk_cache_verdict(a, c, r);
			if (c->v.verdict[0])
				continue;
		}
		if (!r)
			continue;
		char limit[160];
		config_limit(a, c->row.config, c->row.resource, limit, sizeof(limit));
		aggressor_parity(c, r, limit);
		victim_reach(c, r, limit);
	}
}
