/*
 * The wrapper backend: any runtime by command template. A site that runs Apptainer, Shifter,
 * enroot, bubblewrap or Charliecloud names the command that wraps a program in it
 * (command = apptainer exec --bind {scratch} {image} {agent}); each tenant is that command
 * with the agent's argv in place of {agent}, forked into the campaign's safety cgroup like a
 * native tenant, pinned, dying with the harness and stopped as a process group. What the
 * technology is (class) and what it declares (leaves) are the suite's word; the agent's
 * probe says what the wrapped tenant really got, and the report compares the two.
 *
 * The template is split into words and never passed to a shell: blanks separate words,
 * '...' and "..." group them (in "...", \" and \\ stand for " and \), a backslash outside
 * quotes takes the next character as it is. Then, in every word, {NAME} is a placeholder and
 * {{ a literal brace; {agent} stands alone as a word, for the agent's whole argv.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/cgroup.h"
#include "backends/proc.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define WR_MAX_ENV 8

struct wr_conf {
	char command[192];
	char image[192];
	unsigned klass; /* enum isb_class */
	unsigned leaves;
	unsigned network; /* WR_NET_* */
	size_t nenv;
	char env[WR_MAX_ENV][256]; /* NAME=VALUE */
};

enum { WR_NET_OWN, WR_NET_HOST };

struct wr_priv {
	struct wr_conf cf;
	char tool[512];	    /* the command's first word, as found in PATH */
	char skeleton[600]; /* image = skeleton: the directory made, "" when none */
	char procs[3][512];
	size_t nprocs;
	atomic_uint seq; /* tenants spawned: {name} */
};

/* ---- the template ---- */

enum { PH_AGENT, PH_AGENT_DIR, PH_SCRATCH, PH_STATE, PH_NAME, PH_IMAGE, PH__COUNT };
static const char *const ph_names[PH__COUNT] = {"agent", "agent_dir", "scratch",
						"state", "name",      "image"};
#define PH_KNOWN "{agent}, {agent_dir}, {scratch}, {state}, {name}, {image}"

/* The next word of a template into out, quotes and escapes taken away: 1 with *pos past it, 0
 * at the end, or negative with err (a "has ..." to follow the template). */
static int next_word(const char **pos, char *out, size_t size, struct isb_err *err)
{
	const char *s = *pos;
	size_t o = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return *pos = s, 0;
	while (*s && *s != ' ' && *s != '\t') {
		char q = *s == '\'' || *s == '"' ? *s++ : 0;
		while (*s && (q ? *s != q : *s != ' ' && *s != '\t' && *s != '\'' && *s != '"')) {
			if (*s == '\\' &&
			    (q ? q == '"' && (s[1] == '"' || s[1] == '\\') : s[1] != 0))
				s++;
			if (o + 1 >= size)
				return isb_errf(err, 0, "has a word of over %zu characters", size);
			out[o++] = *s++;
		}
		if (q && !*s)
			return isb_errf(err, 0, "has a %c with no closing %c", q, q);
		if (q)
			s++;
	}
	out[o] = 0;
	*pos = s;
	return 1;
}

/* A word's placeholders into out (NULL: only checks them), vals[] standing for them; the
 * placeholders it holds are or-ed into *used. 0, or negative with err. */
static int word_expand(const char *w, const char *const *vals, char *out, size_t size,
		       unsigned *used, struct isb_err *err)
{
	size_t o = 0;
	for (const char *s = w; *s;) {
		const char *lit = s;
		size_t n = 1;
		if (s[0] == '{' && s[1] == '{') {
			s += 2;
		} else if (s[0] == '{') {
			const char *e = strchr(s, '}');
			unsigned i = 0;
			if (!e)
				return isb_errf(err, 0,
						"has a '{' with no '}' (a literal brace is {{)");
			for (size_t k = (size_t)(e - s - 1); i < PH__COUNT; i++)
				if (strlen(ph_names[i]) == k && !strncmp(s + 1, ph_names[i], k))
					break;
			if (i == PH__COUNT)
				return isb_errf(err, 0,
						"has an unknown placeholder '%.*s' (known: %s)",
						(int)(e - s + 1), s, PH_KNOWN);
			if (i == PH_AGENT && (s != w || e[1]))
				return isb_errf(err, 0,
						"has {agent} inside a word: it stands for the "
						"agent's whole argv and must be a word alone");
			*used |= 1u << i;
			lit = vals ? vals[i] : "";
			n = strlen(lit);
			s = e + 1;
		} else {
			s++;
		}
		if (out && o + n >= size)
			return isb_errf(err, 0, "is over %zu characters expanded", size);
		if (out)
			memcpy(out + o, lit, n);
		o += n;
	}
	if (out)
		out[o] = 0;
	return 0;
}

