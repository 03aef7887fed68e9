/*
 * report.md's configurations section: each configuration's declared taxonomy
 * leaves beside those its victims' probes saw from inside, and whether they
 * agree (as far as a probe there can see).
 */
#include "config.h"
#include "analysis/cells.h"

#include <string.h>

/* The leaves a victim's probe can see. On the host: all of them (container, sandbox, and
 * hypervisor leaves, which it never sees there). Inside gVisor it sees gVisor's own kernel:
 * namespaces and capabilities, not the host's cgroups nor the platform under it (its
 * signature stands for those). Inside a VM: the hypervisor leaves, not the cgroup around
 * QEMU. Keeps the visible ones of a "A,B,C" list, in order. */
static void visible_leaves(const char *in, bool gvisor, bool guest, char *out, size_t size)
{
	char buf[256];
	size_t o = 0;
	out[0] = 0;
	snprintf(buf, sizeof(buf), "%s", in ? in : "");
	for (char *save, *t = strtok_r(buf, ",", &save); t && o < size;
	     t = strtok_r(NULL, ",", &save))
		if (gvisor  ? !strcmp(t, "CT_NS") || !strcmp(t, "CT_CAPS")
		    : guest ? !strncmp(t, "HV_", 3)
			    : true)
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "," : "", t);
}

/* Whether the leaves each probe saw are those the configuration declares (of those a probe
 * there can see), as "ok" or "**MISMATCH**: …". */
static void leaves_check(const struct isb_config_row *cf, char *check, size_t size)
{
	char want[256], seen[256];
	bool gv = strstr(cf->probed, "(gVisor)");
	/* inside a VM the probe sees the hypervisor, not the cgroup around QEMU */
	bool guest = !strcmp(cf->klass, "hypervisor");
	visible_leaves(cf->declared_leaves, gv, guest, want, sizeof(want));
	snprintf(check, size, "ok");
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", cf->probed);
	for (char *save, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		char *mark = strstr(t, " (gVisor)");
		if (mark)
			*mark = 0;
		visible_leaves(isb_trim(t), gv, guest, seen, sizeof(seen));
		if (strcmp(seen, want)) {
			snprintf(check, size, "**MISMATCH**: declared %s, probe saw %s",
				 want[0] ? want : "none", seen[0] ? seen : "none");
			break;
		}
	}
}

void isb_md_probed(char *out, size_t size, const char *probed)
{
	size_t o = 0;
	out[0] = 0;
	if (!probed) {
		snprintf(out, size, "-");
		return;
	}
	/* the distinct sets, " | "-separated in the store: "; " in a table cell */
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", probed);
	char *save, *t = strtok_r(buf, "|", &save);
	if (!t)
		snprintf(out, size, "none");
	for (; t && o < size; t = strtok_r(NULL, "|", &save)) {
		t = isb_trim(t);
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "; " : "", *t ? t : "none");
	}
}

/* Each configuration's declared leaves beside the leaves its victims' probe saw. */
void isb_md_leaves_section(FILE *f, const struct isb_analysis *a)
{
	if (!a->configs.leaves)
		return; /* a schema 1 campaign: no probes were stored */
	fprintf(f, "## Configurations: declared and probed leaves\n\n"
		   "| config | backend | class | declared | probed (victims) | check | setup |\n"
		   "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->configs.n; i++) {
		const struct isb_config_row *cf = &a->configs.row[i];
		char check[300] = "no probe", probed[300];
		if (cf->probed)
			leaves_check(cf, check, sizeof(check));
		isb_md_probed(probed, sizeof(probed), cf->probed);
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", cf->name, cf->backend,
			cf->klass, cf->declared_leaves[0] ? cf->declared_leaves : "none", probed,
			check, cf->available ? cf->cgroup_note : "unavailable");
	}
	fprintf(f, "\n");
}
