/*
 * The guest image of the vm backend, built by isobench itself: a kernel and
 * an initramfs (newc cpio, uncompressed: TCG unpacks it faster than it
 * decompresses) holding the agent, fio, busybox, their shared libraries,
 * the kernel modules the devices need and a small init.
 *
 * The kernel is the host's own (/boot/vmlinuz-$(uname -r) with
 * /lib/modules) when present, else the newest one the setup script unpacked
 * from Debian's linux-image package under <cache>/kernel, or the suite's
 * `kernel` key. The initramfs is cached under <cache>/guest/<hash>/, where
 * the hash covers the content of every file it holds and the init script,
 * so a second campaign reuses it and a changed agent rebuilds it. The cache
 * keeps the few images used last.
 *
 * Modules are resolved without kmod: each .ko's .modinfo section names its
 * dependencies, and modules.builtin says what needs no module.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/proc.h"
#include "backends/guest.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUEST_FORMAT "isobench-guest-4"
#define KEEP_IMAGES  4

/* The guest's init: mounts, loads the modules of the device model, opens the agent's port,
 * makes the scratch file system when a disk is attached, runs the agent, reboots (QEMU runs
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
    "dev=virtio disk= port= sub= ip=\n"
    "for w in $($B cat /proc/cmdline); do\n"
    "  case $w in\n"
    "  isobench.devices=*) dev=${w#*=} ;;\n"
    "  isobench.disk=*) disk=${w#*=} ;;\n"
    "  isobench.sub=*) sub=${w#*=} ;;\n"
    "  isobench.ip=*) ip=${w#*=} ;;\n"
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
    "/isobench/agent $sub --from-kernel-cmdline <&3 >&3\n"
    "echo \"isobench-init: agent exit $?\"\n"
    "$B umount /scratch 2>/dev/null\n"
    "$B reboot -f\n";

/* What each device model needs, in the order to load (dependencies are added before). */
static const char *const mods_common[] = {"crc32c_generic", "ext4"};
static const char *const mods_virtio[] = {"virtio_pci", "virtio_console", "virtio_blk",
					  "virtio_net"};
static const char *const mods_emulated[] = {"ata_piix", "ahci", "sd_mod", "e1000", "e1000e"};
/* Without these a device model cannot run (the rest only some machine types use). */
static const char *const need_virtio[] = {"virtio_pci", "virtio_console", "virtio_blk", "ext4"};
static const char *const need_emulated[] = {"sd_mod", "ext4"};

const char *isb_guest_cache_dir(void)
{
	const char *e = getenv("ISOBENCH_CACHE");
	return e && *e ? e : "/var/cache/isobench";
}

/* ---- the kernel ---- */

static int vmlinuz_version(const char *path, char *ver, size_t size)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (strncmp(b, "vmlinuz-", 8) || !b[8])
		return -1;
	snprintf(ver, size, "%s", b + 8);
	return 0;
}