/* The command's first word expanded into first (with vals), the placeholders it uses in *used.
 * 0, or negative with err ("has ..."). */
static int tmpl_first(const char *t, const char *const *vals, char *first, size_t size,
		      unsigned *used, struct isb_err *err)
{
	char word[256];
	size_t nwords = 0;
	int r;
	*used = 0;
	while ((r = next_word(&t, word, sizeof(word), err)) > 0) {
		if (word_expand(word, nwords ? NULL : vals, nwords ? NULL : first, size, used,
				err) < 0)
			return -EINVAL;
		nwords++;
	}
	if (r < 0)
		return r;
	if (!nwords)
		return isb_errf(err, 0, "is empty");
	if (!(*used & (1u << PH_AGENT)))
		return isb_errf(err, 0, "has no {agent} (where the agent's argv goes)");
	return 0;
}

static int tmpl_check(const char *t, struct isb_err *err)
{
	char first[512];
	unsigned used;
	return tmpl_first(t, NULL, first, sizeof(first), &used, err);
}

/* The command of a tenant: argv (max entries with the NULL) of words expanded into store,
 * {agent} replaced by the agent's NULL-terminated argv. 0, or negative with err. */
static int tmpl_expand(const char *t, const char *const *vals, char *const *agent, char **argv,
		       size_t max, char *store, size_t size, struct isb_err *err)
{
	char word[256];
	size_t n = 0, o = 0;
	unsigned used = 0;
	int r;
	while ((r = next_word(&t, word, sizeof(word), err)) > 0) {
		if (!strcmp(word, "{agent}")) {
			for (size_t i = 0; agent[i]; i++)
				if (n + 1 < max)
					argv[n++] = agent[i];
				else
					return isb_errf(err, 0, "has over %zu words", max);
			continue;
		}
		if (n + 1 >= max)
			return isb_errf(err, 0, "has over %zu words", max);
		if (o >= size)
			return isb_errf(err, 0, "is over %zu characters expanded", size);
		if (word_expand(word, vals, store + o, size - o, &used, err) < 0)
			return -E2BIG;
		argv[n++] = store + o;
		o += strlen(store + o) + 1;
	}
	argv[n] = NULL;
	return r;
}

static const char *const class_names[] = {"native",	"container", "sandbox",
					  "hypervisor", "hybrid",    NULL};
static const char *const net_names[] = {"own", "host", NULL};

static int parse_command(void *conf, const char *key, const char *value, struct isb_err *err)
{
	struct isb_err e = {0};
	if (tmpl_check(value, &e) < 0)
		return isb_errf(err, 0, "%s: '%s' %s", key, value, e.msg);
	if (conf)
		snprintf(((struct wr_conf *)conf)->command,
			 sizeof(((struct wr_conf *)conf)->command), "%s", value);
	return 0;
}

static int parse_image(void *conf, const char *key, const char *value, struct isb_err *err)
{
	if (!*value)
		return isb_errf(err, 0, "%s: '' is not a path or name of an image", key);
	if (conf)
		snprintf(((struct wr_conf *)conf)->image, sizeof(((struct wr_conf *)conf)->image),
			 "%s", value);
	return 0;
}

/* "CT_NS,CT_CAPS" or "none": the taxonomy's leaf ids (backends/backend.h) */
static int parse_leaves(void *conf, const char *key, const char *value, struct isb_err *err)
{
	char buf[192], name[64];
	unsigned bits = 0;
	snprintf(buf, sizeof(buf), "%s", value);
	if (strcmp(isb_trim(buf), "none") != 0) {
		for (char *save, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			unsigned i = 0;
			t = isb_trim(t);
			for (; i < ISB_LEAF__COUNT; i++)
				if (!strcmp(t, isb_leaves_str(1u << i, name, sizeof(name))))
					break;
			if (i == ISB_LEAF__COUNT)
				return isb_errf(err, 0,
						"%s: '%s' is not a list of taxonomy leaves like "
						"CT_NS,CT_CAPS or none ('%s' is no leaf)",
						key, value, t);
			bits |= 1u << i;
		}
	}
	if (conf)
		((struct wr_conf *)conf)->leaves = bits;
	return 0;
}

