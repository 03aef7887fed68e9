/*
 * The sandbox class's leaves, as isobench's own: how a tenant's agent is
 * started under system-call interception, in the tenant, after its
 * container leaves are in place (so the interception covers the tenant's
 * workload, never the harness):
 *
 *   seccomp         a libseccomp filter in the spirit of Docker's default
 *                   profile (what it denies returns EPERM), loaded with
 *                   no_new_privs before exec;
 *   seccomp-notify  every system call sent to a user-space supervisor
 *                   (SECCOMP_RET_USER_NOTIF) that lets it through, as a
 *                   user-space kernel would decide;
 *   ptrace          a tracer that stops the whole process tree at every
 *                   system call entry and exit and lets it go on;
 *   sud             syscall user dispatch, armed by the agent itself on its
 *                   measuring thread (stressors/sud.c).
 *
 * A supervisor (notify, ptrace) exits with its tenant's status, a signal
 * as 128 + N.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/intercept.h"
#include "backends/proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>
#endif

const char *const isb_sb_names[ISB_SB__COUNT + 1] = {"none",   "seccomp", "seccomp-notify",
						     "ptrace", "sud",	  NULL};

/* What Docker's default profile refuses (moby profiles/seccomp/default.json, without its
 * capability-gated exceptions): the rest is allowed. */
static const char *const docker_denied[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "perf_event_open",
    "personality",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "swapon",
    "swapoff",
    "sysfs",
    "_sysctl",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
};

/* 128 + N for a signal, the code otherwise: a supervisor's exit. */
static void exit_like(int status)
{
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

#ifdef HAVE_LIBSECCOMP
static int load_docker_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(docker_denied); i++) {
		int nr = seccomp_syscall_resolve_name(docker_denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0) {
			seccomp_release(ctx);
			return r;
		}
	}
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* The supervisor: receive every notification, let the call go on. */
static void notify_loop(int listener, pid_t child)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int status;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		_exit(127);
	for (;;) {
		struct pollfd p = {.fd = listener, .events = POLLIN};
		int n = poll(&p, 1, 100);
		if (n > 0 && (p.revents & POLLIN)) {
			memset(req, 0, sizeof(*req));
			if (seccomp_notify_receive(listener, req) == 0) {
				memset(resp, 0, sizeof(*resp));
				resp->id = req->id;
				resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				seccomp_notify_respond(listener,
						       resp); /* ENOENT: it died meanwhile */
			}
		}
		if (n > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
			break;
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == child)
			exit_like(status);
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	exit_like(status);
}

