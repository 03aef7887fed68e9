// SPDX-License-Identifier: GPL-2.0
/*
 * Softirq time per CPU and vector (NET_TX, NET_RX, BLOCK, ...): the loader
 * sums it over the CPUs the victim ran on during the trial.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "attrib.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} entered SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISB_BPF_SOFTIRQS);
	__type(key, __u32);
	__type(value, __u64);
} softirq_ns SEC(".maps");

static __always_inline void entry(void)
{
	__u32 z = 0;
	__u64 *ts = bpf_map_lookup_elem(&entered, &z);
	if (ts)
		*ts = bpf_ktime_get_ns();
}

static __always_inline void exit_(unsigned int vec)
{
	__u32 z = 0, v = vec;
	__u64 *ts = bpf_map_lookup_elem(&entered, &z);
	if (!ts || !*ts || v >= ISB_BPF_SOFTIRQS)
		return;
	__u64 delta = bpf_ktime_get_ns() - *ts, *sum = bpf_map_lookup_elem(&softirq_ns, &v);
	*ts = 0;
	if (sum)
		*sum += delta; /* per CPU: no other writer */
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(btf_entry, unsigned int vec)
{
	entry();
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(btf_exit, unsigned int vec)
{
	exit_(vec);
	return 0;
}

SEC("tracepoint/irq/softirq_entry")
int tp_entry(struct trace_event_raw_softirq *ctx)
{
	entry();
	return 0;
}

SEC("tracepoint/irq/softirq_exit")
int tp_exit(struct trace_event_raw_softirq *ctx)
{
	exit_(ctx->vec);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
