// SPDX-License-Identifier: GPL-2.0
/*
 * The LSM sandbox's policy as BPF-LSM programs (backends/lsm.h), for the tasks of the
 * cgroups in `scoped` (the tenants' cgroup2 ids): files opened only below the prefixes the
 * loader writes (for writing only where it allows), signals and ptrace only within the
 * tenant's own cgroup, no mounts, no kernel file reads (modules, firmware). Each decision is
 * counted in `decisions`.
 *
 * Untested beyond loading: the build hosts' kernel refuses lsm programs (EPERM at load).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lsm_policy.h"

#define EPERM	    1
#define FMODE_WRITE 0x2

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISB_LSM_BPF_PREFIXES);
	__type(key, __u32);
	__type(value, struct isb_lsm_prefix);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
} scoped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISB_LSM_HOOK__COUNT * 2);
	__type(key, __u32);
	__type(value, __u64);
} decisions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[ISB_LSM_BPF_DPATH]);
} pathbuf SEC(".maps");

/* the build had no kernel BTF (vmlinux-min.h): the maps only, the loader says so */
#ifndef __VMLINUX_MIN_H__
static __always_inline bool in_scope(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	return bpf_map_lookup_elem(&scoped, &id) != NULL;
}

static __always_inline int decide(int hook, bool deny)
{
	__u32 k = (__u32)(hook * 2 + (deny ? 1 : 0));
	__u64 *n = bpf_map_lookup_elem(&decisions, &k);
	if (n)
		*n += 1;
	return deny ? -EPERM : 0;
}

static __always_inline bool has_prefix(const char *path, const struct isb_lsm_prefix *p)
{
	for (int i = 0; i < ISB_LSM_BPF_PATH; i++) {
		if (i >= p->len)
			return true;
		if (path[i] != p->path[i])
			return false;
	}
	return true;
}

SEC("lsm.s/file_open")
int BPF_PROG(isb_file_open, struct file *file)
{
	__u32 z = 0;
	if (!in_scope())
		return 0;
	char *buf = bpf_map_lookup_elem(&pathbuf, &z);
	if (!buf || bpf_d_path((struct path *)&file->f_path, buf, ISB_LSM_BPF_DPATH) < 0)
		return decide(ISB_LSM_HOOK_FILE_OPEN, true);
	bool write = BPF_CORE_READ(file, f_mode) & FMODE_WRITE;
	for (__u32 i = 0; i < ISB_LSM_BPF_PREFIXES; i++) {
		struct isb_lsm_prefix *p = bpf_map_lookup_elem(&prefixes, &i);
		if (!p || !p->len)
			break;
		if (has_prefix(buf, p) && (!write || p->write))
			return decide(ISB_LSM_HOOK_FILE_OPEN, false);
	}
	return decide(ISB_LSM_HOOK_FILE_OPEN, true);
}

/* the target's cgroup2 id: another tenant's (or the host's) is out of bounds */
static __always_inline bool other_cgroup(struct task_struct *t)
{
	__u64 id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	return id != bpf_get_current_cgroup_id();
}

SEC("lsm/task_kill")
int BPF_PROG(isb_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred)
{
	return in_scope() ? decide(ISB_LSM_HOOK_TASK_KILL, other_cgroup(p)) : 0;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(isb_ptrace, struct task_struct *child, unsigned int mode)
{
	return in_scope() ? decide(ISB_LSM_HOOK_PTRACE, other_cgroup(child)) : 0;
}

SEC("lsm/sb_mount")
int BPF_PROG(isb_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data)
{
	return in_scope() ? decide(ISB_LSM_HOOK_SB_MOUNT, true) : 0;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(isb_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	return in_scope() ? decide(ISB_LSM_HOOK_KERNEL_READ_FILE, true) : 0;
}
#endif
