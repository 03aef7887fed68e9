/*
 * Suite files: every malformed input in one table with the exact file:line
 * message it must get; a good file parses to what it says; command-line
 * overrides apply and reject bad values.
 */
#include "config.h"
#include "harness/harness.h"
#include "unit.h"

#include <stdlib.h>

#define OKCFG "[config native]\nbackend = native\n"
#define OKSC  "[scenario s]\nresource = cpu\nvictim = cpu.compute\naggressor = cpu.hog\n"

static const struct {
	const char *text;
	const char *message;
} bad[] = {
    {"reps = 3\n" OKCFG OKSC, "t.ini:1: key 'reps' outside any section"},
    {"[global\nreps = 3\n", "t.ini:1: section header is not closed: '[global'"},
    {"[global] x\n", "t.ini:1: section header is not closed: '[global] x'"},
    {"[jobs]\n",
     "t.ini:1: unknown section '[jobs]' (expected [global], [config NAME] or [scenario NAME])"},
    {"[config]\n", "t.ini:1: [config] needs a name"},
    {"[config a b]\n",
     "t.ini:1: [config a b]: a name is at most 63 letters, digits, '.', '_' or '-'"},
    {"[global]\nreps\n", "t.ini:2: line is not KEY = VALUE: 'reps'"},
    {"[global]\n= 3\n", "t.ini:2: missing key before '='"},
    {"[global]\nreps =\n", "t.ini:2: reps: empty value"},
    {"[global]\nreps = three\n", "t.ini:2: reps: 'three' is not an integer in [1, 1000]"},
    {"[global]\nreps = 0\n", "t.ini:2: reps: '0' is not an integer in [1, 1000]"},
    {"[global]\nduration = -1\n", "t.ini:2: duration: '-1' is not a number in (0, 3600]"},
    {"[global]\nduration = 0\n", "t.ini:2: duration: '0' is not a number in (0, 3600]"},
    {"[global]\nwarmup = 1e9\n", "t.ini:2: warmup: '1e9' is not a number in [0, 600]"},
    {"[global]\nthresholds = 0.1,0.05,0.4,0.8\n",
     "t.ini:2: thresholds: '0.1,0.05,0.4,0.8' must be 4 increasing numbers in (0, 1]"},
    {"[global]\nthresholds = 0.1,0.2\n",
     "t.ini:2: thresholds: '0.1,0.2' must be 4 increasing numbers in (0, 1]"},
    {"[global]\nfrobnicate = 1\n", "t.ini:2: unknown key 'frobnicate' in [global]"},
    {"[global]\nmax_reps = 0\n", "t.ini:2: max_reps: '0' is not an integer in [1, 1000]"},
    {"[global]\ntarget_halfwidth = 2\n",
     "t.ini:2: target_halfwidth: '2' is not a number in (0, 1]"},
    {"[global]\ngrade_by = lower\n", "t.ini:2: grade_by: 'lower' is not point or upper"},
    {"[global]\nreps = 2\nreps = 3\n",
     "t.ini:3: duplicate key 'reps' in [global] (first at line 2)"},
    {"[config a]\nbackend = kvm9\n",
     "t.ini:2: backend: unknown backend 'kvm9' (known: null, native, container, oci, docker, podman, sandbox, gvisor, vm, wrapper, flatpak)"},
    {"[config a]\ndescription = x\n" OKSC, "t.ini:1: [config a] needs 'backend'"},
    {"[config a]\nbackend = native\nrootless = yes\n" OKSC,
     "t.ini:3: [config a]: unknown key 'rootless' (backend native takes no options)"},
    /* the container class checks every key where it is written */
    {"[config c]\nbackend = container\nnamespaces = pid,ipc,vfs\n" OKSC,
     "t.ini:3: [config c] namespaces: unknown namespace 'vfs' (all, none, docker, or a list "
     "of cgroup, ipc, mount, net, pid, time, user, uts)"},
    {"[config c]\nbackend = container\nns.pid = maybe\n" OKSC,
     "t.ini:3: [config c] ns.pid: 'maybe' is not yes or no"},
    {"[config c]\nbackend = container\ncgroups = strict\n" OKSC,
     "t.ini:3: [config c] cgroups: 'strict' is not none, fair, partitioned or capped"},
    {"[config c]\nbackend = container\ncgroups = fair\nmemory.max = lots\n" OKSC,
     "t.ini:4: [config c] memory.max: 'lots' is not a size like 512M or 2G (at least 4M)"},
    {"[config c]\nbackend = container\ncpu.weight = 0\n" OKSC,
     "t.ini:3: [config c] cpu.weight: '0' is not an integer in [1, 10000]"},
    {"[config c]\nbackend = container\ncpuset = 0-1;3\n" OKSC,
     "t.ini:3: [config c] cpuset: '0-1;3' is not a CPU list like 0-3,6"},
    {"[config c]\nbackend = container\ncapabilities = CAP_SYS_ADMIN,CAP_FLY\n" OKSC,
     "t.ini:3: [config c] capabilities: unknown capability 'CAP_FLY' (all, none, docker, or "
     "CAP_ names)"},
    {"[config c]\nbackend = container\nruntime = runc\n" OKSC,
     "t.ini:3: [config c] unknown key 'runtime' (namespaces, ns.NAME, cgroups, cpu.weight, "
     "cpu.max, cpuset, memory.max, memory.swap, memory.low, io.weight, io.rbps, io.wbps, "
     "io.riops, io.wiops, pids.max, net.rate, llc.ways, mb.percent, capabilities, sandbox, lsm)"},
    /* the shaped link and a tenant's class on it */
    {"[global]\nlink_rate = fast\n" OKCFG OKSC,
     "t.ini:2: link_rate: 'fast' is not a rate in bits/s like 200M or 1G (k, M, G: powers of "
     "1000; at least 100k)"},
    {"[global]\nlink_rate = 10k\n" OKCFG OKSC,
     "t.ini:2: link_rate: '10k' is not a rate in bits/s like 200M or 1G (k, M, G: powers of "
     "1000; at least 100k)"},
    {"[config c]\nbackend = container\nnet.rate = 100Q\n" OKSC,
     "t.ini:3: [config c] net.rate: '100Q' is not a rate in bits/s like 100M (k, M, G: powers "
     "of 1000; at least 8k)"},
    /* resctrl's keys: ranges checked with the file and line, the host's limits at prepare */
    {"[config c]\nbackend = container\nllc.ways = 0\n" OKSC,
     "t.ini:3: [config c] llc.ways: '0' is not an integer in [1, 32] (L3 cache ways per side)"},
    {"[config o]\nbackend = oci\nmb.percent = 150\n" OKSC,
     "t.ini:3: [config o] mb.percent: '150' is not an integer in [1, 100] (percent of memory "
     "bandwidth)"},
    {"[config v]\nbackend = vm\nmb.percent = half\n" OKSC,
     "t.ini:3: [config v] mb.percent: 'half' is not an integer in [1, 100] (percent of memory "
     "bandwidth)"},
    {"[config s]\nbackend = sandbox\nsandbox = chroot\n" OKSC,
     "t.ini:3: [config s] sandbox: 'chroot' is not none, seccomp, seccomp-notify, ptrace or sud"},
    {"[config g]\nbackend = gvisor\nplatform = xen\n" OKSC,
     "t.ini:3: [config g] platform: 'xen' is not ptrace, kvm or systrap"},
    {"[config o]\nbackend = oci\nruntime = youki\n" OKSC,
     "t.ini:3: [config o] runtime: 'youki' is not runc or crun"},
    /* the hypervisor class: its own keys, the cgroup keys, the harness's time_scale */
    {"[config v]\nbackend = vm\naccel = xen\n" OKSC,
     "t.ini:3: [config v] accel: 'xen' is not tcg or kvm"},
    {"[config v]\nbackend = vm\ndevices = virtio\nmemory = 100M\n" OKSC,
     "t.ini:4: [config v] memory: '100M' is not a size like 512M or 2G (at least 192M)"},
    {"[config v]\nbackend = vm\ncgroups = fair\ncpu.max = 0\n" OKSC,
     "t.ini:4: [config v] cpu.max: '0' is not a number of CPUs in [0.01, 4096]"},
    {"[config v]\nbackend = vm\nnamespaces = all\n" OKSC,
     "t.ini:3: [config v] unknown key 'namespaces' (accel, devices, machine, vcpus, memory, "
     "disk, cpu, kernel, iothread, container, io.rbps, io.wbps, io.riops, io.wiops, and the "
     "cgroup keys: cgroups, cpu.weight, cpu.max, cpuset, memory.max, memory.swap, memory.low, "
     "io.weight, pids.max, net.rate, llc.ways, mb.percent)"},
    {"[config v]\nbackend = vm\niothread = maybe\n" OKSC,
     "t.ini:3: [config v] iothread: 'maybe' is not yes or no"},
    {"[config v]\nbackend = vm\ncontainer = kata\n" OKSC,
     "t.ini:3: [config v] container: 'kata' is not none or own"},
    {"[config v]\nbackend = vm\nio.wbps = fast\n" OKSC,
     "t.ini:3: [config v] io.wbps: 'fast' is not a positive size per second (e.g. 50M)"},
    {"[config v]\nbackend = vm\nio.riops = 0\n" OKSC,
     "t.ini:3: [config v] io.riops: '0' is not a positive integer"},
    {"[global]\ndisk_device = ssd\n", "t.ini:2: disk_device: 'ssd' is not host or loop"},
    {"[global]\ndisk_size = 1M\n", "t.ini:2: disk_size: '1M' is not a size in [256M, 1T] like 2G"},
    {"[global]\ndisk_scheduler = cfq\n",
     "t.ini:2: disk_scheduler: 'cfq' is not keep, bfq, mq-deadline or none"},
    {"[global]\nreps = 1\ndisk_scheduler = bfq\n" OKCFG OKSC,
     "t.ini:3: disk_scheduler: 'bfq' needs disk_device = loop (a host disk's scheduler is "
     "never changed)"},
    {"[config v]\nbackend = vm\ntime_scale = 0.5\n" OKSC,
     "t.ini:3: time_scale: '0.5' is not a number in [1, 100]"},
    {OKCFG "[config native]\nbackend = null\n",
     "t.ini:3: duplicate section [config native] (first at line 1)"},
    {OKCFG "[scenario s]\nresource = gpu\n",
     "t.ini:4: resource: unknown resource 'gpu' (known: cpu, memory, disk, network, pids, cache)"},
    {OKCFG "[scenario s]\nvictim = cpu.nope\n",
     "t.ini:4: victim: unknown stressor 'cpu.nope' (see 'isobench list stressors')"},
    {OKCFG "[scenario s]\nvictim = cpu.hog\n",
     "t.ini:4: victim: stressor 'cpu.hog' cannot be a victim"},
    {OKCFG "[scenario s]\naggressor = cpu.compute\n",
     "t.ini:4: aggressor: stressor 'cpu.compute' cannot be an aggressor"},
    {OKCFG "[scenario s]\nintensity = 101\n",
     "t.ini:4: intensity: '101' is not a number in [0, 100]"},
    {OKCFG "[scenario s]\nplacements = shared, far\n",
     "t.ini:4: placements: unknown placement 'far' (known: shared, split, smt, core, llc, numa, package)"},
    {OKCFG "[scenario s]\nvictim.unit = 5\n",
     "t.ini:4: victim.unit: set 'victim' before its options"},
    {OKCFG OKSC "victim.unit = 5\n",
     "t.ini:7: victim.unit: stressor cpu.compute: option unit: 5 is outside [100, 1e+09]"},
    {OKCFG OKSC "aggressor.threads = many\n",
     "t.ini:7: aggressor.threads: stressor cpu.hog: option threads: 'many' is not a number"},
    {OKCFG OKSC "aggressor.color = red\n",
     "t.ini:7: aggressor.color: stressor cpu.hog has no option 'color'"},
    {OKCFG OKSC "grade = ops_per_s, lat_p90_ns\n",
     "t.ini:7: grade: cpu.compute has no metric 'lat_p90_ns' (see 'isobench list stressors')"},
    {OKCFG "[scenario s]\nresource = cpu\nvictim = cpu.compute\n",
     "t.ini:3: [scenario s] needs 'aggressor'"},
    {OKCFG "[scenario s]\nresource = memory\nvictim = cpu.compute\naggressor = null\n",
     "t.ini:3: [scenario s]: cpu.compute is a cpu stressor, not memory"},
    {"[global]\nmemory_budget = 12\n" OKCFG OKSC,
     "t.ini:2: memory_budget: '12' is not a size like 1G or 512M (at least 64M), or none"},
    {OKCFG OKSC "memory_budget = lots\n",
     "t.ini:7: memory_budget: 'lots' is not a size like 1G or 512M (at least 64M), or none"},
    {OKCFG, "t.ini: no [scenario NAME] section: nothing to run"},
    {OKSC, "t.ini: no [config NAME] section: nothing to run"},
    {"", "t.ini: no [config NAME] section: nothing to run"},
};

