/*
 * What each tenant used, seen from the host over the victim's window (issue 13: pressure is
 * measured where the resource is): CPU time, resident memory, block I/O that reached the
 * block layer, and bytes on its network link. A stressor's own report says what it asked
 * for; these say what the host did for it, so an aggressor's achieved pressure can be set
 * beside native's, and a disk cell whose I/O never reached a device (a sandbox's or a
 * guest's page cache, O_DIRECT not honoured) can be told apart.
 *
 * The tenant is its process tree: its first host process and every descendant (one /proc
 * walk at each end of the window, a few milliseconds), plus its own cgroup where it has one.
 */
#include "config.h"
#include "harness/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HU_MAXP = 32768 };

struct hu_proc {
	pid_t pid, ppid;
	unsigned long long ticks; /* utime + stime + cutime + cstime */
	long rss_pages;
};

/* Every process's parent, CPU ticks and resident pages, from /proc/PID/stat. */
static size_t hu_scan(struct hu_proc *p, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[64], buf[1024];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *rp = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
		unsigned long long ut, st;
		long long cut, cst;
		long rss;
		int ppid;
		/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
		 * cutime cstime priority nice threads itrealvalue starttime vsize rss */
		if (!rp || sscanf(rp + 2,
				  "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld "
				  "%*d %*d %*d %*d %*u %*u %ld",
				  &ppid, &ut, &st, &cut, &cst, &rss) != 6)
			continue;
		p[n].pid = atoi(e->d_name);
		p[n].ppid = ppid;
		p[n].ticks = ut + st + (unsigned long long)(cut > 0 ? cut : 0) +
			     (unsigned long long)(cst > 0 ? cst : 0);
		p[n].rss_pages = rss;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Marks root and its descendants in mark[]; returns how many. */
static size_t hu_tree(const struct hu_proc *p, size_t n, pid_t root, unsigned char *mark)
{
	size_t count = 0;
	memset(mark, 0, n);
	for (size_t i = 0; i < n; i++)
		if (p[i].pid == root)
			mark[i] = 1, count++;
	for (bool grew = count > 0; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (mark[i])
				continue;
			for (size_t j = 0; j < n; j++)
				if (mark[j] && p[i].ppid == p[j].pid) {
					mark[i] = 1, count++;
					grew = true;
					break;
				}
		}
	}
	return count;
}

static unsigned long long ns_inode(pid_t pid)
{
	char path[64];
	struct stat st;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

struct hu_netread {
	int fd;
	char buf[8192];
	int err;
};

/* In a thread of its own (setns moves only the calling thread): the namespace's
 * /proc/thread-self/net/dev. A thread, not the tenant's process, because that may have
 * exited by the window's end (an agent that gave its result) while its namespace lives on. */
static void *hu_netread_thread(void *arg)
{
	struct hu_netread *r = arg;
	if (setns(r->fd, CLONE_NEWNET) < 0)
		r->err = errno ? errno : EINVAL;
	else if (isb_read_file("/proc/thread-self/net/dev", r->buf, sizeof(r->buf)) <= 0)
		r->err = errno ? errno : EIO;
	return NULL;
}

/* The tenant's link in its own network namespace: bytes it sent and received. A tap (a
 * guest's NIC) counts from the host's side: what the guest sent arrives on the tap. Else
 * every link but loopback (a container's veth end, eth0). 0, or -1 with err. */
static int hu_net(int nsfd, unsigned long long *tx, unsigned long long *rx, struct isb_err *err)
{
	static struct hu_netread rd;
	pthread_t th;
	memset(&rd, 0, sizeof(rd));
	rd.fd = nsfd;
	int e = pthread_create(&th, NULL, hu_netread_thread, &rd);
	if (e)
		return isb_errf(err, 0, "cannot start a thread to read its namespace's links: %s",
				strerror(e)),
		       -1;
	pthread_join(th, NULL);
	if (rd.err)
		return isb_errf(err, 0, "cannot read its namespace's /proc/net/dev: %s",
				strerror(rd.err)),
		       -1;
	char *buf = rd.buf;
	unsigned long long ttx = 0, trx = 0, otx = 0, orx = 0;
	bool tap = false, other = false;
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon)
			continue; /* the two header lines */
		*colon = 0;
		const char *name = isb_trim(l);
		unsigned long long r, t;
		/* rx: bytes packets errs drop fifo frame compressed multicast; then tx bytes */
		if (sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &r, &t) != 2)
			continue;
		if (!strcmp(name, "lo"))
			continue;
		if (!strncmp(name, "isbtap", 6)) {
			tap = true;
			ttx += r; /* the guest's transmissions */
			trx += t;
		} else {
			other = true;
			otx += t;
			orx += r;
		}
	}
	if (!tap && !other)
		return isb_errf(err, 0,
				"no link in its network namespace (only loopback: it has no "
				"network stressor)"),
		       -1;
	*tx = tap ? ttx : otx;
	*rx = tap ? trx : orx;
	return 0;
}

