/*
 * The vm backend's configuration keys:
 *
 *   accel   = tcg | kvm          tcg: HV_TYPE2 + HV_FULL; kvm: HV_TYPE1 + HV_HWA
 *   devices = virtio | emulated  virtio-serial/blk: HV_PARA; 16550 UART + IDE/AHCI: HV_FULL
 *   machine = pc | q35, vcpus = N, memory = 512M, disk = 512M, cpu = MODEL, kernel = PATH
 *   iothread = yes | no          the disk's I/O in a QEMU I/O thread of its own (virtio)
 *   container = none | own       own: the guest runs the tenant under isobench's container
 *                                runtime (pid, mount, uts, ipc namespaces and a cgroup v2
 *                                group in the guest holding the cgroup keys: backends/vmct.c)
 *   io.rbps, io.wbps, io.riops, io.wiops: QEMU's own drive throttling (throttling.* on
 *   -drive), which holds the guest's disk where its I/O leaves the VM; the throttles the
 *   capped and partitioned policies derive from the disk calibration go there too
 *
 * and the container class's cgroup keys (cgroups, cpu.weight, memory.max, ...), which the
 * container class's parser takes (backends/vm.c passes them on).
 */
#include "config.h"
#include "backends/vm.h"

#include <stdlib.h>
#include <string.h>

static const char *const thr_keys[4] = {"io.rbps", "io.wbps", "io.riops", "io.wiops"};
const char *const isb_vm_thr_qemu[4] = {"bps-read", "bps-write", "iops-read", "iops-write"};

void isb_vm_conf_init(struct isb_vm_conf *v)
{
	snprintf(v->machine, sizeof(v->machine), "pc");
	v->vcpus = 1;
	v->mem = 512ull << 20;
	v->disk = 512ull << 20;
}

/* One of two words: 0 for a, 1 for b, or <0 with err. */
static int choice(const char *k, const char *val, const char *a, const char *b, struct isb_err *err)
{
	if (strcmp(val, a) && strcmp(val, b))
		return isb_errf(err, 0, "%s: '%s' is not %s or %s", k, val, a, b);
	return !strcmp(val, b);
}

/* memory or disk */
static int size_key(struct isb_vm_conf *v, const char *k, const char *val, struct isb_err *err)
{
	bool mem = k[0] == 'm';
	uint64_t u;
	if (isb_parse_size(val, &u) < 0 || u < (mem ? 192ull << 20 : 64ull << 20) ||
	    u > (mem ? 64ull << 30 : 1ull << 40))
		return isb_errf(err, 0, "%s: '%s' is not a size like %s (at least %s)", k, val,
				mem ? "512M or 2G" : "1G", mem ? "192M" : "64M");
	*(mem ? &v->mem : &v->disk) = u;
	return 0;
}

static int cpu_key(struct isb_vm_conf *v, const char *val, struct isb_err *err)
{
	for (const char *p = val; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,=+",
			    *p))
			return isb_errf(err, 0, "cpu: '%s' is not a QEMU CPU model", val);
	snprintf(v->cpu, sizeof(v->cpu), "%s", val);
	return 0;
}

/* io.rbps, io.wbps, io.riops, io.wiops (io.weight is the cgroup's) */
static int throttle_key(struct isb_vm_conf *v, const char *k, const char *val, struct isb_err *err)
{
	size_t i = 0;
	while (i < 4 && strcmp(k, thr_keys[i]))
		i++;
	if (i == 4)
		return -ENOENT;
	bool bps = strstr(k, "bps") != NULL;
	uint64_t u;
	if ((bps ? isb_parse_size(val, &u) : isb_parse_u64(val, &u)) < 0 || !u)
		return isb_errf(err, 0, "%s: '%s' is not a positive %s", k, val,
				bps ? "size per second (e.g. 50M)" : "integer");
	v->thr[i] = u;
	return 0;
}

