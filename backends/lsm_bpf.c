/*
 * The BPF-LSM side of the LSM sandbox leaf: the policy (lsm.h) compiled into the path
 * prefixes harness/bpf/lsm.bpf.c reads, and a load probe of those lsm/ programs (file_open,
 * task_kill, ptrace_access_check, sb_mount, kernel_read_file) with libbpf. The probe opens
 * and loads the object, then destroys it at once: nothing is attached, nothing stays loaded
 * (the programs are held by this process's descriptors only: a SIGKILL frees them too).
 * The first program the kernel refuses, and its errno, are the configuration's reason.
 *
 * Untested beyond the refusal: the build hosts' kernel refuses lsm programs (EPERM), and
 * attaching them to tenants (their cgroup2 ids into `scoped`) is not written.
 */
#include "config.h"
#include "backends/lsm.h"
#include "harness/bpf/lsm_policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_DIR	 (1ull << 3)

int isb_lsm_bpf_prefixes(const struct isb_lsm_policy *p, struct isb_lsm_prefix *out, size_t n,
			 struct isb_err *err)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		/* a directory's rule (it lists): its prefix ends in '/', so /usr allows not /usrx
		 */
		bool dir = p->rule[i].access & LL_FS_READ_DIR;
		int len = snprintf(out[k].path, sizeof(out[k].path), "%s%s", p->rule[i].path,
				   dir ? "/" : "");
		if (len < 0 || (size_t)len >= sizeof(out[k].path))
			return isb_errf(err, 0, "%s: longer than the BPF policy's %d bytes",
					p->rule[i].path, ISB_LSM_BPF_PATH - 1);
		if (k + 1 >= n)
			return isb_errf(err, 0, "more than %zu paths", n - 1);
		out[k].len = (unsigned)len;
		out[k++].write = (p->rule[i].access & LL_FS_WRITE_FILE) != 0;
	}
	memset(&out[k], 0, sizeof(out[k])); /* the end */
	return (int)k;
}

#ifdef HAVE_LIBBPF
#include <bpf/libbpf.h>

#include "harness/bpf/lsm.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int isb_bpf_lsm_probe(struct isb_err *err)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct lsm *s = lsm__open();
	int r = 0;
	if (!s) {
		r = -errno;
		isb_errf(err, 0, "open of the lsm/ programs: %s", strerror(-r));
		goto restore;
	}
	if (!bpf_object__next_program(s->obj, NULL)) {
		r = isb_errf(err, 0, "built without the kernel's BTF: no lsm/ programs compiled");
		goto destroy;
	}
	r = lsm__load(s);
	if (r < 0) {
		/* libbpf loads them in order and stops at the first refusal */
		const char *sec = "the lsm/ programs";
		for (struct bpf_program *p = NULL; (p = bpf_object__next_program(s->obj, p));)
			if (bpf_program__fd(p) < 0) {
				sec = bpf_program__section_name(p);
				break;
			}
		isb_errf(err, 0, "load of %s refused: %s", sec, strerror(-r));
	}
destroy:
	lsm__destroy(s); /* every program's descriptor closed: nothing stays loaded */
restore:
	libbpf_set_print(old);
	return r < 0 ? -EPERM : 0;
}
#else
int isb_bpf_lsm_probe(struct isb_err *err)
{
	return isb_errf(err, 0, "built without libbpf (libbpf-dev, clang, bpftool)");
}
#endif
