/*
 * The probe: the taxonomy leaves a tenant really has, seen from inside it.
 * It reads only what any process can read about itself (/proc/self, its
 * cgroup files, CPUID), compares them with the host's reference the
 * harness passes (namespace inodes, the campaign's memory and pids
 * ceilings), and derives the container leaves:
 *
 *   CT_NS       a namespace whose inode differs from the host's;
 *   CT_CGROUPS  a limit on the tenant tighter than the campaign's ceilings
 *               (cpu quota or weight, a cpuset narrower than the host, a
 *               memory or pids limit below the ceiling, an io throttle);
 *   CT_CAPS     a bounding set smaller than every capability the kernel has.
 *
 * Sandbox and hypervisor leaves are reported as raw facts (Seccomp,
 * TracerPid, the CPUID hypervisor bit) for the harness to compare.
 *
 *   SB_LSM      an LSM policy refuses what no policy would: listing the
 *               root directory, which every process may otherwise (the LSM
 *               sandbox's policy grants directories below / only).
 */
#include "config.h"
#include "common/events.h"
#include "common/isb.h"
#include "stressors/probe.h"
#include "stressors/sud.h"

#include <cpuid.h>
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ns_names[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

static unsigned long long ns_inode(const char *name)
{
	char path[64], link[128];
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	const char *b = strchr(link, '[');
	return b ? strtoull(b + 1, NULL, 10) : 0;
}

/* "cgroup:4026531835,ipc:..." -> the inode for name, or 0. */
static unsigned long long host_ns(const char *spec, const char *name)
{
	size_t l = strlen(name);
	for (const char *p = spec; p && *p;) {
		if (!strncmp(p, name, l) && p[l] == ':')
			return strtoull(p + l + 1, NULL, 10);
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static void status_field(const char *status, const char *key, char *out, size_t size);

void isb_probe_host_ns(char *buf, size_t size)
{
	size_t o = 0;
	char status[8192] = "\n", bnd[32];
	buf[0] = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(ns_names) && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s:%llu", i ? "," : "", ns_names[i],
				      ns_inode(ns_names[i]));
	/* the host's own bounding set and filters: a harness in a container may not have
	 * every capability, and may run under a seccomp filter already */
	if (isb_read_file("/proc/self/status", status + 1, sizeof(status) - 1) > 0) {
		status_field(status, "CapBnd", bnd, sizeof(bnd));
		if (bnd[0] && o < size)
			o += (size_t)snprintf(buf + o, size - o, ",capbnd:%s", bnd);
		status_field(status, "Seccomp_filters", bnd, sizeof(bnd));
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, ",filters:%d", atoi(bnd));
	}
	/* the host kernel's boot id: a tenant that sees another one runs its own kernel */
	char boot[64];
	if (o < size && isb_probe_boot_id(boot, sizeof(boot)) == 0)
		snprintf(buf + o, size - o, ",bootid:%s", boot);
}

int isb_probe_boot_id(char *buf, size_t size)
{
	char id[64];
	if (isb_read_file("/proc/sys/kernel/random/boot_id", id, sizeof(id)) <= 0)
		return -1;
	isb_trim(id);
	/* the hex digits only: the spec is a comma list of NAME:VALUE */
	size_t o = 0;
	for (const char *p = id; *p && o + 1 < size; p++)
		if (isxdigit((unsigned char)*p))
			buf[o++] = *p;
	buf[o] = 0;
	return o ? 0 : -1;
}

/* What the guest's devices are: virtio devices bound, and emulated ones in use (an IDE or
 * AHCI disk, an e1000 NIC, or a UART carrying the agent's stdin). */
static void probe_devices(json_object *o, bool *para, bool *emulated)
{
	int nvirtio = 0;
	DIR *d = opendir("/sys/bus/virtio/devices");
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.')
			nvirtio++;
	if (d)
		closedir(d);
	json_object *em = json_object_new_array();
	static const char *const drivers[] = {"ata_piix", "ahci", "e1000", "e1000e"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(drivers); i++) {
		char p[128];
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s", drivers[i]);
		d = opendir(p);
		bool bound = false;
		for (struct dirent *e; d && (e = readdir(d));)
			if (strchr(e->d_name, ':'))
				bound = true;
		if (d)
			closedir(d);
		if (bound)
			json_object_array_add(em, json_object_new_string(drivers[i]));
	}
	struct stat st;
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 4 &&
	    minor(st.st_rdev) >= 64)
		json_object_array_add(em, json_object_new_string("uart"));
	*para = nvirtio > 0;
	*emulated = json_object_array_length(em) > 0;
	json_object_object_add(o, "virtio_devices", json_object_new_int(nvirtio));
	json_object_object_add(o, "emulated_devices", em);
}

