/*
 * One trial: the aggressor (and its peer) started first and warmed up, then the victim
 * released at the start barrier with the probes, counters and host-side readings begun;
 * the victim stopped first, then the aggressor; the trial recorded in its own transaction.
 */
#include "config.h"
#include "harness/run.h"
#include "common/json.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* One trial's state, from its specs to its record. */
struct trial {
	struct ctx *x;
	const struct rtrial *tr;
	struct rcell *cell;
	struct rconfig *rc;
	const struct isb_suite_scenario *sc;
	/* this configuration's windows (time_scale: a slow backend such as TCG) */
	double duration, warmup, agg_warmup, grace;
	uint64_t budget; /* the node memory budget around every tenant of the trial */
	const char *vopt[ISB_MAX_SOPTS], *aopt[ISB_MAX_SOPTS];
	char budget_opt[48];
	struct isb_tenant_spec vs, as;
	struct tenant_run vic, agg, vpeer, apeer;
	char vaddr[64], aaddr[64];
	unsigned vclass, aclass; /* their classes on the shaped link, to delete */
	struct isb_counters ctr;
	struct isb_psi psi0;
	struct isb_hostuse hu; /* each tenant's use seen from the host */
	json_object *cg0, *attj, *link0, *samples, *aggj;
	uint64_t go_ns;
	bool bpf_on;
	enum isb_outcome outcome;
	char cause[600];
	uint64_t started, t0;
	long oom0;
};

static void trial_init(struct trial *t, struct ctx *x, const struct rtrial *tr)
{
	struct isb_suite *s = x->s;
	memset(t, 0, sizeof(*t));
	t->x = x;
	t->tr = tr;
	t->cell = &x->cells[tr->cell];
	t->rc = &x->cfgs[t->cell->cfg];
	t->sc = &s->scenarios[t->cell->sc];
	const double ts = t->rc->c.time_scale > 0 ? t->rc->c.time_scale : 1;
	t->duration = s->duration * ts;
	t->warmup = s->warmup * ts;
	t->agg_warmup =
	    (t->sc->aggressor_warmup >= 0 ? t->sc->aggressor_warmup : s->aggressor_warmup) * ts;
	t->grace = s->grace * ts;
	t->outcome = ISB_OUTCOME_OK;
	t->samples = json_object_new_array();
	t->aggj = json_object_new_object();
	t->started = isb_wall_ns();
	t->t0 = isb_now_ns();
	t->oom0 = isb_cgroup_oom_kills(x->campaign_id);

	spec_init(&t->vs, "victim", t->sc->victim, ISB_ROLE_VICTIM, t->sc->vopts, t->sc->nvopts,
		  t->vopt, &t->cell->pl.victim);
	t->vs.duration_s = t->duration;
	t->vs.warmup_s = t->warmup;
	t->vs.intensity = 100;
	t->vs.sample_interval_s = s->sample_interval;
	spec_init(&t->as, "aggressor", t->sc->aggressor, ISB_ROLE_AGGRESSOR, t->sc->aopts,
		  t->sc->naopts, t->aopt, &t->cell->pl.aggressor);
	/* The aggressor's own deadline: it is told to stop long before this. */
	t->as.duration_s = t->agg_warmup + t->warmup + t->duration + 2 * t->grace + 30;
	t->as.intensity = t->sc->intensity;
	t->as.sample_interval_s = 0;
}

static void trial_release(struct trial *t)
{
	isb_counters_close(&t->ctr);
	json_object_put(t->cg0);
	json_object_put(t->link0);
	json_object_put(t->attj);
	json_object_put(t->samples);
	json_object_put(t->aggj);
	tenant_release(&t->vic);
	tenant_release(&t->agg);
	tenant_release(&t->vpeer);
	tenant_release(&t->apeer);
}

static void trial_fail(struct trial *t, enum isb_outcome o, const char *cause)
{
	t->outcome = o;
	snprintf(t->cause, sizeof(t->cause), "%s", cause);
}

