/*
 * The LSM sandbox's policy (backends/lsm.c, lsm_bpf.c): what it compiles to for each
 * Landlock ABI (the rights handled, the rules, the note), the ruleset applied for real in a
 * child where the kernel has Landlock (refused and allowed opens), and the BPF-LSM load
 * probe's answer (here: the kernel's refusal, in its words).
 */
#include "config.h"
#include "backends/lsm.h"
#include "harness/bpf/lsm_policy.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

#define FS_ABI1	  0x1fffull /* execute .. make_sym */
#define REFER	  (1ull << 13)
#define TRUNCATE  (1ull << 14)
#define IOCTL_DEV (1ull << 15)
#define RO	  0x0dull /* execute, read_file, read_dir */

static uint64_t rule_of(const struct isb_lsm_policy *p, const char *path)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rule[i].path, path))
			return p->rule[i].access;
	fail_msg("no rule for %s", path);
	return 0;
}

static void t_policy_abis(void **state)
{
	struct isb_lsm_policy p;
	isb_lsm_policy_build(&p, 0, "/scratch", "/opt/agent", true);
	assert_int_equal(p.nrules, 0); /* no Landlock: nothing to apply */
	assert_true(p.handled_fs == 0 && p.handled_net == 0 && p.scoped == 0);
	isb_lsm_policy_build(&p, 1, "/scratch", "/opt/agent", true);
	assert_true(p.handled_fs == FS_ABI1);
	assert_true(p.handled_net == 0 && p.scoped == 0);
	isb_lsm_policy_build(&p, 2, "/scratch", "/opt/agent", true);
	assert_true(p.handled_fs == (FS_ABI1 | REFER));
	isb_lsm_policy_build(&p, 3, "/scratch", "/opt/agent", true);
	assert_true(p.handled_fs == (FS_ABI1 | REFER | TRUNCATE));
	isb_lsm_policy_build(&p, 4, "/scratch", "/opt/agent", true);
	assert_true(p.handled_net == 3); /* TCP bind and connect, no port allowed */
	isb_lsm_policy_build(&p, 4, "/scratch", "/opt/agent", false);
	assert_true(p.handled_net == 0); /* a tenant with a peer: TCP not handled */
	isb_lsm_policy_build(&p, 5, "/scratch", "/opt/agent", true);
	assert_true(p.handled_fs == (FS_ABI1 | REFER | TRUNCATE | IOCTL_DEV) && p.scoped == 0);
	isb_lsm_policy_build(&p, 6, "/scratch", "/opt/agent", true);
	assert_true(p.scoped == 3); /* abstract unix sockets and signals */
}

static void t_policy_rules(void **state)
{
	struct isb_lsm_policy p;
	isb_lsm_policy_build(&p, 6, "/scratch", "/opt/agent", true);
	for (size_t i = 0; i < p.nrules; i++)
		assert_true((p.rule[i].access & ~p.handled_fs) == 0); /* never beyond handled */
	assert_true(rule_of(&p, "/usr") == RO);
	assert_true(rule_of(&p, "/etc") == RO);
	assert_true(rule_of(&p, "/scratch") == p.handled_fs);
	assert_true(rule_of(&p, "/tmp") == p.handled_fs);
	assert_true(rule_of(&p, "/opt/agent") == 0x5); /* execute and read */
	/* /dev and /proc: read and write the nodes there, create nothing */
	assert_true((rule_of(&p, "/dev") & 0x1ff0ull) == 0);
	assert_true(rule_of(&p, "/dev") & 0x2);
	/* "/" itself has no rule: listing it is what the probe finds refused */
	for (size_t i = 0; i < p.nrules; i++)
		assert_string_not_equal(p.rule[i].path, "/");
}

static void t_policy_note(void **state)
{
	char n[300];
	isb_lsm_policy_note(2, n, sizeof(n));
	assert_non_null(strstr(n, "landlock ABI 2: files (not truncate)"));
	assert_non_null(strstr(n, "TCP not confined"));
	assert_non_null(strstr(n, "signals not scoped"));
	isb_lsm_policy_note(6, n, sizeof(n));
	assert_null(strstr(n, "not truncate"));
	assert_non_null(strstr(n, "TCP only with a peer"));
	assert_non_null(strstr(n, "signals scoped"));
	assert_non_null(strstr(n, "not modules"));
}

