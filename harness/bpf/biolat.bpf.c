// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O latency (issue -> complete) of each tenant's requests as a
 * log2 histogram and a total, and the queue depth its requests met: the
 * requests in flight on the same queue at each issue. A request belongs to
 * the tenant whose thread inserted it (mq schedulers dispatch from other
 * contexts), else to the one that issued it.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

struct isb_req {
	__u64 ts;    /* issue time; 0 until issued */
	__u64 queue; /* what in-flight counts are kept per */
	__s32 owner;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct isb_req);
} reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u64);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISB_BPF_TENANTS);
	__type(key, __u32);
	__type(value, struct isb_bio_stats);
} biostats SEC(".maps");

static __always_inline int current_tenant(void)
{
	return tenant_of((__u32)bpf_get_current_pid_tgid());
}

static __always_inline void inserted(__u64 key, __u64 queue)
{
	int t = current_tenant();
	if (t < 0)
		return; /* not a tenant's: issue may still claim it */
	struct isb_req r = {.ts = 0, .queue = queue, .owner = t};
	bpf_map_update_elem(&reqs, &key, &r, BPF_ANY);
}

static __always_inline void issued(__u64 key, __u64 queue)
{
	struct isb_req *r = bpf_map_lookup_elem(&reqs, &key), n = {.queue = queue, .owner = -1};
	if (!r) {
		n.owner = current_tenant();
		bpf_map_update_elem(&reqs, &key, &n, BPF_ANY);
		r = bpf_map_lookup_elem(&reqs, &key);
		if (!r)
			return;
	}
	bool again = r->ts != 0; /* issued again without a requeue seen: counted already */
	r->ts = bpf_ktime_get_ns();
	r->queue = queue;
	if (again)
		return;
	__u64 one = 1, *q = bpf_map_lookup_elem(&inflight, &queue), depth = 1;
	if (q)
		depth = __sync_fetch_and_add(q, 1) + 1;
	else
		bpf_map_update_elem(&inflight, &queue, &one, BPF_NOEXIST);
	if (r->owner < 0 || r->owner >= ISB_BPF_TENANTS)
		return;
	__u32 o = (__u32)r->owner;
	struct isb_bio_stats *s = bpf_map_lookup_elem(&biostats, &o);
	if (!s)
		return;
	__sync_fetch_and_add(&s->qd_sum, depth);
	if (depth > s->qd_max)
		s->qd_max = depth; /* a racy maximum is still a maximum seen */
}

/* dir: 0 read, 1 write, else neither (flush, discard, …) */
static __always_inline void completed(__u64 key, __u64 bytes, int dir)
{
	struct isb_req *r = bpf_map_lookup_elem(&reqs, &key);
	if (!r)
		return;
	if (!r->ts) {
		bpf_map_delete_elem(&reqs, &key);
		return;
	}
	__u64 delta = bpf_ktime_get_ns() - r->ts, queue = r->queue;
	int owner = r->owner;
	bpf_map_delete_elem(&reqs, &key);
	__u64 *q = bpf_map_lookup_elem(&inflight, &queue);
	if (q && *q > 0)
		__sync_fetch_and_add(q, -1);
	if (owner < 0 || owner >= ISB_BPF_TENANTS)
		return;
	__u32 o = (__u32)owner;
	struct isb_bio_stats *s = bpf_map_lookup_elem(&biostats, &o);
	if (!s)
		return;
	__u32 slot = log2_slot(delta);
	if (slot < ISB_BPF_SLOTS)
		__sync_fetch_and_add(&s->hist[slot], 1);
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->total_ns, delta);
	__sync_fetch_and_add(&s->bytes, bytes);
	if (dir == 0 || dir == 1) {
		__sync_fetch_and_add(&s->rw_count[dir], 1);
		__sync_fetch_and_add(&s->rw_bytes[dir], bytes);
	}
}

/* REQ_OP_READ 0, REQ_OP_WRITE 1 in the op bits of cmd_flags (Linux 4.10 on) */
static __always_inline int rq_dir(struct request *rq)
{
	unsigned int op = BPF_CORE_READ(rq, cmd_flags) & 0xff;
	return op <= 1 ? (int)op : -1;
}

/* blk_fill_rwbs: an optional 'F' (preflush), then 'R', 'W', 'D', 'F', 'N' for the op. The
 * two characters are read by the caller at fixed offsets of the context: the verifier refuses
 * a load through a moved context pointer. */
static __always_inline int rwbs_dir(char c0, char c1)
{
	char c = c0 == 'F' ? c1 : c0;
	return c == 'R' ? 0 : c == 'W' ? 1 : -1;
}

/* Back to the queue (the device was busy): no longer in flight; issued again later. */
static __always_inline void requeued(__u64 key)
{
	struct isb_req *r = bpf_map_lookup_elem(&reqs, &key);
	if (!r || !r->ts)
		return;
	__u64 queue = r->queue, *q = bpf_map_lookup_elem(&inflight, &queue);
	r->ts = 0;
	if (q && *q > 0)
		__sync_fetch_and_add(q, -1);
}

/* ---- tp_btf: the request itself is the key ---- */

SEC("tp_btf/block_rq_insert")
int BPF_PROG(btf_insert, struct request *rq)
{
	inserted((__u64)rq, (__u64)BPF_CORE_READ(rq, q));
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(btf_issue, struct request *rq)
{
	issued((__u64)rq, (__u64)BPF_CORE_READ(rq, q));
	return 0;
}

SEC("tp_btf/block_rq_requeue")
int BPF_PROG(btf_requeue, struct request *rq)
{
	requeued((__u64)rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(btf_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	completed((__u64)rq, nr_bytes, rq_dir(rq));
	return 0;
}

/* ---- classic: device and sector are the key ---- */

static __always_inline __u64 devkey(__u32 dev, __u64 sector)
{
	return ((__u64)dev << 44) ^ sector;
}

SEC("tracepoint/block/block_rq_insert")
int tp_insert(struct trace_event_raw_block_rq *ctx)
{
	inserted(devkey(ctx->dev, ctx->sector), ctx->dev);
	return 0;
}

SEC("tracepoint/block/block_rq_issue")
int tp_issue(struct trace_event_raw_block_rq *ctx)
{
	issued(devkey(ctx->dev, ctx->sector), ctx->dev);
	return 0;
}

SEC("tracepoint/block/block_rq_requeue")
int tp_requeue(struct trace_event_raw_block_rq_requeue *ctx)
{
	requeued(devkey(ctx->dev, ctx->sector));
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int tp_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	completed(devkey(ctx->dev, ctx->sector), (__u64)ctx->nr_sector * 512,
		  rwbs_dir(ctx->rwbs[0], ctx->rwbs[1]));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
