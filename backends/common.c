/*
 * What process-based backends share: the backend table, the agent's argv,
 * fork with pipes to the agent's stdin/stdout, and stop-with-grace. Every
 * tenant gets its own process group and dies with the harness
 * (PR_SET_PDEATHSIG), so a killed campaign cannot leave tenants running.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/kvm.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/syscall.h>

static const struct isb_backend *const table[] = {
#define ISB_BACKEND(sym) &sym,
#include "backends/backends.def"
#undef ISB_BACKEND
};

const struct isb_backend *const *isb_backends(size_t *n)
{
	*n = ISB_ARRAY_SIZE(table);
	return table;
}

const struct isb_backend *isb_backend_find(const char *name)
{
	for (size_t i = 0; i < ISB_ARRAY_SIZE(table); i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

const char *isb_class_name(enum isb_class c)
{
	static const char *const names[] = {"native", "container", "sandbox", "hypervisor",
					    "hybrid"};
	return (unsigned)c < ISB_ARRAY_SIZE(names) ? names[c] : "?";
}

const char *isb_leaves_str(unsigned leaves, char *buf, size_t size)
{
	static const char *const names[] = {
#define X(l) #l,
	    ISB_LEAVES(X)
#undef X
	};
	size_t o = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < ISB_LEAF__COUNT && o < size; i++)
		if (leaves & (1u << i))
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "", names[i]);
	return buf;
}

const char *isb_config_opt(const struct isb_config *c, const char *key)
{
	for (size_t i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].key, key) == 0)
			return c->opts[i].value;
	return NULL;
}

int isb_agent_argv(const struct isb_config *c, const struct isb_tenant_spec *spec, char **argv,
		   size_t max, char *store, size_t store_size)
{
	size_t argc = 0, o = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (argc + 1 >= max || o >= store_size)                                            \
			return -E2BIG;                                                             \
		int n_ = snprintf(store + o, store_size - o, __VA_ARGS__);                         \
		if (n_ < 0 || (size_t)n_ >= store_size - o)                                        \
			return -E2BIG;                                                             \
		argv[argc++] = store + o;                                                          \
		o += (size_t)n_ + 1;                                                               \
	} while (0)
	ADD("%s", c->agent_path);
	if (c->agent_is_isobench)
		ADD("agent");
	ADD("%s", spec->stressor);
	ADD("--role=%s", isb_role_name(spec->role));
	ADD("--duration=%.9g", spec->duration_s);
	ADD("--warmup=%.9g", spec->warmup_s);
	ADD("--intensity=%.9g", spec->intensity);
	ADD("--sample-interval=%.9g", spec->sample_interval_s);
	for (size_t i = 0; i < spec->nopts; i++)
		ADD("--opt=%s", spec->opts[i]);
	if (c->scratch_dir[0])
		ADD("--scratch=%s", c->scratch_dir);
	if (spec->peer)
		ADD("--peer=%s", spec->peer);
	if (c->host_ns[0]) {
		/* under a scenario's node memory budget the campaign's group is held to it: a
		 * ceiling of the campaign's, not a limit the configuration gave the tenant */
		ADD("--host-ns=%s", c->host_ns);
		ADD("--ceilings=%llu:%llu", (unsigned long long)isb_config_mem_limit(c),
		    (unsigned long long)c->pids_ceiling);
	}
#undef ADD
	argv[argc] = NULL;
	return (int)argc;
}

void isb_child_fail(const char *what)
{
	char line[400];
	int n = snprintf(line, sizeof(line), "{\"event\":\"error\",\"message\":\"%s: %s\"}\n", what,
			 strerror(errno));
	ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
	(void)w;
	_exit(127);
}

int isb_proc_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		   bool exec_agent, const char *cgroup_procs[], struct isb_err *err)
{
	struct isb_spawn_hook h = {0};
	return isb_proc_spawn_ex(c, spec, t, cgroup_procs, exec_agent ? &h : NULL, err);
}

