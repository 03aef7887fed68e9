/*
 * The docker backend: each tenant is a `docker run --rm -i` of an image built from the
 * agent (dockerd.c), on a private dockerd the campaign starts and stops. The container
 * keys map to Docker's flags: the policy's and the explicit limits to --cpus,
 * --cpuset-cpus, --cpu-shares, --memory, --memory-swap, --device-*-bps/iops and
 * --pids-limit, capabilities to --cap-drop ALL plus --cap-add; namespaces are Docker's,
 * its default seccomp profile filters, and the network is Docker's none: a network tenant's
 * namespace is then joined by a veth of the campaign's test network (link-local addresses,
 * never Docker's bridges or their private ranges). Containers live below the
 * campaign's cgroup (--cgroup-parent), so its ceilings bound them and its removal kills
 * what a killed campaign left.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/ctcli.h"
#include "backends/ctconf.h"
#include "backends/docker.h"
#include "backends/guest.h"
#include "backends/proc.h"
#include "backends/tenantnet.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOCKER_KEYS (ISB_CTK_NS | ISB_CTK_CGROUP)

/* what "backend = docker" alone means: Docker's defaults */
static const struct isb_ct_kind docker_kind = {
    .keys = DOCKER_KEYS,
    .ns = ISB_NS_DOCKER,
    .policy = ISB_POLICY_FAIR,
    .caps = "docker",
    .runtime = "runc",
};

/* The campaign's one private daemon and image, shared by its docker configurations (they
 * are all prepared before the first trial and cleaned up after the last). */
static struct isb_dockerd shared_d;
static unsigned shared_users;

struct docker_priv {
	struct isb_ctconf cf;
	struct isb_dockerd *d;
	unsigned seq;
	bool unconfined;	  /* seccomp = unconfined */
	char socket[200];	  /* socket = PATH: the daemon the suite names, "" a private one */
	struct isb_dockerd named; /* that daemon */
};

struct docker_tenant {
	char name[128], cidfile[700], host[610];
	struct isb_tenant_net net; /* its link into the test network, joined once it runs */
};

static int docker_available(struct isb_err *err)
{
	if (geteuid() != 0)
		return isb_errf(err, 0, "needs root (a private dockerd)"), 0;
	if (!isb_ctcli_in_path("dockerd") || !isb_ctcli_in_path("docker"))
		return isb_errf(err, 0, "%s is not in PATH (apt-get install docker.io)",
				isb_ctcli_in_path("dockerd") ? "docker" : "dockerd"),
		       0;
	return 1;
}

/* Its own key beside the container keys: seccomp = default | unconfined. */
static int docker_check(const char *key, const char *value, struct isb_err *err)
{
	char keys[1024];
	if (!strcmp(key, "socket"))
		return value[0] == '/'
			   ? 0
			   : isb_errf(err, 0, "socket: '%s' is not an absolute path", value);
	if (strcmp(key, "seccomp"))
		return isb_errf(
		    err, 0, "unknown key '%s' (%s, seccomp, socket)", key,
		    isb_option_list(isb_ctconf_options, DOCKER_KEYS, keys, sizeof(keys)));
	if (strcmp(value, "default") && strcmp(value, "unconfined"))
		return isb_errf(err, 0, "seccomp: '%s' is not default or unconfined", value);
	return 0;
}

/* The container keys' parse, without its own keys (moved past nopts meanwhile). */
static int prepare_ct(struct isb_config *c, struct docker_priv *p, struct isb_err *err)
{
	char procs[3][512];
	size_t nprocs = 0, moved[2], k = 0;
	for (size_t i = c->nopts; i-- > 0;) {
		const char *key = c->opts[i].key, *v = c->opts[i].value;
		if (strcmp(key, "seccomp") && strcmp(key, "socket"))
			continue;
		if (!strcmp(key, "seccomp"))
			p->unconfined = !strcmp(v, "unconfined");
		else
			snprintf(p->socket, sizeof(p->socket), "%s", v);
		ISB_SWAP(c->opts[i], c->opts[c->nopts - 1]);
		moved[k++] = i;
		c->nopts--;
		if (k == ISB_ARRAY_SIZE(moved))
			break;
	}
	int r = isb_ct_prepare_common(c, &p->cf, &docker_kind, procs, &nprocs, err);
	while (k-- > 0) {
		c->nopts++;
		ISB_SWAP(c->opts[moved[k]], c->opts[c->nopts - 1]);
	}
	return r;
}