/* One number from a cgroup file: the whole file, or the value after "key ". */
static int cg_num(const struct isb_tenant *t, const char *file, const char *key, double *v)
{
	for (size_t d = 0; d < t->ncgroups; d++) {
		char path[700], buf[4096];
		snprintf(path, sizeof(path), "%s/%s", t->cgroups[d], file);
		if (isb_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		if (!key) {
			*v = strtod(buf, NULL);
			return 0;
		}
		size_t kl = strlen(key);
		for (char *save, *l = strtok_r(buf, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			if (!strncmp(l, key, kl) && l[kl] == ' ') {
				*v = strtod(l + kl + 1, NULL);
				return 0;
			}
	}
	return -1;
}

/* Its cgroup's block I/O: v2 io.stat (rbytes wbytes rios wios, per device) or v1
 * blkio.throttle.io_service_bytes / io_serviced ("MAJ:MIN Read N", per device). */
static int cg_blk(const struct isb_tenant *t, double out[4])
{
	bool got = false;
	memset(out, 0, 4 * sizeof(double));
	for (size_t d = 0; d < t->ncgroups; d++) {
		char path[700], buf[8192];
		snprintf(path, sizeof(path), "%s/io.stat", t->cgroups[d]);
		if (isb_read_file(path, buf, sizeof(buf)) > 0) {
			static const char *const k[4] = {"rbytes=", "wbytes=", "rios=", "wios="};
			for (char *s = buf; *s; s++)
				for (int i = 0; i < 4; i++)
					if (!strncmp(s, k[i], strlen(k[i])) &&
					    (s == buf || s[-1] == ' '))
						out[i] += strtod(s + strlen(k[i]), NULL);
			got = true;
			continue;
		}
		static const char *const f[2] = {"blkio.throttle.io_service_bytes",
						 "blkio.throttle.io_serviced"};
		for (int j = 0; j < 2; j++) {
			snprintf(path, sizeof(path), "%s/%s", t->cgroups[d], f[j]);
			if (isb_read_file(path, buf, sizeof(buf)) <= 0)
				continue;
			got = true;
			for (char *save, *l = strtok_r(buf, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save)) {
				char dev[32], op[16];
				double v;
				if (sscanf(l, "%31s %15s %lf", dev, op, &v) != 3 ||
				    !strchr(dev, ':'))
					continue;
				if (!strcmp(op, "Read"))
					out[2 * j] += v;
				else if (!strcmp(op, "Write"))
					out[2 * j + 1] += v;
			}
		}
	}
	return got ? 0 : -1;
}

/* The tenant's CPU time in its own cgroup (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
static int cg_cpu(const struct isb_tenant *t, double *s)
{
	double v;
	if (cg_num(t, "cpuacct.usage", NULL, &v) == 0)
		return *s = v / 1e9, 0;
	if (cg_num(t, "cpu.stat", "usage_usec", &v) == 0)
		return *s = v / 1e6, 0;
	return -1;
}

/* from: the same tenant's snapshot at the barrier (NULL: this is it); its namespace's fd. */
static void hu_snap(struct isb_hostuse_tenant *h, const struct isb_tenant *t,
		    const struct hu_proc *p, size_t n, unsigned char *mark,
		    const struct isb_hostuse_tenant *from)
{
	memset(h, 0, sizeof(*h));
	if (!t || t->pid <= 0)
		return;
	h->present = true;
	h->ntree = hu_tree(p, n, t->pid, mark);
	unsigned long long self_ns = ns_inode(0);
	for (size_t i = 0; i < n; i++) {
		if (!mark[i])
			continue;
		h->ticks += p[i].ticks;
		h->rss_pages += p[i].rss_pages > 0 ? p[i].rss_pages : 0;
		unsigned long long ino = h->net_pid || from ? 0 : ns_inode(p[i].pid);
		if (ino && self_ns && ino != self_ns)
			h->net_pid =
			    p[i].pid; /* the first of its processes in a netns of its own */
	}
	h->cpu_cg_ok = cg_cpu(t, &h->cpu_cg_s) == 0;
	h->blk_cg_ok = cg_blk(t, h->blk_cg) == 0;
	if (!from && h->net_pid) { /* held until the end: the process may not be */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)h->net_pid);
		h->net_fd = open(path, O_RDONLY | O_CLOEXEC);
		h->has_netns = h->net_fd >= 0;
		if (!h->has_netns)
			snprintf(h->net_why, sizeof(h->net_why), "cannot open %s: %s", path,
				 strerror(errno));
	}
	if ((from && from->has_netns) || (!from && h->has_netns)) {
		struct isb_err err = {0};
		if (from)
			h->net_pid = from->net_pid;
		h->net_ok =
		    hu_net(from ? from->net_fd : h->net_fd, &h->net_tx, &h->net_rx, &err) == 0;
		if (!h->net_ok)
			snprintf(h->net_why, sizeof(h->net_why), "%s", err.msg);
	} else if (!h->net_why[0]) {
		snprintf(h->net_why, sizeof(h->net_why), "%s",
			 from && from->net_why[0]
			     ? from->net_why
			     : "it shares the host's network namespace: its traffic (loopback) is "
			       "not told apart from other processes'");
	}
}

static void hu_close(struct isb_hostuse *h)
{
	for (int i = 0; i < 2; i++)
		if (h->t[i].has_netns) {
			close(h->t[i].net_fd);
			h->t[i].has_netns = false;
		}
}

/* What every physical block device (one with a device behind it in /sys/block: not a
 * partition, loop, device-mapper or RAM disk, so nothing is counted twice) completed, from
 * /proc/diskstats: read, write bytes; read, write requests. What no tenant issued itself
 * (writeback of its page cache by kernel threads) shows here and not in its own counts. */
static int hu_devices(double out[4])
{
	static char buf[65536];
	memset(out, 0, 4 * sizeof(double));
	if (isb_read_file("/proc/diskstats", buf, sizeof(buf)) <= 0)
		return -1;
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[64], path[128];
		double rd, rsec, wr, wsec;
		/* major minor name reads merged sectors ms writes merged sectors ... */
		if (sscanf(l, "%*u %*u %63s %lf %*f %lf %*f %lf %*f %lf", name, &rd, &rsec, &wr,
			   &wsec) != 5)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device", name);
		if (access(path, F_OK) < 0)
			continue;
		out[0] += rsec * 512, out[1] += wsec * 512, out[2] += rd, out[3] += wr;
	}
	return 0;
}

