/*
 * The vm backend's container = own without a guest: the isobench.ct value each tenant's
 * kernel command line carries (explicit keys, the policies' limits with capped counted in
 * vCPUs, nothing at all), the leaves the container adds, and what prepare refuses (no
 * runtime in the image, a cpuset beyond the vCPUs, io.weight) with the exact message.
 */
#include "config.h"
#include "backends/vm.h"
#include "unit.h"

#include <stdlib.h>

/* A vm configuration's private state with its cgroup keys parsed from "k=v" pairs. */
static void setup(struct isb_config *c, struct isb_vm_priv *p, unsigned vcpus,
		  const char *const *kv)
{
	struct isb_err err = {0};
	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	c->mem_ceiling_bytes = 1ull << 30;
	c->pids_ceiling = 1000;
	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		snprintf(c->opts[c->nopts].key, sizeof(c->opts[0].key), "%.*s", (int)(eq - kv[i]),
			 kv[i]);
		snprintf(c->opts[c->nopts].value, sizeof(c->opts[0].value), "%s", eq + 1);
		c->nopts++;
	}
	isb_vm_conf_init(&p->v);
	p->v.vcpus = vcpus;
	p->v.container = true;
	p->g.has_ct = true;
	snprintf(p->g.hash, sizeof(p->g.hash), "0123456789abcdef");
	if (isb_ctconf_parse(c, &p->v.cf, &isb_ct_vm, &err) < 0)
		fail_msg("parse: %s", err.msg);
}

static const char *spec_of(const char *label, unsigned vcpus, const char *const *kv)
{
	static char out[400];
	struct isb_config *c = calloc(1, sizeof(*c));
	struct isb_vm_priv *p = calloc(1, sizeof(*p));
	struct isb_err err = {0};
	struct isb_tenant_spec spec = {.label = label};
	setup(c, p, vcpus, kv);
	if (isb_vm_ct_spec(c, p, &spec, out, sizeof(out), &err) < 0)
		fail_msg("spec: %s", err.msg);
	free(c);
	free(p);
	return out;
}

static void test_spec(void **state)
{
	static const char *const limits[] = {"cpu.max=0.5", "memory.max=200M", "pids.max=24", NULL};
	assert_string_equal(
	    spec_of("victim", 1, limits),
	    "ns=ipc+mnt+pid+uts;cpu.max=0.5;memory.max=209715200;memory.swap=0;pids.max=24");
	/* capped: half of the guest's vCPUs, not of the host's CPUs; the ceilings halved */
	static const char *const capped[] = {"cgroups=capped", NULL};
	assert_string_equal(spec_of("aggressor", 4, capped),
			    "ns=ipc+mnt+pid+uts;cpu.max=2;cpu.weight=100;memory.max=536870912;"
			    "memory.swap=0;pids.max=500");
	static const char *const cpuset[] = {"cpuset=0-1", "memory.swap=64M", "memory.max=1G",
					     NULL};
	assert_string_equal(
	    spec_of("victim", 2, cpuset),
	    "ns=ipc+mnt+pid+uts;cpuset=0-1;memory.max=1073741824;memory.swap=67108864");
	assert_string_equal(spec_of("victim", 1, NULL), "ns=ipc+mnt+pid+uts");
}

static void test_leaves(void **state)
{
	struct isb_config *c = calloc(1, sizeof(*c));
	struct isb_vm_priv *p = calloc(1, sizeof(*p));
	setup(c, p, 1, NULL);
	assert_int_equal(isb_vm_ct_leaves(p), ISB_LEAF(CT_NS));
	static const char *const mem[] = {"memory.max=200M", NULL};
	setup(c, p, 1, mem);
	assert_int_equal(isb_vm_ct_leaves(p), ISB_LEAF(CT_NS) | ISB_LEAF(CT_CGROUPS));
	free(c);
	free(p);
}

static const char *prepare_error(unsigned vcpus, const char *const *kv, bool has_ct)
{
	static struct isb_err err;
	char note[512];
	struct isb_config *c = calloc(1, sizeof(*c));
	struct isb_vm_priv *p = calloc(1, sizeof(*p));
	setup(c, p, vcpus, kv);
	p->g.has_ct = has_ct;
	memset(&err, 0, sizeof(err));
	int r = isb_vm_ct_prepare(c, p, note, sizeof(note), &err);
	free(c);
	free(p);
	return r < 0 ? err.msg : NULL;
}

static void test_prepare(void **state)
{
	static const char *const ok[] = {"cpuset=0-1", "pids.max=24", NULL};
	assert_null(prepare_error(2, ok, true));
	assert_string_equal(prepare_error(2, ok, false),
			    "container = own: the guest image 0123456789abcdef has no "
			    "isobench-guestct (it is built beside isobench: make)");
	static const char *const beyond[] = {"cpuset=0,2", NULL};
	assert_string_equal(prepare_error(2, beyond, true),
			    "cpuset: with container = own it names the guest's vCPUs, and '0,2' "
			    "has CPU 2 where the guest has 2 (vcpus = 2)");
	static const char *const iow[] = {"io.weight=100", NULL};
	assert_string_equal(
	    prepare_error(1, iow, true),
	    "io.weight: with container = own the guest's disk is QEMU's (io.rbps, "
	    "io.wbps, io.riops, io.wiops throttle it); a weight in the guest has no "
	    "competitor to act on");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec),
	    cmocka_unit_test(test_leaves),
	    cmocka_unit_test(test_prepare),
	};
	ISB_RUN_TESTS(tests);
}
