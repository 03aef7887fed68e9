/*
 * The guest image of the vm backend, built by isobench itself: a kernel and
 * an initramfs holding the agent, fio, busybox, their shared libraries, the
 * kernel modules the devices need and a small init.
 *
 * The initramfs is cached under <cache>/guest/<hash>/, where the hash covers
 * the content of every file it holds and the init script, so a second
 * campaign reuses it and a changed agent rebuilds it. The cache keeps the few
 * images used last.
 *
 * Its parts: which kernel, and that kernel unpacked (guestkernel.c); the
 * image's list, hash and cpio writer (guestcpio.c); the modules of the device
 * models (guestmods.c).
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/proc.h"
#include "backends/guestimg.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEEP_IMAGES 4

/* The guest's init: mounts, loads the modules of the device model, opens the agent's port,
 * makes the scratch file system when a disk is attached, runs the agent (with isobench.ct:
 * under isobench-guestct, the container runtime, in the guest's cgroup2), reboots (QEMU runs
 * with -no-reboot, so a reboot ends it). Errors reach the harness as error events. */
static const char init_script[] =
    "#!/bin/sh\n"
    "# isobench guest init (generated; see backends/guest.c)\n"
    "B=/bin/busybox\n"
    "export PATH=/bin:/usr/bin\n"
    "$B mount -t proc proc /proc\n"
    "$B mount -t sysfs sys /sys\n"
    "$B mount -t devtmpfs dev /dev\n"
    "$B mkdir -p /dev/shm /tmp && $B mount -t tmpfs shm /dev/shm\n"
    "dev=virtio disk= port= sub= ip= ct=\n"
    "for w in $($B cat /proc/cmdline); do\n"
    "  case $w in\n"
    "  isobench.devices=*) dev=${w#*=} ;;\n"
    "  isobench.disk=*) disk=${w#*=} ;;\n"
    "  isobench.sub=*) sub=${w#*=} ;;\n"
    "  isobench.ip=*) ip=${w#*=} ;;\n"
    "  isobench.ct=*) ct=1 ;;\n"
    "  esac\n"
    "done\n"
    "for m in $($B cat /isobench/modules.$dev); do\n"
    "  $B insmod /isobench/mod/$m.ko || echo \"isobench-init: insmod $m failed\"\n"
    "done\n"
    "wait_for() { i=0; while [ ! -e $1 ] && [ $i -lt 200 ]; do $B usleep 50000; i=$((i+1)); "
    "done; [ -e $1 ]; }\n"
    "if [ $dev = virtio ]; then port=/dev/vport0p1; blk=/dev/vda;\n"
    "else port=/dev/ttyS1; blk=/dev/sda; fi\n"
    "if ! wait_for $port; then echo \"isobench-init: no agent port $port\"; $B reboot -f; fi\n"
    "[ $dev = virtio ] || $B stty -F $port raw -echo 115200\n"
    "exec 3<>$port\n"
    "fail() { echo \"{\\\"event\\\":\\\"error\\\",\\\"message\\\":\\\"guest: $*\\\"}\" >&3; "
    "echo \"isobench-init: $*\"; $B reboot -f; }\n"
    "if [ -n \"$disk\" ]; then\n"
    "  wait_for $blk || fail \"no disk $blk\"\n"
    "  $B mke2fs -q -F $blk >/dev/null 2>&1 || fail \"mke2fs $blk failed\"\n"
    "  $B mkdir -p $disk && $B mount -t ext2 $blk $disk || fail \"mount $blk failed\"\n"
    "fi\n"
    "$B ip link set lo up\n"
    "if [ -n \"$ip\" ]; then\n"
    "  wait_for /sys/class/net/eth0 || fail \"no network interface\"\n"
    "  $B ip addr add $ip dev eth0 && $B ip link set eth0 up || fail \"ip addr add $ip\"\n"
    "fi\n"
    "if [ -n \"$ct\" ]; then\n"
    "  [ -x /isobench/guestct ] || fail \"container = own: no isobench-guestct in the image\"\n"
    "  $B mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail \"mount cgroup2 failed\"\n"
    "  /isobench/guestct /isobench/agent $sub <&3 >&3\n"
    "else\n"
    "  /isobench/agent $sub --from-kernel-cmdline <&3 >&3\n"
    "fi\n"
    "echo \"isobench-init: agent exit $?\"\n"
    "$B umount /scratch 2>/dev/null\n"
    "$B reboot -f\n";

const char *isb_guest_cache_dir(void)
{
	const char *e = getenv("ISOBENCH_CACHE");
	return e && *e ? e : "/var/cache/isobench";
}

