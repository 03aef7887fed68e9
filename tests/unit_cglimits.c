/*
 * The container class's cgroup interface against directory trees that look
 * like cgroup v1 and cgroup v2 (this machine's controllers are v1 only, so
 * the v2 implementation is checked here file by file), and the container
 * configuration: keys, defaults, declared leaves, per-side limits.
 */
#include "config.h"
#include "backends/ctconf.h"
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/isb-unit-cg-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	isb_remove_tree(tmp);
	return 0;
}

static const struct isb_limits example = {
    .cpu_weight = 100,
    .cpu_max = 0.5,
    .cpuset = "1",
    .mem_max = 512ull << 20,
    .swap_set = true,
    .pids_max = 100,
    .io_weight = 100,
    .io_wbps = 1048576,
    .io_major = 8,
};

/* A v2 group as the kernel shows it: the interface files of its controllers. */
static void v2_group(const char *dir, const char *controllers)
{
	static const char *const files[] = {
	    "cgroup.procs", "cgroup.subtree_control", "cpu.weight", "cpu.max", "cpuset.cpus",
	    "memory.max",   "memory.swap.max",	      "pids.max",   "io.max"};
	mkdirs(dir);
	for (size_t i = 0; i < ISB_ARRAY_SIZE(files); i++)
		mkfile(dir, files[i], "");
	mkfile(dir, "cgroup.controllers", controllers);
}

static void test_v2_writes_every_limit(void **state)
{
	char camp[512], dir[600], note[256] = "";
	struct isb_cg_tenant t;
	struct isb_err err = {0};
	snprintf(camp, sizeof(camp), "%s/isobench-T", tmp);
	snprintf(dir, sizeof(dir), "%s/victim-1", camp);
	v2_group(camp, "cpuset cpu io memory pids");
	v2_group(dir, "cpuset cpu io memory pids");
	assert_int_equal(isb_cg_tenant_create(ISB_CG_V2, tmp, "T", "victim-1", &example, &t, note,
					      sizeof(note), &err),
			 0);
	assert_string_equal(file_at(dir, "cpu.weight"), "100");
	assert_string_equal(file_at(dir, "cpu.max"), "50000 100000");
	assert_string_equal(file_at(dir, "cpuset.cpus"), "1");
	assert_string_equal(file_at(dir, "memory.max"), "536870912");
	assert_string_equal(file_at(dir, "memory.swap.max"), "0");
	assert_string_equal(file_at(dir, "pids.max"), "100");
	assert_string_equal(file_at(dir, "io.max"), "8:0 wbps=1048576");
	assert_string_not_equal(file_at(camp, "cgroup.subtree_control"), "");
	/* no bfq and no io.cost on this tree: said, not silently skipped */
	assert_non_null(strstr(note, "io.weight: unavailable"));
	assert_int_equal(t.ndirs, 1);
	assert_non_null(strstr(t.procs[0], "isobench-T/victim-1/cgroup.procs"));
	assert_string_equal(t.procs[1], "");
}

static void test_v2_controller_not_delegated(void **state)
{
	char camp[512], dir[600], note[256] = "";
	struct isb_cg_tenant t;
	struct isb_err err = {0};
	snprintf(camp, sizeof(camp), "%s/isobench-U", tmp);
	snprintf(dir, sizeof(dir), "%s/victim-1", camp);
	v2_group(camp, "cpu io memory pids");
	v2_group(dir, "cpu io memory pids");
	assert_int_equal(isb_cg_tenant_create(ISB_CG_V2, tmp, "U", "victim-1", &example, &t, note,
					      sizeof(note), &err) < 0,
			 1);
	assert_non_null(strstr(err.msg, "controller 'cpuset' is not delegated"));
}

