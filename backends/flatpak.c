/*
 * The flatpak backend: each tenant is a `flatpak run` of an app built around the agent, so
 * it runs as Flatpak's users' programs do, under bubblewrap (mount, pid and ipc namespaces
 * of its own) and Flatpak's seccomp filter, and with no cgroup limits: Flatpak sets none,
 * and the cgroup keys are refused. prepare builds, once per campaign, a runtime of the
 * agent's root file system (agentfs.c: its libraries and fio below /usr) and an app holding
 * the agent, exports both into a local repository and installs them into a private
 * installation (FLATPAK_USER_DIR), everything under <state_dir>/flatpak with its own HOME
 * and XDG_RUNTIME_DIR, so the host's installations and home are never touched and no
 * network is used. Run as root (mode = root, the default), Flatpak keeps the host's
 * capabilities: the probe shows it, and CT_CAPS is not declared. mode = user runs it as an
 * unprivileged user (tenantuser.c: user = NAME, or the campaign's own) the way desktop users
 * run it: Flatpak's install needs a system bus as a user, its run does not, so root's
 * installation is copied to <root>/user-<uid>, chowned to the user with a home and runtime
 * directory of its own, and the tenant drops to the user before exec'ing flatpak; bwrap then
 * makes a user namespace and the bounding set is empty (CT_CAPS declared).
 *
 * A tenant is the flatpak process, which execs bwrap; bwrap's child is pid 1 of the sandbox
 * and the agent is its child. Tenants join the campaign's safety group (no group of their
 * own); the agent's host pid is found for the counters and attribution, and stop kills it
 * and bwrap by pid. Every agent carries ISOBENCH_FLATPAK=<root> in its environment, which
 * is how the next start's sweep finds what a killed campaign left.
 */
#include "config.h"
#include "backends/agentfs.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/ctconf.h"
#include "backends/flatpak.h"
#include "backends/guestimg.h"
#include "backends/proc.h"
#include "backends/tenantuser.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FP_APP		"org.isobench.Agent"
#define FP_RUNTIME	"org.isobench.Runtime"
#define FP_BRANCH	"1"
#define FP_REMOTE	"isobench"
#define FP_MARK		"ISOBENCH_FLATPAK" /* in every agent's environment: the root it runs from */
#define FP_CMD_NS	(120ull * 1000000000ull) /* the longest a flatpak build command may take */
#define FP_FIND_NS	(20ull * 1000000000ull)	 /* the longest until the agent is seen */
#define FP_FORMAT	"isobench-flatpak-1"	 /* what the cache key covers beside the files */
#define FP_CACHE_KEEP_S (7 * 24 * 3600)		 /* cache entries unused this long go */

enum { FP_NET_HOST, FP_NET_NONE };
static const char *const net_names[] = {"host", "none", NULL};
enum { FP_MODE_ROOT, FP_MODE_USER };
static const char *const mode_names[] = {"root", "user", NULL};

struct fp_conf {
	unsigned network;
	unsigned mode;
	bool mode_set;
	char user[32]; /* user = NAME: that user's, in user mode */
};

/* user = NAME: a user name; it implies mode = user (a mode = root beside it is refused). */
static int parse_user(void *conf, const char *key, const char *value, struct isb_err *err)
{
	struct fp_conf *cf = conf;
	if (!value[0] || strlen(value) >= sizeof(cf->user) || strchr(value, '/') ||
	    strchr(value, ':'))
		return isb_errf(err, 0, "%s: '%s' is not a user name", key, value);
	if (cf)
		snprintf(cf->user, sizeof(cf->user), "%s", value);
	return 0;
}

