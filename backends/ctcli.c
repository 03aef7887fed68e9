/*
 * The flag mapping and root file system shared by the backends that run tenants through a
 * container engine's command line (docker.c, podman.c): one place where the container keys
 * become --cpus, --cpuset-cpus, --cpu-shares, --memory, --memory-swap, --device-*-bps/iops,
 * --pids-limit and --cap-drop/--cap-add, and where the agent's root file system (the guest
 * image's file list, backends/guestcpio.c) is written for `docker import` or `podman run
 * --rootfs`; and the removal of the mounts an engine left under a directory of ours.
 */
#include "config.h"
#include "backends/ctcli.h"
#include "backends/guest.h"
#include "backends/guestimg.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int isb_ctargv_add(struct isb_ctargv *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(a->store + a->o, sizeof(a->store) - a->o, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(a->store) - a->o || a->n + 1 >= ISB_ARRAY_SIZE(a->v))
		return -E2BIG;
	a->v[a->n++] = a->store + a->o;
	a->v[a->n] = NULL;
	a->o += (size_t)k + 1;
	return 0;
}

/* /dev/NAME of block device major:minor (the engines' throttle flags split on ':') */
static void dev_path(unsigned maj, unsigned min, char *out, size_t size)
{
	char path[128], buf[1024];
	snprintf(out, size, "/dev/block/%u:%u", maj, min);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	char *d = strstr(buf, "DEVNAME=");
	if (d)
		snprintf(out, size, "/dev/%.*s", (int)strcspn(d + 8, "\n"), d + 8);
}

static void cpus_list(const cpu_set_t *s, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < CPU_SETSIZE && o + 8 < size; i++)
		if (CPU_ISSET(i, s))
			o += (size_t)snprintf(out + o, size - o, "%s%d", o ? "," : "", i);
}

int isb_ctcli_limit_flags(struct isb_ctargv *a, const struct isb_limits *l, const cpu_set_t *cpus)
{
	char dev[128], list[512];
	int r = 0;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (l->cpuset[0])
		r |= isb_ctargv_add(a, "--cpuset-cpus=%s", l->cpuset);
	else if (CPU_COUNT(cpus) > 0 && CPU_COUNT(cpus) < online) {
		cpus_list(cpus, list, sizeof(list));
		r |= isb_ctargv_add(a, "--cpuset-cpus=%s", list);
	}
	if (l->cpu_max > 0)
		r |= isb_ctargv_add(a, "--cpus=%.3f", l->cpu_max);
	if (l->cpu_weight) /* v2 weight 100 = v1 shares 1024 */
		r |= isb_ctargv_add(
		    a, "--cpu-shares=%u",
		    l->cpu_weight * 1024u / 100u < 2 ? 2 : l->cpu_weight * 1024u / 100u);
	if (l->mem_max) {
		r |= isb_ctargv_add(a, "--memory=%llu", (unsigned long long)l->mem_max);
		r |= isb_ctargv_add(
		    a, "--memory-swap=%llu",
		    (unsigned long long)(l->mem_max + (l->swap_set ? l->swap_max : 0)));
	}
	if (l->pids_max)
		r |= isb_ctargv_add(a, "--pids-limit=%llu", (unsigned long long)l->pids_max);
	dev_path(l->io_major, l->io_minor, dev, sizeof(dev));
	const struct {
		const char *flag;
		uint64_t v;
	} io[] = {{"device-read-bps", l->io_rbps},
		  {"device-write-bps", l->io_wbps},
		  {"device-read-iops", l->io_riops},
		  {"device-write-iops", l->io_wiops}};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(io); i++)
		if (io[i].v)
			r |= isb_ctargv_add(a, "--%s=%s:%llu", io[i].flag, dev,
					    (unsigned long long)io[i].v);
	return r;
}

int isb_ctcli_caps_flags(struct isb_ctargv *a, const struct isb_ctconf *cf)
{
	if (cf->caps_all)
		return isb_ctargv_add(a, "--cap-add=ALL");
	int r = isb_ctargv_add(a, "--cap-drop=ALL");
	for (unsigned i = 0; i < 64; i++)
		if ((cf->caps >> i) & 1 && isb_cap_name(i))
			r |= isb_ctargv_add(a, "--cap-add=%s", isb_cap_name(i));
	return r;
}

bool isb_ctcli_in_path(const char *prog)
{
	char path[1024], buf[2048];
	const char *env = getenv("PATH");
	snprintf(buf, sizeof(buf), "%s", env ? env : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, prog);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

struct isb_tenant_spec isb_ctcli_link_spec(const struct isb_ctconf *cf,
					   const struct isb_tenant_spec *spec, bool *link)
{
	struct isb_tenant_spec sp = *spec;
	*link = isb_tenant_wants_link(cf, spec);
	if (*link && spec->role == ISB_ROLE_PEER)
		sp.peer = "0.0.0.0";
	return sp;
}

int isb_ctcli_link_join(const struct isb_config *c, const char *label, struct isb_tenant *t,
			struct isb_tenant_net *n, struct isb_err *err)
{
	if (!t->nthreads || t->threads[0] <= 0)
		return isb_errf(err, 0, "%s: the container's process did not appear", label), -EIO;
	if (isb_tenant_net_join(c, n, t->threads[0], err) < 0)
		return -EIO;
	snprintf(t->addr, sizeof(t->addr), "%s", n->addr);
	return 0;
}

/* Detaches every mount under dir, deepest (latest) first. */
int isb_ctcli_umount_under(const char *dir)
{
	char buf[262144], *pts[512];
	size_t n = 0, dl = strlen(dir);
	if (isb_read_file("/proc/self/mountinfo", buf, sizeof(buf)) <= 0)
		return 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && n < 512;
	     l = strtok_r(NULL, "\n", &save)) {
		char *f = l;
		for (int i = 0; i < 4 && f; i++)
			f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
		if (!f)
			continue;
		*strchrnul(f, ' ') = 0;
		if (!strncmp(f, dir, dl) && (f[dl] == '/' || !f[dl]))
			pts[n++] = f;
	}
	int done = 0;
	while (n--)
		done += umount2(pts[n], MNT_DETACH) == 0;
	return done;
}
