/*
 * The vm backend: every tenant is a QEMU virtual machine (qemu-system-x86_64)
 * booting the guest image isobench builds itself (backends/guest.c).
 *
 *   accel   = tcg | kvm          tcg: HV_TYPE2 + HV_FULL; kvm: HV_TYPE1 + HV_HWA
 *   devices = virtio | emulated  virtio-serial/blk: HV_PARA; 16550 UART + IDE/AHCI: HV_FULL
 *   machine = pc | q35, vcpus = N, memory = 512M, disk = 512M, cpu = MODEL, kernel = PATH
 *   iothread = yes | no          the disk's I/O in a QEMU I/O thread of its own (virtio)
 *   io.rbps, io.wbps, io.riops, io.wiops: QEMU's own drive throttling (throttling.* on
 *   -drive), which holds the guest's disk where its I/O leaves the VM; the throttles the
 *   capped and partitioned policies derive from the disk calibration go there too
 *   and the container class's cgroup keys (cgroups, cpu.weight, memory.max, ...), which
 *   put each QEMU process in a cgroup of its own: the taxonomy's "KVM with cgroups".
 *
 * Control: the agent's arguments travel on the kernel command line
 * (isobench.args=HEX); its JSON lines come back over a virtio serial port
 * (or the second UART with emulated devices) that QEMU connects to its own
 * stdio, which are the tenant's pipes: the harness speaks to a VM as to any
 * tenant. The kernel's console goes to a log file in the state directory.
 * The guest's boot is part of the tenant's start-up time.
 *
 * Resources: the whole QEMU process is pinned by placement at spawn; its vCPU
 * threads, found through QMP (query-cpus-fast), are then pinned one CPU each
 * and handed to the counters. A disk stressor gets a sparse raw image on the
 * campaign's scratch directory (cache=none where O_DIRECT works), made into
 * an ext2 file system by the guest. A network stressor or peer gets a tap
 * in a netns of its own, bridged with the veth into the campaign's test
 * network; QEMU runs in that netns and the guest takes the tenant's
 * address. The image and the netns go when the tenant stops;
 * PR_SET_PDEATHSIG and the campaign's pid record end QEMU if the harness dies.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/ctconf.h"
#include "backends/proc.h"
#include "backends/tenantnet.h"
#include "backends/guest.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KVM_BOOT_TIMEOUT_S 25

/* QEMU's drive throttling, in the order of isb_limits: rbps, wbps, riops, wiops */
static const char *const thr_keys[4] = {"io.rbps", "io.wbps", "io.riops", "io.wiops"};
static const char *const thr_qemu[4] = {"bps-read", "bps-write", "iops-read", "iops-write"};

struct vm_conf {
	bool kvm, emulated, iothread;
	uint64_t thr[4]; /* explicit io.* keys; 0 unset */
	char machine[16], cpu[64], kernel[256];
	unsigned vcpus;
	uint64_t mem, disk;
	bool cgroup;
	struct isb_ctconf cf;
};

struct vm_priv {
	struct vm_conf v;
	struct isb_guest g;
	char guest_agent[PATH_MAX];
	bool agent_sub; /* the guest agent is isobench itself: "agent" first */
	char boot_id[64];
	unsigned seq;
	char procs[3][512];
	size_t nprocs;
};

struct vm_tenant {
	struct isb_cg_tenant cg;
	struct isb_rdt_tenant rdt; /* QEMU's resctrl group: its vCPU threads inherit it */
	struct isb_tenant_net net; /* its link into the test network: a tap bridged in a netns */
	char mac[24];
	char image[PATH_MAX], qmp[PATH_MAX], console[PATH_MAX], errlog[PATH_MAX];
	uint64_t thr[4]; /* the drive's throttling; 0 none */
};

