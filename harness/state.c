/*
 * Campaign state and cleanup. Each running campaign owns a directory under
 * the state root (/run/isobench as root) that records its owner (pid and
 * start time), its results directory and every tenant pid it started. A new
 * start, or `isobench cleanup`, finds the directories whose owner is gone and
 * removes what they left: tenants still running (checked by pid *and* start
 * time, so a recycled pid is never killed), cgroups, the directory itself;
 * and it marks their results.db as interrupted, keeping every finished trial.
 */
#include "config.h"
#include "harness/campaign.h"
#include "harness/harness.h"
#include "backends/docker.h"
#include "backends/flatpak.h"
#include "backends/podman.h"
#include "backends/tenantuser.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char state_root[512];
static int tenants_fd = -1;

const char *isb_state_root(void)
{
	if (state_root[0])
		return state_root;
	const char *env = getenv("ISOBENCH_STATE_DIR");
	if (env && *env)
		snprintf(state_root, sizeof(state_root), "%s", env);
	else if (geteuid() == 0)
		snprintf(state_root, sizeof(state_root), "/run/isobench");
	else if (getenv("XDG_RUNTIME_DIR"))
		snprintf(state_root, sizeof(state_root), "%s/isobench", getenv("XDG_RUNTIME_DIR"));
	else
		snprintf(state_root, sizeof(state_root), "/tmp/isobench-%u", (unsigned)getuid());
	return state_root;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks; 0 if the pid is gone. */
static unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

static int write_pid_line(int fd, pid_t pid)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)pid, proc_starttime(pid));
	return write(fd, line, (size_t)n) == n ? 0 : -EIO;
}

int isb_state_create(const char *id, const char *out_dir, char *dir, size_t size,
		     struct isb_err *err)
{
	const char *root = isb_state_root();
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", root);
	snprintf(dir, size, "%s/%s", root, id);
	if (mkdir(dir, 0700) < 0)
		return isb_errf(err, errno, "mkdir %s", dir);
	char path[700];
	snprintf(path, sizeof(path), "%s/owner", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_pid_line(fd, getpid()) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return isb_errf(err, e, "write %s", path);
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, out_dir, strlen(out_dir));
		(void)w;
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/tenants", dir);
	tenants_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (tenants_fd < 0)
		return isb_errf(err, errno, "open %s", path);
	return 0;
}

int isb_state_note(const char *dir, const char *name, const char *value)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, value, strlen(value));
	close(fd);
	return w == (ssize_t)strlen(value) ? 0 : -EIO;
}

void isb_state_record_pid(pid_t pid)
{
	if (tenants_fd >= 0)
		write_pid_line(tenants_fd, pid);
}

void isb_state_remove(const char *dir)
{
	if (tenants_fd >= 0) {
		close(tenants_fd);
		tenants_fd = -1;
	}
	isb_remove_tree(dir);
}

/* Is the pid in this "pid starttime" line still the same process? */
static bool line_alive(const char *line, pid_t *pid_out)
{
	int pid = 0;
	unsigned long long st = 0;
	if (sscanf(line, "%d %llu", &pid, &st) != 2 || pid <= 1)
		return false;
	*pid_out = pid;
	return st && proc_starttime(pid) == st;
}

