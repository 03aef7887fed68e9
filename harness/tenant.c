/*
 * One tenant's life as the runner sees it: spawned through its configuration's backend,
 * ready, released at the barrier, its events collected, stopped; the peers network
 * stressors talk to, and where each tenant sits on the shaped link (link_rate).
 */
#include "config.h"
#include "harness/run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void interruptible_sleep(uint64_t ns)
{
	uint64_t end = isb_now_ns() + ns;
	while (!isb_interrupted && isb_now_ns() < end) {
		uint64_t left = end - isb_now_ns();
		isb_sleep_ns(left > 20000000 ? 20000000 : left);
	}
}

/* Spawn and wait for "ready". Returns 0, or negative with tr->err filled. */
int tenant_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *spec,
		 struct tenant_run *tr)
{
	struct isb_err err = {0};
	char line[4096];
	memset(tr, 0, sizeof(*tr));
	tr->t.in_fd = tr->t.out_fd = -1;
	if (rc->c.backend->spawn(&rc->c, spec, &tr->t, &err) < 0) {
		isb_errf(&tr->err, 0, "%s spawn: %s", spec->label, err.msg);
		return -1;
	}
	tr->spawned = true;
	tr->rd.fd = tr->t.out_fd;
	uint64_t deadline = isb_now_ns() + (uint64_t)(30e9 * rc->c.time_scale);
	for (;;) {
		int r = isb_read_line(&tr->rd, deadline, line, sizeof(line));
		if (r == -EINTR)
			return isb_errf(&tr->err, 0, "interrupted"), -EINTR;
		if (r <= 0) {
			isb_errf(&tr->err, 0, "%s: %s before ready", spec->label,
				 r == 0 ? "exited" : "timed out (30 s)");
			return -1;
		}
		struct isb_event ev;
		if (isb_event_parse(line, &ev, &err) < 0) {
			isb_errf(&tr->err, 0, "%s: %s", spec->label, err.msg);
			return -1;
		}
		enum isb_event_type type = ev.type;
		json_object *m;
		if (type == ISB_EV_ERROR && json_object_object_get_ex(ev.obj, ISB_KEY_MESSAGE, &m))
			isb_errf(&tr->err, 0, "%s: %s", spec->label, json_object_get_string(m));
		if (type != ISB_EV_READY)
			json_object_put(ev.obj);
		if (type == ISB_EV_READY) {
			tr->ready_ns = isb_now_ns();
			json_object_put(tr->ready_info);
			tr->ready_info = NULL;
			if (json_object_object_get_ex(ev.obj, ISB_KEY_INFO, &m))
				tr->ready_info = json_object_get(m);
			json_object_put(tr->probe);
			tr->probe = NULL;
			if (json_object_object_get_ex(ev.obj, ISB_KEY_PROBE, &m))
				tr->probe = json_object_get(m);
			json_object_put(ev.obj);
			return 0;
		}
		if (type == ISB_EV_ERROR)
			return -1;
	}
}

int tenant_say(const struct tenant_run *tr, const char *word)
{
	char line[16];
	int n = snprintf(line, sizeof(line), "%s\n", word);
	return tr->t.in_fd >= 0 && write(tr->t.in_fd, line, (size_t)n) == n ? 0 : -EPIPE;
}