/* <root>/boot/vmlinuz-<ver> goes with <root>/lib/modules/<ver>. */
static int moddir_of(const char *kernel, const char *ver, char *moddir, size_t size)
{
	char root[PATH_MAX];
	snprintf(root, sizeof(root), "%s", kernel);
	char *s = strrchr(root, '/');
	if (!s)
		return -1;
	*s = 0;
	s = strrchr(root, '/');
	if (s && !strcmp(s, "/boot"))
		*s = 0;
	else
		return -1;
	snprintf(moddir, size, "%s/lib/modules/%s", root, ver);
	struct stat st;
	return stat(moddir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int isb_guest_kernel_find(const char *want, struct isb_guest *g, char *why, size_t size)
{
	char path[PATH_MAX];
	if (want && *want) {
		if (access(want, R_OK) < 0)
			return snprintf(why, size, "kernel %s: %s", want, strerror(errno)), -1;
		if (vmlinuz_version(want, g->kver, sizeof(g->kver)) < 0 ||
		    moddir_of(want, g->kver, g->moddir, sizeof(g->moddir)) < 0)
			return snprintf(
				   why, size,
				   "kernel %s: expected DIR/boot/vmlinuz-VERSION with its modules "
				   "in DIR/lib/modules/VERSION",
				   want),
			       -1;
		snprintf(g->kernel, sizeof(g->kernel), "%s", want);
		return 0;
	}
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/vmlinuz-%s", u.release);
		snprintf(g->moddir, sizeof(g->moddir), "/lib/modules/%s", u.release);
		if (access(path, R_OK) == 0 && access(g->moddir, R_OK) == 0) {
			snprintf(g->kernel, sizeof(g->kernel), "%s", path);
			snprintf(g->kver, sizeof(g->kver), "%s", u.release);
			return 0;
		}
	}
	/* <cache>/kernel/<package>/boot/vmlinuz-*: the newest by modification time */
	char kdir[PATH_MAX];
	snprintf(kdir, sizeof(kdir), "%s/kernel", isb_guest_cache_dir());
	DIR *d = opendir(kdir);
	time_t best = 0;
	g->kernel[0] = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char boot[PATH_MAX];
		snprintf(boot, sizeof(boot), "%s/%s/boot", kdir, e->d_name);
		DIR *bd = opendir(boot);
		for (struct dirent *f; bd && (f = readdir(bd));) {
			char ver[128], md[PATH_MAX];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", boot, f->d_name);
			if (vmlinuz_version(f->d_name, ver, sizeof(ver)) < 0 ||
			    stat(path, &st) < 0 || moddir_of(path, ver, md, sizeof(md)) < 0 ||
			    st.st_mtime < best)
				continue;
			best = st.st_mtime;
			snprintf(g->kernel, sizeof(g->kernel), "%s", path);
			snprintf(g->kver, sizeof(g->kver), "%s", ver);
			snprintf(g->moddir, sizeof(g->moddir), "%s", md);
		}
		if (bd)
			closedir(bd);
	}
	if (d)
		closedir(d);
	if (g->kernel[0])
		return 0;
	snprintf(why, size,
		 "no guest kernel: neither /boot/vmlinuz-%s with /lib/modules nor an unpacked "
		 "linux-image under %s (./setup.sh fetches one with apt-get download)",
		 u.release, kdir);
	return -1;
}

/* ---- the list of what goes into the image ---- */

struct entry {
	char dst[256];	    /* path inside the guest, without the leading / */
	char src[PATH_MAX]; /* host file; "" for a directory, a node or generated data */
	const char *data;   /* generated content */
	size_t len;
	unsigned mode;
	unsigned rdev_major, rdev_minor;
};

struct image {
	struct entry *e;
	size_t n, cap;
	uint64_t hash;
	uint64_t bytes;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t x = *h;
	for (size_t i = 0; i < n; i++) {
		x ^= b[i];
		x *= 0x100000001b3ull;
	}
	*h = x;
}

static struct entry *add(struct image *im, const char *dst, unsigned mode)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->e[i].dst, dst))
			return NULL; /* already there */
	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;
		struct entry *e = realloc(im->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		im->e = e;
		im->cap = cap;
	}
	struct entry *e = &im->e[im->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->dst, sizeof(e->dst), "%s", dst);
	e->mode = mode;
	return e;
}

static void add_dirs(struct image *im, const char *dst)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dst);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = 0;
		add(im, buf, S_IFDIR | 0755);
		*p = '/';
	}
}

/* A host file at dst (a path in the guest, no leading /); follows symlinks. */
static int add_file(struct image *im, const char *dst, const char *src, struct isb_err *err)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return isb_errf(err, errno, "guest image: %s", src);
	while (*dst == '/')
		dst++;
	add_dirs(im, dst);
	struct entry *e = add(im, dst, S_IFREG | (st.st_mode & 0111 ? 0755 : 0644));
	if (e)
		snprintf(e->src, sizeof(e->src), "%s", src);
	return 0;
}

