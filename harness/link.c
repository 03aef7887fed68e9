/*
 * The campaign's shaped link (link_rate): a bottleneck of a set rate in the
 * test network, so that network tenants compete for a link and not only for
 * CPU. The test network's veth pair becomes the wire: its near end (in
 * isobench-<id>-a) is a port of the hub bridge that the tenants join, its far
 * end (in isobench-<id>-b) a port of a second bridge, also named isbbr, that
 * the peers join (the measurement infrastructure at the far end of the
 * wire). Every byte a tenant sends to its peer leaves the near end, whose
 * egress carries an HTB root at the link's rate: with no class of their own
 * the victim and the aggressor share its default class (one FIFO), as the
 * processes of a host share its NIC; a configuration with net.rate or a
 * cgroups policy gives each tenant an HTB class matched by its source address
 * (u32). Where HTB is missing the link is shaped by TBF (one class only) and
 * says why no tenant can have a class. Native tenants (and tenants without a
 * network namespace of their own) join the near namespace itself; native
 * peers the far one. Everything lives in the campaign's two namespaces and
 * goes with them (isb_testnet_remove, or the next start after a kill).
 */
#include "config.h"
#include "harness/harness.h"

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rate_arg(uint64_t bps, char *buf, size_t size)
{
	snprintf(buf, size, "%llubit", (unsigned long long)bps);
}

/* A class's own queue: 50 ms of its rate (at least 32 KiB), in bytes, as a router's buffer
 * would be; the default (txqueuelen packets, each up to a 64 KiB GSO segment) would let a
 * sender queue seconds of data beyond the shaper and count it as sent. */
static int leaf_fifo(struct isb_link *l, const char *dev, unsigned k, uint64_t rate,
		     struct isb_err *err)
{
	char parent[16], handle[16], limit[32];
	uint64_t b = rate / 8 / 20;
	snprintf(parent, sizeof(parent), "1:%x", k);
	snprintf(handle, sizeof(handle), "%x:", k);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)(b > 32768 ? b : 32768));
	return isb_run_prog(err, "tc", "-n", l->ns[0], "qdisc", "add", "dev", dev, "parent", parent,
			    "handle", handle, "bfifo", "limit", limit, NULL);
}