static void test_malformed_table(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct isb_suite *s = malloc(sizeof(*s));
		struct isb_err err = {0};
		isb_suite_defaults(s);
		int r = isb_suite_parse(s, "t.ini", bad[i].text, &err);
		if (r >= 0 || strcmp(err.msg, bad[i].message))
			fail_msg("case %zu: got %d '%s'\n  expected '%s'", i, r, err.msg,
				 bad[i].message);
		free(s);
	}
}

/* technology = ID names a row of the report's technologies table (analysis/taxonomy.c). */
static void test_technology_key(void **state)
{
	struct isb_suite *s = malloc(sizeof(*s));
	struct isb_err err = {0};
	isb_suite_defaults(s);
	const char *bad_text = "[config a]\nbackend = native\ntechnology = kata\n" OKSC;
	assert_true(isb_suite_parse(s, "t.ini", bad_text, &err) < 0);
	const char *want = "t.ini:3: technology: unknown technology 'kata' (known: kvm, xen, ";
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("got '%s'", err.msg);
	isb_suite_defaults(s);
	const char *good = "[config a]\nbackend = wrapper\ncommand = bwrap --bind / / {agent}\n"
			   "technology = bwrap\n" OKSC;
	memset(&err, 0, sizeof(err));
	if (isb_suite_parse(s, "t.ini", good, &err) < 0)
		fail_msg("good: %s", err.msg);
	assert_string_equal(s->configs[0].technology, "bwrap");
	assert_int_equal(s->configs[0].nopts, 1); /* not one of the backend's options */
	free(s);
}

