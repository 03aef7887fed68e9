/*
 * Cache ways and memory bandwidth per tenant through Linux resctrl (Intel
 * RDT, AMD PQoS): the container class's keys llc.ways and mb.percent. Each
 * tenant gets a resctrl group of its own, isobench-<campaign>-<tenant>,
 * whose schemata gives the victim's side a contiguous run of L3 ways from
 * the low end and the aggressor's side the same number from the high end
 * (disjoint masks), and both the same memory bandwidth share; the tenant's
 * threads are written to its tasks file (resctrl is per task; children
 * inherit at fork). Groups go with the tenant, and a campaign's stale sweep
 * removes those of dead campaigns.
 *
 * isobench never mounts resctrl itself: a host whose CPU allocates but
 * whose /sys/fs/resctrl is not mounted makes the configuration unavailable
 * with the mount command in the reason (mounting it would change every
 * other task's view of the host for the campaign's sake).
 *
 * The root is a parameter: tests build a directory tree that looks like
 * resctrl and check what was written.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/rdt.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef RDTGROUP_SUPER_MAGIC
#define RDTGROUP_SUPER_MAGIC 0x7655821
#endif

const char *isb_rdt_root(void)
{
	const char *e = getenv("ISOBENCH_RESCTRL_ROOT");
	return e && *e ? e : ISB_RESCTRL_ROOT;
}

static bool read_at(const char *root, const char *file, char *buf, size_t size)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/%s", root, file);
	if (isb_read_file(path, buf, size) < 0)
		return false;
	isb_trim(buf);
	return true;
}

static bool read_uint(const char *root, const char *file, unsigned *v)
{
	char buf[64];
	if (!read_at(root, file, buf, sizeof(buf)) || !buf[0])
		return false;
	*v = (unsigned)strtoul(buf, NULL, 10);
	return true;
}

/* What /proc/cpuinfo's flags say about allocation: "cat_l3, mba" or "". */
static void cpu_flags(char *out, size_t size, bool *vm)
{
	static char info[1 << 16];
	out[0] = 0;
	*vm = false;
	if (isb_read_file("/proc/cpuinfo", info, sizeof(info)) <= 0)
		return;
	char *f = strstr(info, "\nflags");
	if (!f)
		return;
	char *nl = strchr(f + 1, '\n');
	if (nl)
		*nl = 0;
	static const char *const want[] = {"rdt_a", "cat_l3", "cdp_l3", "mba"};
	size_t o = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(want); i++) {
		char w[24];
		snprintf(w, sizeof(w), " %s ", want[i]);
		char line[8192];
		snprintf(line, sizeof(line), "%s ", f);
		if (strstr(line, w) && o < size)
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "", want[i]);
	}
	*vm = strstr(f, " hypervisor") != NULL;
}

/* Why a root with no info/ directory offers nothing: the CPU, the kernel or the mount. */
static void why_missing(const char *root, struct isb_err *err)
{
	if (strcmp(root, ISB_RESCTRL_ROOT)) {
		isb_errf(err, 0, "%s/info is missing (not a resctrl mount)", root);
		return;
	}
	char flags[128], fs[4096] = "";
	bool vm;
	cpu_flags(flags, sizeof(flags), &vm);
	if (!flags[0]) {
		isb_errf(
		    err, 0,
		    "the CPU reports no cache or memory-bandwidth allocation (no rdt_a, cat_l3 "
		    "or mba flag in /proc/cpuinfo%s)",
		    vm ? "; a virtual machine: its hypervisor does not pass RDT/PQoS through" : "");
		return;
	}
	if (isb_read_file("/proc/filesystems", fs, sizeof(fs)) < 0 || !strstr(fs, "\tresctrl")) {
		isb_errf(err, 0,
			 "the CPU has %s but the kernel has no resctrl file system "
			 "(CONFIG_X86_CPU_RESCTRL, or rdt= on its command line)",
			 flags);
		return;
	}
	isb_errf(err, 0,
		 "the CPU has %s but resctrl is not mounted at %s (mount -t resctrl resctrl %s; "
		 "isobench does not mount it itself)",
		 flags, ISB_RESCTRL_ROOT, ISB_RESCTRL_ROOT);
}

/* "0=7ff;1=7ff" → the domain ids, and the first value (hex or decimal). */
static size_t parse_domains(const char *line, unsigned *dom, size_t max, unsigned long long *first,
			    int base)
{
	char buf[1024];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save, *t = strtok_r(buf, ";", &save); t && n < max;
	     t = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			continue;
		*eq = 0;
		dom[n] = (unsigned)strtoul(isb_trim(t), NULL, 10);
		if (!n && first)
			*first = strtoull(eq + 1, NULL, base);
		n++;
	}
	return n;
}