static int vm_key(struct vm_conf *v, const char *k, const char *val, struct isb_err *err)
{
	struct vm_conf scratch;
	if (!v)
		v = &scratch;
	uint64_t u;
	if (!strcmp(k, "accel")) {
		if (strcmp(val, "tcg") && strcmp(val, "kvm"))
			return isb_errf(err, 0, "accel: '%s' is not tcg or kvm", val);
		v->kvm = !strcmp(val, "kvm");
	} else if (!strcmp(k, "devices")) {
		if (strcmp(val, "virtio") && strcmp(val, "emulated"))
			return isb_errf(err, 0, "devices: '%s' is not virtio or emulated", val);
		v->emulated = !strcmp(val, "emulated");
	} else if (!strcmp(k, "machine")) {
		if (strcmp(val, "pc") && strcmp(val, "q35"))
			return isb_errf(err, 0, "machine: '%s' is not pc or q35", val);
		snprintf(v->machine, sizeof(v->machine), "%s", val);
	} else if (!strcmp(k, "vcpus")) {
		if (isb_parse_u64(val, &u) < 0 || u < 1 || u > 16)
			return isb_errf(err, 0, "vcpus: '%s' is not an integer in [1, 16]", val);
		v->vcpus = (unsigned)u;
	} else if (!strcmp(k, "memory") || !strcmp(k, "disk")) {
		if (isb_parse_size(val, &u) < 0 || u < (k[0] == 'm' ? 192ull << 20 : 64ull << 20) ||
		    u > (k[0] == 'm' ? 64ull << 30 : 1ull << 40))
			return isb_errf(err, 0, "%s: '%s' is not a size like %s (at least %s)", k,
					val, k[0] == 'm' ? "512M or 2G" : "1G",
					k[0] == 'm' ? "192M" : "64M");
		*(k[0] == 'm' ? &v->mem : &v->disk) = u;
	} else if (!strcmp(k, "cpu")) {
		for (const char *p = val; *p; p++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,=+",
				*p))
				return isb_errf(err, 0, "cpu: '%s' is not a QEMU CPU model", val);
		snprintf(v->cpu, sizeof(v->cpu), "%s", val);
	} else if (!strcmp(k, "iothread")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return isb_errf(err, 0, "iothread: '%s' is not yes or no", val);
		v->iothread = !strcmp(val, "yes");
	} else if (!strncmp(k, "io.", 3) && strcmp(k, "io.weight")) {
		size_t i = 0;
		while (i < 4 && strcmp(k, thr_keys[i]))
			i++;
		if (i == 4)
			return -ENOENT;
		bool bps = strstr(k, "bps") != NULL;
		if ((bps ? isb_parse_size(val, &u) : isb_parse_u64(val, &u)) < 0 || !u)
			return isb_errf(err, 0, "%s: '%s' is not a positive %s", k, val,
					bps ? "size per second (e.g. 50M)" : "integer");
		v->thr[i] = u;
	} else if (!strcmp(k, "kernel")) {
		if (val[0] != '/' || strlen(val) >= sizeof(v->kernel))
			return isb_errf(err, 0, "kernel: '%s' is not an absolute path", val);
		snprintf(v->kernel, sizeof(v->kernel), "%s", val);
	} else {
		return -ENOENT;
	}
	return 0;
}

static int vm_check(const char *key, const char *value, struct isb_err *err)
{
	int r = vm_key(NULL, key, value, err);
	if (r != -ENOENT)
		return r;
	return isb_ctconf_check(key, value, ISB_CT_VM, err);
}

static int in_path(const char *prog, char *out, size_t size)
{
	const char *env = getenv("PATH");
	char buf[2048];
	snprintf(buf, sizeof(buf), "%s", env ? env : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", d, prog);
		if (access(out, X_OK) == 0)
			return 1;
	}
	return 0;
}

static int vm_available(struct isb_err *why)
{
	char p[PATH_MAX];
	struct isb_guest g;
	if (!in_path("qemu-system-x86_64", p, sizeof(p)))
		return snprintf(why->msg, sizeof(why->msg),
				"no qemu-system-x86_64 (apt-get install qemu-system-x86)"),
		       0;
	if (isb_guest_kernel_find(NULL, &g, why->msg, sizeof(why->msg)) < 0)
		return 0;
	return 1;
}

/* ---- the kernel command line and QEMU's arguments ---- */

static const char *host_boot_id(const struct isb_config *c, char *buf, size_t size)
{
	const char *b = strstr(c->host_ns, "bootid:");
	snprintf(buf, size, "%.*s", b ? (int)strcspn(b + 7, ",") : 0, b ? b + 7 : "");
	return buf;
}

