/*
 * The loader of the attribution probes (harness/bpf/NAME.bpf.c), the
 * libbpf-tools way: skeletons from bpftool, settings as rodata, one tenant
 * map (tid -> tenant) shared by every object.
 *
 * Loaded and attached once per campaign; per trial, before the start
 * barrier, the maps are cleared and seeded with the tenants' threads and
 * their descendants (from /proc; forks after that are followed in the
 * kernel), and after the victim's window the summaries are read.
 *
 * Two variants, one loaded: tp_btf (BTF-typed raw tracepoints, where the
 * kernel has BTF) and classic tracepoints. Classic tracepoints are attached
 * through perf events by id; where tracefs is not mounted the ids are read
 * in a child with a private mount namespace, so nothing stays mounted.
 */
#include "config.h"
#include "harness/harness.h"

#ifdef HAVE_LIBBPF
#include "harness/bpf/attrib.h"
#include "harness/bpf/biolat.skel.h"
#include "harness/bpf/reclaim.skel.h"
#include "harness/bpf/runqlat.skel.h"
#include "harness/bpf/softirq.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINKS 32

struct isb_attrib {
	bool btf;
	struct runqlat *rq;
	struct biolat *bio;
	struct reclaim *rc;
	struct softirq *si;
	struct bpf_link *links[MAX_LINKS];
	size_t nlinks;
	int ncpus;
	unsigned long long *si_begin; /* ncpus x vectors, at begin */
	uint64_t *bits;		      /* the tenant map, mmapped: 2 bits per thread id */
	size_t bits_len;
	uint64_t begin_ns;
};

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && isb_verbose)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Only the programs of one variant are loaded, and none of an object ISOBENCH_BPF_SKIP names
 * (runqlat, biolat, reclaim, softirq: to weigh each one's cost). */
static void choose(struct bpf_object *o, const char *name, bool btf)
{
	const char *skip = getenv("ISOBENCH_BPF_SKIP");
	bool off = skip && strstr(skip, name);
	struct bpf_program *p;
	bpf_object__for_each_program(p, o)
	{
		const char *sec = bpf_program__section_name(p);
		bpf_program__set_autoload(p, !off && btf == !strncmp(sec, "tp_btf/", 7));
	}
}

/* Tracepoint ids: from tracefs where it is mounted, else in a private mount namespace. */
static int read_id(const char *root, const char *cat_name)
{
	char path[512], buf[32];
	snprintf(path, sizeof(path), "%s/events/%s/id", root, cat_name);
	return isb_read_file(path, buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
}

static int tracepoint_id(const char *cat_name)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(roots); i++) {
		int id = read_id(roots[i], cat_name);
		if (id > 0)
			return id;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int id = -1;
		if (unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
			id = read_id("/sys/kernel/tracing", cat_name);
		ssize_t w = write(p[1], &id, sizeof(id));
		(void)w;
		_exit(0);
	}
	close(p[1]);
	int id = -1;
	if (pid < 0 || read(p[0], &id, sizeof(id)) != (ssize_t)sizeof(id))
		id = -1;
	close(p[0]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return id;
}

static int attach_classic(struct isb_attrib *a, struct bpf_object *o, struct isb_err *err)
{
	struct bpf_program *p;
	bpf_object__for_each_program(p, o)
	{
		if (!bpf_program__autoload(p))
			continue;
		const char *sec = bpf_program__section_name(p) + strlen("tracepoint/");
		int id = tracepoint_id(sec);
		if (id <= 0)
			return isb_errf(err, 0, "tracepoint %s: no id (tracefs)", sec), -1;
		struct perf_event_attr attr = {.type = PERF_TYPE_TRACEPOINT,
					       .size = sizeof(attr),
					       .config = (unsigned long long)id,
					       .sample_period = 1,
					       .wakeup_events = 1};
		int fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			return isb_errf(err, 0, "perf_event_open(tracepoint %s): %s", sec,
					strerror(errno)),
			       -1;
		struct bpf_link *l = bpf_program__attach_perf_event(p, fd);
		if (!l || a->nlinks >= MAX_LINKS) {
			int e = errno;
			close(fd);
			bpf_link__destroy(l);
			return isb_errf(err, 0, "attach %s: %s", sec, strerror(e)), -1;
		}
		a->links[a->nlinks++] = l;
	}
	return 0;
}

void isb_attrib_close(struct isb_attrib *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nlinks; i++)
		bpf_link__destroy(a->links[i]);
	if (a->bits)
		munmap(a->bits, a->bits_len);
	softirq__destroy(a->si);
	reclaim__destroy(a->rc);
	biolat__destroy(a->bio);
	runqlat__destroy(a->rq);
	free(a->si_begin);
	free(a);
}

static int load(struct isb_attrib *a, struct isb_err *out)
{
	int err = 0;
	const char *what = "runqlat";
	a->rq = runqlat__open();
	a->bio = biolat__open();
	a->rc = reclaim__open();
	a->si = softirq__open();
	if (!a->rq || !a->bio || !a->rc || !a->si)
		return isb_errf(out, 0, "open the BPF objects: %s", strerror(errno)), -1;
	a->rq->rodata->follow_forks = true;
	char pm[32];
	long pid_max = isb_read_file("/proc/sys/kernel/pid_max", pm, sizeof(pm)) > 0 ? atol(pm) : 0;
	if (pid_max < 32768)
		pid_max = 4194304; /* the kernel's ceiling */
	__u32 words = (__u32)(pid_max >> 5) + 1;
	bpf_map__set_max_entries(a->rq->maps.tenants, words);
	choose(a->rq->obj, "runqlat", a->btf);
	choose(a->bio->obj, "biolat", a->btf);
	choose(a->rc->obj, "reclaim", a->btf);
	choose(a->si->obj, "softirq", a->btf);
	if ((err = runqlat__load(a->rq)))
		goto fail;
	int tfd = bpf_map__fd(a->rq->maps.tenants);
	a->bits_len = ((size_t)words * sizeof(uint64_t) + 4095) & ~(size_t)4095;
	a->bits = mmap(NULL, a->bits_len, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	if (a->bits == MAP_FAILED) {
		a->bits = NULL;
		return isb_errf(out, 0, "mmap the tenant map: %s", strerror(errno)), -1;
	}
	what = "biolat";
	if ((err = bpf_map__set_max_entries(a->bio->maps.tenants, words)) ||
	    (err = bpf_map__set_max_entries(a->rc->maps.tenants, words)) ||
	    (err = bpf_map__reuse_fd(a->bio->maps.tenants, tfd)) || (err = biolat__load(a->bio)))
		goto fail;
	what = "reclaim";
	if ((err = bpf_map__reuse_fd(a->rc->maps.tenants, tfd)) || (err = reclaim__load(a->rc)))
		goto fail;
	what = "softirq";
	if ((err = softirq__load(a->si)))
		goto fail;
	if (a->btf) {
		what = "attach";
		if ((err = runqlat__attach(a->rq)) || (err = biolat__attach(a->bio)) ||
		    (err = reclaim__attach(a->rc)) || (err = softirq__attach(a->si)))
			goto fail;
		return 0;
	}
	if (attach_classic(a, a->rq->obj, out) < 0 || attach_classic(a, a->bio->obj, out) < 0 ||
	    attach_classic(a, a->rc->obj, out) < 0 || attach_classic(a, a->si->obj, out) < 0)
		return -1;
	return 0;
fail:
	isb_errf(out, 0, "load %s (%s): %s", what, a->btf ? "tp_btf" : "tracepoint",
		 strerror(err < 0 ? -err : err));
	return -1;
}

struct isb_attrib *isb_attrib_open(struct isb_err *err)
{
	const char *want = getenv("ISOBENCH_BPF"); /* tp_btf | tracepoint | off */
	if (want && !strcmp(want, "off"))
		return isb_errf(err, 0, "ISOBENCH_BPF=off"), NULL;
	if (geteuid() != 0)
		return isb_errf(err, 0, "needs root (CAP_BPF and CAP_PERFMON)"), NULL;
	libbpf_set_print(silent);
	bool btf_ok = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	bool tries[2] = {true, false}; /* tp_btf first, then classic */
	if (want && !strcmp(want, "tracepoint"))
		tries[0] = false;
	char w0[256] = "";
	for (int i = 0; i < 2; i++) {
		bool btf = tries[i] && i == 0;
		if (i == 0 && !tries[0])
			continue;
		if (btf && !btf_ok) {
			snprintf(w0, sizeof(w0), "tp_btf: no /sys/kernel/btf/vmlinux");
			continue;
		}
		struct isb_attrib *a = calloc(1, sizeof(*a));
		if (!a)
			return isb_errf(err, 0, "out of memory"), NULL;
		a->btf = btf;
		a->ncpus = libbpf_num_possible_cpus();
		a->si_begin = calloc((size_t)(a->ncpus > 0 ? a->ncpus : 1) * ISB_BPF_SOFTIRQS,
				     sizeof(*a->si_begin));
		if (a->ncpus > 0 && a->si_begin && load(a, err) == 0)
			return a;
		if (btf)
			snprintf(w0, sizeof(w0), "%s", err->msg);
		isb_attrib_close(a);
		if (want && !strcmp(want, "tp_btf"))
			break;
	}
	if (w0[0] && !(want && !strcmp(want, "tp_btf"))) {
		char w1[256];
		snprintf(w1, sizeof(w1), "%s", err->msg);
		isb_errf(err, 0, "%s; %s", w0, w1);
	}
	return NULL;
}

const char *isb_attrib_variant(const struct isb_attrib *a)
{
	return a->btf ? "tp_btf" : "tracepoint";
}

static void clear_map(int fd, size_t key_size)
{
	unsigned char key[16], next[16];
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key) < 0)
			break;
	}
}

