/*
 * isobench-agent: the one program that runs inside every tenant. It runs
 * one stressor in one role and speaks JSON lines on stdout: "ready", then it
 * waits for "go" on stdin (the start barrier), then "sample" lines and one
 * "result" (or "error"). "stop" or end of stdin ends an aggressor early.
 * It depends on nothing but argv, stdin and stdout (and libc), so the same
 * binary works in a container, a sandbox or a VM. The lines themselves are
 * built in agent_lines.c.
 *
 * Exit codes: 0 result written, 1 stressor failed, 2 bad arguments,
 * 3 no "go" before the barrier timeout.
 */
#include "config.h"
#include "common/events.h"
#include "stressors/agent.h"
#include "stressors/probe.h"
#include "stressors/sud.h"

#include <ctype.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the command line asked for. */
struct agent_opts {
	const char *opts[ISB_MAX_OPTS * 2]; /* --opt NAME=VALUE, checked against the stressor */
	size_t nopts;
	double duration, warmup, intensity, interval, go_timeout;
	unsigned role;
	const char *scratch, *peer, *host_ns;
	unsigned long long mem_ceiling, pids_ceiling;
	bool probe, sud;
};

/* What parsing returns when the agent goes on (any other value is the exit code). */
#define AGENT_GO_ON (-1)

static volatile int stop_flag;

static void emit_error(const char *msg)
{
	isb_agent_emit(isb_agent_line_error(msg));
}

static void agent_sample(struct isb_report *r, uint64_t t_ns, double ops)
{
	isb_agent_emit(isb_agent_line_sample(t_ns, ops));
}

/* An aggressor stops at "stop" or end of stdin; a victim only at "stop" (its window is
 * fixed). arg: whether end of stdin stops it. */
static void *stdin_watch(void *arg)
{
	bool eof_stops = (uintptr_t)arg != 0;
	char buf[256];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (eof_stops)
				break;
			return NULL;
		}
		have += (size_t)n;
		buf[have] = 0;
		if (strstr(buf, ISB_CMD_STOP))
			break;
		if (have >= sizeof(buf) - 1)
			have = 0;
	}
	stop_flag = 1;
	return NULL;
}

/* Wait for the "go" line; anything else or a timeout aborts the tenant. */
static int wait_go(double timeout_s)
{
	char buf[64];
	size_t have = 0;
	uint64_t deadline = isb_now_ns() + (uint64_t)(timeout_s * 1e9);
	while (have < sizeof(buf) - 1) {
		uint64_t now = isb_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int r = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		/* One byte at a time: nothing after the newline may be consumed here. */
		ssize_t n = read(STDIN_FILENO, buf + have, 1);
		if (n <= 0)
			return -EPIPE;
		if (buf[have] == '\n') {
			buf[have] = 0;
			return strcmp(isb_trim(buf), ISB_CMD_GO) == 0 ? 0 : -EPROTO;
		}
		have++;
	}
	return -EPROTO;
}

static unsigned affinity_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	int n = CPU_COUNT(&set);
	return n > 0 ? (unsigned)n : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: isobench-agent STRESSOR [--role victim|aggressor] [--duration S]\n"
		   "         [--warmup S] [--intensity PCT] [--sample-interval S]\n"
		   "         [--opt NAME=VALUE]... [--go-timeout S] [--scratch DIR]\n"
		   "         [--peer HOST:PORT] [--host-ns NS:INODE,...] [--ceilings MEM:PIDS]\n"
		   "         [--sud]\n"
		   "       isobench-agent --probe [--host-ns NS:INODE,...] [--ceilings MEM:PIDS]\n"
		   "       isobench-agent --from-kernel-cmdline   (in a VM: isobench.args=HEX)\n"
		   "       isobench-agent --list | --help\n"
		   "--host-ns and --ceilings give the probe the host's reference; with them the\n"
		   "ready line carries the probe too.\n"
		   "Runs one stressor and speaks JSON lines: ready, waits for \"go\" on stdin,\n"
		   "then sample lines and one result. \"stop\" or EOF on stdin ends it early.\n"
		   "Exit: 0 result, 1 stressor failed, 2 bad arguments, 3 no go in time.\n");
}

static int bad_args(const char *msg)
{
	emit_error(msg);
	isb_log("agent", "%s", msg);
	return 2;
}

static int bad_argsf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_argsf(const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bad_args(msg);
}

/* In a VM guest: the arguments come as isobench.args=HEX on the kernel command line (the
 * vm backend's encoding: each argument NUL-terminated, hex-coded). */