int isb_vm_key(struct isb_vm_conf *v, const char *k, const char *val, struct isb_err *err)
{
	struct isb_vm_conf scratch;
	if (!v)
		v = &scratch;
	uint64_t u;
	int r = 0;
	if (!strcmp(k, "accel")) {
		if ((r = choice(k, val, "tcg", "kvm", err)) >= 0)
			v->kvm = r;
	} else if (!strcmp(k, "devices")) {
		if ((r = choice(k, val, "virtio", "emulated", err)) >= 0)
			v->emulated = r;
	} else if (!strcmp(k, "machine")) {
		if ((r = choice(k, val, "pc", "q35", err)) >= 0)
			snprintf(v->machine, sizeof(v->machine), "%s", val);
	} else if (!strcmp(k, "container")) {
		if ((r = choice(k, val, "none", "own", err)) >= 0)
			v->container = r;
	} else if (!strcmp(k, "iothread")) {
		if ((r = choice(k, val, "yes", "no", err)) >= 0)
			v->iothread = !r;
	} else if (!strcmp(k, "vcpus")) {
		if (isb_parse_u64(val, &u) < 0 || u < 1 || u > 16)
			return isb_errf(err, 0, "vcpus: '%s' is not an integer in [1, 16]", val);
		v->vcpus = (unsigned)u;
	} else if (!strcmp(k, "memory") || !strcmp(k, "disk")) {
		r = size_key(v, k, val, err);
	} else if (!strcmp(k, "cpu")) {
		r = cpu_key(v, val, err);
	} else if (!strncmp(k, "io.", 3) && strcmp(k, "io.weight")) {
		r = throttle_key(v, k, val, err);
	} else if (!strcmp(k, "kernel")) {
		if (val[0] != '/' || strlen(val) >= sizeof(v->kernel))
			return isb_errf(err, 0, "kernel: '%s' is not an absolute path", val);
		snprintf(v->kernel, sizeof(v->kernel), "%s", val);
	} else {
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

/* QEMU's process: no namespaces nor capabilities, cgroups only when asked. */
const struct isb_ct_kind isb_ct_vm = {
    .keys = ISB_CTK_CGROUP,
    .caps = "all",
    .runtime = "runc",
    .own_address = true,
    .io_elsewhere = true,
    .keys_help = "accel, devices, machine, vcpus, memory, disk, cpu, kernel, iothread, container, "
		 "io.rbps, "
		 "io.wbps, io.riops, io.wiops, and the cgroup keys: cgroups, cpu.weight, cpu.max, "
		 "cpuset, memory.max, memory.swap, memory.low, io.weight, pids.max, net.rate, "
		 "llc.ways, mb.percent",
};

int isb_vm_check(const char *key, const char *value, struct isb_err *err)
{
	int r = isb_vm_key(NULL, key, value, err);
	if (r != -ENOENT)
		return r;
	return isb_ctconf_check(key, value, &isb_ct_vm, err);
}

void isb_vm_throttles(const struct isb_vm_conf *v, const struct isb_config *c, uint64_t thr[4])
{
	struct isb_limits l = {0};
	isb_ctconf_io_derive(v->cf.policy, c, &l);
	const uint64_t derived[4] = {l.io_rbps, l.io_wbps, l.io_riops, l.io_wiops};
	for (size_t i = 0; i < 4; i++)
		thr[i] = v->thr[i] ? v->thr[i] : derived[i];
}

void isb_vm_disk_note(const struct isb_vm_conf *v, const struct isb_config *c, char *buf,
		      size_t size)
{
	uint64_t thr[4];
	size_t o = 0;
	buf[0] = 0;
	isb_vm_throttles(v, c, thr);
	for (size_t i = 0; i < 4 && o < size; i++)
		if (thr[i])
			o += (size_t)snprintf(buf + o, size - o, " %s%s=%llu",
					      v->thr[i] ? "" : "derived ", isb_vm_thr_qemu[i],
					      (unsigned long long)thr[i]);
	if (o && o < size)
		o += (size_t)snprintf(buf + o, size - o, " (QEMU drive throttling)");
	if (o < size)
		snprintf(buf + o, size - o, "%s", v->iothread ? " iothread" : "");
	if (!buf[0])
		snprintf(buf, size, " unthrottled");
}