static void zero_array(int fd, unsigned n, size_t value_size)
{
	void *z = calloc(1, value_size);
	for (unsigned k = 0; z && k < n; k++)
		bpf_map_update_elem(fd, &k, z, BPF_ANY);
	free(z);
}

/* The threads of pid and of every descendant process, into the tenant map. */
static void mark_tid(struct isb_attrib *a, uint32_t tid, unsigned tenant)
{
	size_t w = tid >> 5;
	if ((w + 1) * sizeof(uint64_t) > a->bits_len)
		return;
	uint64_t shift = (tid & 31) * 2;
	a->bits[w] = (a->bits[w] & ~(3ull << shift)) | ((uint64_t)(tenant + 1) << shift);
}

static void track(struct isb_attrib *a, const pid_t *roots, size_t n, unsigned tenant)
{
	enum { MAXP = 32768 };
	static pid_t pids[MAXP], ppids[MAXP];
	static unsigned char mark[MAXP];
	size_t np = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d)) && np < MAXP;) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *rp = strrchr(buf, ')');
		int ppid;
		if (!rp || sscanf(rp + 2, "%*c %d", &ppid) != 1)
			continue;
		pids[np] = atoi(e->d_name);
		ppids[np++] = ppid;
	}
	if (d)
		closedir(d);
	memset(mark, 0, np);
	for (size_t i = 0; i < np; i++)
		for (size_t r = 0; r < n; r++)
			if (pids[i] == roots[r])
				mark[i] = 1;
	for (bool grew = true; grew;) { /* descendants: until nothing more is marked */
		grew = false;
		for (size_t i = 0; i < np; i++) {
			if (mark[i])
				continue;
			for (size_t j = 0; j < np; j++)
				if (mark[j] && ppids[i] == pids[j]) {
					mark[i] = 1;
					grew = true;
					break;
				}
		}
	}
	for (size_t r = 0; r < n; r++) /* a thread given by itself (a vCPU) */
		mark_tid(a, (uint32_t)roots[r], tenant);
	for (size_t i = 0; i < np; i++) {
		if (!mark[i])
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pids[i]);
		DIR *t = opendir(path);
		for (struct dirent *e; t && (e = readdir(t));) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			mark_tid(a, (uint32_t)atoi(e->d_name), tenant);
		}
		if (t)
			closedir(t);
	}
}

