/*
 * Network helpers (stressors/net.c) for the stressors that talk to a peer: connect to
 * args->peer; write or read fully; pace a sender.
 */
#ifndef ISB_NET_H
#define ISB_NET_H

#include "stressors/stressor.h"

int isb_net_connect(const struct isb_stressor_args *a, int type, const char *who,
		    struct isb_err *err);
int isb_net_write_all(int fd, const void *buf, size_t len);
int isb_net_read_all(int fd, void *buf, size_t len);
/* Sleep as needed so that bytes sent since t0 stay under rate bytes/s (0: no cap). */
void isb_net_pace(uint64_t t0, double bytes, double rate);

#endif