static const struct isb_backend_option fp_options[] = {
    {"network", NULL, ISB_OPT_ENUM, ISB_OPT_FIELD(struct fp_conf, network), .names = net_names,
     .help = "host: flatpak run --share=network, the tenants keep the host's network namespace "
	     "and peers meet on loopback (the default); none: --unshare=network, network cells "
	     "are skipped"},
    {"mode", NULL, ISB_OPT_ENUM, ISB_OPT_FIELD(struct fp_conf, mode),
     .set_off = ISB_OPT_FLAG(struct fp_conf, mode_set), .names = mode_names,
     .help = "root: flatpak runs as root and keeps root's capabilities (the default); user: "
	     "as an unprivileged user (user = NAME, or one the campaign creates), from a copy "
	     "of the installation that user owns: a user namespace, no capabilities"},
    {"user", NULL, ISB_OPT_CUSTOM, ISB_OPT_FIELD(struct fp_conf, user), .parse = parse_user,
     .expect = "a user name",
     .help = "the existing user (with ranges in /etc/subuid and /etc/subgid) the tenants run "
	     "as; implies mode = user"},
    {0},
};

/* The campaign's one build and installation, shared by its flatpak configurations (all are
 * prepared before the first trial and cleaned up after the last). */
static struct fp_shared {
	char root[600];	  /* <state_dir>/flatpak */
	char version[64]; /* "Flatpak 1.14.10" */
	char *envp[12];	  /* the environment of every flatpak command */
	char env[10][800];
	double build_s;
	bool cached; /* the installation came from the cache */
	unsigned users;
} shared;

struct fp_priv {
	struct fp_conf cf;
	char procs[3][512];
	size_t nprocs;
	/* mode = user: the user, its copy of the installation and its environment */
	bool user_mode;
	struct isb_tenant_user user;
	char udir[700]; /* <root>/user-<uid>, the user's */
	char *envp[12];
	char env[10][800];
	char no_scratch[400]; /* why the user's disk cells are skipped, or "" */
};

struct fp_tenant {
	pid_t bwrap, agent; /* bwrap's child (the sandbox's pid 1) and the agent below it */
	unsigned long long bwrap_st, agent_st; /* their start times: a recycled pid is spared */
};

static int fp_available(struct isb_err *err)
{
	char path[1024], dirs[4096];
	const char *env = getenv("PATH");
	if (geteuid() != 0)
		return isb_errf(
			   err, 0,
			   "needs root (as another user Flatpak's install needs a system bus)"),
		       0;
	snprintf(dirs, sizeof(dirs), "%s", env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/flatpak", d);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return isb_errf(err, 0, "flatpak is not in PATH (apt-get install flatpak)"), 0;
}

/* Keys beyond the table: the cgroup keys are refused by name, Flatpak sets no limits. */
static int fp_check(const char *key, const char *value, struct isb_err *err)
{
	struct isb_err e = {0};
	if (isb_option_apply(isb_ctconf_options, ISB_CTK_CGROUP, NULL, key, value, &e) != -ENOENT)
		return isb_errf(err, 0,
				"'%s' is a cgroup key: Flatpak runs its tenants without cgroup "
				"limits (flatpak takes: network, mode, user)",
				key);
	return isb_errf(err, 0, "unknown key '%s' (network, mode, user)", key);
}

/* ---- the build ---- */

static unsigned long long starttime(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || isb_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* The last line of the build's log, for an error. */
static void log_tail(char *out, size_t size)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/log", shared.root);
	isb_file_last_line(path, out, size);
}

/* flatpak ARGS (NULL-terminated) in the private environment, output to <root>/log, within
 * FP_CMD_NS: 0, or negative with err naming the command, its exit and its last line. */
static int fp_run(struct isb_err *err, ...)
{
	char *argv[24] = {"flatpak"}, line[800], tail[300], log[700];
	size_t n = 1, o = 0;
	va_list ap;
	va_start(ap, err);
	while (n + 1 < ISB_ARRAY_SIZE(argv) && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	for (size_t i = 0; argv[i] && o < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", i ? " " : "", argv[i]);
	snprintf(log, sizeof(log), "%s/log", shared.root);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return isb_errf(err, errno, "fork for '%s'", line);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed harness leaves no build running */
		execvpe(argv[0], argv, shared.envp);
		_exit(127);
	}
	setpgid(pid, pid);
	uint64_t deadline = isb_now_ns() + FP_CMD_NS;
	int st = 0;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && isb_now_ns() < deadline)
		isb_sleep_ns(5000000);
	if (r == 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
		return isb_errf(err, ETIMEDOUT, "'%s' took over %llu s", line,
				FP_CMD_NS / 1000000000ull);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	log_tail(tail, sizeof(tail));
	return isb_errf(err, 0, "'%s' failed (exit %d): %s", line,
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), tail);
}

static int mkdir_in(const char *root, const char *sub, struct isb_err *err)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/%s", root, sub);
	int r = isb_mkdir_p(path);
	return r < 0 ? isb_errf(err, -r, "mkdir %s", path) : 0;
}

