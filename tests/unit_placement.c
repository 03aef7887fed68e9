/*
 * Placement on synthetic hwloc topologies (no hardware needed) and on this
 * machine: each named placement yields disjoint PUs whose deepest shared
 * object is that level, or is refused with the reason.
 */
#include "config.h"
#include "harness/harness.h"
#include "unit.h"

static void expect(struct isb_topology *t, const char *pl, const char *resolved, const char *v,
		   const char *a)
{
	struct isb_placement p;
	struct isb_err why = {0};
	if (isb_topo_place(t, pl, &p, &why) < 0)
		fail_msg("%s refused: %s", pl, why.msg);
	assert_string_equal(p.resolved, resolved);
	assert_string_equal(p.victim_cpus, v);
	assert_string_equal(p.aggressor_cpus, a);
}

static void expect_refused(struct isb_topology *t, const char *pl, const char *why_part)
{
	struct isb_placement p;
	struct isb_err why = {0};
	assert_int_equal(isb_topo_place(t, pl, &p, &why), -1);
	if (!strstr(why.msg, why_part))
		fail_msg("%s: reason '%s' lacks '%s'", pl, why.msg, why_part);
}

#ifdef HAVE_HWLOC
/* 2 packages x 2 NUMA nodes x 1 L3 x 2 L2 x 2 cores x 2 PUs: every level exists. */
static void test_rich_topology(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	assert_int_equal(isb_topo_load(&t, "pack:2 numa:2 l3:1 l2:2 core:2 pu:2", &err), 0);
	expect(t, "shared", "shared", "0", "0");
	expect(t, "smt", "smt", "0", "1");
	expect(t, "split", "smt", "0", "1");
	expect(t, "core", "core", "0", "2");
	expect(t, "llc", "llc", "0", "4");
	expect(t, "package", "package", "0", "8");
	/* a NUMA node shared without a cache: not in this topology (L3 per node) */
	expect_refused(t, "numa", "NUMA node without a cache");
	isb_topo_free(t);
}

/* This test machine's shape: one package, one L3, two cores without SMT. */
static void test_two_core_vm(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	assert_int_equal(isb_topo_load(&t, "pack:1 l3:1 l2:2 core:1 pu:1", &err), 0);
	expect(t, "split", "llc", "0", "1");
	expect(t, "llc", "llc", "0", "1");
	expect_refused(t, "smt", "no SMT");
	expect_refused(t, "core", "non-last-level cache");
	expect_refused(t, "package", "package");
	isb_topo_free(t);
}

/* NUMA nodes with several LLCs each: numa placement is possible. */
static void test_numa_without_shared_cache(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	assert_int_equal(isb_topo_load(&t, "pack:1 numa:2 l3:2 core:2 pu:1", &err), 0);
	expect(t, "llc", "llc", "0", "1");
	expect(t, "numa", "numa", "0", "2");
	expect(t, "package", "package", "0", "4");
	isb_topo_free(t);
}

static void test_single_pu(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	assert_int_equal(isb_topo_load(&t, "pack:1 core:1 pu:1", &err), 0);
	expect(t, "shared", "shared", "0", "0");
	expect_refused(t, "split", "needs two PUs");
	isb_topo_free(t);
}

static void test_bad_synthetic(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	assert_true(isb_topo_load(&t, "pack:zero", &err) < 0);
	assert_non_null(strstr(err.msg, "synthetic topology 'pack:zero'"));
}
#endif

/* This machine: shared always works; split works wherever two PUs exist. */
static void test_this_machine(void **state)
{
	struct isb_topology *t;
	struct isb_err err = {0};
	struct isb_placement p;
	struct isb_err why = {0};
	assert_int_equal(isb_topo_load(&t, NULL, &err), 0);
	assert_int_equal(isb_topo_place(t, "shared", &p, &why), 0);
	assert_true(CPU_EQUAL(&p.victim, &p.aggressor));
	if (isb_topo_place(t, "split", &p, &why) == 0) {
		cpu_set_t both;
		CPU_AND(&both, &p.victim, &p.aggressor);
		assert_int_equal(CPU_COUNT(&both), 0);
	} else {
		assert_non_null(strstr(why.msg, "two PUs"));
	}
	isb_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef HAVE_HWLOC
	    cmocka_unit_test(test_rich_topology),
	    cmocka_unit_test(test_two_core_vm),
	    cmocka_unit_test(test_numa_without_shared_cache),
	    cmocka_unit_test(test_single_pu),
	    cmocka_unit_test(test_bad_synthetic),
#endif
	    cmocka_unit_test(test_this_machine),
	};
	ISB_RUN_TESTS(tests);
}
