/*
 * net.peer: the server end of the network stressors, run by the harness as
 * a tenant of its own, placed like one. It listens on an ephemeral TCP port
 * and the same UDP port of the address it is given (loopback by default),
 * says the port in its "ready" line, and serves every connection: the first
 * byte says echo ('e', request/response) or sink ('s', streams and floods);
 * UDP datagrams are counted and dropped. It stops at "stop" or end of stdin.
 */
#include "config.h"
#include "stressors/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct isb_metric peer_metrics[] = {
    {.name = "bytes_in", .unit = "B", .better = ISB_HIGHER, .help = "bytes received, TCP and UDP"},
    {.name = "connections",
     .unit = "connections",
     .better = ISB_HIGHER,
     .help = "TCP connections served"},
    {0},
};

static int listen_fd = -1, udp_fd = -1, port;
static volatile double bytes_in;
static volatile int conns;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int peer_prepare(const struct isb_stressor_args *a, struct isb_report *ready,
			struct isb_err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (a->peer && *a->peer && inet_pton(AF_INET, a->peer, &sa.sin_addr) != 1)
		return isb_errf(err, 0, "net.peer: listen address '%s' is not IPv4", a->peer);
	for (int attempt = 0; attempt < 20; attempt++) {
		listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sa.sin_port = 0;
		socklen_t len = sizeof(sa);
		if (bind(listen_fd, (struct sockaddr *)&sa, len) < 0 || listen(listen_fd, 64) < 0 ||
		    getsockname(listen_fd, (struct sockaddr *)&sa, &len) < 0) {
			int e = errno;
			close(listen_fd);
			return isb_errf(err, e, "net.peer: listen");
		}
		udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (bind(udp_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			port = ntohs(sa.sin_port);
			char p[16];
			snprintf(p, sizeof(p), "%d", port);
			isb_report_info(ready, "port", p);
			return 0;
		}
		close(udp_fd); /* that UDP port is taken: try another pair */
		close(listen_fd);
	}
	return isb_errf(err, EADDRINUSE, "net.peer: no free TCP+UDP port pair");
}

static void add_bytes(double n)
{
	pthread_mutex_lock(&lock);
	bytes_in += n;
	pthread_mutex_unlock(&lock);
}

static void *serve(void *p)
{
	int fd = (int)(intptr_t)p;
	char mode, buf[65536];
	if (isb_net_read_all(fd, &mode, 1) == 0) {
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			add_bytes((double)n);
			if (mode == 'e' && isb_net_write_all(fd, buf, (size_t)n) < 0)
				break;
		}
	}
	close(fd);
	return NULL;
}

static int peer_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t end = isb_now_ns() + (uint64_t)((a->warmup_s + a->duration_s) * 1e9);
	char buf[65536];
	while (!isb_should_stop(a, end)) {
		struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
				      {.fd = udp_fd, .events = POLLIN}};
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			pthread_t t;
			if (c >= 0 && pthread_create(&t, NULL, serve, (void *)(intptr_t)c) == 0) {
				pthread_detach(t);
				conns++;
			} else if (c >= 0) {
				close(c);
			}
		}
		if (p[1].revents & POLLIN) {
			for (int i = 0; i < 256; i++) {
				ssize_t n = recv(udp_fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n <= 0)
					break;
				add_bytes((double)n);
			}
		}
	}
	close(listen_fd);
	close(udp_fd);
	isb_report_set(r, "bytes_in", bytes_in);
	isb_report_set(r, "connections", conns);
	return 0;
}

const struct isb_stressor isb_stressor_net_peer = {
    .name = "net.peer",
    .resource = ISB_RES_NETWORK,
    .roles = ISB_ROLE_PEER,
    .help = "the server end of the network stressors: TCP echo or sink, UDP sink",
    .intensity_help = "ignored",
    .metrics = peer_metrics,
    .prepare = peer_prepare,
    .run = peer_run,
};
