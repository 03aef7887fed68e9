/*
 * Cache ways and memory bandwidth per tenant (backends/resctrl.c) against
 * directory trees that look like /sys/fs/resctrl (this machine has none):
 * the schemata both sides' groups get (disjoint contiguous L3 masks, the MB
 * value on the host's granularity), the tasks written, the groups removed,
 * the stale sweep, and the keys' checks.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/ctconf.h"
#include "harness/harness.h"
#include "unit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char tmp[256];

static bool exists(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/isb-unit-rdt-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	isb_remove_tree(tmp);
	return 0;
}

/* An Intel-like host: 11 ways on two cache domains, MB in percent by tens (min 10). The
 * kernel pads the resource names of the default group's schemata to one width. */
static void intel_tree(const char *root)
{
	char d[512];
	snprintf(d, sizeof(d), "%s/info/L3", root);
	mkdirs(d);
	mkfile(d, "cbm_mask", "7ff\n");
	mkfile(d, "min_cbm_bits", "1\n");
	mkfile(d, "num_closids", "16\n");
	mkfile(d, "shareable_bits", "0\n");
	snprintf(d, sizeof(d), "%s/info/MB", root);
	mkdirs(d);
	mkfile(d, "bandwidth_gran", "10\n");
	mkfile(d, "min_bandwidth", "10\n");
	mkfile(d, "num_closids", "8\n");
	mkfile(d, "delay_linear", "1\n");
	mkfile(root, "schemata", "    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n");
	mkfile(root, "tasks", "1\n");
}

/* The mask in a group's schemata line "L3:0=f;1=f" for every domain: all equal, returned. */
static unsigned long long l3_mask(const char *schemata, const char *res)
{
	char buf[1024], key[16];
	snprintf(buf, sizeof(buf), "%s", schemata);
	snprintf(key, sizeof(key), "%s:", res);
	char *l = strstr(buf, key);
	assert_non_null(l);
	char *nl = strchr(l, '\n');
	if (nl)
		*nl = 0;
	unsigned long long first = 0;
	int n = 0;
	for (char *save, *t = strtok_r(l + strlen(key), ";", &save); t;
	     t = strtok_r(NULL, ";", &save), n++) {
		char *eq = strchr(t, '=');
		assert_non_null(eq);
		assert_int_equal(atoi(t), n); /* domains 0 and 1, in order */
		unsigned long long m = strtoull(eq + 1, NULL, 16);
		if (!n)
			first = m;
		assert_true(m == first);
	}
	assert_int_equal(n, 2);
	return first;
}

