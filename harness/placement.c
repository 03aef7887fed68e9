/*
 * Placement: where victim and aggressor run relative to each other, from
 * the hwloc topology. "shared" puts both on the same PU; "split" on disjoint
 * PUs that share as much as the machine allows; smt/core/llc/numa/package on
 * disjoint PUs whose deepest shared object is exactly that level:
 *   smt     a core (sibling hardware threads)
 *   core    a cache shared by several cores that is not the last level (L2 cluster)
 *   llc     the last-level cache
 *   numa    a NUMA node, but no cache
 *   package a package, but neither a cache nor a NUMA node
 * A placement the machine cannot give is refused with the reason, and the
 * harness skips its cells. Synthetic topologies make this testable anywhere.
 */
#include "config.h"
#include "harness/harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fill_strings(struct isb_placement *p)
{
	isb_cpuset_str(&p->victim, p->victim_cpus, sizeof(p->victim_cpus));
	isb_cpuset_str(&p->aggressor, p->aggressor_cpus, sizeof(p->aggressor_cpus));
}

#ifdef HAVE_HWLOC
#include <hwloc.h>

struct isb_topology {
	hwloc_topology_t topo;
	bool synthetic;
};

int isb_topo_load(struct isb_topology **out, const char *synthetic, struct isb_err *err)
{
	struct isb_topology *t = calloc(1, sizeof(*t));
	if (!t)
		return isb_errf(err, ENOMEM, "hwloc topology");
	if (hwloc_topology_init(&t->topo) < 0) {
		free(t);
		return isb_errf(err, errno, "hwloc_topology_init");
	}
	if (synthetic && hwloc_topology_set_synthetic(t->topo, synthetic) < 0) {
		int e = errno;
		hwloc_topology_destroy(t->topo);
		free(t);
		return isb_errf(err, e, "hwloc synthetic topology '%s'", synthetic);
	}
	t->synthetic = synthetic != NULL;
	if (hwloc_topology_load(t->topo) < 0) {
		int e = errno;
		hwloc_topology_destroy(t->topo);
		free(t);
		return isb_errf(err, e, "hwloc_topology_load");
	}
	*out = t;
	return 0;
}

void isb_topo_free(struct isb_topology *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->topo);
	free(t);
}

static bool has_cache_above(hwloc_obj_t o)
{
	for (hwloc_obj_t p = o->parent; p; p = p->parent)
		if (hwloc_obj_type_is_cache(p->type))
			return true;
	return false;
}

/* The placement class of two distinct PUs: what the deepest shared object is. */
static const char *classify(hwloc_topology_t topo, hwloc_obj_t a, hwloc_obj_t b)
{
	hwloc_obj_t anc = hwloc_get_common_ancestor_obj(topo, a, b);
	if (anc->type == HWLOC_OBJ_CORE)
		return "smt";
	if (hwloc_obj_type_is_cache(anc->type))
		return has_cache_above(anc) ? "core" : "llc";
	if (hwloc_bitmap_weight(a->nodeset) == 1 && hwloc_bitmap_isequal(a->nodeset, b->nodeset))
		return "numa";
	for (hwloc_obj_t p = anc; p; p = p->parent)
		if (p->type == HWLOC_OBJ_PACKAGE)
			return "package";
	return "machine";
}

static int depth_rank(const char *cls)
{
	static const char *const order[] = {"smt", "core", "llc", "numa", "package", "machine"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(order); i++)
		if (!strcmp(order[i], cls))
			return (int)i;
	return 99;
}

static void set_pu(cpu_set_t *s, hwloc_obj_t pu)
{
	CPU_ZERO(s);
	CPU_SET(pu->os_index, s);
}

int isb_topo_place(struct isb_topology *t, const char *placement, struct isb_placement *out,
		   struct isb_err *err)
{
	int npu = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
	memset(out, 0, sizeof(*out));
	if (npu <= 0) {
		isb_errf(err, 0, "hwloc found no PU");
		return -1;
	}
	if (!strcmp(placement, "shared")) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, 0);
		set_pu(&out->victim, pu);
		set_pu(&out->aggressor, pu);
		snprintf(out->resolved, sizeof(out->resolved), "shared");
		fill_strings(out);
		return 0;
	}
	if (npu < 2) {
		isb_errf(err, 0, "%s needs two PUs and this machine lets isobench use one",
			 placement);
		return -1;
	}
	bool split = !strcmp(placement, "split");
	int best = 100;
	hwloc_obj_t ba = NULL, bb = NULL;
	const char *bcls = NULL;
	for (int i = 0; i < npu; i++) {
		hwloc_obj_t a = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, (unsigned)i);
		for (int j = i + 1; j < npu; j++) {
			hwloc_obj_t b = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, (unsigned)j);
			const char *cls = classify(t->topo, a, b);
			int rank = depth_rank(cls);
			if ((split && rank < best) || (!split && !strcmp(cls, placement))) {
				best = rank;
				ba = a;
				bb = b;
				bcls = cls;
				if (!split)
					goto found;
			}
		}
	}
	if (!ba) {
		isb_errf(err, 0,
			 "no two PUs of this machine share exactly a %s (see 'isobench probe')",
			 !strcmp(placement, "smt")    ? "core (no SMT)"
			 : !strcmp(placement, "core") ? "non-last-level cache"
			 : !strcmp(placement, "llc")  ? "last-level cache"
			 : !strcmp(placement, "numa") ? "NUMA node without a cache"
						      : "package without a cache or NUMA node");
		return -1;
	}
