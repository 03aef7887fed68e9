/*
 * The vm backend's guest image (backends/guest.c): a kernel and an initramfs
 * isobench builds itself, cached by content hash. What the vm backend and
 * `isobench probe` use; the image's own parts are in backends/guestimg.h.
 */
#ifndef ISB_GUEST_H
#define ISB_GUEST_H

#include "common/isb.h"

#include <stdbool.h>
#include <stdint.h>

struct isb_guest {
	char kernel[512];      /* vmlinuz */
	char boot_kernel[640]; /* what QEMU boots: the cached vmlinux, or kernel */
	char boot_note[160];
	char kver[128];
	char moddir[512];
	char initrd[600]; /* <cache>/guest/<hash>/initrd.cpio */
	char hash[17];
	bool built; /* built by this call (not found in the cache) */
	bool has_fio;
	bool has_ct; /* isobench-guestct is in the image (the vm backend's container = own) */
	uint64_t bytes;
	double build_s;
	char unusable_virtio[256];   /* why virtio devices cannot run, or "" */
	char unusable_emulated[256]; /* why emulated devices cannot run, or "" */
};

/* <cache>: $ISOBENCH_CACHE or /var/cache/isobench. */
const char *isb_guest_cache_dir(void);
/* The kernel to boot: want (a path), the host's own, or the newest unpacked one. */
int isb_guest_kernel_find(const char *want, struct isb_guest *g, struct isb_err *err);
/* Finds or builds the image for this agent binary. */
int isb_guest_build(const char *agent, const char *kernel, struct isb_guest *g,
		    struct isb_err *err);

/* The agent a guest runs: isobench-agent beside isobench (libc only) when the harness's agent
 * is isobench itself, else that agent; *sub says whether it needs "agent" first. */
void isb_guest_agent(const char *agent_path, bool agent_is_isobench, char *out, size_t size,
		     bool *sub);

#endif
