/* The BPF-LSM policy's maps, shared by harness/bpf/lsm.bpf.c and its loader
 * (backends/lsm_bpf.c): path prefixes allowed, and the decisions counted per hook. */
#ifndef ISB_LSM_POLICY_H
#define ISB_LSM_POLICY_H

#define ISB_LSM_BPF_PREFIXES 16
#define ISB_LSM_BPF_PATH     64 /* a prefix's bytes at most (bounded loop) */
#define ISB_LSM_BPF_DPATH    256

/* the hooks, index of their decisions: [hook * 2] allowed, [hook * 2 + 1] denied */
enum {
	ISB_LSM_HOOK_FILE_OPEN,
	ISB_LSM_HOOK_TASK_KILL,
	ISB_LSM_HOOK_PTRACE,
	ISB_LSM_HOOK_SB_MOUNT,
	ISB_LSM_HOOK_KERNEL_READ_FILE,
	ISB_LSM_HOOK__COUNT
};

struct isb_lsm_prefix {
	char path[ISB_LSM_BPF_PATH]; /* "/usr/" : a directory's prefix ends in '/' */
	unsigned int len;	     /* 0: the end of the table */
	unsigned int write;	     /* opens for writing allowed below it */
};

#endif
