/*
 * The probe (stressors/probe.c): what a tenant really has, seen from inside, against the
 * host's reference. The agent emits it; the harness takes the host's side of it (its
 * namespaces, the boot id) from here too.
 */
#ifndef ISB_PROBE_H
#define ISB_PROBE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* The leaves seen from inside, against the host's reference ("cgroup:INODE,ipc:INODE,..."
 * and the campaign's ceilings; 0: none). */
json_object *isb_probe(const char *host_ns, uint64_t mem_ceiling, uint64_t pids_ceiling);
/* This process's namespaces in the form isb_probe takes. */
void isb_probe_host_ns(char *buf, size_t size);
/* The kernel's boot id, hex digits only; -1 where unreadable. */
int isb_probe_boot_id(char *buf, size_t size);

#endif