static void status_field(const char *status, const char *key, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s:", key);
	const char *p = strstr(status, pat);
	out[0] = 0;
	if (!p)
		return;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t i = 0;
	while (p[i] && p[i] != '\n' && i + 1 < size) {
		out[i] = p[i];
		i++;
	}
	out[i] = 0;
}

static int read_str(const char *dir, const char *file, char *buf, size_t size)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (isb_read_file(path, buf, size) <= 0)
		return -1;
	isb_trim(buf);
	return 0;
}

static int cpus_in_list(const char *list)
{
	cpu_set_t set;
	return isb_cpulist_parse(list, &set);
}

/* The memory and pids limits in one cgroup directory; 1 if one is tighter than the
 * campaign's ceilings (or there are none). */
static int limits_mem_pids(const char *dir, const char *ctrls, bool v2, json_object *lim,
			   uint64_t mem_ceiling, uint64_t pids_ceiling)
{
	char v[256];
	int tight = 0;
	char *mem = v2 ? "memory.max" : "memory.limit_in_bytes";
	if ((v2 || strstr(ctrls, "memory")) && !read_str(dir, mem, v, sizeof(v))) {
		uint64_t m = strcmp(v, "max") ? strtoull(v, NULL, 10) : UINT64_MAX;
		if (m < (1ull << 62)) {
			json_object_object_add(lim, "memory_max",
					       json_object_new_int64((int64_t)m));
			tight |= !mem_ceiling || m < mem_ceiling - mem_ceiling / 100;
		}
	}
	if ((v2 || strstr(ctrls, "pids")) && !read_str(dir, "pids.max", v, sizeof(v)) &&
	    strcmp(v, "max")) {
		uint64_t p = strtoull(v, NULL, 10);
		json_object_object_add(lim, "pids_max", json_object_new_int64((int64_t)p));
		tight |= !pids_ceiling || p < pids_ceiling;
	}
	return tight;
}

/* The CPU limits in one cgroup directory (a quota, a weight, fewer CPUs than the host's
 * host_cpus); 1 if there is one. */
static int limits_cpu(const char *dir, const char *ctrls, bool v2, json_object *lim,
		      const char *host_cpus)
{
	char v[256];
	int tight = 0;
	if (v2 && !read_str(dir, "cpu.max", v, sizeof(v)) && strncmp(v, "max", 3)) {
		json_object_object_add(lim, "cpu_max", json_object_new_string(v));
		tight = 1;
	}
	if (v2 && !read_str(dir, "cpu.weight", v, sizeof(v)) && strcmp(v, "100")) {
		json_object_object_add(lim, "cpu_weight", json_object_new_string(v));
		tight = 1;
	}
	if (!v2 && strstr(ctrls, "cpu") && !strstr(ctrls, "cpuset")) {
		char per[64];
		if (!read_str(dir, "cpu.cfs_quota_us", v, sizeof(v)) && atol(v) > 0 &&
		    !read_str(dir, "cpu.cfs_period_us", per, sizeof(per))) {
			char q[160];
			snprintf(q, sizeof(q), "%s %s", v, per);
			json_object_object_add(lim, "cpu_max", json_object_new_string(q));
			tight = 1;
		}
		if (!read_str(dir, "cpu.shares", v, sizeof(v)) && strcmp(v, "1024")) {
			json_object_object_add(lim, "cpu_shares", json_object_new_string(v));
			tight = 1;
		}
	}
	if ((v2 || strstr(ctrls, "cpuset")) &&
	    !read_str(dir, v2 ? "cpuset.cpus.effective" : "cpuset.cpus", v, sizeof(v)) && v[0]) {
		json_object_object_add(lim, "cpuset", json_object_new_string(v));
		if (host_cpus[0] && cpus_in_list(v) < cpus_in_list(host_cpus))
			tight = 1;
	}
	return tight;
}