static void test_v1_writes_every_limit(void **state)
{
	static const struct {
		const char *ctrl;
		const char *files[5];
	} v1[] = {
	    {"memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", NULL}},
	    {"pids", {"pids.max", NULL}},
	    {"cpu", {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", NULL}},
	    {"cpuset", {"cpuset.cpus", "cpuset.mems", NULL}},
	    {"blkio", {"blkio.throttle.write_bps_device", "blkio.throttle.read_bps_device", NULL}},
	};
	char note[256] = "", d[3][700];
	struct isb_cg_tenant t;
	struct isb_err err = {0};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(v1); i++) {
		snprintf(d[0], sizeof(d[0]), "%s/%s", tmp, v1[i].ctrl);
		snprintf(d[1], sizeof(d[1]), "%s/isobench-T", d[0]);
		snprintf(d[2], sizeof(d[2]), "%s/victim-1", d[1]);
		for (int k = 0; k < 3; k++) {
			mkdirs(d[k]);
			mkfile(d[k], "cgroup.procs", "");
			for (size_t f = 0; v1[i].files[f]; f++)
				mkfile(d[k], v1[i].files[f], "");
		}
	}
	snprintf(d[0], sizeof(d[0]), "%s/cpuset", tmp);
	mkfile(d[0], "cpuset.cpus", "0-3\n");
	mkfile(d[0], "cpuset.mems", "0\n");
	assert_int_equal(isb_cg_tenant_create(ISB_CG_HYBRID, tmp, "T", "victim-1", &example, &t,
					      note, sizeof(note), &err),
			 0);
	char dir[800];
#define AT(ctrl) (snprintf(dir, sizeof(dir), "%s/%s/isobench-T/victim-1", tmp, ctrl), dir)
	assert_string_equal(file_at(AT("memory"), "memory.limit_in_bytes"), "536870912");
	assert_string_equal(file_at(AT("memory"), "memory.memsw.limit_in_bytes"), "536870912");
	assert_string_equal(file_at(AT("pids"), "pids.max"), "100");
	assert_string_equal(file_at(AT("cpu"), "cpu.shares"), "1024"); /* weight 100 */
	assert_string_equal(file_at(AT("cpu"), "cpu.cfs_period_us"), "100000");
	assert_string_equal(file_at(AT("cpu"), "cpu.cfs_quota_us"), "50000");
	assert_string_equal(file_at(AT("cpuset"), "cpuset.cpus"), "1");
	assert_string_equal(file_at(AT("cpuset"), "cpuset.mems"), "0"); /* inherited */
	assert_string_equal(file_at(AT("blkio"), "blkio.throttle.write_bps_device"), "8:0 1048576");
	assert_string_equal(file_at(AT("blkio"), "blkio.throttle.read_bps_device"), "");
	/* the campaign group inherited the root's cpuset before the tenant's was set */
	snprintf(dir, sizeof(dir), "%s/cpuset/isobench-T", tmp);
	assert_string_equal(file_at(dir, "cpuset.cpus"), "0-3");
#undef AT
	assert_non_null(strstr(note, "io.weight: unavailable"));
	assert_int_equal(t.ndirs, 5);
	for (int i = 0; i < 5; i++)
		assert_non_null(strstr(t.procs[i], "/isobench-T/victim-1/cgroup.procs"));
}

static void test_v1_missing_hierarchy_is_noted(void **state)
{
	char dir[700], note[256] = "";
	struct isb_cg_tenant t;
	struct isb_err err = {0};
	struct isb_limits l = {.pids_max = 50};
	snprintf(dir, sizeof(dir), "%s/v1only/pids/isobench-T/a-1", tmp);
	mkdirs(dir);
	mkfile(dir, "pids.max", "");
	snprintf(dir, sizeof(dir), "%s/v1only", tmp);
	assert_int_equal(
	    isb_cg_tenant_create(ISB_CG_V1, dir, "T", "a-1", &l, &t, note, sizeof(note), &err), 0);
	assert_non_null(strstr(note, "memory: unavailable (no v1 hierarchy)"));
	assert_int_equal(t.ndirs, 1);
	assert_non_null(strstr(t.procs[0], "/pids/isobench-T/a-1/cgroup.procs"));
}

static struct isb_config cfg(const char *const kv[][2], size_t n)
{
	struct isb_config c = {.mem_ceiling_bytes = 1ull << 30, .pids_ceiling = 1000};
	for (size_t i = 0; i < n; i++) {
		snprintf(c.opts[i].key, sizeof(c.opts[i].key), "%s", kv[i][0]);
		snprintf(c.opts[i].value, sizeof(c.opts[i].value), "%s", kv[i][1]);
	}
	c.nopts = n;
	return c;
}

static void test_ctconf_defaults_and_ablation(void **state)
{
	struct isb_ctconf cf;
	struct isb_err err = {0};
	struct isb_config c = cfg(NULL, 0);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	/* Docker's defaults: six namespaces, fair cgroups, 14 capabilities */
	assert_int_equal(__builtin_popcount(cf.ns), 6);
	assert_false(cf.ns & (1u << ISB_NS_USER));
	assert_int_equal(cf.policy, ISB_POLICY_FAIR);
	assert_int_equal(__builtin_popcountll(cf.caps), 14);
	assert_int_equal(isb_ctconf_leaves(&cf),
			 ISB_LEAF(CT_NS) | ISB_LEAF(CT_CGROUPS) | ISB_LEAF(CT_CAPS));

	const char *const none[][2] = {{"ns.pid", "yes"},
				       {"namespaces", "none"},
				       {"cgroups", "none"},
				       {"capabilities", "all"}};
	c = cfg(none, 4);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	/* ns.NAME wins over namespaces, whatever the order */
	assert_int_equal(cf.ns, 1u << ISB_NS_PID);
	assert_int_equal(isb_ctconf_leaves(&cf), ISB_LEAF(CT_NS));

	const char *const cg[][2] = {{"namespaces", "none"},
				     {"cgroups", "none"},
				     {"capabilities", "all"},
				     {"pids.max", "64"}};
	c = cfg(cg, 4);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_leaves(&cf), ISB_LEAF(CT_CGROUPS));

	const char *const caps[][2] = {{"namespaces", "none"},
				       {"cgroups", "none"},
				       {"capabilities", "CAP_NET_ADMIN, sys_admin"}};
	c = cfg(caps, 3);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_leaves(&cf), ISB_LEAF(CT_CAPS));
	assert_int_equal(cf.caps, (1ull << 12) | (1ull << 21));

	const char *const t[][2] = {{"namespaces", "all"}, {"runtime", "runc"}};
	c = cfg(t, 2);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_oci, &err), -EINVAL);
	assert_string_equal(err.msg, "runc 1.1 has no time namespace: drop ns.time");
}

