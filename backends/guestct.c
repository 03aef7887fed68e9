/*
 * isobench-guestct: isobench's own container runtime inside a vm guest, for the vm
 * backend's `container = own` (the Kata shape: a VM around a container). The guest's init
 * runs it instead of the agent; it reads from the kernel command line what the harness put
 * there (isobench.ct: the namespaces and the cgroup v2 limits, isobench.args: the agent's
 * arguments), makes the tenant's cgroup below the guest's own cgroup2 mount with the v2
 * writers the container backend uses on the host (backends/cglimits.c), clones the agent
 * into new pid, mount, uts and ipc namespaces (the network stays the VM's), puts it into
 * the group before it runs, and waits for it. The agent is pid 1 of its namespace.
 *
 * The probe inside needs the guest's namespaces as its reference (the host's are another
 * kernel's): the runtime rewrites the agent's --host-ns=bootid:ID to the guest's own
 * namespace inodes plus that boot id. A separate small program (libc only, like the agent)
 * rather than the isobench binary, whose libraries would double the initramfs, or shell in
 * the init script, which would be a second implementation of the cgroup writers.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"

#include <ctype.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#define CG_ROOT	 "/sys/fs/cgroup"
#define CG_GROUP "guest" /* the tenant's group: CG_ROOT/isobench-guest/tenant */

static const char *const ns_names[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

struct gct {
	unsigned long flags; /* CLONE_NEW* */
	char ns[64];	     /* "ipc,mnt,pid,uts" */
	struct isb_limits l;
	char *argv[132];
	int argc;
	char args[2048];
	char host_ns[600];
};

/* An error event on the agent's port (the harness shows it) and on the console; exit 1. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	char msg[512], line[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	int n = snprintf(line, sizeof(line),
			 "{\"event\":\"error\",\"message\":\"guest container: %s\"}\n", msg);
	ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
	(void)w;
	fprintf(stderr, "isobench-guestct: %s\n", msg);
	exit(1);
}

/* The value of NAME= on the kernel command line into out: 0, or -1 when absent. */
static int cmdline_param(const char *cmdline, const char *name, char *out, size_t size)
{
	size_t l = strlen(name);
	for (const char *p = cmdline; (p = strstr(p, name)); p += l) {
		if ((p != cmdline && p[-1] != ' ') || p[l] != '=')
			continue;
		p += l + 1;
		size_t n = strcspn(p, " \n");
		if (n >= size)
			return -1;
		memcpy(out, p, n);
		out[n] = 0;
		return 0;
	}
	return -1;
}

static void ns_flag(struct gct *g, const char *name)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} t[] = {{"ipc", CLONE_NEWIPC},
		 {"mnt", CLONE_NEWNS},
		 {"pid", CLONE_NEWPID},
		 {"uts", CLONE_NEWUTS}};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(t); i++)
		if (!strcmp(name, t[i].name)) {
			g->flags |= t[i].flag;
			size_t o = strlen(g->ns);
			snprintf(g->ns + o, sizeof(g->ns) - o, "%s%s", o ? "," : "", name);
			return;
		}
	fail("isobench.ct: namespace '%s' is not one of ipc, mnt, pid, uts", name);
}

static uint64_t u64_of(const char *k, const char *v)
{
	uint64_t u;
	if (isb_parse_u64(v, &u) < 0)
		fail("isobench.ct: %s='%s' is not an integer", k, v);
	return u;
}

/* isobench.ct: "ns=ipc+mnt+pid+uts;cpu.max=0.5;memory.max=BYTES;..." (backends/vmct.c). */
static void parse_ct(struct gct *g, char *spec)
{
	for (char *save, *kv = strtok_r(spec, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *v = strchr(kv, '=');
		if (!v)
			fail("isobench.ct: '%s' is not KEY=VALUE", kv);
		*v++ = 0;
		struct isb_limits *l = &g->l;
		if (!strcmp(kv, "ns")) {
			for (char *s2, *n = strtok_r(v, "+", &s2); n; n = strtok_r(NULL, "+", &s2))
				ns_flag(g, n);
		} else if (!strcmp(kv, "cpu.max")) {
			if (isb_parse_double(v, &l->cpu_max) < 0 || l->cpu_max <= 0)
				fail("isobench.ct: cpu.max='%s' is not a positive number", v);
		} else if (!strcmp(kv, "cpu.weight")) {
			l->cpu_weight = (unsigned)u64_of(kv, v);
		} else if (!strcmp(kv, "cpuset")) {
			snprintf(l->cpuset, sizeof(l->cpuset), "%s", v);
		} else if (!strcmp(kv, "memory.max")) {
			l->mem_max = u64_of(kv, v);
		} else if (!strcmp(kv, "memory.low")) {
			l->mem_low = u64_of(kv, v);
		} else if (!strcmp(kv, "memory.swap")) {
			l->swap_max = u64_of(kv, v);
			l->swap_set = true;
		} else if (!strcmp(kv, "pids.max")) {
			l->pids_max = u64_of(kv, v);
		} else {
			fail("isobench.ct: unknown key '%s'", kv);
		}
	}
}

/* The guest's namespaces and the host's boot id: the probe's reference inside. */
static void guest_host_ns(const char *orig, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(ns_names) && o < size; i++) {
		char path[64], link[128];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		const char *b = n > 0 ? (link[n] = 0, strchr(link, '[')) : NULL;
		if (b)
			o += (size_t)snprintf(out + o, size - o, "%s%s:%llu", o ? "," : "",
					      ns_names[i], strtoull(b + 1, NULL, 10));
	}
	const char *boot = strstr(orig, "bootid:");
	if (boot && o < size)
		snprintf(out + o, size - o, ",%.*s", (int)strcspn(boot, ","), boot);
}

