/*
 * The docker backend's private daemon and image (dockerd.c), and the sweep of what a killed
 * campaign's daemon left (called by harness/state.c).
 */
#ifndef ISB_BACKENDS_DOCKER_H
#define ISB_BACKENDS_DOCKER_H
#include "backends/backend.h"

#include <stdbool.h>
#include <sys/types.h>

/* A campaign's private dockerd: everything under root = <state_dir>/docker. */
struct isb_dockerd {
	char root[560];
	char sock[600];	   /* unix socket */
	char host[610];	   /* "unix://SOCK", for docker -H */
	char image[96];	   /* isobench-<campaign>:agent */
	char version[160]; /* "Docker 20.10.24, containerd 1.6.20" */
	pid_t pid;	   /* 0: none started */
	bool external;	   /* a daemon the suite named (socket = PATH): only our image goes */
};

/* Starts the daemon under c's state directory and waits for its socket (deadline). */
int isb_dockerd_start(struct isb_config *c, struct isb_dockerd *d, struct isb_err *err);
/* The daemon at socket sock (socket = PATH): its files under <state_dir>/docker-host. */
int isb_dockerd_attach(struct isb_config *c, struct isb_dockerd *d, const char *sock,
		       struct isb_err *err);
/* A root file system of the agent, fio and their libraries, `docker import`ed as d->image. */
int isb_dockerd_image(struct isb_config *c, struct isb_dockerd *d, struct isb_err *err);
/* SIGTERM by its pid, SIGKILL after a grace; its processes, mounts and data root go. */
void isb_dockerd_stop(struct isb_dockerd *d);
/* What a dead campaign's daemon left under state_dir/docker (its pid only if its cmdline
 * names that directory): the number of things removed. */
int isb_docker_cleanup_state(const char *state_dir, bool verbose);

#endif