/* Every flatpak command's environment: the private installation, home and runtime dir below
 * base, no session or system bus; PATH ours. */
static void fp_env(const char *base, char env[][800], char **envp)
{
	static const char *const vars[][2] = {{"FLATPAK_USER_DIR", "inst"},
					      {"FLATPAK_SYSTEM_DIR", "system"},
					      {"HOME", "home"},
					      {"XDG_RUNTIME_DIR", "run"},
					      {"XDG_CACHE_HOME", "home/.cache"},
					      {"XDG_CONFIG_HOME", "home/.config"},
					      {"XDG_DATA_HOME", "home/.local/share"}};
	size_t n = 0;
	for (; n < ISB_ARRAY_SIZE(vars); n++) {
		snprintf(env[n], sizeof(env[n]), "%s=%s/%s", vars[n][0], base, vars[n][1]);
		envp[n] = env[n];
	}
	const char *path = getenv("PATH");
	snprintf(env[n], sizeof(env[n]), "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	envp[n] = env[n];
	n++;
	snprintf(env[n], sizeof(env[n]), "LANG=C.UTF-8");
	envp[n] = env[n];
	envp[n + 1] = NULL;
}

static void read_version(void)
{
	char out[128] = "";
	char *argv[] = {"flatpak", "--version", NULL};
	if (isb_run_output(argv, out, sizeof(out)) == 0 && out[0])
		snprintf(shared.version, sizeof(shared.version), "%s", isb_trim(out));
	else
		snprintf(shared.version, sizeof(shared.version), "Flatpak (version unknown)");
}

/* The runtime: the agent's root file system below usr/, an empty files/ and its metadata;
 * the agent itself moved out, to go into the app. */
static int build_runtime(struct isb_config *c, const char *arch, struct isb_err *err)
{
	char rt[700], path[800], from[800], meta[512];
	snprintf(rt, sizeof(rt), "%s/rt", shared.root);
	if (isb_agent_rootfs(c, rt, true, NULL, err) < 0 || mkdir_in(rt, "files", err) < 0)
		return -EIO;
	snprintf(meta, sizeof(meta),
		 "[Runtime]\nname=" FP_RUNTIME "\nruntime=" FP_RUNTIME "/%s/" FP_BRANCH
		 "\nsdk=" FP_RUNTIME "/%s/" FP_BRANCH "\n",
		 arch, arch);
	snprintf(path, sizeof(path), "%s/metadata", rt);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, meta, strlen(meta)) != (ssize_t)strlen(meta))
		return isb_errf(err, fd < 0 ? errno : EIO, "write %s", path);
	snprintf(from, sizeof(from), "%s/usr/isobench/agent", rt);
	snprintf(path, sizeof(path), "%s/agent", shared.root);
	if (rename(from, path) < 0)
		return isb_errf(err, errno, "rename %s to %s", from, path);
	snprintf(from, sizeof(from), "%s/usr/isobench", rt);
	rmdir(from);
	return 0;
}