/* isobench.args=HEX (each argument NUL-terminated) after the agent's own argv[0..n). */
static void parse_args(struct gct *g, const char *hex)
{
	size_t len = 0;
	char *start = g->args;
	for (const char *p = hex; isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]);
	     p += 2) {
		if (len + 1 >= sizeof(g->args))
			fail("isobench.args: arguments too long");
		char h[3] = {p[0], p[1], 0};
		g->args[len++] = (char)strtol(h, NULL, 16);
		if (g->args[len - 1])
			continue;
		if (g->argc + 1 >= (int)ISB_ARRAY_SIZE(g->argv))
			fail("isobench.args: too many arguments");
		if (!strncmp(start, "--host-ns=", 10)) {
			char ref[500];
			guest_host_ns(start + 10, ref, sizeof(ref));
			snprintf(g->host_ns, sizeof(g->host_ns), "--host-ns=%s", ref);
			start = g->host_ns;
		}
		g->argv[g->argc++] = start;
		start = g->args + len;
	}
	g->argv[g->argc] = NULL;
}

/* The guest's cgroup2 mount with every controller passed down to the tenant's group. */
static void make_group(const struct gct *g, struct isb_cg_tenant *cg, char *note, size_t nsize)
{
	struct statfs s;
	struct isb_err err = {0};
	if (statfs(CG_ROOT, &s) < 0 || s.f_type != CGROUP2_SUPER_MAGIC)
		fail("no cgroup2 file system at " CG_ROOT " in the guest");
	if (isb_cg2_enable_controllers(CG_ROOT, &err) < 0 ||
	    isb_cg_tenant_create(ISB_CG_V2, CG_ROOT, CG_GROUP, "tenant", &g->l, cg, note, nsize,
				 &err) < 0)
		fail("%s", err.msg);
}

/* Fork with namespaces: clone3 without a stack behaves like fork in the child. */
static pid_t clone_ns(unsigned long flags)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {.flags = flags, .exit_signal = SIGCHLD};
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* The tenant's side: waits for its group, then its own mounts and name, then the agent. */
static void child(const struct gct *g, int sync)
{
	char b;
	if (read(sync, &b, 1) != 1)
		_exit(127);
	close(sync);
	if ((g->flags & CLONE_NEWUTS) && sethostname("isobench-tenant", 15) < 0)
		fail("sethostname: %s", strerror(errno));
	if (g->flags & CLONE_NEWNS) {
		/* the guest's root stays (an initramfs cannot be pivoted away); its mounts are
		 * private copies, /proc shows the tenant's pid namespace, /tmp is its own */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			fail("make / private: %s", strerror(errno));
		if ((g->flags & CLONE_NEWPID) &&
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			fail("mount /proc: %s", strerror(errno));
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			fail("mount /tmp: %s", strerror(errno));
	}
	execv(g->argv[0], g->argv);
	fail("exec %s: %s", g->argv[0], strerror(errno));
}

static const char *limits_str(const struct isb_limits *l, char *buf, size_t size)
{
	snprintf(buf, size, "cpu.max=%g cpu.weight=%u cpuset=%s memory.max=%llu pids.max=%llu",
		 l->cpu_max, l->cpu_weight, l->cpuset[0] ? l->cpuset : "-",
		 (unsigned long long)l->mem_max, (unsigned long long)l->pids_max);
	return buf;
}

int main(int argc, char **argv)
{
	static struct gct g;
	static char cmdline[4096], spec[512], hex[4096];
	if (argc < 2) {
		fprintf(stderr, "usage: isobench-guestct AGENT [agent]   (in a vm guest: "
				"isobench.ct= and isobench.args= on the kernel command line)\n");
		return 2;
	}
	if (isb_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) <= 0)
		fail("read /proc/cmdline: %s", strerror(errno));
	if (cmdline_param(cmdline, "isobench.ct", spec, sizeof(spec)) < 0)
		fail("no isobench.ct= on the kernel command line");
	if (cmdline_param(cmdline, "isobench.args", hex, sizeof(hex)) < 0)
		fail("no isobench.args= on the kernel command line");
	for (int i = 1; i < argc && g.argc < 4; i++)
		g.argv[g.argc++] = argv[i];
	parse_ct(&g, spec);
	parse_args(&g, hex);
	struct isb_cg_tenant cg;
	char note[512] = "", lim[256];
	make_group(&g, &cg, note, sizeof(note));
	fprintf(stderr, "isobench-guestct: ns=%s cgroup %s: %s%s%s\n", g.ns, cg.dirs[0],
		limits_str(&g.l, lim, sizeof(lim)), note[0] ? "; " : "", note);
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		fail("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = clone_ns(g.flags);
	if (pid < 0)
		fail("clone3 (namespaces %s): %s", g.ns, strerror(errno));
	if (pid == 0) {
		close(sync[1]);
		child(&g, sync[0]);
	}
	close(sync[0]);
	char self[32];
	snprintf(self, sizeof(self), "%d", (int)pid);
	int r = isb_write_file(cg.procs[0], self);
	if (r < 0) {
		kill(pid, SIGKILL);
		fail("put the agent (pid %d) into %s: %s", (int)pid, cg.procs[0], strerror(-r));
	}
	if (write(sync[1], "g", 1) != 1)
		fail("release the agent: %s", strerror(errno));
	close(sync[1]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	long ooms = isb_cg_dir_oom_kills(cg.dirs[0]);
	isb_cg_tenant_remove(&cg);
	if (WIFSIGNALED(st))
		fail(
		    "the agent was killed by signal %d (oom_kill %ld in the guest's memory.events)",
		    WTERMSIG(st), ooms);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
