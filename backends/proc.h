/*
 * Helpers of process-based backends: spawning a tenant with pipes, stopping and reaping it,
 * running host commands, the agent's command line, /dev/kvm.
 */
#ifndef ISB_BACKENDS_PROC_H
#define ISB_BACKENDS_PROC_H

#include "backends/backend.h"

/* Shared by process-based backends: fork with pipes; the child joins the cgroups, pins
 * itself, then runs the agent (exec, or in-process when !exec_agent). */
int isb_proc_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		   bool exec_agent, const char *cgroup_procs[], struct isb_err *err);
/* The same with a hook run in the child just before exec of argv (NULL: the agent's). */
struct isb_spawn_hook {
	char *const *argv;
	int (*child)(void *arg); /* <0 with errno: the child reports and exits */
	void *arg;
	bool skip_pin;
};
int isb_proc_spawn_ex(struct isb_config *c, const struct isb_tenant_spec *spec,
		      struct isb_tenant *t, const char *cgroup_procs[],
		      const struct isb_spawn_hook *hook, struct isb_err *err);
/* In a forked tenant: writes an error event naming what failed (and errno), exits 127. */
void isb_child_fail(const char *what) __attribute__((noreturn));
/* Whether /dev/kvm can create a VM here: 1, or 0 with the reason. */
int isb_kvm_usable(struct isb_err *err);
/* Runs argv to completion with output to /dev/null (stderr to errbuf); exit status. */
int isb_run_cmd(char *const argv[], char *errbuf, size_t errsize);
/* PROG ARGS... (NULL-terminated) to completion: 0, or negative with err (may be NULL) naming
 * the command line and what it printed. */
int isb_run_prog(struct isb_err *err, const char *prog, ...);
/* The same with its standard output into out (stderr to /dev/null). */
int isb_run_output(char *const argv[], char *out, size_t size);
int isb_proc_stop(struct isb_tenant *t, uint64_t grace_ns);
/* A tenant behind a client that forwards the agent's pipes (an OCI runtime, docker run):
 * end of stdin, then kill_it(arg) past grace_ns (the container's owner kills it) and the
 * client stopped; no kill_it: isb_proc_stop. Exit status 128+N becomes signal N. */
int isb_proc_stop_via(struct isb_tenant *t, uint64_t grace_ns, void (*kill_it)(void *), void *arg);
/* argv for the agent from a spec; returns argc; strings live in store. */
int isb_agent_argv(const struct isb_config *c, const struct isb_tenant_spec *spec, char **argv,
		   size_t max, char *store, size_t store_size);

#endif