/* Exports the runtime and the app into <root>/repo and installs both into <root>/inst. */
static int fp_install(struct isb_config *c, const char *arch, struct isb_err *err)
{
	char repo[700], url[720], rt[700], app[700], from[700], to[800];
	snprintf(repo, sizeof(repo), "%s/repo", shared.root);
	snprintf(url, sizeof(url), "file://%s", repo);
	snprintf(rt, sizeof(rt), "%s/rt", shared.root);
	snprintf(app, sizeof(app), "%s/app", shared.root);
	if (build_runtime(c, arch, err) < 0 ||
	    fp_run(err, "build-export", "--runtime", "--disable-sandbox", repo, rt, FP_BRANCH,
		   NULL) < 0 ||
	    fp_run(err, "build-update-repo", repo, NULL) < 0 ||
	    fp_run(err, "--user", "remote-add", "--no-gpg-verify", FP_REMOTE, url, NULL) < 0 ||
	    fp_run(err, "--user", "install", "-y", "--noninteractive", FP_REMOTE, FP_RUNTIME,
		   NULL) < 0 ||
	    fp_run(err, "build-init", app, FP_APP, FP_RUNTIME, FP_RUNTIME, FP_BRANCH, NULL) < 0 ||
	    mkdir_in(app, "files/bin", err) < 0)
		return -EIO;
	snprintf(from, sizeof(from), "%s/agent", shared.root);
	snprintf(to, sizeof(to), "%s/files/bin/isobench-agent", app);
	if (rename(from, to) < 0)
		return isb_errf(err, errno, "rename %s to %s", from, to);
	if (fp_run(err, "build-finish", "--command=isobench-agent", app, NULL) < 0 ||
	    fp_run(err, "build-export", "--disable-sandbox", repo, app, FP_BRANCH, NULL) < 0 ||
	    fp_run(err, "build-update-repo", repo, NULL) < 0 ||
	    fp_run(err, "--user", "install", "-y", "--noninteractive", FP_REMOTE, FP_APP, NULL) < 0)
		return -EIO;
	isb_remove_tree(rt); /* in the repository and the installation now */
	isb_remove_tree(app);
	isb_remove_tree(repo);
	return 0;
}

/* Entries of <cache>/flatpak unused for FP_CACHE_KEEP_S (their own and a killed copy's). */
static void cache_prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		char path[1200];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && now - st.st_mtime > FP_CACHE_KEEP_S)
			isb_remove_tree(path);
	}
	if (d)
		closedir(d);
}

/* The installation into <cache>/flatpak/<key>/inst, for the next campaign with the same
 * agent, libraries, fio and Flatpak: copied to a directory of this process's, renamed into
 * place at once. A failure only costs the next campaign a build. */
static void cache_store(const char *dir, const char *entry)
{
	char tmp[800], inst[700], tinst[820];
	struct isb_err e = {0};
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", entry, (int)getpid());
	snprintf(inst, sizeof(inst), "%s/inst", shared.root);
	snprintf(tinst, sizeof(tinst), "%s/inst", tmp);
	cache_prune(dir);
	if (isb_mkdir_p(tmp) < 0 || isb_run_prog(&e, "cp", "-a", inst, tinst, NULL) < 0 ||
	    rename(tmp, entry) < 0) {
		isb_remove_tree(tmp); /* or another campaign stored the same first */
		if (e.msg[0])
			isb_log("backend/flatpak", "cache %s not stored: %s", entry, e.msg);
	}
}

static int fp_build(struct isb_config *c, struct isb_err *err)
{
	char arch[64] = "", dir[600], entry[700], cinst[720], inst[700];
	char *argv[] = {"flatpak", "--default-arch", NULL};
	uint64_t t0 = isb_now_ns(), key = 0;
	snprintf(shared.root, sizeof(shared.root), "%s/flatpak", c->state_dir);
	if (mkdir(shared.root, 0700) < 0 && errno != EEXIST)
		return isb_errf(err, errno, "mkdir %s", shared.root);
	if (mkdir_in(shared.root, "home", err) < 0 || mkdir_in(shared.root, "run", err) < 0 ||
	    mkdir_in(shared.root, "system", err) < 0)
		return -EIO;
	fp_env(shared.root, shared.env, shared.envp);
	read_version();
	if (isb_run_output(argv, arch, sizeof(arch)) != 0 || !isb_trim(arch)[0])
		return isb_errf(err, 0, "'flatpak --default-arch' failed");
	/* the key: every file of the runtime and app, Flatpak's version, the arch, our layout */
	if (isb_agent_rootfs(c, NULL, true, &key, err) < 0)
		return -EIO;
	isb_guest_hash_bytes(&key, shared.version, strlen(shared.version));
	isb_guest_hash_bytes(&key, arch, strlen(arch));
	isb_guest_hash_bytes(&key, FP_FORMAT, sizeof(FP_FORMAT));
	snprintf(dir, sizeof(dir), "%s/flatpak", isb_guest_cache_dir());
	snprintf(entry, sizeof(entry), "%s/%016llx", dir, (unsigned long long)key);
	snprintf(cinst, sizeof(cinst), "%s/inst", entry);
	snprintf(inst, sizeof(inst), "%s/inst", shared.root);
	struct stat st;
	if (stat(cinst, &st) == 0 && isb_run_prog(NULL, "cp", "-a", cinst, inst, NULL) == 0) {
		shared.cached = true;
		utimes(entry, NULL); /* used: kept by the pruning */
	} else {
		isb_remove_tree(inst);
		if (fp_install(c, arch, err) < 0)
			return -EIO;
		cache_store(dir, entry);
	}
	shared.build_s = (double)(isb_now_ns() - t0) / 1e9;
	return 0;
}