static void softirq_snapshot(struct isb_attrib *a, unsigned long long *out)
{
	unsigned long long *v = calloc((size_t)a->ncpus, sizeof(*v));
	int fd = bpf_map__fd(a->si->maps.softirq_ns);
	for (unsigned k = 0; v && k < ISB_BPF_SOFTIRQS; k++) {
		if (bpf_map_lookup_elem(fd, &k, v) < 0)
			continue;
		for (int c = 0; c < a->ncpus; c++)
			out[(size_t)c * ISB_BPF_SOFTIRQS + k] = v[c];
	}
	free(v);
}

int isb_attrib_begin(struct isb_attrib *a, const pid_t *victim, size_t nv, const pid_t *aggressor,
		     size_t na)
{
	if (!a)
		return -1;
	memset(a->bits, 0, a->bits_len);
	clear_map(bpf_map__fd(a->rq->maps.start), sizeof(__u32));
	clear_map(bpf_map__fd(a->rc->maps.reclaim_start), sizeof(__u32));
	clear_map(bpf_map__fd(a->rc->maps.compact_start), sizeof(__u32));
	clear_map(bpf_map__fd(a->bio->maps.reqs), sizeof(__u64));
	clear_map(bpf_map__fd(a->bio->maps.inflight), sizeof(__u64)); /* with the requests */
	zero_array(bpf_map__fd(a->rq->maps.rqstats), ISB_BPF_TENANTS, sizeof(struct isb_rq_stats));
	zero_array(bpf_map__fd(a->bio->maps.biostats), ISB_BPF_TENANTS,
		   sizeof(struct isb_bio_stats));
	zero_array(bpf_map__fd(a->rc->maps.reclaimstats), ISB_BPF_TENANTS,
		   sizeof(struct isb_reclaim_stats));
	if (na)
		track(a, aggressor, na, ISB_BPF_AGGRESSOR);
	track(a, victim, nv, ISB_BPF_VICTIM); /* the victim's last: it wins a shared thread */
	softirq_snapshot(a, a->si_begin);
	a->begin_ns = isb_now_ns();
	return 0;
}

