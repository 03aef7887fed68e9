/*
 * The OCI bundle the oci driver (oci.c) runs a tenant from: rootfs/, an empty root whose
 * system directories are bind mounts, and config.json, made with json-c: the same
 * namespaces, cgroup limits, capabilities and read-only root file system of host binds as
 * the own runtime's tenants get.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/oci.h"
#include "backends/tenantnet.h"
#include "common/json.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_object *jstrs(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static void add_mount(json_object *mounts, const char *dst, const char *type, const char *src,
		      const char *const *opts, size_t nopts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dst));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", jstrs(opts, nopts));
	json_object_array_add(mounts, m);
}

static json_object *caps_json(const struct isb_ctconf *cf)
{
	json_object *set = json_object_new_array();
	int last = 40;
	char buf[32];
	if (isb_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) > 0)
		last = atoi(buf);
	for (int i = 0; i <= last; i++) {
		const char *n = isb_cap_name((unsigned)i);
		if (!n || !(cf->caps_all || (cf->caps & (1ull << i))))
			continue;
		char name[40];
		snprintf(name, sizeof(name), "CAP_%s", n);
		json_object_array_add(set, json_object_new_string(name));
	}
	json_object *caps = json_object_new_object();
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	for (size_t i = 0; i < 3; i++)
		json_object_object_add(caps, sets[i], i ? json_object_get(set) : set);
	return caps;
}

static void throttle(json_object *bio, const char *key, const struct isb_limits *l, uint64_t v)
{
	if (!v)
		return;
	json_object *a = json_object_new_array(), *d = json_object_new_object();
	json_object_object_add(d, "major", json_object_new_int64(l->io_major));
	json_object_object_add(d, "minor", json_object_new_int64(l->io_minor));
	json_object_object_add(d, "rate", json_object_new_int64((int64_t)v));
	json_object_array_add(a, d);
	json_object_object_add(bio, key, a);
}

static json_object *resources_json(const struct isb_ctconf *cf, const struct isb_limits *l)
{
	json_object *r = json_object_new_object(), *cpu = json_object_new_object();
	if (l->cpu_weight)
		json_object_object_add(cpu, "shares",
				       json_object_new_int64(l->cpu_weight * 1024 / 100 < 2
								 ? 2
								 : l->cpu_weight * 1024 / 100));
	if (l->cpu_max > 0) {
		json_object_object_add(cpu, "quota",
				       json_object_new_int64((int64_t)(l->cpu_max * 100000 + 0.5)));
		json_object_object_add(cpu, "period", json_object_new_int64(100000));
	}
	if (l->cpuset[0])
		json_object_object_add(cpu, "cpus", json_object_new_string(l->cpuset));
	json_object_object_add(r, "cpu", cpu);
	if (l->mem_max || l->mem_low) {
		json_object *m = json_object_new_object();
		if (l->mem_max)
			json_object_object_add(m, "limit",
					       json_object_new_int64((int64_t)l->mem_max));
		/* memory.low: the runtime's "reservation" (v2 memory.low, v1 soft limit) */
		if (l->mem_low)
			json_object_object_add(m, "reservation",
					       json_object_new_int64((int64_t)l->mem_low));
		if (l->mem_max && l->swap_set &&
		    access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
			json_object_object_add(
			    m, "swap", json_object_new_int64((int64_t)(l->mem_max + l->swap_max)));
		json_object_object_add(r, "memory", m);
	}
	if (l->pids_max) {
		json_object *pj = json_object_new_object();
		json_object_object_add(pj, "limit", json_object_new_int64((int64_t)l->pids_max));
		json_object_object_add(r, "pids", pj);
	}
	json_object *bio = json_object_new_object();
	/* only an explicit io.weight: the runtimes' v1 path wants CFQ's blkio.weight */
	if (cf->set.io_weight)
		json_object_object_add(
		    bio, "weight",
		    json_object_new_int(cf->set.io_weight > 1000 ? 1000 : (int)cf->set.io_weight));
	throttle(bio, "throttleReadBpsDevice", l, l->io_rbps);
	throttle(bio, "throttleWriteBpsDevice", l, l->io_wbps);
	throttle(bio, "throttleReadIOPSDevice", l, l->io_riops);
	throttle(bio, "throttleWriteIOPSDevice", l, l->io_wiops);
	json_object_object_add(r, "blockIO", bio);
	return r;
}

