/*
 * The runner: turns a suite into cells and trials, runs every trial with
 * the start barrier (aggressor first, warm-up, then the victim; the victim
 * stops first), records each finished trial in its own transaction, and
 * cleans up on exit, on SIGINT/SIGTERM, and after a killed predecessor.
 */
#include "config.h"
#include "harness/harness.h"
#include "analysis/analysis.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile int isb_interrupted;

static void on_signal(int sig)
{
	isb_interrupted = sig;
}

#define ISB_MAX_GRADED 8

struct rcell {
	long long id;
	size_t cfg, sc;
	const char *placement;
	struct isb_placement pl;
	bool skipped;
	/* Adaptive repetitions: the pairs planned so far and, per pair and side, the values
	 * of the metrics that grade the cell (NAN where the trial gave none). */
	unsigned pairs;
	bool settled;
	bool base_failed, cont_failed;
	size_t ngraded;
	const struct isb_metric *graded[ISB_MAX_GRADED];
	double *vals; /* [max_reps][2][ngraded] */
};

struct rtrial {
	size_t cell;
	bool contended;
	unsigned rep;
};

struct rconfig {
	struct isb_config c;
	bool prepared;
	char unavailable[300];
};

struct ctx {
	struct isb_suite *s;
	struct isb_store *st;
	struct isb_attrib *attrib; /* the eBPF probes, or NULL and why */
	char attrib_why[300];
	struct rconfig *cfgs;
	struct rcell *cells;
	size_t ncells;
	unsigned max_reps;
	char campaign_id[40];
	struct isb_link link; /* the shaped link (link_rate), when up */
	char link_why[400];   /* why link_rate is set but the link is not up */
};

struct tenant_run {
	struct isb_tenant t;
	struct isb_line_reader rd;
	bool spawned;
	uint64_t ready_ns;
	json_object *result;	 /* "metrics" of the result event */
	json_object *info;	 /* "info" of the result event, if any */
	json_object *ready_info; /* "info" of the ready event (a peer's port) */
	json_object *probe;	 /* "probe" of the ready event: the leaves seen inside */
	char error[400];
};

static void interruptible_sleep(uint64_t ns)
{
	uint64_t end = isb_now_ns() + ns;
	while (!isb_interrupted && isb_now_ns() < end) {
		uint64_t left = end - isb_now_ns();
		isb_sleep_ns(left > 20000000 ? 20000000 : left);
	}
}

/* Spawn and wait for "ready". Returns 0, or negative with tr->error filled. */
static int tenant_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *spec,
			struct tenant_run *tr)
{
	struct isb_err err = {0};
	char line[4096];
	memset(tr, 0, sizeof(*tr));
	tr->t.in_fd = tr->t.out_fd = -1;
	if (rc->c.backend->spawn(&rc->c, spec, &tr->t, &err) < 0) {
		snprintf(tr->error, sizeof(tr->error), "%s spawn: %s", spec->label, err.msg);
		return -1;
	}
	tr->spawned = true;
	tr->rd.fd = tr->t.out_fd;
	uint64_t deadline = isb_now_ns() + (uint64_t)(30e9 * rc->c.time_scale);
	for (;;) {
		int r = isb_read_line(&tr->rd, deadline, line, sizeof(line));
		if (r == -EINTR)
			return snprintf(tr->error, sizeof(tr->error), "interrupted"), -EINTR;
		if (r <= 0) {
			snprintf(tr->error, sizeof(tr->error), "%s: %s before ready", spec->label,
				 r == 0 ? "exited" : "timed out (30 s)");
			return -1;
		}
		struct isb_event ev;
		if (isb_event_parse(line, &ev, &err) < 0) {
			snprintf(tr->error, sizeof(tr->error), "%s: %s", spec->label, err.msg);
			return -1;
		}
		enum isb_event_type type = ev.type;
		json_object *m;
		if (type == ISB_EV_ERROR && json_object_object_get_ex(ev.obj, "message", &m))
			snprintf(tr->error, sizeof(tr->error), "%s: %s", spec->label,
				 json_object_get_string(m));
		if (type != ISB_EV_READY)
			json_object_put(ev.obj);
		if (type == ISB_EV_READY) {
			tr->ready_ns = isb_now_ns();
			json_object_put(tr->ready_info);
			tr->ready_info = NULL;
			if (json_object_object_get_ex(ev.obj, "info", &m))
				tr->ready_info = json_object_get(m);
			json_object_put(tr->probe);
			tr->probe = NULL;
			if (json_object_object_get_ex(ev.obj, "probe", &m))
				tr->probe = json_object_get(m);
			json_object_put(ev.obj);
			return 0;
		}
		if (type == ISB_EV_ERROR)
			return -1;
	}
}

static int tenant_go(struct tenant_run *tr)
{
	return write(tr->t.in_fd, "go\n", 3) == 3 ? 0 : -EPIPE;
}

/* Read events until result/error/EOF/deadline. samples may be NULL. Returns 1 result, 0 other. */
static int tenant_collect(struct tenant_run *tr, uint64_t deadline, json_object *samples,
			  const char *label)
{
	char line[65536];
	struct isb_err err = {0};
	for (;;) {
		int r = isb_read_line(&tr->rd, deadline, line, sizeof(line));
		if (r == -EINTR)
			return snprintf(tr->error, sizeof(tr->error), "interrupted"), 0;
		if (r == -ETIMEDOUT) {
			snprintf(tr->error, sizeof(tr->error),
				 "%s timed out: no result by its deadline", label);
			return 0;
		}
		if (r <= 0)
			return 0; /* EOF: the cause comes from the exit status */
		struct isb_event ev;
		if (isb_event_parse(line, &ev, &err) < 0) {
			snprintf(tr->error, sizeof(tr->error), "%s: %s", label, err.msg);
			return 0;
		}
		json_object *f, *g;
		switch (ev.type) {
		case ISB_EV_SAMPLE:
			if (samples && json_object_object_get_ex(ev.obj, "t_ns", &f) &&
			    json_object_object_get_ex(ev.obj, "ops", &g)) {
				json_object *pair = json_object_new_array();
				json_object_array_add(pair, json_object_get(f));
				json_object_array_add(pair, json_object_get(g));
				json_object_array_add(samples, pair);
			}
			break;
		case ISB_EV_RESULT:
			json_object_object_get_ex(ev.obj, "metrics", &f);
			tr->result = json_object_get(f);
			if (json_object_object_get_ex(ev.obj, "info", &g))
				tr->info = json_object_get(g);
			json_object_put(ev.obj);
			return 1;
		case ISB_EV_ERROR:
			json_object_object_get_ex(ev.obj, "message", &f);
			snprintf(tr->error, sizeof(tr->error), "%s: %s", label,
				 json_object_get_string(f));
			json_object_put(ev.obj);
			return 0;
		default:
			break;
		}
		json_object_put(ev.obj);
	}
}

/* oom_before/after: the campaign cgroup's OOM kill count around the tenant's life. */
static void exit_cause(const struct isb_tenant *t, long oom_before, long oom_after, char *buf,
		       size_t size)
{
	if (t->term_signal == SIGKILL && t->oom_kills > 0)
		snprintf(buf, size, "OOM-killed (its own cgroup's OOM killer, %ld kill%s)",
			 t->oom_kills, t->oom_kills == 1 ? "" : "s");
	else if (t->term_signal == SIGKILL && t->exited && oom_before >= 0 &&
		 oom_after > oom_before) /* not isobench's own kill at a deadline */
		snprintf(buf, size, "OOM-killed (the campaign cgroup's OOM killer, %ld kill%s)",
			 oom_after - oom_before, oom_after - oom_before == 1 ? "" : "s");
	else if (t->term_signal)
		snprintf(buf, size, "killed by signal %d (%s)%s", t->term_signal,
			 strsignal(t->term_signal),
			 t->term_signal == SIGKILL && t->exited ? ": not by isobench (OOM killer?)"
								: "");
	else
		snprintf(buf, size, "exit code %d", t->exit_code);
}