static bool mounted_mbps(const char *root)
{
	static char mounts[1 << 16];
	if (isb_read_file("/proc/mounts", mounts, sizeof(mounts)) <= 0)
		return false;
	for (char *save, *l = strtok_r(mounts, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dev[64], dir[512], type[32], opts[512];
		if (sscanf(l, "%63s %511s %31s %511s", dev, dir, type, opts) == 4 &&
		    !strcmp(type, "resctrl") && !strcmp(dir, root) && strstr(opts, "mba_MBps"))
			return true;
	}
	return false;
}

int isb_rdt_probe(const char *root, struct isb_rdt_host *h, struct isb_err *err)
{
	memset(h, 0, sizeof(*h));
	char path[800], buf[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/info", root);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		why_missing(root, err);
		return -1;
	}
	const char *l3info = "info/L3";
	snprintf(path, sizeof(path), "%s/info/L3CODE", root);
	if (access(path, F_OK) == 0) {
		h->cdp = true;
		l3info = "info/L3CODE";
	}
	char f[64];
	snprintf(f, sizeof(f), "%s/cbm_mask", l3info);
	if (read_at(root, f, buf, sizeof(buf)) && buf[0]) {
		h->cbm_mask = strtoull(buf, NULL, 16);
		h->cbm_bits = (unsigned)__builtin_popcountll(h->cbm_mask);
		snprintf(f, sizeof(f), "%s/min_cbm_bits", l3info);
		if (!read_uint(root, f, &h->min_cbm_bits))
			h->min_cbm_bits = 1;
		snprintf(f, sizeof(f), "%s/num_closids", l3info);
		read_uint(root, f, &h->l3_closids);
	}
	if (read_uint(root, "info/MB/bandwidth_gran", &h->mb_gran)) {
		read_uint(root, "info/MB/min_bandwidth", &h->mb_min);
		read_uint(root, "info/MB/num_closids", &h->mb_closids);
		if (!h->mb_gran)
			h->mb_gran = 1;
	}
	/* the default group's schemata: the cache domains and the MB maximum */
	if (!read_at(root, "schemata", buf, sizeof(buf))) {
		isb_errf(err, 0, "cannot read %s/schemata", root);
		return -1;
	}
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l = isb_trim(l);
		unsigned long long first = 0;
		if (h->cbm_bits && (!strncmp(l, "L3:", 3) || !strncmp(l, "L3CODE:", 7))) {
			h->nl3 = parse_domains(strchr(l, ':') + 1, h->l3_dom, ISB_RDT_MAX_DOMAINS,
					       NULL, 16);
			h->l3 = h->nl3 > 0;
		} else if (h->mb_gran && !strncmp(l, "MB:", 3)) {
			h->nmb = parse_domains(l + 3, h->mb_dom, ISB_RDT_MAX_DOMAINS, &first, 10);
			h->mb = h->nmb > 0;
			h->mb_max = (unsigned)first;
		}
	}
	h->mb_percent = h->mb_max == 100;
	h->mba_mbps = h->mb && !h->mb_percent && mounted_mbps(root);
	if (!h->l3 && !h->mb) {
		isb_errf(err, 0, "resctrl at %s offers no L3 or MB allocation (monitoring only)",
			 root);
		return -1;
	}
	return 0;
}

uint64_t isb_rdt_mask(const struct isb_rdt_host *h, unsigned ways, int side)
{
	if (!ways || ways > h->cbm_bits)
		return 0;
	unsigned shift = h->cbm_mask ? (unsigned)__builtin_ctzll(h->cbm_mask) : 0;
	uint64_t run = ways >= 64 ? ~0ull : (1ull << ways) - 1;
	return side ? run << (shift + h->cbm_bits - ways) : run << shift;
}

unsigned isb_rdt_mb_value(const struct isb_rdt_host *h, unsigned percent)
{
	unsigned gran = h->mb_gran ? h->mb_gran : 1;
	/* a percentage on Intel; AMD takes an absolute value whose maximum is the default's */
	double want = h->mb_percent ? percent : (double)percent * h->mb_max / 100.0;
	unsigned v = (unsigned)((want + gran / 2.0) / gran) * gran;
	if (v < h->mb_min)
		v = (h->mb_min + gran - 1) / gran * gran;
	if (v < gran)
		v = gran;
	if (h->mb_max && v > h->mb_max)
		v = h->mb_max;
	return v;
}

static void line(char *out, size_t size, const char *res, const unsigned *dom, size_t n,
		 unsigned long long v, bool hex)
{
	size_t o = (size_t)snprintf(out, size, "%s:", res);
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, hex ? "%s%u=%llx" : "%s%u=%llu",
				      i ? ";" : "", dom[i], v);
}