static void run_notify(char **argv)
{
	int sync[2];
	if (pipe(sync) < 0)
		isb_child_fail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		isb_child_fail("fork");
	if (pid == 0) {
		close(sync[0]);
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
		/* only the one write that hands over the listener escapes the supervisor */
		if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sync[1])) < 0 ||
		    seccomp_load(ctx) < 0)
			isb_child_fail("seccomp notify filter");
		int fd = seccomp_notify_fd(ctx);
		if (write(sync[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(127);
		/* from here every call waits for the supervisor */
		close(sync[1]);
		execv(argv[0], argv);
		isb_child_fail(argv[0]);
	}
	close(sync[1]);
	int fd = -1;
	if (read(sync[0], &fd, sizeof(fd)) != sizeof(fd))
		isb_child_fail("seccomp notify: no listener from the tenant");
	close(sync[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (listener < 0) {
		kill(pid, SIGKILL);
		isb_child_fail("seccomp notify: take the listener (pidfd_getfd)");
	}
	close(pidfd);
	notify_loop(listener, pid);
}
#endif

static void run_ptrace(char **argv)
{
	pid_t pid = fork();
	if (pid < 0)
		isb_child_fail("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			isb_child_fail("PTRACE_TRACEME");
		raise(SIGSTOP);
		execv(argv[0], argv);
		isb_child_fail(argv[0]);
	}
	int status, tenant_status = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		isb_child_fail("tracee did not stop");
	ptrace(PTRACE_SETOPTIONS, pid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			      PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
	ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
	for (;;) {
		pid_t w = waitpid(-1, &status, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: the whole tree is gone */
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (w == pid)
				tenant_status = status;
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		int sig = WSTOPSIG(status), inject = 0;
		if (sig == (SIGTRAP | 0x80) || (status >> 16) != 0)
			inject = 0; /* a system-call stop or a fork/clone/exec event */
		else if (sig == SIGSTOP || sig == SIGTRAP)
			inject = 0; /* a new tracee's first stop */
		else
			inject = sig; /* a real signal: deliver it */
		ptrace(PTRACE_SYSCALL, w, NULL, (void *)(long)inject);
	}
	exit_like(tenant_status);
}

void isb_sandbox_exec(enum isb_sb_mode mode, char **argv)
{
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer build's leak checker stops the world with ptrace at exit: a tracer
	 * already holds the tenant, and Docker's profile denies ptrace. Leaks are checked
	 * outside the sandboxes. */
	if (mode == ISB_SB_SECCOMP || mode == ISB_SB_PTRACE) {
		const char *old = getenv("ASAN_OPTIONS");
		char v[512];
		snprintf(v, sizeof(v), "%s%sdetect_leaks=0", old ? old : "",
			 old && *old ? ":" : "");
		setenv("ASAN_OPTIONS", v, 1);
	}
#endif
	switch (mode) {
	case ISB_SB_SECCOMP:
#ifdef HAVE_LIBSECCOMP
		/* no_new_privs: a filter without CAP_SYS_ADMIN needs it, and Docker sets it */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || load_docker_filter() < 0)
			isb_child_fail("load the seccomp filter");
		break;
#endif
	case ISB_SB_NOTIFY:
#ifdef HAVE_LIBSECCOMP
		run_notify(argv);
#endif
		errno = ENOTSUP;
		isb_child_fail("seccomp (built without libseccomp)");
	case ISB_SB_PTRACE:
		run_ptrace(argv);
		break;
	default:
		break;
	}
	execv(argv[0], argv);
	isb_child_fail(argv[0]);
}

const char *isb_sandbox_unavailable(enum isb_sb_mode mode)
{
#ifndef HAVE_LIBSECCOMP
	if (mode == ISB_SB_SECCOMP || mode == ISB_SB_NOTIFY)
		return "seccomp needs libseccomp (built without it)";
#else
	if (mode == ISB_SB_SECCOMP || mode == ISB_SB_NOTIFY) {
		/* load the filter for real, in a child that exits at once; ISOBENCH_FAULT=
		 * seccomp-load makes the load fail, for the tests of this path */
		static char why[160];
		const char *fault = getenv("ISOBENCH_FAULT");
		pid_t pid = fork();
		if (pid == 0) {
			int r = fault && !strcmp(fault, "seccomp-load")
				    ? -EINVAL
				    : (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
					   ? -errno
					   : load_docker_filter());
			_exit(r < 0 ? (-r & 0x7f) : 0);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			snprintf(why, sizeof(why), "the seccomp filter does not load here (%s)",
				 pid < 0	 ? strerror(errno)
				 : WIFEXITED(st) ? strerror(WEXITSTATUS(st))
						 : "the test child died");
			return why;
		}
	}
#endif
#ifndef __x86_64__
	if (mode == ISB_SB_SUD)
		return "syscall user dispatch is implemented for x86-64 only";
#endif
	if (mode == ISB_SB_SUD) {
		/* PR_SET_SYSCALL_USER_DISPATCH (Linux 5.11): EINVAL for a bad argument means the
		 * kernel knows it; an old kernel says EINVAL for the option too, so try it off */
		if (prctl(59, 0, 0, 0, 0) < 0)
			return "the kernel has no syscall user dispatch (Linux 5.11, "
			       "CONFIG_GENERIC_ENTRY)";
	}
	return NULL;
}