static void fp_release(void)
{
	if (shared.root[0])
		isb_flatpak_cleanup_state(shared.root, false);
	memset(&shared, 0, sizeof(shared));
}

/* mode = user: why the user's disk cells are skipped (it cannot reach or write the scratch
 * directory, root's 0700 one as a rule), or "" when it can. */
static void scratch_check(const struct isb_config *c, struct fp_priv *p)
{
	struct isb_err e = {0};
	struct stat st;
	p->no_scratch[0] = 0;
	if (!c->scratch_dir[0])
		snprintf(p->no_scratch, sizeof(p->no_scratch),
			 "the campaign has no scratch directory");
	else if (isb_tenant_user_reachable(c->scratch_dir, &p->user, "the scratch directory",
					   "the harness makes it 0700, root's", &e) < 0)
		snprintf(p->no_scratch, sizeof(p->no_scratch), "mode = user: %s", e.msg);
	else if (stat(c->scratch_dir, &st) < 0)
		snprintf(p->no_scratch, sizeof(p->no_scratch), "stat %s: %s", c->scratch_dir,
			 strerror(errno));
	else if (!(st.st_mode & (st.st_uid == p->user.uid   ? S_IWUSR
				 : st.st_gid == p->user.gid ? S_IWGRP
							    : S_IWOTH)))
		snprintf(p->no_scratch, sizeof(p->no_scratch),
			 "mode = user: user %s cannot write the scratch directory %s "
			 "(mode %04o, owner uid %u)",
			 p->user.name, c->scratch_dir, (unsigned)(st.st_mode & 07777),
			 (unsigned)st.st_uid);
}

/* mode = user: the user (the suite's or the campaign's own), its copy of the installation
 * with its home and runtime directories at <root>/user-<uid> (shared by the configurations
 * of one user), owned by it and reached through the state directories, made 0711. */
static int user_prepare(struct isb_config *c, struct fp_priv *p, struct isb_err *err)
{
	char inst[700], uinst[800], owner[48];
	struct stat st;
	if (isb_tenant_user_open_state(c, err) < 0)
		return -EIO;
	if (chmod(shared.root, 0711) < 0)
		return isb_errf(err, errno, "chmod 0711 %s", shared.root);
	if (isb_tenant_user_get(c, p->cf.user, &p->user, err) < 0)
		return -EIO;
	p->user_mode = true;
	snprintf(p->udir, sizeof(p->udir), "%s/user-%u", shared.root, (unsigned)p->user.uid);
	snprintf(uinst, sizeof(uinst), "%s/inst", p->udir);
	if (stat(uinst, &st) < 0 || st.st_uid != p->user.uid) {
		snprintf(inst, sizeof(inst), "%s/inst", shared.root);
		snprintf(owner, sizeof(owner), "%u:%u", (unsigned)p->user.uid,
			 (unsigned)p->user.gid);
		isb_remove_tree(p->udir);
		if (mkdir(p->udir, 0700) < 0) {
			isb_errf(err, errno, "mkdir %s", p->udir);
			goto fail_put_user;
		}
		if (isb_run_prog(err, "cp", "-a", inst, uinst, NULL) < 0 ||
		    mkdir_in(p->udir, "home/.cache", err) < 0 ||
		    mkdir_in(p->udir, "home/.config", err) < 0 ||
		    mkdir_in(p->udir, "home/.local/share", err) < 0 ||
		    mkdir_in(p->udir, "run", err) < 0 || mkdir_in(p->udir, "system", err) < 0 ||
		    isb_run_prog(err, "chown", "-R", owner, p->udir, NULL) < 0) {
			isb_remove_tree(p->udir);
			goto fail_put_user;
		}
	}
	if (isb_tenant_user_reachable(uinst, &p->user, "its copy of the installation",
				      "state directory: ISOBENCH_STATE_DIR", err) < 0)
		goto fail_put_user;
	fp_env(p->udir, p->env, p->envp);
	scratch_check(c, p);
	return 0;
fail_put_user:
	isb_tenant_user_put(&p->user);
	p->user_mode = false;
	return -EIO;
}