/* A percentile of a log2 histogram: the middle of its slot (1.5 x 2^slot). */
static double hist_pct(const unsigned long long *h, unsigned long long n, double p)
{
	unsigned long long want = (unsigned long long)(p * (double)n + 0.5), seen = 0;
	for (int i = 0; i < ISB_BPF_SLOTS; i++) {
		seen += h[i];
		if (n && seen >= (want ? want : 1))
			return 1.5 * (double)(1ull << i);
	}
	return 0;
}

static json_object *num(double v)
{
	return json_object_new_double(v);
}

/* The victim's run-queue waits, who preempted it, and the CPUs it ran on (*cpumask). */
static json_object *runq_json(struct isb_attrib *a, double win, unsigned long long *cpumask)
{
	static const char *const who[ISB_WHO__COUNT] = {"aggressor", "other", "kernel", "self"};
	struct isb_rq_stats rs;
	__u32 k = ISB_BPF_VICTIM;
	if (bpf_map_lookup_elem(bpf_map__fd(a->rq->maps.rqstats), &k, &rs) != 0)
		return NULL;
	json_object *r = json_object_new_object(), *pb = json_object_new_object(),
		    *wb = json_object_new_object();
	json_object_object_add(r, "count", json_object_new_uint64(rs.count));
	json_object_object_add(r, "wait_ns", json_object_new_uint64(rs.total_ns));
	json_object_object_add(r, "wait_ms_per_s", num((double)rs.total_ns / 1e6 / win));
	json_object_object_add(r, "p50_ns", num(hist_pct(rs.hist, rs.count, 0.50)));
	json_object_object_add(r, "p99_ns", num(hist_pct(rs.hist, rs.count, 0.99)));
	unsigned long long np = 0, nw = 0;
	for (int i = 0; i < ISB_WHO__COUNT; i++) {
		json_object_object_add(pb, who[i], json_object_new_uint64(rs.preempted_by[i]));
		json_object_object_add(wb, who[i], json_object_new_uint64(rs.waited_behind[i]));
		if (i == ISB_WHO_SELF)
			continue; /* its own threads are not a neighbour */
		np += rs.preempted_by[i];
		nw += rs.waited_behind[i];
	}
	json_object_object_add(r, "preempted_by", pb);
	json_object_object_add(r, "waited_behind", wb);
	/* the share of the victim's preemptions by others that the aggressor caused */
	json_object_object_add(r, "aggressor_share",
			       np   ? num((double)rs.preempted_by[ISB_WHO_AGGRESSOR] / (double)np)
			       : nw ? num((double)rs.waited_behind[ISB_WHO_AGGRESSOR] / (double)nw)
				    : NULL);
	json_object *hist = json_object_new_array();
	for (int i = 0; i < ISB_BPF_SLOTS; i++)
		json_object_array_add(hist, json_object_new_uint64(rs.hist[i]));
	json_object_object_add(r, "hist_log2_ns", hist);
	*cpumask = rs.cpumask;
	json_object_object_add(r, "cpumask", json_object_new_uint64(rs.cpumask));
	return r;
}

