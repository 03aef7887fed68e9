/*
 * The host, recorded with every campaign: topology, kernel, CPU, memory,
 * cgroup mode, and the versions of isobench and of every library and tool
 * that shaped the numbers.
 */
#include "config.h"
#include "harness/harness.h"

#include <gsl/gsl_version.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* First line a command prints, or "unavailable: reason". */
static void tool_version(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	out[0] = 0;
	if (f) {
		if (!fgets(out, (int)size, f))
			out[0] = 0;
		pclose(f);
	}
	isb_trim(out);
	if (!out[0])
		snprintf(out, size, "unavailable: not found");
}

/* resctrl: whether cache ways and memory bandwidth can be allocated per tenant here (the
 * report says so for memory-bandwidth and cache scenarios), and why not. */
json_object *isb_rdt_host_json(const char *root)
{
	json_object *o = json_object_new_object();
	struct isb_rdt_host r;
	struct isb_err why = {0};
	bool ok = isb_rdt_probe(root, &r, &why) == 0;
	json_object_object_add(o, "available", json_object_new_boolean(ok));
	if (!ok) {
		add_str(o, "reason", why.msg);
		return o;
	}
	json_object_object_add(o, "l3", json_object_new_boolean(r.l3));
	json_object_object_add(o, "mb", json_object_new_boolean(r.mb && !r.mba_mbps));
	json_object_object_add(o, "l3_ways", json_object_new_int((int)r.cbm_bits));
	json_object_object_add(o, "l3_domains", json_object_new_int((int)r.nl3));
	json_object_object_add(o, "mb_granularity", json_object_new_int((int)r.mb_gran));
	json_object_object_add(o, "mb_min", json_object_new_int((int)r.mb_min));
	if (!r.mb)
		add_str(o, "reason", "no memory bandwidth allocation (cache ways only)");
	else if (r.mba_mbps)
		add_str(o, "reason", "mounted with mba_MBps: no percentage allocation");
	return o;
}

json_object *isb_host_json(struct isb_topology *t)
{
	json_object *h = json_object_new_object();
	struct utsname u;
	char buf[512];
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		add_str(h, "kernel", buf);
		add_str(h, "kernel_version", u.version);
		add_str(h, "hostname", u.nodename);
	}
	char cpuinfo[16384];
	if (isb_read_file("/proc/cpuinfo", cpuinfo, sizeof(cpuinfo)) > 0) {
		char *m = strstr(cpuinfo, "model name");
		if (m && (m = strchr(m, ':'))) {
			char *nl = strchr(m, '\n');
			if (nl)
				*nl = 0;
			add_str(h, "cpu_model", isb_trim(m + 1));
		}
	}
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	json_object_object_add(h, "mem_total_bytes", json_object_new_int64((int64_t)pages * psz));
	json_object_object_add(h, "mem_available_bytes",
			       json_object_new_int64((int64_t)isb_mem_available()));
	json_object_object_add(h, "online_cpus",
			       json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	add_str(h, "cgroup", isb_cgroup_mode_name(isb_cgroup_mode()));
	json_object_object_add(h, "resctrl", isb_rdt_host_json(isb_rdt_root()));
	json_object_object_add(h, "topology", isb_topo_json(t));
	json_object *v = json_object_new_object();
	add_str(v, "isobench", PACKAGE_VERSION);
	add_str(v, "json-c", json_c_version());
	add_str(v, "sqlite", isb_store_lib_version());
	add_str(v, "gsl", gsl_version);
	add_str(v, "counters", isb_counters_lib());
#ifdef HAVE_HWLOC
	add_str(v, "hwloc", ISB_HWLOC_VERSION);
#else
	add_str(v, "hwloc", "unavailable: built --without-hwloc");
#endif
	char cmd[600];
	if (isb_fio_unavailable()) {
		snprintf(buf, sizeof(buf), "unavailable: %s", isb_fio_unavailable());
	} else {
		snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", isb_fio_bin());
		tool_version(cmd, buf, sizeof(buf));
	}
	add_str(v, "fio", buf);
	/* the OCI runtimes the oci and gvisor backends run */
	static const char *const runtimes[] = {"runc", "crun", "runsc", "qemu-system-x86_64"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(runtimes); i++) {
		snprintf(cmd, sizeof(cmd), "%s --version 2>/dev/null", runtimes[i]);
		tool_version(cmd, buf, sizeof(buf));
		add_str(v, runtimes[i], buf);
	}
#ifdef HAVE_LIBCAPNG
	add_str(v, "libcap-ng", "yes");
#else
	add_str(v, "libcap-ng", "unavailable: built --without-libcap-ng");
#endif
	json_object_object_add(h, "versions", v);
	return h;
}
