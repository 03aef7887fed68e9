/*
 * What the network stressors share: connecting to the peer given as
 * HOST:PORT (IPv4 or IPv6 literal, as the harness passes them: loopback for
 * native tenants, an address of the campaign's own test network otherwise),
 * full reads and writes, and pacing that keeps every sender under its rate.
 */
#include "config.h"
#include "stressors/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int isb_net_connect(const struct isb_stressor_args *a, int type, const char *who,
		    struct isb_err *err)
{
	char host[128];
	if (!a->peer || !*a->peer)
		return isb_errf(err, 0, "%s needs a peer (--peer HOST:PORT)", who);
	snprintf(host, sizeof(host), "%s", a->peer);
	char *colon = strrchr(host, ':');
	if (!colon)
		return isb_errf(err, 0, "%s: peer '%s' is not HOST:PORT", who, a->peer);
	*colon = 0;
	int port = atoi(colon + 1);
	char *h = host;
	if (*h == '[') { /* [fd00::1]:port */
		h++;
		h[strcspn(h, "]")] = 0;
	}
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		len = sizeof(*v6);
	} else {
		return isb_errf(err, 0, "%s: peer address '%s' is not an IP literal", who, h);
	}
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return isb_errf(err, errno, "%s: socket", who);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return isb_errf(err, e, "%s: connect to %s", who, a->peer);
	}
	if (type == SOCK_STREAM) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/* Moves len bytes with op (read or write), through short transfers and EINTR. */
static int net_all(ssize_t (*op)(int, void *, size_t), int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = op(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t write_op(int fd, void *buf, size_t len)
{
	return write(fd, buf, len);
}

int isb_net_write_all(int fd, const void *buf, size_t len)
{
	return net_all(write_op, fd, (void *)buf, len);
}

int isb_net_read_all(int fd, void *buf, size_t len)
{
	return net_all(read, fd, buf, len);
}

void isb_net_pace(uint64_t t0, double bytes, double rate)
{
	if (rate <= 0)
		return;
	uint64_t due = t0 + (uint64_t)(bytes / rate * 1e9), now = isb_now_ns();
	if (due > now)
		isb_sleep_ns(due - now);
}