/* Block I/O, both tenants. */
static json_object *bio_json(struct isb_attrib *a)
{
	json_object *b = json_object_new_object();
	for (__u32 t = 0; t < ISB_BPF_TENANTS; t++) {
		struct isb_bio_stats bs;
		if (bpf_map_lookup_elem(bpf_map__fd(a->bio->maps.biostats), &t, &bs) < 0)
			continue;
		json_object *x = json_object_new_object();
		json_object_object_add(x, "count", json_object_new_uint64(bs.count));
		json_object_object_add(x, "bytes", json_object_new_uint64(bs.bytes));
		json_object_object_add(x, "mean_ns",
				       num(bs.count ? (double)bs.total_ns / (double)bs.count : 0));
		json_object_object_add(x, "p50_ns", num(hist_pct(bs.hist, bs.count, 0.50)));
		json_object_object_add(x, "p99_ns", num(hist_pct(bs.hist, bs.count, 0.99)));
		json_object_object_add(x, "qd_mean",
				       num(bs.count ? (double)bs.qd_sum / (double)bs.count : 0));
		json_object_object_add(x, "qd_max", json_object_new_uint64(bs.qd_max));
		json_object_object_add(x, "read_count", json_object_new_uint64(bs.rw_count[0]));
		json_object_object_add(x, "write_count", json_object_new_uint64(bs.rw_count[1]));
		json_object_object_add(x, "read_bytes", json_object_new_uint64(bs.rw_bytes[0]));
		json_object_object_add(x, "write_bytes", json_object_new_uint64(bs.rw_bytes[1]));
		json_object_object_add(b, t == ISB_BPF_VICTIM ? "victim" : "aggressor", x);
	}
	return b;
}

