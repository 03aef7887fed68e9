/*
 * The LSM sandbox leaf (SB_LSM, lsm.c): one policy for a tenant, enforced by Landlock (a
 * ruleset applied in the tenant before exec) or by BPF-LSM programs (lsm_bpf.c: a load
 * probe; the loaded path is untested on the hosts isobench is built on).
 *
 * The policy: files confined to the tenant's scratch directory and /tmp (read-write), the
 * system directories read-only (/usr, /lib*, /bin, /sbin, /etc, /sys), /proc and the /dev
 * nodes read and written but nothing created there, the agent's binary read and executed;
 * no ptrace or signals to other tenants; TCP only to its peers; no mounts or module loads.
 */
#ifndef ISB_BACKENDS_LSM_H
#define ISB_BACKENDS_LSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/isb.h"

enum isb_lsm { ISB_LSM_NONE, ISB_LSM_LANDLOCK, ISB_LSM_BPF, ISB_LSM__COUNT };
extern const char *const isb_lsm_names[ISB_LSM__COUNT + 1]; /* NULL-terminated */

#define ISB_LSM_MAX_RULES 16

/* The policy compiled for one Landlock ABI: what the ruleset handles, and its rules. */
struct isb_lsm_policy {
	int abi;
	uint64_t handled_fs, handled_net, scoped;
	size_t nrules;
	struct {
		char path[1024];
		uint64_t access;
	} rule[ISB_LSM_MAX_RULES];
};

/* The kernel's Landlock ABI (1..), or -errno (ENOSYS: not built, EOPNOTSUPP: disabled). */
int isb_landlock_abi(void);
/* Compiles the policy for abi: scratch and agent are paths in the tenant's root; with_net
 * handles TCP bind and connect (ABI 4) with no port allowed: a tenant with no peer. */
void isb_lsm_policy_build(struct isb_lsm_policy *p, int abi, const char *scratch, const char *agent,
			  bool with_net);
/* Which parts of the policy abi enforces, and which not, for the configuration's note. */
void isb_lsm_policy_note(int abi, char *buf, size_t size);
/* In the tenant, before exec: builds and applies the ruleset (paths that do not exist are
 * skipped). 0, or -errno with what failed in what. */
int isb_landlock_apply(const struct isb_lsm_policy *p, const char **what);
/* prepare's side: 0 and the ABI and note, or -errno with "lsm = NAME: reason" in err. */
int isb_lsm_prepare(enum isb_lsm lsm, int *abi, char *note, size_t size, struct isb_err *err);
/* The BPF-LSM load probe (lsm_bpf.c): loads and unloads the policy's lsm/ programs; 0 where
 * the kernel takes them all, else -errno and the kernel's words in err. */
int isb_bpf_lsm_probe(struct isb_err *err);
/* The policy's rules as the BPF programs' path prefixes (harness/bpf/lsm_policy.h), ended
 * by an empty one: their number, or -EINVAL with the path that does not fit in err. */
struct isb_lsm_prefix;
int isb_lsm_bpf_prefixes(const struct isb_lsm_policy *p, struct isb_lsm_prefix *out, size_t n,
			 struct isb_err *err);

#endif