/* In a child: 0 where every expectation held, else the number of the first that failed. */
static int confined_child(const char *dir)
{
	char f[512];
	struct isb_lsm_policy p;
	const char *what = "";
	snprintf(f, sizeof(f), "%s/scratch", dir);
	if (mkdir(f, 0700) < 0)
		return 1;
	isb_lsm_policy_build(&p, isb_landlock_abi(), f, "/proc/self/exe", true);
	if (isb_landlock_apply(&p, &what) < 0)
		return 2;
	if (open("/", O_RDONLY | O_DIRECTORY) >= 0 || errno != EACCES)
		return 3; /* listing / refused */
	snprintf(f, sizeof(f), "%s/scratch/x", dir);
	int fd = open(f, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return 4; /* the scratch directory is read-write */
	close(fd);
	if (open("/etc/passwd", O_RDONLY) < 0)
		return 5; /* the system read-only */
	if (open("/etc/passwd", O_WRONLY) >= 0 || errno != EACCES)
		return 6;
	snprintf(f, sizeof(f), "%s/outside", dir);
	if (strncmp(dir, "/tmp/", 5) && (open(f, O_CREAT | O_WRONLY, 0600) >= 0 || errno != EACCES))
		return 7; /* the scratch's parent is outside (unless it is in /tmp) */
	return 0;
}

static void t_landlock_applied(void **state)
{
	int abi = isb_landlock_abi();
	if (abi < 1) {
		printf("# skip: no Landlock here (%s)\n", strerror(-abi));
		return;
	}
	/* in the build directory: /tmp is the policy's too */
	char dir[512];
	assert_non_null(getcwd(dir, sizeof(dir) - 24));
	strcat(dir, "/isb-unit-lsm.XXXXXX");
	assert_non_null(mkdtemp(dir));
	pid_t pid = fork();
	if (pid == 0)
		_exit(confined_child(dir));
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void t_bpf_probe(void **state)
{
	struct isb_err err = {0};
	int r = isb_bpf_lsm_probe(&err);
	printf("# bpf-lsm load probe: %d %s\n", r, err.msg);
	if (r == 0)
		return; /* a kernel that takes lsm/ programs: nothing to check of the refusal */
	assert_true(r < 0);
	assert_true(
	    !strncmp(err.msg, "load of lsm", 11) || !strncmp(err.msg, "no kernel BTF", 13) ||
	    !strncmp(err.msg, "the kernel has no", 17) || !strncmp(err.msg, "built without", 13));
}

static void t_bpf_prefixes(void **state)
{
	struct isb_lsm_policy p;
	struct isb_lsm_prefix pre[ISB_LSM_BPF_PREFIXES];
	struct isb_err err = {0};
	isb_lsm_policy_build(&p, 1, "/scratch", "/opt/agent", true);
	int n = isb_lsm_bpf_prefixes(&p, pre, ISB_LSM_BPF_PREFIXES, &err);
	assert_int_equal(n, (int)p.nrules);
	assert_int_equal(pre[n].len, 0); /* the end of the table */
	for (int i = 0; i < n; i++) {
		assert_int_equal(pre[i].len, strlen(pre[i].path));
		if (!strcmp(pre[i].path, "/usr/"))
			assert_int_equal(pre[i].write, 0); /* a directory: its prefix ends in / */
		if (!strcmp(pre[i].path, "/scratch/"))
			assert_int_equal(pre[i].write, 1);
		if (!strncmp(pre[i].path, "/opt/agent", 10))
			assert_string_equal(pre[i].path, "/opt/agent"); /* a file: exact */
		assert_string_not_equal(pre[i].path, "/usr");		/* /usrx is not /usr */
	}
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	isb_lsm_policy_build(&p, 1, longp, "/opt/agent", true);
	assert_true(isb_lsm_bpf_prefixes(&p, pre, ISB_LSM_BPF_PREFIXES, &err) < 0);
	assert_non_null(strstr(err.msg, "longer than the BPF policy's 63 bytes"));
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(t_policy_abis), cmocka_unit_test(t_policy_rules),
	    cmocka_unit_test(t_policy_note), cmocka_unit_test(t_landlock_applied),
	    cmocka_unit_test(t_bpf_probe),   cmocka_unit_test(t_bpf_prefixes),
	};
	ISB_RUN_TESTS(t);
}
