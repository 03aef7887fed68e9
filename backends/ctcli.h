/*
 * What the backends that drive a container engine's command line (docker, podman) share:
 * the argv they build, the container keys' limits and capabilities as the engines' common
 * flags (--cpus, --cpuset-cpus, --cpu-shares, --memory, --memory-swap, --device-*-bps/iops,
 * --pids-limit, --cap-drop/--cap-add), and the root file system of the agent, fio and their
 * libraries that their images are made of.
 */
#ifndef ISB_BACKENDS_CTCLI_H
#define ISB_BACKENDS_CTCLI_H
#include "backends/backend.h"
#include "backends/ctconf.h"
#include "backends/tenantnet.h"

#include <sched.h>

/* Swaps two lvalues (a backend's own keys moved past nopts while the container keys parse). */
#define ISB_SWAP(a, b)                                                                             \
	do {                                                                                       \
		__typeof__(a) t_ = (a);                                                            \
		(a) = (b);                                                                         \
		(b) = t_;                                                                          \
	} while (0)

/* argv under construction: the strings live in store */
struct isb_ctargv {
	char *v[128];
	size_t n, o;
	char store[12288];
};

/* Appends one argument; -E2BIG when it does not fit. */
int isb_ctargv_add(struct isb_ctargv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The tenant's limits l (and the CPUs it runs on) as the engines' flags. */
int isb_ctcli_limit_flags(struct isb_ctargv *a, const struct isb_limits *l, const cpu_set_t *cpus);
/* --cap-add=ALL, or --cap-drop=ALL and a --cap-add per kept capability. */
int isb_ctcli_caps_flags(struct isb_ctargv *a, const struct isb_ctconf *cf);
/* A network tenant of an engine's none network: its spec as the engine starts it (a peer
 * listens on any address until its link exists), and whether it wants a link (link). */
struct isb_tenant_spec isb_ctcli_link_spec(const struct isb_ctconf *cf,
					   const struct isb_tenant_spec *spec, bool *link);
/* Once the container's process t->threads[0] runs: the campaign's test network joins its
 * namespace (n), and t->addr is its address. 0, or -EIO with err. */
int isb_ctcli_link_join(const struct isb_config *c, const char *label, struct isb_tenant *t,
			struct isb_tenant_net *n, struct isb_err *err);
/* Whether prog is an executable in PATH. */
bool isb_ctcli_in_path(const char *prog);
/* Detaches every mount under dir, deepest (latest) first: how many. */
int isb_ctcli_umount_under(const char *dir);

#endif
