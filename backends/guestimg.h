/*
 * Private to the guest image's files (backends/guest*.c): the list of what goes into the
 * initramfs and its newc cpio writer (guestcpio.c), the kernel modules the device models
 * need (guestmods.c), and the kernel unpacked for a faster TCG boot (guestkernel.c).
 * backends/guest.c puts them together and keeps the cache.
 */
#ifndef ISB_GUESTIMG_H
#define ISB_GUESTIMG_H

#include "backends/guest.h"
#include "backends/proc.h"

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* One file, directory, link or node of the image. */
struct isb_guest_entry {
	char dst[256];	    /* path inside the guest, without the leading / */
	char src[PATH_MAX]; /* host file; "" for a directory, a node or generated data */
	const char *data;   /* generated content (outlives the image) */
	size_t len;
	unsigned mode;
	unsigned rdev_major, rdev_minor;
};

struct isb_guest_image {
	struct isb_guest_entry *e;
	size_t n, cap;
	uint64_t hash;
	uint64_t bytes;
};

void isb_guest_image_release(struct isb_guest_image *im);
#define cleanup_image __attribute__((cleanup(isb_guest_image_release)))

static inline void isb_guest_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define cleanup_dir __attribute__((cleanup(isb_guest_closedirp)))

/* A new entry at dst; NULL when dst is already there (or out of memory). */
struct isb_guest_entry *isb_guest_image_add(struct isb_guest_image *im, const char *dst,
					    unsigned mode);
/* A host file at dst (a path in the guest, no leading /), with its directories. */
int isb_guest_image_add_file(struct isb_guest_image *im, const char *dst, const char *src,
			     struct isb_err *err);
/* A binary and the shared libraries the dynamic loader resolves for it, at their paths. */
int isb_guest_image_add_binary(struct isb_guest_image *im, const char *dst, const char *src,
			       struct isb_err *err);
/* Sorts the entries and hashes every name, mode and content (im->hash, im->bytes). */
int isb_guest_image_hash(struct isb_guest_image *im, struct isb_err *err);
void isb_guest_hash_bytes(uint64_t *h, const void *p, size_t n);
/* The image as an uncompressed newc cpio archive at path. */
int isb_guest_cpio_write(const struct isb_guest_image *im, const char *path, struct isb_err *err);
/* A whole file into a new buffer: 0, or -errno. */
int isb_guest_read_all(const char *path, char **buf, size_t *len);

/* The modules of both device models into the image, with the lists init loads
 * (isobench/modules.virtio, isobench/modules.emulated); g->unusable_* say which model lacks
 * a module it cannot run without. */
int isb_guest_modules_add(struct isb_guest_image *im, struct isb_guest *g, struct isb_err *err);

/* The vmlinux inside an XZ-compressed bzImage, written to out, when it has the PVH entry. */
int isb_guest_kernel_unpack(const char *bz, const char *out, struct isb_err *err);

#endif