static int docker_prepare(struct isb_config *c, struct isb_err *err)
{
	if (!docker_available(err))
		return -ENOENT;
	struct docker_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "docker: prepare");
	if (prepare_ct(c, p, err) < 0)
		goto fail_free_p;
	if (p->cf.ns != ISB_NS_DOCKER) {
		isb_errf(err, 0, "docker: the namespaces are Docker's (drop namespaces, ns.NAME)");
		goto fail_free_p;
	}
	if (p->socket[0]) {
		p->d = &p->named;
		if (isb_dockerd_attach(c, p->d, p->socket, err) < 0 ||
		    isb_dockerd_image(c, p->d, err) < 0)
			goto fail_stop_dockerd;
	} else {
		p->d = &shared_d;
		if (!shared_users &&
		    (isb_dockerd_start(c, p->d, err) < 0 || isb_dockerd_image(c, p->d, err) < 0))
			goto fail_stop_dockerd;
		shared_users++;
	}
	/* Docker always gives a container its cgroup, and its default seccomp profile unless
	 * unconfined */
	c->declared_leaves |= ISB_LEAF(CT_CGROUPS) | (p->unconfined ? 0 : ISB_LEAF(SB_SECCOMP));
	size_t n = strlen(c->cgroup_note);
	snprintf(c->cgroup_note + n, sizeof(c->cgroup_note) - n,
		 "; %s, %s; seccomp=%s; network=none (a link of the test network joins "
		 "the namespace of a network tenant)",
		 p->d->version,
		 p->socket[0] ? "the daemon at socket = PATH" : "a private dockerd (no bridge)",
		 p->unconfined ? "unconfined" : "docker-default");
	c->priv = p;
	return 0;
fail_stop_dockerd:
	isb_dockerd_stop(p->d);
	memset(p->d, 0, sizeof(*p->d));
fail_free_p:
	isb_cgroup_campaign_remove(c->campaign_id);
	free(p);
	return -EINVAL;
}

static const char *docker_unsupported(const struct isb_config *c,
				      const struct isb_tenant_spec *spec)
{
	if ((spec->talks_to_peer || spec->resource == ISB_RES_NETWORK) && !c->testnet_hub[0])
		return "docker: its containers run with --network none and join the campaign's "
		       "test network, which this campaign has not made";
	return NULL;
}