static int fp_prepare(struct isb_config *c, struct isb_err *err)
{
	if (!fp_available(err))
		return -ENOENT;
	struct fp_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "flatpak: prepare");
	for (size_t i = 0; i < c->nopts; i++)
		if (isb_option_apply(fp_options, 0, &p->cf, c->opts[i].key, c->opts[i].value, err) <
		    0)
			goto fail_free_p;
	if (p->cf.user[0] && p->cf.mode_set && p->cf.mode != FP_MODE_USER) {
		isb_errf(err, 0, "flatpak: user = %s needs mode = user (or no mode key)",
			 p->cf.user);
		goto fail_free_p;
	}
	if (p->cf.user[0])
		p->cf.mode = FP_MODE_USER;
	if (!shared.users && fp_build(c, err) < 0) {
		fp_release();
		goto fail_free_p;
	}
	shared.users++;
	if (p->cf.mode == FP_MODE_USER && user_prepare(c, p, err) < 0)
		goto fail_release;
	isb_cgroup_campaign_safety(c, "backend/flatpak", p->procs, &p->nprocs);
	/* bwrap's mount, pid and ipc namespaces and Flatpak's seccomp filter, no cgroup limits;
	 * as root the bounding set stays whole, as a user bwrap's user namespace leaves none */
	c->declared_leaves = ISB_LEAF(CT_NS) | ISB_LEAF(SB_SECCOMP);
	if (p->user_mode)
		c->declared_leaves |= ISB_LEAF(CT_CAPS);
	isb_note_add(
	    c->cgroup_note, sizeof(c->cgroup_note),
	    "%s; private installation, runtime and app %s in %.2f s; network=%s; %s%s%s",
	    shared.version, shared.cached ? "copied from the cache" : "built", shared.build_s,
	    p->cf.network == FP_NET_HOST ? "host (--share=network)" : "none (--unshare=network)",
	    p->user_mode ? "mode=user, run as " : "run as root: root's capabilities kept",
	    p->user_mode ? p->user.name : "",
	    p->user_mode ? (p->user.created ? " (created by the campaign), no capabilities"
					    : ", no capabilities")
			 : "");
	if (p->user_mode && p->no_scratch[0])
		isb_note_add(
		    c->cgroup_note, sizeof(c->cgroup_note),
		    "disk cells skipped: the user cannot reach or write the scratch directory");
	c->priv = p;
	return 0;
fail_release:
	if (!--shared.users)
		fp_release();
fail_free_p:
	free(p);
	return -EINVAL;
}

static const char *fp_unsupported(const struct isb_config *c, const struct isb_tenant_spec *spec)
{
	const struct fp_priv *p = c->priv;
	if (p && p->cf.network == FP_NET_NONE &&
	    (spec->resource == ISB_RES_NETWORK || spec->talks_to_peer))
		return "network = none runs each tenant with --unshare=network (a network "
		       "namespace of its own): its peer is out of reach; network = host shares the "
		       "host's";
	if (p && p->user_mode && spec->resource == ISB_RES_DISK && p->no_scratch[0])
		return p->no_scratch;
	return NULL;
}

/* ---- tenants ---- */

/* The first child of pid, 0 when none (yet). */
static pid_t first_child(pid_t pid)
{
	char path[80], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	return isb_read_file(path, buf, sizeof(buf)) > 0 ? (pid_t)atoi(buf) : 0;
}

static bool is_bwrap(pid_t pid)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	return isb_read_file(path, comm, sizeof(comm)) > 0 && !strcmp(isb_trim(comm), "bwrap");
}

