/*
 * The container class's configuration, shared by the own runtime
 * (container) and the OCI runtimes (oci). Every taxonomy leaf and sub-leaf
 * is a key of the suite's [config] section, so a campaign can ablate them:
 *
 *   namespaces   = all | none | docker | LIST       (cgroup,ipc,mount,net,pid,time,user,uts)
 *   ns.NAME      = yes | no                         (one namespace, over `namespaces`)
 *   cgroups      = none | fair | partitioned | capped
 *   cpu.weight, cpu.max, cpuset, memory.max, memory.swap, memory.low, io.weight,
 *   io.rbps, io.wbps, io.riops, io.wiops, pids.max  (explicit limits, over the policy)
 *   llc.ways     = N                               (L3 ways per side, resctrl.c)
 *   mb.percent   = P                               (memory bandwidth per tenant, resctrl.c)
 *   capabilities = all | none | docker | LIST       (CAP_ names kept)
 *   net.rate     = RATE                             (bits/s: the tenant's HTB class on the
 *                                                    campaign's shaped link, link_rate)
 *   runtime      = runc | crun                      (oci only)
 *   lsm          = none | landlock | bpf            (the LSM sandbox's policy, lsm.c)
 *
 * Policies, per tenant (the victim side and the aggressor side each):
 *   fair         equal cpu and io weights; half of the campaign's memory and pids ceiling
 *                (half of the scenario's memory_budget where it has one and it is smaller);
 *   partitioned  fair, plus disjoint cpusets: the online CPUs split in two halves;
 *   capped       a cpu quota of half the CPUs the tenant is placed on; memory and pids
 *                as fair.
 * capped and partitioned also throttle each tenant's I/O on the campaign's disk, with
 * figures derived from its calibration (harness/disk.c), see isb_ctconf_io_derive.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/ctconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_LIBCAPNG
#include <cap-ng.h>
#endif

const char *const isb_ns_names[ISB_NS__COUNT] = {"cgroup", "ipc",  "mount", "net",
						 "pid",	   "time", "user",  "uts"};

/* Docker's default capabilities (moby's oci/defaults.go). */
static const char *const docker_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",	 "FOWNER",	     "MKNOD",	   "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

/* Capability names, index = number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

const char *isb_cap_name(unsigned i)
{
	return i < ISB_ARRAY_SIZE(cap_names) ? cap_names[i] : NULL;
}

static int cap_find(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(cap_names); i++)
		if (!strcasecmp(cap_names[i], name))
			return (int)i;
	return -1;
}

static int parse_yesno(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		return *out = true, 0;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		return *out = false, 0;
	return -1;
}

const char *const isb_cg_policy_names[] = {"none", "fair", "partitioned", "capped", NULL};

static int ns_find(const char *name)
{
	for (int i = 0; i < ISB_NS__COUNT; i++)
		if (!strcmp(name, isb_ns_names[i]) || (i == ISB_NS_MNT && !strcmp(name, "mnt")))
			return i;
	return -1;
}

/* namespaces = all | none | docker | LIST */
static int parse_namespaces(void *conf, const char *k, const char *v, struct isb_err *err)
{
	struct isb_ctconf *cf = conf;
	unsigned ns = 0;
	if (!strcmp(v, "all")) {
		ns = (1u << ISB_NS__COUNT) - 1;
	} else if (!strcmp(v, "docker")) {
		ns = ISB_NS_DOCKER;
	} else if (strcmp(v, "none")) {
		char buf[192];
		snprintf(buf, sizeof(buf), "%s", v);
		for (char *save, *t = strtok_r(buf, ", ", &save); t;
		     t = strtok_r(NULL, ", ", &save)) {
			int found = ns_find(t);
			if (found < 0)
				return isb_errf(
				    err, 0,
				    "namespaces: unknown namespace '%s' (all, none, "
				    "docker, or a list of cgroup, ipc, mount, net, pid, "
				    "time, user, uts)",
				    t);
			ns |= 1u << found;
		}
	}
	if (cf)
		cf->ns = ns;
	return 0;
}