void isb_hostuse_begin(struct isb_hostuse *h, const struct isb_tenant *victim,
		       const struct isb_tenant *aggressor)
{
	static struct hu_proc p[HU_MAXP];
	static unsigned char mark[HU_MAXP];
	size_t n = hu_scan(p, HU_MAXP);
	hu_snap(&h->t[0], victim, p, n, mark, NULL);
	hu_snap(&h->t[1], aggressor, p, n, mark, NULL);
	h->dev_ok = hu_devices(h->dev) == 0;
	h->begun = true;
}

static void put_unavail(json_object *o, const char *key, const char *why)
{
	json_object *u = json_object_new_object();
	json_object_object_add(u, "unavailable", json_object_new_string(why));
	json_object_object_add(o, key, u);
}

/* The block probe's numbers for this tenant, from the attribution's bpf.bio.NAME. */
static json_object *bpf_bio(json_object *att, const char *name)
{
	json_object *b, *bio, *x;
	if (att && json_object_object_get_ex(att, "bpf", &b) &&
	    json_object_object_get_ex(b, "bio", &bio) && json_object_object_get_ex(bio, name, &x) &&
	    json_object_object_get_ex(x, "read_bytes", NULL))
		return x;
	return NULL;
}

static json_object *hu_tenant(const struct isb_hostuse_tenant *a,
			      const struct isb_hostuse_tenant *b, const struct isb_tenant *t,
			      json_object *bio, const char *bpf_why)
{
	json_object *o = json_object_new_object();
	const double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	json_object_object_add(o, "processes", json_object_new_int64((int64_t)b->ntree));
	/* CPU: its own cgroup counts every task in it to the nanosecond; else its tree */
	if (a->cpu_cg_ok && b->cpu_cg_ok) {
		json_object_object_add(o, "cpu_s",
				       json_object_new_double(b->cpu_cg_s - a->cpu_cg_s));
		json_object_object_add(o, "cpu_source", json_object_new_string("cgroup"));
	} else {
		double d = b->ticks >= a->ticks ? (double)(b->ticks - a->ticks) / tick : 0;
		json_object_object_add(o, "cpu_s", json_object_new_double(d));
		json_object_object_add(o, "cpu_source", json_object_new_string("proc"));
	}
	if (a->cpu_cg_ok && b->cpu_cg_ok) /* the tree too: runtimes outside the cgroup */
		json_object_object_add(
		    o, "tree_cpu_s",
		    json_object_new_double(
			b->ticks >= a->ticks ? (double)(b->ticks - a->ticks) / tick : 0));
	/* the larger of the two: a victim may have exited, its fio too, by the window's end */
	long long rss = a->rss_pages > b->rss_pages ? a->rss_pages : b->rss_pages;
	json_object_object_add(o, "rss_bytes", json_object_new_double((double)rss * page));
	double v;
	if (cg_num(t, "memory.usage_in_bytes", NULL, &v) == 0 ||
	    cg_num(t, "memory.current", NULL, &v) == 0)
		json_object_object_add(o, "cg_mem_bytes", json_object_new_double(v));
	if (cg_num(t, "memory.max_usage_in_bytes", NULL, &v) == 0 ||
	    cg_num(t, "memory.peak", NULL, &v) == 0)
		json_object_object_add(o, "cg_mem_peak_bytes", json_object_new_double(v));
	/* block I/O: the probe sees each request that reached a block device; else the cgroup */
	static const char *const keys[4] = {"blk_read_bytes", "blk_write_bytes", "blk_read_reqs",
					    "blk_write_reqs"};
	static const char *const cgkeys[4] = {"cg_blk_read_bytes", "cg_blk_write_bytes",
					      "cg_blk_read_reqs", "cg_blk_write_reqs"};
	bool cg = a->blk_cg_ok && b->blk_cg_ok;
	if (bio) {
		static const char *const bk[4] = {"read_bytes", "write_bytes", "read_count",
						  "write_count"};
		for (int i = 0; i < 4; i++) {
			json_object *x;
			json_object_object_get_ex(bio, bk[i], &x);
			json_object_object_add(o, keys[i], json_object_get(x));
		}
		json_object_object_add(o, "blk_source", json_object_new_string("bpf"));
	} else if (cg) {
		for (int i = 0; i < 4; i++)
			json_object_object_add(o, keys[i],
					       json_object_new_double(b->blk_cg[i] - a->blk_cg[i]));
		json_object_object_add(o, "blk_source", json_object_new_string("cgroup"));
	} else {
		char why[400];
		snprintf(why, sizeof(why),
			 "no block probe (%s) and no cgroup of its own with I/O statistics",
			 bpf_why && *bpf_why ? bpf_why : "not loaded");
		for (int i = 0; i < 4; i++)
			put_unavail(o, keys[i], why);
	}
	if (cg && bio)
		for (int i = 0; i < 4; i++)
			json_object_object_add(o, cgkeys[i],
					       json_object_new_double(b->blk_cg[i] - a->blk_cg[i]));
	/* network: the link of its own namespace */
	if (a->net_ok && b->net_ok) {
		json_object_object_add(o, "net_tx_bytes",
				       json_object_new_double((double)(b->net_tx - a->net_tx)));
		json_object_object_add(o, "net_rx_bytes",
				       json_object_new_double((double)(b->net_rx - a->net_rx)));
	} else {
		const char *why = !a->net_ok ? a->net_why : b->net_why;
		put_unavail(o, "net_tx_bytes", why);
		put_unavail(o, "net_rx_bytes", why);
	}
	return o;
}

