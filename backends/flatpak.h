/*
 * The flatpak backend's sweep of what a killed campaign left (called by harness/state.c).
 */
#ifndef ISB_BACKENDS_FLATPAK_H
#define ISB_BACKENDS_FLATPAK_H

#include <stdbool.h>

/* Under state_dir/flatpak: the tenants still running (agents whose environment names that
 * directory, and the bwrap processes above them, killed by pid), then the repository,
 * installation and home. The number of things removed. */
int isb_flatpak_cleanup_state(const char *state_dir, bool verbose);

#endif