/* ns.NAME = yes | no: one namespace, over `namespaces` */
static int parse_ns_one(void *conf, const char *k, const char *v, struct isb_err *err)
{
	struct isb_ctconf *cf = conf;
	int i = ns_find(k + 3);
	bool on;
	if (i < 0)
		return isb_errf(err, 0, "unknown namespace key '%s'", k);
	if (parse_yesno(v, &on) < 0)
		return isb_errf(err, 0, "%s: '%s' is not yes or no", k, v);
	if (cf)
		cf->ns = on ? cf->ns | (1u << i) : cf->ns & ~(1u << i);
	return 0;
}

/* capabilities = all | none | docker | LIST of CAP_ names kept */
static int parse_caps(void *conf, const char *k, const char *v, struct isb_err *err)
{
	struct isb_ctconf scratch, *cf = conf ? conf : &scratch;
	snprintf(cf->caps_name, sizeof(cf->caps_name), "%.31s", v);
	cf->caps_all = !strcmp(v, "all");
	cf->caps = 0;
	if (cf->caps_all || !strcmp(v, "none"))
		return 0;
	if (!strcmp(v, "docker")) {
		for (size_t i = 0; i < ISB_ARRAY_SIZE(docker_caps); i++)
			cf->caps |= 1ull << cap_find(docker_caps[i]);
		return 0;
	}
	char buf[192];
	snprintf(buf, sizeof(buf), "%s", v);
	snprintf(cf->caps_name, sizeof(cf->caps_name), "list");
	for (char *save, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int c = cap_find(t);
		if (c < 0)
			return isb_errf(err, 0,
					"capabilities: unknown capability '%s' (all, none, docker, "
					"or CAP_ names)",
					t);
		cf->caps |= 1ull << c;
	}
	return 0;
}

static const char *const platforms[] = {"ptrace", "kvm", "systrap", NULL};
static const char *const networks[] = {"none", "host", "sandbox", NULL};
static const char *const runtimes[] = {"runc", "crun", NULL};

#define CF(member)  ISB_OPT_FIELD(struct isb_ctconf, member)
#define LIM(member) ISB_OPT_FIELD(struct isb_ctconf, set.member)
#define NS	    ISB_CTK_NS
#define CG	    ISB_CTK_CGROUP