static void test_good_file(void **state)
{
	struct isb_suite *s = malloc(sizeof(*s));
	struct isb_err err = {0};
	const char *text = "; comment\n# another\n[global]\nreps = 3\nduration = 1.5\nseed = 99\n"
			   "thresholds = 0.1, 0.2, 0.3, 0.9\ndisk_device = loop\ndisk_size = 1G\n"
			   "disk_scheduler = bfq\n\n" OKCFG "[config nul]\nbackend = null\n" OKSC
			   "intensity = 50\nplacements = shared\n"
			   "aggressor.threads = 2\ngrade = ops_per_s,lat_p99_ns\n";
	isb_suite_defaults(s);
	assert_int_equal(isb_suite_parse(s, "g.ini", text, &err), 0);
	assert_int_equal(s->reps, 3);
	assert_close(s->duration, 1.5, 0);
	assert_int_equal(s->seed, 99);
	assert_close(s->thresholds[3], 0.9, 0);
	assert_int_equal(s->disk_device, ISB_DISK_LOOP);
	assert_int_equal(s->disk_size, 1ull << 30);
	assert_string_equal(s->disk_scheduler, "bfq");
	assert_int_equal(s->nconfigs, 2);
	assert_string_equal(s->configs[1].backend, "null");
	assert_int_equal(s->nscenarios, 1);
	assert_close(s->scenarios[0].intensity, 50, 0);
	assert_int_equal(s->scenarios[0].nplacements, 1);
	assert_string_equal(s->scenarios[0].aopts[0], "threads=2");
	assert_string_equal(s->scenarios[0].grade, "ops_per_s,lat_p99_ns");

	struct isb_overrides o = {.reps = 7,
				  .duration = 0.25,
				  .seed_set = true,
				  .seed = 5,
				  .backends = "null",
				  .placements = "split,shared"};
	assert_int_equal(isb_suite_override(s, &o, &err), 0);
	assert_int_equal(s->reps, 7);
	assert_close(s->duration, 0.25, 0);
	assert_int_equal(s->seed, 5);
	assert_int_equal(s->nconfigs, 1);
	assert_string_equal(s->configs[0].name, "nul");
	assert_int_equal(s->scenarios[0].nplacements, 2);
	assert_string_equal(s->scenarios[0].placements[0], "split");
	free(s);
}