int isb_link_create(const struct isb_testnet *n, uint64_t rate, struct isb_link *l,
		    struct isb_err *err)
{
	const char *near = n->ns[0], *far = n->ns[1];
	char far_cidr[40], r[32], low[32], burst[32];
	memset(l, 0, sizeof(*l));
	snprintf(l->ns[0], sizeof(l->ns[0]), "%s", near);
	snprintf(l->ns[1], sizeof(l->ns[1]), "%s", far);
	snprintf(l->dev, sizeof(l->dev), "%s", n->link[0]);
	snprintf(l->far_addr, sizeof(l->far_addr), "%s.252", n->subnet);
	snprintf(far_cidr, sizeof(far_cidr), "%s/24", l->far_addr);
	l->rate = rate;
	l->next_class = 0x100;
	/* the pair's own /30 goes: its ends become bridge ports, one wire in one subnet */
	if (isb_run_prog(err, "ip", "-n", near, "addr", "flush", "dev", n->link[0], NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", far, "addr", "flush", "dev", n->link[1], NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", far, "link", "add", "isbbr", "type", "bridge", NULL) <
		0 ||
	    isb_run_prog(err, "ip", "-n", far, "addr", "add", far_cidr, "dev", "isbbr", NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", far, "link", "set", "isbbr", "up", NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", near, "link", "set", n->link[0], "master", "isbbr",
			 NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", far, "link", "set", n->link[1], "master", "isbbr", NULL) <
		0)
		return -EIO;
	rate_arg(rate, r, sizeof(r));
	/* the default class: a small guarantee, the whole link when nobody else wants it */
	rate_arg(rate / 100 > 8000 ? rate / 100 : 8000, low, sizeof(low));
	const char *fault = getenv("ISOBENCH_FAULT");
	struct isb_err herr = {0};
	if (fault && strstr(fault, "no-htb")) {
		snprintf(l->no_class, sizeof(l->no_class),
			 "no htb qdisc (ISOBENCH_FAULT=no-htb: a host without it, simulated)");
	} else if (isb_run_prog(&herr, "tc", "-n", near, "qdisc", "add", "dev", n->link[0], "root",
				"handle", "1:", "htb", "default", "10", NULL) < 0) {
		snprintf(l->no_class, sizeof(l->no_class), "no htb qdisc: %s", herr.msg);
	} else if (isb_run_prog(err, "tc", "-n", near, "class", "add", "dev", n->link[0], "parent",
				"1:", "classid", "1:1", "htb", "rate", r, "ceil", r, NULL) < 0 ||
		   isb_run_prog(err, "tc", "-n", near, "class", "add", "dev", n->link[0], "parent",
				"1:1", "classid", "1:10", "htb", "rate", low, "ceil", r,
				NULL) < 0) {
		return -EIO;
	} else if (leaf_fifo(l, n->link[0], 0x10, rate, err) < 0) {
		return -EIO;
	} else {
		l->htb = true;
	}
	if (!l->htb) {
		/* one token bucket: still a bottleneck, but no tenant can have a class */
		uint64_t b = rate / 8 / 100; /* 10 ms of the link */
		snprintf(burst, sizeof(burst), "%llu", (unsigned long long)(b > 16384 ? b : 16384));
		if (isb_run_prog(err, "tc", "-n", near, "qdisc", "add", "dev", n->link[0], "root",
				 "handle", "1:", "tbf", "rate", r, "burst", burst, "latency",
				 "50ms", NULL) < 0) {
			size_t o = strlen(err->msg);
			snprintf(err->msg + o, sizeof(err->msg) - o, " (after %s)", l->no_class);
			return -EIO;
		}
	}
	l->up = true;
	return 0;
}

int isb_link_class_add(struct isb_link *l, const char *src, uint64_t rate, uint64_t ceil,
		       unsigned *id, struct isb_err *err)
{
	char classid[16], flowid[16], prio[16], match[40], r[32], c[32];
	*id = 0;
	if (!l->up || !l->htb)
		return isb_errf(err, 0, "the link has no per-tenant classes: %s",
				l->up ? l->no_class : "it is not up");
	unsigned k = l->next_class++;
	if (k > 0xfffe)
		return isb_errf(err, 0, "the link ran out of class ids");
	snprintf(classid, sizeof(classid), "1:%x", k);
	snprintf(flowid, sizeof(flowid), "1:%x", k);
	snprintf(prio, sizeof(prio), "%u", k);
	snprintf(match, sizeof(match), "%s/32", src);
	rate_arg(rate, r, sizeof(r));
	rate_arg(ceil, c, sizeof(c));
	if (isb_run_prog(err, "tc", "-n", l->ns[0], "class", "add", "dev", l->dev, "parent", "1:1",
			 "classid", classid, "htb", "rate", r, "ceil", c, NULL) < 0)
		return -EIO;
	if (leaf_fifo(l, l->dev, k, ceil, err) < 0) {
		isb_run_prog(NULL, "tc", "-n", l->ns[0], "class", "del", "dev", l->dev, "classid",
			     classid, NULL);
		return -EIO;
	}
	/* one filter per priority, so that it can be deleted alone */
	if (isb_run_prog(err, "tc", "-n", l->ns[0], "filter", "add", "dev", l->dev, "parent",
			 "1:", "protocol", "ip", "prio", prio, "u32", "match", "ip", "src", match,
			 "flowid", flowid, NULL) < 0) {
		isb_run_prog(NULL, "tc", "-n", l->ns[0], "class", "del", "dev", l->dev, "classid",
			     classid, NULL);
		return -EIO;
	}
	*id = k;
	return 0;
}

void isb_link_class_del(struct isb_link *l, unsigned id)
{
	char classid[16], prio[16];
	struct isb_err err = {0};
	if (!id || !l->up)
		return;
	snprintf(classid, sizeof(classid), "1:%x", id);
	snprintf(prio, sizeof(prio), "%u", id);
	/* the filter first: a class a filter points to cannot be deleted */
	if (isb_run_prog(&err, "tc", "-n", l->ns[0], "filter", "del", "dev", l->dev, "parent",
			 "1:", "protocol", "ip", "prio", prio, NULL) < 0 ||
	    isb_run_prog(&err, "tc", "-n", l->ns[0], "class", "del", "dev", l->dev, "classid",
			 classid, NULL) < 0)
		isb_log("link", "%s", err.msg);
}

int isb_link_enter(const struct isb_link *l, int side, struct isb_err *err)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", l->ns[side ? 1 : 0]);
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
		int e = errno;
		if (self >= 0)
			close(self);
		if (target >= 0)
			close(target);
		return isb_errf(err, e, "enter the link's network namespace %s", path);
	}
	close(target);
	return self;
}