/* The I/O limits in one cgroup directory; 1 if there is one. */
static int limits_io(const char *dir, const char *ctrls, bool v2, json_object *lim)
{
	char v[256];
	int tight = 0;
	if (v2 && !read_str(dir, "io.max", v, sizeof(v)) && v[0]) {
		json_object_object_add(lim, "io_max", json_object_new_string(v));
		tight = 1;
	}
	if (!v2 && strstr(ctrls, "blkio")) {
		static const char *const th[] = {
		    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
		for (size_t i = 0; i < ISB_ARRAY_SIZE(th); i++)
			if (!read_str(dir, th[i], v, sizeof(v)) && v[0]) {
				json_object_object_add(lim, th[i] + 6, json_object_new_string(v));
				tight = 1;
			}
	}
	return tight;
}

/* The directory of one /proc/self/cgroup line ("ID:CONTROLLERS:PATH", cut at the second
 * colon); -1 for a named hierarchy that holds no controller. */
static int cgroup_line_dir(char *line, const char **ctrls, bool *v2, char *dir, size_t size)
{
	char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return -1;
	*c2 = 0;
	const char *path = c2 + 1;
	*ctrls = c1 + 1;
	*v2 = !**ctrls;
	if (*v2) {
		snprintf(dir, size, "/sys/fs/cgroup%s", path);
		return 0;
	}
	if (strstr(*ctrls, "name="))
		return -1;
	/* cpu,cpuacct may be one mount named either way */
	char first[64];
	snprintf(first, sizeof(first), "%s", *ctrls);
	char *comma = strchr(first, ',');
	if (comma)
		*comma = 0;
	snprintf(dir, size, "/sys/fs/cgroup/%s%s", first, path);
	return 0;
}

/* The limits this tenant's cgroup sets, read where /proc/self/cgroup says it lives. Adds
 * them to lim and returns 1 if one is tighter than the host or the campaign's ceilings. */
static int probe_limits(json_object *lim, uint64_t mem_ceiling, uint64_t pids_ceiling)
{
	char cg[4096];
	int tight = 0;
	if (isb_read_file("/proc/self/cgroup", cg, sizeof(cg)) <= 0)
		return 0;
	char host_cpus[256] = "";
	if (isb_read_file("/sys/devices/system/cpu/online", host_cpus, sizeof(host_cpus)) > 0)
		isb_trim(host_cpus);
	for (char *save, *line = strtok_r(cg, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *ctrls;
		char dir[1100];
		bool v2;
		if (cgroup_line_dir(line, &ctrls, &v2, dir, sizeof(dir)) < 0)
			continue;
		tight |= limits_mem_pids(dir, ctrls, v2, lim, mem_ceiling, pids_ceiling);
		tight |= limits_cpu(dir, ctrls, v2, lim, host_cpus);
		tight |= limits_io(dir, ctrls, v2, lim);
	}
	return tight;
}

/* The leaves the probe found, in the taxonomy's order (backends/backend.h). */
struct probe_leaves {
	bool hv_type1, hv_type2, hv_full, hv_para, ct_ns, ct_cg, ct_caps, sb_ptrace, sb_seccomp,
	    sb_sud, sb_lsm;
};

/* No reference from the harness: init's namespaces, where we may read them. */
static void init_ns_spec(char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(ns_names) && getpid() != 1; i++) {
		char path[64], link[128];
		snprintf(path, sizeof(path), "/proc/1/ns/%s", ns_names[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		const char *b = n > 0 ? (link[n] = 0, strchr(link, '[')) : NULL;
		if (b)
			o += (size_t)snprintf(buf + o, size - o, "%s%s:%s", o ? "," : "",
					      ns_names[i], b + 1);
	}
}

/* "namespaces" and, against a reference, "own_namespaces"; true where one is our own. */
static bool probe_namespaces(json_object *o, const char *spec)
{
	json_object *ns = json_object_new_object(), *own = json_object_new_array();
	bool ct_ns = false;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(ns_names); i++) {
		unsigned long long ino = ns_inode(ns_names[i]);
		json_object_object_add(ns, ns_names[i], json_object_new_int64((int64_t)ino));
		unsigned long long h = host_ns(spec, ns_names[i]);
		if (ino && h && ino != h) {
			json_object_array_add(own, json_object_new_string(ns_names[i]));
			ct_ns = true;
		}
	}
	json_object_object_add(o, ISB_KEY_NAMESPACES, ns);
	if (spec && *spec)
		json_object_object_add(o, "own_namespaces", own);
	else
		json_object_put(own);
	return ct_ns;
}

/* Fewer capabilities than the host's harness has, or than the kernel knows. */
static bool fewer_caps(const char *status, const char *spec)
{
	char v[256], last[32];
	status_field(status, "CapBnd", v, sizeof(v));
	const char *hb = spec ? strstr(spec, "capbnd:") : NULL;
	if (hb && v[0]) { /* fewer than the host's own */
		unsigned long long host = strtoull(hb + 7, NULL, 16);
		return (strtoull(v, NULL, 16) & host) != host;
	}
	if (isb_read_file("/proc/sys/kernel/cap_last_cap", last, sizeof(last)) > 0 && v[0]) {
		int n = atoi(last);
		unsigned long long all = n >= 63 ? ~0ull : (1ull << (n + 1)) - 1;
		return (strtoull(v, NULL, 16) & all) != all;
	}
	return false;
}

/* CPUID's hypervisor bit, and the hypervisor's vendor signature where it is set. */
static int cpuid_hypervisor(char vendor[13])
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	int hv = 0;
	vendor[0] = 0;
	if (__get_cpuid(1, &a, &b, &c, &d))
		hv = (c >> 31) & 1;
	if (hv) {
		__cpuid(0x40000000, a, b, c, d);
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &c, 4);
		memcpy(vendor + 8, &d, 4);
		vendor[12] = 0;
		for (int i = 0; i < 12; i++)
			if (vendor[i] &&
			    ((unsigned char)vendor[i] < 0x20 || (unsigned char)vendor[i] > 0x7e))
				vendor[i] = '?';
	}
	return hv;
}