/* The agent's arguments as the guest sees them, hex-coded, NUL after each. */
static int guest_args(const struct isb_config *c, const struct vm_priv *p,
		      const struct isb_tenant_spec *spec, bool disk, char *hex, size_t size)
{
	char *argv[64], store[8192];
	int argc = isb_agent_argv(c, spec, argv, ISB_ARRAY_SIZE(argv), store, sizeof(store));
	if (argc < 0)
		return -E2BIG;
	size_t o = 0;
	for (int i = c->agent_is_isobench ? 2 : 1; i < argc; i++) {
		char a[600];
		const char *s = argv[i];
		if (!strncmp(s, "--scratch=", 10)) {
			if (!disk)
				continue;
			s = "--scratch=/scratch";
		} else if (!strncmp(s, "--host-ns=", 10)) {
			/* the guest's namespaces are its own kernel's: compare the boot id only */
			snprintf(a, sizeof(a), "--host-ns=bootid:%s", p->boot_id);
			s = a;
		}
		for (const char *q = s;; q++) {
			if (o + 3 > size)
				return -E2BIG;
			o += (size_t)snprintf(hex + o, size - o, "%02x", (unsigned char)*q);
			if (!*q)
				break;
		}
	}
	hex[o] = 0;
	return 0;
}

struct argvb {
	char *v[96];
	size_t n;
	char store[16384];
	size_t o;
};

static void A(struct argvb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void A(struct argvb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->store + b->o, sizeof(b->store) - b->o, fmt, ap);
	va_end(ap);
	if (n < 0 || b->o + (size_t)n + 1 > sizeof(b->store) || b->n + 2 > ISB_ARRAY_SIZE(b->v))
		return; /* caught below: the list ends early and QEMU refuses it */
	b->v[b->n++] = b->store + b->o;
	b->v[b->n] = NULL;
	b->o += (size_t)n + 1;
}

static void qemu_argv(struct argvb *b, const struct vm_priv *p, const char *name,
		      const char *cmdline, const struct vm_tenant *vt, bool direct)
{
	const struct vm_conf *v = &p->v;
	b->n = b->o = 0;
	A(b, "qemu-system-x86_64");
	A(b, "-name");
	A(b, "%s", name);
	A(b, "-nodefaults");
	A(b, "-no-user-config");
	A(b, "-display");
	A(b, "none");
	A(b, "-machine");
	A(b, "%s,accel=%s", v->machine, v->kvm ? "kvm" : "tcg");
	A(b, "-cpu");
	/* rdrand: TCG emulates it, and the guest's entropy is ready at once (no second lost
	 * waiting for it in getrandom) */
	A(b, "%s", v->cpu[0] ? v->cpu : v->kvm ? "host" : "qemu64,+rdrand");
	A(b, "-smp");
	A(b, "%u", v->vcpus);
	A(b, "-m");
	A(b, "%lluM", (unsigned long long)(v->mem >> 20));
	A(b, "-kernel");
	A(b, "%s", p->g.boot_kernel);
	A(b, "-initrd");
	A(b, "%s", p->g.initrd);
	A(b, "-append");
	A(b, "%s", cmdline);
	A(b, "-no-reboot");
	A(b, "-serial");
	A(b, "file:%s", vt->console);
	A(b, "-chardev");
	A(b, "stdio,id=agent,signal=off");
	if (v->emulated) {
		A(b, "-serial");
		A(b, "chardev:agent");
	} else {
		A(b, "-device");
		A(b, "virtio-serial-pci,id=vser");
		A(b, "-device");
		A(b, "virtserialport,bus=vser.0,chardev=agent,name=isobench.agent");
	}
	if (vt->image[0]) {
		char thr[200] = "";
		for (size_t i = 0, o = 0; i < 4; i++)
			if (vt->thr[i])
				o += (size_t)snprintf(thr + o, sizeof(thr) - o,
						      ",throttling.%s=%llu", thr_qemu[i],
						      (unsigned long long)vt->thr[i]);
		A(b, "-drive");
		A(b, "file=%s,format=raw,if=none,id=disk0,cache=%s,aio=threads%s", vt->image,
		  direct ? "none" : "writeback", thr);
		if (v->iothread && !v->emulated) {
			A(b, "-object");
			A(b, "iothread,id=iot0");
		}
		A(b, "-device");
		A(b, "%s,drive=disk0%s", v->emulated ? "ide-hd" : "virtio-blk-pci",
		  v->iothread && !v->emulated ? ",iothread=iot0" : "");
	}
	if (vt->net.made) {
		A(b, "-netdev");
		A(b, "tap,id=net0,ifname=isbtap0,script=no,downscript=no");
		A(b, "-device");
		A(b, "%s,netdev=net0,mac=%s", v->emulated ? "e1000" : "virtio-net-pci", vt->mac);
	}
	if (vt->qmp[0]) {
		A(b, "-qmp");
		A(b, "unix:%s,server=on,wait=off", vt->qmp);
	}
}

