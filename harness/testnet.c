/*
 * The campaign's own test network: two network namespaces joined by a veth
 * pair, addressed only in 169.254.0.0/16, so that container, sandbox and VM
 * tenants can be attached to it and traffic never leaves namespaces the
 * campaign created. Names carry the campaign id (namespaces
 * isobench-<id>-a/-b; links isb<hash>a/b, as link names are at most 15
 * characters), they are written to the campaign's state directory before
 * they exist, and they are removed with the campaign or by the next start.
 * Built with iproute2's `ip`, which every Linux server has.
 */
#include "config.h"
#include "harness/harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_ip(struct isb_err *err, const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		execvp("ip", (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return isb_errf(err, errno, "fork ip");
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char cmd[300];
		size_t o = 0;
		for (int i = 0; argv[i] && o < sizeof(cmd); i++)
			o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "%s%s", i ? " " : "",
					      argv[i]);
		return isb_errf(
		    err, 0, "'%s' failed (exit %d)%s", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		    WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": no ip (install iproute2)" : "");
	}
	return 0;
}

void isb_testnet_names(const char *id, struct isb_testnet *n)
{
	uint32_t h = 2166136261u; /* FNV-1a of the id: short, stable link names */
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(n->ns[0], sizeof(n->ns[0]), "isobench-%s-a", id);
	snprintf(n->ns[1], sizeof(n->ns[1]), "isobench-%s-b", id);
	snprintf(n->link[0], sizeof(n->link[0]), "isb%08xa", h);
	snprintf(n->link[1], sizeof(n->link[1]), "isb%08xb", h);
	/* 169.254.<h>.<4k+1>/30: link-local, never routed */
	unsigned third = (h >> 8) % 254 + 1, fourth = (h % 63) * 4;
	snprintf(n->addr[0], sizeof(n->addr[0]), "169.254.%u.%u", third, fourth + 1);
	snprintf(n->addr[1], sizeof(n->addr[1]), "169.254.%u.%u", third, fourth + 2);
	unsigned sub = (h >> 16) % 254 + 1; /* tenants' /24, apart from the pair's /30 */
	if (sub == third)
		sub = sub % 254 + 1;
	snprintf(n->subnet, sizeof(n->subnet), "169.254.%u", sub);
}

int isb_testnet_create(const char *id, const char *state_dir, struct isb_testnet *n,
		       struct isb_err *err)
{
	char path[800], cidr[2][40];
	isb_testnet_names(id, n);
	/* Recorded first: a run killed half-way still gets cleaned up. */
	snprintf(path, sizeof(path), "%s/testnet", state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return isb_errf(err, errno, "write %s", path);
	dprintf(fd, "%s\n", id);
	close(fd);
	for (int i = 0; i < 2; i++) {
		const char *add[] = {"ip", "netns", "add", n->ns[i], NULL};
		if (run_ip(err, add) < 0)
			goto fail;
		snprintf(cidr[i], sizeof(cidr[i]), "%s/30", n->addr[i]);
	}
	const char *veth[] = {"ip",   "link", "add",  n->link[0], "netns", n->ns[0], "type",
			      "veth", "peer", "name", n->link[1], "netns", n->ns[1], NULL};
	if (run_ip(err, veth) < 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		const char *addr[] = {"ip",    "-n",  n->ns[i],	  "addr", "add",
				      cidr[i], "dev", n->link[i], NULL};
		const char *up[] = {"ip", "-n", n->ns[i], "link", "set", n->link[i], "up", NULL};
		const char *lo[] = {"ip", "-n", n->ns[i], "link", "set", "lo", "up", NULL};
		if (run_ip(err, addr) < 0 || run_ip(err, up) < 0 || run_ip(err, lo) < 0)
			goto fail;
	}
	/* the hub: a bridge in the first namespace that container tenants' veths join */
	char bcidr[40];
	snprintf(bcidr, sizeof(bcidr), "%s.1/24", n->subnet);
	const char *br[] = {"ip", "-n", n->ns[0], "link", "add", "isbbr", "type", "bridge", NULL};
	const char *braddr[] = {"ip", "-n", n->ns[0], "addr", "add", bcidr, "dev", "isbbr", NULL};
	const char *brup[] = {"ip", "-n", n->ns[0], "link", "set", "isbbr", "up", NULL};
	if (run_ip(err, br) < 0 || run_ip(err, braddr) < 0 || run_ip(err, brup) < 0)
		goto fail;
	n->up = true;
	return 0;
fail:
	isb_testnet_remove(id);
	return -EIO;
}

int isb_testnet_remove(const char *id)
{
	struct isb_err err = {0};
	int removed = 0;
	char prefix[80];
	/* the pair's two and the tenants' (isobench-<id>-t<n>) */
	snprintf(prefix, sizeof(prefix), "isobench-%s-", id);
	DIR *d = opendir("/run/netns");
	struct dirent *e;
	char names[64][96];
	size_t n = 0;
	while (d && (e = readdir(d)) && n < ISB_ARRAY_SIZE(names))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		/* Deleting a namespace destroys its end of a veth, and so the pair. */
		const char *del[] = {"ip", "netns", "del", names[i], NULL};
		if (run_ip(&err, del) == 0)
			removed++;
		else
			isb_log("testnet", "%s", err.msg);
	}
	return removed;
}

int isb_testnet_list(char ids[][40], size_t max)
{
	DIR *d = opendir("/run/netns");
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, "isobench-", 9) || l < 12 || strcmp(e->d_name + l - 2, "-a"))
			continue;
		snprintf(ids[n], 40, "%.*s", (int)(l - 11), e->d_name + 9);
		n++;
	}
	closedir(d);
	return (int)n;
}