/* flatpak execs bwrap, whose child is the sandbox's pid 1 and runs the agent as its child:
 * their host pids, once the agent has replaced bwrap's code. */
static void find_pids(struct isb_tenant *t, struct fp_tenant *ft)
{
	uint64_t deadline = isb_now_ns() + FP_FIND_NS;
	siginfo_t si = {0};
	while (isb_now_ns() < deadline &&
	       waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && !si.si_pid) {
		pid_t b = is_bwrap(t->pid) ? first_child(t->pid) : 0;
		pid_t a = b > 0 && is_bwrap(b) ? first_child(b) : 0;
		if (a > 0 && !is_bwrap(a)) {
			ft->bwrap = b;
			ft->agent = a;
			ft->bwrap_st = starttime(b);
			ft->agent_st = starttime(a);
			t->threads[0] = a;
			t->nthreads = 1;
			return;
		}
		isb_sleep_ns(2000000);
	}
}

/* In the tenant, before exec: flatpak's environment (a pointer swap), and in user mode the
 * user, with the parent-death signal set again (a change of credentials clears it). */
static int fp_child(void *arg)
{
	const struct fp_priv *p = arg;
	if (!p->user_mode) {
		environ = shared.envp;
		return 0;
	}
	environ = (char **)p->envp;
	if (isb_tenant_user_become(&p->user) < 0)
		return -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

static int fp_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		    struct isb_err *err)
{
	struct fp_priv *p = c->priv;
	char *aargv[64], astore[8192], *argv[96], fs[1100], mark[700];
	const char *procs[4] = {0};
	struct isb_config ac = *c;
	char agent[1024];
	bool sub;
	isb_guest_agent(c->agent_path, c->agent_is_isobench, agent, sizeof(agent), &sub);
	ac.agent_path = "isobench-agent";
	ac.agent_is_isobench = sub;
	if (isb_agent_argv(&ac, spec, aargv, ISB_ARRAY_SIZE(aargv), astore, sizeof(astore)) < 0)
		return isb_errf(err, E2BIG, "%s: agent arguments", spec->label);
	size_t n = 0;
	argv[n++] = "flatpak";
	argv[n++] = "run";
	argv[n++] = "--user";
	argv[n++] = "--die-with-parent";
	argv[n++] = "--no-documents-portal";
	argv[n++] = "--no-a11y-bus";
	argv[n++] = p->cf.network == FP_NET_HOST ? "--share=network" : "--unshare=network";
	if (c->scratch_dir[0] && !(p->user_mode && p->no_scratch[0])) {
		snprintf(fs, sizeof(fs), "--filesystem=%s", c->scratch_dir);
		argv[n++] = fs;
	}
	snprintf(mark, sizeof(mark), "--env=" FP_MARK "=%s", shared.root);
	argv[n++] = mark;
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer build's leak checker stops the world with ptrace at exit, which Flatpak's
	 * seccomp filter denies (the agent would exit 1 after its work): leaks are checked
	 * outside the sandboxes, as for the own seccomp and ptrace sandboxes (intercept.c). */
	char asan[600];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof(asan), "--env=ASAN_OPTIONS=%s%sdetect_leaks=0", old ? old : "",
		 old && *old ? ":" : "");
	argv[n++] = asan;
#endif
	argv[n++] = FP_APP;
	for (size_t i = 1; aargv[i] && n + 1 < ISB_ARRAY_SIZE(argv); i++)
		argv[n++] = aargv[i]; /* the app's command is the agent: its argv[0] */
	argv[n] = NULL;
	struct fp_tenant *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return isb_errf(err, ENOMEM, "%s", spec->label);
	if (isb_cgroup_campaign_join(c, p->procs, &p->nprocs, procs, err) < 0)
		goto fail_free;
	struct isb_spawn_hook h = {.argv = argv, .child = fp_child, .arg = p};
	if (isb_proc_spawn_ex(c, spec, t, procs, &h, err) < 0)
		goto fail_free;
	t->priv = ft;
	find_pids(t, ft);
	return 0;
fail_free:
	free(ft);
	return -EIO;
}