static const char *find_prog(const char *const *cands, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

/* The skeleton: directories, the console node, busybox's applets, the init. */
static void image_skeleton(struct isb_guest_image *im)
{
	static const char *const dirs[] = {"bin", "dev",     "proc",	 "sys",
					   "tmp", "scratch", "isobench", "isobench/mod"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(dirs); i++)
		isb_guest_image_add(im, dirs[i], S_IFDIR | 0755);
	struct isb_guest_entry *e = isb_guest_image_add(im, "dev/console", S_IFCHR | 0600);
	if (e)
		e->rdev_major = 5, e->rdev_minor = 1;
	/* busybox's applets that something in the guest runs by path: the init's shell, and
	 * the program pids.spawn execs (fork+exec+wait of /bin/true) */
	static const char *const applets[] = {"bin/sh", "bin/true"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(applets); i++) {
		e = isb_guest_image_add(im, applets[i], S_IFLNK | 0777);
		if (e)
			e->data = "busybox", e->len = 7;
	}
	e = isb_guest_image_add(im, "init", S_IFREG | 0755);
	if (e)
		e->data = init_script, e->len = sizeof(init_script) - 1;
}

/* isobench-guestct (container = own): beside the agent, else beside this program. */
static bool guestct_find(const char *agent, char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	const char *from[] = {agent, self};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(from); i++) {
		const char *slash = strrchr(from[i], '/');
		if (!slash)
			continue;
		snprintf(out, size, "%.*s/isobench-guestct", (int)(slash - from[i]), from[i]);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Everything the guest holds, hashed together with the kernel it goes with. */
static int image_fill(struct isb_guest_image *im, const char *agent, struct isb_guest *g,
		      struct isb_err *err)
{
	static const char *const bb[] = {"/bin/busybox", "/usr/bin/busybox"};
	static const char *const fio[] = {"/usr/bin/fio", "/usr/local/bin/fio"};
	const char *busybox = find_prog(bb, ISB_ARRAY_SIZE(bb));
	const char *fiop = find_prog(fio, ISB_ARRAY_SIZE(fio));
	if (!busybox)
		return isb_errf(err, 0,
				"no busybox for the guest's init (apt-get install "
				"busybox-static)");
	image_skeleton(im);
	if (isb_guest_image_add_file(im, "bin/busybox", busybox, err) < 0 ||
	    isb_guest_image_add_binary(im, "isobench/agent", agent, err) < 0 ||
	    (fiop && isb_guest_image_add_binary(im, "usr/bin/fio", fiop, err) < 0) ||
	    isb_guest_modules_add(im, g, err) < 0)
		return -1;
	g->has_fio = fiop != NULL;
	char ct[PATH_MAX];
	if (guestct_find(agent, ct, sizeof(ct))) {
		if (isb_guest_image_add_binary(im, "isobench/guestct", ct, err) < 0)
			return -1;
		g->has_ct = true;
	}
	if (isb_guest_image_hash(im, err) < 0)
		return -1;
	cleanup_free char *kb = NULL;
	size_t kl;
	if (isb_guest_read_all(g->kernel, &kb, &kl) < 0)
		return isb_errf(err, EIO, "guest image: read %s", g->kernel);
	isb_guest_hash_bytes(&im->hash, kb, kl); /* the image goes with its kernel */
	return 0;
}

/* Keeps the KEEP_IMAGES images used last. */
static void prune(const char *dir)
{
	struct {
		char name[64];
		time_t t;
	} v[64];
	size_t n = 0;
	cleanup_dir DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d)) && n < ISB_ARRAY_SIZE(v);) {
		char p[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.' || strlen(e->d_name) != 16)
			continue;
		snprintf(p, sizeof(p), "%s/%s/initrd.cpio", dir, e->d_name);
		if (stat(p, &st) < 0)
			st.st_mtime = 0;
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].t = st.st_mtime;
	}
	while (n > KEEP_IMAGES) {
		size_t old = 0;
		for (size_t i = 1; i < n; i++)
			if (v[i].t < v[old].t)
				old = i;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", dir, v[old].name);
		isb_remove_tree(p);
		v[old] = v[--n];
	}
}

/* Writes the image and the unpacked kernel into <dir>/<hash>/ (the caller holds the lock). */
static int cache_store(const struct isb_guest_image *im, const char *dir, struct isb_guest *g,
		       struct isb_err *err)
{
	char sub[PATH_MAX], tmp[PATH_MAX + 32];
	snprintf(sub, sizeof(sub), "%s/%s", dir, g->hash);
	snprintf(tmp, sizeof(tmp), "%s.tmp", g->initrd);
	int r = isb_mkdir_p(sub);
	if (r < 0)
		return isb_errf(err, -r, "guest image: mkdir %s", sub);
	if (isb_guest_cpio_write(im, tmp, err) < 0)
		goto fail_unlink_tmp;
	if (rename(tmp, g->initrd) < 0) {
		isb_errf(err, errno, "guest image: rename %s", tmp);
		goto fail_unlink_tmp;
	}
	g->built = true;
	char vmlinux[PATH_MAX], nopvh[PATH_MAX];
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", sub);
	snprintf(nopvh, sizeof(nopvh), "%s/vmlinux.none", sub);
	struct isb_err kerr = {0};
	if (isb_guest_kernel_unpack(g->kernel, vmlinux, &kerr) < 0) {
		FILE *f = fopen(nopvh, "we"); /* booted compressed: say why, once */
		if (f) {
			fputs(kerr.msg, f);
			fclose(f);
		}
	}
	prune(dir);
	return 0;

fail_unlink_tmp:
	unlink(tmp);
	return -1;
}

