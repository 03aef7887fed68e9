/*
 * A tenant's own cgroup with its limits, behind one call with two
 * implementations: cgroup v1 (and hybrid hosts, whose controllers are v1:
 * one group per controller hierarchy) and cgroup v2 (one group, controllers
 * enabled down the tree). Groups live below the campaign's group,
 * isobench-<id>/<tenant>, so the campaign's ceiling holds them too and its
 * removal removes them. The root is a parameter: tests build a directory
 * tree that looks like either version and check what was written.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/proc.h"

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int put(const char *dir, const char *file, const char *val, struct isb_err *err)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int r = isb_write_file(path, val);
	return r < 0 ? isb_errf(err, r, "write '%s' to %s", val, path) : 0;
}

static int putu(const char *dir, const char *file, unsigned long long v, struct isb_err *err)
{
	char val[32];
	snprintf(val, sizeof(val), "%llu", v);
	return put(dir, file, val, err);
}

static bool exists(const char *dir, const char *file)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int mkgroup(const char *dir, struct isb_err *err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", dir);
	return 0;
}

/* A v1 cpuset group starts with no CPUs and no memory nodes: inherit the parent's. */
static int cpuset_inherit(const char *parent, const char *dir, struct isb_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		char path[700], v[256];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (isb_read_file(path, v, sizeof(v)) > 0 && isb_trim(v)[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, files[i]);
		if (isb_read_file(path, v, sizeof(v)) < 0)
			return isb_errf(err, errno, "read %s", path);
		if (put(dir, files[i], isb_trim(v), err) < 0)
			return -EIO;
	}
	return 0;
}

/* One v1 controller's files of a tenant's group dir (camp: the campaign's group, base: the
 * hierarchy's root); 0 or negative with err. */
struct v1_ctx {
	const char *base, *camp, *dir;
	const struct isb_limits *l;
	char *note;
	size_t nsize;
};

static int v1_memory(const struct v1_ctx *x, struct isb_err *err)
{
	const struct isb_limits *l = x->l;
	int r = 0;
	if (l->mem_max)
		r = putu(x->dir, "memory.limit_in_bytes", l->mem_max, err);
	/* v1 has no memory.low: its soft limit is the nearest, and weaker (it is only reclaimed
	 * toward under host-wide pressure, not under a parent group's limit such as the node
	 * budget) */
	if (!r && l->mem_low) {
		r = putu(x->dir, "memory.soft_limit_in_bytes", l->mem_low, err);
		if (!r)
			isb_note_add(x->note, x->nsize,
				     "memory.low: cgroup v1 soft limit (weaker: acts under "
				     "host-wide pressure only, not under the budget)");
	}
	if (!r && l->mem_max && l->swap_set) {
		if (exists(x->dir, "memory.memsw.limit_in_bytes"))
			r = putu(x->dir, "memory.memsw.limit_in_bytes", l->mem_max + l->swap_max,
				 err);
		else
			isb_note_add(x->note, x->nsize,
				     "memory.swap: unavailable (no swap accounting)");
	}
	return r;
}

static int v1_pids(const struct v1_ctx *x, struct isb_err *err)
{
	return x->l->pids_max ? putu(x->dir, "pids.max", x->l->pids_max, err) : 0;
}

static int v1_cpu(const struct v1_ctx *x, struct isb_err *err)
{
	const struct isb_limits *l = x->l;
	int r = 0;
	if (l->cpu_weight) /* v2 weight 100 == v1 shares 1024 */
		r = putu(x->dir, "cpu.shares",
			 l->cpu_weight * 1024ull / 100 < 2 ? 2 : l->cpu_weight * 1024ull / 100,
			 err);
	if (!r && l->cpu_max > 0) {
		r = putu(x->dir, "cpu.cfs_period_us", 100000, err);
		if (!r)
			r = putu(x->dir, "cpu.cfs_quota_us",
				 (unsigned long long)(l->cpu_max * 100000 + 0.5), err);
	}
	return r;
}

static int v1_cpuset(const struct v1_ctx *x, struct isb_err *err)
{
	int r = cpuset_inherit(x->base, x->camp, err);
	if (!r)
		r = cpuset_inherit(x->camp, x->dir, err);
	if (!r && x->l->cpuset[0])
		r = put(x->dir, "cpuset.cpus", x->l->cpuset, err);
	return r;
}