void isb_link_leave(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET) < 0) {
		/* cannot happen to root; never go on in the campaign's namespace */
		isb_log("link", "cannot return to the host's network namespace: %s",
			strerror(errno));
		abort();
	}
	close(saved);
}

json_object *isb_link_stats(const struct isb_link *l)
{
	char out[32768];
	const char *argv[] = {"tc",    "-n",   l->ns[0], "-s",	 "-j",
			      "qdisc", "show", "dev",	 l->dev, NULL};
	if (!l->up || isb_run_output((char *const *)argv, out, sizeof(out)) != 0)
		return NULL;
	return json_tokener_parse(out);
}

/* bytes and drops of the qdisc with this handle ("1:" the root, "100:" a class's leaf) */
static bool qdisc_counts(json_object *stats, const char *handle, double *bytes, double *drops)
{
	size_t n = stats && json_object_is_type(stats, json_type_array)
		       ? json_object_array_length(stats)
		       : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *q = json_object_array_get_idx(stats, i), *h, *b, *d;
		if (json_object_object_get_ex(q, "handle", &h) &&
		    !strcmp(json_object_get_string(h), handle) &&
		    json_object_object_get_ex(q, "bytes", &b) &&
		    json_object_object_get_ex(q, "drops", &d)) {
			*bytes = json_object_get_double(b);
			*drops = json_object_get_double(d);
			return true;
		}
	}
	return false;
}

static void add_delta(json_object *o, const char *key, json_object *a, json_object *b,
		      const char *handle, double win)
{
	double b0, d0, b1, d1;
	if (!qdisc_counts(a, handle, &b0, &d0) || !qdisc_counts(b, handle, &b1, &d1))
		return;
	json_object *t = json_object_new_object();
	json_object_object_add(t, "bytes_per_s", json_object_new_double((b1 - b0) / win));
	json_object_object_add(t, "drops_per_s", json_object_new_double((d1 - d0) / win));
	json_object_object_add(o, key, t);
}

json_object *isb_link_delta(const struct isb_link *l, json_object *a, json_object *b,
			    unsigned victim_class, unsigned aggressor_class, double win)
{
	char h[16];
	if (!l->up || !a || !b || win <= 0)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "rate_bps", json_object_new_int64((int64_t)l->rate));
	json_object_object_add(o, "qdisc", json_object_new_string(l->htb ? "htb" : "tbf"));
	double b0, d0, b1, d1;
	if (qdisc_counts(a, "1:", &b0, &d0) && qdisc_counts(b, "1:", &b1, &d1)) {
		json_object_object_add(o, "bytes_per_s", json_object_new_double((b1 - b0) / win));
		json_object_object_add(o, "drops_per_s", json_object_new_double((d1 - d0) / win));
		json_object_object_add(
		    o, "utilisation",
		    json_object_new_double((b1 - b0) * 8 / win / (double)l->rate));
	}
	if (victim_class) {
		snprintf(h, sizeof(h), "%x:", victim_class);
		add_delta(o, "victim_class", a, b, h, win);
	}
	if (aggressor_class) {
		snprintf(h, sizeof(h), "%x:", aggressor_class);
		add_delta(o, "aggressor_class", a, b, h, win);
	}
	return o;
}