/* env.NAME = VALUE: NAME a shell-style variable name */
static int parse_env(void *conf, const char *key, const char *value, struct isb_err *err)
{
	const char *name = key + 4;
	bool ok = *name && !isdigit((unsigned char)*name);
	for (const char *q = name; ok && *q; q++)
		ok = isalnum((unsigned char)*q) || *q == '_';
	if (!ok)
		return isb_errf(err, 0, "%s: '%s' is not a variable name like env.USER", key, name);
	if (!conf)
		return 0;
	struct wr_conf *w = conf;
	if (w->nenv >= WR_MAX_ENV)
		return isb_errf(err, 0, "%s: more than %d env.NAME keys", key, WR_MAX_ENV);
	snprintf(w->env[w->nenv++], sizeof(w->env[0]), "%s=%s", name, value);
	return 0;
}

static const struct isb_backend_option wr_options[] = {
    {"command", "command", ISB_OPT_CUSTOM, .parse = parse_command,
     .help = "the wrapping command, a template: {agent} (the agent's argv, as words), "
	     "{agent_dir}, {scratch}, {state}, {name}, {image}; split into words, no shell"},
    {"image", NULL, ISB_OPT_CUSTOM, .parse = parse_image,
     .help = "what {image} stands for: an image file or directory, or a name; skeleton: a "
	     "directory of empty mount points isobench makes (for ch-run -b /usr)"},
    {"class", NULL, ISB_OPT_ENUM, ISB_OPT_FIELD(struct wr_conf, klass), .names = class_names,
     .help = "what the technology is (default container)"},
    {"leaves", NULL, ISB_OPT_CUSTOM, .parse = parse_leaves,
     .help = "the taxonomy leaves it declares (CT_NS,CT_CAPS; none: the default); the probe "
	     "says what the tenant got"},
    {"network", NULL, ISB_OPT_ENUM, ISB_OPT_FIELD(struct wr_conf, network), .names = net_names,
     .help = "own: the tool gives the tenant a network namespace of its own (network cells are "
	     "skipped; the default); host: it shares the harness's, peers meet on loopback"},
    {"env.", "env.NAME", ISB_OPT_CUSTOM, .parse = parse_env,
     .help = "an environment variable of the command (env.USER = root for ch-run as root)"},
    {0},
};

static int wr_available(struct isb_err *err)
{
	return 1; /* each configuration's tool is looked up by prepare */
}

/* The value of NAME in the configuration's env.NAME keys, else in ours. */
static const char *wr_getenv(const struct wr_conf *w, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < w->nenv; i++)
		if (!strncmp(w->env[i], name, n) && w->env[i][n] == '=')
			return w->env[i] + n + 1;
	return getenv(name);
}

/* prog found as execvp would find it, into out; 0 or -ENOENT. */
static int find_in_path(const char *prog, const char *path, char *out, size_t size)
{
	if (strchr(prog, '/')) {
		snprintf(out, size, "%s", prog);
		return access(prog, X_OK) == 0 ? 0 : -ENOENT;
	}
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;
		snprintf(out, size, "%s/%s", *d ? d : ".", prog);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
	}
	out[0] = 0;
	return -ENOENT;
}

/* What the placeholders stand for in this configuration (name: the tenant's). */
static void wr_values(const struct isb_config *c, const struct wr_priv *p, const char *name,
		      char *agent_dir, size_t adsize, const char *vals[PH__COUNT])
{
	snprintf(agent_dir, adsize, "%s", c->agent_path ? c->agent_path : "");
	char *slash = strrchr(agent_dir, '/');
	if (slash == agent_dir)
		slash[1] = 0; /* "/" */
	else if (slash)
		*slash = 0;
	vals[PH_AGENT] = c->agent_path ? c->agent_path : "";
	vals[PH_AGENT_DIR] = agent_dir;
	vals[PH_SCRATCH] = c->scratch_dir;
	vals[PH_STATE] = c->state_dir;
	vals[PH_NAME] = name;
	vals[PH_IMAGE] = p->cf.image;
}

/* image = skeleton: an image of empty mount points for a tool that pivots into a directory
 * (ch-run), made under the campaign's state: the host's top-level links (bin -> usr/bin on a
 * merged /usr), the directories a container runtime mounts on, the agent's and the scratch
 * directory; the command binds the host's /usr (or more) into it. Removed by cleanup, and
 * with the state directory after a killed campaign. */