static int redirect_stderr(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	return 0;
}

/* In QEMU's child before exec: its stderr to the log, into the tenant's netns if it has one. */
static int qemu_child(void *arg)
{
	struct vm_tenant *vt = arg;
	if (redirect_stderr(vt->errlog) < 0)
		return -1;
	if (!vt->net.made)
		return 0;
	int fd = open(vt->net.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return -1;
	close(fd);
	return 0;
}

/* The last line of a log file that says something, for an error. */
static void last_line(const char *path, char *out, size_t size)
{
	char buf[8192];
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n')
			buf[i] = ' ';
	char *line = NULL;
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (*isb_trim(l))
			line = l;
	if (line)
		snprintf(out, size, "%s", line);
}

/* ---- QMP: the vCPU threads ---- */

static int qmp_line(int fd, char *buf, size_t size, uint64_t deadline)
{
	size_t o = 0;
	while (o + 1 < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = (int64_t)(deadline - isb_now_ns()) / 1000000;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, buf + o, 1);
		if (n <= 0)
			return -EIO;
		if (buf[o] == '\n') {
			buf[o] = 0;
			return 0;
		}
		o++;
	}
	return -E2BIG;
}

/* A reply (not an event) to what was just sent. */
static json_object *qmp_cmd(int fd, const char *cmd, uint64_t deadline)
{
	char line[16384];
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return NULL;
	while (qmp_line(fd, line, sizeof(line), deadline) == 0) {
		json_object *o = json_tokener_parse(line), *r;
		if (o && (json_object_object_get_ex(o, "return", &r) ||
			  json_object_object_get_ex(o, "error", &r)))
			return o;
		json_object_put(o);
	}
	return NULL;
}

static int vcpu_threads(const char *sock, pid_t qemu, pid_t *tids, size_t max, char *why,
			size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(sa.sun_path))
		return snprintf(why, size, "QMP socket path too long"), -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	uint64_t deadline = isb_now_ns() + 10000000000ull;
	int fd = -1;
	while (isb_now_ns() < deadline) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (waitpid(qemu, NULL, WNOHANG | WNOWAIT) == qemu || kill(qemu, 0) < 0)
			return snprintf(why, size, "QEMU exited before its QMP socket opened"), -1;
		isb_sleep_ns(20000000);
	}
	if (fd < 0)
		return snprintf(why, size, "no QMP socket %s within 10 s", sock), -1;
	char greet[4096];
	int n = -1;
	json_object *r = NULL, *ret;
	if (qmp_line(fd, greet, sizeof(greet), deadline) == 0 &&
	    (r = qmp_cmd(fd, "{\"execute\":\"qmp_capabilities\"}\n", deadline)) &&
	    (json_object_put(r),
	     r = qmp_cmd(fd, "{\"execute\":\"query-cpus-fast\"}\n", deadline)) &&
	    json_object_object_get_ex(r, "return", &ret) &&
	    json_object_is_type(ret, json_type_array)) {
		n = 0;
		for (size_t i = 0; i < json_object_array_length(ret) && (size_t)n < max; i++) {
			json_object *tid;
			if (json_object_object_get_ex(json_object_array_get_idx(ret, i),
						      "thread-id", &tid))
				tids[n++] = (pid_t)json_object_get_int(tid);
		}
	}
	json_object_put(r);
	close(fd);
	if (n <= 0)
		return snprintf(why, size, "QMP query-cpus-fast gave no vCPU threads"), -1;
	return n;
}

/* ---- prepare ---- */

