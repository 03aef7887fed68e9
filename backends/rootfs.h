/*
 * The root file system of a tenant with its own mount namespace (rootfs.c).
 */
#ifndef ISB_BACKENDS_ROOTFS_H
#define ISB_BACKENDS_ROOTFS_H

#include "common/isb.h"

#include <stdbool.h>
#include <stddef.h>

struct isb_rootfs {
	const char *dir;     /* where to build it (an empty directory) */
	const char *agent;   /* the agent binary: its directory is bound read-only */
	const char *scratch; /* bound read-write at the same path */
	bool pid_ns, user_ns, cgroup_ns;
	const char *host_cgroup; /* /proc/self/cgroup as it was before the cgroup ns */
};
/* In the tenant, after unshare: builds the root and pivots into it. 0, or -errno with err
 * naming what failed (err->errnum: the errno). */
int isb_rootfs_enter(const struct isb_rootfs *r, struct isb_err *err);

#endif
