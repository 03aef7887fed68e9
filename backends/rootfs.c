/*
 * The root file system of a tenant with its own mount namespace, built in
 * the tenant just before it runs the agent: a tmpfs holding read-only bind
 * mounts of the host's system directories (so the agent, fio and their
 * libraries run unchanged), the agent's binary read-only, the
 * campaign's scratch directory read-write, and a private /tmp, /proc, /dev
 * and /dev/shm; /sys read-only, with the tenant's own cgroups at
 * /sys/fs/cgroup when it has a cgroup namespace. pivot_root then makes it
 * the root and the host's tree is detached: the tenant sees nothing else.
 * Everything is mounted in the tenant's namespace and vanishes with it.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/rootfs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		int e_ = errno ? errno : EIO;                                                      \
		isb_errf(err, 0, __VA_ARGS__);                                                     \
		err->errnum = e_;                                                                  \
		return -e_;                                                                        \
	} while (0)

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* Bind src at root+src (or dst), read-only unless rw; keeps the flags a user namespace
 * may not clear (nosuid, nodev, noexec). */
static int bind(const char *root, const char *src, const char *dst, bool rw, bool rec,
		struct isb_err *err)
{
	char target[1200];
	struct stat st;
	snprintf(target, sizeof(target), "%s%s", root, dst ? dst : src);
	errno = 0;
	if (stat(src, &st) < 0)
		FAIL("stat %s", src);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir_p(target, 0755) < 0)
			FAIL("mkdir %s", target);
	} else {
		char parent[1200];
		snprintf(parent, sizeof(parent), "%s", target);
		*strrchr(parent, '/') = 0;
		if (mkdir_p(parent, 0755) < 0)
			FAIL("mkdir %s", parent);
		int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			FAIL("create %s", target);
		close(fd);
	}
	if (mount(src, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
		FAIL("bind %s", src);
	if (rw)
		return 0;
#ifdef SYS_mount_setattr
	if (rec) { /* every submount read-only too (Linux 5.12) */
		struct {
			uint64_t set, clr, propagation, userns_fd;
		} attr = {.set = 0x1 /* MOUNT_ATTR_RDONLY */};
		if (syscall(SYS_mount_setattr, AT_FDCWD, target, 0x8000 /* AT_RECURSIVE */, &attr,
			    sizeof(attr)) == 0)
			return 0;
	}
#endif
	struct statvfs sv;
	unsigned long keep = 0;
	if (statvfs(target, &sv) == 0)
		keep = (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
		       (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		       (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
		FAIL("remount %s read-only", target);
	return 0;
}

/* The host's /bin, /lib... : symlinks on merged-/usr systems, directories elsewhere. */
static int system_dir(const char *root, const char *d, struct isb_err *err)
{
	struct stat st;
	char link[256], target[1200];
	if (lstat(d, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(d, link, sizeof(link) - 1);
		if (n <= 0)
			return 0;
		link[n] = 0;
		snprintf(target, sizeof(target), "%s%s", root, d);
		errno = 0;
		if (symlink(link, target) < 0 && errno != EEXIST)
			FAIL("symlink %s", target);
		return 0;
	}
	return S_ISDIR(st.st_mode) ? bind(root, d, NULL, false, true, err) : 0;
}

/* /sys/fs/cgroup read-only, as a runtime mounts it: with a cgroup namespace only the
 * tenant's own groups (host_cgroup is /proc/self/cgroup read before the namespace), else
 * the host's hierarchies. */
static int cgroup_view(const char *root, const char *host_cgroup, bool own, struct isb_err *err)
{
	char cgdir[1100], buf[4096];
	snprintf(cgdir, sizeof(cgdir), "%s/sys/fs/cgroup", root);
	errno = 0;
	if (mount("tmpfs", cgdir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") <
	    0)
		FAIL("mount tmpfs on %s", cgdir);
	snprintf(buf, sizeof(buf), "%s", host_cgroup ? host_cgroup : "");
	for (char *save, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *ctrls = c1 + 1, *path = own ? c2 + 1 : "";
		char src[1100], dst[600], name[128];
		if (strstr(ctrls, "name="))
			continue;
		if (!*ctrls) { /* v2, or the hybrid host's near-empty unified tree */
			struct stat st;
			if (stat("/sys/fs/cgroup/unified", &st) == 0) {
				snprintf(src, sizeof(src), "/sys/fs/cgroup/unified%s", path);
				snprintf(dst, sizeof(dst), "/sys/fs/cgroup/unified");
			} else {
				snprintf(src, sizeof(src), "/sys/fs/cgroup%s", path);
				snprintf(dst, sizeof(dst), "/sys/fs/cgroup");
				/* v2 has one tree: replace the tmpfs by it */
				umount2(cgdir, MNT_DETACH);
			}
		} else {
			snprintf(name, sizeof(name), "%s", ctrls);
			snprintf(src, sizeof(src), "/sys/fs/cgroup/%s%s", name, path);
			if (access(src, F_OK) < 0) { /* cpu,cpuacct mounted as "cpu" */
				char *comma = strchr(name, ',');
				if (comma)
					*comma = 0;
				snprintf(src, sizeof(src), "/sys/fs/cgroup/%s%s", name, path);
			}
			snprintf(dst, sizeof(dst), "/sys/fs/cgroup/%s", name);
		}
		if (access(src, F_OK) < 0)
			continue;
		int r = bind(root, src, dst, false, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The root's own directories: the host's system directories read-only, /tmp, /proc. */
static int rootfs_dirs(const struct isb_rootfs *r, const char *root, struct isb_err *err)
{
	static const char *const sys_dirs[] = {"/usr", "/etc",	 "/bin",   "/sbin",
					       "/lib", "/lib32", "/lib64", "/libx32"};
	static const char *const own[] = {"/tmp", "/proc", "/dev", "/sys"};
	char path[1200];
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sys_dirs); i++) {
		int e = system_dir(root, sys_dirs[i], err);
		if (e < 0)
			return e;
	}
	for (size_t i = 0; i < ISB_ARRAY_SIZE(own); i++) {
		snprintf(path, sizeof(path), "%s%s", root, own[i]);
		if (mkdir_p(path, own[i][1] == 't' ? 01777 : 0755) < 0)
			FAIL("mkdir %s", path);
	}
	snprintf(path, sizeof(path), "%s/tmp", root);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
		FAIL("mount /tmp");
	/* /proc: the tenant's own where it has a pid namespace */
	snprintf(path, sizeof(path), "%s/proc", root);
	if (r->pid_ns) {
		if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			FAIL("mount proc");
	} else if (mount("/proc", path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		FAIL("bind /proc");
	}
	return 0;
}

/* /dev: a few harmless nodes bound from the host, nothing else */
static int rootfs_dev(const char *root, struct isb_err *err)
{
	static const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
					    "/dev/urandom"};
	static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
					       {"/proc/self/fd/0", "/dev/stdin"},
					       {"/proc/self/fd/1", "/dev/stdout"},
					       {"/proc/self/fd/2", "/dev/stderr"}};
	char path[1200];
	snprintf(path, sizeof(path), "%s/dev", root);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID, "mode=755,size=64k") < 0)
		FAIL("mount /dev");
	for (size_t i = 0; i < ISB_ARRAY_SIZE(nodes); i++) {
		int e = bind(root, nodes[i], NULL, true, false, err);
		if (e < 0)
			return e;
	}
	snprintf(path, sizeof(path), "%s/dev/shm", root);
	if (mkdir(path, 01777) < 0 ||
	    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
		FAIL("mount /dev/shm");
	for (size_t i = 0; i < ISB_ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "%s%s", root, links[i][1]);
		if (symlink(links[i][0], path) < 0)
			FAIL("symlink %s", path);
	}
	return 0;
}

/* After /tmp (the agent or the scratch directory may live below it): the agent's binary
 * unless /usr already has it, the scratch directory, /sys, the cgroup view. The binary, not
 * its directory: that directory often holds the campaign itself (campaigns/<id>/scratch
 * beside ./isobench), whose loop-device mount a user namespace locks, and the kernel refuses
 * a non-recursive bind over locked mounts (EINVAL). */
static int rootfs_binds(const struct isb_rootfs *r, const char *root, struct isb_err *err)
{
	int e;
	if (r->agent && r->agent[0] == '/' && strncmp(r->agent, "/usr/", 5)) {
		e = bind(root, r->agent, NULL, false, false, err);
		if (e < 0)
			return e;
	}
	if (r->scratch && r->scratch[0]) {
		e = bind(root, r->scratch, NULL, true, false, err);
		if (e < 0)
			return e;
	}
	e = bind(root, "/sys", NULL, false, true, err);
	if (e < 0)
		return e;
	return cgroup_view(root, r->host_cgroup, r->cgroup_ns, err);
}

int isb_rootfs_enter(const struct isb_rootfs *r, struct isb_err *err)
{
	const char *root = r->dir;
	int e;
	errno = 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL("make / private");
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m") < 0)
		FAIL("mount tmpfs on %s", root);
	if ((e = rootfs_dirs(r, root, err)) < 0 || (e = rootfs_dev(root, err)) < 0 ||
	    (e = rootfs_binds(r, root, err)) < 0)
		return e;
	/* pivot_root(".", "."): the old root ends up on top, then is detached */
	if (chdir(root) < 0)
		FAIL("chdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		FAIL("pivot_root %s", root);
	if (umount2(".", MNT_DETACH) < 0)
		FAIL("detach the old root");
	if (chdir("/") < 0)
		FAIL("chdir /");
	return 0;
}
