// SPDX-License-Identifier: GPL-2.0
/*
 * Run-queue latency of the victim's threads (wakeup, or involuntary
 * switch-out, to on-CPU) as a log2 histogram and a total, and who took the
 * CPU from them: the aggressor, another task or a kernel thread. Also
 * follows forks of tracked threads, so a tenant's new threads and children
 * are tracked as they are born. tp_btf and classic tracepoint variants; the
 * loader loads one family.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

#define PF_KTHREAD	0x00200000
#define TASK_REPORT_MAX 0x100 /* the classic tracepoint's prev_state of a preempted task */

const volatile bool follow_forks = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ISB_BPF_MAX_TIDS);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISB_BPF_TENANTS);
	__type(key, __u32);
	__type(value, struct isb_rq_stats);
} rqstats SEC(".maps");

static __always_inline void enqueued(__u32 tid)
{
	if (tenant_of(tid) != ISB_BPF_VICTIM)
		return;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
}

/* prev leaves the CPU (still runnable when preempted), next takes it. The tenants of both are
 * looked up once; most switches involve no tenant and end after two lookups. */
static __always_inline void switched(bool preempted, __u32 prev, int prev_t, bool prev_kthread,
				     __u32 next, int next_t, bool next_kthread)
{
	if (prev_t != ISB_BPF_VICTIM && next_t != ISB_BPF_VICTIM)
		return;
	__u32 v = ISB_BPF_VICTIM;
	struct isb_rq_stats *s = bpf_map_lookup_elem(&rqstats, &v);
	if (!s)
		return;
	if (preempted && prev_t == ISB_BPF_VICTIM) {
		__u64 ts = bpf_ktime_get_ns();
		bpf_map_update_elem(&start, &prev, &ts, BPF_ANY);
		if (next) {
			int w = next_t == ISB_BPF_AGGRESSOR ? ISB_WHO_AGGRESSOR
				: next_t == ISB_BPF_VICTIM  ? ISB_WHO_SELF
				: next_kthread		    ? ISB_WHO_KERNEL
							    : ISB_WHO_OTHER;
			__sync_fetch_and_add(&s->preempted_by[w], 1);
		}
	}
	if (next_t != ISB_BPF_VICTIM)
		return;
	__u32 cpu = bpf_get_smp_processor_id();
	if (cpu < 64)
		__sync_fetch_and_or(&s->cpumask, 1ull << cpu);
	__u64 *ts = bpf_map_lookup_elem(&start, &next);
	if (!ts)
		return;
	__u64 delta = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(&start, &next);
	__u32 slot = log2_slot(delta);
	if (slot < ISB_BPF_SLOTS)
		__sync_fetch_and_add(&s->hist[slot], 1);
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->total_ns, delta);
	if (prev) {
		int w = prev_t == ISB_BPF_AGGRESSOR ? ISB_WHO_AGGRESSOR
			: prev_t == ISB_BPF_VICTIM  ? ISB_WHO_SELF
			: prev_kthread		    ? ISB_WHO_KERNEL
						    : ISB_WHO_OTHER;
		__sync_fetch_and_add(&s->waited_behind[w], 1);
	}
}

static __always_inline void forked(__u32 parent, __u32 child)
{
	if (follow_forks)
		tenant_set(child, tenant_of(parent));
}

static __always_inline bool task_kthread(struct task_struct *t)
{
	return (BPF_CORE_READ(t, flags) & PF_KTHREAD) != 0;
}

/* Kernels before 5.14 call it state. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* ---- tp_btf ---- */

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	enqueued(p->pid); /* BTF-typed: read directly, no helper call */
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(btf_wakeup_new, struct task_struct *p)
{
	enqueued(p->pid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 pp = prev->pid, np = next->pid;
	int pt = tenant_of(pp), nt = tenant_of(np);
	if (pt != ISB_BPF_VICTIM && nt != ISB_BPF_VICTIM)
		return 0;
	bool runnable;
	if (bpf_core_field_exists(prev->__state))
		runnable = prev->__state == 0;
	else
		runnable = BPF_CORE_READ((struct task_struct___old *)prev, state) == 0;
	switched(preempt || runnable, pp, pt, (prev->flags & PF_KTHREAD) != 0, np, nt,
		 (next->flags & PF_KTHREAD) != 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	forked(parent->pid, child->pid);
	return 0;
}

/* ---- classic tracepoints (no BTF-typed arguments) ---- */

/* The classic sched_switch names the next task only by comm: kernel threads by their names. */
static __always_inline bool comm_kthread(const char *c)
{
	char b[12];
	bpf_probe_read_kernel(b, sizeof(b), c);
	return (b[0] == 'k' && (b[1] == 'w' || b[1] == 's' || b[1] == 'c' || b[1] == 't')) ||
	       (b[0] == 'm' && b[1] == 'i' && b[2] == 'g') ||
	       (b[0] == 'r' && b[1] == 'c' && b[2] == 'u') ||
	       (b[0] == 'i' && b[1] == 'r' && b[2] == 'q' && b[3] == '/') ||
	       (b[0] == 'c' && b[1] == 'p' && b[2] == 'u' && b[3] == 'h') ||
	       (b[0] == 'w' && b[1] == 'a' && b[2] == 't' && b[3] == 'c');
}

SEC("tracepoint/sched/sched_wakeup")
int tp_wakeup(struct trace_event_raw_sched_wakeup_template *ctx)
{
	enqueued(ctx->pid);
	return 0;
}

SEC("tracepoint/sched/sched_wakeup_new")
int tp_wakeup_new(struct trace_event_raw_sched_wakeup_template *ctx)
{
	enqueued(ctx->pid);
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct trace_event_raw_sched_switch *ctx)
{
	__u32 pp = ctx->prev_pid, np = ctx->next_pid;
	int pt = tenant_of(pp), nt = tenant_of(np);
	if (pt != ISB_BPF_VICTIM && nt != ISB_BPF_VICTIM)
		return 0;
	long st = ctx->prev_state;
	struct task_struct *cur = (void *)bpf_get_current_task(); /* prev, in this context */
	switched(st == 0 || (st & TASK_REPORT_MAX), pp, pt, task_kthread(cur), np, nt,
		 comm_kthread(ctx->next_comm));
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	forked(ctx->parent_pid, ctx->child_pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