static int kvm_smoke(struct isb_config *c, struct vm_priv *p, struct isb_err *err)
{
	struct isb_err why = {0};
	if (!isb_kvm_usable(&why))
		return isb_errf(err, 0, "accel = kvm: %s", why.msg);
	/* /dev/kvm may create a VM that still cannot run a guest (nested virtualisation that
	 * hides CPU features): boot the probe once */
	struct vm_tenant vt = {0};
	snprintf(vt.console, sizeof(vt.console), "%s/vm-kvm-check.console", c->state_dir);
	snprintf(vt.errlog, sizeof(vt.errlog), "%s/vm-kvm-check.stderr", c->state_dir);
	char hex[256] = "", cmdline[1024];
	const char *args[] = {"--probe", NULL};
	size_t o = 0;
	for (size_t i = 0; args[i]; i++)
		for (const char *q = args[i];; q++) {
			o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02x", (unsigned char)*q);
			if (!*q)
				break;
		}
	snprintf(cmdline, sizeof(cmdline),
		 "console=ttyS0 quiet panic=-1 isobench.devices=%s%s isobench.args=%s",
		 p->v.emulated ? "emulated" : "virtio", p->agent_sub ? " isobench.sub=agent" : "",
		 hex);
	struct argvb *b = calloc(1, sizeof(*b));
	if (!b)
		return isb_errf(err, ENOMEM, "vm");
	qemu_argv(b, p, "isobench-kvm-check", cmdline, &vt, false);
	struct isb_spawn_hook hook = {.argv = b->v, .child = redirect_stderr, .arg = vt.errlog};
	struct isb_tenant_spec spec = {.label = "kvm-check", .stressor = "null"};
	struct isb_tenant t = {0};
	t.in_fd = t.out_fd = -1;
	int r = isb_proc_spawn_ex(c, &spec, &t, NULL, &hook, err);
	free(b);
	if (r < 0)
		return -1;
	char line[256] = "";
	struct pollfd pfd = {.fd = t.out_fd, .events = POLLIN};
	int ready = poll(&pfd, 1, KVM_BOOT_TIMEOUT_S * 1000);
	bool booted = ready > 0 && read(t.out_fd, line, sizeof(line) - 1) > 0 && line[0] == '{';
	bool died = ready > 0 && !booted; /* QEMU gone before the guest spoke */
	isb_proc_stop(&t, 0);
	char con[200], qerr[200];
	last_line(vt.console, con, sizeof(con));
	last_line(vt.errlog, qerr, sizeof(qerr));
	unlink(vt.console);
	unlink(vt.errlog);
	if (!booted && died)
		return isb_errf(err, 0,
				"accel = kvm: /dev/kvm creates a VM, but QEMU failed to run the "
				"guest (qemu: %s; console: %s)",
				qerr[0] ? qerr : "nothing", con[0] ? con : "nothing");
	if (!booted)
		return isb_errf(err, 0,
				"accel = kvm: /dev/kvm creates a VM, but the guest did not boot "
				"within %d s (console: %s; qemu: %s)",
				KVM_BOOT_TIMEOUT_S, con[0] ? con : "nothing",
				qerr[0] ? qerr : "nothing");
	return 0;
}

/* The drive's throttling for a tenant: the explicit io.* keys, else what the policy derives
 * from the disk calibration. */
static void vm_throttles(const struct vm_conf *v, const struct isb_config *c, uint64_t thr[4])
{
	struct isb_limits l = {0};
	isb_ctconf_io_derive(v->cf.policy, c, &l);
	const uint64_t derived[4] = {l.io_rbps, l.io_wbps, l.io_riops, l.io_wiops};
	for (size_t i = 0; i < 4; i++)
		thr[i] = v->thr[i] ? v->thr[i] : derived[i];
}

static void vm_disk_note(const struct vm_conf *v, const struct isb_config *c, char *buf,
			 size_t size)
{
	uint64_t thr[4];
	size_t o = 0;
	buf[0] = 0;
	vm_throttles(v, c, thr);
	for (size_t i = 0; i < 4 && o < size; i++)
		if (thr[i])
			o += (size_t)snprintf(buf + o, size - o, " %s%s=%llu",
					      v->thr[i] ? "" : "derived ", thr_qemu[i],
					      (unsigned long long)thr[i]);
	if (o && o < size)
		o += (size_t)snprintf(buf + o, size - o, " (QEMU drive throttling)");
	if (o < size)
		snprintf(buf + o, size - o, "%s", v->iothread ? " iothread" : "");
	if (!buf[0])
		snprintf(buf, size, " unthrottled");
}

