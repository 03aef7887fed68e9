/*
 * Counters: events named through libpfm4 and opened with perf_event_open on
 * the victim's pid with inherit, so its threads and children count too.
 * Where the machine lacks an event (no hardware PMU in many VMs) it is
 * recorded as unavailable with the errno; the others still count.
 */
#include "config.h"
#include "harness/harness.h"

#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const struct {
	const char *name; /* as recorded */
	const char *pfm;  /* as libpfm4 names it */
} events[ISB_MAX_COUNTERS] = {
    {"cycles", "perf::CYCLES"},
    {"instructions", "perf::INSTRUCTIONS"},
    {"llc_misses", "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS"},
    {"branch_misses", "perf::BRANCH-MISSES"},
    {"task_clock_ns", "perf::TASK-CLOCK"},
    {"context_switches", "perf::CONTEXT-SWITCHES"},
    {"cpu_migrations", "perf::CPU-MIGRATIONS"},
    {"page_faults", "perf::PAGE-FAULTS"},
};

#ifdef HAVE_LIBPFM
#include <perfmon/pfmlib_perf_event.h>

static int pfm_state; /* 0 not tried, 1 ok, -1 failed */
static char pfm_why[128];

static bool pfm_ready(void)
{
	if (!pfm_state) {
		int r = pfm_initialize();
		pfm_state = r == PFM_SUCCESS ? 1 : -1;
		if (r != PFM_SUCCESS)
			snprintf(pfm_why, sizeof(pfm_why), "pfm_initialize: %s", pfm_strerror(r));
	}
	return pfm_state > 0;
}

const char *isb_counters_lib(void)
{
	static char v[32];
	int ver = pfm_get_version();
	snprintf(v, sizeof(v), "libpfm4 %d.%d", PFM_MAJ_VERSION(ver), PFM_MIN_VERSION(ver));
	return v;
}