/* The node memory budget begun, and memory.bomb told it. 0, or -1 (an error trial). */
static int trial_budget(struct trial *t)
{
	struct isb_err err = {0};
	t->budget = isb_suite_budget(t->x->s, t->sc);
	if (isb_budget_begin(&t->rc->c, t->budget, &err) < 0) {
		trial_fail(t, ISB_OUTCOME_ERROR, err.msg);
		return -1;
	}
	if (!t->budget || t->as.nopts >= ISB_MAX_SOPTS)
		return 0;
	const struct isb_stressor *ast = isb_stressor_find(t->sc->aggressor);
	bool has = false, given = false;
	for (size_t k = 0; ast && ast->options && ast->options[k].name; k++)
		has |= !strcmp(ast->options[k].name, "budget_mb");
	for (size_t k = 0; k < t->as.nopts; k++)
		given |= !strncmp(t->as.opts[k], "budget_mb=", 10);
	if (has && !given) {
		snprintf(t->budget_opt, sizeof(t->budget_opt), "budget_mb=%llu",
			 (unsigned long long)(isb_config_mem_limit(&t->rc->c) >> 20));
		t->aopt[t->as.nopts++] = t->budget_opt;
	}
	return 0;
}

/* The aggressor (and its peer) running and warmed up. 0, or -1: an error trial or
 * interrupted; the victim does not start. */
static int aggressor_start(struct trial *t)
{
	struct tenant_run *agg = &t->agg;
	if (peer_start(t->x, t->rc, t->sc->aggressor, "aggressor-peer", &t->cell->pl.aggressor,
		       &t->apeer, t->aaddr, sizeof(t->aaddr)) < 0) {
		trial_fail(t, ISB_OUTCOME_ERROR, t->apeer.err.msg);
		return -1;
	}
	t->as.peer = t->aaddr[0] ? t->aaddr : NULL;
	if (link_client_start(t->x, t->rc, &t->as, agg, &t->aclass) < 0 ||
	    tenant_say(agg, ISB_CMD_GO) < 0) {
		trial_fail(t, ISB_OUTCOME_ERROR,
			   agg->err.msg[0] ? agg->err.msg : "aggressor: no barrier");
		return -1;
	}
	json_object_object_add(t->aggj, "startup_ns",
			       json_object_new_int64((int64_t)(agg->ready_ns - agg->t.spawn_ns)));
	interruptible_sleep((uint64_t)(t->agg_warmup * 1e9));
	return isb_interrupted ? -1 : 0;
}

/* Before the barrier: the probes learn the tenants; the counters, cgroup, link, host-side
 * and pressure readings begin. */
static void window_begin(struct trial *t)
{
	struct tenant_run *vic = &t->vic, *agg = &t->agg;
	pid_t vp[20], ap[20];
	size_t nv = 0, na = 0;
	isb_counters_open_tasks(&t->ctr, vic->t.pid, vic->t.threads, vic->t.nthreads);
	vp[nv++] = vic->t.pid;
	for (size_t k = 0; k < vic->t.nthreads && nv < ISB_ARRAY_SIZE(vp); k++)
		vp[nv++] = vic->t.threads[k];
	if (agg->spawned && agg->t.pid > 0) {
		ap[na++] = agg->t.pid;
		for (size_t k = 0; k < agg->t.nthreads && na < ISB_ARRAY_SIZE(ap); k++)
			ap[na++] = agg->t.threads[k];
	}
	t->bpf_on = t->x->attrib && isb_attrib_begin(t->x->attrib, vp, nv, ap, na) == 0;
	t->cg0 = isb_cgstat_read(&vic->t);
	t->link0 = t->x->link.up ? isb_link_stats(&t->x->link) : NULL;
	isb_hostuse_begin(&t->hu, &vic->t, agg->spawned ? &agg->t : NULL);
	isb_psi_read(&t->psi0);
	t->go_ns = isb_now_ns();
}

/* The victim (and its peer) started, released at the barrier and its result collected. */
static void victim_run(struct trial *t)
{
	struct tenant_run *vic = &t->vic;
	if (peer_start(t->x, t->rc, t->sc->victim, "victim-peer", &t->cell->pl.victim, &t->vpeer,
		       t->vaddr, sizeof(t->vaddr)) < 0) {
		trial_fail(t, ISB_OUTCOME_ERROR, t->vpeer.err.msg);
		return;
	}
	t->vs.peer = t->vaddr[0] ? t->vaddr : NULL;
	if (link_client_start(t->x, t->rc, &t->vs, vic, &t->vclass) < 0) {
		trial_fail(t, ISB_OUTCOME_FAILED, vic->err.msg);
		return;
	}
	window_begin(t);
	if (tenant_say(vic, ISB_CMD_GO) < 0) {
		trial_fail(t, ISB_OUTCOME_FAILED, "victim: stdin closed at the barrier");
		return;
	}
	uint64_t deadline = isb_now_ns() + (uint64_t)((t->warmup + t->duration + t->grace) * 1e9);
	if (tenant_collect(vic, deadline, t->samples, "victim") != 1)
		trial_fail(t, ISB_OUTCOME_FAILED, vic->err.msg);
}