/* memory_budget: [global]'s for every scenario, a scenario's own over it, none to drop it. */
static void test_memory_budget(void **state)
{
	struct isb_suite *s = malloc(sizeof(*s));
	struct isb_err err = {0};
	isb_suite_defaults(s);
	assert_int_equal(
	    isb_suite_parse(s, "t.ini",
			    "[global]\nmemory_budget = 1G\n" OKCFG OKSC
			    "[scenario t]\nresource = cpu\nvictim = cpu.compute\naggressor = "
			    "cpu.hog\nmemory_budget = 512M\n[scenario u]\nresource = cpu\nvictim "
			    "= cpu.compute\naggressor = cpu.hog\nmemory_budget = none\n"
			    "aggressor_warmup = 3\n",
			    &err),
	    0);
	assert_int_equal(isb_suite_budget(s, &s->scenarios[0]), 1ull << 30);
	assert_int_equal(isb_suite_budget(s, &s->scenarios[1]), 512ull << 20);
	assert_int_equal(isb_suite_budget(s, &s->scenarios[2]), 0);
	/* a scenario's own aggressor warm-up (a bomb that needs time to fill the budget) */
	assert_true(s->scenarios[0].aggressor_warmup < 0);
	assert_true(s->scenarios[2].aggressor_warmup == 3);
	free(s);
}

