/*
 * isobench's own runtime (container.c), for the backends built on it: container and
 * sandbox. Each passes its own kind (the keys it takes, its defaults) to isb_ct_prepare and
 * uses the rest as its ops.
 */
#ifndef ISB_BACKENDS_CONTAINER_H
#define ISB_BACKENDS_CONTAINER_H

#include "backends/ctconf.h"

int isb_ct_available(struct isb_err *err);
int isb_ct_prepare(struct isb_config *c, const struct isb_ct_kind *kind, struct isb_err *err);
int isb_ct_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		 struct isb_err *err);
int isb_ct_stop(struct isb_tenant *t, uint64_t grace_ns);
void isb_ct_cleanup(struct isb_config *c);

#endif
