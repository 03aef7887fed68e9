/*
 * The guest's kernel: which one to boot, and that kernel unpacked.
 *
 * The kernel is the host's own (/boot/vmlinuz-$(uname -r) with /lib/modules)
 * when present, else the newest one the setup script unpacked from Debian's
 * linux-image package under <cache>/kernel, or the suite's `kernel` key.
 *
 * TCG spends seconds in a bzImage's own decompressor, so the image cache keeps
 * the vmlinux inside it (XZ, through liblzma) when it has the PVH entry note
 * QEMU needs to boot an uncompressed kernel.
 */
#include "config.h"
#include "backends/guestimg.h"

#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

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

static int kernel_given(const char *want, struct isb_guest *g, struct isb_err *err)
{
	if (access(want, R_OK) < 0)
		return isb_errf(err, errno, "kernel %s", want);
	if (vmlinuz_version(want, g->kver, sizeof(g->kver)) < 0 ||
	    moddir_of(want, g->kver, g->moddir, sizeof(g->moddir)) < 0)
		return isb_errf(err, 0,
				"kernel %s: expected DIR/boot/vmlinuz-VERSION with its modules in "
				"DIR/lib/modules/VERSION",
				want);
	snprintf(g->kernel, sizeof(g->kernel), "%s", want);
	return 0;
}

static bool kernel_host(const struct utsname *u, struct isb_guest *g)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/boot/vmlinuz-%s", u->release);
	snprintf(g->moddir, sizeof(g->moddir), "/lib/modules/%s", u->release);
	if (access(path, R_OK) < 0 || access(g->moddir, R_OK) < 0)
		return false;
	snprintf(g->kernel, sizeof(g->kernel), "%s", path);
	snprintf(g->kver, sizeof(g->kver), "%s", u->release);
	return true;
}

/* The newest vmlinuz-* (by modification time) with its modules in boot, if newer than *best. */
static void kernel_newest_in(const char *boot, time_t *best, struct isb_guest *g)
{
	cleanup_dir DIR *bd = opendir(boot);
	for (struct dirent *f; bd && (f = readdir(bd));) {
		char ver[128], md[PATH_MAX], path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", boot, f->d_name);
		if (vmlinuz_version(f->d_name, ver, sizeof(ver)) < 0 || stat(path, &st) < 0 ||
		    moddir_of(path, ver, md, sizeof(md)) < 0 || st.st_mtime < *best)
			continue;
		*best = st.st_mtime;
		snprintf(g->kernel, sizeof(g->kernel), "%s", path);
		snprintf(g->kver, sizeof(g->kver), "%s", ver);
		snprintf(g->moddir, sizeof(g->moddir), "%s", md);
	}
}

int isb_guest_kernel_find(const char *want, struct isb_guest *g, struct isb_err *err)
{
	if (want && *want)
		return kernel_given(want, g, err);
	struct utsname u = {0};
	if (uname(&u) == 0 && kernel_host(&u, g))
		return 0;
	/* <cache>/kernel/<package>/boot/vmlinuz-* */
	char kdir[PATH_MAX];
	snprintf(kdir, sizeof(kdir), "%s/kernel", isb_guest_cache_dir());
	time_t best = 0;
	g->kernel[0] = 0;
	cleanup_dir DIR *d = opendir(kdir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char boot[PATH_MAX];
		snprintf(boot, sizeof(boot), "%s/%s/boot", kdir, e->d_name);
		kernel_newest_in(boot, &best, g);
	}
	if (g->kernel[0])
		return 0;
	return isb_errf(err, 0,
			"no guest kernel: neither /boot/vmlinuz-%s with /lib/modules nor an "
			"unpacked linux-image under %s (./setup.sh fetches one with apt-get "
			"download)",
			u.release, kdir);
}

/* ---- the kernel, uncompressed ---- */

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

/* The XZ stream inside buf into dst (cap bytes); how many bytes it produced, 0 on failure. */
static size_t xz_payload(const unsigned char *at, size_t len, unsigned char *dst, size_t cap)
{
	lzma_stream st = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&st, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return 0;
	st.next_in = at;
	st.avail_in = len;
	st.next_out = dst;
	st.avail_out = cap;
	lzma_ret r = lzma_code(&st, LZMA_FINISH);
	/* the payload is followed by other data: a stream end or a data error after it */
	size_t produced = cap - st.avail_out;
	lzma_end(&st);
	return r == LZMA_STREAM_END || r == LZMA_DATA_ERROR ? produced : 0;
}

static int write_atomic(const char *out, const void *data, size_t len, struct isb_err *err)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	FILE *f = fopen(tmp, "we");
	bool ok = f && fwrite(data, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, out) < 0) {
		unlink(tmp);
		return isb_errf(err, 0, "write %s", out);
	}
	return 0;
}

int isb_guest_kernel_unpack(const char *bz, const char *out, struct isb_err *err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	if (isb_guest_read_all(bz, &buf, &len) < 0)
		return isb_errf(err, 0, "read %s", bz);
	static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
	unsigned char *at = memmem(buf, len, xz, sizeof(xz));
	if (!at)
		return isb_errf(err, 0, "not an XZ-compressed bzImage");
	size_t cap = 256u << 20;
	cleanup_free unsigned char *dst = malloc(cap);
	size_t produced =
	    dst ? xz_payload(at, len - (size_t)(at - (unsigned char *)buf), dst, cap) : 0;
	if (!produced)
		return isb_errf(err, 0, "XZ payload");
	if (!has_pvh_note(dst, produced))
		return isb_errf(err, 0, "no PVH entry note (CONFIG_PVH)");
	return write_atomic(out, dst, produced, err);
}
#else
int isb_guest_kernel_unpack(const char *bz, const char *out, struct isb_err *err)
{
	(void)bz;
	(void)out;
	(void)has_pvh_note;
	return isb_errf(err, 0, "built without liblzma");
}
#endif