/* A binary and the shared libraries the dynamic loader resolves for it, at their paths. */
static int add_binary(struct image *im, const char *dst, const char *src, struct isb_err *err)
{
	if (add_file(im, dst, src, err) < 0)
		return -1;
	static char out[16384];
	char *argv[] = {"/lib64/ld-linux-x86-64.so.2", "--list", (char *)src, NULL};
	if (access(argv[0], X_OK) < 0)
		return isb_errf(err, errno, "guest image: %s (the x86-64 dynamic loader)", argv[0]);
	int rc = isb_run_output(argv, out, sizeof(out));
	if (rc != 0 && !strstr(out, "=>"))
		return 0; /* a static binary: "not a dynamic executable" */
	for (char *save, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *a = strstr(l, "=> ");
		char *path = a ? a + 3 : strchr(l, '/');
		if (!path || *path != '/')
			continue; /* linux-vdso.so.1, or "not found" */
		char *sp = strchr(path, ' ');
		if (sp)
			*sp = 0;
		if (add_file(im, path, path, err) < 0)
			return -1;
	}
	if (strstr(out, "not found"))
		return isb_errf(err, 0, "guest image: %s needs a library that is not found", src);
	return 0;
}

/* ---- kernel modules ---- */

struct modset {
	char name[64][32];
	char file[64][PATH_MAX];
	size_t n;
	char missing[256];
	char builtin[8192];
};

