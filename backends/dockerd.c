/*
 * The docker backend's private daemon: a dockerd per campaign with its data root, exec root,
 * socket and pid file under <state_dir>/docker, no bridge and no iptables rules (Docker's
 * default bridge range is private); the image it runs, the agent's root file system (agentfs.c)
 * `docker import`ed; and its removal, at the end of the campaign or by the next start's sweep.
 */
#include "config.h"
#include "backends/agentfs.h"
#include "backends/ctcli.h"
#include "backends/docker.h"
#include "backends/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOCKERD_START_NS (30ull * 1000000000ull)
#define DOCKERD_GRACE_NS (10ull * 1000000000ull)

static int sock_ready(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void dockerd_exec(const struct isb_dockerd *d)
{
	char data[600], exec_root[600], pidf[600], log[600];
	snprintf(data, sizeof(data), "%s/data", d->root);
	snprintf(exec_root, sizeof(exec_root), "%s/exec", d->root);
	snprintf(pidf, sizeof(pidf), "%s/dockerd.pid", d->root);
	snprintf(log, sizeof(log), "%s/dockerd.log", d->root);
	setsid();
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600), nul = open("/dev/null", O_RDONLY);
	if (fd < 0 || nul < 0)
		_exit(127);
	dup2(nul, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	for (int i = 3; i < 1024; i++)
		close(i);
	char *argv[] = {"dockerd",
			"--data-root",
			data,
			"--exec-root",
			exec_root,
			"-H",
			(char *)d->host,
			"--pidfile",
			pidf,
			"--bridge=none",
			"--iptables=false",
			"--ip6tables=false",
			"--ip-masq=false",
			NULL};
	execvp("dockerd", argv);
	_exit(127);
}

/* The last line of the daemon's log, for an error. */
static void log_tail(const struct isb_dockerd *d, char *out, size_t size)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/dockerd.log", d->root);
	isb_file_last_line(path, out, size);
}

static void read_versions(struct isb_dockerd *d)
{
	char out[256] = "";
	char *argv[] = {"docker",
			"-H",
			d->host,
			"version",
			"--format",
			"Docker {{.Server.Version}}{{range .Server.Components}}{{if eq .Name "
			"\"containerd\"}}, containerd {{.Version}}{{end}}{{end}}",
			NULL};
	if (isb_run_output(argv, out, sizeof(out)) == 0)
		snprintf(d->version, sizeof(d->version), "%s", isb_trim(out));
	else
		snprintf(d->version, sizeof(d->version), "Docker (version unknown)");
}

int isb_dockerd_start(struct isb_config *c, struct isb_dockerd *d, struct isb_err *err)
{
	snprintf(d->root, sizeof(d->root), "%s/docker", c->state_dir);
	snprintf(d->sock, sizeof(d->sock), "%s/docker.sock", d->root);
	snprintf(d->host, sizeof(d->host), "unix://%s", d->sock);
	if (strlen(d->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return isb_errf(err, 0, "docker: socket path %s is too long", d->sock);
	if (mkdir(d->root, 0700) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", d->root);
	pid_t pid = fork();
	if (pid < 0)
		return isb_errf(err, errno, "docker: fork");
	if (pid == 0)
		dockerd_exec(d);
	d->pid = pid;
	if (c->record_pid)
		c->record_pid(pid);
	uint64_t deadline = isb_now_ns() + DOCKERD_START_NS;
	while (!sock_ready(d->sock)) {
		int st;
		char tail[300];
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			log_tail(d, tail, sizeof(tail));
			return isb_errf(err, 0, "dockerd exited at start: %s", tail);
		}
		if (isb_now_ns() > deadline) {
			log_tail(d, tail, sizeof(tail));
			return isb_errf(err, 0, "dockerd: no socket after 30 s (%s)", tail);
		}
		isb_sleep_ns(20000000);
	}
	read_versions(d);
	return 0;
}

int isb_dockerd_attach(struct isb_config *c, struct isb_dockerd *d, const char *sock,
		       struct isb_err *err)
{
	snprintf(d->root, sizeof(d->root), "%s/docker-host", c->state_dir);
	snprintf(d->sock, sizeof(d->sock), "%s", sock);
	snprintf(d->host, sizeof(d->host), "unix://%s", d->sock);
	d->external = true;
	if (mkdir(d->root, 0700) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", d->root);
	if (!sock_ready(d->sock))
		return isb_errf(err, errno, "socket = %s: no daemon answers", d->sock);
	read_versions(d);
	return 0;
}

int isb_dockerd_image(struct isb_config *c, struct isb_dockerd *d, struct isb_err *err)
{
	char rootfs[700];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", d->root);
	if (isb_agent_rootfs(c, rootfs, false, NULL, err) < 0)
		return -EIO;
	snprintf(d->image, sizeof(d->image), "isobench-%s:agent", c->campaign_id);
	char cmd[2000];
	snprintf(cmd, sizeof(cmd), "tar -C '%s' -cf - . | docker -H '%s' import - '%s' >/dev/null",
		 rootfs, d->host, d->image);
	if (d->external) { /* what the sweep removes from that daemon if the campaign dies */
		char rec[1300];
		snprintf(rec, sizeof(rec), "%s\n%s\n", d->host, d->image);
		char path[700];
		snprintf(path, sizeof(path), "%s/image", d->root);
		cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, rec, strlen(rec)) != (ssize_t)strlen(rec))
			return isb_errf(err, EIO, "docker: record %s", path);
	}
	int r = isb_run_prog(err, "sh", "-c", cmd, NULL);
	isb_remove_tree(rootfs);
	return r;
}

/* Whether pid is one of the daemon's programs (dockerd, containerd and its shims, runc). */
static bool daemon_comm(pid_t pid)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (isb_read_file(path, comm, sizeof(comm)) <= 0)
		return false;
	return !strncmp(comm, "dockerd", 7) || !strncmp(comm, "containerd", 10) ||
	       !strncmp(comm, "runc", 4) || !strncmp(comm, "docker", 6);
}