static void test_ctconf_policy_limits(void **state)
{
	struct isb_ctconf cf;
	struct isb_err err = {0};
	struct isb_limits l;
	cpu_set_t cpus;
	const char *const fair[][2] = {{"cgroups", "fair"}};
	struct isb_config c = cfg(fair, 1);
	struct isb_tenant_spec victim = {.label = "victim", .pinned = true},
			       aggressor = {.label = "aggressor", .pinned = true};
	CPU_ZERO(&victim.cpus);
	CPU_SET(0, &victim.cpus);
	aggressor.cpus = victim.cpus; /* shared placement */
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_limits(&cf, &c, &victim, &l, &cpus, &err), 0);
	assert_int_equal(l.cpu_weight, 100);
	assert_int_equal(l.mem_max, 512ull << 20); /* half the ceiling each */
	assert_int_equal(l.pids_max, 500);
	assert_string_equal(l.cpuset, "");
	assert_true(CPU_EQUAL(&cpus, &victim.cpus)); /* the placement's pinning stands */

	const char *const capped[][2] = {{"cgroups", "capped"}, {"memory.max", "64M"}};
	c = cfg(capped, 2);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_limits(&cf, &c, &aggressor, &l, &cpus, &err), 0);
	assert_close(l.cpu_max, 0.5, 1e-9);	  /* half of its one PU */
	assert_int_equal(l.mem_max, 64ull << 20); /* the explicit key wins */
	assert_true(l.swap_set);
	assert_int_equal(l.swap_max, 0);

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	const char *const part[][2] = {{"cgroups", "partitioned"}};
	c = cfg(part, 1);
	cpu_set_t vc, ac;
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_limits(&cf, &c, &victim, &l, &vc, &err), 0);
	char vset[64];
	snprintf(vset, sizeof(vset), "%s", l.cpuset);
	assert_int_equal(isb_ctconf_limits(&cf, &c, &aggressor, &l, &ac, &err), 0);
	/* the partition replaces the shared placement: disjoint halves */
	assert_string_not_equal(vset, "");
	assert_string_not_equal(l.cpuset, vset);
	cpu_set_t both;
	CPU_AND(&both, &vc, &ac);
	assert_int_equal(CPU_COUNT(&both), 0);
	assert_int_equal(CPU_COUNT(&vc) + CPU_COUNT(&ac), (int)sysconf(_SC_NPROCESSORS_ONLN));
}

/* Under a node budget `fair` halves the budget, not the ceiling; memory.low is written as
 * v2 memory.low and, weaker, as v1's soft limit, and the note says so. */