static int v1_blkio(const struct v1_ctx *x, struct isb_err *err)
{
	static const struct {
		const char *file;
		size_t off;
	} th[] = {
	    {"blkio.throttle.read_bps_device", offsetof(struct isb_limits, io_rbps)},
	    {"blkio.throttle.write_bps_device", offsetof(struct isb_limits, io_wbps)},
	    {"blkio.throttle.read_iops_device", offsetof(struct isb_limits, io_riops)},
	    {"blkio.throttle.write_iops_device", offsetof(struct isb_limits, io_wiops)},
	};
	const struct isb_limits *l = x->l;
	int r = 0;
	if (l->io_weight) {
		if (exists(x->dir, "blkio.bfq.weight"))
			r = putu(x->dir, "blkio.bfq.weight",
				 l->io_weight > 1000 ? 1000 : l->io_weight, err);
		else
			isb_note_add(x->note, x->nsize,
				     "io.weight: unavailable (no bfq in this kernel)");
	}
	for (size_t k = 0; !r && k < ISB_ARRAY_SIZE(th); k++) {
		uint64_t v;
		char val[64];
		memcpy(&v, (const char *)l + th[k].off, sizeof(v));
		if (!v)
			continue;
		snprintf(val, sizeof(val), "%u:%u %llu", l->io_major, l->io_minor,
			 (unsigned long long)v);
		r = put(x->dir, th[k].file, val, err);
	}
	return r;
}

static int v1_create(const char *root, const char *campaign_id, const char *name,
		     const struct isb_limits *l, struct isb_cg_tenant *t, char *note, size_t nsize,
		     struct isb_err *err)
{
	static const struct {
		const char *name;
		int (*apply)(const struct v1_ctx *, struct isb_err *);
	} ctrls[] = {{"memory", v1_memory},
		     {"pids", v1_pids},
		     {"cpu", v1_cpu},
		     {"cpuset", v1_cpuset},
		     {"blkio", v1_blkio}};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(ctrls); i++) {
		char base[512], camp[560], dir[620];
		struct stat st;
		snprintf(base, sizeof(base), "%s/%s", root, ctrls[i].name);
		if (stat(base, &st) < 0) {
			isb_note_add(note, nsize, "%s: unavailable (no v1 hierarchy)",
				     ctrls[i].name);
			continue;
		}
		snprintf(camp, sizeof(camp), "%s/isobench-%s", base, campaign_id);
		snprintf(dir, sizeof(dir), "%s/%s", camp, name);
		if (mkgroup(camp, err) < 0)
			return -EIO;
		snprintf(t->dirs[t->ndirs++], sizeof(t->dirs[0]), "%s", dir);
		if (mkgroup(dir, err) < 0)
			return -EIO;
		struct v1_ctx x = {base, camp, dir, l, note, nsize};
		if (ctrls[i].apply(&x, err) < 0)
			return -EIO;
		snprintf(t->procs[i], sizeof(t->procs[0]), "%s/cgroup.procs", dir);
	}
	/* procs may have holes where a hierarchy is missing: pack them */
	size_t k = 0;
	for (size_t i = 0; i < ISB_CG_MAX_BASES; i++)
		if (t->procs[i][0] && k != i) {
			memcpy(t->procs[k], t->procs[i], sizeof(t->procs[0]));
			t->procs[i][0] = 0;
			k++;
		} else if (t->procs[i][0]) {
			k++;
		}
	return 0;
}

int isb_cg2_enable_controllers(const char *dir, struct isb_err *err)
{
	char path[700], avail[512];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (isb_read_file(path, avail, sizeof(avail)) < 0)
		return isb_errf(err, errno, "read %s", path);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	static const char *const want[] = {"cpu", "cpuset", "io", "memory", "pids"};
	char *save;
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		for (size_t i = 0; i < ISB_ARRAY_SIZE(want); i++) {
			if (strcmp(c, want[i]))
				continue;
			char v[32];
			snprintf(v, sizeof(v), "+%s", c);
			int r = isb_write_file(path, v);
			if (r < 0)
				return isb_errf(err, r, "write '%s' to %s", v, path);
		}
	}
	return 0;
}