/* process: the agent's argv, root, the environment, the kept capabilities */
static json_object *process_json(const struct isb_oci *p, char **argv)
{
	json_object *proc = json_object_new_object(), *user = json_object_new_object(),
		    *args = json_object_new_array();
	for (size_t i = 0; argv[i]; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(proc, "terminal", json_object_new_boolean(0));
	json_object_object_add(proc, "user", user);
	json_object_object_add(proc, "args", args);
	json_object *env = json_object_new_array();
	json_object_array_add(
	    env, json_object_new_string(
		     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	/* a build that is not installed finds its libraries where the harness did */
	static const char *const pass[] = {"LD_LIBRARY_PATH", "ISOBENCH_FIO"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(pass); i++) {
		const char *v = getenv(pass[i]);
		if (v && *v) {
			char kv[1024];
			snprintf(kv, sizeof(kv), "%s=%s", pass[i], v);
			json_object_array_add(env, json_object_new_string(kv));
		}
	}
	json_object_object_add(proc, "env", env);
	json_object_object_add(proc, "cwd", json_object_new_string("/"));
	json_object_object_add(proc, "capabilities", caps_json(&p->cf));
	return proc;
}

/* The system directories of the host read-only (a merged /usr's symlinks made in the root
 * at rootfs), the agent's directory, the scratch directory; NULL with err. */
static json_object *mounts_json(const struct isb_config *c, const struct isb_oci *p,
				const char *rootfs, const char *agent, struct isb_err *err)
{
	json_object *mounts = json_object_new_array();
	static const char *const procopt[] = {"nosuid", "noexec", "nodev"};
	static const char *const devopt[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
	static const char *const shmopt[] = {"nosuid", "noexec", "nodev", "mode=1777",
					     "size=65536k"};
	static const char *const sysopt[] = {"nosuid", "noexec", "nodev", "ro"};
	static const char *const cgopt[] = {"nosuid", "noexec", "nodev", "relatime", "ro"};
	static const char *const ro[] = {"rbind", "ro", "nosuid", "nodev"};
	static const char *const rw[] = {"rbind", "rw"};
	add_mount(mounts, "/proc", "proc", "proc", procopt, 3);
	add_mount(mounts, "/dev", "tmpfs", "tmpfs", devopt, 4);
	add_mount(mounts, "/dev/shm", "tmpfs", "shm", shmopt, 5);
	add_mount(mounts, "/tmp", "tmpfs", "tmpfs", shmopt, 5);
	if (p->cf.ns & (1u << ISB_NS_NET)) {
		add_mount(mounts, "/sys", "sysfs", "sysfs", sysopt, 4);
		if (!p->rt->own_sysfs)
			add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", cgopt, 5);
	} else { /* sysfs cannot be mounted afresh without a network namespace */
		static const char *const sysro[] = {"rbind", "ro", "nosuid", "nodev", "noexec"};
		add_mount(mounts, "/sys", "bind", "/sys", sysro, 5);
	}
	static const char *const sys_dirs[] = {"/usr", "/etc",	 "/bin",   "/sbin",
					       "/lib", "/lib32", "/lib64", "/libx32"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sys_dirs); i++) {
		struct stat st;
		char link[256], lp[900];
		if (lstat(sys_dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) { /* merged /usr: the same symlink in the root */
			ssize_t n = readlink(sys_dirs[i], link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				snprintf(lp, sizeof(lp), "%s%s", rootfs, sys_dirs[i]);
				if (symlink(link, lp) < 0 && errno != EEXIST) {
					isb_errf(err, errno, "symlink %s", lp);
					json_object_put(mounts);
					return NULL;
				}
			}
		} else if (S_ISDIR(st.st_mode)) {
			add_mount(mounts, sys_dirs[i], "bind", sys_dirs[i], ro, 4);
		}
	}
	char agentdir[1024];
	snprintf(agentdir, sizeof(agentdir), "%s", agent);
	char *slash = strrchr(agentdir, '/');
	if (slash && slash != agentdir && strncmp(agentdir, "/usr/", 5)) {
		*slash = 0;
		add_mount(mounts, agentdir, "bind", agentdir, ro, 4);
	}
	if (c->scratch_dir[0])
		add_mount(mounts, c->scratch_dir, "bind", c->scratch_dir, rw, 2);
	return mounts;
}

/* linux: namespaces, user maps, the cgroup and its limits, runc's resctrl group */
static json_object *linux_json(const struct isb_config *c, const struct isb_oci *p,
			       const char *name, const struct isb_limits *l,
			       const struct isb_tenant_net *net, const struct isb_rdt_tenant *rdt)
{
	json_object *lx = json_object_new_object(), *nss = json_object_new_array();
	static const char *const oci_ns[ISB_NS__COUNT] = {"cgroup", "ipc",  "mount", "network",
							  "pid",    "time", "user",  "uts"};
	for (int i = 0; i < ISB_NS__COUNT; i++) {
		if (!(p->cf.ns & (1u << i)))
			continue;
		json_object *n = json_object_new_object();
		json_object_object_add(n, "type", json_object_new_string(oci_ns[i]));
		if (i == ISB_NS_NET && net->made) /* the namespace with its test-network link */
			json_object_object_add(n, "path", json_object_new_string(net->path));
		json_object_array_add(nss, n);
	}
	json_object_object_add(lx, "namespaces", nss);
	if (p->cf.ns & (1u << ISB_NS_USER)) {
		static const char *const maps[] = {"uidMappings", "gidMappings"};
		for (size_t i = 0; i < 2; i++) {
			json_object *a = json_object_new_array(), *m = json_object_new_object();
			json_object_object_add(m, "containerID", json_object_new_int(0));
			json_object_object_add(m, "hostID", json_object_new_int(0));
			json_object_object_add(m, "size", json_object_new_int64(4294967295LL));
			json_object_array_add(a, m);
			json_object_object_add(lx, maps[i], a);
		}
	}
	char cgpath[256];
	snprintf(cgpath, sizeof(cgpath), "/isobench-%s/%s", c->campaign_id, name);
	json_object_object_add(lx, "cgroupsPath", json_object_new_string(cgpath));
	json_object_object_add(lx, "resources", resources_json(&p->cf, l));
	/* runc's own resctrl support: the group isobench made (closID) with the side's schemata;
	 * crun and runsc run in the group by inheritance from their own process (runc too under
	 * a test's fake tree, which it cannot see) */
	if (rdt->name[0] && !strcmp(p->cf.runtime, "runc") &&
	    !strcmp(isb_rdt_root(), ISB_RESCTRL_ROOT)) {
		int side = !strncmp(name, "aggressor", 9) ? 1 : 0;
		json_object *ir = json_object_new_object();
		json_object_object_add(ir, "closID", json_object_new_string(rdt->name));
		if (p->cf.rdt.l3_line[side][0])
			json_object_object_add(ir, "l3CacheSchema",
					       json_object_new_string(p->cf.rdt.l3_line[side]));
		if (p->cf.rdt.mb_line[side][0])
			json_object_object_add(ir, "memBwSchema",
					       json_object_new_string(p->cf.rdt.mb_line[side]));
		json_object_object_add(lx, "intelRdt", ir);
	}
	return lx;
}

int isb_oci_bundle(const struct isb_config *c, const struct isb_oci *p, const char *bundle,
		   const char *name, char **argv, const struct isb_limits *l,
		   const struct isb_tenant_net *net, const struct isb_rdt_tenant *rdt,
		   struct isb_err *err)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if ((mkdir(bundle, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST))
		return isb_errf(err, errno, "mkdir %s", path);
	cleanup_json json_object *o = json_object_new_object();
	json_object *root = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "process", process_json(p, argv));
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(o, "root", root);
	if (p->cf.ns & (1u << ISB_NS_UTS))
		json_object_object_add(o, "hostname", json_object_new_string("isobench-tenant"));
	json_object *mounts = mounts_json(c, p, path, argv[0], err);
	if (!mounts)
		return err->errnum ? -err->errnum : -EIO;
	json_object_object_add(o, "mounts", mounts);
	json_object_object_add(o, "linux", linux_json(c, p, name, l, net, rdt));
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (json_object_to_file_ext(path, o,
				    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
		return isb_errf(err, EIO, "write %s: %s", path, json_util_get_last_err());
	return 0;
}