/* docker -H SOCK run ... IMAGE /isobench/agent ARGS */
static int run_argv(struct isb_config *c, struct docker_priv *p, const struct isb_tenant_spec *spec,
		    struct docker_tenant *dt, struct isb_ctargv *a, struct isb_err *err)
{
	struct isb_limits l;
	cpu_set_t cpus;
	char *aargv[64], store[8192];
	struct isb_config ac = *c;
	ac.agent_path = "/isobench/agent";
	char agent[1024];
	bool sub;
	isb_guest_agent(c->agent_path, c->agent_is_isobench, agent, sizeof(agent), &sub);
	ac.agent_is_isobench = sub;
	if (isb_ctconf_limits(&p->cf, c, spec, &l, &cpus, err) < 0)
		return -EINVAL;
	if (isb_agent_argv(&ac, spec, aargv, ISB_ARRAY_SIZE(aargv), store, sizeof(store)) < 0)
		return isb_errf(err, E2BIG, "%s: agent arguments", spec->label);
	int r = isb_ctargv_add(a, "docker") | isb_ctargv_add(a, "-H") |
		isb_ctargv_add(a, "%s", p->d->host) | isb_ctargv_add(a, "run") |
		isb_ctargv_add(a, "--rm") | isb_ctargv_add(a, "-i") |
		isb_ctargv_add(a, "--name=%s", dt->name) |
		isb_ctargv_add(a, "--cidfile=%s", dt->cidfile) |
		isb_ctargv_add(a, "--cgroup-parent=/isobench-%s", c->campaign_id) |
		isb_ctargv_add(a, "--network=none") | isb_ctargv_add(a, "--log-driver=none") |
		isb_ctargv_add(a, "--cgroupns=private") | isb_ctcli_limit_flags(a, &l, &cpus) |
		isb_ctcli_caps_flags(a, &p->cf);
	if (p->unconfined)
		r |= isb_ctargv_add(a, "--security-opt=seccomp=unconfined");
	if (c->scratch_dir[0])
		r |= isb_ctargv_add(a, "--volume=%s:%s", c->scratch_dir, c->scratch_dir);
	r |= isb_ctargv_add(a, "%s", p->d->image);
	for (size_t i = 0; aargv[i]; i++)
		r |= isb_ctargv_add(a, "%s", aargv[i]);
	return r < 0 ? isb_errf(err, E2BIG, "%s: docker arguments", spec->label) : 0;
}

/* The container's process once it runs the agent: the first process listed in procs that
 * runs /isobench/agent (before, runc's init and bootstrap stages come and go in the cgroup,
 * some still in the host's namespaces) in a network namespace that is not that of client
 * (docker run, started where the harness is); 0 while there is none. */
static pid_t container_pid(const char *procs, pid_t client)
{
	char buf[4096], near[64] = "", ns[64], path[64], comm[32];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)client);
	if (isb_read_file(procs, buf, sizeof(buf)) <= 0 ||
	    readlink(path, near, sizeof(near) - 1) <= 0)
		return 0;
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int pid = atoi(l);
		memset(ns, 0, sizeof(ns));
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (pid <= 0 || isb_read_file(path, comm, sizeof(comm)) <= 0 ||
		    strcmp(isb_trim(comm), "agent"))
			continue; /* runc (init) before it execs /isobench/agent */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (readlink(path, ns, sizeof(ns) - 1) > 0 && strcmp(ns, near))
			return (pid_t)pid;
	}
	return 0;
}

/* The container's id, once docker run wrote it: its cgroups, for the statistics. */
static void find_cgroups(const struct isb_config *c, const struct docker_tenant *dt,
			 struct isb_tenant *t)
{
	char id[128] = "";
	uint64_t deadline = isb_now_ns() + 20000000000ull;
	siginfo_t si = {0};
	while (isb_read_file(dt->cidfile, id, sizeof(id)) <= 0 && isb_now_ns() < deadline &&
	       waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && !si.si_pid)
		isb_sleep_ns(5000000);
	if (!id[0])
		return;
	enum isb_cgroup_mode m = isb_cgroup_mode();
	static const char *const v1[] = {"cpu", "memory", "blkio", "pids"};
	t->ncgroups = 0;
	for (size_t i = 0; i < (m == ISB_CG_V2 ? 1 : ISB_ARRAY_SIZE(v1)); i++)
		snprintf(t->cgroups[t->ncgroups++], sizeof(t->cgroups[0]),
			 "/sys/fs/cgroup%s%s/isobench-%s/%.64s", m == ISB_CG_V2 ? "" : "/",
			 m == ISB_CG_V2 ? "" : v1[i], c->campaign_id, isb_trim(id));
	/* the container's process (runc's init, then the agent: the same pid) is no child of
	 * docker run's: the counters, attribution, host use and a network link follow it. Its
	 * cgroup first holds runc's bootstrap stages, still in the host's namespaces: the one
	 * wanted is the one in a network namespace of its own (Docker's none network). */
	char procs[600];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", t->cgroups[0]);
	pid_t pid = 0;
	while (!(pid = container_pid(procs, t->pid)) && isb_now_ns() < deadline &&
	       waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && !si.si_pid)
		isb_sleep_ns(2000000);
	if (pid > 0) {
		t->threads[0] = pid;
		t->nthreads = 1;
	}
}

