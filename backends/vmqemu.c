/*
 * How a VM is started: the guest kernel's command line, which carries the
 * agent's arguments (isobench.args=HEX), and QEMU's own arguments. The
 * agent's JSON lines travel over a virtio serial port (or the second UART
 * with emulated devices) that QEMU connects to its own stdio, which are the
 * tenant's pipes; the kernel's console goes to a log file in the state
 * directory, QEMU's stderr to another.
 */
#include "config.h"
#include "backends/vm.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

int isb_vm_hex_arg(char *hex, size_t size, size_t *o, const char *arg)
{
	for (const char *q = arg;; q++) {
		if (*o + 3 > size)
			return -E2BIG;
		*o += (size_t)snprintf(hex + *o, size - *o, "%02x", (unsigned char)*q);
		if (!*q)
			return 0;
	}
}

int isb_vm_guest_args(const struct isb_config *c, const struct isb_vm_priv *p,
		      const struct isb_tenant_spec *spec, bool disk, char *hex, size_t size)
{
	char *argv[64], store[8192];
	int argc = isb_agent_argv(c, spec, argv, ISB_ARRAY_SIZE(argv), store, sizeof(store));
	if (argc < 0)
		return -E2BIG;
	size_t o = 0;
	hex[0] = 0;
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
		if (isb_vm_hex_arg(hex, size, &o, s) < 0)
			return -E2BIG;
	}
	return 0;
}

int isb_vm_cmdline(const struct isb_vm_priv *p, bool disk, const char *ip, const char *ct,
		   const char *hex, char *out, size_t size)
{
	char ipopt[48] = "";
	if (ip)
		snprintf(ipopt, sizeof(ipopt), " isobench.ip=%s/24", ip);
	int n =
	    snprintf(out, size,
		     "console=ttyS0 quiet panic=-1 isobench.devices=%s%s%s%s%s%s isobench.args=%s",
		     p->v.emulated ? "emulated" : "virtio", disk ? " isobench.disk=/scratch" : "",
		     p->agent_sub ? " isobench.sub=agent" : "", ipopt, ct ? " isobench.ct=" : "",
		     ct ? ct : "", hex);
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

static void A(struct isb_vm_argv *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void A(struct isb_vm_argv *b, const char *fmt, ...)
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

/* The machine, its CPU and memory, the kernel and the agent's port. */
static void machine_args(struct isb_vm_argv *b, const struct isb_vm_priv *p, const char *name,
			 const char *cmdline, const struct isb_vm_tenant *vt)
{
	const struct isb_vm_conf *v = &p->v;
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
}

/* The tenant's disk image, with QEMU's throttling and perhaps an I/O thread. */
static void drive_args(struct isb_vm_argv *b, const struct isb_vm_conf *v,
		       const struct isb_vm_tenant *vt, bool direct)
{
	char thr[200] = "";
	for (size_t i = 0, o = 0; i < 4; i++)
		if (vt->thr[i])
			o += (size_t)snprintf(thr + o, sizeof(thr) - o, ",throttling.%s=%llu",
					      isb_vm_thr_qemu[i], (unsigned long long)vt->thr[i]);
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

void isb_vm_qemu_argv(struct isb_vm_argv *b, const struct isb_vm_priv *p, const char *name,
		      const char *cmdline, const struct isb_vm_tenant *vt, bool direct)
{
	b->n = b->o = 0;
	machine_args(b, p, name, cmdline, vt);
	if (vt->image[0])
		drive_args(b, &p->v, vt, direct);
	if (vt->net.made) {
		A(b, "-netdev");
		A(b, "tap,id=net0,ifname=isbtap0,script=no,downscript=no");
		A(b, "-device");
		A(b, "%s,netdev=net0,mac=%s", p->v.emulated ? "e1000" : "virtio-net-pci", vt->mac);
	}
	if (vt->qmp[0]) {
		A(b, "-qmp");
		A(b, "unix:%s,server=on,wait=off", vt->qmp);
	}
}

int isb_vm_redirect_stderr(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	return 0;
}

int isb_vm_qemu_child(void *arg)
{
	struct isb_vm_tenant *vt = arg;
	if (isb_vm_redirect_stderr(vt->errlog) < 0)
		return -1;
	if (!vt->net.made)
		return 0;
	int fd = open(vt->net.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return -1;
	close(fd);
	return 0;
}

void isb_vm_last_line(const char *path, char *out, size_t size)
{
	char buf[8192];
	out[0] = 0;
	ssize_t n;
	{
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		off_t end = lseek(fd, 0, SEEK_END);
		off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
		n = pread(fd, buf, sizeof(buf) - 1, from);
	}
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