static int wr_skeleton(const struct isb_config *c, struct wr_priv *p, const char *agent_dir,
		       struct isb_err *err)
{
	static const char *const dirs[] = {"dev", "proc", "sys",     "tmp",  "etc", "usr", "home",
					   "mnt", "run",  "var/tmp", "root", "opt", "srv"};
	static const char *const links[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
	static const char *const files[] = {"etc/hosts", "etc/resolv.conf", "etc/passwd",
					    "etc/group"};
	char path[1200], target[512];
	snprintf(p->skeleton, sizeof(p->skeleton), "%s/wrapper-%s", c->state_dir, c->name);
	for (char *q = p->skeleton + strlen(c->state_dir) + 1; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("_.-", *q))
			*q = '_'; /* the configuration's name, as one path component */
	for (size_t i = 0; i < ISB_ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->skeleton, dirs[i]);
		int r = isb_mkdir_p(path);
		if (r < 0)
			return isb_errf(err, -r, "image skeleton: mkdir %s", path);
	}
	for (size_t i = 0; i < ISB_ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "/%s", links[i]);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue; /* a real directory (not merged /usr): the command binds it */
		target[n] = 0;
		snprintf(path, sizeof(path), "%s/%s", p->skeleton, links[i]);
		if (symlink(target, path) < 0 && errno != EEXIST)
			return isb_errf(err, errno, "image skeleton: symlink %s", path);
	}
	for (size_t i = 0; i < ISB_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->skeleton, files[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return isb_errf(err, errno, "image skeleton: create %s", path);
		close(fd);
	}
	const char *mine[] = {agent_dir, c->scratch_dir};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(mine); i++) {
		snprintf(path, sizeof(path), "%s%s", p->skeleton, mine[i]);
		int r = mine[i][0] == '/' ? isb_mkdir_p(path) : 0;
		if (r < 0)
			return isb_errf(err, -r, "image skeleton: mkdir %s", path);
	}
	snprintf(p->cf.image, sizeof(p->cf.image), "%s", p->skeleton);
	return 0;
}

/* The keys (checked by the suite already), the tool in PATH, the image. */
static int wr_conf_check(struct isb_config *c, struct wr_priv *p, struct isb_err *err)
{
	struct wr_conf *w = &p->cf;
	w->klass = ISB_CLASS_CONTAINER;
	for (size_t i = 0; i < c->nopts; i++)
		if (isb_option_apply(wr_options, 0, w, c->opts[i].key, c->opts[i].value, err) < 0)
			return -EINVAL;
	if (!w->command[0])
		return isb_errf(err, 0,
				"wrapper: no command = TEMPLATE (e.g. command = bwrap "
				"--ro-bind / / --unshare-all {agent})");
	unsigned used = 0;
	char first[512], agent_dir[512];
	const char *vals[PH__COUNT];
	wr_values(c, p, "", agent_dir, sizeof(agent_dir), vals);
	struct isb_err e = {0};
	if (tmpl_first(w->command, vals, first, sizeof(first), &used, &e) < 0)
		return isb_errf(err, 0, "command: '%s' %s", w->command, e.msg);
	if ((used & (1u << PH_IMAGE)) && !w->image[0])
		return isb_errf(err, 0,
				"wrapper: the command uses {image} but no image = PATH is "
				"given");
	if (find_in_path(first, wr_getenv(w, "PATH"), p->tool, sizeof(p->tool)) < 0)
		return isb_errf(err, 0, "%s: not found in PATH", first);
	if (!strcmp(w->image, "skeleton")) {
		if (wr_skeleton(c, p, agent_dir, err) < 0)
			return -EIO;
	} else if (w->image[0] == '/' && access(w->image, F_OK) < 0)
		return isb_errf(err, errno, "image %s", w->image);
	return 0;
}

static int wr_prepare(struct isb_config *c, struct isb_err *err)
{
	char leaves[128];
	struct wr_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return isb_errf(err, ENOMEM, "wrapper: prepare");
	if (wr_conf_check(c, p, err) < 0) {
		if (p->skeleton[0])
			isb_remove_tree(p->skeleton);
		free(p);
		return -EINVAL;
	}
	c->declared_leaves = p->cf.leaves;
	c->class_name = isb_class_name((enum isb_class)p->cf.klass);
	isb_cgroup_campaign_safety(c, "backend/wrapper", p->procs, &p->nprocs);
	isb_note_add(c->cgroup_note, sizeof(c->cgroup_note),
		     "wrapped by %s (class %s, declares %s)", p->tool, c->class_name,
		     p->cf.leaves ? isb_leaves_str(p->cf.leaves, leaves, sizeof(leaves)) : "none");
	c->priv = p;
	return 0;
}

struct wr_child_arg {
	char **envp;
};

/* In the tenant, before exec: the command's environment (a pointer swap, nothing more). */
static int wr_child(void *arg)
{
	const struct wr_child_arg *a = arg;
	if (a->envp)
		environ = a->envp;
	return 0;
}