static int cleanup_one(const char *dir, const char *id, bool verbose)
{
	char path[700], buf[65536];
	int removed = 0;
	/* A held lock: a live campaign, even one still starting (its owner file empty). */
	int lock = isb_campaign_alive(id);
	if (lock == 1)
		return 0;
	snprintf(path, sizeof(path), "%s/owner", dir);
	pid_t owner;
	if (lock < 0 && isb_read_file(path, buf, sizeof(buf)) > 0 && line_alive(buf, &owner) &&
	    owner != getpid())
		return 0; /* a campaign of a version without locks that is still running */
	snprintf(path, sizeof(path), "%s/tenants", dir);
	if (isb_read_file(path, buf, sizeof(buf)) > 0) {
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			pid_t pid;
			if (line_alive(l, &pid)) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				removed++;
				if (verbose)
					isb_log("cleanup", "campaign %s: killed tenant pid %d", id,
						(int)pid);
			}
		}
	}
	/* a private dockerd, its containerd and shims, before the cgroups (its containers) */
	removed += isb_docker_cleanup_state(dir, verbose);
	removed += isb_flatpak_cleanup_state(dir, verbose);
	/* podman's conmons, pause processes and storage, then the user rootless ran as */
	removed += isb_podman_cleanup_state(dir, verbose);
	removed += isb_tenant_user_cleanup_state(dir, verbose);
	removed += isb_cgroup_campaign_remove(id);
	removed += isb_rdt_campaign_remove(id);
	removed += isb_testnet_remove(id);
	/* its loop device's mount is in the scratch directory: unmounted before that goes */
	removed += isb_disk_cleanup_state(dir, verbose);
	snprintf(path, sizeof(path), "%s/scratch", dir);
	if (isb_read_file(path, buf, sizeof(buf)) > 0) {
		/* Only a directory this campaign made: <out>/scratch or <DIR>/isobench-<id>. */
		char *sd = isb_trim(buf), *base = strrchr(sd, '/'), mine[80];
		snprintf(mine, sizeof(mine), "isobench-%s", id);
		if (base && (!strcmp(base + 1, "scratch") || !strcmp(base + 1, mine))) {
			isb_remove_tree(sd); /* files of tenants that were killed */
			removed++;
		}
	}
	snprintf(path, sizeof(path), "%s/out", dir);
	if (isb_read_file(path, buf, sizeof(buf)) > 0) {
		char db[1200];
		snprintf(db, sizeof(db), "%s/results.db", isb_trim(buf));
		if (access(db, F_OK) == 0 && isb_store_mark_interrupted(db) == 0 && verbose)
			isb_log("cleanup", "campaign %s: %s kept, marked interrupted", id, db);
	}
	isb_remove_tree(dir);
	if (lock == 0) {
		snprintf(path, sizeof(path), "%s/.locks/%s", isb_state_root(), id);
		unlink(path);
	}
	if (verbose)
		isb_log("cleanup", "campaign %s: removed %s", id, dir);
	return removed + 1;
}

/* A campaign id ends in its harness's pid (hex): a live isobench with that pid may be a
 * campaign of another state directory (a test beside a user's campaign), never an orphan. */
static bool owner_alive(const char *id)
{
	const char *dash = strrchr(id, '-');
	char path[64], comm[32];
	if (!dash)
		return false;
	long pid = strtol(dash + 1, NULL, 16);
	if (isb_campaign_alive(id) == 1)
		return true;
	if (pid <= 0 || pid == (long)getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	return isb_read_file(path, comm, sizeof(comm)) > 0 && !strncmp(comm, "isobench", 8);
}

/* Removes what list() finds whose campaign has no state directory under root and whose
 * harness is gone. */
static int sweep_orphans(const char *root, const char *what, int (*list)(char ids[][40], size_t),
			 int (*remove)(const char *id), bool verbose)
{
	char ids[64][40];
	int n = list(ids, 64), removed = 0;
	for (int i = 0; i < n; i++) {
		char dir[1024];
		struct stat st;
		snprintf(dir, sizeof(dir), "%s/%s", root, ids[i]);
		if (stat(dir, &st) == 0 || owner_alive(ids[i]))
			continue;
		removed += remove(ids[i]);
		if (verbose)
			isb_log("cleanup", "removed the %s of campaign %s", what, ids[i]);
	}
	return removed;
}

int isb_cleanup_stale(bool verbose)
{
	const char *root = isb_state_root();
	int removed = 0;
	DIR *d = opendir(root);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || e->d_type != DT_DIR)
				continue;
			char dir[1024];
			snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
			removed += cleanup_one(dir, e->d_name, verbose);
		}
		closedir(d);
	}
	removed += isb_campaign_sweep_locks(verbose);
	/* Test networks and cgroups whose campaign has no state directory: their owner is gone. */
	removed +=
	    sweep_orphans(root, "test network", isb_testnet_list, isb_testnet_remove, verbose);
	removed += sweep_orphans(root, "cgroups", isb_cgroup_list_campaigns,
				 isb_cgroup_campaign_remove, verbose);
	removed += sweep_orphans(root, "resctrl groups", isb_rdt_list_campaigns,
				 isb_rdt_campaign_remove, verbose);
	removed += sweep_orphans(root, "loop device", isb_disk_list, isb_disk_remove_id, verbose);
	return removed;
}