static int prepare(struct isb_config *c, struct isb_err *err)
{
	struct vm_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "vm: prepare");
	c->priv = p;
	struct vm_conf *v = &p->v;
	snprintf(v->machine, sizeof(v->machine), "pc");
	v->vcpus = 1;
	v->mem = 512ull << 20;
	v->disk = 512ull << 20;
	/* the vm keys here, the cgroup keys to the container class's parser */
	struct isb_config *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return isb_errf(err, ENOMEM, "vm: prepare");
	*cg = *c;
	cg->nopts = 0;
	for (size_t i = 0; i < c->nopts; i++) {
		int r = vm_key(v, c->opts[i].key, c->opts[i].value, err);
		if (r == -ENOENT)
			cg->opts[cg->nopts++] = c->opts[i];
		else if (r < 0) {
			free(cg);
			return -EINVAL;
		}
	}
	if (v->iothread && v->emulated) {
		free(cg);
		return isb_errf(err, 0,
				"iothread = yes needs devices = virtio (an emulated IDE "
				"disk has no I/O thread)");
	}
	int r = isb_ct_prepare_common(cg, &v->cf, ISB_CT_VM, p->procs, &p->nprocs, err);
	char cgnote[512];
	snprintf(cgnote, sizeof(cgnote), "%s", cg->cgroup_note); /* the switches and the host */
	c->net_class_rate = cg->net_class_rate; /* its tap's class on the shaped link */
	c->net_class_ceil = cg->net_class_ceil;
	free(cg);
	if (r < 0)
		return -1;
	v->cgroup = isb_ctconf_wants_cgroup(&v->cf);
	host_boot_id(c, p->boot_id, sizeof(p->boot_id));
	isb_guest_agent(c->agent_path, c->agent_is_isobench, p->guest_agent, sizeof(p->guest_agent),
			&p->agent_sub);
	if (isb_guest_build(p->guest_agent, v->kernel, &p->g, err) < 0)
		return -1;
	const char *bad = v->emulated ? p->g.unusable_emulated : p->g.unusable_virtio;
	if (bad[0])
		return isb_errf(err, 0, "%s", bad);
	isb_log("vm", "%s: guest image %s %s (%.1f MB, kernel %s, agent %s) in %.2f s", c->name,
		p->g.hash, p->g.built ? "built" : "cached", (double)p->g.bytes / 1e6, p->g.kver,
		p->guest_agent, p->g.build_s);
	if (v->kvm && kvm_smoke(c, p, err) < 0)
		return -1;
	unsigned leaves =
	    v->kvm ? ISB_LEAF(HV_TYPE1) | ISB_LEAF(HV_HWA) : ISB_LEAF(HV_TYPE2) | ISB_LEAF(HV_FULL);
	leaves |= v->emulated ? ISB_LEAF(HV_FULL) : ISB_LEAF(HV_PARA);
	if (v->cgroup)
		leaves |= ISB_LEAF(CT_CGROUPS);
	c->declared_leaves = leaves;
	char dnote[200] = "";
	vm_disk_note(v, c, dnote, sizeof(dnote));
	snprintf(c->cgroup_note, sizeof(c->cgroup_note),
		 "%s, %s, %s, %u vCPU, %lluM; guest image %s (%s), kernel %s, %s; disk%s; cgroups "
		 "%s",
		 v->kvm ? "kvm" : "tcg", v->emulated ? "emulated" : "virtio", v->machine, v->vcpus,
		 (unsigned long long)(v->mem >> 20), p->g.hash, p->g.built ? "built" : "cached",
		 p->g.kver, p->g.boot_note, dnote,
		 v->cgroup || v->cf.rdt.ways || v->cf.rdt.percent ? cgnote
								  : "none (campaign ceiling only)");
	return 0;
}

static int vm_prepare(struct isb_config *c, struct isb_err *err)
{
	if (prepare(c, err) == 0)
		return 0;
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	return -1;
}

/* ---- spawn and stop ---- */

static bool wants_disk(const struct isb_tenant_spec *spec)
{
	return spec->resource == ISB_RES_DISK;
}

static bool direct_io_works(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/.isobench-odirect-%d", dir, (int)getpid());
	int fd = open(p, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(p);
	}
	return fd >= 0;
}

static void vt_remove(struct vm_tenant *vt)
{
	isb_cg_tenant_remove(&vt->cg);
	isb_rdt_tenant_remove(&vt->rdt);
	isb_tenant_net_remove(&vt->net);
	if (vt->image[0])
		unlink(vt->image);
	if (vt->qmp[0])
		unlink(vt->qmp);
	if (vt->errlog[0])
		unlink(vt->errlog);
	/* the console log stays in the state directory until the campaign ends */
	free(vt);
}

