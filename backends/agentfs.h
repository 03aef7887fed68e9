/*
 * A root file system of the agent and what it needs, written into a directory: what the
 * docker backend imports as its image (dockerd.c) and the flatpak backend exports as its
 * runtime (flatpak.c). The file list is the guest image's (backends/guestcpio.c).
 */
#ifndef ISB_BACKENDS_AGENTFS_H
#define ISB_BACKENDS_AGENTFS_H

#include "backends/backend.h"

#include <stdbool.h>
#include <stdint.h>

/* The agent at isobench/agent, fio when the host has it at /usr/bin/fio, the shared
 * libraries both load and the directories a root needs, written into dir (NULL: nothing
 * written). With under_usr every path goes below usr/ and the top-level mount points are
 * left out: a Flatpak runtime, which Flatpak mounts at /usr with /lib, /lib64 and /bin
 * linked into it. hash (may be NULL): a hash of every name, mode and content, a cache's
 * key. 0, or negative with err naming the file. */
int isb_agent_rootfs(const struct isb_config *c, const char *dir, bool under_usr, uint64_t *hash,
		     struct isb_err *err);

#endif