/* Read events until result/error/EOF/deadline. samples may be NULL. Returns 1 result, 0 other. */
int tenant_collect(struct tenant_run *tr, uint64_t deadline, json_object *samples,
		   const char *label)
{
	char line[65536];
	struct isb_err err = {0};
	for (;;) {
		int r = isb_read_line(&tr->rd, deadline, line, sizeof(line));
		if (r == -EINTR)
			return isb_errf(&tr->err, 0, "interrupted"), 0;
		if (r == -ETIMEDOUT) {
			isb_errf(&tr->err, 0, "%s timed out: no result by its deadline", label);
			return 0;
		}
		if (r <= 0)
			return 0; /* EOF: the cause comes from the exit status */
		struct isb_event ev;
		if (isb_event_parse(line, &ev, &err) < 0) {
			isb_errf(&tr->err, 0, "%s: %s", label, err.msg);
			return 0;
		}
		json_object *f, *g;
		switch (ev.type) {
		case ISB_EV_SAMPLE:
			if (samples && json_object_object_get_ex(ev.obj, ISB_KEY_T_NS, &f) &&
			    json_object_object_get_ex(ev.obj, ISB_KEY_OPS, &g)) {
				json_object *pair = json_object_new_array();
				json_object_array_add(pair, json_object_get(f));
				json_object_array_add(pair, json_object_get(g));
				json_object_array_add(samples, pair);
			}
			break;
		case ISB_EV_RESULT:
			json_object_object_get_ex(ev.obj, ISB_KEY_METRICS, &f);
			tr->result = json_object_get(f);
			if (json_object_object_get_ex(ev.obj, ISB_KEY_INFO, &g))
				tr->info = json_object_get(g);
			json_object_put(ev.obj);
			return 1;
		case ISB_EV_ERROR:
			json_object_object_get_ex(ev.obj, ISB_KEY_MESSAGE, &f);
			isb_errf(&tr->err, 0, "%s: %s", label, json_object_get_string(f));
			json_object_put(ev.obj);
			return 0;
		default:
			break;
		}
		json_object_put(ev.obj);
	}
}

/* oom_before/after: the campaign cgroup's OOM kill count around the tenant's life. */
void exit_cause(const struct isb_tenant *t, long oom_before, long oom_after, char *buf, size_t size)
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

void spec_init(struct isb_tenant_spec *sp, const char *label, const char *stressor, unsigned role,
	       const char (*opts)[128], size_t nopts, const char **optv, const cpu_set_t *cpus)
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
		isb_errf(&pr->err, 0, "%s: %s", ps->label, err.msg);
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
int link_client_start(struct ctx *x, struct rconfig *rc, const struct isb_tenant_spec *sp,
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
		isb_errf(&tr->err, 0, "%s: %s", sp->label, err.msg);
		return -1;
	}
	int r = link_tenant_start(x, rc, sp, tr);
	isb_link_leave(saved);
	if (r < 0 || !rc->c.net_class_rate)
		return r;
	if (!tr->t.addr[0]) {
		isb_errf(&tr->err, 0, "%s: no address of its own for its class on the link",
			 sp->label);
		return -1;
	}
	if (isb_link_class_add(&x->link, tr->t.addr, rc->c.net_class_rate, rc->c.net_class_ceil,
			       class_id, &err) < 0) {
		isb_errf(&tr->err, 0, "%s: link class: %s", sp->label, err.msg);
		return -1;
	}
	return 0;
}

/* Starts the peer (server end) a network stressor needs, pinned like its client, and
 * fills addr with where the client finds it. 0, or -1 with pr->err. */
int peer_start(struct ctx *x, struct rconfig *rc, const char *stressor, const char *label,
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
	if (r < 0 || tenant_say(pr, ISB_CMD_GO) < 0)
		return -1;
	if (!pr->ready_info || !json_object_object_get_ex(pr->ready_info, "port", &port)) {
		isb_errf(&pr->err, 0, "%s: ready without a port", label);
		return -1;
	}
	snprintf(addr, size, "%s:%s",
		 pr->t.addr[0] ? pr->t.addr
		 : x->link.up  ? x->link.far_addr
			       : "127.0.0.1",
		 json_object_get_string(port));
	return 0;
}

void peer_stop(struct rconfig *rc, struct tenant_run *pr)
{
	if (!pr->spawned)
		return;
	if (tenant_say(pr, ISB_CMD_STOP) == 0)
		tenant_collect(pr, isb_now_ns() + 2000000000ull, NULL, "peer");
	rc->c.backend->stop(&pr->t, 1000000000ull);
	tenant_release(pr);
}

void tenant_release(struct tenant_run *tr)
{
	json_object_put(tr->result);
	json_object_put(tr->info);
	json_object_put(tr->ready_info);
	json_object_put(tr->probe);
	tr->result = tr->info = tr->ready_info = tr->probe = NULL;
}