static void kill_same(pid_t pid, unsigned long long st)
{
	if (pid > 1 && st && starttime(pid) == st)
		kill(pid, SIGKILL);
}

static void fp_kill(void *arg)
{
	const struct fp_tenant *ft = arg;
	kill_same(ft->agent, ft->agent_st);
	kill_same(ft->bwrap, ft->bwrap_st);
}

static int fp_stop(struct isb_tenant *t, uint64_t grace_ns)
{
	struct fp_tenant *ft = t->priv;
	/* end of stdin stops the agent; past the grace the agent and bwrap are killed by pid,
	 * then flatpak's (now bwrap's) process group */
	isb_proc_stop_via(t, grace_ns, ft && ft->agent ? fp_kill : NULL, ft);
	free(ft);
	t->priv = NULL;
	return 0;
}

static void fp_cleanup(struct isb_config *c)
{
	struct fp_priv *p = c->priv;
	if (p && shared.users && !--shared.users)
		fp_release(); /* the installations, their tenants and homes */
	if (p && p->user_mode)
		isb_tenant_user_put(&p->user); /* a created user goes with the last */
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
}

/* Whether /proc/PID/environ holds mark (NAME=VALUE). */
static bool environ_has(pid_t pid, const char *mark)
{
	char path[64], buf[32768];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (len <= 0)
		return false;
	buf[len] = 0;
	for (const char *e = buf; e < buf + len; e += strlen(e) + 1)
		if (!strcmp(e, mark))
			return true;
	return false;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *p = strrchr(buf, ')');
	int ppid = 0;
	return p && sscanf(p + 2, "%*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

int isb_flatpak_cleanup_state(const char *state_dir, bool verbose)
{
	char root[700], mark[800];
	struct stat st;
	size_t rl = strlen(state_dir);
	/* called with <state_dir> by the sweep, with the root itself by cleanup */
	if (rl > 8 && !strcmp(state_dir + rl - 8, "/flatpak"))
		snprintf(root, sizeof(root), "%s", state_dir);
	else
		snprintf(root, sizeof(root), "%s/flatpak", state_dir);
	if (stat(root, &st) < 0)
		return 0;
	snprintf(mark, sizeof(mark), FP_MARK "=%s", root);
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 1 || pid == getpid() || !environ_has(pid, mark))
			continue;
		/* the agent, then the bwraps above it (the sandbox's pid 1, the outer one) */
		for (int up = 0; up < 3 && pid > 1; up++) {
			pid_t parent = parent_of(pid);
			if (up && !is_bwrap(pid))
				break;
			if (kill(pid, SIGKILL) == 0) {
				n++;
				if (verbose)
					isb_log("cleanup", "killed flatpak tenant process %d",
						(int)pid);
			}
			pid = parent;
		}
	}
	if (d)
		closedir(d);
	isb_remove_tree(root);
	if (verbose)
		isb_log("cleanup", "removed the Flatpak repository and installation %s", root);
	return n + 1;
}

static void fp_describe(FILE *out, struct json_object *host)
{
	struct isb_err why = {0};
	fprintf(out, "flatpak:\n");
	if (!fp_available(&why)) {
		fprintf(out, "  %-14s unavailable: %s\n", "flatpak", why.msg);
		return;
	}
	char v[128] = "";
	char *argv[] = {"flatpak", "--version", NULL};
	if (isb_run_output(argv, v, sizeof(v)) != 0)
		snprintf(v, sizeof(v), "(flatpak --version failed)");
	fprintf(out, "  %-14s %s: bubblewrap and its seccomp filter, no cgroup limits\n", "flatpak",
		isb_trim(v));
}

const struct isb_backend isb_backend_flatpak = {
    .name = "flatpak",
    .class = ISB_CLASS_CONTAINER,
    .help = "flatpak run of an app and runtime built from the agent, in a private "
	    "installation: bubblewrap and Flatpak's seccomp filter, no cgroup limits",
    .available = fp_available,
    .options = fp_options,
    .check = fp_check,
    .prepare = fp_prepare,
    .spawn = fp_spawn,
    .stop = fp_stop,
    .cleanup = fp_cleanup,
    .unsupported = fp_unsupported,
    .describe = fp_describe,
};
