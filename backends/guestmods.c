/*
 * The kernel modules each device model needs in the guest, resolved without
 * kmod: each .ko's .modinfo section names its dependencies, and
 * modules.builtin says what needs no module. The guest's init loads the list
 * of its device model in order (backends/guest.c).
 */
#include "config.h"
#include "backends/guestimg.h"

#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What each device model needs, in the order to load (dependencies are added before). */
static const char *const mods_common[] = {"crc32c_generic", "ext4"};
static const char *const mods_virtio[] = {"virtio_pci", "virtio_console", "virtio_blk",
					  "virtio_net"};
static const char *const mods_emulated[] = {"ata_piix", "ahci", "sd_mod", "e1000", "e1000e"};
/* Without these a device model cannot run (the rest only some machine types use). */
static const char *const need_virtio[] = {"virtio_pci", "virtio_console", "virtio_blk", "ext4"};
static const char *const need_emulated[] = {"sd_mod", "ext4"};

struct model {
	const char *name;
	const char *const *mods, *const *need;
	size_t nmods, nneed;
};

static const struct model models[] = {
    {.name = "virtio",
     .mods = mods_virtio,
     .nmods = ISB_ARRAY_SIZE(mods_virtio),
     .need = need_virtio,
     .nneed = ISB_ARRAY_SIZE(need_virtio)},
    {.name = "emulated",
     .mods = mods_emulated,
     .nmods = ISB_ARRAY_SIZE(mods_emulated),
     .need = need_emulated,
     .nneed = ISB_ARRAY_SIZE(need_emulated)},
};

struct modset {
	char name[64][32];
	char file[64][PATH_MAX];
	size_t n;
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
	cleanup_dir DIR *d = opendir(dir);
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
	return found;
}

/* "depends=" of the ELF module mapped at m (sz bytes), from its .modinfo section: 0, or
 * -EINVAL when it has none. */
static int modinfo_depends(const unsigned char *m, size_t sz, char *deps, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    !eh->e_shoff || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > sz ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -EINVAL;
	int r = -EINVAL;
	const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size || strs->sh_offset + strs->sh_size > sz ||
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
	return r;
}

static int module_depends(const char *path, char *deps, size_t size)
{
	deps[0] = 0;
	unsigned char *m;
	size_t sz;
	{
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		struct stat st;
		if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr))
			return -EINVAL;
		sz = (size_t)st.st_size;
		m = mmap(NULL, sz, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return -errno;
	}
	int r = modinfo_depends(m, sz, deps, size);
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

/* Resolves the common modules and the model's; the ones it cannot run without that are
 * missing go into unusable. */
static void model_resolve(struct modset *ms, const char *moddir, const struct model *md,
			  char *unusable, size_t unusable_size)
{
	const char *const *lists[] = {mods_common, md->mods};
	size_t lens[] = {ISB_ARRAY_SIZE(mods_common), md->nmods};
	char missing[256] = "";
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lens[l]; i++) {
			if (resolve(ms, moddir, lists[l][i], 0) >= 0)
				continue;
			for (size_t k = 0; k < md->nneed; k++)
				if (!strcmp(md->need[k], lists[l][i]))
					snprintf(missing + strlen(missing),
						 sizeof(missing) - strlen(missing), "%s%s",
						 missing[0] ? ", " : "", lists[l][i]);
		}
	if (missing[0])
		snprintf(unusable, unusable_size,
			 "devices = %s: the kernel in %s has no module %s (nor is it built in)",
			 md->name, moddir, missing);
}

/* The modules of one device model into the image, and the list init loads. */
static int model_add(struct isb_guest_image *im, const char *moddir, const struct model *md,
		     char *list, size_t list_size, char *unusable, size_t unusable_size,
		     struct isb_err *err)
{
	cleanup_free struct modset *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return isb_errf(err, ENOMEM, "guest image");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/modules.builtin", moddir);
	if (isb_read_file(p, ms->builtin, sizeof(ms->builtin)) < 0)
		ms->builtin[0] = 0;
	model_resolve(ms, moddir, md, unusable, unusable_size);
	size_t o = 0;
	list[0] = 0;
	for (size_t i = 0; i < ms->n; i++) {
		char dst[128];
		snprintf(dst, sizeof(dst), "isobench/mod/%s.ko", ms->name[i]);
		if (isb_guest_image_add_file(im, dst, ms->file[i], err) < 0)
			return -1;
		o += (size_t)snprintf(list + o, list_size - o, "%s\n", ms->name[i]);
		if (o >= list_size)
			return isb_errf(err, E2BIG, "guest image: module list");
	}
	return 0;
}

int isb_guest_modules_add(struct isb_guest_image *im, struct isb_guest *g, struct isb_err *err)
{
	/* the image points at the lists until it is written */
	static char lists[ISB_ARRAY_SIZE(models)][2048];
	char *unusable[ISB_ARRAY_SIZE(models)] = {g->unusable_virtio, g->unusable_emulated};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(models); i++)
		if (model_add(im, g->moddir, &models[i], lists[i], sizeof(lists[i]), unusable[i],
			      sizeof(g->unusable_virtio), err) < 0)
			return -1;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(models); i++) {
		char dst[64];
		snprintf(dst, sizeof(dst), "isobench/modules.%s", models[i].name);
		struct isb_guest_entry *e = isb_guest_image_add(im, dst, S_IFREG | 0644);
		if (e)
			e->data = lists[i], e->len = strlen(lists[i]);
	}
	return 0;
}
