/*
 * Cgroups for backends and the harness: the campaign's safety group (cgroup.c) and a
 * tenant's own group with its limits, v1 or v2 (cglimits.c).
 */
#ifndef ISB_BACKENDS_CGROUP_H
#define ISB_BACKENDS_CGROUP_H

#include "backends/backend.h"

/* The campaign's safety cgroup: memory and pids ceiling for all tenants. */
enum isb_cgroup_mode { ISB_CG_NONE, ISB_CG_V1, ISB_CG_V2, ISB_CG_HYBRID };
enum isb_cgroup_mode isb_cgroup_mode(void);
const char *isb_cgroup_mode_name(enum isb_cgroup_mode m);
/* Creates the campaign cgroup(s); fills up to 3 cgroup.procs paths. */
int isb_cgroup_campaign_create(const char *campaign_id, uint64_t mem_max, uint64_t pids_max,
			       char procs[][512], size_t *nprocs, struct isb_err *err);
/* The campaign's group for a backend whose tenants have no group of their own (native,
 * wrapper): created, with c->cgroup_note saying its ceilings, or "unavailable: why" and
 * *nprocs = 0 (not fatal: an unprivileged user still gets deadlines and bounded
 * stressors). */
void isb_cgroup_campaign_safety(struct isb_config *c, const char *who, char procs[][512],
				size_t *nprocs);
/* For a tenant without a group of its own: the campaign group's cgroup.procs paths into
 * out (from index 0; returns how many), after re-creating the group where a runtime that
 * tidies up empty groups took the leaf away. */
int isb_cgroup_campaign_join(const struct isb_config *c, char procs[][512], size_t *nprocs,
			     const char *out[], struct isb_err *err);
/* Removes every cgroup of this campaign id (or every isobench cgroup if id is NULL
 * and owner_alive says no). Returns how many it removed. */
int isb_cgroup_campaign_remove(const char *campaign_id);
/* OOM kills so far in the campaign's cgroup, or -1 where it has none. */
long isb_cgroup_oom_kills(const char *campaign_id);
/* The campaign group's memory limit (v2 memory.max, v1 memory.limit_in_bytes): the node
 * budget around every tenant during a scenario's trials, the ceiling between them. */
int isb_cgroup_campaign_set_memory(const char *campaign_id, uint64_t bytes, struct isb_err *err);
/* Lists campaign ids that have cgroups. */
int isb_cgroup_list_campaigns(char ids[][40], size_t max);

/* Enables every controller a v2 group may pass to its children. */
int isb_cg2_enable_controllers(const char *dir, struct isb_err *err);

/* ---- a tenant's own cgroup: one interface, a v1 and a v2 implementation ---- */

struct isb_limits {
	unsigned cpu_weight; /* 1..10000 (v2 units, 100 = default); 0 unset */
	double cpu_max;	     /* CPUs of quota per period; 0 unset */
	char cpuset[64];     /* "0-3"; "" unset */
	uint64_t mem_max;    /* bytes; 0 unset */
	uint64_t swap_max;   /* bytes of swap beyond mem_max */
	bool swap_set;
	unsigned io_weight; /* 1..10000 (v2 units); 0 unset; needs bfq on the device */
	uint64_t io_rbps, io_wbps, io_riops, io_wiops; /* 0 unset */
	unsigned io_major, io_minor;		       /* the disk io limits apply to */
	uint64_t pids_max;			       /* 0 unset */
	uint64_t mem_low; /* bytes protected from reclaim (v2 memory.low); 0 unset */
};

struct isb_cg_tenant {
	size_t ndirs;
	char dirs[ISB_CG_MAX_BASES][512]; /* created groups, one per controller on v1 */
	char procs[ISB_CG_MAX_BASES + 1][512];
};

/* Creates root/.../isobench-<campaign>/<name> with the limits, for the given mode
 * (root is /sys/fs/cgroup, or a directory tree in tests). Appends to note what was
 * applied and what the host could not. */
int isb_cg_tenant_create(enum isb_cgroup_mode mode, const char *root, const char *campaign_id,
			 const char *name, const struct isb_limits *l, struct isb_cg_tenant *t,
			 char *note, size_t note_size, struct isb_err *err);
void isb_cg_tenant_remove(struct isb_cg_tenant *t);
/* Tells the harness where the tenant's own cgroup is (for its statistics). */
void isb_tenant_set_cgroups(struct isb_tenant *t, const struct isb_cg_tenant *cg);
/* OOM kills counted in a memory group directory (v1 or v2), or -1. */
long isb_cg_dir_oom_kills(const char *dir);
/* The whole disk under a directory (for io limits): 0 with major/minor, or -1 and why in
 * err. */
int isb_cg_disk_of(const char *path, unsigned *major, unsigned *minor, struct isb_err *err);
/* Why io.weight cannot act on disk major:minor (no bfq in the kernel, or the device runs
 * another scheduler; ISOBENCH_FAULT=no-bfq pretends the former), in err->msg, or NULL. */
const char *isb_cg_bfq_unavailable(unsigned major, unsigned minor, struct isb_err *err);

#endif