static int vm_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		    struct isb_err *err)
{
	struct vm_priv *p = c->priv;
	struct vm_tenant *vt = calloc(1, sizeof(*vt));
	struct argvb *b = calloc(1, sizeof(*b));
	char name[96], qname[200], hex[1800], cmdline[2048], why[256];
	const char *procs[ISB_CG_MAX_BASES + 2] = {0};
	if (!vt || !b) {
		free(vt);
		free(b);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	snprintf(name, sizeof(name), "%.30s-%s-%u", c->name, spec->label, ++p->seq);
	snprintf(qname, sizeof(qname), "isobench-%s-%s", c->campaign_id, name);
	snprintf(vt->console, sizeof(vt->console), "%s/vm-%s.console", c->state_dir, name);
	snprintf(vt->errlog, sizeof(vt->errlog), "%s/vm-%s.stderr", c->state_dir, name);
	snprintf(vt->qmp, sizeof(vt->qmp), "%s/vm-%s.qmp", c->state_dir, name);
	bool disk = wants_disk(spec);
	bool direct = true;
	int e = 0;
	struct isb_tenant_spec s2 = *spec;
	/* a network stressor or peer: a tap in a netns of its own, bridged into the test
	 * network; the guest takes the address */
	if (spec->role == ISB_ROLE_PEER || spec->peer) {
		if (isb_tenant_net_create(c, &vt->net, err) < 0 ||
		    isb_tenant_net_tap(&vt->net, "isbtap0", err) < 0)
			e = -EIO;
		unsigned a = 0, b4 = 0, c4 = 0, d4 = 0;
		sscanf(vt->net.addr, "%u.%u.%u.%u", &a, &b4, &c4, &d4);
		snprintf(vt->mac, sizeof(vt->mac), "52:54:%02x:%02x:%02x:%02x", a & 0xff, b4 & 0xff,
			 c4 & 0xff, d4 & 0xff);
		if (spec->role == ISB_ROLE_PEER)
			s2.peer = vt->net.addr; /* a peer listens on its own address */
		snprintf(t->addr, sizeof(t->addr), "%s", vt->net.addr);
	}
	if (disk) {
		snprintf(vt->image, sizeof(vt->image), "%s/vm-%s-%s.img", c->scratch_dir,
			 c->campaign_id, name);
		int fd = open(vt->image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)p->v.disk) < 0)
			e = isb_errf(err, errno, "%s: disk image %s", spec->label, vt->image);
		if (fd >= 0)
			close(fd);
		direct = direct_io_works(c->scratch_dir);
	}
	if (!e && guest_args(c, p, &s2, disk, hex, sizeof(hex)) < 0)
		e = isb_errf(err, E2BIG, "%s: agent arguments too long for the kernel command line",
			     spec->label);
	if (!e) {
		char ipopt[48] = "";
		if (vt->net.made)
			snprintf(ipopt, sizeof(ipopt), " isobench.ip=%s/24", vt->net.addr);
		int n = snprintf(cmdline, sizeof(cmdline),
				 "console=ttyS0 quiet panic=-1 isobench.devices=%s%s%s%s "
				 "isobench.args=%s",
				 p->v.emulated ? "emulated" : "virtio",
				 disk ? " isobench.disk=/scratch" : "",
				 p->agent_sub ? " isobench.sub=agent" : "", ipopt, hex);
		if (n < 0 || (size_t)n >= sizeof(cmdline))
			e = isb_errf(err, E2BIG, "%s: kernel command line too long", spec->label);
	}
	/* the QEMU process in a cgroup of its own with the class's limits, or the campaign's */
	struct isb_limits l;
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	char note[256] = "";
	if (!e && isb_ctconf_limits(&p->v.cf, c, spec, &l, &cpus, err) < 0)
		e = -EINVAL;
	/* the VM's disk is throttled by QEMU, where its I/O leaves the guest; not twice */
	vm_throttles(&p->v, c, vt->thr);
	l.io_rbps = l.io_wbps = l.io_riops = l.io_wiops = 0;
	if (!e && p->v.cgroup) {
		if (isb_cg_tenant_create(isb_cgroup_mode(), "/sys/fs/cgroup", c->campaign_id, name,
					 &l, &vt->cg, note, sizeof(note), err) < 0)
			e = -EIO;
		for (size_t i = 0; !e && vt->cg.procs[i][0] && i < ISB_CG_MAX_BASES; i++)
			procs[i] = vt->cg.procs[i];
	} else if (!e) {
		struct isb_err cerr = {0};
		if (p->nprocs && access(p->procs[0], F_OK) < 0 &&
		    isb_cgroup_campaign_create(c->campaign_id, isb_config_mem_limit(c),
					       c->pids_ceiling, p->procs, &p->nprocs, &cerr) < 0)
			e = isb_errf(err, 0, "campaign cgroup: %s", cerr.msg);
		for (size_t i = 0; i < p->nprocs; i++)
			procs[i] = p->procs[i];
	}
	/* QEMU joins its resctrl group before exec: the vCPU and I/O threads inherit it */
	if (!e && isb_rdt_tenant_create(isb_rdt_root(), &p->v.cf.rdt, c->campaign_id, name,
					spec->label, &vt->rdt, err) < 0)
		e = -EIO;
	if (!e && vt->rdt.tasks[0]) {
		size_t k = 0;
		while (procs[k])
			k++;
		procs[k] = vt->rdt.tasks;
	}
	if (e) {
		free(b);
		vt_remove(vt);
		return -1;
	}
	qemu_argv(b, p, qname, cmdline, vt, direct);
	if (p->v.cf.policy == ISB_POLICY_PARTITIONED || p->v.cf.set.cpuset[0]) {
		s2.pinned = true; /* the partition replaces the placement's pinning */
		s2.cpus = cpus;
	}
	struct isb_spawn_hook hook = {.argv = b->v, .child = qemu_child, .arg = vt};
	int r = isb_proc_spawn_ex(c, &s2, t, procs, &hook, err);
	free(b);
	if (r < 0) {
		vt_remove(vt);
		return -1;
	}
	t->priv = vt;
	isb_tenant_set_cgroups(t, &vt->cg);
	/* the vCPU threads: one CPU of the tenant's set each, and the counters watch them */
	int n =
	    vcpu_threads(vt->qmp, t->pid, t->threads, ISB_ARRAY_SIZE(t->threads), why, sizeof(why));
	if (n < 0) {
		char qerr[200];
		last_line(vt->errlog, qerr, sizeof(qerr));
		isb_errf(err, 0, "%s: %s%s%s", spec->label, why, qerr[0] ? "; qemu: " : "", qerr);
		isb_proc_stop(t, 0);
		vt_remove(vt);
		t->priv = NULL;
		return -1;
	}
	t->nthreads = (size_t)n;
	if (s2.pinned && CPU_COUNT(&s2.cpus) > 0) {
		int cpu = -1;
		for (int i = 0; i < n; i++) {
			do
				cpu = (cpu + 1) % CPU_SETSIZE;
			while (!CPU_ISSET(cpu, &s2.cpus));
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			if (sched_setaffinity(t->threads[i], sizeof(one), &one) < 0)
				isb_debug("vm", "pin vCPU %d (tid %d): %s", i, (int)t->threads[i],
					  strerror(errno));
		}
	}
	return 0;
}

