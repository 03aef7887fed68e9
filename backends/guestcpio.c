/*
 * The guest image's content: the list of what goes into the initramfs (host
 * files, the shared libraries a binary needs, directories, nodes, generated
 * files), its content hash, and the newc cpio archive written from it
 * (uncompressed: TCG unpacks it faster than it decompresses).
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/guestimg.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bumped when the layout changes, so that every cached image is rebuilt. */
#define GUEST_FORMAT "isobench-guest-5"

void isb_guest_image_release(struct isb_guest_image *im)
{
	free(im->e);
	im->e = NULL;
	im->n = im->cap = 0;
}

void isb_guest_hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t x = *h;
	for (size_t i = 0; i < n; i++) {
		x ^= b[i];
		x *= 0x100000001b3ull;
	}
	*h = x;
}

struct isb_guest_entry *isb_guest_image_add(struct isb_guest_image *im, const char *dst,
					    unsigned mode)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->e[i].dst, dst))
			return NULL; /* already there */
	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;
		struct isb_guest_entry *e = realloc(im->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		im->e = e;
		im->cap = cap;
	}
	struct isb_guest_entry *e = &im->e[im->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->dst, sizeof(e->dst), "%s", dst);
	e->mode = mode;
	return e;
}

static void add_dirs(struct isb_guest_image *im, const char *dst)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dst);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = 0;
		isb_guest_image_add(im, buf, S_IFDIR | 0755);
		*p = '/';
	}
}

/* Follows symlinks: the guest gets the file's content. */
int isb_guest_image_add_file(struct isb_guest_image *im, const char *dst, const char *src,
			     struct isb_err *err)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return isb_errf(err, errno, "guest image: %s", src);
	while (*dst == '/')
		dst++;
	add_dirs(im, dst);
	struct isb_guest_entry *e =
	    isb_guest_image_add(im, dst, S_IFREG | (st.st_mode & 0111 ? 0755 : 0644));
	if (e)
		snprintf(e->src, sizeof(e->src), "%s", src);
	return 0;
}

int isb_guest_image_add_binary(struct isb_guest_image *im, const char *dst, const char *src,
			       struct isb_err *err)
{
	if (isb_guest_image_add_file(im, dst, src, err) < 0)
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
		if (isb_guest_image_add_file(im, path, path, err) < 0)
			return -1;
	}
	if (strstr(out, "not found"))
		return isb_errf(err, 0, "guest image: %s needs a library that is not found", src);
	return 0;
}

int isb_guest_read_all(const char *path, char **buf, size_t *len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
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
	if (!*buf || o != *len) {
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct isb_guest_entry *)a)->dst,
		      ((const struct isb_guest_entry *)b)->dst);
}

/* In a fixed order: the names, modes and contents decide the hash, never the order added. */
int isb_guest_image_hash(struct isb_guest_image *im, struct isb_err *err)
{
	qsort(im->e, im->n, sizeof(*im->e), cmp_entry);
	uint64_t h = 0xcbf29ce484222325ull;
	isb_guest_hash_bytes(&h, GUEST_FORMAT, sizeof(GUEST_FORMAT));
	im->bytes = 0;
	for (size_t i = 0; i < im->n; i++) {
		struct isb_guest_entry *e = &im->e[i];
		isb_guest_hash_bytes(&h, e->dst, strlen(e->dst) + 1);
		isb_guest_hash_bytes(&h, &e->mode, sizeof(e->mode));
		if (e->data) {
			isb_guest_hash_bytes(&h, e->data, e->len);
			im->bytes += e->len;
		} else if (e->src[0]) {
			cleanup_free char *buf = NULL;
			size_t len;
			if (isb_guest_read_all(e->src, &buf, &len) < 0)
				return isb_errf(err, EIO, "guest image: read %s", e->src);
			isb_guest_hash_bytes(&h, buf, len);
			im->bytes += len;
		}
	}
	im->hash = h;
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

/* One entry (header and content) as the ino-th member. */
static int cpio_entry(FILE *f, const struct isb_guest_entry *e, unsigned ino)
{
	cleanup_free char *buf = NULL;
	size_t len = e->len;
	const void *data = e->data;
	if (!e->data) {
		len = 0;
		if (e->src[0] && isb_guest_read_all(e->src, &buf, &len) < 0)
			return -1;
		data = buf;
	}
	if (cpio_header(f, e->dst, e->mode, len, ino, e->rdev_major, e->rdev_minor) < 0)
		return -1;
	return len && cpio_data(f, data, len) < 0 ? -1 : 0;
}

int isb_guest_cpio_write(const struct isb_guest_image *im, const char *path, struct isb_err *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return isb_errf(err, errno, "guest image: %s", path);
	int bad = 0;
	for (size_t i = 0; i < im->n && !bad; i++)
		bad = cpio_entry(f, &im->e[i], (unsigned)i + 1) < 0;
	if (!bad)
		bad = cpio_header(f, "TRAILER!!!", 0, 0, 0, 0, 0) < 0;
	if (fclose(f) != 0 || bad) {
		unlink(path);
		return isb_errf(err, EIO, "guest image: write %s", path);
	}
	return 0;
}