/* The victim's window closed (attribution, link, host-side use) and the victim stopped:
 * its exit decides a failure and its cause. */
static void victim_stop(struct trial *t)
{
	struct tenant_run *vic = &t->vic, *agg = &t->agg;
	struct ctx *x = t->x;
	if (vic->spawned && t->go_ns) {
		double win = (double)(isb_now_ns() - t->go_ns) / 1e9;
		t->attj = attribution_end(x, t->bpf_on, win, &t->psi0, t->cg0, &vic->t,
					  t->rc->c.backend->name);
		/* what crossed the shaped link meanwhile: the link's and each class's bytes */
		cleanup_json json_object *link1 = t->link0 ? isb_link_stats(&x->link) : NULL;
		json_object *lj =
		    isb_link_delta(&x->link, t->link0, link1, t->vclass, t->aclass, win);
		if (lj)
			json_object_object_add(t->attj, "link", lj);
	}
	isb_hostuse_end(&t->hu, t->attj, &vic->t, agg->spawned ? &agg->t : NULL, x->attrib_why);
	if (vic->spawned) {
		char *cause = t->cause;
		size_t size = sizeof(t->cause);
		t->rc->c.backend->stop(&vic->t, 2000000000ull);
		long oom1 = isb_cgroup_oom_kills(x->campaign_id);
		isb_counters_read(&t->ctr);
		bool died = vic->t.term_signal || vic->t.exit_code;
		if (t->outcome == ISB_OUTCOME_OK && died) {
			t->outcome = ISB_OUTCOME_FAILED;
			exit_cause(&vic->t, t->oom0, oom1, cause, size);
		} else if (t->outcome == ISB_OUTCOME_FAILED && !cause[0]) {
			exit_cause(&vic->t, t->oom0, oom1, cause, size);
		} else if (t->outcome == ISB_OUTCOME_FAILED && died) {
			size_t n = strlen(cause);
			snprintf(cause + n, size - n, " (");
			exit_cause(&vic->t, t->oom0, oom1, cause + n + 2, size - n - 2);
			n = strlen(cause);
			snprintf(cause + n, size - n, ")");
		}
	}
	peer_stop(t->rc, &t->vpeer);
}

/* The aggressor stopped after the victim: its result, or why it gave none, beside the
 * victim's numbers. */
static void aggressor_stop(struct trial *t)
{
	struct tenant_run *agg = &t->agg;
	if (!agg->spawned)
		return;
	if (tenant_say(agg, ISB_CMD_STOP) == 0 && t->outcome != ISB_OUTCOME_ERROR)
		tenant_collect(agg, isb_now_ns() + 3000000000ull, NULL, "aggressor");
	t->rc->c.backend->stop(&agg->t, 1000000000ull);
	if (agg->info)
		json_object_object_add(t->aggj, "info", json_object_get(agg->info));
	if (agg->result) {
		json_object_object_add(t->aggj, "metrics", json_object_get(agg->result));
	} else {
		/* The victim met the aggressor until it died: its numbers stand, and the
		 * report shows the aggressor's death beside them. */
		char ec[160], msg[600];
		exit_cause(&agg->t, t->oom0, isb_cgroup_oom_kills(t->x->campaign_id), ec,
			   sizeof(ec));
		snprintf(msg, sizeof(msg), "aggressor gave no result: %s%s%s", agg->err.msg,
			 agg->err.msg[0] ? "; " : "", ec);
		json_object_object_add(t->aggj, "died", json_object_new_string(msg));
	}
	if (agg->err.msg[0])
		json_object_object_add(t->aggj, "error", json_object_new_string(agg->err.msg));
}

/* Which tenant the OOM killer chose, and the budget the trial ran under; the budget ends. */
static void trial_memory(struct trial *t)
{
	long oom2 = isb_cgroup_oom_kills(t->x->campaign_id);
	json_object *v;
	struct isb_budget_tenants bt = {
	    .victim = &t->vic.t,
	    .aggressor = &t->agg.t,
	    .peers = {&t->vpeer.t, &t->apeer.t},
	    .victim_spawned = t->vic.spawned,
	    .aggressor_spawned = t->agg.spawned,
	    .peers_spawned = {t->vpeer.spawned, t->apeer.spawned},
	    .victim_major_faults = -1,
	};
	if (t->vic.result && json_object_object_get_ex(t->vic.result, "major_faults", &v))
		bt.victim_major_faults = json_object_get_double(v);
	if (t->agg.result && json_object_object_get_ex(t->agg.result, "workers_oom_killed", &v))
		bt.aggressor_workers_killed = json_object_get_double(v);
	json_object *mem = isb_budget_trial_json(
	    &t->rc->c, t->budget, t->oom0 >= 0 && oom2 >= 0 ? oom2 - t->oom0 : -1, &bt);
	isb_budget_end(&t->rc->c);
	if (!t->attj)
		t->attj = json_object_new_object();
	json_object_object_add(t->attj, "memory", mem);
}