found:
	set_pu(&out->victim, ba);
	set_pu(&out->aggressor, bb);
	snprintf(out->resolved, sizeof(out->resolved), "%s", bcls);
	fill_strings(out);
	return 0;
}

void isb_topo_summary(struct isb_topology *t, char *buf, size_t size)
{
	int pk = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE);
	int nn = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	int co = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	int pu = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
	unsigned long long llc = 0;
	int nllc = 0;
	for (hwloc_obj_t o = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_PU, NULL); o;
	     o = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_PU, o)) {
		hwloc_obj_t top = NULL;
		for (hwloc_obj_t p = o->parent; p; p = p->parent)
			if (hwloc_obj_type_is_cache(p->type))
				top = p;
		if (top && top->attr) {
			llc = top->attr->cache.size;
			nllc = hwloc_get_nbobjs_by_depth(t->topo, top->depth);
		}
		break;
	}
	snprintf(buf, size,
		 "%d package%s, %d NUMA node%s, %d core%s, %d PU%s, %d LLC of %llu KiB%s", pk,
		 pk == 1 ? "" : "s", nn, nn == 1 ? "" : "s", co, co == 1 ? "" : "s", pu,
		 pu == 1 ? "" : "s", nllc, llc / 1024, t->synthetic ? " (synthetic)" : "");
}

json_object *isb_topo_json(struct isb_topology *t)
{
	json_object *o = json_object_new_object();
	char sum[256];
	isb_topo_summary(t, sum, sizeof(sum));
	json_object_object_add(o, "summary", json_object_new_string(sum));
	json_object_object_add(
	    o, "packages",
	    json_object_new_int(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE)));
	json_object_object_add(
	    o, "numa_nodes",
	    json_object_new_int(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE)));
	json_object_object_add(
	    o, "cores", json_object_new_int(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE)));
	json_object_object_add(
	    o, "pus", json_object_new_int(hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU)));
	char buf[1024];
	if (hwloc_topology_export_synthetic(t->topo, buf, sizeof(buf), 0) >= 0)
		json_object_object_add(o, "synthetic", json_object_new_string(buf));
	json_object_object_add(o, "hwloc", json_object_new_string(ISB_HWLOC_VERSION));
	return o;
}

#else /* !HAVE_HWLOC: only what needs no topology */

struct isb_topology {
	cpu_set_t allowed;
};

int isb_topo_load(struct isb_topology **out, const char *synthetic, struct isb_err *err)
{
	if (synthetic)
		return isb_errf(err, 0, "synthetic topologies need hwloc (built --without-hwloc)");
	struct isb_topology *t = calloc(1, sizeof(*t));
	if (!t)
		return isb_errf(err, ENOMEM, "topology");
	sched_getaffinity(0, sizeof(t->allowed), &t->allowed);
	*out = t;
	return 0;
}

void isb_topo_free(struct isb_topology *t)
{
	free(t);
}

int isb_topo_place(struct isb_topology *t, const char *placement, struct isb_placement *out,
		   struct isb_err *err)
{
	int first = -1, second = -1;
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &t->allowed))
			continue;
		if (first < 0)
			first = i;
		else if (second < 0)
			second = i;
	}
	if (!strcmp(placement, "shared") || (!strcmp(placement, "split") && second >= 0)) {
		CPU_SET(first, &out->victim);
		CPU_SET(!strcmp(placement, "shared") ? first : second, &out->aggressor);
		snprintf(out->resolved, sizeof(out->resolved), "%s", placement);
		fill_strings(out);
		return 0;
	}
	isb_errf(err, 0, "placement %s needs hwloc (built --without-hwloc)", placement);
	return -1;
}

void isb_topo_summary(struct isb_topology *t, char *buf, size_t size)
{
	snprintf(buf, size, "%d PUs (no hwloc: built --without-hwloc)", CPU_COUNT(&t->allowed));
}

json_object *isb_topo_json(struct isb_topology *t)
{
	json_object *o = json_object_new_object();
	char sum[128];
	isb_topo_summary(t, sum, sizeof(sum));
	json_object_object_add(o, "summary", json_object_new_string(sum));
	json_object_object_add(o, "hwloc",
			       json_object_new_string("unavailable: built --without-hwloc"));
	return o;
}
#endif