int isb_rdt_plan_make(const char *root, unsigned ways, unsigned percent, struct isb_rdt_plan *p,
		      char *note, size_t note_size, struct isb_err *err)
{
	struct isb_rdt_host h;
	struct isb_err why = {0};
	memset(p, 0, sizeof(*p));
	p->ways = ways;
	p->percent = percent;
	if (!ways && !percent)
		return 0;
	if (isb_rdt_probe(root, &h, &why) < 0)
		return isb_errf(err, 0, "no resctrl on this host (%s)", why.msg);
	if (ways && !h.l3)
		return isb_errf(err, 0, "llc.ways: resctrl at %s has no L3 cache allocation", root);
	if (ways && (2 * ways > h.cbm_bits || ways < h.min_cbm_bits))
		return isb_errf(err, 0,
				"llc.ways = %u: the host's L3 has %u ways (mask %llx, at least %u "
				"a group); the victim and the aggressor need %u disjoint ways",
				ways, h.cbm_bits, (unsigned long long)h.cbm_mask, h.min_cbm_bits,
				2 * ways);
	if (percent && !h.mb)
		return isb_errf(err, 0,
				"mb.percent: resctrl at %s has no memory bandwidth "
				"allocation",
				root);
	if (percent && h.mba_mbps)
		return isb_errf(
		    err, 0,
		    "mb.percent: resctrl at %s is mounted with mba_MBps (MB takes MB/s, "
		    "not a percentage)",
		    root);
	/* the default group, the victim's and the aggressor's groups, and their peers' */
	unsigned closids = ways && percent
			       ? (h.l3_closids < h.mb_closids ? h.l3_closids : h.mb_closids)
			   : ways ? h.l3_closids
				  : h.mb_closids;
	if (closids && closids < 3)
		return isb_errf(err, 0,
				"resctrl at %s has %u CLOSIDs: a group each for the "
				"victim and the aggressor needs 3",
				root, closids);
	unsigned mb = percent ? isb_rdt_mb_value(&h, percent) : 0;
	for (int side = 0; side < 2; side++) {
		size_t o = 0;
		if (ways) {
			uint64_t m = isb_rdt_mask(&h, ways, side);
			if (h.cdp) {
				char c[200], d[200];
				line(c, sizeof(c), "L3CODE", h.l3_dom, h.nl3, m, true);
				line(d, sizeof(d), "L3DATA", h.l3_dom, h.nl3, m, true);
				snprintf(p->l3_line[side], sizeof(p->l3_line[side]), "%s\n%s", c,
					 d);
			} else {
				line(p->l3_line[side], sizeof(p->l3_line[side]), "L3", h.l3_dom,
				     h.nl3, m, true);
			}
			o += (size_t)snprintf(p->schemata[side] + o, sizeof(p->schemata[side]) - o,
					      "%s\n", p->l3_line[side]);
		}
		if (percent) {
			line(p->mb_line[side], sizeof(p->mb_line[side]), "MB", h.mb_dom, h.nmb, mb,
			     false);
			snprintf(p->schemata[side] + o, sizeof(p->schemata[side]) - o, "%s\n",
				 p->mb_line[side]);
		}
	}
	if (ways)
		isb_note_add(note, note_size,
			     "resctrl L3 %u of %u ways: victim %llx, aggressor %llx", ways,
			     h.cbm_bits, (unsigned long long)isb_rdt_mask(&h, ways, 0),
			     (unsigned long long)isb_rdt_mask(&h, ways, 1));
	if (percent)
		isb_note_add(note, note_size,
			     "resctrl MB %u%s (asked %u %%, granularity %u, min %u)", mb,
			     h.mb_percent ? " %" : "", percent, h.mb_gran, h.mb_min);
	return 0;
}

/* Writes as a shell's > or >> does: resctrl takes one value (a schemata, a tid) per write;
 * in a test's tree the files are created by the write. */
static int wr(const char *path, const char *s, bool append)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, s, strlen(s));
	int e = w < 0 ? errno : 0;
	close(fd);
	return e ? -e : 0;
}

/* resctrl's own word on a refused write (info/last_cmd_status), for the error. */
static void last_status(const char *root, char *out, size_t size)
{
	if (!read_at(root, "info/last_cmd_status", out, size) || !out[0])
		snprintf(out, size, "no last_cmd_status");
}