/* SIGKILL to every daemon program whose command line names dir (containerd, its shims). */
static int kill_naming(const char *dir)
{
	int n = 0;
	DIR *p = opendir("/proc");
	struct dirent *e;
	while (p && (e = readdir(p))) {
		char path[300], buf[4096];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 1 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = 0;
		if (strstr(buf, dir) && daemon_comm(pid) && kill(pid, SIGKILL) == 0)
			n++;
	}
	if (p)
		closedir(p);
	return n;
}

static int remove_root(const char *root)
{
	int n = kill_naming(root);
	if (n)
		isb_sleep_ns(100000000); /* their mounts go with them */
	n += isb_ctcli_umount_under(root);
	n += isb_ctcli_umount_under(root); /* the ones the first pass uncovered */
	isb_remove_tree(root);
	return n;
}

/* On a daemon the suite named: our containers (named isobench-<campaign>-) and image. */
static int external_remove(const char *host, const char *image, const char *id)
{
	char cmd[2000];
	snprintf(cmd, sizeof(cmd),
		 "docker -H '%s' ps -aq --filter name=isobench-%s- | xargs -r docker -H '%s' rm "
		 "-f >/dev/null 2>&1; docker -H '%s' rmi -f '%s' >/dev/null 2>&1",
		 host, id, host, host, image);
	return isb_run_prog(NULL, "sh", "-c", cmd, NULL) == 0;
}

void isb_dockerd_stop(struct isb_dockerd *d)
{
	if (d->external) {
		char id[64];
		const char *dash = strchr(d->image, '-'), *colon = strrchr(d->image, ':');
		snprintf(id, sizeof(id), "%.*s", dash && colon ? (int)(colon - dash - 1) : 0,
			 dash ? dash + 1 : "");
		if (d->image[0] && id[0])
			external_remove(d->host, d->image, id);
		isb_remove_tree(d->root);
		return;
	}
	if (d->pid > 0) {
		int st;
		kill(d->pid, SIGTERM);
		uint64_t deadline = isb_now_ns() + DOCKERD_GRACE_NS;
		pid_t r;
		while ((r = waitpid(d->pid, &st, WNOHANG)) == 0 && isb_now_ns() < deadline)
			isb_sleep_ns(20000000);
		if (r == 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
		}
		d->pid = 0;
	}
	if (d->root[0])
		remove_root(d->root);
}

/* A named daemon's containers and image of a dead campaign (its id: state_dir's name). */
static int cleanup_external(const char *state_dir, bool verbose)
{
	char path[700], buf[1400];
	snprintf(path, sizeof(path), "%s/docker-host/image", state_dir);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	char *nl = strchr(buf, '\n'), *image = nl ? nl + 1 : NULL, *host = buf;
	const char *id = strrchr(state_dir, '/');
	if (!image)
		return 0;
	*nl = 0;
	isb_trim(image);
	if (!strncmp(host, "unix://", 7) && id)
		external_remove(host, image, id + 1);
	if (verbose)
		isb_log("cleanup", "removed %s and its containers from %s", image, host);
	snprintf(path, sizeof(path), "%s/docker-host", state_dir);
	isb_remove_tree(path);
	return 1;
}

int isb_docker_cleanup_state(const char *state_dir, bool verbose)
{
	char root[600], path[700], buf[4096];
	struct stat st;
	int ext = cleanup_external(state_dir, verbose);
	snprintf(root, sizeof(root), "%s/docker", state_dir);
	if (stat(root, &st) < 0)
		return ext;
	int n = 0;
	snprintf(path, sizeof(path), "%s/dockerd.pid", root);
	if (isb_read_file(path, buf, sizeof(buf)) > 0) {
		pid_t pid = (pid_t)atoi(buf);
		char cmd[4096] = "";
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		ssize_t len = pid > 1 ? isb_read_file(path, cmd, sizeof(cmd)) : -1;
		for (ssize_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		/* only the daemon whose data root is ours */
		if (len > 0 && strstr(cmd, root) && kill(pid, SIGKILL) == 0) {
			n++;
			if (verbose)
				isb_log("cleanup", "killed the private dockerd pid %d", (int)pid);
		}
	}
	n += remove_root(root);
	if (verbose)
		isb_log("cleanup", "removed the private dockerd's %s", root);
	return n + 1;
}
