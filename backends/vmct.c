/*
 * The vm backend's container = own (the Kata shape, a hybrid configuration): the guest runs
 * the tenant under isobench's own container runtime, isobench-guestct (backends/guestct.c,
 * placed in the initramfs), in new pid, mount, uts and ipc namespaces (the network is the
 * VM's) and a cgroup v2 group of the guest's own cgroup2 mount. The configuration's cgroup
 * keys (cpu.max, cpu.weight, memory.max, memory.low, memory.swap, pids.max, and cpuset
 * naming the guest's vCPUs) go to that group instead of a cgroup around QEMU; they travel
 * on the kernel command line as isobench.ct=KEY=VALUE;... Here: the checks prepare makes,
 * the leaves the container adds, and that value for a tenant.
 */
#include "config.h"
#include "backends/vm.h"

#include <string.h>

/* The namespaces the container gets in the guest: its network is the VM's. */
#define CT_NS_SPEC "ipc+mnt+pid+uts"

int isb_vm_ct_prepare(const struct isb_config *c, const struct isb_vm_priv *p, char *buf,
		      size_t size, struct isb_err *err)
{
	const struct isb_ctconf *cf = &p->v.cf;
	if (!p->g.has_ct)
		return isb_errf(
		    err, 0,
		    "container = own: the guest image %s has no isobench-guestct (it is "
		    "built beside isobench: make)",
		    p->g.hash);
	if (cf->set.io_weight)
		return isb_errf(err, 0,
				"io.weight: with container = own the guest's disk is QEMU's "
				"(io.rbps, io.wbps, io.riops, io.wiops throttle it); a weight in "
				"the guest has no competitor to act on");
	if (cf->set.cpuset[0]) {
		cpu_set_t s;
		if (isb_cpulist_parse(cf->set.cpuset, &s) < 0)
			return isb_errf(err, 0, "cpuset: '%s' is not a CPU list", cf->set.cpuset);
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &s) && (unsigned)i >= p->v.vcpus)
				return isb_errf(err, 0,
						"cpuset: with container = own it names the guest's "
						"vCPUs, and '%s' has CPU %d where the guest has %u "
						"(vcpus = %u)",
						cf->set.cpuset, i, p->v.vcpus, p->v.vcpus);
	}
	struct isb_tenant_spec victim = {.label = "victim"};
	char spec[400];
	if (isb_vm_ct_spec(c, p, &victim, spec, sizeof(spec), err) < 0)
		return -1;
	snprintf(buf, size,
		 "none around QEMU; container own in the guest (isobench-guestct): ns %s, network "
		 "the VM's; cgroup v2 in the guest: %s%s",
		 "ipc,mnt,pid,uts", strchr(spec, ';') ? strchr(spec, ';') + 1 : "no limits",
		 cf->policy == ISB_POLICY_PARTITIONED
		     ? "; partitioned: each side's host CPUs pin its QEMU"
		     : "");
	return 0;
}

unsigned isb_vm_ct_leaves(const struct isb_vm_priv *p)
{
	return ISB_LEAF(CT_NS) | (isb_ctconf_wants_cgroup(&p->v.cf) ? ISB_LEAF(CT_CGROUPS) : 0);
}

int isb_vm_ct_spec(const struct isb_config *c, const struct isb_vm_priv *p,
		   const struct isb_tenant_spec *spec, char *out, size_t size, struct isb_err *err)
{
	const struct isb_ctconf *cf = &p->v.cf;
	struct isb_limits l;
	cpu_set_t cpus;
	if (isb_ctconf_limits(cf, c, spec, &l, &cpus, err) < 0)
		return -EINVAL;
	/* capped: half of what the tenant has, which in the guest is its vCPUs */
	if (cf->policy == ISB_POLICY_CAPPED && !(cf->set.cpu_max > 0))
		l.cpu_max = p->v.vcpus / 2.0;
	size_t o = (size_t)snprintf(out, size, "ns=" CT_NS_SPEC);
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (o < size)                                                                      \
			o += (size_t)snprintf(out + o, size - o, __VA_ARGS__);                     \
	} while (0)
	if (l.cpu_max > 0)
		ADD(";cpu.max=%g", l.cpu_max);
	if (l.cpu_weight)
		ADD(";cpu.weight=%u", l.cpu_weight);
	/* only an explicit cpuset names vCPUs; the policies' sets are the host's CPUs */
	if (cf->set.cpuset[0])
		ADD(";cpuset=%s", cf->set.cpuset);
	if (l.mem_max)
		ADD(";memory.max=%llu", (unsigned long long)l.mem_max);
	if (l.mem_low)
		ADD(";memory.low=%llu", (unsigned long long)l.mem_low);
	if (l.mem_max && l.swap_set)
		ADD(";memory.swap=%llu", (unsigned long long)l.swap_max);
	if (l.pids_max)
		ADD(";pids.max=%llu", (unsigned long long)l.pids_max);
#undef ADD
	if (o >= size)
		return isb_errf(err, E2BIG,
				"%s: container limits too long for the kernel command line",
				spec->label);
	return 0;
}