int isb_rdt_tenant_create(const char *root, const struct isb_rdt_plan *p, const char *campaign_id,
			  const char *name, const char *label, struct isb_rdt_tenant *t,
			  struct isb_err *err)
{
	memset(t, 0, sizeof(*t));
	if (!p->ways && !p->percent)
		return 0;
	int side = label && !strncmp(label, "aggressor", 9) ? 1 : 0;
	snprintf(t->name, sizeof(t->name), "isobench-%s-%s", campaign_id, name);
	snprintf(t->dir, sizeof(t->dir), "%s/%s", root, t->name);
	if (mkdir(t->dir, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		char st[200];
		last_status(root, st, sizeof(st));
		t->dir[0] = 0;
		return isb_errf(err, e, "resctrl group %s/%s (%s)", root, t->name,
				e == ENOSPC ? "no free CLOSID" : st);
	}
	char path[800];
	snprintf(path, sizeof(path), "%s/schemata", t->dir);
	int r = wr(path, p->schemata[side], false);
	if (r < 0) {
		char st[200];
		last_status(root, st, sizeof(st));
		isb_errf(err, r, "write '%s' to %s (%s)", p->schemata[side], path, st);
		isb_rdt_tenant_remove(t);
		return -EIO;
	}
	snprintf(t->tasks, sizeof(t->tasks), "%s/tasks", t->dir);
	/* the kernel makes it with the group; a test's tree gets it here */
	if (access(t->tasks, F_OK) < 0 && (r = wr(t->tasks, "", true)) < 0) {
		isb_errf(err, r, "create %s", t->tasks);
		isb_rdt_tenant_remove(t);
		return -EIO;
	}
	return 0;
}

int isb_rdt_add_task(const struct isb_rdt_tenant *t, pid_t pid, struct isb_err *err)
{
	if (!t->tasks[0])
		return 0;
	char path[64], tid[24];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	int n = 0, r = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && !r) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(tid, sizeof(tid), "%s\n", e->d_name);
		/* a thread that exited meanwhile is no error */
		if ((r = wr(t->tasks, tid, true)) == -ESRCH)
			r = 0;
		n++;
	}
	if (d)
		closedir(d);
	if (!r && !n) {
		snprintf(tid, sizeof(tid), "%d\n", (int)pid);
		r = wr(t->tasks, tid, true);
	}
	return r < 0 ? isb_errf(err, r, "add pid %d to %s", (int)pid, t->tasks) : 0;
}

/* rmdir removes a resctrl group with its files (its tasks return to the default group); a
 * test's tree holds ordinary files. */
static int remove_group(const char *dir)
{
	if (rmdir(dir) == 0)
		return 1;
	struct statfs sf;
	if ((errno == ENOTEMPTY || errno == EEXIST) && statfs(dir, &sf) == 0 &&
	    sf.f_type != RDTGROUP_SUPER_MAGIC) {
		isb_remove_tree(dir);
		return access(dir, F_OK) < 0;
	}
	return 0;
}

void isb_rdt_tenant_remove(struct isb_rdt_tenant *t)
{
	if (t->dir[0] && !remove_group(t->dir) && errno != ENOENT)
		isb_log("resctrl", "cannot remove %s: %s", t->dir, strerror(errno));
	t->dir[0] = t->tasks[0] = 0;
}

int isb_rdt_campaign_remove_at(const char *root, const char *campaign_id)
{
	char prefix[80];
	int n = 0;
	snprintf(prefix, sizeof(prefix), "isobench-%s-", campaign_id);
	DIR *d = opendir(root);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		char dir[800];
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		n += remove_group(dir);
	}
	closedir(d);
	return n;
}

int isb_rdt_campaign_remove(const char *campaign_id)
{
	return isb_rdt_campaign_remove_at(isb_rdt_root(), campaign_id);
}

int isb_rdt_list_campaigns_at(const char *root, char ids[][40], size_t max)
{
	DIR *d = opendir(root);
	size_t count = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && count < max) {
		if (strncmp(e->d_name, "isobench-", 9))
			continue;
		/* the campaign id is the first three fields: YYYYmmdd-HHMMSS-hex */
		const char *s = e->d_name + 9, *q = s;
		for (int dashes = 0; *q && dashes < 3; q++)
			if (*q == '-' && ++dashes == 3)
				break;
		if (*q != '-' || (size_t)(q - s) >= 40)
			continue;
		char id[40];
		snprintf(id, sizeof(id), "%.*s", (int)(q - s), s);
		bool dup = false;
		for (size_t k = 0; k < count; k++)
			dup |= !strcmp(ids[k], id);
		if (!dup)
			snprintf(ids[count++], 40, "%s", id);
	}
	closedir(d);
	return (int)count;
}

int isb_rdt_list_campaigns(char ids[][40], size_t max)
{
	return isb_rdt_list_campaigns_at(isb_rdt_root(), ids, max);
}
