/*
 * The OCI runtime driver (oci.c), for the backends that run one on the bundle isobench
 * writes: oci (runc, crun) and gvisor (runsc). A backend describes its runtime with a struct
 * isb_oci_runtime (its container keys and defaults, its own steps) and uses the rest as its
 * ops.
 */
#ifndef ISB_BACKENDS_OCI_H
#define ISB_BACKENDS_OCI_H

#include "backends/ctconf.h"
#include "backends/tenantnet.h"

struct isb_oci;

struct isb_oci_runtime {
	const struct isb_ct_kind *kind;
	/* Optional: right after the keys are parsed, what the host cannot give. */
	int (*check)(const struct isb_ctconf *cf, struct isb_err *err);
	/* Optional: its global flags before --root into argv; how many. */
	size_t (*flags)(const struct isb_ctconf *cf, char **argv);
	/* Optional: after the common prepare (the note has the runtime's version): its leaves,
	 * the checks that need the campaign's state; may add to c->cgroup_note. */
	int (*prepared)(struct isb_config *c, struct isb_oci *p, char procs[][512], size_t *nprocs,
			struct isb_err *err);
	bool own_sysfs; /* it has its own view of /sys: no cgroup mount in the bundle */
};

/* A prepared configuration (c->priv). */
struct isb_oci {
	const struct isb_oci_runtime *rt;
	struct isb_ctconf cf;
	unsigned seq;
	char root[600]; /* the runtime's --root */
	char version[64];
	bool hide_unified; /* crun on a hybrid host */
};

int isb_oci_available(struct isb_err *err);
int isb_oci_prepare(struct isb_config *c, const struct isb_oci_runtime *rt, struct isb_err *err);
int isb_oci_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		  struct isb_err *err);
int isb_oci_stop(struct isb_tenant *t, uint64_t grace_ns);
void isb_oci_cleanup(struct isb_config *c);
/* Writes the bundle of tenant name (argv, limits l, its link net and resctrl group rdt) in
 * directory bundle (ocibundle.c). */
int isb_oci_bundle(const struct isb_config *c, const struct isb_oci *p, const char *bundle,
		   const char *name, char **argv, const struct isb_limits *l,
		   const struct isb_tenant_net *net, const struct isb_rdt_tenant *rdt,
		   struct isb_err *err);
/* Runs /bin/true in a throwaway container of p (within 20 s): 0; the runtime's exit status
 * with what it printed in err->msg; or negative with err (the bundle). */
int isb_oci_try(struct isb_config *c, struct isb_oci *p, struct isb_err *err);

#endif