static int agent_from_cmdline(void)
{
	static char cmdline[4096], args[2048];
	static char *argv[128];
	ssize_t n = isb_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	const char *p = n > 0 ? strstr(cmdline, "isobench.args=") : NULL;
	if (!p)
		return bad_args("--from-kernel-cmdline: no isobench.args= on /proc/cmdline");
	p += 14;
	size_t len = 0;
	int argc = 1;
	argv[0] = "isobench-agent";
	char *start = args;
	for (; isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]); p += 2) {
		if (len + 1 >= sizeof(args))
			return bad_args("--from-kernel-cmdline: arguments too long");
		char hex[3] = {p[0], p[1], 0};
		args[len++] = (char)strtol(hex, NULL, 16);
		if (args[len - 1] == 0) {
			if (argc + 1 >= (int)ISB_ARRAY_SIZE(argv))
				return bad_args("--from-kernel-cmdline: too many arguments");
			argv[argc++] = start;
			start = args + len;
		}
	}
	argv[argc] = NULL;
	return isb_agent_main(argc, argv);
}

static const struct option longopts[] = {
    {"role", required_argument, NULL, 'r'},
    {"duration", required_argument, NULL, 'd'},
    {"warmup", required_argument, NULL, 'w'},
    {"intensity", required_argument, NULL, 'i'},
    {"sample-interval", required_argument, NULL, 's'},
    {"opt", required_argument, NULL, 'o'},
    {"go-timeout", required_argument, NULL, 'g'},
    {"scratch", required_argument, NULL, 'S'},
    {"peer", required_argument, NULL, 'P'},
    {"probe", no_argument, NULL, 'p'},
    {"host-ns", required_argument, NULL, 'H'},
    {"ceilings", required_argument, NULL, 'C'},
    {"sud", no_argument, NULL, 'U'},
    {"list", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* The number an option sets, or NULL for the options that are not a number. */
static double *number_opt(int c, struct agent_opts *o)
{
	switch (c) {
	case 'd':
		return &o->duration;
	case 'w':
		return &o->warmup;
	case 'i':
		return &o->intensity;
	case 's':
		return &o->interval;
	case 'g':
		return &o->go_timeout;
	default:
		return NULL;
	}
}

static int list_stressors(void)
{
	size_t n;
	const struct isb_stressor *const *t = isb_stressors(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", t[i]->name);
	return 0;
}

/* One option of the command line: AGENT_GO_ON, or the exit code. */
static int parse_opt(int c, const char *arg, const char *argv0, struct agent_opts *o)
{
	double *dst = number_opt(c, o);
	if (dst) {
		if (isb_parse_double(arg, dst) < 0 || *dst < 0)
			return bad_argsf("bad value '%s' for an option of %s", arg, argv0);
		return AGENT_GO_ON;
	}
	switch (c) {
	case 'r':
		if (isb_role_parse(arg, &o->role) < 0)
			return bad_argsf("bad --role '%s'", arg);
		return AGENT_GO_ON;
	case 'S':
		o->scratch = arg;
		return AGENT_GO_ON;
	case 'P':
		o->peer = arg;
		return AGENT_GO_ON;
	case 'o':
		if (o->nopts >= ISB_ARRAY_SIZE(o->opts))
			return bad_args("too many --opt");
		o->opts[o->nopts++] = arg;
		return AGENT_GO_ON;
	case 'p':
		o->probe = true;
		return AGENT_GO_ON;
	case 'H':
		o->host_ns = arg;
		return AGENT_GO_ON;
	case 'U':
		o->sud = true;
		return AGENT_GO_ON;
	case 'C':
		if (sscanf(arg, "%llu:%llu", &o->mem_ceiling, &o->pids_ceiling) != 2)
			return bad_argsf("bad --ceilings '%s' (MEM:PIDS)", arg);
		return AGENT_GO_ON;
	case 'l':
		return list_stressors();
	case 'h':
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	*o = (struct agent_opts){
	    .duration = 1, .warmup = 0, .intensity = 100, .interval = 1, .go_timeout = 30};
	o->role = ISB_ROLE_VICTIM;
	int c;
	optind = 0; /* full reset: the null backend calls us after the harness used getopt */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int r = parse_opt(c, optarg, argv[0], o);
		if (r != AGENT_GO_ON)
			return r;
	}
	return AGENT_GO_ON;
}

/* The stressor named, if it exists and can run in this role here. */
static int find_stressor(const char *name, const struct agent_opts *o,
			 const struct isb_stressor **out)
{
	const struct isb_stressor *s = isb_stressor_find(name);
	if (!s)
		return bad_argsf("unknown stressor '%s'", name);
	if (!(s->roles & o->role))
		return bad_argsf("stressor %s cannot be a %s", s->name, isb_role_name(o->role));
	if (o->intensity > 100)
		return bad_argsf("intensity %g is above 100", o->intensity);
	if (s->unavailable && s->unavailable())
		return bad_argsf("unavailable: %s", s->unavailable());
	*out = s;
	return AGENT_GO_ON;
}

/* The stressor's arguments: the command line's, then each --opt checked by the core. */
static int set_args(const struct isb_stressor *s, const struct agent_opts *o,
		    struct isb_stressor_args *a)
{
	struct isb_err err = {0};
	isb_stressor_args_init(s, a);
	a->role = o->role;
	a->duration_s = o->duration;
	a->warmup_s = o->warmup;
	a->intensity = o->intensity;
	a->sample_interval_s = o->interval;
	a->ncpus = affinity_cpus();
	a->stop = &stop_flag;
	a->scratch = o->scratch;
	a->peer = o->peer;
	for (size_t i = 0; i < o->nopts; i++) {
		char kv[256];
		snprintf(kv, sizeof(kv), "%s", o->opts[i]);
		char *eq = strchr(kv, '=');
		if (!eq)
			return bad_argsf("--opt '%s' is not NAME=VALUE", o->opts[i]);
		*eq = 0;
		if (isb_stressor_set_opt(s, a, kv, eq + 1, &err) < 0)
			return bad_args(err.msg);
	}
	return AGENT_GO_ON;
}

/* Prepare, arm SUD, say "ready" and wait for "go" (the barrier); then watch stdin. */
static int handshake(const struct isb_stressor *s, const struct agent_opts *o,
		     const struct isb_stressor_args *a)
{
	struct isb_err err = {0};
	char msg[600];
	struct isb_report ready = {.sample = agent_sample};
	if (s->prepare && s->prepare(a, &ready, &err) < 0) {
		emit_error(err.msg);
		return 1;
	}
	if (o->sud) { /* the sandbox's SUD leaf: this thread's calls go through SIGSYS from here */
		int e = isb_sud_arm();
		if (e < 0) {
			snprintf(msg, sizeof(msg), "unavailable: syscall user dispatch: %s",
				 strerror(-e));
			emit_error(msg);
			return 1;
		}
	}
	json_object *probe =
	    o->host_ns ? isb_probe(o->host_ns, o->mem_ceiling, o->pids_ceiling) : NULL;
	isb_agent_emit(
	    isb_agent_line_ready(s->name, o->role, (int)getpid(), a->ncpus, &ready, probe));
	int r = wait_go(o->go_timeout);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "no \"go\" on stdin (%s)",
			 r == -ETIMEDOUT ? "timed out"
			 : r == -EPIPE	 ? "stdin closed"
					 : "bad line");
		emit_error(msg);
		return 3;
	}
	pthread_t watcher;
	isb_sud_pause(); /* a thread cannot be created through the SUD handler */
	if (pthread_create(&watcher, NULL, stdin_watch,
			   (void *)(uintptr_t)(o->role != ISB_ROLE_VICTIM)) == 0)
		pthread_detach(watcher);
	isb_sud_resume();
	return AGENT_GO_ON;
}

/* The run itself, then one "result" or "error". */
static int run(const struct isb_stressor *s, const struct agent_opts *o,
	       const struct isb_stressor_args *a)
{
	struct isb_err err = {0};
	struct isb_report rep = {.sample = agent_sample};
	uint64_t t0 = isb_now_ns();
	int r = s->run(a, &rep, &err);
	uint64_t elapsed = isb_now_ns() - t0;
	if (o->sud) {
		unsigned long n;
		const char *st = isb_sud_state(&n);
		char v[96];
		snprintf(v, sizeof(v), "%s, %lu calls dispatched", st, n);
		isb_report_info(&rep, "sud", v);
	}
	if (o->peer && s->peer)
		isb_report_info(&rep, "peer", o->peer); /* where the traffic went */
	if (r < 0) {
		emit_error(err.msg[0] ? err.msg : "stressor failed");
		return 1;
	}
	isb_agent_emit(isb_agent_line_result(elapsed, &rep));
	return 0;
}

int isb_agent_main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--from-kernel-cmdline"))
		return agent_from_cmdline();
	struct agent_opts o;
	int r = parse_args(argc, argv, &o);
	if (r != AGENT_GO_ON)
		return r;
	if (o.probe) { /* what this tenant really has, seen from inside: one "probe" line */
		isb_agent_emit(
		    isb_agent_line_probe(isb_probe(o.host_ns, o.mem_ceiling, o.pids_ceiling)));
		return 0;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const struct isb_stressor *s = NULL;
	struct isb_stressor_args a;
	if ((r = find_stressor(argv[optind], &o, &s)) != AGENT_GO_ON ||
	    (r = set_args(s, &o, &a)) != AGENT_GO_ON || (r = handshake(s, &o, &a)) != AGENT_GO_ON)
		return r;
	return run(s, &o, &a);
}
