/*
 * A tenant's link into the campaign's test network: for a tenant with its
 * own network namespace that runs a network stressor (or a peer), a named
 * namespace isobench-<campaign>-t<n> holding one end of a veth pair as eth0
 * with a link-local address; the other end is a port of the bridge isbbr
 * inside the campaign's hub namespace (isobench-<campaign>-a). Tenants then
 * talk to each other through the bridge, never through the host's network.
 * Everything carries the campaign id and goes with the hub namespace at the
 * campaign's end, or with the next start after a kill.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/tenantnet.h"
#include "backends/proc.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* pid 0: a new namespace; else the namespace of that process, named for the campaign. */
static int net_make(const struct isb_config *c, struct isb_tenant_net *n, pid_t pid,
		    struct isb_err *err)
{
	static unsigned next; /* unique across the campaign's configurations */
	unsigned seq = ++next;
	memset(n, 0, sizeof(*n));
	if (!c->testnet_hub[0])
		return isb_errf(
		    err, 0,
		    "a network stressor in a tenant with its own network namespace needs "
		    "the campaign's test network (set test_network = yes)");
	uint32_t h = 2166136261u;
	for (const char *p = c->campaign_id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(n->netns, sizeof(n->netns), "isobench-%s-t%u", c->campaign_id, seq);
	snprintf(n->outer, sizeof(n->outer), "isb%08x%04x", h, seq & 0xffff);
	snprintf(n->addr, sizeof(n->addr), "%s.%u", c->testnet_subnet, seq % 250 + 2);
	char cidr[40];
	snprintf(cidr, sizeof(cidr), "%s/24", n->addr);
	const char *hub = c->testnet_hub;
	snprintf(n->hub, sizeof(n->hub), "%s", hub);
	char pidstr[24];
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	n->made = true;
	n->joined = pid > 0;
	if ((pid > 0 ? isb_run_prog(err, "ip", "netns", "attach", n->netns, pidstr, NULL)
		     : isb_run_prog(err, "ip", "netns", "add", n->netns, NULL)) < 0 ||
	    isb_run_prog(err, "ip", "link", "add", n->outer, "netns", hub, "type", "veth", "peer",
			 "name", "eth0", "netns", n->netns, NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", hub, "link", "set", n->outer, "master", "isbbr", "up",
			 NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "addr", "add", cidr, "dev", "eth0", NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "set", "eth0", "up", NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "set", "lo", "up", NULL) < 0) {
		isb_tenant_net_remove(n);
		return -EIO;
	}
	snprintf(n->path, sizeof(n->path), "/run/netns/%s", n->netns);
	return 0;
}

int isb_tenant_net_create(const struct isb_config *c, struct isb_tenant_net *n, struct isb_err *err)
{
	return net_make(c, n, 0, err);
}

int isb_tenant_net_join(const struct isb_config *c, struct isb_tenant_net *n, pid_t pid,
			struct isb_err *err)
{
	if (pid <= 0)
		return isb_errf(err, 0, "no process to join the test network with"), -EINVAL;
	return net_make(c, n, pid, err);
}

int isb_tenant_net_tap(struct isb_tenant_net *n, const char *tap, struct isb_err *err)
{
	char cidr[40];
	snprintf(cidr, sizeof(cidr), "%s/24", n->addr);
	/* the address moves into the guest; eth0 and the tap become ports of one bridge */
	if (isb_run_prog(err, "ip", "-n", n->netns, "addr", "del", cidr, "dev", "eth0", NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "add", "br0", "type", "bridge", NULL) <
		0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "set", "eth0", "master", "br0", NULL) <
		0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "tuntap", "add", "dev", tap, "mode", "tap",
			 NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "set", tap, "master", "br0", "up",
			 NULL) < 0 ||
	    isb_run_prog(err, "ip", "-n", n->netns, "link", "set", "br0", "up", NULL) < 0)
		return -EIO;
	return 0;
}

void isb_tenant_net_remove(struct isb_tenant_net *n)
{
	struct isb_err err = {0};
	if (!n->made)
		return;
	/* the namespace takes its end of the veth, and so the pair, with it; a joined one
	 * lives on with its process (a container its engine removes): the pair goes by its
	 * bridge end, and only the name goes */
	if (n->joined && n->hub[0])
		isb_run_prog(&err, "ip", "-n", n->hub, "link", "del", n->outer, NULL);
	if (isb_run_prog(&err, "ip", "netns", "del", n->netns, NULL) < 0)
		isb_log("backend", "%s", err.msg);
	n->made = false;
}

bool isb_tenant_wants_link(const struct isb_ctconf *cf, const struct isb_tenant_spec *spec)
{
	return (cf->ns & (1u << ISB_NS_NET)) && (spec->role == ISB_ROLE_PEER || spec->peer);
}
