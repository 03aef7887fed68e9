/*
 * The tenants' unprivileged user (tenantuser.h). A created user is isb-<campaign id>, made by
 * useradd, which on Debian gives it the next free subordinate uid and gid ranges in
 * /etc/subuid and /etc/subgid; userdel takes both ranges away with it. Its name is written to
 * <state_dir>/tenantuser before useradd runs, so no user of ours exists that the sweep cannot
 * find, and the sweep removes only a user whose name is isb-<that campaign's id>.
 */
#include "config.h"
#include "backends/proc.h"
#include "backends/tenantuser.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USERDEL_TRIES 20

static struct isb_tenant_user shared_user;
static unsigned shared_users;

/* Whether /etc/subuid (or subgid) gives name (or its uid) a range. */
static bool has_subids(const char *file, const char *name, unsigned id)
{
	char buf[65536], num[16];
	if (isb_read_file(file, buf, sizeof(buf)) <= 0)
		return false;
	snprintf(num, sizeof(num), "%u", id);
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t k = strcspn(l, ":");
		if ((strlen(name) == k && !strncmp(l, name, k)) ||
		    (strlen(num) == k && !strncmp(l, num, k)))
			return true;
	}
	return false;
}

static int lookup(const char *name, struct isb_tenant_user *u, const char *file, unsigned line,
		  struct isb_err *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return isb_errf(err, 0, "user: no user '%s' (%s:%u)", name, file, line);
	if (pw.pw_uid == 0)
		return isb_errf(err, 0, "user: '%s' is root: rootless needs an unprivileged user",
				name);
	if (!has_subids("/etc/subuid", name, pw.pw_uid) ||
	    !has_subids("/etc/subgid", name, pw.pw_uid))
		return isb_errf(err, 0,
				"user: '%s' has no subordinate range in /etc/subuid or /etc/subgid "
				"(usermod --add-subuids and --add-subgids)",
				name);
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	return 0;
}

static int create(const struct isb_config *c, struct isb_tenant_user *u, struct isb_err *err)
{
	char path[700], name[40];
	snprintf(name, sizeof(name), "isb-%s", c->campaign_id);
	snprintf(path, sizeof(path), "%s/tenantuser", c->state_dir);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, name, strlen(name)) != (ssize_t)strlen(name))
		return isb_errf(err, errno, "user: record %s", path);
	if (isb_run_prog(err, "useradd", "--no-create-home", "--home-dir", "/nonexistent",
			 "--shell", "/usr/sbin/nologin", "--user-group", name, NULL) < 0)
		return -EIO;
	u->created = true;
	snprintf(u->name, sizeof(u->name), "%s", name);
	if (lookup(name, u, path, 1, err) < 0) {
		isb_tenant_user_put(u);
		return -EIO;
	}
	return 0;
}

int isb_tenant_user_get(const struct isb_config *c, const char *name, struct isb_tenant_user *u,
			struct isb_err *err)
{
	memset(u, 0, sizeof(*u));
	if (name && name[0])
		return lookup(name, u, "the suite", 0, err);
	if (!shared_users && create(c, &shared_user, err) < 0)
		return -EIO;
	shared_users++;
	*u = shared_user;
	return 0;
}

int isb_tenant_user_open_state(const struct isb_config *c, struct isb_err *err)
{
	char sd[sizeof(c->state_dir)];
	snprintf(sd, sizeof(sd), "%s", c->state_dir);
	char *slash = strrchr(sd, '/');
	if (chmod(c->state_dir, 0711) < 0)
		return isb_errf(err, errno, "chmod 0711 %s", c->state_dir);
	if (slash && (*slash = 0, sd[0]) && chmod(sd, 0711) < 0)
		return isb_errf(err, errno, "chmod 0711 %s", sd);
	return 0;
}

int isb_tenant_user_reachable(const char *path, const struct isb_tenant_user *u, const char *what,
			      const char *hint, struct isb_err *err)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char keep = *s;
		*s = 0;
		struct stat st;
		if (stat(p, &st) < 0)
			return isb_errf(err, errno, "stat %s", p);
		mode_t need = st.st_uid == u->uid   ? S_IXUSR
			      : st.st_gid == u->gid ? S_IXGRP
						    : S_IXOTH;
		if (!(st.st_mode & need))
			return isb_errf(err, 0, "user %s cannot reach %s: %s is mode %04o%s%s%s",
					u->name, what, p, (unsigned)(st.st_mode & 07777),
					hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
		if (!keep)
			return 0;
		*s = keep;
	}
}

int isb_tenant_user_kill_all(uid_t uid)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], buf[2048];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 1 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *l = strstr(buf, "\nUid:");
		if (l && strtoul(l + 5, NULL, 10) == uid && kill(pid, SIGKILL) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Kills its processes, then userdel (which fails while one lives): whether it went. */
static bool remove_user(const char *name)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	for (int i = 0; i < USERDEL_TRIES; i++) {
		isb_tenant_user_kill_all(pw.pw_uid);
		isb_sleep_ns(50000000);
		if (isb_run_prog(NULL, "userdel", name, NULL) == 0)
			return true;
	}
	isb_log("backend/tenantuser", "userdel %s failed after %d tries", name, USERDEL_TRIES);
	return false;
}

void isb_tenant_user_put(struct isb_tenant_user *u)
{
	if (!u->created)
		return;
	if (shared_users && --shared_users)
		return;
	remove_user(u->name);
	memset(&shared_user, 0, sizeof(shared_user));
	u->created = false;
}

int isb_tenant_user_become(const struct isb_tenant_user *u)
{
	if (setgroups(0, NULL) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0)
		return -errno;
	return 0;
}

int isb_tenant_user_cleanup_state(const char *state_dir, bool verbose)
{
	char path[700], buf[128], mine[64];
	snprintf(path, sizeof(path), "%s/tenantuser", state_dir);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *id = strrchr(state_dir, '/');
	snprintf(mine, sizeof(mine), "isb-%s", id ? id + 1 : state_dir);
	if (strcmp(isb_trim(buf), mine)) /* only the user named for that campaign */
		return 0;
	bool gone = remove_user(mine);
	if (gone && verbose)
		isb_log("cleanup", "removed the user %s and its processes", mine);
	unlink(path);
	return gone;
}