static void test_override_errors(void **state)
{
	static const struct {
		struct isb_overrides o;
		const char *message;
	} cases[] = {
	    {{.reps = -1, .duration = -1, .backends = "xen"}, "--backends: unknown backend 'xen'"},
	    {{.reps = -1, .duration = -1, .resources = "gpu"},
	     "--resources: unknown resource 'gpu'"},
	    {{.reps = -1, .duration = -1, .resources = "memory"},
	     "--resources memory: no scenario of o.ini has that resource"},
	    {{.reps = -1, .duration = -1, .placements = "near"},
	     "--placements: unknown placement 'near'"},
	    {{.reps = 0, .duration = -1}, "--reps: 0 is not in [1, 1000]"},
	    {{.reps = -1, .duration = 7200}, "--duration: 7200 is not in (0, 3600]"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct isb_suite *s = malloc(sizeof(*s));
		struct isb_err err = {0};
		isb_suite_defaults(s);
		assert_int_equal(isb_suite_parse(s, "o.ini", OKCFG OKSC, &err), 0);
		int r = isb_suite_override(s, &cases[i].o, &err);
		if (r >= 0 || strcmp(err.msg, cases[i].message))
			fail_msg("case %zu: got %d '%s', expected '%s'", i, r, err.msg,
				 cases[i].message);
		free(s);
	}
}

static void test_backend_added_by_override(void **state)
{
	struct isb_suite *s = malloc(sizeof(*s));
	struct isb_err err = {0};
	isb_suite_defaults(s);
	assert_int_equal(isb_suite_parse(s, "o.ini", OKCFG OKSC, &err), 0);
	struct isb_overrides o = {.reps = -1, .duration = -1, .backends = "null"};
	assert_int_equal(isb_suite_override(s, &o, &err), 0);
	assert_int_equal(s->nconfigs, 1);
	assert_string_equal(s->configs[0].backend, "null");
	free(s);
}

static void test_shipped_suites_parse(void **state)
{
	static const char *const names[] = {"quick",   "standard", "aa",   "container",
					    "sandbox", "vm",	   "link", "disk-bfq"};
	const char *dir = getenv("ISOBENCH_SUITES");
	if (!dir)
		skip();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[1024];
		struct isb_suite *s = malloc(sizeof(*s));
		struct isb_err err = {0};
		snprintf(path, sizeof(path), "%s/%s.ini", dir, names[i]);
		isb_suite_defaults(s);
		if (isb_suite_load(s, path, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		isb_suite_free(s);
		free(s);
	}
}

static void test_missing_file(void **state)
{
	struct isb_suite *s = malloc(sizeof(*s));
	struct isb_err err = {0};
	isb_suite_defaults(s);
	assert_true(isb_suite_load(s, "/nonexistent/x.ini", &err) < 0);
	assert_string_equal(err.msg, "open suite /nonexistent/x.ini: No such file or directory");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_malformed_table),
	    cmocka_unit_test(test_good_file),
	    cmocka_unit_test(test_technology_key),
	    cmocka_unit_test(test_override_errors),
	    cmocka_unit_test(test_memory_budget),
	    cmocka_unit_test(test_backend_added_by_override),
	    cmocka_unit_test(test_shipped_suites_parse),
	    cmocka_unit_test(test_missing_file),
	};
	ISB_RUN_TESTS(tests);
}
