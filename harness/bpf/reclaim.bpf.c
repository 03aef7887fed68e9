// SPDX-License-Identifier: GPL-2.0
/*
 * Direct-reclaim and compaction stalls of each tenant's threads: the time
 * between the begin and end tracepoints, summed per tenant. Reclaim at a
 * cgroup's limit (the node budget's, a tenant's memory.max) has tracepoints
 * of its own (memcg_reclaim) and counts as reclaim too.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ISB_BPF_MAX_TIDS);
	__type(key, __u32);
	__type(value, __u64);
} reclaim_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ISB_BPF_MAX_TIDS);
	__type(key, __u32);
	__type(value, __u64);
} compact_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISB_BPF_TENANTS);
	__type(key, __u32);
	__type(value, struct isb_reclaim_stats);
} reclaimstats SEC(".maps");

static __always_inline void begin(void *map)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (tenant_of(tid) < 0)
		return;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(map, &tid, &ts, BPF_ANY);
}

static __always_inline void end(void *map, bool compaction)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *ts = bpf_map_lookup_elem(map, &tid);
	if (!ts)
		return;
	__u64 delta = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(map, &tid);
	int t = tenant_of(tid);
	if (t < 0 || t >= ISB_BPF_TENANTS)
		return;
	__u32 k = (__u32)t;
	struct isb_reclaim_stats *s = bpf_map_lookup_elem(&reclaimstats, &k);
	if (!s)
		return;
	if (compaction) {
		__sync_fetch_and_add(&s->compact_ns, delta);
		__sync_fetch_and_add(&s->compact_count, 1);
	} else {
		__sync_fetch_and_add(&s->reclaim_ns, delta);
		__sync_fetch_and_add(&s->reclaim_count, 1);
	}
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(btf_reclaim_begin)
{
	begin(&reclaim_start);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(btf_reclaim_end)
{
	end(&reclaim_start, false);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(btf_memcg_reclaim_begin)
{
	begin(&reclaim_start);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(btf_memcg_reclaim_end)
{
	end(&reclaim_start, false);
	return 0;
}

SEC("tp_btf/mm_compaction_begin")
int BPF_PROG(btf_compact_begin)
{
	begin(&compact_start);
	return 0;
}

SEC("tp_btf/mm_compaction_end")
int BPF_PROG(btf_compact_end)
{
	end(&compact_start, true);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int tp_reclaim_begin(void *ctx)
{
	begin(&reclaim_start);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int tp_reclaim_end(void *ctx)
{
	end(&reclaim_start, false);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int tp_memcg_reclaim_begin(void *ctx)
{
	begin(&reclaim_start);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int tp_memcg_reclaim_end(void *ctx)
{
	end(&reclaim_start, false);
	return 0;
}

SEC("tracepoint/compaction/mm_compaction_begin")
int tp_compact_begin(void *ctx)
{
	begin(&compact_start);
	return 0;
}

SEC("tracepoint/compaction/mm_compaction_end")
int tp_compact_end(void *ctx)
{
	end(&compact_start, true);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