static int docker_stop(struct isb_tenant *t, uint64_t grace_ns);

static int docker_spawn(struct isb_config *c, const struct isb_tenant_spec *spec,
			struct isb_tenant *t, struct isb_err *err)
{
	struct docker_priv *p = c->priv;
	struct isb_ctargv *a = calloc(1, sizeof(*a));
	struct docker_tenant *dt = calloc(1, sizeof(*dt));
	if (!a || !dt) {
		free(a);
		free(dt);
		return isb_errf(err, ENOMEM, "%s", spec->label);
	}
	snprintf(dt->name, sizeof(dt->name), "isobench-%s-%s-%u", c->campaign_id, spec->label,
		 ++p->seq);
	snprintf(dt->cidfile, sizeof(dt->cidfile), "%s/%s.cid", p->d->root, dt->name);
	snprintf(dt->host, sizeof(dt->host), "%s", p->d->host);
	/* A network tenant's container has Docker's none network (its own namespace, only
	 * lo); once it runs, a veth of the campaign's test network joins that namespace. A
	 * peer listens on any address meanwhile, so its bind does not race the link. */
	bool link;
	struct isb_tenant_spec sp = isb_ctcli_link_spec(&p->cf, spec, &link);
	struct isb_spawn_hook h = {.argv = a->v};
	if (run_argv(c, p, &sp, dt, a, err) < 0 ||
	    isb_proc_spawn_ex(c, &sp, t, NULL, &h, err) < 0) {
		free(a);
		free(dt);
		return -EIO;
	}
	free(a);
	t->priv = dt;
	find_cgroups(c, dt, t);
	if (link && isb_ctcli_link_join(c, spec->label, t, &dt->net, err) < 0) {
		docker_stop(t, 0);
		return -EIO;
	}
	return 0;
}

static void docker_cmd(const struct docker_tenant *dt, const char *verb, const char *flag)
{
	char *argv[] = {"docker",	  "-H", (char *)dt->host, (char *)verb, (char *)flag,
			(char *)dt->name, NULL};
	char errbuf[256];
	isb_run_cmd(argv, errbuf, sizeof(errbuf));
}

static void docker_kill(void *arg)
{
	docker_cmd(arg, "kill", "--signal=KILL");
}

static int docker_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct docker_tenant *dt = t->priv;
	/* oom_kills stays -1: --rm removed its memory group */
	isb_proc_stop_via(t, grace_ns, dt ? docker_kill : NULL, dt);
	if (dt) {
		docker_cmd(dt, "rm", "--force");
		isb_tenant_net_remove(&dt->net);
		unlink(dt->cidfile);
		free(dt);
		t->priv = NULL;
	}
	return 0;
}

static void docker_cleanup(struct isb_config *c)
{
	struct docker_priv *p = c->priv;
	if (p) {
		if (p->d == &p->named)
			isb_dockerd_stop(p->d); /* our containers and image on that daemon */
		else if (shared_users && !--shared_users) {
			isb_dockerd_stop(p->d); /* with its containers, image and data root */
			memset(p->d, 0, sizeof(*p->d));
		}
		free(p);
	}
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
}

const struct isb_backend isb_backend_docker = {
    .name = "docker",
    .class = ISB_CLASS_CONTAINER,
    .help = "docker run on a private dockerd and an image built from the agent",
    .available = docker_available,
    .options = isb_ctconf_options,
    .option_set = DOCKER_KEYS,
    .check = docker_check,
    .prepare = docker_prepare,
    .spawn = docker_spawn,
    .stop = docker_stop,
    .cleanup = docker_cleanup,
    .unsupported = docker_unsupported,
};
