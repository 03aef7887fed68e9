/*
 * A root file system of the agent, written into a directory: the agent, fio and the shared
 * libraries they load (the guest image's file list, backends/guestcpio.c), for runtimes that
 * take a directory or a tarball of one rather than an initramfs: the docker backend's image
 * (dockerd.c) and the flatpak backend's runtime (flatpak.c).
 */
#include "config.h"
#include "backends/agentfs.h"
#include "backends/guestimg.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdirs(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int write_entry(const char *dir, const struct isb_guest_entry *e)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof(path), "%s/%s", dir, e->dst);
	char *slash = strrchr(path, '/');
	*slash = 0;
	int r = mkdirs(path);
	*slash = '/';
	if (r < 0)
		return r;
	if (S_ISDIR(e->mode))
		return mkdir(path, e->mode & 07777) < 0 && errno != EEXIST ? -errno : 0;
	if (S_ISLNK(e->mode)) {
		char target[PATH_MAX];
		snprintf(target, sizeof(target), "%.*s", (int)e->len, e->data);
		return symlink(target, path) < 0 ? -errno : 0;
	}
	if (!S_ISREG(e->mode))
		return 0; /* nodes: Docker makes /dev */
	cleanup_free char *buf = NULL;
	size_t len = e->len;
	if (e->src[0] && (r = isb_guest_read_all(e->src, &buf, &len)) < 0)
		return r;
	cleanup_close int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, e->mode & 07777);
	if (fd < 0)
		return -errno;
	const char *p = e->src[0] ? buf : e->data;
	return write(fd, p, len) == (ssize_t)len ? 0 : -EIO;
}

int isb_agent_rootfs(const struct isb_config *c, const char *dir, bool under_usr, uint64_t *hash,
		     struct isb_err *err)
{
	/* run and var/tmp: where podman --read-only mounts its tmpfs (rootless cannot make
	 * them in a directory of root's) */
	static const char *const dirs[] = {"tmp", "proc",     "sys", "dev",
					   "etc", "isobench", "run", "var/tmp"};
	cleanup_image struct isb_guest_image im = {0};
	char agent[PATH_MAX];
	bool sub;
	isb_guest_agent(c->agent_path, c->agent_is_isobench, agent, sizeof(agent), &sub);
	for (size_t i = 0; i < ISB_ARRAY_SIZE(dirs); i++)
		if (!under_usr || !strcmp(dirs[i], "isobench"))
			isb_guest_image_add(&im, dirs[i],
					    S_IFDIR | (strstr(dirs[i], "tmp") ? 01777 : 0755));
	if (isb_guest_image_add_binary(&im, "isobench/agent", agent, err) < 0)
		return -EIO;
	if (access("/usr/bin/fio", X_OK) == 0 &&
	    isb_guest_image_add_binary(&im, "usr/bin/fio", "/usr/bin/fio", err) < 0)
		return -EIO;
	if (hash) {
		if (isb_guest_image_hash(&im, err) < 0)
			return -EIO;
		*hash = im.hash ^ (under_usr ? 0x9e3779b97f4a7c15ull : 0);
	}
	for (size_t i = 0; dir && i < im.n; i++) {
		struct isb_guest_entry e = im.e[i];
		if (under_usr && strncmp(e.dst, "usr/", 4) && strcmp(e.dst, "usr"))
			snprintf(e.dst, sizeof(e.dst), "usr/%s", im.e[i].dst);
		int r = write_entry(dir, &e);
		if (r < 0)
			return isb_errf(err, -r, "agent root file system %s: %s", dir, e.dst);
	}
	if (!dir || under_usr)
		return 0;
	/* the link and files podman makes where they are missing, which rootless cannot in a
	 * directory of root's */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/etc/mtab", dir);
	if (symlink("/proc/mounts", path) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "symlink %s", path);
	static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/etc/%s", dir, files[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return isb_errf(err, errno, "create %s", path);
		close(fd);
	}
	return 0;
}