static int open_one(struct perf_event_attr *attr, pid_t pid)
{
	int fd = (int)syscall(__NR_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		/* Unprivileged: user-space only is still worth counting. */
		attr->exclude_kernel = 1;
		attr->exclude_hv = 1;
		fd = (int)syscall(__NR_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	}
	return fd;
}

void isb_counters_open_tasks(struct isb_counters *c, pid_t pid, const pid_t *threads,
			     size_t nthreads)
{
	memset(c, 0, sizeof(*c));
	c->n = ISB_MAX_COUNTERS;
	if (nthreads > ISB_MAX_COUNTER_TASKS - 1)
		nthreads = ISB_MAX_COUNTER_TASKS - 1;
	c->ntasks = 1 + nthreads;
	for (size_t i = 0; i < c->n; i++) {
		c->ev[i].name = events[i].name;
		c->ev[i].fd = -1;
		for (size_t k = 0; k < ISB_MAX_COUNTER_TASKS - 1; k++)
			c->ev[i].more[k] = -1;
		if (!pfm_ready()) {
			snprintf(c->ev[i].unavailable, sizeof(c->ev[i].unavailable), "%s", pfm_why);
			continue;
		}
		struct perf_event_attr attr;
		pfm_perf_encode_arg_t arg;
		memset(&attr, 0, sizeof(attr));
		memset(&arg, 0, sizeof(arg));
		arg.attr = &attr;
		arg.size = sizeof(arg);
		int r = pfm_get_os_event_encoding(events[i].pfm, PFM_PLM0 | PFM_PLM3,
						  PFM_OS_PERF_EVENT_EXT, &arg);
		if (r != PFM_SUCCESS) {
			snprintf(c->ev[i].unavailable, sizeof(c->ev[i].unavailable),
				 "libpfm4 %s: %s", events[i].pfm, pfm_strerror(r));
			continue;
		}
		attr.size = sizeof(attr);
		attr.inherit = 1;
		attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		int fd = open_one(&attr, pid);
		/* threads that existed before: inherit covers only those made after */
		for (size_t k = 0; fd >= 0 && k < nthreads; k++)
			c->ev[i].more[k] = open_one(&attr, threads[k]);
		if (fd < 0) {
			int e = errno;
			snprintf(c->ev[i].unavailable, sizeof(c->ev[i].unavailable),
				 "perf_event_open: %s (errno %d%s)", strerror(e), e,
				 e == ENOENT
				     ? ": no such event on this machine, e.g. no hardware PMU"
				     : "");
			continue;
		}
		c->ev[i].fd = fd;
	}
}

void isb_counters_open(struct isb_counters *c, pid_t pid)
{
	isb_counters_open_tasks(c, pid, NULL, 0);
}
#else
const char *isb_counters_lib(void)
{
	return "unavailable: built without libpfm4";
}

void isb_counters_open(struct isb_counters *c, pid_t pid)
{
	isb_counters_open_tasks(c, pid, NULL, 0);
}

void isb_counters_open_tasks(struct isb_counters *c, pid_t pid, const pid_t *threads,
			     size_t nthreads)
{
	(void)pid;
	(void)threads;
	(void)nthreads;
	memset(c, 0, sizeof(*c));
	c->n = ISB_MAX_COUNTERS;
	for (size_t i = 0; i < c->n; i++) {
		c->ev[i].name = events[i].name;
		c->ev[i].fd = -1;
		for (size_t k = 0; k < ISB_MAX_COUNTER_TASKS - 1; k++)
			c->ev[i].more[k] = -1;
		snprintf(c->ev[i].unavailable, sizeof(c->ev[i].unavailable),
			 "built without libpfm4 (--without-libpfm)");
	}
}
#endif

void isb_counters_read(struct isb_counters *c)
{
	for (size_t i = 0; i < c->n; i++) {
		uint64_t v[3];
		if (c->ev[i].fd < 0)
			continue;
		ssize_t r = read(c->ev[i].fd, v, sizeof(v));
		if (r != (ssize_t)sizeof(v)) {
			snprintf(c->ev[i].unavailable, sizeof(c->ev[i].unavailable), "read: %s",
				 r < 0 ? strerror(errno) : "short read");
			close(c->ev[i].fd);
			c->ev[i].fd = -1;
			continue;
		}
		c->ev[i].value = v[0];
		c->ev[i].enabled = v[1];
		c->ev[i].running = v[2];
		for (size_t k = 0; k < ISB_MAX_COUNTER_TASKS - 1; k++) {
			uint64_t w[3];
			if (c->ev[i].more[k] < 0 ||
			    read(c->ev[i].more[k], w, sizeof(w)) != (ssize_t)sizeof(w))
				continue; /* a thread that is gone counted nothing more */
			c->ev[i].value += w[0];
			c->ev[i].enabled += w[1];
			c->ev[i].running += w[2];
		}
	}
}

int isb_counters_value(const struct isb_counters *c, const char *name, double *v)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->ev[i].name, name) || c->ev[i].fd < 0)
			continue;
		/* scaled for multiplexing (the JSON says how much ran) */
		*v = (double)c->ev[i].value;
		if (c->ev[i].running && c->ev[i].running < c->ev[i].enabled)
			*v *= (double)c->ev[i].enabled / (double)c->ev[i].running;
		return 0;
	}
	return -1;
}

json_object *isb_counters_json(const struct isb_counters *c)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < c->n; i++) {
		json_object *e = json_object_new_object();
		if (c->ev[i].fd >= 0) {
			double v;
			isb_counters_value(c, c->ev[i].name, &v);
			json_object_object_add(e, "value", json_object_new_double(v));
			json_object_object_add(e, "raw", json_object_new_uint64(c->ev[i].value));
			json_object_object_add(
			    e, "running_fraction",
			    json_object_new_double(c->ev[i].enabled ? (double)c->ev[i].running /
									  (double)c->ev[i].enabled
								    : 0));
		} else {
			json_object_object_add(e, "unavailable",
					       json_object_new_string(c->ev[i].unavailable));
		}
		json_object_object_add(o, c->ev[i].name, e);
	}
	return o;
}

void isb_counters_close(struct isb_counters *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->ev[i].fd >= 0)
			close(c->ev[i].fd);
		c->ev[i].fd = -1;
		for (size_t k = 0; k < ISB_MAX_COUNTER_TASKS - 1; k++) {
			if (c->ev[i].more[k] >= 0)
				close(c->ev[i].more[k]);
			c->ev[i].more[k] = -1;
		}
	}
}
