/*
 * Attribution of degraded cells: through which channel the victim suffered
 * (kernel probes, PSI, its cgroup, counters) and where the loss came from:
 * a neighbour, its own limit, or the host. A network cell adds its stack's
 * work on the victim's CPUs and what the shared link carried and dropped.
 */
#include "config.h"
#include "analysis/cells.h"

#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a loss comes from: a neighbour (the aggressor took the CPU, the queue, the memory),
 * the victim's own limit (its quota, its memory or io limit: not a failure of isolation),
 * or the host (steal time, other tasks). Production noisy-neighbour monitors draw the
 * same line, and a ranking must not blame isolation for a victim's own quota. */
enum source { SRC_NEIGHBOUR, SRC_LIMIT, SRC_HOST };
static const char *const source_names[] = {"neighbour", "own limit", "host"};

static const struct channel {
	const char *label, *path, *unit;
	double scale; /* to the unit */
	double floor; /* growth below this is noise */
	enum source src;
} channels[] = {
    {"run-queue wait", "bpf/runq/wait_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"block I/O latency (mean)", "bpf/bio/victim/mean_ns", "ms", 1e-6, 0.05, SRC_NEIGHBOUR},
    {"block queue depth met", "bpf/bio/victim/qd_mean", "requests", 1, 1, SRC_NEIGHBOUR},
    {"direct reclaim and compaction stalls", "bpf/reclaim/stall_ms_per_s", "ms/s", 1, 1,
     SRC_NEIGHBOUR},
    {"softirq time on its CPUs", "bpf/softirq/total_ms_per_s", "ms/s", 1, 5, SRC_NEIGHBOUR},
    {"NET_RX softirq time on its CPUs", "bpf/softirq/net_rx_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"NET_TX softirq time on its CPUs", "bpf/softirq/net_tx_ms_per_s", "ms/s", 1, 2, SRC_NEIGHBOUR},
    {"CPU pressure (PSI some)", "psi/cpu/some_ms_per_s", "ms/s", 1, 20, SRC_NEIGHBOUR},
    {"memory pressure (PSI some)", "psi/memory/some_ms_per_s", "ms/s", 1, 5, SRC_NEIGHBOUR},
    {"I/O pressure (PSI some)", "psi/io/some_ms_per_s", "ms/s", 1, 20, SRC_NEIGHBOUR},
    {"steal time (the hypervisor under this host)", "psi/steal/ms_per_s", "ms/s", 1, 20, SRC_HOST},
    {"cgroup CPU throttling", "cgroup/cpu.stat.throttled_usec", "ms", 1e-3, 5, SRC_LIMIT},
    {"cgroup CPU throttling", "cgroup/cpu.stat.throttled_time", "ms", 1e-6, 5, SRC_LIMIT},
    {"cgroup memory high/max events", "cgroup/memory.events.max", "events", 1, 1, SRC_LIMIT},
    {"cgroup memory high events", "cgroup/memory.events.high", "events", 1, 1, SRC_LIMIT},
    {"cgroup memory limit hits", "cgroup/memory.failcnt", "events", 1, 1, SRC_LIMIT},
    {"context switches", "perf/context_switches_per_s", "/s", 1, 50, SRC_NEIGHBOUR},
    {"page faults", "perf/page_faults_per_s", "/s", 1, 500, SRC_NEIGHBOUR},
};
#define NCHAN (sizeof(channels) / sizeof(channels[0]))

/* Calls fn(doc, contended, arg) with the attribution document of each ok trial of the cell
 * that has one. */
static void for_attribution(const struct isb_analysis *a, const struct isb_cell *c,
			    void (*fn)(json_object *, bool, void *), void *arg)
{
	for (size_t i = 0; i < a->trials.n; i++) {
		const struct isb_trial_row *t = &a->trials.row[i];
		if (t->cell_id != c->row.id || strcmp(t->status, "ok") || !t->attribution_json)
			continue;
		cleanup_json json_object *j = json_tokener_parse(t->attribution_json);
		if (j)
			fn(j, t->contended, arg);
	}
}

/* The channels' values over a cell's trials, and the aggressor's share of the preemptions. */
struct channel_values {
	struct isb_vec v[NCHAN][2], share;
	char *bpf_unavailable; /* sizeof(struct isb_attribution.bpf_unavailable) */
};

static void add_channels(json_object *j, bool cont, void *arg)
{
	struct channel_values *cv = arg;
	json_object *b, *u;
	for (size_t k = 0; k < NCHAN; k++) {
		double x = isb_jpath(j, channels[k].path);
		if (isfinite(x))
			isb_vpush(&cv->v[k][cont], x * channels[k].scale);
	}
	double sh = isb_jpath(j, "bpf/runq/aggressor_share");
	if (cont && isfinite(sh))
		isb_vpush(&cv->share, sh);
	if (!cv->bpf_unavailable[0] && json_object_object_get_ex(j, "bpf", &b) &&
	    json_object_object_get_ex(b, "unavailable", &u))
		snprintf(cv->bpf_unavailable,
			 sizeof(((struct isb_attribution *)0)->bpf_unavailable), "%s",
			 json_object_get_string(u));
}

struct grown {
	size_t k;
	double b, c, score;
};

/* The channels grown beyond noise (by their floor and by half again their baseline), largest
 * relative growth first; their number. */
static size_t grown_channels(const struct channel_values *cv, struct grown *best)
{
	size_t nb = 0;
	for (size_t k = 0; k < NCHAN; k++) {
		if (!cv->v[k][0].n || !cv->v[k][1].n)
			continue;
		double b = isb_median(cv->v[k][0].v, cv->v[k][0].n);
		double cc = isb_median(cv->v[k][1].v, cv->v[k][1].n);
		double grow = cc - b;
		if (grow > channels[k].floor && cc > 1.5 * b) {
			best[nb].k = k;
			best[nb].b = b;
			best[nb].c = cc;
			best[nb++].score = grow / (b > channels[k].floor ? b : channels[k].floor);
		}
	}
	for (size_t i = 0; i < nb; i++)
		for (size_t j = i + 1; j < nb; j++)
			if (best[j].score > best[i].score) {
				struct grown t = best[i];
				best[i] = best[j];
				best[j] = t;
			}
	return nb;
}

/* The channels that grew most from baseline to contended, as text; "" when none did. */
static void attribute_channels(const struct isb_analysis *a, const struct isb_cell *c,
			       struct isb_attribution *at)
{
	struct channel_values cv = {.bpf_unavailable = at->bpf_unavailable};
	struct grown best[NCHAN];
	char *out = at->channels, *source = at->source;
	size_t size = sizeof(at->channels), source_size = sizeof(at->source), o = 0;
	for_attribution(a, c, add_channels, &cv);
	size_t nb = grown_channels(&cv, best);
	double share = cv.share.n ? isb_median(cv.share.v, cv.share.n) : NAN;
	bool from[3] = {false};
	for (size_t i = 0; i < nb && i < 3; i++) {
		const struct channel *ch = &channels[best[i].k];
		enum source src = ch->src;
		/* run-queue wait behind tasks other than the aggressor: the host's */
		if (!strcmp(ch->path, "bpf/runq/wait_ms_per_s") && cv.share.n && share < 0.5)
			src = SRC_HOST;
		from[src] = true;
	}
	for (size_t i = 0, so = 0; i < 3 && so < source_size; i++)
		if (from[i])
			so += (size_t)snprintf(source + so, source_size - so, "%s%s",
					       so ? ", " : "", source_names[i]);
	for (size_t i = 0; i < nb && i < 3 && o < size; i++) {
		const struct channel *ch = &channels[best[i].k];
		char b[32], cc[32], g[32];
		isb_fmt_num(b, sizeof(b), best[i].b);
		isb_fmt_num(cc, sizeof(cc), best[i].c);
		isb_fmt_num(g, sizeof(g), best[i].c - best[i].b);
		o += (size_t)snprintf(out + o, size - o, "%s%s +%s %s (%s → %s)", o ? "; " : "",
				      ch->label, g, ch->unit, b, cc);
		if (!strcmp(ch->path, "bpf/runq/wait_ms_per_s") && cv.share.n && o < size)
			o += (size_t)snprintf(out + o, size - o,
					      ", the aggressor preempted the victim %.0f %% of the "
					      "time",
					      100 * share);
	}
	for (size_t k = 0; k < NCHAN; k++) {
		free(cv.v[k][0].v);
		free(cv.v[k][1].v);
	}
	free(cv.share.v);
}

/* ---- network attribution: the network stack's work on the victim's CPUs, the link ---- */

enum { NRX, NTX, RUNQ, LUTIL, LDROP, LVDROP, LBYTES, LVBYTES, NCH };
static const struct {
	const char *label, *path;
	double floor; /* ms/s, for the growth channels */
} net_ch[NCH] = {
    {"NET_RX softirq", "bpf/softirq/net_rx_ms_per_s", 2},
    {"NET_TX softirq", "bpf/softirq/net_tx_ms_per_s", 2},
    {"run-queue wait", "bpf/runq/wait_ms_per_s", 2},
    {"link utilisation", "link/utilisation", 0},
    {"link drops", "link/drops_per_s", 0},
    {"victim class drops", "link/victim_class/drops_per_s", 0},
    {"link bytes", "link/bytes_per_s", 0},
    {"victim class bytes", "link/victim_class/bytes_per_s", 0},
};

static void add_net(json_object *j, bool cont, void *arg)
{
	struct isb_vec(*v)[2] = arg;
	for (size_t k = 0; k < NCH; k++) {
		double x = isb_jpath(j, net_ch[k].path);
		if (isfinite(x))
			isb_vpush(&v[k][cont], x);
	}
}

/* The shared link, on a shaped one (link_rate): how busy, what it dropped. */
static size_t link_text(double med[NCH][2], char *out, size_t size, size_t o)
{
	if (!isfinite(med[LUTIL][0]) || !isfinite(med[LUTIL][1]) || o >= size)
		return o;
	char d[32];
	isb_fmt_num(d, sizeof(d), isfinite(med[LDROP][1]) ? med[LDROP][1] : 0);
	o += (size_t)snprintf(out + o, size - o,
			      "%sthe shared link was %.0f %% busy beside the aggressor "
			      "(%.0f %% with the victim alone) and dropped %s packets/s",
			      o ? "; " : "network: ", 100 * med[LUTIL][1], 100 * med[LUTIL][0], d);
	if (isfinite(med[LVDROP][1]) && o < size)
		o += (size_t)snprintf(out + o, size - o, ", %s in the victim's own class",
				      med[LVDROP][1] > 0 ? "some" : "none");
	if (isfinite(med[LVBYTES][1]) && med[LBYTES][1] > 0 && o < size)
		o += (size_t)snprintf(out + o, size - o,
				      "; the victim's class carried %.0f %% of it",
				      100 * med[LVBYTES][1] / med[LBYTES][1]);
	return o;
}

/* For a network cell: the growth of NET_RX and NET_TX softirq time on the CPUs the victim
 * ran on (the kernel's network stack, working for whoever sent or received, on the victim's
 * CPU) and of the victim's run-queue wait, each named when it grew beyond its noise floor
 * and not already named; on a shaped link (link_rate), how busy the link was and what it
 * dropped, in the contended trials against the baseline ones (medians). */
static void network_attribution(const struct isb_analysis *a, const struct isb_cell *c,
				const char *named, char *out, size_t size)
{
	struct isb_vec v[NCH][2];
	double med[NCH][2];
	bool any = false;
	size_t o = 0;
	out[0] = 0;
	if (strcmp(c->row.resource, "network"))
		return;
	memset(v, 0, sizeof(v));
	for_attribution(a, c, add_net, v);
	for (size_t k = 0; k < NCH; k++)
		for (int m = 0; m < 2; m++) {
			med[k][m] = v[k][m].n ? isb_median(v[k][m].v, v[k][m].n) : NAN;
			free(v[k][m].v);
		}
	for (size_t k = NRX; k <= RUNQ && o < size; k++) {
		double b = med[k][0], cc = med[k][1];
		if (!isfinite(b) || !isfinite(cc) || cc - b <= net_ch[k].floor || cc <= 1.5 * b)
			continue;
		any = true;
		if (strstr(named, net_ch[k].label))
			continue; /* the channels before it named it already */
		char bs[32], cs[32], gs[32];
		isb_fmt_num(bs, sizeof(bs), b);
		isb_fmt_num(cs, sizeof(cs), cc);
		isb_fmt_num(gs, sizeof(gs), cc - b);
		o += (size_t)snprintf(out + o, size - o, "%s%s +%s ms/s (%s → %s)%s",
				      o ? "; " : "network: ", net_ch[k].label, gs, bs, cs,
				      k < RUNQ ? " on the victim's CPUs" : "");
	}
	if (!any && isfinite(med[NRX][0]) && isfinite(med[NRX][1]) && o < size)
		o += (size_t)snprintf(out + o, size - o,
				      "network: neither NET_RX/NET_TX softirq time nor run-queue "
				      "wait grew");
	link_text(med, out, size, o);
}

void isb_attribute_cell(const struct isb_analysis *a, const struct isb_cell *c,
			struct isb_attribution *out)
{
	memset(out, 0, sizeof(*out));
	attribute_channels(a, c, out);
	network_attribution(a, c, out->channels, out->network, sizeof(out->network));
}