static void test_budget_and_memory_low(void **state)
{
	struct isb_ctconf cf;
	struct isb_err err = {0};
	struct isb_limits l;
	cpu_set_t cpus;
	const char *const fair[][2] = {{"cgroups", "fair"}, {"memory.low", "300M"}};
	struct isb_config c = cfg(fair, 2);
	struct isb_tenant_spec victim = {.label = "victim", .pinned = true};
	CPU_ZERO(&victim.cpus);
	CPU_SET(0, &victim.cpus);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	c.mem_budget_bytes = 256ull << 20; /* below the 1 GiB ceiling */
	assert_int_equal(isb_ctconf_limits(&cf, &c, &victim, &l, &cpus, &err), 0);
	assert_int_equal(l.mem_max, 128ull << 20);
	assert_int_equal(l.mem_low, 300ull << 20);
	c.mem_budget_bytes = 4ull << 30; /* above it: the ceiling stands */
	assert_int_equal(isb_ctconf_limits(&cf, &c, &victim, &l, &cpus, &err), 0);
	assert_int_equal(l.mem_max, 512ull << 20);
	const char *const bad[][2] = {{"memory.low", "lots"}};
	c = cfg(bad, 1);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err) < 0, 1);
	assert_string_equal(err.msg, "memory.low: 'lots' is not a size like 512M or 2G");

	struct isb_limits low = {.mem_low = 64ull << 20};
	struct isb_cg_tenant t;
	char camp[512], dir[600], note[256] = "";
	snprintf(camp, sizeof(camp), "%s/isobench-L", tmp);
	snprintf(dir, sizeof(dir), "%s/victim-1", camp);
	v2_group(camp, "memory");
	v2_group(dir, "memory");
	mkfile(dir, "memory.low", "");
	assert_int_equal(isb_cg_tenant_create(ISB_CG_V2, tmp, "L", "victim-1", &low, &t, note,
					      sizeof(note), &err),
			 0);
	assert_string_equal(file_at(dir, "memory.low"), "67108864");

	char v1root[600];
	snprintf(v1root, sizeof(v1root), "%s/v1", tmp);
	snprintf(dir, sizeof(dir), "%s/memory/isobench-L/victim-1", v1root);
	mkdirs(dir);
	mkfile(dir, "cgroup.procs", "");
	mkfile(dir, "memory.soft_limit_in_bytes", "");
	note[0] = 0;
	assert_int_equal(isb_cg_tenant_create(ISB_CG_V1, v1root, "L", "victim-1", &low, &t, note,
					      sizeof(note), &err),
			 0);
	assert_string_equal(file_at(dir, "memory.soft_limit_in_bytes"), "67108864");
	assert_non_null(strstr(note, "memory.low: cgroup v1 soft limit (weaker"));
}

/* capped and partitioned derive io throttles from the disk calibration; explicit keys win;
 * fair derives none, and nothing is derived without a calibration. */
static void test_ctconf_io_derived(void **state)
{
	struct isb_ctconf cf;
	struct isb_err err = {0};
	struct isb_limits l;
	cpu_set_t cpus;
	struct isb_tenant_spec agg = {.label = "aggressor"};
	const char *const capped[][2] = {{"cgroups", "capped"}};
	struct isb_config c = cfg(capped, 1);
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(isb_ctconf_limits(&cf, &c, &agg, &l, &cpus, &err), 0);
	assert_int_equal(l.io_wbps, 0); /* no calibration: nothing derived */
	c.disk_read_iops = 10000;
	c.disk_write_bps = 1e9;
	assert_int_equal(isb_ctconf_limits(&cf, &c, &agg, &l, &cpus, &err), 0);
	assert_int_equal(l.io_wbps, 0); /* no device found by prepare: nothing derived */
	cf.set.io_major = 7;		/* as prepare sets it: the loop device */
	cf.set.io_minor = 1;
	assert_int_equal(isb_ctconf_limits(&cf, &c, &agg, &l, &cpus, &err), 0);
	assert_int_equal(l.io_major, 7);
	assert_int_equal(l.io_wbps, 20000000);	/* W/50 */
	assert_int_equal(l.io_wiops, 2500);	/* R/4 */
	assert_int_equal(l.io_riops, 80000);	/* a QD1 reader never meets it */
	assert_int_equal(l.io_rbps, 500000000); /* W/2 */

	const char *const part[][2] = {{"cgroups", "partitioned"}, {"io.wbps", "20M"}};
	c = cfg(part, 2);
	c.disk_read_iops = 10000;
	c.disk_write_bps = 1e9;
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	cf.set.io_major = 7;
	assert_int_equal(isb_ctconf_limits(&cf, &c, &agg, &l, &cpus, &err), 0);
	assert_int_equal(l.io_wbps, 20ull << 20); /* the explicit key wins */
	assert_int_equal(l.io_rbps, 500000000);	  /* half the device each */
	assert_int_equal(l.io_wiops, 20000);

	const char *const fair[][2] = {{"cgroups", "fair"}};
	c = cfg(fair, 1);
	c.disk_read_iops = 10000;
	c.disk_write_bps = 1e9;
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	cf.set.io_major = 7;
	assert_int_equal(isb_ctconf_limits(&cf, &c, &agg, &l, &cpus, &err), 0);
	assert_int_equal(l.io_wbps + l.io_rbps + l.io_riops + l.io_wiops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_writes_every_limit),
	    cmocka_unit_test(test_v2_controller_not_delegated),
	    cmocka_unit_test(test_v1_writes_every_limit),
	    cmocka_unit_test(test_v1_missing_hierarchy_is_noted),
	    cmocka_unit_test(test_ctconf_defaults_and_ablation),
	    cmocka_unit_test(test_ctconf_policy_limits),
	    cmocka_unit_test(test_budget_and_memory_low),
	    cmocka_unit_test(test_ctconf_io_derived),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
