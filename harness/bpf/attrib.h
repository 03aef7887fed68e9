/*
 * Shared between the BPF programs (harness/bpf/NAME.bpf.c) and their loader
 * (harness/bpf/attrib.c): the per-tenant summaries the kernel side sums.
 * Tenants are tracked by thread id (2 bits each in an mmapped array), seeded by the loader
 * from /proc and extended at every fork of a tracked thread.
 */
#ifndef ISB_BPF_ATTRIB_H
#define ISB_BPF_ATTRIB_H

#define ISB_BPF_SLOTS	 32 /* log2 histogram slots of nanoseconds */
#define ISB_BPF_TENANTS	 2  /* 0 victim, 1 aggressor */
#define ISB_BPF_MAX_TIDS 16384
#define ISB_BPF_SOFTIRQS 10 /* NR_SOFTIRQS */

enum isb_bpf_tenant { ISB_BPF_VICTIM = 0, ISB_BPF_AGGRESSOR = 1 };
/* who took the CPU from the victim, or ran while it waited: the aggressor, another task, a
 * kernel thread, or one of the victim's own threads (a VM's I/O thread beside its vCPU) */
enum isb_bpf_who { ISB_WHO_AGGRESSOR, ISB_WHO_OTHER, ISB_WHO_KERNEL, ISB_WHO_SELF, ISB_WHO__COUNT };

struct isb_rq_stats {
	unsigned long long hist[ISB_BPF_SLOTS]; /* run-queue wait, log2(ns) */
	unsigned long long count, total_ns;
	unsigned long long preempted_by[ISB_WHO__COUNT];  /* involuntary switch-outs: who came */
	unsigned long long waited_behind[ISB_WHO__COUNT]; /* switch-ins: who ran before it */
	unsigned long long cpumask;			  /* CPUs it ran on (the first 64) */
};

struct isb_bio_stats {
	unsigned long long hist[ISB_BPF_SLOTS]; /* issue -> complete, log2(ns) */
	unsigned long long count, total_ns, bytes;
	unsigned long long qd_sum, qd_max; /* requests in flight on the device at each issue */
	/* by direction (0 read, 1 write; flushes and discards in neither): what reached the
	 * block layer, for the host's view of each tenant's I/O */
	unsigned long long rw_count[2], rw_bytes[2];
};

struct isb_reclaim_stats {
	unsigned long long reclaim_ns, reclaim_count;
	unsigned long long compact_ns, compact_count;
};

#endif