static bool contiguous(unsigned long long m)
{
	if (!m)
		return false;
	m >>= __builtin_ctzll(m);
	return (m & (m + 1)) == 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool done;
static pid_t second_tid;

static void *idle_thread(void *arg)
{
	pthread_mutex_lock(&mu);
	second_tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&cv);
	while (!done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void test_both_sides_disjoint_and_tasks(void **state)
{
	char root[300], note[256] = "";
	snprintf(root, sizeof(root), "%s/resctrl", tmp);
	intel_tree(root);
	struct isb_rdt_plan p;
	struct isb_err err = {0};
	assert_int_equal(isb_rdt_plan_make(root, 4, 33, &p, note, sizeof(note), &err), 0);
	/* the note declares what is applied */
	assert_non_null(strstr(note, "L3 4 of 11 ways: victim f, aggressor 780"));
	assert_non_null(strstr(note, "MB 30 %"));

	struct isb_rdt_tenant v, a;
	assert_int_equal(
	    isb_rdt_tenant_create(root, &p, "20260101-000000-1a", "victim-1", "victim", &v, &err),
	    0);
	assert_int_equal(isb_rdt_tenant_create(root, &p, "20260101-000000-1a", "aggressor-2",
					       "aggressor", &a, &err),
			 0);
	assert_string_equal(v.name, "isobench-20260101-000000-1a-victim-1");
	assert_true(exists(root, "isobench-20260101-000000-1a-victim-1"));
	assert_true(exists(root, "isobench-20260101-000000-1a-aggressor-2"));

	char vs[1024], as[1024];
	snprintf(vs, sizeof(vs), "%s", file_at(v.dir, "schemata"));
	snprintf(as, sizeof(as), "%s", file_at(a.dir, "schemata"));
	assert_string_equal(vs, "L3:0=f;1=f\nMB:0=30;1=30");
	assert_string_equal(as, "L3:0=780;1=780\nMB:0=30;1=30");
	unsigned long long vm = l3_mask(vs, "L3"), am = l3_mask(as, "L3");
	/* each a contiguous run of 4 of the host's ways, from opposite ends, disjoint */
	assert_true(contiguous(vm) && contiguous(am));
	assert_int_equal(__builtin_popcountll(vm), 4);
	assert_int_equal(__builtin_popcountll(am), 4);
	assert_int_equal(vm & am, 0);
	assert_int_equal((vm | am) & ~0x7ffull, 0);
	assert_true(vm & 1);		/* victim from the low end */
	assert_true(am & (1ull << 10)); /* aggressor from the high end */

	/* every thread of the tenant is written to tasks: this process has two */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, idle_thread, NULL), 0);
	pthread_mutex_lock(&mu);
	while (!second_tid)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	assert_int_equal(isb_rdt_add_task(&v, getpid(), &err), 0);
	pthread_mutex_lock(&mu);
	done = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	char want1[32], want2[32], tasks[1024];
	snprintf(tasks, sizeof(tasks), "\n%s\n", file_at(v.dir, "tasks"));
	snprintf(want1, sizeof(want1), "\n%d\n", (int)getpid());
	snprintf(want2, sizeof(want2), "\n%d\n", (int)second_tid);
	assert_non_null(strstr(tasks, want1));
	assert_non_null(strstr(tasks, want2));
	assert_false(exists(a.dir, "tasks") && file_at(a.dir, "tasks")[0]);

	/* stop: both groups go, the default group stays */
	isb_rdt_tenant_remove(&v);
	isb_rdt_tenant_remove(&a);
	assert_false(exists(root, "isobench-20260101-000000-1a-victim-1"));
	assert_false(exists(root, "isobench-20260101-000000-1a-aggressor-2"));
	assert_string_equal(file_at(root, "tasks"), "1");
	assert_true(exists(root, "schemata"));
}

static void test_mb_rounding(void **state)
{
	struct isb_rdt_host h = {
	    .mb = true, .mb_percent = true, .mb_gran = 10, .mb_min = 10, .mb_max = 100};
	assert_int_equal(isb_rdt_mb_value(&h, 33), 30);
	assert_int_equal(isb_rdt_mb_value(&h, 35), 40);
	assert_int_equal(isb_rdt_mb_value(&h, 44), 40);
	assert_int_equal(isb_rdt_mb_value(&h, 5), 10); /* at least min_bandwidth */
	assert_int_equal(isb_rdt_mb_value(&h, 1), 10);
	assert_int_equal(isb_rdt_mb_value(&h, 100), 100);
	h.mb_gran = 1;
	h.mb_min = 20;
	assert_int_equal(isb_rdt_mb_value(&h, 33), 33);
	assert_int_equal(isb_rdt_mb_value(&h, 7), 20);
	/* a granularity that does not divide the minimum: the next step above it */
	h.mb_gran = 25;
	h.mb_min = 10;
	assert_int_equal(isb_rdt_mb_value(&h, 5), 25);
	assert_int_equal(isb_rdt_mb_value(&h, 60), 50);
	assert_int_equal(isb_rdt_mb_value(&h, 63), 75);
	/* AMD: absolute values up to the default group's (2048 here): a share of it */
	struct isb_rdt_host amd = {.mb = true, .mb_gran = 1, .mb_min = 0, .mb_max = 2048};
	assert_int_equal(isb_rdt_mb_value(&amd, 50), 1024);
	assert_int_equal(isb_rdt_mb_value(&amd, 100), 2048);

	/* through the plan: a tree whose granularity is 10 writes 40 for 37 % */
	char root[300], note[256] = "";
	struct isb_rdt_plan p;
	struct isb_err err = {0};
	snprintf(root, sizeof(root), "%s/mb", tmp);
	intel_tree(root);
	assert_int_equal(isb_rdt_plan_make(root, 0, 37, &p, note, sizeof(note), &err), 0);
	assert_string_equal(p.schemata[0], "MB:0=40;1=40\n");
	assert_string_equal(p.schemata[1], "MB:0=40;1=40\n");
	assert_string_equal(p.l3_line[0], ""); /* no L3 line without llc.ways */
}