/* The order is the one an unknown key's error lists them in. */
const struct isb_backend_option isb_ctconf_options[] = {
    {"namespaces", NULL, ISB_OPT_CUSTOM, .parse = parse_namespaces, .kinds = NS,
     .help = "all | none | docker | a list of cgroup, ipc, mount, net, pid, time, user, uts"},
    {"ns.", "ns.NAME", ISB_OPT_CUSTOM, .parse = parse_ns_one, .kinds = NS,
     .help = "yes | no: one namespace, over namespaces"},
    {"cgroups", NULL, ISB_OPT_ENUM, CF(policy), .names = isb_cg_policy_names, .kinds = CG,
     .help = "the policy of each side's limits"},
    {"cpu.weight", NULL, ISB_OPT_UINT, LIM(cpu_weight), .min = 1, .max = 10000, .kinds = CG,
     .help = "cpu weight (v2 units, 100: the default)"},
    {"cpu.max", NULL, ISB_OPT_DOUBLE, LIM(cpu_max), .min = 0.01, .max = 4096, .kinds = CG,
     .expect = "a number of CPUs in [0.01, 4096]", .help = "CPUs of quota per period"},
    {"cpuset", NULL, ISB_OPT_CPULIST, LIM(cpuset), .kinds = CG, .help = "the CPUs it runs on"},
    {"memory.max", NULL, ISB_OPT_SIZE, LIM(mem_max), .min = 4u << 20, .hint = "at least 4M",
     .kinds = CG, .help = "memory limit"},
    {"memory.swap", NULL, ISB_OPT_SIZE, LIM(swap_max),
     .set_off = ISB_OPT_FLAG(struct isb_ctconf, set.swap_set), .kinds = CG,
     .help = "swap beyond memory.max (none by default when memory is limited)"},
    /* protection of the tenant's pages from reclaim (not from the OOM killer) */
    {"memory.low", NULL, ISB_OPT_SIZE, LIM(mem_low), .min = 1, .kinds = CG,
     .help = "memory protected from reclaim"},
    {"io.weight", NULL, ISB_OPT_UINT, LIM(io_weight), .min = 1, .max = 10000, .kinds = CG,
     .help = "io weight (v2 units; needs bfq on the device)"},
    {"io.rbps", NULL, ISB_OPT_SIZE, LIM(io_rbps), .min = 1,
     .expect = "a positive size per second (e.g. 50M)", .kinds = CG,
     .help = "read bytes per second"},
    {"io.wbps", NULL, ISB_OPT_SIZE, LIM(io_wbps), .min = 1,
     .expect = "a positive size per second (e.g. 50M)", .kinds = CG,
     .help = "write bytes per second"},
    {"io.riops", NULL, ISB_OPT_UINT, LIM(io_riops), .min = 1, .expect = "a positive integer",
     .kinds = CG, .help = "reads per second"},
    {"io.wiops", NULL, ISB_OPT_UINT, LIM(io_wiops), .min = 1, .expect = "a positive integer",
     .kinds = CG, .help = "writes per second"},
    {"pids.max", NULL, ISB_OPT_UINT, LIM(pids_max), .min = 8, .kinds = CG, .help = "processes"},
    {"net.rate", NULL, ISB_OPT_RATE, CF(net_rate), .min = 8000,
     .expect = "a rate in bits/s like 100M (k, M, G: powers of 1000; at least 8k)", .kinds = CG,
     .help = "bits/s of the tenant's class on the campaign's shaped link (link_rate)"},
    /* resctrl (backends/resctrl.c): the host's own limits are checked at prepare */
    {"llc.ways", NULL, ISB_OPT_UINT, CF(rdt.ways), .min = 1, .max = 32,
     .hint = "L3 cache ways per side", .kinds = CG, .help = "cache allocation (resctrl)"},
    {"mb.percent", NULL, ISB_OPT_UINT, CF(rdt.percent), .min = 1, .max = 100,
     .hint = "percent of memory bandwidth", .kinds = CG,
     .help = "memory bandwidth allocation (resctrl)"},
    {"capabilities", NULL, ISB_OPT_CUSTOM, .parse = parse_caps, .kinds = NS,
     .help = "all | none | docker | a list of CAP_ names kept"},
    {"sandbox", NULL, ISB_OPT_ENUM, CF(sb), .names = isb_sb_names, .kinds = ISB_CTK_SANDBOX,
     .help = "the own system-call interception"},
    {"lsm", NULL, ISB_OPT_ENUM, CF(lsm), .names = isb_lsm_names, .kinds = ISB_CTK_LSM,
     .help = "the LSM sandbox's policy (files, signals, network, mounts) by Landlock or BPF-LSM"},
    {"runtime", NULL, ISB_OPT_STRING, CF(runtime), .names = runtimes, .kinds = ISB_CTK_RUNTIME,
     .help = "the OCI runtime"},
    {"platform", NULL, ISB_OPT_STRING, CF(platform), .names = platforms, .kinds = ISB_CTK_GVISOR,
     .help = "gVisor's platform"},
    {"network", NULL, ISB_OPT_STRING, CF(network), .names = networks, .kinds = ISB_CTK_GVISOR,
     .help = "gVisor's network"},
    {0},
};

static int unknown_key(const char *k, const struct isb_ct_kind *kind, struct isb_err *err)
{
	char keys[1024];
	return isb_errf(err, 0, "unknown key '%s' (%s)", k,
			kind->keys_help
			    ? kind->keys_help
			    : isb_option_list(isb_ctconf_options, kind->keys, keys, sizeof(keys)));
}

int isb_ctconf_check(const char *key, const char *value, const struct isb_ct_kind *kind,
		     struct isb_err *err)
{
	int r = isb_option_apply(isb_ctconf_options, kind->keys, NULL, key, value, err);
	return r == -ENOENT ? unknown_key(key, kind, err) : r;
}

int isb_ctconf_parse(const struct isb_config *c, struct isb_ctconf *cf,
		     const struct isb_ct_kind *kind, struct isb_err *err)
{
	memset(cf, 0, sizeof(*cf));
	cf->ns = kind->ns;
	cf->policy = kind->policy;
	parse_caps(cf, "capabilities", kind->caps, NULL);
	cf->sb = kind->sb;
	snprintf(cf->runtime, sizeof(cf->runtime), "%s", kind->runtime);
	snprintf(cf->platform, sizeof(cf->platform), "ptrace");
	snprintf(cf->network, sizeof(cf->network), "none");
	/* namespaces before ns.NAME, whatever the order in the file */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nopts; i++) {
			const char *k = c->opts[i].key;
			if ((pass == 0) != !strcmp(k, "namespaces"))
				continue;
			int r = isb_option_apply(isb_ctconf_options, kind->keys, cf, k,
						 c->opts[i].value, err);
			if (r == -ENOENT)
				unknown_key(k, kind, err);
			if (r < 0)
				return -EINVAL;
		}
	if ((kind->keys & ISB_CTK_RUNTIME) && (cf->ns & (1u << ISB_NS_TIME)) &&
	    !strcmp(cf->runtime, "runc"))
		return isb_errf(err, 0, "runc 1.1 has no time namespace: drop ns.time");
	return 0;
}

