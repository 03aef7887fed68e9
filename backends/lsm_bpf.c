/*
 * The BPF-LSM side of the LSM sandbox leaf: a load probe. Each hook of the policy (lsm.h)
 * is loaded as a BPF_PROG_TYPE_LSM program attached by BTF id to bpf_lsm_HOOK, then closed
 * at once: nothing is attached and nothing stays loaded. The first refusal is the
 * configuration's reason, in the kernel's words (errno and the verifier's log).
 *
 * Untested beyond the refusal: the build hosts' kernel refuses lsm programs (EPERM).
 */
#include "config.h"
#include "backends/lsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

/* the policy's hooks: files, signals, mounts, module loads */
static const char *const hooks[] = {"file_open", "task_kill", "sb_mount", "kernel_read_file"};

/* one hook: "return 0" (allow), loaded and closed */
static int probe_hook(const struct btf *vmlinux, const char *hook, struct isb_err *err)
{
	char fn[64], log[512] = "";
	snprintf(fn, sizeof(fn), "bpf_lsm_%s", hook);
	int id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
	if (id < 0)
		return isb_errf(err, 0, "the kernel has no %s (BTF)", fn);
	const struct bpf_insn prog[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC,
		    .attach_btf_id = (__u32)id, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "isb_lsm_probe", "GPL", prog, 2, &opts);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	int e = errno;
	char *nl = strchr(log, '\n');
	if (nl)
		*nl = 0;
	return isb_errf(err, 0, "load of lsm/%s refused: %s%s%s", hook, strerror(e),
			log[0] ? "; " : "", log);
}

int isb_bpf_lsm_probe(struct isb_err *err)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return isb_errf(err, 0, "no kernel BTF (/sys/kernel/btf/vmlinux): %s",
				strerror(errno));
	int r = 0;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(hooks) && r == 0; i++)
		r = probe_hook(vmlinux, hooks[i], err);
	btf__free(vmlinux);
	return r < 0 ? -EPERM : 0;
}
#else
int isb_bpf_lsm_probe(struct isb_err *err)
{
	return isb_errf(err, 0, "built without libbpf (libbpf-dev, clang, bpftool)");
}
#endif
