/*
 * The LSM sandbox leaf with Landlock: the policy (lsm.h) compiled for the kernel's ABI and
 * applied by the tenant itself just before exec, after its root file system is built.
 *
 *   ABI 1  files: execute, read, write, read a directory, remove, make (every kind);
 *          ptrace of a process outside the domain is refused, and so are mounts
 *   ABI 2  rename and link across directories (refer)
 *   ABI 3  truncate
 *   ABI 4  TCP bind and connect by port
 *   ABI 5  ioctl on device nodes
 *   ABI 6  signals and abstract unix sockets scoped to the domain
 *
 * Module loads are not Landlock's: the capabilities key drops CAP_SYS_MODULE.
 */
#include "config.h"
#include "backends/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* linux/landlock.h of Debian 12 stops at ABI 2: the ABI's own numbers, here */
#define LL_FS_EXECUTE	       (1ull << 0)
#define LL_FS_WRITE_FILE       (1ull << 1)
#define LL_FS_READ_FILE	       (1ull << 2)
#define LL_FS_READ_DIR	       (1ull << 3)
#define LL_FS_MAKE_ALL	       (0x1ffull << 4) /* remove dir, file; make char .. sym (bits 4-12) */
#define LL_FS_REFER	       (1ull << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE	       (1ull << 14)    /* ABI 3 */
#define LL_FS_IOCTL_DEV	       (1ull << 15)    /* ABI 5 */
#define LL_NET_BIND_TCP	       (1ull << 0)     /* ABI 4 */
#define LL_NET_CONNECT_TCP     (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL	       (1ull << 1)
#define LL_CREATE_VERSION      (1u << 0)
#define LL_RULE_PATH_BENEATH   1

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule	    445
#define SYS_landlock_restrict_self  446
#endif

struct ll_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};
struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

const char *const isb_lsm_names[ISB_LSM__COUNT + 1] = {"none", "landlock", "bpf", NULL};

int isb_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);
	return v < 0 ? -errno : (int)v;
}

static void add_rule(struct isb_lsm_policy *p, const char *path, uint64_t access)
{
	if (!path || !*path || p->nrules >= ISB_LSM_MAX_RULES)
		return;
	snprintf(p->rule[p->nrules].path, sizeof(p->rule[0].path), "%s", path);
	p->rule[p->nrules++].access = access & p->handled_fs;
}

void isb_lsm_policy_build(struct isb_lsm_policy *p, int abi, const char *scratch, const char *agent,
			  bool with_net)
{
	memset(p, 0, sizeof(*p));
	p->abi = abi;
	if (abi < 1)
		return;
	p->handled_fs = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_READ_DIR |
			LL_FS_MAKE_ALL | (abi >= 2 ? LL_FS_REFER : 0) |
			(abi >= 3 ? LL_FS_TRUNCATE : 0) | (abi >= 5 ? LL_FS_IOCTL_DEV : 0);
	p->handled_net = abi >= 4 && with_net ? LL_NET_BIND_TCP | LL_NET_CONNECT_TCP : 0;
	p->scoped = abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL : 0;
	const uint64_t ro = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
	const uint64_t files =
	    LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV | LL_FS_READ_DIR;
	static const char *const sys[] = {"/usr", "/lib",  "/lib64", "/lib32",
					  "/bin", "/sbin", "/etc",   "/sys"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(sys); i++)
		add_rule(p, sys[i], ro);
	add_rule(p, "/proc", files);
	add_rule(p, "/dev", files);
	add_rule(p, "/tmp", ~0ull);
	add_rule(p, scratch, ~0ull);
	/* a file's rule takes file rights only */
	add_rule(p, agent, LL_FS_EXECUTE | LL_FS_READ_FILE);
}

void isb_lsm_policy_note(int abi, char *buf, size_t size)
{
	snprintf(buf, size, "landlock ABI %d: files%s, ptrace, mounts; %s; %s; not modules", abi,
		 abi >= 3 ? "" : " (not truncate)",
		 abi >= 4 ? "TCP only with a peer (any port)" : "TCP not confined",
		 abi >= 6 ? "signals scoped" : "signals not scoped");
}

int isb_landlock_apply(const struct isb_lsm_policy *p, const char **what)
{
	struct ll_ruleset_attr attr = {.handled_access_fs = p->handled_fs,
				       .handled_access_net = p->handled_net,
				       .scoped = p->scoped};
	/* the attribute's size names the ABI's fields: 8 bytes (fs), 16 (net), 24 (scoped) */
	size_t asize = p->abi >= 6 ? 24 : p->abi >= 4 ? 16 : 8;
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, asize, 0);
	if (rs < 0)
		return *what = "landlock_create_ruleset", -errno;
	for (size_t i = 0; i < p->nrules; i++) {
		struct ll_path_beneath pb = {.allowed_access = p->rule[i].access};
		pb.parent_fd = open(p->rule[i].path, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0)
			continue; /* not in this root (/lib32, /sbin): nothing to allow */
		struct stat st;
		if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_WRITE_FILE |
					     LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
		long r = syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0);
		int e = errno;
		close(pb.parent_fd);
		if (r < 0) {
			close(rs);
			*what = p->rule[i].path;
			return -e;
		}
	}
	/* root with CAP_SYS_ADMIN needs no no_new_privs; a tenant without it does */
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0 &&
	    (errno != EPERM || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	     syscall(SYS_landlock_restrict_self, rs, 0) < 0)) {
		int e = errno;
		close(rs);
		return *what = "landlock_restrict_self", -e;
	}
	close(rs);
	return 0;
}

int isb_lsm_prepare(enum isb_lsm lsm, int *abi, char *note, size_t size, struct isb_err *err)
{
	*abi = 0;
	if (lsm == ISB_LSM_NONE)
		return 0;
	if (lsm == ISB_LSM_BPF) {
		struct isb_err why = {0};
		int r = isb_bpf_lsm_probe(&why);
		if (r < 0)
			return isb_errf(err, 0, "lsm = bpf: %s", why.msg);
		snprintf(note, size,
			 "bpf-lsm: the policy's programs load here (the loaded path "
			 "is untested: no tenant is confined by them yet)");
		return isb_errf(err, 0,
				"lsm = bpf: the programs load here, but attaching them to "
				"tenants is not implemented (untested on the build hosts)");
	}
	int v = isb_landlock_abi();
	if (v < 0)
		return isb_errf(err, 0, "lsm = landlock: %s",
				v == -ENOSYS	   ? "the kernel has no Landlock (ENOSYS)"
				: v == -EOPNOTSUPP ? "Landlock is disabled at boot (lsm= does not "
						     "list it: EOPNOTSUPP)"
						   : strerror(-v));
	*abi = v;
	isb_lsm_policy_note(v, note, size);
	return 0;
}
