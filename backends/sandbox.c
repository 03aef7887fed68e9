/*
 * The sandbox backend: isobench's own system-call interception (intercept.c) around the
 * agent, run by the own runtime (container.c) with no namespaces, no cgroup policy and every
 * capability unless the configuration asks for them: the sandbox class alone, and composable
 * with every container key.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/container.h"

#include <string.h>

#define SB_KEYS (ISB_CTK_NS | ISB_CTK_CGROUP | ISB_CTK_SANDBOX | ISB_CTK_LSM)

/* the sandbox alone; container leaves are added key by key */
const struct isb_ct_kind isb_ct_sandbox = {
    .keys = SB_KEYS,
    .policy = ISB_POLICY_NONE,
    .caps = "all",
    .sb = ISB_SB_SECCOMP,
    .runtime = "runc",
};

static int sb_prepare(struct isb_config *c, struct isb_err *err)
{
	return isb_ct_prepare(c, &isb_ct_sandbox, err);
}

static void sb_describe(FILE *out, struct json_object *host)
{
	fprintf(out, "sandbox class:\n");
	for (int m = ISB_SB_SECCOMP; m < ISB_SB__COUNT; m++) {
		const char *why = isb_sandbox_unavailable((enum isb_sb_mode)m);
		fprintf(out, "  %-14s %s%s\n", isb_sb_names[m], why ? "unavailable: " : "available",
			why ? why : "");
	}
	/* the LSM sandbox (lsm = landlock | bpf): what prepare would find */
	int abi = isb_landlock_abi();
	struct isb_err bpf = {0};
	if (abi > 0)
		fprintf(out, "  %-14s available (ABI %d)\n", "lsm=landlock", abi);
	else
		fprintf(out, "  %-14s unavailable: %s\n", "lsm=landlock", strerror(-abi));
	if (isb_bpf_lsm_probe(&bpf) < 0)
		fprintf(out, "  %-14s unavailable: %s\n", "lsm=bpf", bpf.msg);
	else
		fprintf(out, "  %-14s unavailable: the programs load, enforcing is not written\n",
			"lsm=bpf");
}

const struct isb_backend isb_backend_sandbox = {
    .name = "sandbox",
    .class = ISB_CLASS_SANDBOX,
    .help = "isobench's own system-call interception (sandbox = seccomp | seccomp-notify | ptrace "
	    "| sud), composable with every container key",
    .available = isb_ct_available,
    .options = isb_ctconf_options,
    .option_set = SB_KEYS,
    .prepare = sb_prepare,
    .spawn = isb_ct_spawn,
    .stop = isb_ct_stop,
    .cleanup = isb_ct_cleanup,
    .describe = sb_describe,
};