/* Ours with the env.NAME keys over it, into envp (max entries with the NULL). */
static void wr_envp(const struct wr_conf *w, char **envp, size_t max)
{
	size_t n = 0;
	for (char **e = environ; e && *e && n + w->nenv + 1 < max; e++) {
		bool over = false;
		for (size_t i = 0; i < w->nenv && !over; i++) {
			size_t k = (size_t)(strchr(w->env[i], '=') - w->env[i]);
			over = !strncmp(*e, w->env[i], k + 1);
		}
		if (!over)
			envp[n++] = *e;
	}
	for (size_t i = 0; i < w->nenv; i++)
		envp[n++] = (char *)w->env[i];
	envp[n] = NULL;
}

/* "isb-<campaign>-<config>-<label>-<n>", with only [A-Za-z0-9_.-] (a name any tool takes) */
static void wr_name(const struct isb_config *c, const char *label, unsigned n, char *out,
		    size_t size)
{
	snprintf(out, size, "isb-%s-%s-%s-%u", c->campaign_id, c->name, label, n);
	for (char *q = out; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("_.-", *q))
			*q = '_';
}

static int wr_spawn(struct isb_config *c, const struct isb_tenant_spec *spec, struct isb_tenant *t,
		    struct isb_err *err)
{
	struct wr_priv *p = c->priv;
	char *agent[64], astore[8192], *argv[192], store[16384], *envp[1024];
	char name[160], agent_dir[512];
	const char *procs[4] = {0}, *vals[PH__COUNT];
	int an = isb_agent_argv(c, spec, agent, ISB_ARRAY_SIZE(agent), astore, sizeof(astore));
	if (an < 0)
		return isb_errf(err, E2BIG, "%s: agent arguments", spec->label);
	wr_name(c, spec->label, atomic_fetch_add(&p->seq, 1), name, sizeof(name));
	wr_values(c, p, name, agent_dir, sizeof(agent_dir), vals);
	struct isb_err e = {0};
	if (tmpl_expand(p->cf.command, vals, agent, argv, ISB_ARRAY_SIZE(argv), store,
			sizeof(store), &e) < 0)
		return isb_errf(err, 0, "%s: command %s", spec->label, e.msg);
	wr_envp(&p->cf, envp, ISB_ARRAY_SIZE(envp));
	if (isb_cgroup_campaign_join(c, p->procs, &p->nprocs, procs, err) < 0)
		return -EIO;
	struct wr_child_arg ca = {.envp = envp};
	struct isb_spawn_hook hook = {.argv = argv, .child = wr_child, .arg = &ca};
	return isb_proc_spawn_ex(c, spec, t, procs, &hook, err);
}

/* network = own: a peer listens on loopback in its own namespace, out of its client's reach */
static const char *wr_unsupported(const struct isb_config *c, const struct isb_tenant_spec *spec)
{
	const struct wr_priv *p = c->priv;
	if (p && p->cf.network == WR_NET_OWN &&
	    (spec->resource == ISB_RES_NETWORK || spec->talks_to_peer))
		return "the wrapped tenant has a network namespace of its own (network = own): its "
		       "peer is out of reach; network = host where the tool shares the host's";
	return NULL;
}

static void wr_cleanup(struct isb_config *c)
{
	struct wr_priv *p = c->priv;
	if (p && p->skeleton[0])
		isb_remove_tree(p->skeleton);
	free(c->priv);
	c->priv = NULL;
	isb_cgroup_campaign_remove(c->campaign_id);
}

/* The tools of the documented examples, where this host has them. */
static void wr_describe(FILE *out, struct json_object *host)
{
	static const char *const tools[] = {"bwrap",	   "ch-run", "apptainer",
					    "singularity", "enroot", "shifter"};
	char path[512];
	fprintf(out, "wrapper (any runtime by command template), the examples' tools:\n");
	for (size_t i = 0; i < ISB_ARRAY_SIZE(tools); i++) {
		bool found = find_in_path(tools[i], getenv("PATH"), path, sizeof(path)) == 0;
		fprintf(out, "  %-14s %s\n", tools[i], found ? path : "not found in PATH");
	}
}

const struct isb_backend isb_backend_wrapper = {
    .name = "wrapper",
    .class = ISB_CLASS_CONTAINER,
    .help = "any runtime by command template (command = ch-run {image} -- {agent}); class and "
	    "leaves are declared, the probe checks them",
    .available = wr_available,
    .options = wr_options,
    .prepare = wr_prepare,
    .spawn = wr_spawn,
    .stop = isb_proc_stop,
    .cleanup = wr_cleanup,
    .unsupported = wr_unsupported,
    .describe = wr_describe,
};