static void test_cdp_and_domains(void **state)
{
	char root[300], d[400], note[256] = "";
	snprintf(root, sizeof(root), "%s/cdp", tmp);
	snprintf(d, sizeof(d), "%s/info/L3CODE", root);
	mkdirs(d);
	mkfile(d, "cbm_mask", "ffff\n");
	mkfile(d, "min_cbm_bits", "2\n");
	mkfile(d, "num_closids", "8\n");
	/* domain ids need not be 0..n-1 */
	mkfile(root, "schemata", "L3DATA:0=ffff;4=ffff\nL3CODE:0=ffff;4=ffff\n");
	struct isb_rdt_plan p;
	struct isb_err err = {0};
	assert_int_equal(isb_rdt_plan_make(root, 3, 0, &p, note, sizeof(note), &err), 0);
	assert_string_equal(p.schemata[0], "L3CODE:0=7;4=7\nL3DATA:0=7;4=7\n");
	assert_string_equal(p.schemata[1], "L3CODE:0=e000;4=e000\nL3DATA:0=e000;4=e000\n");
	/* below min_cbm_bits */
	assert_int_equal(isb_rdt_plan_make(root, 1, 0, &p, note, sizeof(note), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "at least 2"));
	/* no MB here */
	assert_int_equal(isb_rdt_plan_make(root, 3, 50, &p, note, sizeof(note), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no memory bandwidth allocation"));
}

static void test_unavailable_with_reason(void **state)
{
	char root[300], note[256] = "";
	struct isb_rdt_plan p;
	struct isb_err err = {0};
	/* too many ways for two disjoint sides: 6 + 6 > 11 */
	snprintf(root, sizeof(root), "%s/small", tmp);
	intel_tree(root);
	assert_int_equal(isb_rdt_plan_make(root, 6, 0, &p, note, sizeof(note), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "11 ways"));
	assert_non_null(strstr(err.msg, "12 disjoint"));
	assert_int_equal(isb_rdt_plan_make(root, 5, 0, &p, note, sizeof(note), &err), 0);
	/* no resctrl at all: the reason names what is missing */
	snprintf(root, sizeof(root), "%s/none", tmp);
	mkdirs(root);
	assert_int_equal(isb_rdt_plan_make(root, 2, 0, &p, note, sizeof(note), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no resctrl on this host ("));
	assert_non_null(strstr(err.msg, "info is missing"));
	/* nothing asked: nothing probed, nothing to do */
	assert_int_equal(isb_rdt_plan_make(root, 0, 0, &p, note, sizeof(note), &err), 0);
	struct isb_rdt_tenant t;
	assert_int_equal(isb_rdt_tenant_create(root, &p, "c", "victim-1", "victim", &t, &err), 0);
	assert_string_equal(t.tasks, "");
	assert_int_equal(isb_rdt_add_task(&t, getpid(), &err), 0);
	/* the host's JSON says whether and why */
	json_object *j = isb_rdt_host_json(root), *x;
	assert_true(json_object_object_get_ex(j, "available", &x));
	assert_false(json_object_get_boolean(x));
	assert_true(json_object_object_get_ex(j, "reason", &x));
	assert_non_null(strstr(json_object_get_string(x), "info is missing"));
	json_object_put(j);
	snprintf(root, sizeof(root), "%s/small", tmp);
	j = isb_rdt_host_json(root);
	assert_true(json_object_object_get_ex(j, "available", &x));
	assert_true(json_object_get_boolean(x));
	assert_true(json_object_object_get_ex(j, "l3_ways", &x));
	assert_int_equal(json_object_get_int(x), 11);
	json_object_put(j);
	/* this host's own /sys/fs/resctrl: available, or a reason that is not empty */
	struct isb_rdt_host h;
	struct isb_err why = {0};
	if (isb_rdt_probe(ISB_RESCTRL_ROOT, &h, &why) < 0)
		assert_true(strlen(why.msg) > 20);
}

static void test_sweep(void **state)
{
	char root[300], note[256] = "";
	struct isb_rdt_plan p;
	struct isb_err err = {0};
	snprintf(root, sizeof(root), "%s/sweep", tmp);
	intel_tree(root);
	assert_int_equal(isb_rdt_plan_make(root, 2, 0, &p, note, sizeof(note), &err), 0);
	struct isb_rdt_tenant t[3];
	assert_int_equal(isb_rdt_tenant_create(root, &p, "20260101-000000-1a", "victim-1", "victim",
					       &t[0], &err),
			 0);
	assert_int_equal(isb_rdt_tenant_create(root, &p, "20260101-000000-1a", "aggressor-2",
					       "aggressor", &t[1], &err),
			 0);
	/* a vm tenant's name has dashes of its own */
	assert_int_equal(isb_rdt_tenant_create(root, &p, "20260101-000001-2b", "vm-a-victim-1",
					       "victim", &t[2], &err),
			 0);
	mkdirs(root); /* a group somebody else made stays */
	char other[400];
	snprintf(other, sizeof(other), "%s/mine", root);
	mkdirs(other);
	char ids[8][40];
	int n = isb_rdt_list_campaigns_at(root, ids, 8);
	assert_int_equal(n, 2);
	assert_true(
	    (!strcmp(ids[0], "20260101-000000-1a") && !strcmp(ids[1], "20260101-000001-2b")) ||
	    (!strcmp(ids[1], "20260101-000000-1a") && !strcmp(ids[0], "20260101-000001-2b")));
	assert_int_equal(isb_rdt_campaign_remove_at(root, "20260101-000000-1a"), 2);
	assert_false(exists(root, t[0].name));
	assert_false(exists(root, t[1].name));
	assert_true(exists(root, t[2].name));
	assert_true(exists(root, "mine"));
	assert_int_equal(isb_rdt_list_campaigns_at(root, ids, 8), 1);
	assert_string_equal(ids[0], "20260101-000001-2b");
	assert_int_equal(isb_rdt_campaign_remove_at(root, "20260101-000001-2b"), 1);
	assert_int_equal(isb_rdt_list_campaigns_at(root, ids, 8), 0);
}

static void test_keys(void **state)
{
	struct isb_err err = {0};
	static const struct {
		const char *k, *v;
		bool ok;
	} cases[] = {
	    {"llc.ways", "4", true},	  {"llc.ways", "0", false},    {"llc.ways", "33", false},
	    {"llc.ways", "two", false},	  {"mb.percent", "50", true},  {"mb.percent", "0", false},
	    {"mb.percent", "101", false}, {"mb.percent", "-5", false},
	};
	const struct isb_ct_kind *const kinds[] = {&isb_ct_container, &isb_ct_oci, &isb_ct_sandbox,
						   &isb_ct_gvisor, &isb_ct_vm};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(cases); i++) {
		for (size_t kind = 0; kind < ISB_ARRAY_SIZE(kinds); kind++) {
			int r = isb_ctconf_check(cases[i].k, cases[i].v, kinds[kind], &err);
			assert_int_equal(r == 0, cases[i].ok);
			if (!cases[i].ok) {
				/* the error names the key, the value and the range */
				assert_non_null(strstr(err.msg, cases[i].k));
				assert_non_null(strstr(err.msg, cases[i].v));
				assert_non_null(strstr(err.msg, "[1, "));
			}
		}
	}
	struct isb_config c = {.nopts = 2};
	snprintf(c.opts[0].key, sizeof(c.opts[0].key), "llc.ways");
	snprintf(c.opts[0].value, sizeof(c.opts[0].value), "3");
	snprintf(c.opts[1].key, sizeof(c.opts[1].key), "mb.percent");
	snprintf(c.opts[1].value, sizeof(c.opts[1].value), "40");
	struct isb_ctconf cf;
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_int_equal(cf.rdt.ways, 3);
	assert_int_equal(cf.rdt.percent, 40);
	char desc[256];
	isb_ctconf_describe(&cf, desc, sizeof(desc));
	assert_non_null(strstr(desc, "+llc.ways+mb.percent"));
	/* resctrl is no cgroup: the keys alone ask for no tenant cgroup */
	c.nopts = 3;
	snprintf(c.opts[2].key, sizeof(c.opts[2].key), "cgroups");
	snprintf(c.opts[2].value, sizeof(c.opts[2].value), "none");
	assert_int_equal(isb_ctconf_parse(&c, &cf, &isb_ct_container, &err), 0);
	assert_false(isb_ctconf_wants_cgroup(&cf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_both_sides_disjoint_and_tasks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mb_rounding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cdp_and_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unavailable_with_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	    cmocka_unit_test(test_keys),
	};
	ISB_RUN_TESTS(tests);
}
