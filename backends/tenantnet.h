/*
 * A tenant's link into the campaign's test network (tenantnet.c).
 */
#ifndef ISB_BACKENDS_TENANTNET_H
#define ISB_BACKENDS_TENANTNET_H

#include "backends/ctconf.h"

struct isb_tenant_net {
	bool made;
	char netns[96]; /* isobench-<campaign>-t<n>, under /run/netns */
	char path[128];
	char outer[16]; /* the bridge's end of the veth */
	char addr[24];	/* the tenant's address */
	char hub[96];	/* the campaign's hub namespace, where outer is */
	bool joined;	/* the namespace is a running process's (isb_tenant_net_join) */
};
int isb_tenant_net_create(const struct isb_config *c, struct isb_tenant_net *n,
			  struct isb_err *err);
/* The same link into the network namespace of a running process (a container an engine
 * made with no network of its own), named isobench-<campaign>-t<n> while it is linked. */
int isb_tenant_net_join(const struct isb_config *c, struct isb_tenant_net *n, pid_t pid,
			struct isb_err *err);
void isb_tenant_net_remove(struct isb_tenant_net *n);
/* For a VM: a tap device bridged with the namespace's eth0, whose address the guest takes;
 * it goes with the namespace. */
int isb_tenant_net_tap(struct isb_tenant_net *n, const char *tap, struct isb_err *err);
/* Does this tenant need a link: its own network namespace and a network stressor? */
bool isb_tenant_wants_link(const struct isb_ctconf *cf, const struct isb_tenant_spec *spec);

#endif