/* What QEMU boots: the cached vmlinux, else the bzImage, and why. */
static void boot_kernel(const char *dir, struct isb_guest *g)
{
	char vmlinux[PATH_MAX], nopvh[PATH_MAX];
	snprintf(vmlinux, sizeof(vmlinux), "%s/%s/vmlinux", dir, g->hash);
	snprintf(nopvh, sizeof(nopvh), "%s/%s/vmlinux.none", dir, g->hash);
	snprintf(g->boot_kernel, sizeof(g->boot_kernel), "%s", g->kernel);
	if (access(vmlinux, R_OK) == 0) {
		snprintf(g->boot_kernel, sizeof(g->boot_kernel), "%s", vmlinux);
		snprintf(g->boot_note, sizeof(g->boot_note), "uncompressed, PVH entry");
		return;
	}
	char kwhy[128] = "";
	if (isb_read_file(nopvh, kwhy, sizeof(kwhy)) < 0)
		kwhy[0] = 0;
	snprintf(g->boot_note, sizeof(g->boot_note), "compressed bzImage (%s)", isb_trim(kwhy));
}

/* The image in the cache: found there (and marked used), or written. */
static int cache_image(const struct isb_guest_image *im, struct isb_guest *g, struct isb_err *err)
{
	char dir[PATH_MAX], lock[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/guest", isb_guest_cache_dir());
	snprintf(g->hash, sizeof(g->hash), "%016llx", (unsigned long long)im->hash);
	int r = isb_mkdir_p(dir);
	if (r < 0)
		return isb_errf(err, -r, "guest image cache %s", dir);
	/* one builder at a time: campaigns started together share the image */
	snprintf(lock, sizeof(lock), "%s/.lock", dir);
	cleanup_close int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd >= 0)
		while (flock(lfd, LOCK_EX) < 0 && errno == EINTR)
			;
	snprintf(g->initrd, sizeof(g->initrd), "%s/%s/initrd.cpio", dir, g->hash);
	g->bytes = im->bytes;
	if (access(g->initrd, R_OK) == 0)
		utimensat(AT_FDCWD, g->initrd, NULL, 0); /* used: the last to be pruned */
	else if (cache_store(im, dir, g, err) < 0)
		return -1;
	boot_kernel(dir, g);
	return 0;
}

int isb_guest_build(const char *agent, const char *kernel, struct isb_guest *g, struct isb_err *err)
{
	/* the configurations of one campaign share the image: hash the files once */
	static struct isb_guest last;
	static char last_key[PATH_MAX + 512];
	char key[sizeof(last_key)];
	snprintf(key, sizeof(key), "%s\n%s", agent, kernel ? kernel : "");
	if (last.initrd[0] && !strcmp(key, last_key) && access(last.initrd, R_OK) == 0) {
		*g = last;
		g->built = false;
		g->build_s = 0;
		return 0;
	}
	memset(g, 0, sizeof(*g));
	uint64_t t0 = isb_now_ns();
	if (isb_guest_kernel_find(kernel, g, err) < 0)
		return -1;
	cleanup_image struct isb_guest_image im = {0};
	if (image_fill(&im, agent, g, err) < 0 || cache_image(&im, g, err) < 0)
		return -1;
	g->build_s = (double)(isb_now_ns() - t0) / 1e9;
	last = *g;
	snprintf(last_key, sizeof(last_key), "%s", key);
	return 0;
}

void isb_guest_agent(const char *agent_path, bool agent_is_isobench, char *out, size_t size,
		     bool *sub)
{
	snprintf(out, size, "%s", agent_path);
	*sub = agent_is_isobench;
	if (!agent_is_isobench)
		return;
	char small[PATH_MAX];
	const char *slash = strrchr(agent_path, '/');
	snprintf(small, sizeof(small), "%.*s/isobench-agent", slash ? (int)(slash - agent_path) : 1,
		 slash ? agent_path : ".");
	if (access(small, X_OK) == 0) {
		snprintf(out, size, "%s", small);
		*sub = false;
	}
}