/* The sandbox leaves: a filter beyond the host's, a tracer, SUD armed on this thread. */
static void probe_sandbox(json_object *o, const char *status, const char *spec,
			  struct probe_leaves *lv)
{
	char v[256];
	const char *hf = spec ? strstr(spec, "filters:") : NULL;
	status_field(status, "Seccomp_filters", v, sizeof(v));
	int filters = atoi(v), host_filters = hf ? atoi(hf + 8) : 0;
	status_field(status, "Seccomp", v, sizeof(v));
	lv->sb_seccomp = atoi(v) == 2 && filters > host_filters;
	status_field(status, "TracerPid", v, sizeof(v));
	lv->sb_ptrace = atoi(v) != 0;
	unsigned long sud_n;
	const char *sud = isb_sud_state(&sud_n);
	lv->sb_sud = !strcmp(sud, "armed");
	json_object_object_add(o, "sud", json_object_new_string(sud));
	json_object_object_add(o, "sud_dispatched", json_object_new_int64((int64_t)sud_n));
	/* SB_LSM: opening / for reading is refused by an LSM only (DAC lets anyone list it) */
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int e = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	lv->sb_lsm = e == EACCES || e == EPERM;
	snprintf(v, sizeof(v), "open /: %s", e ? strerror(e) : "allowed");
	json_object_object_add(o, "lsm_check", json_object_new_string(v));
}

/* The kernel and the hypervisor leaves: a kernel of its own (another boot id than the
 * host's, and not gVisor's), hardware-assisted or emulated by its CPUID signature. */
