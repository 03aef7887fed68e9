/*
 * The campaign's safety cgroup: one group per campaign, named
 * isobench-<campaign id>, holding every tenant under a hard memory and pids
 * ceiling. cgroup v1 (and hybrid hosts, whose controllers are v1) and v2
 * sit behind the same three calls. Anything left by a killed run is found
 * by its name and removed at the next start.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/proc.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#define CG_ROOT "/sys/fs/cgroup"

enum isb_cgroup_mode isb_cgroup_mode(void)
{
	struct statfs s;
	if (statfs(CG_ROOT, &s) < 0)
		return ISB_CG_NONE;
	if (s.f_type == CGROUP2_SUPER_MAGIC)
		return ISB_CG_V2;
	struct stat st;
	if (stat(CG_ROOT "/memory", &st) < 0 && stat(CG_ROOT "/pids", &st) < 0)
		return ISB_CG_NONE;
	if (statfs(CG_ROOT "/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
		return ISB_CG_HYBRID;
	return ISB_CG_V1;
}

const char *isb_cgroup_mode_name(enum isb_cgroup_mode m)
{
	switch (m) {
	case ISB_CG_V1:
		return "cgroup v1";
	case ISB_CG_V2:
		return "cgroup v2";
	case ISB_CG_HYBRID:
		return "cgroup hybrid (v1 controllers)";
	default:
		return "no cgroups";
	}
}

/* The parent directories a campaign group lives in, for this host's mode: the first two
 * hold the safety ceiling; the others only the tenant groups of the container class. */
static size_t cg_bases(const char *bases[ISB_CG_MAX_BASES])
{
	switch (isb_cgroup_mode()) {
	case ISB_CG_V2:
		bases[0] = CG_ROOT;
		return 1;
	case ISB_CG_V1:
	case ISB_CG_HYBRID:
		bases[0] = CG_ROOT "/memory";
		bases[1] = CG_ROOT "/pids";
		bases[2] = CG_ROOT "/cpu";
		bases[3] = CG_ROOT "/cpuset";
		bases[4] = CG_ROOT "/blkio";
		return 5;
	default:
		return 0;
	}
}

static int cg_write(const char *dir, const char *file, unsigned long long v, struct isb_err *err)
{
	char path[600], val[32];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(val, sizeof(val), "%llu", v);
	int r = isb_write_file(path, val);
	return r < 0 ? isb_errf(err, r, "write %s to %s", val, path) : 0;
}

void isb_cgroup_campaign_safety(struct isb_config *c, const char *who, char procs[][512],
				size_t *nprocs)
{
	struct isb_err cerr = {0};
	if (isb_cgroup_campaign_create(c->campaign_id, c->mem_ceiling_bytes, c->pids_ceiling, procs,
				       nprocs, &cerr) < 0) {
		snprintf(c->cgroup_note, sizeof(c->cgroup_note), "unavailable: %s", cerr.msg);
		isb_log(who, "no safety cgroup: %s", cerr.msg);
		*nprocs = 0;
		return;
	}
	snprintf(c->cgroup_note, sizeof(c->cgroup_note), "%s: memory max %llu bytes, pids max %llu",
		 isb_cgroup_mode_name(isb_cgroup_mode()), (unsigned long long)c->mem_ceiling_bytes,
		 (unsigned long long)c->pids_ceiling);
}

int isb_cgroup_campaign_join(const struct isb_config *c, char procs[][512], size_t *nprocs,
			     const char *out[], struct isb_err *err)
{
	struct isb_err cerr = {0};
	if (*nprocs && access(procs[0], F_OK) < 0 &&
	    isb_cgroup_campaign_create(c->campaign_id, isb_config_mem_limit(c), c->pids_ceiling,
				       procs, nprocs, &cerr) < 0)
		return isb_errf(err, 0, "campaign cgroup: %s", cerr.msg);
	for (size_t i = 0; i < *nprocs; i++)
		out[i] = procs[i];
	return (int)*nprocs;
}

int isb_cgroup_campaign_create(const char *campaign_id, uint64_t mem_max, uint64_t pids_max,
			       char procs[][512], size_t *nprocs, struct isb_err *err)
{
	const char *bases[ISB_CG_MAX_BASES];
	size_t n = cg_bases(bases);
	enum isb_cgroup_mode mode = isb_cgroup_mode();
	*nprocs = 0;
	if (!n)
		return isb_errf(err, 0, "no cgroup file system at " CG_ROOT);
	if (n > 2)
		n = 2; /* the ceiling lives in memory and pids */
	for (size_t i = 0; i < n; i++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/isobench-%s", bases[i], campaign_id);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			isb_cgroup_campaign_remove(campaign_id);
			return isb_errf(err, e, "mkdir %s", dir);
		}
		int r = 0;
		if (mode == ISB_CG_V2) {
			r = cg_write(dir, "memory.max", mem_max, err);
			if (!r) /* no swap for tenants; absent where the kernel has no swap
				   accounting */
				(void)cg_write(dir, "memory.swap.max", 0, NULL);
			if (!r)
				r = cg_write(dir, "pids.max", pids_max, err);
			/* Tenants live in leaves below (no processes in inner nodes on v2):
			 * "shared" for backends without groups of their own. */
			if (!r)
				r = isb_cg2_enable_controllers(dir, err);
			if (!r) {
				strncat(dir, "/shared", sizeof(dir) - strlen(dir) - 1);
				if (mkdir(dir, 0755) < 0 && errno != EEXIST)
					r = isb_errf(err, errno, "mkdir %s", dir);
			}
		} else if (strstr(bases[i], "/memory")) {
			r = cg_write(dir, "memory.limit_in_bytes", mem_max, err);
		} else {
			r = cg_write(dir, "pids.max", pids_max, err);
		}
		if (r < 0) {
			isb_cgroup_campaign_remove(campaign_id);
			return r;
		}
		snprintf(procs[*nprocs], 512, "%s/cgroup.procs", dir);
		(*nprocs)++;
	}
	return 0;
}