static const char *json_text(json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE)
		 : NULL;
}

static int trial_store(struct trial *t, unsigned seq)
{
	struct isb_err err = {0};
	struct tenant_run *vic = &t->vic, *agg = &t->agg;
	char declared[256];
	json_object *pl = NULL;
	if (t->attj)
		attribution_perf(
		    t->attj, &t->ctr,
		    json_object_get_double(json_object_object_get(t->attj, "window_s")));
	cleanup_json json_object *cj = isb_counters_json(&t->ctr);
	if (vic->probe)
		json_object_object_get_ex(vic->probe, "leaves", &pl);
	/* another campaign beside it, at its start or now: its numbers are not this host's */
	campaign_contamination(t->x);
	if (t->x->contaminated[0]) {
		if (!vic->info)
			vic->info = json_object_new_object();
		json_object_object_add(vic->info, "contaminated",
				       json_object_new_string(t->x->contaminated));
	}
	struct isb_trial_row row = {
	    .cell_id = t->cell->id,
	    .contended = t->tr->contended,
	    .rep = t->tr->rep,
	    .seq = seq,
	    .outcome = t->outcome,
	    .cause = t->cause[0] ? t->cause : NULL,
	    .started_ns = (long long)t->started,
	    .wall_s = (double)(isb_now_ns() - t->t0) / 1e9,
	    .victim_startup_ns = vic->ready_ns ? (long long)(vic->ready_ns - vic->t.spawn_ns) : -1,
	    .aggressor_startup_ns =
		agg->ready_ns ? (long long)(agg->ready_ns - agg->t.spawn_ns) : -1,
	    .metrics_json = json_text(vic->result),
	    .samples_json = json_object_to_json_string_ext(t->samples, JSON_C_TO_STRING_PLAIN),
	    .counters_json = json_text(cj),
	    .aggressor_json = json_text(t->aggj),
	    .info_json = json_text(vic->info),
	    .declared_leaves = isb_leaves_str(t->rc->c.declared_leaves, declared, sizeof(declared)),
	    .probed_leaves = pl ? json_object_get_string(pl) : NULL,
	    .probe_json = json_text(vic->probe),
	    .attribution_json = json_text(t->attj),
	};
	int r = isb_store_trial(t->x->st, &row, &err);
	if (r < 0)
		isb_log("harness", "store: %s", err.msg);
	return r;
}

static void trial_summary(const struct trial *t, char *summary, size_t ssize)
{
	const char *name = isb_outcome_name(t->outcome);
	json_object *v;
	if (!t->vic.result)
		snprintf(summary, ssize, "%s: %s", name, t->cause);
	else if (json_object_object_get_ex(t->vic.result, "ops_per_s", &v))
		snprintf(summary, ssize, "%s ops_per_s=%.4g", name, json_object_get_double(v));
	else
		snprintf(summary, ssize, "%s", name);
}

int run_trial(struct ctx *x, const struct rtrial *tr, unsigned seq, char *summary, size_t ssize)
{
	struct trial *t = malloc(sizeof(*t));
	int r = -EINTR;
	if (!t)
		return -ENOMEM;
	trial_init(t, x, tr);
	if (trial_budget(t) == 0 && (!tr->contended || aggressor_start(t) == 0)) {
		victim_run(t);
		victim_stop(t);
	}
	aggressor_stop(t);
	peer_stop(t->rc, &t->apeer);
	peer_stop(t->rc, &t->vpeer); /* when the victim never started */
	isb_link_class_del(&x->link, t->vclass);
	isb_link_class_del(&x->link, t->aclass);
	trial_memory(t);
	if (isb_interrupted)
		goto out_release;
	r = trial_store(t, seq);
	if (r == 0)
		cell_record(x, tr, t->outcome == ISB_OUTCOME_OK ? t->vic.result : NULL, t->outcome);
	trial_summary(t, summary, ssize);
out_release:
	trial_release(t);
	free(t);
	return r;
}
