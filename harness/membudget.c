/*
 * The node memory budget (memory_budget): during a scenario's trials the campaign's group,
 * which holds every tenant and peer, is limited to min(ceiling, budget), as a node's RAM
 * would be, and set back to the ceiling between trials (never written while tenants run).
 * Per trial it records which tenant the OOM killer chose.
 */
#include "config.h"
#include "harness/harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

int isb_budget_begin(struct isb_config *c, uint64_t budget, struct isb_err *err)
{
	struct isb_err e = {0};
	c->mem_budget_bytes = budget;
	if (!budget)
		return 0;
	if (isb_cgroup_campaign_set_memory(c->campaign_id, isb_config_mem_limit(c), &e) < 0) {
		c->mem_budget_bytes = 0;
		isb_errf(err, 0, "memory_budget: unavailable: %s", e.msg);
		return -1;
	}
	return 0;
}

void isb_budget_end(struct isb_config *c)
{
	struct isb_err err = {0};
	if (!c->mem_budget_bytes)
		return;
	c->mem_budget_bytes = 0;
	if (isb_cgroup_campaign_set_memory(c->campaign_id, c->mem_ceiling_bytes, &err) < 0)
		isb_log("harness", "memory_budget: could not set the ceiling back: %s", err.msg);
}

/* Whether the OOM killer took this tenant: its own group counted a kill, or it died of
 * SIGKILL by itself while the campaign's group counted one. */
static bool oom_took(const struct isb_tenant *t, bool spawned, long campaign_kills)
{
	if (!spawned)
		return false;
	if (t->oom_kills > 0)
		return true;
	return t->term_signal == SIGKILL && t->exited && campaign_kills > 0;
}

json_object *isb_budget_trial_json(const struct isb_config *c, uint64_t budget, long campaign_kills,
				   const struct isb_budget_tenants *bt)
{
	json_object *o = json_object_new_object(), *who = json_object_new_array();
	json_object_object_add(o, "budget_bytes",
			       budget ? json_object_new_int64((int64_t)budget) : NULL);
	if (budget) {
		uint64_t lim = budget < c->mem_ceiling_bytes || !c->mem_ceiling_bytes
				   ? budget
				   : c->mem_ceiling_bytes;
		json_object_object_add(o, "limit_bytes", json_object_new_int64((int64_t)lim));
	}
	json_object_object_add(o, "oom_kills",
			       campaign_kills >= 0 ? json_object_new_int64(campaign_kills) : NULL);
	long total = campaign_kills > 0 ? campaign_kills : 0, own = 0;
	if (oom_took(bt->victim, bt->victim_spawned, campaign_kills))
		json_object_array_add(who, json_object_new_string("victim"));
	if (oom_took(bt->aggressor, bt->aggressor_spawned, campaign_kills) ||
	    bt->aggressor_workers_killed > 0)
		json_object_array_add(who, json_object_new_string("aggressor"));
	if (oom_took(bt->peers[0], bt->peers_spawned[0], campaign_kills) ||
	    oom_took(bt->peers[1], bt->peers_spawned[1], campaign_kills))
		json_object_array_add(who, json_object_new_string("peer"));
	const struct isb_tenant *all[] = {bt->victim, bt->aggressor, bt->peers[0], bt->peers[1]};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(all); i++)
		if (all[i] && all[i]->oom_kills > 0)
			own += all[i]->oom_kills;
	/* v1 counts a kill in the killed task's group only; v2's memory.events also in every
	 * ancestor: the tenants' own groups' kills are given apart */
	json_object_object_add(o, "oom_kills_tenant_groups", json_object_new_int64(own));
	total += own;
	if (!json_object_array_length(who) && total > 0)
		json_object_array_add(who, json_object_new_string("unknown"));
	json_object_object_add(
	    o, "oom_chose",
	    json_object_array_length(who)
		? json_object_new_string(json_object_get_string(json_object_array_get_idx(who, 0)))
		: json_object_new_string("none"));
	json_object_object_add(o, "oom_killed", who);
	if (bt->victim_major_faults >= 0)
		json_object_object_add(o, "victim_major_faults",
				       json_object_new_double(bt->victim_major_faults));
	return o;
}
