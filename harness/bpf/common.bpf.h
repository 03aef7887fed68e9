/* Helpers shared by the BPF programs: the tenant map (reused across objects) and log2. */
#ifndef ISB_COMMON_BPF_H
#define ISB_COMMON_BPF_H

#include "attrib.h"

/* Which tenant a thread belongs to: 2 bits per thread id (0 none, 1 victim, 2 aggressor),
 * 32 ids per word, in an array sized by the loader from pid_max. An array lookup is inlined
 * by the verifier: the filter costs almost nothing on the many events of other tasks. The
 * loader clears and seeds it through mmap; the runqlat object owns it, the others reuse it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tenants SEC(".maps");

static __always_inline int tenant_of(__u32 tid)
{
	__u32 k = tid >> 5;
	__u64 *w = bpf_map_lookup_elem(&tenants, &k);
	if (!w)
		return -1;
	return (int)((*w >> ((tid & 31) * 2)) & 3) - 1;
}

static __always_inline void tenant_set(__u32 tid, int t)
{
	__u32 k = tid >> 5;
	__u64 *w = bpf_map_lookup_elem(&tenants, &k);
	if (w && t >= 0 && t < ISB_BPF_TENANTS)
		__sync_fetch_and_or(w, (__u64)(t + 1) << ((tid & 31) * 2));
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0;
#pragma unroll
	for (int i = 5; i >= 0; i--) {
		__u32 s = 1u << i;
		if (v >= (1ull << s)) {
			v >>= s;
			r += s;
		}
	}
	return r < ISB_BPF_SLOTS ? r : ISB_BPF_SLOTS - 1;
}

#endif