/* Kill what is left in one of our groups (only our tenants can be there), then rmdir,
 * children first. */
static int cg_remove_dir(const char *dir, int depth)
{
	char path[600], buf[4096];
	DIR *d = depth < 4 ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cg_remove_dir(path, depth + 1);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	for (int attempt = 0; attempt < 50; attempt++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 1;
		if (errno != EBUSY)
			return 0;
		if (isb_read_file(path, buf, sizeof(buf)) > 0) {
			for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n")) {
				pid_t pid = (pid_t)atoi(s);
				if (pid > 1)
					kill(pid, SIGKILL);
			}
		}
		isb_sleep_ns(20000000);
	}
	isb_log("cgroup", "could not remove %s: still busy", dir);
	return 0;
}

/* Every hierarchy a campaign's groups may be in: ours, and on v1 every other one an OCI
 * runtime also creates groups in (devices, freezer, name=systemd, the hybrid unified). */
static size_t cg_all_bases(char bases[][128], size_t max)
{
	const char *mine[ISB_CG_MAX_BASES];
	size_t n = cg_bases(mine), k = 0;
	for (size_t i = 0; i < n && k < max; i++)
		snprintf(bases[k++], 128, "%s", mine[i]);
	if (isb_cgroup_mode() == ISB_CG_V2)
		return k;
	DIR *d = opendir(CG_ROOT);
	struct dirent *e;
	while (d && (e = readdir(d)) && k < max) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char b[128];
		bool dup = false;
		snprintf(b, sizeof(b), CG_ROOT "/%s", e->d_name);
		for (size_t i = 0; i < k; i++)
			dup |= !strcmp(bases[i], b);
		if (!dup)
			snprintf(bases[k++], 128, "%s", b);
	}
	if (d)
		closedir(d);
	return k;
}

int isb_cgroup_campaign_remove(const char *campaign_id)
{
	char bases[24][128];
	size_t n = cg_all_bases(bases, 24);
	int removed = 0;
	for (size_t i = 0; i < n; i++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/isobench-%s", bases[i], campaign_id);
		struct stat st;
		if (stat(dir, &st) == 0)
			removed += cg_remove_dir(dir, 0);
	}
	return removed;
}

int isb_cgroup_list_campaigns(char ids[][40], size_t max)
{
	char bases[24][128];
	size_t n = cg_all_bases(bases, 24), count = 0;
	for (size_t i = 0; i < n; i++) {
		DIR *d = opendir(bases[i]);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d)) && count < max) {
			if (strncmp(e->d_name, "isobench-", 9) || e->d_type != DT_DIR)
				continue;
			bool dup = false;
			for (size_t k = 0; k < count; k++)
				dup |= strcmp(ids[k], e->d_name + 9) == 0;
			if (!dup)
				snprintf(ids[count++], 40, "%s", e->d_name + 9);
		}
		closedir(d);
	}
	return (int)count;
}

long isb_cg_dir_oom_kills(const char *dir)
{
	char path[700], buf[1024];
	snprintf(path, sizeof(path), "%s/memory.events", dir);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0) {
		snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			return -1;
	}
	char *p = strstr(buf, "oom_kill ");
	return p ? strtol(p + 9, NULL, 10) : -1;
}

long isb_cgroup_oom_kills(const char *campaign_id)
{
	char path[600], buf[1024];
	enum isb_cgroup_mode m = isb_cgroup_mode();
	if (m == ISB_CG_NONE)
		return -1;
	if (m == ISB_CG_V2)
		snprintf(path, sizeof(path), CG_ROOT "/isobench-%s/memory.events", campaign_id);
	else
		snprintf(path, sizeof(path), CG_ROOT "/memory/isobench-%s/memory.oom_control",
			 campaign_id);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *p = strstr(buf, "oom_kill ");
	return p ? strtol(p + 9, NULL, 10) : -1;
}

int isb_cgroup_campaign_set_memory(const char *campaign_id, uint64_t bytes, struct isb_err *err)
{
	char dir[512];
	enum isb_cgroup_mode m = isb_cgroup_mode();
	if (m == ISB_CG_NONE)
		return isb_errf(err, 0, "no cgroup file system at " CG_ROOT);
	if (m == ISB_CG_V2)
		snprintf(dir, sizeof(dir), CG_ROOT "/isobench-%s", campaign_id);
	else
		snprintf(dir, sizeof(dir), CG_ROOT "/memory/isobench-%s", campaign_id);
	struct stat st;
	if (stat(dir, &st) < 0)
		return isb_errf(err, errno, "no campaign memory group %s", dir);
	/* Lowering the limit reclaims what is above it first; between trials that is only page
	 * cache the tenants left, and the kernel says EBUSY if it cannot get below. */
	return cg_write(dir, m == ISB_CG_V2 ? "memory.max" : "memory.limit_in_bytes", bytes, err);
}