int isb_proc_spawn_ex(struct isb_config *c, const struct isb_tenant_spec *spec,
		      struct isb_tenant *t, const char *cgroup_procs[],
		      const struct isb_spawn_hook *hook, struct isb_err *err)
{
	bool exec_agent = hook != NULL;
	char *argv[64], store[8192];
	int inp[2], outp[2];
	int argc = isb_agent_argv(c, spec, argv, ISB_ARRAY_SIZE(argv), store, sizeof(store));
	if (argc < 0)
		return isb_errf(err, E2BIG, "%s: agent arguments", spec->label);
	int e;
	if (pipe2(inp, O_CLOEXEC) < 0)
		return isb_errf(err, errno, "pipe");
	if (pipe2(outp, O_CLOEXEC) < 0) {
		e = isb_errf(err, errno, "pipe");
		goto fail_close_in;
	}
	pid_t parent = getpid();
	fflush(NULL);
	t->spawn_ns = isb_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		e = isb_errf(err, errno, "fork %s", spec->label);
		goto fail_close_out;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(inp[0], STDIN_FILENO) < 0 || dup2(outp[1], STDOUT_FILENO) < 0)
			_exit(127);
		for (size_t i = 0; cgroup_procs && cgroup_procs[i]; i++) {
			char self[32];
			snprintf(self, sizeof(self), "%d", (int)getpid());
			int r = isb_write_file(cgroup_procs[i], self);
			if (r < 0) {
				errno = -r;
				isb_child_fail(cgroup_procs[i]);
			}
		}
		if (spec->pinned && !(hook && hook->skip_pin) &&
		    sched_setaffinity(0, sizeof(spec->cpus), &spec->cpus) < 0)
			isb_child_fail("sched_setaffinity");
		if (hook && hook->child && hook->child(hook->arg) < 0)
			isb_child_fail("tenant setup");
		if (exec_agent) {
			char *const *av = hook->argv ? hook->argv : argv;
			syscall(__NR_close_range, 3u, ~0u, 0u);
			execvp(av[0], av);
			isb_child_fail(av[0]);
		}
		if (!c->agent_main)
			isb_child_fail("in-process agent (none given)");
		int shift = c->agent_is_isobench ? 1 : 0; /* drop "isobench" before "agent" */
		int code = c->agent_main(argc - shift, argv + shift);
		fflush(NULL);
		_exit(code & 0xff);
	}
	setpgid(pid, pid); /* also here: no race with a kill of the group */
	close(inp[0]);
	close(outp[1]);
	t->pid = pid;
	t->in_fd = inp[1];
	t->out_fd = outp[0];
	if (c->record_pid)
		c->record_pid(pid);
	return 0;
fail_close_out:
	close(outp[0]);
	close(outp[1]);
fail_close_in:
	close(inp[0]);
	close(inp[1]);
	return e;
}

int isb_proc_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	int status = 0;
	pid_t r = 0;
	t->oom_kills = -1;
	if (t->pid <= 0)
		return 0;
	if (t->in_fd >= 0) {
		close(t->in_fd); /* end of stdin: an agent that still runs stops itself */
		t->in_fd = -1;
	}
	uint64_t deadline = isb_now_ns() + grace_ns;
	while ((r = waitpid(t->pid, &status, WNOHANG)) == 0 && isb_now_ns() < deadline)
		isb_sleep_ns(1000000);
	t->exited = r == t->pid;
	kill(-t->pid, SIGKILL); /* the whole group, also after a clean exit of its leader */
	if (r == 0) {
		while ((r = waitpid(t->pid, &status, 0)) < 0 && errno == EINTR)
			;
	}
	if (r == t->pid) {
		if (WIFEXITED(status)) {
			t->exit_code = WEXITSTATUS(status);
			t->term_signal = 0;
		} else if (WIFSIGNALED(status)) {
			t->exit_code = -1;
			t->term_signal = WTERMSIG(status);
		}
	}
	if (t->out_fd >= 0) {
		close(t->out_fd);
		t->out_fd = -1;
	}
	t->pid = 0;
	return 0;
}