/* Whether a v2 group got a controller from its parent. */
static bool v2_has(const char *dir, const char *ctrl)
{
	char path[700], v[512];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (isb_read_file(path, v, sizeof(v)) < 0)
		return false;
	for (char *save, *c = strtok_r(v, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		if (!strcmp(c, ctrl))
			return true;
	return false;
}

static int v2_create(const char *root, const char *campaign_id, const char *name,
		     const struct isb_limits *l, struct isb_cg_tenant *t, char *note, size_t nsize,
		     struct isb_err *err)
{
	char camp[560], dir[620], val[256];
	snprintf(camp, sizeof(camp), "%s/isobench-%s", root, campaign_id);
	snprintf(dir, sizeof(dir), "%s/%s", camp, name);
	if (mkgroup(camp, err) < 0 || isb_cg2_enable_controllers(camp, err) < 0)
		return -EIO;
	snprintf(t->dirs[t->ndirs++], sizeof(t->dirs[0]), "%s", dir);
	if (mkgroup(dir, err) < 0)
		return -EIO;
	struct need {
		bool want;
		const char *ctrl;
	} needs[] = {
	    {l->cpu_weight || l->cpu_max > 0, "cpu"},
	    {l->cpuset[0] != 0, "cpuset"},
	    {l->mem_max != 0 || l->mem_low != 0, "memory"},
	    {l->pids_max != 0, "pids"},
	    {l->io_weight || l->io_rbps || l->io_wbps || l->io_riops || l->io_wiops, "io"},
	};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(needs); i++)
		if (needs[i].want && !v2_has(dir, needs[i].ctrl))
			return isb_errf(err, 0,
					"cgroup v2 controller '%s' is not delegated to %s (enable "
					"it in the parent's cgroup.subtree_control)",
					needs[i].ctrl, dir);
	if (l->cpu_weight && putu(dir, "cpu.weight", l->cpu_weight, err) < 0)
		return -EIO;
	if (l->cpu_max > 0) {
		snprintf(val, sizeof(val), "%llu 100000",
			 (unsigned long long)(l->cpu_max * 100000 + 0.5));
		if (put(dir, "cpu.max", val, err) < 0)
			return -EIO;
	}
	if (l->cpuset[0] && put(dir, "cpuset.cpus", l->cpuset, err) < 0)
		return -EIO;
	if (l->mem_max && putu(dir, "memory.max", l->mem_max, err) < 0)
		return -EIO;
	if (l->mem_low && putu(dir, "memory.low", l->mem_low, err) < 0)
		return -EIO;
	if (l->mem_max && l->swap_set) {
		if (exists(dir, "memory.swap.max")) {
			if (putu(dir, "memory.swap.max", l->swap_max, err) < 0)
				return -EIO;
		} else {
			isb_note_add(note, nsize, "memory.swap: unavailable (no swap accounting)");
		}
	}
	if (l->pids_max && putu(dir, "pids.max", l->pids_max, err) < 0)
		return -EIO;
	if (l->io_weight) {
		/* bfq's own weight where the device runs bfq; io.weight is io.cost's */
		const char *f = exists(dir, "io.bfq.weight") ? "io.bfq.weight" : "io.weight";
		if (!exists(dir, f))
			isb_note_add(note, nsize, "io.weight: unavailable (no bfq or io.cost)");
		else if (putu(dir, f,
			      l->io_weight > 1000 && !strcmp(f, "io.bfq.weight") ? 1000
										 : l->io_weight,
			      err) < 0)
			return -EIO;
	}
	if (l->io_rbps || l->io_wbps || l->io_riops || l->io_wiops) {
		size_t o = (size_t)snprintf(val, sizeof(val), "%u:%u", l->io_major, l->io_minor);
		const struct {
			const char *k;
			uint64_t v;
		} kv[] = {{"rbps", l->io_rbps},
			  {"wbps", l->io_wbps},
			  {"riops", l->io_riops},
			  {"wiops", l->io_wiops}};
		for (size_t i = 0; i < ISB_ARRAY_SIZE(kv); i++)
			if (kv[i].v)
				o += (size_t)snprintf(val + o, sizeof(val) - o, " %s=%llu", kv[i].k,
						      (unsigned long long)kv[i].v);
		if (put(dir, "io.max", val, err) < 0)
			return -EIO;
	}
	snprintf(t->procs[0], sizeof(t->procs[0]), "%s/cgroup.procs", dir);
	return 0;
}

int isb_cg_tenant_create(enum isb_cgroup_mode mode, const char *root, const char *campaign_id,
			 const char *name, const struct isb_limits *l, struct isb_cg_tenant *t,
			 char *note, size_t note_size, struct isb_err *err)
{
	memset(t, 0, sizeof(*t));
	int r;
	switch (mode) {
	case ISB_CG_V1:
	case ISB_CG_HYBRID:
		r = v1_create(root, campaign_id, name, l, t, note, note_size, err);
		break;
	case ISB_CG_V2:
		r = v2_create(root, campaign_id, name, l, t, note, note_size, err);
		break;
	default:
		return isb_errf(err, 0, "no cgroup file system");
	}
	if (r < 0)
		isb_cg_tenant_remove(t);
	return r;
}

void isb_cg_tenant_remove(struct isb_cg_tenant *t)
{
	for (size_t i = 0; i < t->ndirs; i++) {
		/* the tenant is stopped; what is left in it (an escaped child) is killed */
		for (int attempt = 0; attempt < 100 && rmdir(t->dirs[i]) < 0 && errno == EBUSY;
		     attempt++) {
			char path[700], buf[4096];
			snprintf(path, sizeof(path), "%s/cgroup.procs", t->dirs[i]);
			if (isb_read_file(path, buf, sizeof(buf)) > 0)
				for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"))
					if (atoi(s) > 1)
						kill(atoi(s), SIGKILL);
			isb_sleep_ns(10000000);
		}
	}
	t->ndirs = 0;
}

int isb_cg_disk_of(const char *path, unsigned *major, unsigned *minor, struct isb_err *err)
{
	struct stat st;
	char sys[128], part[160], v[32];
	if (stat(path, &st) < 0)
		return isb_errf(err, 0, "stat %s: %s", path, strerror(errno)), -1;
	*major = major(st.st_dev);
	*minor = minor(st.st_dev);
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", *major, *minor);
	if (access(sys, F_OK) < 0)
		return isb_errf(err, 0, "%s is not on a block device (device %u:%u)", path, *major,
				*minor),
		       -1;
	/* io limits apply to whole disks: a partition's parent has the disk's dev */
	snprintf(part, sizeof(part), "%s/partition", sys);
	if (access(part, F_OK) == 0) {
		snprintf(part, sizeof(part), "%s/../dev", sys);
		if (isb_read_file(part, v, sizeof(v)) <= 0 || sscanf(v, "%u:%u", major, minor) != 2)
			return isb_errf(err, 0, "cannot read %s", part), -1;
	}
	return 0;
}

const char *isb_cg_bfq_unavailable(unsigned major, unsigned minor, struct isb_err *err)
{
	char path[128], sched[256];
	const char *fault = getenv("ISOBENCH_FAULT");
	if (fault && !strcmp(fault, "no-bfq"))
		return isb_errf(err, 0, "the kernel has no bfq (ISOBENCH_FAULT=no-bfq)"), err->msg;
	/* bfq's group weights: blkio.bfq.weight (v1) or io.bfq.weight (v2) in every group */
	enum isb_cgroup_mode m = isb_cgroup_mode();
	if ((m == ISB_CG_V1 || m == ISB_CG_HYBRID) &&
	    access("/sys/fs/cgroup/blkio/blkio.bfq.io_service_bytes", F_OK) < 0)
		return isb_errf(err, 0,
				"the kernel has no bfq group scheduling (no blkio.bfq.* files)"),
		       err->msg;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/scheduler", major, minor);
	if (isb_read_file(path, sched, sizeof(sched)) <= 0)
		return isb_errf(err, 0, "cannot read %s", path), err->msg;
	isb_trim(sched);
	if (!strstr(sched, "bfq"))
		return isb_errf(err, 0, "the kernel has no bfq (device %u:%u offers %s)", major,
				minor, sched),
		       err->msg;
	if (!strstr(sched, "[bfq]"))
		return isb_errf(err, 0,
				"device %u:%u runs another scheduler (%s); a host disk's is never "
				"changed: use disk_device = loop and disk_scheduler = bfq",
				major, minor, sched),
		       err->msg;
	return NULL;
}

void isb_tenant_set_cgroups(struct isb_tenant *t, const struct isb_cg_tenant *cg)
{
	t->ncgroups = 0;
	for (size_t i = 0; i < cg->ndirs && i < ISB_CG_MAX_BASES; i++)
		snprintf(t->cgroups[t->ncgroups++], sizeof(t->cgroups[0]), "%s", cg->dirs[i]);
}