/* Reclaim and compaction stalls of the victim, or NULL. */
static json_object *reclaim_json(struct isb_attrib *a, double win)
{
	struct isb_reclaim_stats cs;
	__u32 k = ISB_BPF_VICTIM;
	if (bpf_map_lookup_elem(bpf_map__fd(a->rc->maps.reclaimstats), &k, &cs) != 0)
		return NULL;
	json_object *x = json_object_new_object();
	json_object_object_add(x, "reclaim_count", json_object_new_uint64(cs.reclaim_count));
	json_object_object_add(x, "compact_count", json_object_new_uint64(cs.compact_count));
	json_object_object_add(x, "stall_ms_per_s",
			       num((double)(cs.reclaim_ns + cs.compact_ns) / 1e6 / win));
	json_object_object_add(x, "reclaim_ns", json_object_new_uint64(cs.reclaim_ns));
	json_object_object_add(x, "compact_ns", json_object_new_uint64(cs.compact_ns));
	return x;
}

/* Softirq time on the CPUs the victim ran on, or NULL. */
static json_object *softirq_json(struct isb_attrib *a, unsigned long long cpumask, double win)
{
	unsigned long long *now = calloc((size_t)a->ncpus * ISB_BPF_SOFTIRQS, sizeof(*now));
	if (!now)
		return NULL;
	softirq_snapshot(a, now);
	static const char *const vec[ISB_BPF_SOFTIRQS] = {
	    "hi",	"timer",   "net_tx", "net_rx",	"block",
	    "irq_poll", "tasklet", "sched",  "hrtimer", "rcu"};
	double sum[ISB_BPF_SOFTIRQS] = {0}, total = 0;
	for (int c = 0; c < a->ncpus && c < 64; c++) {
		if (!(cpumask & (1ull << c)))
			continue;
		for (int v = 0; v < ISB_BPF_SOFTIRQS; v++) {
			size_t i = (size_t)c * ISB_BPF_SOFTIRQS + (size_t)v;
			sum[v] += (double)(now[i] - a->si_begin[i]);
		}
	}
	json_object *x = json_object_new_object();
	for (int v = 0; v < ISB_BPF_SOFTIRQS; v++) {
		char key[32];
		snprintf(key, sizeof(key), "%s_ms_per_s", vec[v]);
		json_object_object_add(x, key, num(sum[v] / 1e6 / win));
		total += sum[v];
	}
	json_object_object_add(x, "total_ms_per_s", num(total / 1e6 / win));
	free(now);
	return x;
}

json_object *isb_attrib_end(struct isb_attrib *a, double window_s)
{
	json_object *o = json_object_new_object(), *x;
	unsigned long long cpumask = 0;
	json_object_object_add(o, "variant", json_object_new_string(isb_attrib_variant(a)));
	double win = window_s > 0 ? window_s : (double)(isb_now_ns() - a->begin_ns) / 1e9;
	json_object_object_add(o, "window_s", num(win));
	if ((x = runq_json(a, win, &cpumask)))
		json_object_object_add(o, "runq", x);
	json_object_object_add(o, "bio", bio_json(a));
	if ((x = reclaim_json(a, win)))
		json_object_object_add(o, "reclaim", x);
	if ((x = softirq_json(a, cpumask, win)))
		json_object_object_add(o, "softirq", x);
	return o;
}

#else /* built --without-libbpf */

struct isb_attrib *isb_attrib_open(struct isb_err *err)
{
	isb_errf(err, 0, "built without libbpf (--without-libbpf)");
	return NULL;
}
const char *isb_attrib_variant(const struct isb_attrib *a)
{
	(void)a;
	return "none";
}
int isb_attrib_begin(struct isb_attrib *a, const pid_t *victim, size_t nv, const pid_t *aggressor,
		     size_t na)
{
	(void)a;
	(void)victim;
	(void)nv;
	(void)aggressor;
	(void)na;
	return -1;
}
json_object *isb_attrib_end(struct isb_attrib *a, double window_s)
{
	(void)a;
	(void)window_s;
	return NULL;
}
void isb_attrib_close(struct isb_attrib *a)
{
	(void)a;
}
#endif