static void spec_init(struct isb_tenant_spec *sp, const char *label, const char *stressor,
		      unsigned role, const char (*opts)[128], size_t nopts, const char **optv,
		      const cpu_set_t *cpus)
{
	memset(sp, 0, sizeof(*sp));
	sp->label = label;
	sp->stressor = stressor;
	const struct isb_stressor *st = isb_stressor_find(stressor);
	sp->resource = st ? st->resource : ISB_RES_NONE;
	sp->talks_to_peer = st && (st->peer || role == ISB_ROLE_PEER);
	sp->role = role;
	for (size_t i = 0; i < nopts; i++)
		optv[i] = opts[i];
	sp->opts = optv;
	sp->nopts = nopts;
	sp->pinned = true;
	sp->cpus = *cpus;
}

/* ---- the shaped link (link_rate): where each tenant of a link campaign sits ---- */

/* tenant_start in the link's namespace the caller entered: for the tenant's probe that
 * namespace is the host's network (a native tenant has no other namespace than the
 * campaign's), so the probe is told its inode instead of the host's own. */
static int link_tenant_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *sp,
			     struct tenant_run *tr)
{
	char *saved = strdup(rc->c.host_ns);
	isb_probe_host_ns(rc->c.host_ns, sizeof(rc->c.host_ns));
	int r = tenant_start(x, rc, sp, tr);
	if (saved) {
		snprintf(rc->c.host_ns, sizeof(rc->c.host_ns), "%s", saved);
		free(saved);
	}
	return r;
}

/* A peer on the far side of the wire: a tenant with a network namespace of its own joins
 * the far bridge (the backend builds its link in the hub it is told: the far namespace for
 * this spawn); one without (native) runs in the far namespace and listens on its address. */
static int link_peer_start(struct ctx *x, struct rconfig *rc, struct isb_tenant_spec *ps,
			   struct tenant_run *pr)
{
	struct isb_err err = {0};
	char hub[sizeof(rc->c.testnet_hub)];
	memset(pr, 0, sizeof(*pr));
	int saved = isb_link_enter(&x->link, 1, &err);
	if (saved < 0) {
		snprintf(pr->error, sizeof(pr->error), "%s: %s", ps->label, err.msg);
		return -1;
	}
	memcpy(hub, rc->c.testnet_hub, sizeof(hub));
	snprintf(rc->c.testnet_hub, sizeof(rc->c.testnet_hub), "%s", x->link.ns[1]);
	ps->peer = x->link.far_addr; /* a backend that gives it an address of its own overrides */
	int r = link_tenant_start(x, rc, ps, pr);
	memcpy(rc->c.testnet_hub, hub, sizeof(hub));
	isb_link_leave(saved);
	if (r == 0 && !pr->t.addr[0])
		snprintf(pr->t.addr, sizeof(pr->t.addr), "%s", x->link.far_addr);
	return r;
}

/* A network client (victim or aggressor) on the near side: one without a network
 * namespace of its own (native) joins the near namespace, so its traffic crosses the link
 * as a host's processes share its NIC; then its class, when the configuration gives it
 * one (net.rate or the cgroups policy). *class_id: 0, or the class to delete after it. */
static int link_client_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *sp,
			     struct tenant_run *tr, unsigned *class_id)
{
	struct isb_err err = {0};
	const struct isb_stressor *st = isb_stressor_find(sp->stressor);
	*class_id = 0;
	if (!x->link.up || !st || !st->peer)
		return tenant_start(x, rc, sp, tr);
	int saved = isb_link_enter(&x->link, 0, &err);
	if (saved < 0) {
		memset(tr, 0, sizeof(*tr));
		snprintf(tr->error, sizeof(tr->error), "%s: %s", sp->label, err.msg);
		return -1;
	}
	int r = link_tenant_start(x, rc, sp, tr);
	isb_link_leave(saved);
	if (r < 0 || !rc->c.net_class_rate)
		return r;
	if (!tr->t.addr[0]) {
		snprintf(tr->error, sizeof(tr->error),
			 "%s: no address of its own for its class on the link", sp->label);
		return -1;
	}
	if (isb_link_class_add(&x->link, tr->t.addr, rc->c.net_class_rate, rc->c.net_class_ceil,
			       class_id, &err) < 0) {
		snprintf(tr->error, sizeof(tr->error), "%s: link class: %s", sp->label, err.msg);
		return -1;
	}
	return 0;
}

/* Starts the peer (server end) a network stressor needs, pinned like its client, and
 * fills addr with where the client finds it. 0, or -1 with pr->error. */
static int peer_start(struct ctx *x, struct rconfig *rc, const char *stressor, const char *label,
		      const cpu_set_t *cpus, struct tenant_run *pr, char *addr, size_t size)
{
	const struct isb_stressor *st = isb_stressor_find(stressor);
	struct isb_tenant_spec ps;
	json_object *port;
	memset(pr, 0, sizeof(*pr));
	if (!st || !st->peer)
		return 0;
	spec_init(&ps, label, st->peer, ISB_ROLE_PEER, NULL, 0, NULL, cpus);
	ps.duration_s = (x->s->aggressor_warmup + x->s->warmup + x->s->duration + 2 * x->s->grace) *
			    rc->c.time_scale +
			30;
	int r = x->link.up ? link_peer_start(x, rc, &ps, pr) : tenant_start(x, rc, &ps, pr);
	if (r < 0 || tenant_go(pr) < 0)
		return -1;
	if (!pr->ready_info || !json_object_object_get_ex(pr->ready_info, "port", &port)) {
		snprintf(pr->error, sizeof(pr->error), "%s: ready without a port", label);
		return -1;
	}
	snprintf(addr, size, "%s:%s",
		 pr->t.addr[0] ? pr->t.addr
		 : x->link.up  ? x->link.far_addr
			       : "127.0.0.1",
		 json_object_get_string(port));
	return 0;
}

static void peer_stop(struct rconfig *rc, struct tenant_run *pr)
{
	if (!pr->spawned)
		return;
	if (pr->t.in_fd >= 0 && write(pr->t.in_fd, "stop\n", 5) == 5)
		tenant_collect(pr, isb_now_ns() + 2000000000ull, NULL, "peer");
	rc->c.backend->stop(&pr->t, 1000000000ull);
	json_object_put(pr->result);
	json_object_put(pr->info);
	json_object_put(pr->ready_info);
	json_object_put(pr->probe);
	pr->result = pr->info = pr->ready_info = pr->probe = NULL;
}

static json_object *unavailable(const char *why)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "unavailable", json_object_new_string(why));
	return o;
}

/* What the kernel saw of the victim during its window: the eBPF summaries, system-wide PSI
 * and its own cgroup's statistics, each as the growth over the window. */
static json_object *attribution_end(struct ctx *x, bool bpf_on, double win,
				    const struct isb_psi *p0, json_object *cg0,
				    const struct isb_tenant *t, const char *backend)
{
	json_object *o = json_object_new_object(), *b = NULL;
	if (bpf_on)
		b = isb_attrib_end(x->attrib, win);
	json_object_object_add(o, "bpf", b ? b : unavailable(x->attrib_why));
	struct isb_psi p1;
	isb_psi_read(&p1);
	json_object *pj = isb_psi_delta(p0, &p1, win);
	json_object_object_add(o, "psi",
			       pj ? pj : unavailable("no /proc/pressure (a kernel without PSI)"));
	if (cg0) {
		json_object *cg1 = isb_cgstat_read(t);
		json_object_object_add(o, "cgroup", isb_cgstat_delta(cg0, cg1));
		json_object_put(cg1);
	} else {
		char why[160];
		snprintf(why, sizeof(why), "the victim has no cgroup of its own (backend %s)",
			 backend);
		json_object_object_add(o, "cgroup", unavailable(why));
	}
	json_object_object_add(o, "window_s", json_object_new_double(win));
	return o;
}

/* Derived counters: IPC and LLC misses per kilo-instruction where the PMU counts, and the
 * software events per second always. */