static void probe_kernel(json_object *o, const char *spec, struct probe_leaves *lv)
{
	char vendor[13];
	int hv = cpuid_hypervisor(vendor);
	/* gVisor's signature: the kernel it pretends to be */
	char ver[256] = "";
	if (isb_read_file("/proc/version", ver, sizeof(ver)) > 0)
		isb_trim(ver);
	bool gvisor =
	    strstr(ver, "Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016") != NULL;
	json_object_object_add(o, "kernel", json_object_new_string(ver));
	json_object_object_add(o, "gvisor", json_object_new_boolean(gvisor));
	json_object_object_add(o, "hypervisor_bit", json_object_new_int(hv));
	json_object_object_add(o, "hypervisor_vendor", json_object_new_string(vendor));
	char boot[64] = "";
	const char *hbid = spec ? strstr(spec, "bootid:") : NULL;
	bool own_kernel = false;
	if (hbid && isb_probe_boot_id(boot, sizeof(boot)) == 0) {
		size_t hl = strcspn(hbid + 7, ",");
		own_kernel = !gvisor && (strlen(boot) != hl || strncmp(boot, hbid + 7, hl));
		json_object_object_add(o, "own_kernel", json_object_new_boolean(own_kernel));
	}
	if (own_kernel) {
		bool emulated;
		probe_devices(o, &lv->hv_para, &emulated);
		if (!hv || !strcmp(vendor, "TCGTCGTCGTCG"))
			lv->hv_type2 = true; /* QEMU's TCG: every instruction translated */
		else
			lv->hv_type1 = true; /* KVM (or another hardware-assisted hypervisor) */
		lv->hv_full = lv->hv_type2 || emulated;
	}
}

/* "HV_TYPE1,CT_NS,...": the leaves found, in the taxonomy's order. */
static void leaves_list(const struct probe_leaves *l, char *buf, size_t size)
{
	const struct {
		bool on;
		const char *name;
	} lv[] = {
	    {l->hv_type1, "HV_TYPE1"},	   {l->hv_type2, "HV_TYPE2"}, {l->hv_full, "HV_FULL"},
	    {l->hv_para, "HV_PARA"},	   {l->hv_type1, "HV_HWA"},   {l->ct_ns, "CT_NS"},
	    {l->ct_cg, "CT_CGROUPS"},	   {l->ct_caps, "CT_CAPS"},   {l->sb_ptrace, "SB_PTRACE"},
	    {l->sb_seccomp, "SB_SECCOMP"}, {l->sb_sud, "SB_SUD"},     {l->sb_lsm, "SB_LSM"}};
	size_t lo = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(lv) && lo < size; i++)
		if (lv[i].on)
			lo += (size_t)snprintf(buf + lo, size - lo, "%s%s", lo ? "," : "",
					       lv[i].name);
}

json_object *isb_probe(const char *host_ns_spec, uint64_t mem_ceiling, uint64_t pids_ceiling)
{
	char init_ns[512] = "";
	if (!host_ns_spec || !*host_ns_spec) {
		init_ns_spec(init_ns, sizeof(init_ns));
		host_ns_spec = init_ns;
	}
	struct probe_leaves lv = {0};
	json_object *o = json_object_new_object(), *lim = json_object_new_object();
	char status[8192] = "\n", v[256], cg[2048] = "", leaves[128];
	lv.ct_ns = probe_namespaces(o, host_ns_spec);
	if (isb_read_file("/proc/self/status", status + 1, sizeof(status) - 1) < 0)
		status[1] = 0;
	static const char *const fields[] = {"CapEff",	"CapBnd",	   "NoNewPrivs",
					     "Seccomp", "Seccomp_filters", "TracerPid"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(fields); i++) {
		status_field(status, fields[i], v, sizeof(v));
		json_object_object_add(o, fields[i], json_object_new_string(v));
	}
	lv.ct_caps = fewer_caps(status, host_ns_spec);
	if (isb_read_file("/proc/self/cgroup", cg, sizeof(cg)) < 0)
		cg[0] = 0;
	json_object_object_add(o, "cgroup", json_object_new_string(isb_trim(cg)));
	lv.ct_cg = probe_limits(lim, mem_ceiling, pids_ceiling) > 0;
	json_object_object_add(o, "limits", lim);
	probe_sandbox(o, status, host_ns_spec, &lv);
	probe_kernel(o, host_ns_spec, &lv);
	leaves_list(&lv, leaves, sizeof(leaves));
	json_object_object_add(o, "leaves", json_object_new_string(leaves));
	return o;
}