void isb_hostuse_end(struct isb_hostuse *h, json_object *att, const struct isb_tenant *victim,
		     const struct isb_tenant *aggressor, const char *bpf_why)
{
	if (!h->begun || !att) {
		hu_close(h);
		return;
	}
	static struct hu_proc p[HU_MAXP];
	static unsigned char mark[HU_MAXP];
	size_t n = hu_scan(p, HU_MAXP);
	struct isb_hostuse_tenant e[2];
	hu_snap(&e[0], victim, p, n, mark, &h->t[0]);
	hu_snap(&e[1], aggressor, p, n, mark, &h->t[1]);
	hu_close(h);
	json_object *o = json_object_new_object();
	static const char *const names[2] = {"victim", "aggressor"};
	const struct isb_tenant *ts[2] = {victim, aggressor};
	for (int i = 0; i < 2; i++) {
		if (!h->t[i].present || !e[i].present) {
			json_object *u = json_object_new_object();
			json_object_object_add(
			    u, "unavailable",
			    json_object_new_string(i == 1 && !h->t[i].present
						       ? "no aggressor in this trial (a baseline)"
						       : "the tenant was gone at the end of the "
							 "window"));
			json_object_object_add(o, names[i], u);
			continue;
		}
		json_object_object_add(
		    o, names[i],
		    hu_tenant(&h->t[i], &e[i], ts[i], bpf_bio(att, names[i]), bpf_why));
	}
	double dev[4];
	if (h->dev_ok && hu_devices(dev) == 0) {
		static const char *const dk[4] = {"read_bytes", "write_bytes", "read_reqs",
						  "write_reqs"};
		json_object *d = json_object_new_object();
		for (int i = 0; i < 4; i++)
			json_object_object_add(d, dk[i],
					       json_object_new_double(dev[i] - h->dev[i]));
		json_object_object_add(o, "devices", d);
	} else {
		json_object *u = json_object_new_object();
		json_object_object_add(u, "unavailable",
				       json_object_new_string("cannot read /proc/diskstats"));
		json_object_object_add(o, "devices", u);
	}
	json_object_object_add(o, "window", json_object_new_string("victim"));
	json_object_object_add(att, "host", o);
}