static void modname(const char *base, char *out, size_t size)
{
	size_t i = 0;
	for (; base[i] && i + 1 < size && strncmp(base + i, ".ko", 3); i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[i] = 0;
}

static int find_module(const char *dir, const char *name, char *out, size_t size, int depth)
{
	DIR *d = opendir(dir);
	int found = -1;
	for (struct dirent *e; found < 0 && d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char p[PATH_MAX], n[64];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		size_t l = strlen(e->d_name);
		if (l > 3 && !strcmp(e->d_name + l - 3, ".ko")) {
			modname(e->d_name, n, sizeof(n));
			if (!strcmp(n, name)) {
				snprintf(out, size, "%s", p);
				found = 0;
			}
		} else if (e->d_type == DT_DIR && depth < 12) {
			found = find_module(p, name, out, size, depth + 1);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* "depends=" of a module, from its .modinfo section. */
static int module_depends(const char *path, char *deps, size_t size)
{
	deps[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return -EINVAL;
	}
	unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	int r = -EINVAL;
	const Elf64_Ehdr *eh = (const void *)m;
	size_t sz = (size_t)st.st_size;
	if (!memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh->e_shoff && eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) <= sz &&
	    eh->e_shstrndx < eh->e_shnum) {
		const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
		const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_name >= strs->sh_size ||
			    strs->sh_offset + strs->sh_size > sz ||
			    sh[i].sh_offset + sh[i].sh_size > sz)
				continue;
			if (strcmp((const char *)m + strs->sh_offset + sh[i].sh_name, ".modinfo"))
				continue;
			const char *p = (const char *)m + sh[i].sh_offset, *end = p + sh[i].sh_size;
			r = 0;
			for (; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
				if (!strncmp(p, "depends=", 8))
					snprintf(deps, size, "%.*s",
						 (int)strnlen(p + 8, (size_t)(end - p - 8)), p + 8);
		}
	}
	munmap(m, sz);
	return r;
}

static bool is_builtin(const struct modset *ms, const char *name)
{
	for (const char *p = ms->builtin; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		const char *b = memrchr(p, '/', l);
		b = b ? b + 1 : p;
		char n[64], line[128];
		snprintf(line, sizeof(line), "%.*s", (int)(l - (size_t)(b - p)), b);
		modname(line, n, sizeof(n));
		if (!strcmp(n, name))
			return true;
		p += l + (nl ? 1 : 0);
	}
	return false;
}

/* Adds name after its dependencies; 1 builtin, 0 added, -1 missing. */
static int resolve(struct modset *ms, const char *moddir, const char *name, int depth)
{
	for (size_t i = 0; i < ms->n; i++)
		if (!strcmp(ms->name[i], name))
			return 0;
	if (is_builtin(ms, name))
		return 1;
	char path[PATH_MAX], deps[512], kdir[PATH_MAX];
	snprintf(kdir, sizeof(kdir), "%s/kernel", moddir);
	if (find_module(kdir, name, path, sizeof(path), 0) < 0 || depth > 16 ||
	    ms->n >= ISB_ARRAY_SIZE(ms->name))
		return -1;
	if (module_depends(path, deps, sizeof(deps)) < 0)
		return -1;
	for (char *save, *t = strtok_r(deps, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char n[64];
		modname(t, n, sizeof(n));
		if (resolve(ms, moddir, n, depth + 1) < 0)
			return -1;
	}
	snprintf(ms->name[ms->n], sizeof(ms->name[0]), "%s", name);
	snprintf(ms->file[ms->n], sizeof(ms->file[0]), "%s", path);
	ms->n++;
	return 0;
}

/* The modules of one device model into the image, and the list init loads. */
static int add_modules(struct image *im, const char *moddir, const char *model,
		       const char *const *mods, size_t nmods, const char *const *need, size_t nneed,
		       char *list, size_t list_size, char *unusable, size_t unusable_size,
		       struct isb_err *err)
{
	struct modset *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return isb_errf(err, ENOMEM, "guest image");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/modules.builtin", moddir);
	if (isb_read_file(p, ms->builtin, sizeof(ms->builtin)) < 0)
		ms->builtin[0] = 0;
	const char *const *lists[] = {mods_common, mods};
	size_t lens[] = {ISB_ARRAY_SIZE(mods_common), nmods};
	char missing[256] = "";
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lens[l]; i++)
			if (resolve(ms, moddir, lists[l][i], 0) < 0) {
				for (size_t k = 0; k < nneed; k++)
					if (!strcmp(need[k], lists[l][i]))
						snprintf(missing + strlen(missing),
							 sizeof(missing) - strlen(missing), "%s%s",
							 missing[0] ? ", " : "", lists[l][i]);
			}
	if (missing[0])
		snprintf(unusable, unusable_size,
			 "devices = %s: the kernel in %s has no module %s (nor is it built in)",
			 model, moddir, missing);
	size_t o = 0;
	list[0] = 0;
	for (size_t i = 0; i < ms->n; i++) {
		char dst[128];
		snprintf(dst, sizeof(dst), "isobench/mod/%s.ko", ms->name[i]);
		if (add_file(im, dst, ms->file[i], err) < 0) {
			free(ms);
			return -1;
		}
		o += (size_t)snprintf(list + o, list_size - o, "%s\n", ms->name[i]);
		if (o >= list_size) {
			free(ms);
			return isb_errf(err, E2BIG, "guest image: module list");
		}
	}
	free(ms);
	return 0;
}

/* ---- cpio (newc) ---- */

static int cpio_header(FILE *f, const char *name, unsigned mode, size_t size, unsigned ino,
		       unsigned rmaj, unsigned rmin)
{
	size_t nl = strlen(name) + 1;
	if (fprintf(f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino, mode, 0,
		    0, 1, 0, size, 0, 0, rmaj, rmin, nl, 0) < 0 ||
	    fwrite(name, 1, nl, f) != nl)
		return -1;
	static const char zero[4] = {0};
	size_t pad = (4 - ((110 + nl) & 3)) & 3;
	return fwrite(zero, 1, pad, f) == pad ? 0 : -1;
}

static int cpio_data(FILE *f, const void *p, size_t n)
{
	static const char zero[4] = {0};
	size_t pad = (4 - (n & 3)) & 3;
	return fwrite(p, 1, n, f) == n && fwrite(zero, 1, pad, f) == pad ? 0 : -1;
}

static int read_all(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	size_t o = 0;
	while (*buf && o < *len) {
		ssize_t n = read(fd, *buf + o, *len - o);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		o += (size_t)n;
	}
	close(fd);
	if (!*buf || o != *len) {
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->dst, ((const struct entry *)b)->dst);
}

/* Hash of every name, mode and content, in a fixed order. */
static int image_hash(struct image *im, struct isb_err *err)
{
	qsort(im->e, im->n, sizeof(*im->e), cmp_entry);
	uint64_t h = 0xcbf29ce484222325ull;
	hash_bytes(&h, GUEST_FORMAT, sizeof(GUEST_FORMAT));
	im->bytes = 0;
	for (size_t i = 0; i < im->n; i++) {
		struct entry *e = &im->e[i];
		hash_bytes(&h, e->dst, strlen(e->dst) + 1);
		hash_bytes(&h, &e->mode, sizeof(e->mode));
		if (e->data) {
			hash_bytes(&h, e->data, e->len);
			im->bytes += e->len;
		} else if (e->src[0]) {
			char *buf;
			size_t len;
			if (read_all(e->src, &buf, &len) < 0)
				return isb_errf(err, EIO, "guest image: read %s", e->src);
			hash_bytes(&h, buf, len);
			im->bytes += len;
			free(buf);
		}
	}
	im->hash = h;
	return 0;
}

static int write_cpio(const struct image *im, const char *path, struct isb_err *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return isb_errf(err, errno, "guest image: %s", path);
	int bad = 0;
	for (size_t i = 0; i < im->n && !bad; i++) {
		const struct entry *e = &im->e[i];
		char *buf = NULL;
		size_t len = 0;
		const void *data = e->data;
		if (e->data)
			len = e->len;
		else if (e->src[0] && read_all(e->src, &buf, &len) < 0)
			bad = 1;
		else if (e->src[0])
			data = buf;
		if (!bad)
			bad = cpio_header(f, e->dst, e->mode, len, (unsigned)i + 1, e->rdev_major,
					  e->rdev_minor) < 0 ||
			      (len && cpio_data(f, data, len) < 0);
		free(buf);
	}
	if (!bad)
		bad = cpio_header(f, "TRAILER!!!", 0, 0, 0, 0, 0) < 0;
	if (fclose(f) != 0 || bad) {
		unlink(path);
		return isb_errf(err, EIO, "guest image: write %s", path);
	}
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
	DIR *d = opendir(dir);
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
	if (d)
		closedir(d);
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

static const char *find_prog(const char *const *cands, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
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

/* ---- the kernel, uncompressed: TCG spends seconds in a bzImage's own decompressor ---- */

/* Does this ELF kernel carry the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU needs
 * to boot an uncompressed vmlinux? */
static bool has_pvh_note(const unsigned char *m, size_t sz)
{
	const Elf64_Ehdr *eh = (const void *)m;
	if (sz < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > sz)
		return false;
	const Elf64_Phdr *ph = (const void *)(m + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_offset + ph[i].p_filesz > sz)
			continue;
		size_t o = ph[i].p_offset, end = o + ph[i].p_filesz;
		while (o + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *n = (const void *)(m + o);
			size_t name = o + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_namesz == 4 && name + 4 <= end && !memcmp(m + name, "Xen", 4) &&
			    n->n_type == 18)
				return true;
			o = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return false;
}

#ifdef HAVE_LIBLZMA
#include <lzma.h>

/* The vmlinux inside an XZ-compressed bzImage, into out; 0, or -1 with why. */
static int unpack_kernel(const char *bz, const char *out, char *why, size_t size)
{
	char *buf;
	size_t len;
	if (read_all(bz, &buf, &len) < 0)
		return snprintf(why, size, "read %s", bz), -1;
	static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
	unsigned char *at = memmem(buf, len, xz, sizeof(xz));
	if (!at) {
		free(buf);
		return snprintf(why, size, "not an XZ-compressed bzImage"), -1;
	}
	size_t cap = 256u << 20, produced = 0;
	unsigned char *dst = malloc(cap);
	lzma_stream st = LZMA_STREAM_INIT;
	int ok = dst && lzma_stream_decoder(&st, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
	if (ok) {
		st.next_in = at;
		st.avail_in = len - (size_t)(at - (unsigned char *)buf);
		st.next_out = dst;
		st.avail_out = cap;
		lzma_ret r = lzma_code(&st, LZMA_FINISH);
		/* the payload is followed by other data: a stream end or a data error after it */
		produced = cap - st.avail_out;
		ok = (r == LZMA_STREAM_END || r == LZMA_DATA_ERROR) && produced > 0;
		lzma_end(&st);
	}
	free(buf);
	if (!ok || !has_pvh_note(dst, produced)) {
		free(dst);
		return snprintf(why, size, "%s",
				ok ? "no PVH entry note (CONFIG_PVH)" : "XZ payload"),
		       -1;
	}
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	FILE *f = fopen(tmp, "we");
	ok = f && fwrite(dst, 1, produced, f) == produced;
	if (f && fclose(f) != 0)
		ok = 0;
	free(dst);
	if (!ok || rename(tmp, out) < 0) {
		unlink(tmp);
		return snprintf(why, size, "write %s", out), -1;
	}
	return 0;
}
#else
static int unpack_kernel(const char *bz, const char *out, char *why, size_t size)
{
	(void)bz;
	(void)out;
	(void)has_pvh_note;
	return snprintf(why, size, "built without liblzma"), -1;
}
#endif

int isb_guest_build(const char *agent, const char *kernel, struct isb_guest *g, struct isb_err *err)
{
	char why[512];
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
	if (isb_guest_kernel_find(kernel, g, why, sizeof(why)) < 0)
		return isb_errf(err, 0, "%s", why);
	static const char *const bb[] = {"/bin/busybox", "/usr/bin/busybox"};
	static const char *const fio[] = {"/usr/bin/fio", "/usr/local/bin/fio"};
	const char *busybox = find_prog(bb, ISB_ARRAY_SIZE(bb));
	const char *fiop = find_prog(fio, ISB_ARRAY_SIZE(fio));
	if (!busybox)
		return isb_errf(err, 0,
				"no busybox for the guest's init (apt-get install "
				"busybox-static)");
	struct image im = {0};
	static const char *const dirs[] = {"bin", "dev",     "proc",	 "sys",
					   "tmp", "scratch", "isobench", "isobench/mod"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(dirs); i++)
		add(&im, dirs[i], S_IFDIR | 0755);
	struct entry *e = add(&im, "dev/console", S_IFCHR | 0600);
	if (e)
		e->rdev_major = 5, e->rdev_minor = 1;
	/* busybox's applets that something in the guest runs by path: the init's shell, and
	 * the program pids.spawn execs (fork+exec+wait of /bin/true) */
	static const char *const applets[] = {"bin/sh", "bin/true"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(applets); i++) {
		e = add(&im, applets[i], S_IFLNK | 0777);
		if (e)
			e->data = "busybox", e->len = 7;
	}
	e = add(&im, "init", S_IFREG | 0755);
	if (e)
		e->data = init_script, e->len = sizeof(init_script) - 1;
	static char list_virtio[2048], list_emulated[2048];
	if (add_file(&im, "bin/busybox", busybox, err) < 0 ||
	    add_binary(&im, "isobench/agent", agent, err) < 0 ||
	    (fiop && add_binary(&im, "usr/bin/fio", fiop, err) < 0) ||
	    add_modules(&im, g->moddir, "virtio", mods_virtio, ISB_ARRAY_SIZE(mods_virtio),
			need_virtio, ISB_ARRAY_SIZE(need_virtio), list_virtio, sizeof(list_virtio),
			g->unusable_virtio, sizeof(g->unusable_virtio), err) < 0 ||
	    add_modules(&im, g->moddir, "emulated", mods_emulated, ISB_ARRAY_SIZE(mods_emulated),
			need_emulated, ISB_ARRAY_SIZE(need_emulated), list_emulated,
			sizeof(list_emulated), g->unusable_emulated, sizeof(g->unusable_emulated),
			err) < 0) {
		free(im.e);
		return -1;
	}
	e = add(&im, "isobench/modules.virtio", S_IFREG | 0644);
	if (e)
		e->data = list_virtio, e->len = strlen(list_virtio);
	e = add(&im, "isobench/modules.emulated", S_IFREG | 0644);
	if (e)
		e->data = list_emulated, e->len = strlen(list_emulated);
	g->has_fio = fiop != NULL;
	if (image_hash(&im, err) < 0) {
		free(im.e);
		return -1;
	}
	{
		char *kb;
		size_t kl;
		if (read_all(g->kernel, &kb, &kl) < 0) {
			free(im.e);
			return isb_errf(err, EIO, "guest image: read %s", g->kernel);
		}
		hash_bytes(&im.hash, kb, kl); /* the image goes with its kernel */
		free(kb);
	}
	char dir[PATH_MAX], tmp[PATH_MAX + 32], lock[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/guest", isb_guest_cache_dir());
	snprintf(g->hash, sizeof(g->hash), "%016llx", (unsigned long long)im.hash);
	int r = isb_mkdir_p(dir);
	if (r < 0) {
		free(im.e);
		return isb_errf(err, -r, "guest image cache %s", dir);
	}
	/* one builder at a time: campaigns started together share the image */
	snprintf(lock, sizeof(lock), "%s/.lock", dir);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd >= 0)
		while (flock(lfd, LOCK_EX) < 0 && errno == EINTR)
			;
	snprintf(g->initrd, sizeof(g->initrd), "%s/%s/initrd.cpio", dir, g->hash);
	g->bytes = im.bytes;
	char vmlinux[PATH_MAX], nopvh[PATH_MAX];
	snprintf(vmlinux, sizeof(vmlinux), "%s/%s/vmlinux", dir, g->hash);
	snprintf(nopvh, sizeof(nopvh), "%s/%s/vmlinux.none", dir, g->hash);
	if (access(g->initrd, R_OK) == 0) {
		utimensat(AT_FDCWD, g->initrd, NULL, 0); /* used: the last to be pruned */
	} else {
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", dir, g->hash);
		snprintf(tmp, sizeof(tmp), "%s.tmp", g->initrd);
		r = isb_mkdir_p(sub);
		if (r < 0 || write_cpio(&im, tmp, err) < 0 || rename(tmp, g->initrd) < 0) {
			if (r < 0)
				isb_errf(err, -r, "guest image: mkdir %s", sub);
			else if (!err->msg[0])
				isb_errf(err, errno, "guest image: rename %s", tmp);
			unlink(tmp);
			if (lfd >= 0)
				close(lfd);
			free(im.e);
			return -1;
		}
		g->built = true;
		char kwhy[128];
		if (unpack_kernel(g->kernel, vmlinux, kwhy, sizeof(kwhy)) < 0) {
			FILE *f = fopen(nopvh, "we"); /* booted compressed: say why, once */
			if (f) {
				fputs(kwhy, f);
				fclose(f);
			}
		}
		prune(dir);
	}
	snprintf(g->boot_kernel, sizeof(g->boot_kernel), "%s", g->kernel);
	if (access(vmlinux, R_OK) == 0) {
		snprintf(g->boot_kernel, sizeof(g->boot_kernel), "%s", vmlinux);
		snprintf(g->boot_note, sizeof(g->boot_note), "uncompressed, PVH entry");
	} else {
		char kwhy[128] = "";
		if (isb_read_file(nopvh, kwhy, sizeof(kwhy)) < 0)
			kwhy[0] = 0;
		snprintf(g->boot_note, sizeof(g->boot_note), "compressed bzImage (%s)",
			 isb_trim(kwhy));
	}
	if (lfd >= 0)
		close(lfd);
	free(im.e);
	g->build_s = (double)(isb_now_ns() - t0) / 1e9;
	last = *g;
	snprintf(last_key, sizeof(last_key), "%s", key);
	return 0;
}
