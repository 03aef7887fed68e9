/* Helpers shared by the BPF programs: the tenant map (reused across objects) and log2. */
#ifndef ISB_COMMON_BPF_H
#define ISB_COMMON_BPF_H

#include "attrib.h"

/* tid -> tenant; the runqlat object owns it, the others reuse its fd */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ISB_BPF_MAX_TIDS);
	__type(key, __u32);
	__type(value, __u32);
} tenants SEC(".maps");

static __always_inline int tenant_of(__u32 tid)
{
	__u32 *t = bpf_map_lookup_elem(&tenants, &tid);
	return t ? (int)*t : -1;
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