static void attribution_perf(json_object *o, const struct isb_counters *c, double win)
{
	static const char *const rates[] = {"task_clock_ns", "context_switches", "cpu_migrations",
					    "page_faults"};
	double cyc, ins, llc, v;
	json_object *p = json_object_new_object();
	for (size_t i = 0; i < ISB_ARRAY_SIZE(rates) && win > 0; i++)
		if (isb_counters_value(c, rates[i], &v) == 0) {
			char key[64];
			snprintf(key, sizeof(key), "%s_per_s", rates[i]);
			json_object_object_add(p, key, json_object_new_double(v / win));
		}
	bool have_ins = isb_counters_value(c, "instructions", &ins) == 0 && ins > 0;
	if (have_ins && isb_counters_value(c, "cycles", &cyc) == 0 && cyc > 0)
		json_object_object_add(p, "ipc", json_object_new_double(ins / cyc));
	else
		json_object_object_add(p, "ipc",
				       unavailable("no cycles or instructions counter "
						   "(no hardware PMU)"));
	if (have_ins && isb_counters_value(c, "llc_misses", &llc) == 0)
		json_object_object_add(p, "llc_mpki", json_object_new_double(llc / ins * 1e3));
	else
		json_object_object_add(p, "llc_mpki",
				       unavailable("no LLC-miss or instructions "
						   "counter (no hardware PMU)"));
	json_object_object_add(o, "perf", p);
}

/* The metrics that grade a cell: the scenario's list, or the victim stressor's defaults. */
static void cell_graded_metrics(struct rcell *c, const struct isb_suite_scenario *sc)
{
	const struct isb_stressor *st = isb_stressor_find(sc->victim);
	c->ngraded = 0;
	for (const struct isb_metric *m = st ? st->metrics : NULL; m && m->name; m++) {
		bool graded = m->graded;
		if (sc->grade[0]) {
			char list[300], want[80];
			size_t o = 0;
			for (const char *q = sc->grade; *q && o + 2 < sizeof(list); q++)
				if (*q != ' ')
					list[o++] = *q;
			list[o] = 0;
			char wrapped[304];
			snprintf(wrapped, sizeof(wrapped), ",%s,", list);
			snprintf(want, sizeof(want), ",%s,", m->name);
			graded = strstr(wrapped, want) != NULL;
		}
		if (graded && c->ngraded < ISB_MAX_GRADED)
			c->graded[c->ngraded++] = m;
	}
}

/* A finished trial's graded values (result NULL: the victim gave none) and failures. */
static void cell_record(struct ctx *x, const struct rtrial *tr, json_object *result,
			const char *status)
{
	struct rcell *c = &x->cells[tr->cell];
	if (!strcmp(status, "failed"))
		*(tr->contended ? &c->cont_failed : &c->base_failed) = true;
	if (!c->vals || tr->rep >= x->max_reps)
		return;
	for (size_t k = 0; k < c->ngraded; k++) {
		json_object *v;
		double val = NAN;
		if (result && json_object_object_get_ex(result, c->graded[k]->name, &v))
			val = json_object_get_double(v);
		c->vals[(tr->rep * 2 + tr->contended) * c->ngraded + k] = val;
	}
}

/* Whether a cell needs no more pairs: its victim failed (nothing more to learn), or every
 * graded metric's interval is narrow enough or inside one grade band. */
static bool cell_settled(const struct ctx *x, const struct rcell *c)
{
	if (c->base_failed || c->cont_failed || !c->vals || !c->ngraded)
		return true;
	double b[1000], v[1000];
	for (size_t k = 0; k < c->ngraded; k++) {
		size_t n = 0;
		for (unsigned r = 0; r < c->pairs && r < x->max_reps && n < 1000; r++) {
			double vb = c->vals[(r * 2) * c->ngraded + k],
			       vc = c->vals[(r * 2 + 1) * c->ngraded + k];
			if (isfinite(vb) && isfinite(vc)) {
				b[n] = vb;
				v[n++] = vc;
			}
		}
		double d, lo, hi;
		if (n < 2 || isb_paired_d(b, v, n, c->graded[k]->better == ISB_HIGHER, 500,
					  x->s->seed + (uint64_t)c->id, &d, &lo, &hi) < 2)
			return false;
		if (!isb_interval_settled(lo, hi, x->s->thresholds, x->s->target_halfwidth))
			return false;
	}
	return true;
}

