/*
 * An unprivileged user that tenants run as (rootless engines): one the suite names, or one
 * the campaign creates with subordinate uid and gid ranges and removes at its end. A created
 * user is named isb-<campaign id>, recorded in the campaign's state directory before it
 * exists, so the next start's sweep (harness/state.c) removes what a killed campaign left.
 */
#ifndef ISB_BACKENDS_TENANTUSER_H
#define ISB_BACKENDS_TENANTUSER_H
#include "backends/backend.h"

#include <stdbool.h>
#include <sys/types.h>

struct isb_tenant_user {
	char name[40];
	uid_t uid;
	gid_t gid;
	bool created; /* by this campaign: removed by isb_tenant_user_put */
};

/* The user named name (it must exist, not be root, and have a subordinate uid and gid range),
 * or with name NULL or "" the campaign's own, created on first use (useradd) and shared by
 * the campaign's configurations until the last isb_tenant_user_put. */
int isb_tenant_user_get(const struct isb_config *c, const char *name, struct isb_tenant_user *u,
			struct isb_err *err);
/* Drops what isb_tenant_user_get took: the created user, with every process it still runs
 * (killed by pid), goes with the last one. */
void isb_tenant_user_put(struct isb_tenant_user *u);
/* In a forked child: no supplementary groups, then the user's gid and uid. */
int isb_tenant_user_become(const struct isb_tenant_user *u);
/* Makes the state root and the campaign's state directory (c->state_dir) mode 0711, so the
 * user reaches its own directories below them: search, not read. */
int isb_tenant_user_open_state(const struct isb_config *c, struct isb_err *err);
/* Whether the user can search every directory down to path: 0, or an error naming what (what
 * lies there, for the message), the first directory it cannot search, its mode, and the hint
 * (what to change, or ""). */
int isb_tenant_user_reachable(const char *path, const struct isb_tenant_user *u, const char *what,
			      const char *hint, struct isb_err *err);
/* SIGKILL to every process whose real uid is uid, by pid: how many. */
int isb_tenant_user_kill_all(uid_t uid);
/* The user a dead campaign created (recorded under state_dir, named isb-<its id>): its
 * processes and the user go. Returns how many things it removed. */
int isb_tenant_user_cleanup_state(const char *state_dir, bool verbose);

#endif