bool isb_ctconf_wants_cgroup(const struct isb_ctconf *cf)
{
	const struct isb_limits *l = &cf->set;
	return cf->policy != ISB_POLICY_NONE || l->cpu_weight || l->cpu_max > 0 || l->cpuset[0] ||
	       l->mem_max || l->mem_low || l->io_weight || l->io_rbps || l->io_wbps ||
	       l->io_riops || l->io_wiops || l->pids_max;
}

unsigned isb_ctconf_leaves(const struct isb_ctconf *cf)
{
	unsigned leaves = 0;
	if (cf->ns)
		leaves |= ISB_LEAF(CT_NS);
	if (isb_ctconf_wants_cgroup(cf))
		leaves |= ISB_LEAF(CT_CGROUPS);
	if (!cf->caps_all)
		leaves |= ISB_LEAF(CT_CAPS);
	if (cf->sb == ISB_SB_SECCOMP || cf->sb == ISB_SB_NOTIFY)
		leaves |= ISB_LEAF(SB_SECCOMP);
	if (cf->sb == ISB_SB_PTRACE)
		leaves |= ISB_LEAF(SB_PTRACE);
	if (cf->sb == ISB_SB_SUD)
		leaves |= ISB_LEAF(SB_SUD);
	if (cf->lsm != ISB_LSM_NONE)
		leaves |= ISB_LEAF(SB_LSM);
	return leaves;
}

void isb_ctconf_describe(const struct isb_ctconf *cf, char *buf, size_t size)
{
	const char *const *pol = isb_cg_policy_names;
	size_t o = (size_t)snprintf(buf, size, "ns=");
	bool any = false;
	for (int i = 0; i < ISB_NS__COUNT && o < size; i++)
		if (cf->ns & (1u << i)) {
			o += (size_t)snprintf(buf + o, size - o, "%s%s", any ? "," : "",
					      isb_ns_names[i]);
			any = true;
		}
	if (!any && o < size)
		o += (size_t)snprintf(buf + o, size - o, "none");
	if (o < size)
		o += (size_t)snprintf(buf + o, size - o, "; cgroups=%s", pol[cf->policy]);
	const struct isb_limits *l = &cf->set;
	const struct {
		bool set;
		const char *key;
	} keys[] = {{l->cpu_weight != 0, "cpu.weight"}, {l->cpu_max > 0, "cpu.max"},
		    {l->cpuset[0] != 0, "cpuset"},	{l->mem_max != 0, "memory.max"},
		    {l->swap_set, "memory.swap"},	{l->mem_low != 0, "memory.low"},
		    {l->io_weight != 0, "io.weight"},	{l->io_rbps != 0, "io.rbps"},
		    {l->io_wbps != 0, "io.wbps"},	{l->io_riops != 0, "io.riops"},
		    {l->io_wiops != 0, "io.wiops"},	{l->pids_max != 0, "pids.max"},
		    {cf->rdt.ways != 0, "llc.ways"},	{cf->rdt.percent != 0, "mb.percent"}};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(keys) && o < size; i++)
		if (keys[i].set)
			o += (size_t)snprintf(buf + o, size - o, "+%s", keys[i].key);
	if (cf->net_rate && o < size)
		o += (size_t)snprintf(buf + o, size - o, "+net.rate");
	if (o < size)
		o += (size_t)snprintf(buf + o, size - o, "; caps=%s",
				      cf->caps_name[0] ? cf->caps_name : "docker");
	if (cf->sb && o < size)
		o += (size_t)snprintf(buf + o, size - o, "; sandbox=%s", isb_sb_names[cf->sb]);
	if (cf->lsm && o < size)
		snprintf(buf + o, size - o, "; lsm=%s", isb_lsm_names[cf->lsm]);
}