/* One trial. Returns 0 stored, -EINTR interrupted (nothing stored), other <0 store error. */
static int run_trial(struct ctx *x, const struct rtrial *tr, unsigned seq, char *summary,
		     size_t ssize)
{
	struct isb_suite *s = x->s;
	struct rcell *cell = &x->cells[tr->cell];
	struct rconfig *rc = &x->cfgs[cell->cfg];
	struct isb_suite_scenario *sc = &s->scenarios[cell->sc];
	/* this configuration's windows (time_scale: a slow backend such as TCG) */
	const double ts = rc->c.time_scale > 0 ? rc->c.time_scale : 1;
	const double duration = s->duration * ts, warmup = s->warmup * ts,
		     agg_warmup =
			 (sc->aggressor_warmup >= 0 ? sc->aggressor_warmup : s->aggressor_warmup) *
			 ts,
		     grace = s->grace * ts;
	struct isb_err err = {0};
	const char *vopt[ISB_MAX_SOPTS], *aopt[ISB_MAX_SOPTS];
	struct isb_tenant_spec vs, as;
	struct tenant_run vic, agg, vpeer, apeer;
	char vaddr[64] = "", aaddr[64] = "";
	unsigned vclass = 0, aclass = 0; /* their classes on the shaped link, to delete */
	struct isb_counters ctr = {0};
	struct isb_psi psi0;
	struct isb_hostuse hu = {0}; /* each tenant's use seen from the host */
	json_object *cg0 = NULL, *attj = NULL, *link0 = NULL;
	uint64_t go_ns = 0;
	bool bpf_on = false;
	memset(&psi0, 0, sizeof(psi0));
	char status[16] = "ok", cause[600] = "";
	json_object *samples = json_object_new_array(), *aggj = json_object_new_object();
	uint64_t started = isb_wall_ns(), t0 = isb_now_ns();
	long oom0 = isb_cgroup_oom_kills(x->campaign_id), oom1 = oom0;
	int rc_ret = 0;

	spec_init(&vs, "victim", sc->victim, ISB_ROLE_VICTIM, sc->vopts, sc->nvopts, vopt,
		  &cell->pl.victim);
	vs.duration_s = duration;
	vs.warmup_s = warmup;
	vs.intensity = 100;
	vs.sample_interval_s = s->sample_interval;
	spec_init(&as, "aggressor", sc->aggressor, ISB_ROLE_AGGRESSOR, sc->aopts, sc->naopts, aopt,
		  &cell->pl.aggressor);
	/* The aggressor's own deadline: it is told to stop long before this. */
	as.duration_s = agg_warmup + warmup + duration + 2 * grace + 30;
	as.intensity = sc->intensity;
	as.sample_interval_s = 0;
	memset(&agg, 0, sizeof(agg));
	memset(&vic, 0, sizeof(vic));
	memset(&vpeer, 0, sizeof(vpeer));
	memset(&apeer, 0, sizeof(apeer));

	/* The node memory budget around every tenant of this trial, and memory.bomb told it. */
	const uint64_t budget = isb_suite_budget(s, sc);
	char budget_opt[48];
	if (isb_budget_begin(&rc->c, budget, cause, sizeof(cause)) < 0) {
		snprintf(status, sizeof(status), "error");
		goto stop_agg;
	}
	if (budget && as.nopts < ISB_MAX_SOPTS) {
		const struct isb_stressor *ast = isb_stressor_find(sc->aggressor);
		bool has = false, given = false;
		for (size_t k = 0; ast && ast->options && ast->options[k].name; k++)
			has |= !strcmp(ast->options[k].name, "budget_mb");
		for (size_t k = 0; k < as.nopts; k++)
			given |= !strncmp(as.opts[k], "budget_mb=", 10);
		if (has && !given) {
			snprintf(budget_opt, sizeof(budget_opt), "budget_mb=%llu",
				 (unsigned long long)(isb_config_mem_limit(&rc->c) >> 20));
			aopt[as.nopts++] = budget_opt;
		}
	}

	if (tr->contended) {
		if (peer_start(x, rc, sc->aggressor, "aggressor-peer", &cell->pl.aggressor, &apeer,
			       aaddr, sizeof(aaddr)) < 0) {
			snprintf(status, sizeof(status), "error");
			snprintf(cause, sizeof(cause), "%s", apeer.error);
			goto stop_agg;
		}
		as.peer = aaddr[0] ? aaddr : NULL;
		if (link_client_start(x, rc, &as, &agg, &aclass) < 0 || tenant_go(&agg) < 0) {
			snprintf(status, sizeof(status), "error");
			snprintf(cause, sizeof(cause), "%s",
				 agg.error[0] ? agg.error : "aggressor: no barrier");
			goto stop_agg;
		}
		json_object_object_add(
		    aggj, "startup_ns",
		    json_object_new_int64((int64_t)(agg.ready_ns - agg.t.spawn_ns)));
		interruptible_sleep((uint64_t)(agg_warmup * 1e9));
		if (isb_interrupted)
			goto stop_agg;
	}
	if (peer_start(x, rc, sc->victim, "victim-peer", &cell->pl.victim, &vpeer, vaddr,
		       sizeof(vaddr)) < 0) {
		snprintf(status, sizeof(status), "error");
		snprintf(cause, sizeof(cause), "%s", vpeer.error);
		goto stop_vic;
	}
	vs.peer = vaddr[0] ? vaddr : NULL;
	if (link_client_start(x, rc, &vs, &vic, &vclass) < 0) {
		snprintf(status, sizeof(status), "failed");
		snprintf(cause, sizeof(cause), "%s", vic.error);
		goto stop_vic;
	}
	isb_counters_open_tasks(&ctr, vic.t.pid, vic.t.threads, vic.t.nthreads);
	{
		/* the probes learn the tenants before the barrier */
		pid_t vp[20], ap[20];
		size_t nv = 0, na = 0;
		vp[nv++] = vic.t.pid;
		for (size_t k = 0; k < vic.t.nthreads && nv < ISB_ARRAY_SIZE(vp); k++)
			vp[nv++] = vic.t.threads[k];
		if (agg.spawned && agg.t.pid > 0) {
			ap[na++] = agg.t.pid;
			for (size_t k = 0; k < agg.t.nthreads && na < ISB_ARRAY_SIZE(ap); k++)
				ap[na++] = agg.t.threads[k];
		}
		bpf_on = x->attrib && isb_attrib_begin(x->attrib, vp, nv, ap, na) == 0;
		cg0 = isb_cgstat_read(&vic.t);
		link0 = x->link.up ? isb_link_stats(&x->link) : NULL;
		isb_hostuse_begin(&hu, &vic.t, agg.spawned ? &agg.t : NULL);
		isb_psi_read(&psi0);
		go_ns = isb_now_ns();
	}
	if (tenant_go(&vic) < 0) {
		snprintf(status, sizeof(status), "failed");
		snprintf(cause, sizeof(cause), "victim: stdin closed at the barrier");
		goto stop_vic;
	}
	uint64_t deadline = isb_now_ns() + (uint64_t)((warmup + duration + grace) * 1e9);
	if (tenant_collect(&vic, deadline, samples, "victim") != 1) {
		snprintf(status, sizeof(status), "failed");
		snprintf(cause, sizeof(cause), "%s", vic.error);
	}
stop_vic:
	if (vic.spawned && go_ns) {
		double win = (double)(isb_now_ns() - go_ns) / 1e9;
		attj = attribution_end(x, bpf_on, win, &psi0, cg0, &vic.t, rc->c.backend->name);
		/* what crossed the shaped link meanwhile: the link's and each class's bytes */
		json_object *link1 = link0 ? isb_link_stats(&x->link) : NULL;
		json_object *lj = isb_link_delta(&x->link, link0, link1, vclass, aclass, win);
		if (lj)
			json_object_object_add(attj, "link", lj);
		json_object_put(link1);
	}
	isb_hostuse_end(&hu, attj, &vic.t, agg.spawned ? &agg.t : NULL, x->attrib_why);
	if (vic.spawned) {
		rc->c.backend->stop(&vic.t, 2000000000ull);
		oom1 = isb_cgroup_oom_kills(x->campaign_id);
		isb_counters_read(&ctr);
		if (!strcmp(status, "ok") && (vic.t.term_signal || vic.t.exit_code)) {
			snprintf(status, sizeof(status), "failed");
			exit_cause(&vic.t, oom0, oom1, cause, sizeof(cause));
		} else if (!strcmp(status, "failed") && !cause[0]) {
			exit_cause(&vic.t, oom0, oom1, cause, sizeof(cause));
		} else if (!strcmp(status, "failed") && (vic.t.term_signal || vic.t.exit_code)) {
			size_t n = strlen(cause);
			snprintf(cause + n, sizeof(cause) - n, " (");
			exit_cause(&vic.t, oom0, oom1, cause + n + 2, sizeof(cause) - n - 2);
			n = strlen(cause);
			snprintf(cause + n, sizeof(cause) - n, ")");
		}
	}
	peer_stop(rc, &vpeer);
stop_agg:
	if (agg.spawned) {
		if (agg.t.in_fd >= 0 && write(agg.t.in_fd, "stop\n", 5) == 5 &&
		    strcmp(status, "error"))
			tenant_collect(&agg, isb_now_ns() + 3000000000ull, NULL, "aggressor");
		rc->c.backend->stop(&agg.t, 1000000000ull);
		if (agg.info)
			json_object_object_add(aggj, "info", json_object_get(agg.info));
		if (agg.result) {
			json_object_object_add(aggj, "metrics", json_object_get(agg.result));
		} else {
			/* The victim met the aggressor until it died: its numbers stand, and the
			 * report shows the aggressor's death beside them. */
			char ec[160], msg[600];
			exit_cause(&agg.t, oom0, isb_cgroup_oom_kills(x->campaign_id), ec,
				   sizeof(ec));
			snprintf(msg, sizeof(msg), "aggressor gave no result: %s%s%s", agg.error,
				 agg.error[0] ? "; " : "", ec);
			json_object_object_add(aggj, "died", json_object_new_string(msg));
		}
		if (agg.error[0])
			json_object_object_add(aggj, "error", json_object_new_string(agg.error));
	}
	peer_stop(rc, &apeer);
	peer_stop(rc, &vpeer); /* when the victim never started */
	isb_link_class_del(&x->link, vclass);
	isb_link_class_del(&x->link, aclass);
	{
		/* which tenant the OOM killer chose, and the budget the trial ran under */
		long oom2 = isb_cgroup_oom_kills(x->campaign_id);
		json_object *v;
		struct isb_budget_tenants bt = {
		    .victim = &vic.t,
		    .aggressor = &agg.t,
		    .peers = {&vpeer.t, &apeer.t},
		    .victim_spawned = vic.spawned,
		    .aggressor_spawned = agg.spawned,
		    .peers_spawned = {vpeer.spawned, apeer.spawned},
		    .victim_major_faults = -1,
		};
		if (vic.result && json_object_object_get_ex(vic.result, "major_faults", &v))
			bt.victim_major_faults = json_object_get_double(v);
		if (agg.result && json_object_object_get_ex(agg.result, "workers_oom_killed", &v))
			bt.aggressor_workers_killed = json_object_get_double(v);
		json_object *mem = isb_budget_trial_json(
		    &rc->c, budget, oom0 >= 0 && oom2 >= 0 ? oom2 - oom0 : -1, &bt);
		isb_budget_end(&rc->c);
		if (!attj)
			attj = json_object_new_object();
		json_object_object_add(attj, "memory", mem);
	}
	if (isb_interrupted) {
		rc_ret = -EINTR;
		goto out;
	}
	{
		const char *mj =
		    vic.result
			? json_object_to_json_string_ext(
			      vic.result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			: NULL;
		char *mcopy = mj ? strdup(mj) : NULL;
		char *icopy =
		    vic.info
			? strdup(json_object_to_json_string_ext(
			      vic.info, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
			: NULL;
		if (attj)
			attribution_perf(
			    attj, &ctr,
			    json_object_get_double(json_object_object_get(attj, "window_s")));
		char *atcopy =
		    attj ? strdup(json_object_to_json_string_ext(
			       attj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
			 : NULL;
		json_object *cj = isb_counters_json(&ctr);
		char *ccopy = strdup(json_object_to_json_string_ext(
		    cj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		char *scopy =
		    strdup(json_object_to_json_string_ext(samples, JSON_C_TO_STRING_PLAIN));
		char *acopy = strdup(json_object_to_json_string_ext(
		    aggj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(cj);
		long long vstart = vic.ready_ns ? (long long)(vic.ready_ns - vic.t.spawn_ns) : -1;
		long long astart = agg.ready_ns ? (long long)(agg.ready_ns - agg.t.spawn_ns) : -1;
		char declared[256];
		json_object *pl = NULL;
		char *pcopy =
		    vic.probe
			? strdup(json_object_to_json_string_ext(
			      vic.probe, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
			: NULL;
		if (vic.probe)
			json_object_object_get_ex(vic.probe, "leaves", &pl);
		rc_ret = isb_store_run(
		    x->st, &err,
		    "INSERT INTO trial(cell_id, kind, rep, seq, status, cause, started_ns, wall_s,"
		    " victim_startup_ns, aggressor_startup_ns, metrics_json, samples_json,"
		    " counters_json, aggressor_json, info_json, declared_leaves, probed_leaves,"
		    " probe_json, attribution_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    "itiittidIIttttttttt", cell->id, tr->contended ? "contended" : "baseline",
		    (long long)tr->rep, (long long)seq, status, cause[0] ? cause : NULL,
		    (long long)started, (double)(isb_now_ns() - t0) / 1e9, vstart, astart, mcopy,
		    scopy, ccopy, acopy, icopy,
		    isb_leaves_str(rc->c.declared_leaves, declared, sizeof(declared)),
		    pl ? json_object_get_string(pl) : NULL, pcopy, atcopy);
		free(pcopy);
		free(atcopy);
		free(icopy);
		free(mcopy);
		free(ccopy);
		free(scopy);
		free(acopy);
		if (rc_ret < 0)
			isb_log("harness", "store: %s", err.msg);
	}
	if (rc_ret == 0)
		cell_record(x, tr, !strcmp(status, "ok") ? vic.result : NULL, status);
	if (vic.result) {
		json_object *v;
		if (json_object_object_get_ex(vic.result, "ops_per_s", &v))
			snprintf(summary, ssize, "%s ops_per_s=%.4g", status,
				 json_object_get_double(v));
		else
			snprintf(summary, ssize, "%s", status);
	} else {
		snprintf(summary, ssize, "%s: %s", status, cause);
	}
out:
	isb_counters_close(&ctr);
	json_object_put(cg0);
	json_object_put(link0);
	json_object_put(attj);
	json_object_put(vic.result);
	json_object_put(agg.result);
	json_object_put(vic.info);
	json_object_put(agg.info);
	json_object_put(vic.ready_info);
	json_object_put(agg.ready_info);
	json_object_put(vic.probe);
	json_object_put(agg.probe);
	json_object_put(samples);
	json_object_put(aggj);
	return rc_ret;
}

static char *settings_json(const struct isb_suite *s, json_object *disk)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array();
	json_object_object_add(o, "schema_version", json_object_new_int(ISB_SCHEMA_VERSION));
	json_object_object_add(o, "isobench_version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "reps", json_object_new_int((int)s->reps));
	json_object_object_add(o, "max_reps", json_object_new_int((int)isb_suite_max_reps(s)));
	json_object_object_add(o, "target_halfwidth", json_object_new_double(s->target_halfwidth));
	json_object_object_add(o, "grade_by",
			       json_object_new_string(s->grade_by_upper ? "upper" : "point"));
	json_object_object_add(o, "design", json_object_new_string("paired"));
	json_object_object_add(o, "duration", json_object_new_double(s->duration));
	json_object_object_add(o, "warmup", json_object_new_double(s->warmup));
	json_object_object_add(o, "aggressor_warmup", json_object_new_double(s->aggressor_warmup));
	json_object_object_add(o, "sample_interval", json_object_new_double(s->sample_interval));
	json_object_object_add(o, "grace", json_object_new_double(s->grace));
	for (int i = 0; i < 4; i++)
		json_object_array_add(t, json_object_new_double(s->thresholds[i]));
	json_object_object_add(o, "thresholds", t);
	json_object_object_add(o, "bootstrap", json_object_new_int((int)s->bootstrap));
	json_object_object_add(o, "memory_ceiling", json_object_new_double(s->memory_ceiling));
	json_object_object_add(o, "pids_ceiling", json_object_new_int64((int64_t)s->pids_ceiling));
	if (s->link_rate)
		json_object_object_add(o, "link_rate",
				       json_object_new_int64((int64_t)s->link_rate));
	json_object_object_add(o, "contended", json_object_new_boolean(!s->baseline_only));
	if (disk)
		json_object_object_add(o, "disk", disk); /* the campaign's disk, its calibration */
	char *r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static int store_metrics(struct isb_store *st, struct isb_err *err)
{
	size_t n;
	const struct isb_stressor *const *t = isb_stressors(&n);
	for (size_t i = 0; i < n; i++)
		for (const struct isb_metric *m = t[i]->metrics; m && m->name; m++)
			if (isb_store_run(st, err,
					  "INSERT OR REPLACE INTO metric VALUES(?,?,?,?,?,?)",
					  "tttt"
					  "it",
					  t[i]->name, m->name, m->unit,
					  m->better == ISB_HIGHER ? "higher" : "lower",
					  (long long)m->graded, m->help) < 0)
				return -EIO;
	return 0;
}

/* The shaped link, or why not: its network cells are then skipped with the reason. */
static void link_setup(struct ctx *x, const struct isb_testnet *net)
{
	struct isb_err err = {0};
	char r[24];
	isb_link_rate_str(x->s->link_rate, r, sizeof(r));
	if (isb_link_create(net, x->s->link_rate, &x->link, &err) < 0) {
		snprintf(x->link_why, sizeof(x->link_why), "link_rate = %s: unavailable: %s", r,
			 err.msg);
		isb_log("harness", "%s", x->link_why);
		memset(&x->link, 0, sizeof(x->link));
		return;
	}
	isb_log("harness", "link %sbit/s (%s) from %s to %s%s%s", r, x->link.htb ? "htb" : "tbf",
		x->link.ns[0], x->link.ns[1],
		x->link.htb ? "" : ": no per-tenant classes: ", x->link.no_class);
}

/* What the link does for a configuration's tenants, after its prepare's own note. */
static void link_note(struct ctx *x, struct rconfig *rc)
{
	char r[24], cr[24], cc[24], buf[400], cls[80];
	if (!x->link.up)
		return;
	isb_link_rate_str(x->link.rate, r, sizeof(r));
	isb_link_rate_str(rc->c.net_class_rate, cr, sizeof(cr));
	isb_link_rate_str(rc->c.net_class_ceil, cc, sizeof(cc));
	snprintf(cls, sizeof(cls), "a class per tenant, rate %sbit ceil %sbit", cr, cc);
	snprintf(buf, sizeof(buf), "; link %sbit/s %s: %s%s", r, x->link.htb ? "htb" : "tbf",
		 !rc->c.net_class_rate ? "no class per tenant (all share the default class)"
		 : x->link.htb	       ? cls
			       : "its classes cannot be made: its network cells are skipped",
		 rc->c.backend->class == ISB_CLASS_NATIVE
		     ? "; native network tenants joined the campaign's network namespace "
		       "(no other namespace), native peers the far one"
		     : "");
	size_t n = strlen(rc->c.cgroup_note);
	snprintf(rc->c.cgroup_note + n, sizeof(rc->c.cgroup_note) - n, "%s", buf);
}

/* Why a network cell of this configuration cannot run on the link, or NULL. */
static const char *link_skip(struct ctx *x, const struct rconfig *rc,
			     const struct isb_suite_scenario *sc, char *buf, size_t size)
{
	if (!x->s->link_rate || sc->resource != ISB_RES_NETWORK)
		return NULL;
	if (!x->link.up)
		return x->link_why;
	if (rc->c.net_class_rate && !x->link.htb) {
		snprintf(buf, size, "per-tenant link classes (cgroups policy) unavailable: %s",
			 x->link.no_class);
		return buf;
	}
	return NULL;
}

static void progress(const struct isb_run_opts *o, unsigned k, unsigned total,
		     const struct rcell *c, size_t ncells, const struct isb_suite *s,
		     const struct rconfig *rc, bool contended, uint64_t t0, const char *summary)
{
	uint64_t el = isb_now_ns() - t0;
	double eta = k ? (double)el / 1e9 / k * (total - k) : NAN;
	char etas[32] = "?";
	if (isfinite(eta))
		snprintf(etas, sizeof(etas), "%d:%02d", (int)eta / 60, (int)eta % 60);
	if (o->progress_tty)
		fprintf(stderr, "\r\033[K[trial %u/%u] cell %lld/%zu %s %s %s %s ETA %s", k, total,
			c->id, ncells, rc->c.name, s->scenarios[c->sc].name, c->placement,
			contended ? "contended" : "baseline", etas);
	else
		fprintf(stderr, "trial %u/%u cell %lld/%zu %s %s %s %s: %s (ETA %s)\n", k, total,
			c->id, ncells, rc->c.name, s->scenarios[c->sc].name, c->placement,
			contended ? "contended" : "baseline", summary, etas);
}

/* A campaign with a disk scenario: its own loop device when disk_device = loop, and the
 * calibration the capped and partitioned policies derive io throttles from when a
 * configuration asks for one of them. Returns whether there is something to record. */
static bool plan_disk(const struct isb_suite *s, const char *id, const char *state,
		      const char *scratch, struct isb_disk *d, char *why, size_t wsize)
{
	struct isb_err err = {0};
	bool any = false, calibrate = false;
	for (size_t i = 0; i < s->nscenarios; i++)
		any |= s->scenarios[i].resource == ISB_RES_DISK;
	if (!any || !scratch[0])
		return false;
	if (s->disk_device == ISB_DISK_LOOP) {
		if (isb_disk_create(s, id, state, scratch, d, &err) < 0) {
			snprintf(why, wsize, "disk_device = loop: unavailable: %s", err.msg);
			isb_log("harness", "%s", why);
			return true;
		}
		isb_log("harness", "disk: %s (%s, direct I/O %s, scheduler %s) mounted on %s",
			d->dev, d->image, d->dio ? "on" : "off", d->scheduler, d->mnt);
		if (d->sched_note[0])
			isb_log("harness", "disk: %s", d->sched_note);
	}
	for (size_t i = 0; i < s->nconfigs; i++)
		for (size_t k = 0; k < s->configs[i].nopts; k++)
			calibrate |= !strcmp(s->configs[i].opts[k].key, "cgroups") &&
				     (!strcmp(s->configs[i].opts[k].value, "capped") ||
				      !strcmp(s->configs[i].opts[k].value, "partitioned"));
	if (calibrate) {
		if (isb_disk_calibrate(d->up ? d->mnt : scratch, d, &err) < 0) {
			snprintf(d->calib_note, sizeof(d->calib_note), "%s", err.msg);
			isb_log("harness",
				"disk calibration unavailable: %s (no derived io throttles)",
				err.msg);
		} else {
			isb_log("harness",
				"disk calibration: %.0f IOPS (4 KiB random reads, QD1), %.0f MB/s "
				"(1 MiB sequential writes) in %.1f s",
				d->read_iops, d->write_bps / 1e6, d->calib_s);
		}
	}
	return true;
}

int isb_run_campaign(struct isb_suite *s, const struct isb_run_opts *o)
{
	struct ctx x = {.s = s};
	struct isb_testnet net = {0};
	struct isb_disk disk = {0};
	char disk_why[400] = ""; /* why the disk cells cannot run */
	struct isb_err err = {0};
	struct isb_topology *topo = NULL;
	char out[1024], state[700], dbpath[1100], scratch[1100] = "";
	int ret = ISB_EXIT_ERROR;
	struct rtrial *trials = NULL;
	size_t ntrials = 0;
	bool state_made = false;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int stale = isb_cleanup_stale(true);
	if (stale)
		isb_log("harness", "removed %d leftovers of earlier campaigns", stale);

	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(x.campaign_id, sizeof(x.campaign_id), "%s-%x", stamp, (unsigned)getpid());
	if (o->out_dir)
		snprintf(out, sizeof(out), "%s", o->out_dir);
	else
		snprintf(out, sizeof(out), "campaigns/%s", x.campaign_id);
	if (isb_mkdir_p(out) < 0) {
		isb_log("harness", "cannot create %s: %s", out, strerror(errno));
		return ISB_EXIT_ERROR;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", out);
	if (access(dbpath, F_OK) == 0) {
		isb_log("harness",
			"%s already exists: choose another --out (a campaign is never overwritten)",
			dbpath);
		return ISB_EXIT_USAGE;
	}
	char absout[1024];
	if (!realpath(out, absout))
		snprintf(absout, sizeof(absout), "%s", out);
	if (isb_state_create(x.campaign_id, absout, state, sizeof(state), &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return ISB_EXIT_ERROR;
	}
	state_made = true;
	/* Our own directory, even inside a --scratch the user gave: only it is removed. */
	if (o->scratch)
		snprintf(scratch, sizeof(scratch), "%s/isobench-%s", o->scratch, x.campaign_id);
	else
		snprintf(scratch, sizeof(scratch), "%s/scratch", absout);
	if (isb_state_note(state, "scratch", scratch) < 0 ||
	    (mkdir(scratch, 0700) < 0 && errno != EEXIST)) {
		isb_log("harness", "cannot create %s: %s", scratch, strerror(errno));
		scratch[0] = 0;
		goto out;
	}
	if (isb_topo_load(&topo, NULL, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		goto out;
	}
	if (isb_store_create(&x.st, dbpath, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		goto out;
	}
	isb_log("harness", "campaign %s: results in %s", x.campaign_id, out);
	/* Tenants with network namespaces of their own meet in the test network. */
	bool need_net = s->test_network;
	for (size_t i = 0; i < s->nscenarios && !need_net; i++)
		for (size_t k = 0; k < s->nconfigs && !need_net; k++) {
			const struct isb_backend *b = isb_backend_find(s->configs[k].backend);
			need_net = s->scenarios[i].resource == ISB_RES_NETWORK && b &&
				   b->class != ISB_CLASS_NATIVE;
		}
	bool need_link = false; /* link_rate and a network scenario: the shaped link */
	for (size_t i = 0; i < s->nscenarios && s->link_rate; i++)
		need_link |= s->scenarios[i].resource == ISB_RES_NETWORK;
	if (need_net || need_link) {
		if (isb_testnet_create(x.campaign_id, state, &net, &err) < 0) {
			isb_log("harness", "test network unavailable: %s", err.msg);
			goto out;
		}
		isb_log("harness", "test network: %s (%s) <-> %s (%s)", net.ns[0], net.addr[0],
			net.ns[1], net.addr[1]);
	}
	if (need_link)
		link_setup(&x, &net);
	bool disk_json = false;
	if (plan_disk(s, x.campaign_id, state, scratch, &disk, disk_why, sizeof(disk_why)))
		disk_json = true;
	{
		json_object *host = isb_host_json(topo);
		char *settings = settings_json(s, disk_json ? isb_disk_json(s, &disk) : NULL);
		int r = isb_store_run(
		    x.st, &err, "INSERT INTO campaign VALUES(?,?,NULL,'running',?,?,?,?,?,?)",
		    "tiittttt", x.campaign_id, (long long)isb_wall_ns(), (long long)s->seed,
		    s->path, s->text, o->argv_str,
		    json_object_to_json_string_ext(host, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE),
		    settings);
		json_object_put(host);
		free(settings);
		if (r < 0 || store_metrics(x.st, &err) < 0) {
			isb_log("harness", "%s", err.msg);
			goto out;
		}
	}

	/* The attribution probes: loaded once for the campaign. */
	if (o->no_bpf)
		snprintf(x.attrib_why, sizeof(x.attrib_why), "--no-bpf");
	else if (!(x.attrib = isb_attrib_open(x.attrib_why, sizeof(x.attrib_why))))
		isb_log("harness", "attribution: eBPF probes unavailable: %s", x.attrib_why);
	else
		isb_debug("harness", "attribution: eBPF probes loaded (%s)",
			  isb_attrib_variant(x.attrib));

	/* Configurations: available and prepared, or recorded as unavailable with the reason. */
	x.cfgs = calloc(s->nconfigs, sizeof(*x.cfgs));
	char self[1024];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[sl > 0 ? sl : 0] = 0;
	const char *agent_env = getenv("ISOBENCH_AGENT");
	uint64_t memmax = (uint64_t)(s->memory_ceiling * (double)isb_mem_available());
	for (size_t i = 0; x.cfgs && i < s->nconfigs; i++) {
		struct rconfig *rc = &x.cfgs[i];
		struct isb_suite_config *sc = &s->configs[i];
		struct isb_err why = {0};
		snprintf(rc->c.name, sizeof(rc->c.name), "%s", sc->name);
		rc->c.backend = isb_backend_find(sc->backend);
		rc->c.time_scale = 1;
		for (size_t k = 0; k < sc->nopts; k++) {
			if (!strcmp(sc->opts[k].key, "time_scale")) {
				isb_parse_double(sc->opts[k].value, &rc->c.time_scale);
				continue;
			}
			memcpy(&rc->c.opts[rc->c.nopts++], &sc->opts[k], sizeof(sc->opts[k]));
		}
		snprintf(rc->c.campaign_id, sizeof(rc->c.campaign_id), "%s", x.campaign_id);
		snprintf(rc->c.state_dir, sizeof(rc->c.state_dir), "%s", state);
		/* the disk stressors' files on the campaign's own device when it has one */
		snprintf(rc->c.scratch_dir, sizeof(rc->c.scratch_dir), "%s",
			 disk.up ? disk.mnt : scratch);
		rc->c.disk_read_iops = disk.read_iops;
		rc->c.disk_write_bps = disk.write_bps;
		rc->c.agent_path = agent_env ? agent_env : self;
		rc->c.agent_is_isobench = !agent_env;
		rc->c.agent_main = isb_agent_main;
		rc->c.mem_ceiling_bytes = memmax;
		rc->c.pids_ceiling = s->pids_ceiling;
		rc->c.record_pid = isb_state_record_pid;
		isb_probe_host_ns(rc->c.host_ns, sizeof(rc->c.host_ns));
		if (net.up) {
			snprintf(rc->c.testnet_hub, sizeof(rc->c.testnet_hub), "%s", net.ns[0]);
			snprintf(rc->c.testnet_subnet, sizeof(rc->c.testnet_subnet), "%s",
				 net.subnet);
		}
		if (s->link_rate) {
			rc->c.link_rate_bps = s->link_rate;
			snprintf(rc->c.link_no_class, sizeof(rc->c.link_no_class), "%s",
				 x.link.up ? x.link.no_class : x.link_why);
		}
		if (!rc->c.backend->available(&why)) {
			snprintf(rc->unavailable, sizeof(rc->unavailable), "unavailable: %s",
				 why.msg);
		} else if (rc->c.backend->prepare(&rc->c, &err) < 0) {
			snprintf(rc->unavailable, sizeof(rc->unavailable), "unavailable: %s",
				 err.msg);
		} else {
			rc->prepared = true;
			link_note(&x, rc);
		}
		if (rc->unavailable[0])
			isb_log("harness", "config %s: %s", sc->name, rc->unavailable);
		char leaves[256], opts[1024] = "{}";
		json_object *oj = json_object_new_object();
		for (size_t k = 0; k < sc->nopts; k++)
			json_object_object_add(oj, sc->opts[k].key,
					       json_object_new_string(sc->opts[k].value));
		snprintf(opts, sizeof(opts), "%s",
			 json_object_to_json_string_ext(oj, JSON_C_TO_STRING_PLAIN));
		json_object_put(oj);
		isb_store_run(x.st, &err, "INSERT INTO config VALUES(?,?,?,?,?,?,?,?)",
			      "tttttti"
			      "t",
			      sc->name, sc->backend, isb_class_name(rc->c.backend->class), opts,
			      isb_leaves_str(rc->c.declared_leaves, leaves, sizeof(leaves)),
			      rc->c.cgroup_note, (long long)rc->prepared,
			      rc->unavailable[0] ? rc->unavailable : NULL);
	}

	/* Cells: configuration x scenario x placement, each runnable or skipped with the reason. */
	size_t maxcells = s->nconfigs * s->nscenarios * ISB_MAX_PLACEMENTS;
	x.cells = calloc(maxcells ? maxcells : 1, sizeof(*x.cells));
	x.max_reps = isb_suite_max_reps(s);
	trials = calloc(maxcells * x.max_reps * 2 + 1, sizeof(*trials));
	if (!x.cfgs || !x.cells || !trials) {
		isb_log("harness", "out of memory planning the campaign");
		goto out;
	}
	size_t runnable = 0;
	for (size_t ci = 0; ci < s->nconfigs; ci++) {
		for (size_t si = 0; si < s->nscenarios; si++) {
			struct isb_suite_scenario *sc = &s->scenarios[si];
			for (size_t pi = 0; pi < sc->nplacements; pi++) {
				struct rcell *c = &x.cells[x.ncells++];
				struct isb_why why = {{0}};
				char reason[400] = "", lbuf[300];
				const char *lskip;
				c->cfg = ci;
				c->sc = si;
				c->placement = sc->placements[pi];
				const struct isb_stressor *sv = isb_stressor_find(sc->victim),
							  *sa2 = isb_stressor_find(sc->aggressor);
				if (!x.cfgs[ci].prepared)
					snprintf(reason, sizeof(reason), "config %s %s",
						 x.cfgs[ci].c.name, x.cfgs[ci].unavailable);
				else if (sc->resource == ISB_RES_DISK && disk_why[0])
					snprintf(reason, sizeof(reason), "%s", disk_why);
				else if (isb_topo_place(topo, c->placement, &c->pl, &why) < 0)
					snprintf(reason, sizeof(reason), "placement %s: %s",
						 c->placement, why.reason);
				else if ((lskip =
					      link_skip(&x, &x.cfgs[ci], sc, lbuf, sizeof(lbuf))))
					snprintf(reason, sizeof(reason), "%s", lskip);
				else if (sv->unavailable && sv->unavailable())
					snprintf(reason, sizeof(reason),
						 "stressor %s unavailable: %s", sv->name,
						 sv->unavailable());
				else if (sa2->unavailable && sa2->unavailable())
					snprintf(reason, sizeof(reason),
						 "stressor %s unavailable: %s", sa2->name,
						 sa2->unavailable());
				else if (x.cfgs[ci].c.backend->unsupported) {
					const struct isb_config *cc = &x.cfgs[ci].c;
					struct isb_tenant_spec vsp = {
					    .stressor = sv->name,
					    .resource = sv->resource,
					    .talks_to_peer = sv->peer != NULL,
					};
					struct isb_tenant_spec asp = {
					    .stressor = sa2->name,
					    .resource = sa2->resource,
					    .talks_to_peer = sa2->peer != NULL,
					};
					const char *u = cc->backend->unsupported(cc, &vsp);
					const char *who = sv->name;
					if (!u) {
						u = cc->backend->unsupported(cc, &asp);
						who = sa2->name;
					}
					if (u)
						snprintf(reason, sizeof(reason), "%s: %s: %s",
							 cc->backend->name, who, u);
				}
				c->skipped = reason[0] != 0;
				char vo[1200] = "", ao[1200] = "";
				for (size_t k = 0, n = 0; k < sc->nvopts; k++)
					n += (size_t)snprintf(vo + n, sizeof(vo) - n, "%s%s",
							      k ? " " : "", sc->vopts[k]);
				for (size_t k = 0, n = 0; k < sc->naopts; k++)
					n += (size_t)snprintf(ao + n, sizeof(ao) - n, "%s%s",
							      k ? " " : "", sc->aopts[k]);
				if (isb_store_run(
					x.st, &err,
					"INSERT INTO cell(config, backend, resource, scenario, placement, resolved_placement,"
					" victim, aggressor, intensity, victim_opts, aggressor_opts, victim_cpus,"
					" aggressor_cpus, grade_metrics, status, reason) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
					"ttttttttdttttttt", x.cfgs[ci].c.name,
					s->configs[ci].backend, isb_resource_name(sc->resource),
					sc->name, c->placement, c->skipped ? NULL : c->pl.resolved,
					sc->victim, sc->aggressor, sc->intensity, vo, ao,
					c->skipped ? NULL : c->pl.victim_cpus,
					c->skipped ? NULL : c->pl.aggressor_cpus,
					sc->grade[0] ? sc->grade : NULL,
					c->skipped ? "skipped" : "planned",
					c->skipped ? reason : NULL) < 0) {
					isb_log("harness", "%s", err.msg);
					goto out;
				}
				c->id = isb_store_last_id(x.st);
				if (c->skipped) {
					isb_log("harness", "skip %s/%s/%s: %s", x.cfgs[ci].c.name,
						sc->name, c->placement, reason);
					continue;
				}
				runnable++;
				cell_graded_metrics(c, sc);
				c->vals = malloc((size_t)x.max_reps * 2 *
						 (c->ngraded ? c->ngraded : 1) * sizeof(double));
				for (size_t k = 0;
				     c->vals && k < (size_t)x.max_reps * 2 * c->ngraded; k++)
					c->vals[k] = NAN;
			}
		}
	}
	/* Paired design: each repetition is one baseline and one contended trial, adjacent, in
	 * a seeded random order; the pairs of every cell are interleaved in a seeded random
	 * order. Adaptive: after the first round of reps pairs, a cell whose interval is still
	 * wide (and its grade undecided) gets more pairs, up to max_reps. */
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, (unsigned long)s->seed);
	unsigned batch = s->reps > 1 ? (s->reps + 1) / 2 : 1;
	isb_log("harness", "%zu cells (%zu runnable), %u to %u pairs each, seed %llu", x.ncells,
		runnable, s->reps, x.max_reps, (unsigned long long)s->seed);
	uint64_t t0 = isb_now_ns();
	unsigned done = 0, planned = 0;
	for (unsigned round = 0; !isb_interrupted; round++) {
		size_t npairs = 0;
		for (size_t ci = 0; ci < x.ncells; ci++) {
			struct rcell *c = &x.cells[ci];
			if (c->skipped || c->settled)
				continue;
			unsigned add = round ? batch : s->reps;
			if (c->pairs + add > x.max_reps)
				add = x.max_reps - c->pairs;
			for (unsigned r = 0; r < add; r++) {
				bool base_first = gsl_rng_uniform_int(rng, 2) == 0;
				trials[npairs * 2] = (struct rtrial){
				    .cell = ci, .contended = !base_first, .rep = c->pairs + r};
				trials[npairs * 2 + 1] = (struct rtrial){
				    .cell = ci, .contended = base_first, .rep = c->pairs + r};
				/* contended = no (a smoke run): the baseline half only */
				if (s->baseline_only)
					trials[npairs * 2] = trials[npairs * 2 + 1] =
					    (struct rtrial){.cell = ci, .rep = c->pairs + r};
				npairs++;
			}
			c->pairs += add;
		}
		if (!npairs)
			break;
		if (npairs > 1)
			gsl_ran_shuffle(rng, trials, npairs, 2 * sizeof(*trials));
		ntrials = npairs * 2;
		if (s->baseline_only) /* one trial of each pair slot */
			for (size_t i = 0; i < npairs; i++)
				trials[i] = trials[2 * i];
		if (s->baseline_only)
			ntrials = npairs;
		planned += (unsigned)ntrials;
		if (round)
			isb_log("harness",
				"round %u: %zu more pairs for cells whose interval is "
				"still wide",
				round + 1, npairs);
		for (size_t i = 0; i < ntrials && !isb_interrupted; i++) {
			char summary[700] = "";
			int r = run_trial(&x, &trials[i], done + 1, summary, sizeof(summary));
			if (r == -EINTR)
				break;
			if (r < 0) {
				gsl_rng_free(rng);
				goto out;
			}
			done++;
			progress(o, done, planned, &x.cells[trials[i].cell], x.ncells, s,
				 &x.cfgs[x.cells[trials[i].cell].cfg], trials[i].contended, t0,
				 summary);
		}
		for (size_t ci = 0; ci < x.ncells; ci++) {
			struct rcell *c = &x.cells[ci];
			if (!c->skipped && !c->settled)
				c->settled = c->pairs >= x.max_reps || s->baseline_only ||
					     cell_settled(&x, c);
		}
	}
	gsl_rng_free(rng);
	if (o->progress_tty)
		fputc('\n', stderr);
	isb_store_run(x.st, &err, "UPDATE campaign SET status=?, finished_ns=?", "ti",
		      isb_interrupted ? "interrupted" : "complete", (long long)isb_wall_ns());
	if (isb_interrupted) {
		isb_log(
		    "harness",
		    "interrupted by signal %d after %u of %u trials: finished trials kept in %s",
		    isb_interrupted, done, planned, dbpath);
		ret = 128 + isb_interrupted;
	} else if (!runnable) {
		isb_log("harness",
			"no cell of this campaign can run here (see skipped cells in the report)");
		ret = ISB_EXIT_ERROR;
	} else {
		ret = ISB_EXIT_OK;
	}

out:
	isb_attrib_close(x.attrib);
	x.attrib = NULL;
	for (size_t i = 0; x.cfgs && i < s->nconfigs; i++)
		if (x.cfgs[i].prepared)
			x.cfgs[i].c.backend->cleanup(&x.cfgs[i].c);
	isb_store_close(x.st);
	x.st = NULL;
	if (net.up)
		isb_testnet_remove(x.campaign_id);
	isb_disk_remove(&disk); /* before the scratch directory its mount is in */
	if (state_made) {
		if (scratch[0])
			isb_remove_tree(scratch);
		isb_state_remove(state);
	}
	isb_topo_free(topo);
	if (ret != ISB_EXIT_ERROR || access(dbpath, F_OK) == 0) {
		if (!o->no_report && access(dbpath, F_OK) == 0) {
			struct isb_report_opts ro = {0};
			if (isb_report_write(out, &ro, &err) < 0) {
				isb_log("report", "%s", err.msg);
				if (ret == ISB_EXIT_OK)
					ret = ISB_EXIT_ERROR;
			} else {
				isb_log("report", "%s/report.md, cells.csv, trials.csv", out);
			}
		}
	}
	free(x.cfgs);
	for (size_t i = 0; x.cells && i < x.ncells; i++)
		free(x.cells[i].vals);
	free(x.cells);
	free(trials);
	return ret;
}