static int vm_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct vm_tenant *vt = t->priv;
	/* the guest reboots (QEMU exits) once its agent is done: give it the time */
	int r = isb_proc_stop(t, grace_ns);
	t->oom_kills = -1;
	if (vt) {
		for (size_t i = 0; i < vt->cg.ndirs && t->oom_kills < 0; i++)
			t->oom_kills = isb_cg_dir_oom_kills(vt->cg.dirs[i]);
		if (t->exit_code > 0 && !t->term_signal) {
			char qerr[200];
			last_line(vt->errlog, qerr, sizeof(qerr));
			if (qerr[0])
				isb_log("vm", "QEMU exited %d: %s", t->exit_code, qerr);
		}
		vt_remove(vt);
		t->priv = NULL;
	}
	return r;
}

static void vm_cleanup(struct isb_config *c)
{
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
	isb_rdt_campaign_remove(c->campaign_id);
}

static const char *vm_unsupported(const struct isb_config *c, const struct isb_tenant_spec *spec)
{
	const struct vm_priv *p = c->priv;
	if (spec->resource == ISB_RES_DISK && p && !p->g.has_fio)
		return "the guest image has no fio (apt-get install fio, then a new campaign "
		       "rebuilds it)";
	return NULL;
}

void isb_vm_describe(FILE *out, struct json_object *host); /* vmdescribe.c */
const struct isb_backend isb_backend_vm = {
    .name = "vm",
    .class = ISB_CLASS_HYPERVISOR,
    .help = "QEMU virtual machines booting isobench's own guest image (accel = tcg | kvm, "
	    "devices = virtio | emulated), optionally each in a cgroup",
    .available = vm_available,
    .check = vm_check,
    .describe = isb_vm_describe,
    .prepare = vm_prepare,
    .spawn = vm_spawn,
    .stop = vm_stop,
    .cleanup = vm_cleanup,
    .unsupported = vm_unsupported,
};