static int online_cpus(cpu_set_t *set)
{
	char buf[256];
	CPU_ZERO(set);
	if (isb_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return -1;
	return isb_cpulist_parse(buf, set);
}

/*
 * Per tenant, from the calibration: R = 4 KiB random reads per second at QD1 (what one
 * latency-bound reader gets alone), W = 1 MiB sequential write bytes per second.
 *   partitioned  half the device each: W/2 read and write bandwidth, 2R writes per second
 *                (half of what 4 KiB writes at QD32 reached here, ~4R);
 *   capped       writes held to W/50 and R/4 per second, so a writer next door leaves the
 *                device mostly idle for a reader's requests;
 *   both         reads at W/2 and 8R per second: a QD1 reader never meets its own limit,
 *                even where the calibration ran on a busy host and came out several times
 *                too low (560 to 2800 IOPS were seen here for one device), while a deep
 *                reader is still held.
 * Measured here (loop device, direct I/O, ~1 GB/s): unthrottled, a 1 MiB QD32 writer took
 * 92-99 % of a QD1 reader's IOPS; held to 20 MB/s (2 %) it left the reader its IOPS, while
 * at 50-70 MB/s the reader still lost 30-40 % in some trials.
 */
void isb_ctconf_io_derive(enum isb_cg_policy policy, const struct isb_config *c,
			  struct isb_limits *l)
{
	static const struct {
		double rbps, wbps, riops, wiops; /* of W, W, R, R */
	} f[] = {
	    [ISB_POLICY_PARTITIONED] = {0.5, 0.5, 8, 2},
	    [ISB_POLICY_CAPPED] = {0.5, 0.02, 8, 0.25},
	};
	if ((policy != ISB_POLICY_PARTITIONED && policy != ISB_POLICY_CAPPED) ||
	    !(c->disk_read_iops > 0) || !(c->disk_write_bps > 0))
		return;
	l->io_rbps = (uint64_t)(f[policy].rbps * c->disk_write_bps);
	l->io_wbps = (uint64_t)(f[policy].wbps * c->disk_write_bps);
	l->io_riops = (uint64_t)(f[policy].riops * c->disk_read_iops);
	l->io_wiops = (uint64_t)(f[policy].wiops * c->disk_read_iops);
	/* never below what a tenant needs to lay out its file at all */
	if (l->io_wbps < (4u << 20))
		l->io_wbps = 4u << 20;
	if (l->io_wiops < 64)
		l->io_wiops = 64;
}

int isb_ctconf_limits(const struct isb_ctconf *cf, const struct isb_config *c,
		      const struct isb_tenant_spec *spec, struct isb_limits *l, cpu_set_t *cpus,
		      struct isb_err *err)
{
	/* the victim and its peer on one side, the aggressor and its peer on the other */
	int side = spec->label && !strncmp(spec->label, "aggressor", 9) ? 1 : 0;
	memset(l, 0, sizeof(*l));
	if (spec->pinned)
		*cpus = spec->cpus;
	else
		online_cpus(cpus);
	if (cf->policy != ISB_POLICY_NONE) {
		l->cpu_weight = 100;
		l->io_weight = 100;
		/* under a node budget each side gets half of what the node has */
		if (isb_config_mem_limit(c))
			l->mem_max = isb_config_mem_limit(c) / 2;
		if (c->pids_ceiling)
			l->pids_max = c->pids_ceiling / 2 < 8 ? 8 : c->pids_ceiling / 2;
	}
	if (cf->policy == ISB_POLICY_PARTITIONED) {
		cpu_set_t all, half;
		int n = online_cpus(&all), seen = 0;
		if (n < 2)
			return isb_errf(
			    err, 0,
			    "partitioned needs at least 2 online CPUs to give each side "
			    "its own (this host has %d)",
			    n);
		CPU_ZERO(&half);
		for (int i = 0; i < CPU_SETSIZE; i++) {
			if (!CPU_ISSET(i, &all))
				continue;
			if ((seen < n / 2) == (side == 0))
				CPU_SET(i, &half);
			seen++;
		}
		isb_cpuset_str(&half, l->cpuset, sizeof(l->cpuset));
		*cpus = half; /* the partition replaces the placement's pinning */
	}
	if (cf->policy == ISB_POLICY_CAPPED)
		l->cpu_max = CPU_COUNT(cpus) / 2.0;
	/* derived throttles only where prepare found the device they name (a VM's go to QEMU) */
	if (cf->set.io_major || cf->set.io_minor)
		isb_ctconf_io_derive(cf->policy, c, l);
	const struct isb_limits *s = &cf->set;
	if (s->cpu_weight)
		l->cpu_weight = s->cpu_weight;
	if (s->cpu_max > 0)
		l->cpu_max = s->cpu_max;
	if (s->cpuset[0]) {
		snprintf(l->cpuset, sizeof(l->cpuset), "%s", s->cpuset);
		isb_cpulist_parse(s->cpuset, cpus);
	}
	if (s->mem_max)
		l->mem_max = s->mem_max;
	l->mem_low = s->mem_low;
	if (s->swap_set)
		l->swap_max = s->swap_max, l->swap_set = true;
	else if (l->mem_max)
		l->swap_set = true; /* no swap for a limited tenant unless asked */
	if (s->io_weight)
		l->io_weight = s->io_weight;
	/* explicit throttles over the derived ones */
	if (s->io_rbps)
		l->io_rbps = s->io_rbps;
	if (s->io_wbps)
		l->io_wbps = s->io_wbps;
	if (s->io_riops)
		l->io_riops = s->io_riops;
	if (s->io_wiops)
		l->io_wiops = s->io_wiops;
	l->io_major = s->io_major;
	l->io_minor = s->io_minor;
	if (s->pids_max)
		l->pids_max = s->pids_max;
	return 0;
}

int isb_ctconf_net_class(struct isb_config *c, const struct isb_ctconf *cf,
			 const struct isb_ct_kind *kind, char *note, size_t size,
			 struct isb_err *err)
{
	/* A class matches a tenant's source address (u32): only a tenant with an address of
	 * its own (its own network namespace, or a VM's tap) can have one. */
	bool own = kind->own_address || (cf->ns & (1u << ISB_NS_NET));
	uint64_t link = c->link_rate_bps;
	char r[24], l[24];
	c->net_class_rate = c->net_class_ceil = 0;
	note[0] = 0;
	if (cf->net_rate) {
		if (!link)
			return isb_errf(err, 0,
					"net.rate needs the campaign's shaped link: set link_rate "
					"in [global]");
		if (c->link_no_class[0])
			return isb_errf(err, 0, "net.rate needs a class on the shaped link: %s",
					c->link_no_class);
		if (!own)
			return isb_errf(err, 0,
					"net.rate needs a network namespace of the tenant's own "
					"(its class matches its address): add net to namespaces");
		c->net_class_rate = c->net_class_ceil = cf->net_rate;
		isb_rate_str(cf->net_rate, r, sizeof(r));
		snprintf(note, size, "link class per tenant: htb rate=ceil=%sbit (net.rate)", r);
		return 0;
	}
	if (!link || cf->policy == ISB_POLICY_NONE)
		return 0;
	if (!own) {
		snprintf(note, size,
			 "no link class: the tenants share one network namespace, and so one "
			 "address");
		return 0;
	}
	/* fair and partitioned: half the link guaranteed, all of it when the other side is
	 * idle; capped: half, never more */
	c->net_class_rate = link / 2;
	c->net_class_ceil = cf->policy == ISB_POLICY_CAPPED ? link / 2 : link;
	isb_rate_str(c->net_class_rate, r, sizeof(r));
	isb_rate_str(c->net_class_ceil, l, sizeof(l));
	snprintf(note, size,
		 "link class per tenant: htb rate=%sbit ceil=%sbit (cgroups policy)%s%s", r, l,
		 c->link_no_class[0] ? "; not on this host: " : "", c->link_no_class);
	return 0;
}

int isb_caps_apply(const struct isb_ctconf *cf)
{
	if (cf->caps_all)
		return 0;
#ifdef HAVE_LIBCAPNG
	capng_clear(CAPNG_SELECT_BOTH);
	for (unsigned i = 0; i < 64; i++)
		if (cf->caps & (1ull << i))
			if (capng_update(CAPNG_ADD,
					 CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE |
					     CAPNG_BOUNDING_SET,
					 i) < 0)
				return -EINVAL;
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		return -EPERM;
	return 0;
#else
	errno = ENOTSUP;
	return -ENOTSUP;
#endif
}
