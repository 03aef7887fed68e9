/*
 * QMP, QEMU's JSON control socket, for one thing: the thread ids of a VM's
 * vCPUs (query-cpus-fast), which the vm backend pins one CPU each and hands
 * to the counters.
 */
#include "config.h"
#include "backends/vm.h"
#include "common/json.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QMP_TIMEOUT_NS 10000000000ull

static int qmp_line(int fd, char *buf, size_t size, uint64_t deadline)
{
	size_t o = 0;
	while (o + 1 < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = (int64_t)(deadline - isb_now_ns()) / 1000000;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, buf + o, 1);
		if (n <= 0)
			return -EIO;
		if (buf[o] == '\n') {
			buf[o] = 0;
			return 0;
		}
		o++;
	}
	return -E2BIG;
}

/* A reply (not an event) to what was just sent. */
static json_object *qmp_cmd(int fd, const char *cmd, uint64_t deadline)
{
	char line[16384];
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return NULL;
	while (qmp_line(fd, line, sizeof(line), deadline) == 0) {
		json_object *o = json_tokener_parse(line), *r;
		if (o && (json_object_object_get_ex(o, "return", &r) ||
			  json_object_object_get_ex(o, "error", &r)))
			return o;
		json_object_put(o);
	}
	return NULL;
}

/* Connected to QEMU's QMP socket once QEMU opens it: the fd, or <0 with err. */
static int qmp_connect(const char *sock, pid_t qemu, uint64_t deadline, struct isb_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(sa.sun_path))
		return isb_errf(err, 0, "QMP socket path too long");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	while (isb_now_ns() < deadline) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		if (waitpid(qemu, NULL, WNOHANG | WNOWAIT) == qemu || kill(qemu, 0) < 0)
			return isb_errf(err, 0, "QEMU exited before its QMP socket opened");
		isb_sleep_ns(20000000);
	}
	return isb_errf(err, 0, "no QMP socket %s within 10 s", sock);
}

int isb_vm_vcpu_threads(const char *sock, pid_t qemu, pid_t *tids, size_t max, struct isb_err *err)
{
	uint64_t deadline = isb_now_ns() + QMP_TIMEOUT_NS;
	cleanup_close int fd = qmp_connect(sock, qemu, deadline, err);
	if (fd < 0)
		return fd;
	char greet[4096];
	cleanup_json json_object *caps = NULL;
	cleanup_json json_object *cpus = NULL;
	json_object *ret;
	size_t n = 0;
	if (qmp_line(fd, greet, sizeof(greet), deadline) == 0 &&
	    (caps = qmp_cmd(fd, "{\"execute\":\"qmp_capabilities\"}\n", deadline)) &&
	    (cpus = qmp_cmd(fd, "{\"execute\":\"query-cpus-fast\"}\n", deadline)) &&
	    json_object_object_get_ex(cpus, "return", &ret) &&
	    json_object_is_type(ret, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(ret) && n < max; i++) {
			json_object *tid;
			if (json_object_object_get_ex(json_object_array_get_idx(ret, i),
						      "thread-id", &tid))
				tids[n++] = (pid_t)json_object_get_int(tid);
		}
	}
	if (!n)
		return isb_errf(err, 0, "QMP query-cpus-fast gave no vCPU threads");
	return (int)n;
}
