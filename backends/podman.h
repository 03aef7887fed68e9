/*
 * The podman backend's sweep of what a killed campaign left (called by harness/state.c).
 */
#ifndef ISB_BACKENDS_PODMAN_H
#define ISB_BACKENDS_PODMAN_H

#include <stdbool.h>

/* What a dead campaign's podman configurations left under state_dir/podman: conmon and
 * pause processes (by pid, only those whose command line names that directory or whose
 * uid is the campaign's own user), mounts, storage roots. Returns how many it removed. */
int isb_podman_cleanup_state(const char *state_dir, bool verbose);

#endif