int isb_proc_stop_via(struct isb_tenant *t, uint64_t grace_ns, void (*kill_it)(void *), void *arg)
{
	if (t->pid > 0 && kill_it) {
		/* end of stdin stops the agent; past the grace the container's owner kills it
		 * (killing only the client would leave the container running) */
		if (t->in_fd >= 0) {
			close(t->in_fd);
			t->in_fd = -1;
		}
		uint64_t deadline = isb_now_ns() + grace_ns;
		int status;
		pid_t r;
		while ((r = waitpid(t->pid, &status, WNOHANG)) == 0 && isb_now_ns() < deadline)
			isb_sleep_ns(1000000);
		if (r == t->pid) {
			t->exited = true;
			t->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			t->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			if (t->out_fd >= 0)
				close(t->out_fd);
			t->out_fd = -1;
			t->pid = 0;
		} else {
			kill_it(arg);
			isb_proc_stop(t, 2000000000ull);
			t->exited = false;
		}
	} else {
		isb_proc_stop(t, grace_ns);
	}
	/* the client reports a container killed by signal N as exit status 128+N */
	if (t->exit_code > 128 && t->exit_code < 128 + 65 && !t->term_signal) {
		t->term_signal = t->exit_code - 128;
		t->exit_code = -1;
	}
	t->oom_kills = -1;
	return 0;
}

int isb_kvm_usable(struct isb_err *err)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return isb_errf(err, 0, "/dev/kvm: %s", strerror(errno)), 0;
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int vm = api == KVM_API_VERSION ? ioctl(fd, KVM_CREATE_VM, 0) : -1;
	int e = errno;
	close(fd);
	if (api != KVM_API_VERSION)
		return isb_errf(err, 0, "/dev/kvm answers API version %d, not %d", api,
				KVM_API_VERSION),
		       0;
	if (vm < 0)
		return isb_errf(err, 0, "/dev/kvm cannot create a VM (KVM_CREATE_VM: %s)",
				strerror(e)),
		       0;
	close(vm);
	return 1;
}

/* Runs argv to completion with one of its output streams (fd 1 or 2) into buf (newlines
 * as spaces when flat), the other and stdin on /dev/null; its exit status. */
static int run_capture(char *const argv[], int which, char *buf, size_t size, bool flat)
{
	int ep[2];
	if (buf && size)
		buf[0] = 0;
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ep[0]);
		close(ep[1]);
		return -e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, which == STDOUT_FILENO ? STDERR_FILENO : STDOUT_FILENO);
		dup2(ep[1], which);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(ep[1]);
	size_t o = 0;
	char chunk[512];
	ssize_t n;
	while ((n = read(ep[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t i = 0; i < n && buf && o + 1 < size; i++)
			buf[o++] = flat && chunk[i] == '\n' ? ' ' : chunk[i];
	if (buf && size)
		buf[o] = 0;
	close(ep[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (buf && flat)
		isb_trim(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int isb_run_cmd(char *const argv[], char *errbuf, size_t errsize)
{
	return run_capture(argv, STDERR_FILENO, errbuf, errsize, true);
}

int isb_run_output(char *const argv[], char *out, size_t size)
{
	return run_capture(argv, STDOUT_FILENO, out, size, false);
}

int isb_run_prog(struct isb_err *err, const char *prog, ...)
{
	const char *argv[24] = {prog};
	size_t n = 1;
	va_list ap;
	va_start(ap, prog);
	while (n + 1 < ISB_ARRAY_SIZE(argv) && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	char msg[256];
	int r = isb_run_cmd((char *const *)argv, msg, sizeof(msg));
	if (r == 0)
		return 0;
	if (!err)
		return -EIO;
	char line[400];
	size_t o = 0;
	for (size_t i = 0; argv[i] && o < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", i ? " " : "", argv[i]);
	return isb_errf(err, 0, "'%s' failed (exit %d): %s", line, r,
			r == 127 ? "not installed (iproute2 has ip and tc)" : msg);
}
