/*
 * Cache ways and memory bandwidth per tenant: Linux resctrl (Intel RDT, AMD PQoS), resctrl.c.
 */
#ifndef ISB_BACKENDS_RDT_H
#define ISB_BACKENDS_RDT_H

#include "backends/backend.h"

#define ISB_RESCTRL_ROOT "/sys/fs/resctrl"
/* ISB_RESCTRL_ROOT, or $ISOBENCH_RESCTRL_ROOT: a directory tree that looks like resctrl,
 * for the integration tests on hosts without it. */
const char *isb_rdt_root(void);
#define ISB_RDT_MAX_DOMAINS 64

/* What a resctrl root offers (root is /sys/fs/resctrl, or a directory tree in tests). */
struct isb_rdt_host {
	bool l3, mb;	   /* cache allocation (L3 CAT) and memory bandwidth allocation */
	bool cdp;	   /* L3 as L3CODE and L3DATA (mounted with -o cdp) */
	bool mb_percent;   /* MB values are percentages (Intel); else absolute (AMD) */
	bool mba_mbps;	   /* mounted with mba_MBps: MB values are MB/s */
	uint64_t cbm_mask; /* info/L3/cbm_mask: every way */
	unsigned cbm_bits; /* ways */
	unsigned min_cbm_bits, l3_closids, mb_closids;
	unsigned mb_gran, mb_min, mb_max; /* info/MB; mb_max: the default group's value */
	size_t nl3, nmb;
	unsigned l3_dom[ISB_RDT_MAX_DOMAINS], mb_dom[ISB_RDT_MAX_DOMAINS];
};
/* 0 with h filled, or -1 and why in err (no resctrl, not mounted, no allocation). */
int isb_rdt_probe(const char *root, struct isb_rdt_host *h, struct isb_err *err);
/* The contiguous mask of ways for a side (0 victim: the low ways, 1 aggressor: the high). */
uint64_t isb_rdt_mask(const struct isb_rdt_host *h, unsigned ways, int side);
/* The MB value for a percentage: the host's granularity, at least min_bandwidth. */
unsigned isb_rdt_mb_value(const struct isb_rdt_host *h, unsigned percent);

/* A configuration's allocation: the schemata each side's groups get. */
struct isb_rdt_plan {
	unsigned ways, percent; /* asked (llc.ways, mb.percent); 0 unset */
	char schemata[2][512];	/* side 0 (victim and its peer), side 1 (aggressor and its peer) */
	char mb_line[2][256];	/* the MB line alone (OCI's memBwSchema) */
	char l3_line[2][256];	/* the L3 line(s) alone (OCI's l3CacheSchema) */
};
/* Checks the host can give both sides what was asked and fills p; appends to note what
 * will be applied. */
int isb_rdt_plan_make(const char *root, unsigned ways, unsigned percent, struct isb_rdt_plan *p,
		      char *note, size_t note_size, struct isb_err *err);

struct isb_rdt_tenant {
	char name[160]; /* isobench-<campaign>-<tenant>: the group, and OCI's closID */
	char dir[700];
	char tasks[720];
};
/* Creates root/isobench-<campaign>-<name> with the side's schemata (the side from the label,
 * as the limits: "aggressor…" is side 1). */
int isb_rdt_tenant_create(const char *root, const struct isb_rdt_plan *p, const char *campaign_id,
			  const char *name, const char *label, struct isb_rdt_tenant *t,
			  struct isb_err *err);
/* Adds every thread of pid (resctrl is per task; children inherit at fork). */
int isb_rdt_add_task(const struct isb_rdt_tenant *t, pid_t pid, struct isb_err *err);
void isb_rdt_tenant_remove(struct isb_rdt_tenant *t);
/* Every group of a campaign under root; how many it removed. */
int isb_rdt_campaign_remove_at(const char *root, const char *campaign_id);
int isb_rdt_campaign_remove(const char *campaign_id);
/* Campaign ids that have groups under root (ids are YYYYmmdd-HHMMSS-hex). */
int isb_rdt_list_campaigns_at(const char *root, char ids[][40], size_t max);
int isb_rdt_list_campaigns(char ids[][40], size_t max);

#endif
