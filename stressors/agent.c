/*
 * isobench-agent: the one program that runs inside every tenant. It runs
 * one stressor in one role and speaks JSON lines on stdout: "ready", then it
 * waits for "go" on stdin (the start barrier), then "sample" lines and one
 * "result" (or "error"). "stop" or end of stdin ends an aggressor early.
 * It depends on nothing but argv, stdin and stdout (and libc), so the same
 * binary works in a container, a sandbox or a VM.
 *
 * Exit codes: 0 result written, 1 stressor failed, 2 bad arguments,
 * 3 no "go" before the barrier timeout.
 */
#include "config.h"
#include "stressors/agent.h"
#include "stressors/stressor.h"
#include "stressors/probe.h"
#include "stressors/sud.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop_flag;

static void emit(const char *line)
{
	pthread_mutex_lock(&out_lock);
	fputs(line, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* JSON string escaping for the few free-text fields (error messages). */
static void json_escape(char *dst, size_t size, const char *src)
{
	size_t o = 0;
	for (; *src && o + 7 < size; src++) {
		unsigned char c = (unsigned char)*src;
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, size - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = 0;
}

static void emit_error(const char *msg)
{
	char esc[1024], line[1200];
	json_escape(esc, sizeof(esc), msg);
	snprintf(line, sizeof(line), "{\"event\":\"error\",\"message\":\"%s\"}", esc);
	emit(line);
}

static void agent_sample(struct isb_report *r, uint64_t t_ns, double ops)
{
	char line[160];
	snprintf(line, sizeof(line), "{\"event\":\"sample\",\"t_ns\":%llu,\"ops\":%.17g}",
		 (unsigned long long)t_ns, ops);
	emit(line);
}

/* An aggressor stops at "stop" or end of stdin; a victim only at "stop" (its window is fixed). */
/* ,"info":{"key":"value",...} from a report's words, if it has any. */
static void append_info(char *line, size_t size, size_t *o, const struct isb_report *r)
{
	for (size_t i = 0; i < r->ninfo && *o < size; i++) {
		char esc[1000];
		json_escape(esc, sizeof(esc), r->info[i].value);
		*o += (size_t)snprintf(line + *o, size - *o, "%s\"%s\":\"%s\"",
				       i ? "," : ",\"info\":{", r->info[i].key, esc);
	}
	if (r->ninfo && *o < size)
		*o += (size_t)snprintf(line + *o, size - *o, "}");
}

static void *stdin_watch(void *arg)
{
	bool eof_stops = *(const unsigned *)arg != ISB_ROLE_VICTIM;
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
		if (strstr(buf, "stop"))
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
			return strcmp(isb_trim(buf), "go") == 0 ? 0 : -EPROTO;
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

/* What this tenant really has, seen from inside: one "probe" line. */
static int agent_probe(const char *host_ns, uint64_t mem_ceiling, uint64_t pids_ceiling)
{
	json_object *p = isb_probe(host_ns, mem_ceiling, pids_ceiling);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("probe"));
	json_object_object_foreach(p, k, v) json_object_object_add(o, k, json_object_get(v));
	emit(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	json_object_put(p);
	return 0;
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

int isb_agent_main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--from-kernel-cmdline"))
		return agent_from_cmdline();
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
	char msg[600];
	struct isb_err err = {0};
	const char *opts[ISB_MAX_OPTS * 2];
	size_t nopts = 0;
	double duration = 1, warmup = 0, intensity = 100, interval = 1, go_timeout = 30;
	unsigned role = ISB_ROLE_VICTIM;
	const char *scratch = NULL, *peer = NULL, *host_ns = NULL;
	unsigned long long mem_ceiling = 0, pids_ceiling = 0;
	bool probe = false, sud = false;
	int c;

	optind = 0; /* full reset: the null backend calls us after the harness used getopt */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		double *dst = NULL;
		switch (c) {
		case 'r':
			if (isb_role_parse(optarg, &role) < 0) {
				snprintf(msg, sizeof(msg), "bad --role '%s'", optarg);
				return bad_args(msg);
			}
			break;
		case 'd':
			dst = &duration;
			break;
		case 'w':
			dst = &warmup;
			break;
		case 'i':
			dst = &intensity;
			break;
		case 's':
			dst = &interval;
			break;
		case 'g':
			dst = &go_timeout;
			break;
		case 'S':
			scratch = optarg;
			break;
		case 'P':
			peer = optarg;
			break;
		case 'o':
			if (nopts >= ISB_ARRAY_SIZE(opts))
				return bad_args("too many --opt");
			opts[nopts++] = optarg;
			break;
		case 'p':
			probe = true;
			break;
		case 'H':
			host_ns = optarg;
			break;
		case 'U':
			sud = true;
			break;
		case 'C':
			if (sscanf(optarg, "%llu:%llu", &mem_ceiling, &pids_ceiling) != 2) {
				snprintf(msg, sizeof(msg), "bad --ceilings '%s' (MEM:PIDS)",
					 optarg);
				return bad_args(msg);
			}
			break;
		case 'l': {
			size_t n;
			const struct isb_stressor *const *t = isb_stressors(&n);
			for (size_t i = 0; i < n; i++)
				printf("%s\n", t[i]->name);
			return 0;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (dst && (isb_parse_double(optarg, dst) < 0 || *dst < 0)) {
			snprintf(msg, sizeof(msg), "bad value '%s' for an option of %s", optarg,
				 argv[0]);
			return bad_args(msg);
		}
	}
	if (probe)
		return agent_probe(host_ns, mem_ceiling, pids_ceiling);
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const struct isb_stressor *s = isb_stressor_find(argv[optind]);
	if (!s) {
		snprintf(msg, sizeof(msg), "unknown stressor '%s'", argv[optind]);
		return bad_args(msg);
	}
	if (!(s->roles & role)) {
		snprintf(msg, sizeof(msg), "stressor %s cannot be a %s", s->name,
			 isb_role_name(role));
		return bad_args(msg);
	}
	if (intensity > 100) {
		snprintf(msg, sizeof(msg), "intensity %g is above 100", intensity);
		return bad_args(msg);
	}
	if (s->unavailable && s->unavailable()) {
		snprintf(msg, sizeof(msg), "unavailable: %s", s->unavailable());
		return bad_args(msg);
	}
	struct isb_stressor_args a;
	isb_stressor_args_init(s, &a);
	a.role = role;
	a.duration_s = duration;
	a.warmup_s = warmup;
	a.intensity = intensity;
	a.sample_interval_s = interval;
	a.ncpus = affinity_cpus();
	a.stop = &stop_flag;
	a.scratch = scratch;
	a.peer = peer;
	for (size_t i = 0; i < nopts; i++) {
		char kv[256];
		snprintf(kv, sizeof(kv), "%s", opts[i]);
		char *eq = strchr(kv, '=');
		if (!eq) {
			snprintf(msg, sizeof(msg), "--opt '%s' is not NAME=VALUE", opts[i]);
			return bad_args(msg);
		}
		*eq = 0;
		if (isb_stressor_set_opt(s, &a, kv, eq + 1, &err) < 0)
			return bad_args(err.msg);
	}

	struct isb_report ready = {.sample = agent_sample};
	if (s->prepare && s->prepare(&a, &ready, &err) < 0) {
		emit_error(err.msg);
		return 1;
	}
	if (sud) { /* the sandbox's SUD leaf: this thread's calls go through SIGSYS from here */
		int e = isb_sud_arm();
		if (e < 0) {
			snprintf(msg, sizeof(msg), "unavailable: syscall user dispatch: %s",
				 strerror(-e));
			emit_error(msg);
			return 1;
		}
	}
	char line[16384];
	size_t o =
	    (size_t)snprintf(line, sizeof(line),
			     "{\"event\":\"ready\",\"stressor\":\"%s\",\"role\":\"%s\",\"pid\":%d,"
			     "\"ncpus\":%u,\"isobench_version\":\"%s\"",
			     s->name, isb_role_name(role), (int)getpid(), a.ncpus, PACKAGE_VERSION);
	append_info(line, sizeof(line), &o, &ready);
	if (host_ns && o < sizeof(line)) {
		json_object *p = isb_probe(host_ns, mem_ceiling, pids_ceiling);
		o += (size_t)snprintf(
		    line + o, sizeof(line) - o, ",\"probe\":%s",
		    json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(p);
	}
	if (o < sizeof(line))
		snprintf(line + o, sizeof(line) - o, "}");
	emit(line);
	int r = wait_go(go_timeout);
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
	if (pthread_create(&watcher, NULL, stdin_watch, &role) == 0)
		pthread_detach(watcher);
	isb_sud_resume();

	struct isb_report rep = {.sample = agent_sample};
	uint64_t t0 = isb_now_ns();
	r = s->run(&a, &rep, &err);
	uint64_t elapsed = isb_now_ns() - t0;
	if (sud) {
		unsigned long n;
		const char *st = isb_sud_state(&n);
		char v[96];
		snprintf(v, sizeof(v), "%s, %lu calls dispatched", st, n);
		isb_report_info(&rep, "sud", v);
	}
	if (peer && s->peer)
		isb_report_info(&rep, "peer", peer); /* where the traffic went */
	if (r < 0) {
		emit_error(err.msg[0] ? err.msg : "stressor failed");
		return 1;
	}
	o = (size_t)snprintf(line, sizeof(line),
			     "{\"event\":\"result\",\"elapsed_ns\":%llu,"
			     "\"metrics\":{",
			     (unsigned long long)elapsed);
	for (size_t i = 0; i < rep.nmetrics && o < sizeof(line); i++) {
		char num[40] = "null"; /* never a silent zero */
		if (isfinite(rep.metrics[i].value))
			snprintf(num, sizeof(num), "%.17g", rep.metrics[i].value);
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s\"%s\":%s", i ? "," : "",
				      rep.metrics[i].name, num);
	}
	if (o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, "}");
	append_info(line, sizeof(line), &o, &rep);
	if (o < sizeof(line))
		snprintf(line + o, sizeof(line) - o, "}");
	emit(line);
	return 0;
}
