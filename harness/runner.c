/*
 * The runner: sets a campaign up (its directories, state, store, test network, shaped
 * link, disk, probes and configurations), runs the rounds plan.c gives it one trial at a
 * time (trial.c), records its end, and cleans up on exit, on SIGINT/SIGTERM, and after a
 * killed predecessor.
 */
#include "config.h"
#include "harness/run.h"
#include "analysis/analysis.h"
#include "common/json.h"
#include "results/resume.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile int isb_interrupted;

static void on_signal(int sig)
{
	isb_interrupted = sig;
}

static char *settings_json(const struct isb_suite *s, json_object *disk)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array();
	json_object_object_add(o, "schema_version", json_object_new_int(ISB_SCHEMA_VERSION));
	json_object_object_add(o, "isobench_version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "reps", json_object_new_int((int)s->reps));
	json_object_object_add(o, "max_reps", json_object_new_int((int)isb_suite_max_reps(s)));
	json_object_object_add(o, "target_halfwidth", json_object_new_double(s->target_halfwidth));
	json_object_object_add(o, "grade_by",
			       json_object_new_string(s->grade_by_upper ? "upper" : "point"));
	json_object_object_add(o, "design", json_object_new_string("paired"));
	json_object_object_add(o, "duration", json_object_new_double(s->duration));
	json_object_object_add(o, "warmup", json_object_new_double(s->warmup));
	json_object_object_add(o, "aggressor_warmup", json_object_new_double(s->aggressor_warmup));
	json_object_object_add(o, "sample_interval", json_object_new_double(s->sample_interval));
	json_object_object_add(o, "grace", json_object_new_double(s->grace));
	for (int i = 0; i < 4; i++)
		json_object_array_add(t, json_object_new_double(s->thresholds[i]));
	json_object_object_add(o, "thresholds", t);
	json_object_object_add(o, "bootstrap", json_object_new_int((int)s->bootstrap));
	json_object_object_add(o, "memory_ceiling", json_object_new_double(s->memory_ceiling));
	json_object_object_add(o, "pids_ceiling", json_object_new_int64((int64_t)s->pids_ceiling));
	if (s->link_rate)
		json_object_object_add(o, "link_rate",
				       json_object_new_int64((int64_t)s->link_rate));
	json_object_object_add(o, "contended", json_object_new_boolean(!s->baseline_only));
	if (disk)
		json_object_object_add(o, "disk", disk); /* the campaign's disk, its calibration */
	char *r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static int store_metrics(struct isb_store *st, struct isb_err *err)
{
	size_t n;
	const struct isb_stressor *const *t = isb_stressors(&n);
	for (size_t i = 0; i < n; i++)
		for (const struct isb_metric *m = t[i]->metrics; m && m->name; m++) {
			struct isb_metric_row row = {
			    .stressor = t[i]->name,
			    .name = m->name,
			    .unit = m->unit,
			    .higher_better = m->better == ISB_HIGHER,
			    .graded = m->graded,
			    .help = m->help,
			};
			if (isb_store_metric(st, &row, err) < 0)
				return -EIO;
		}
	return 0;
}

/* The shaped link, or why not: its network cells are then skipped with the reason. */
static void link_setup(struct ctx *x, const struct isb_testnet *net)
{
	struct isb_err err = {0};
	char r[24];
	isb_rate_str(x->s->link_rate, r, sizeof(r));
	if (isb_link_create(net, x->s->link_rate, &x->link, &err) < 0) {
		snprintf(x->link_why, sizeof(x->link_why), "link_rate = %s: unavailable: %s", r,
			 err.msg);
		isb_log("harness", "%s", x->link_why);
		memset(&x->link, 0, sizeof(x->link));
		return;
	}
	isb_log("harness", "link %sbit/s (%s) from %s to %s%s%s", r, x->link.htb ? "htb" : "tbf",
		x->link.ns[0], x->link.ns[1],
		x->link.htb ? "" : ": no per-tenant classes: ", x->link.no_class);
}

/* What the link does for a configuration's tenants, after its prepare's own note. */
static void link_note(struct ctx *x, struct rconfig *rc)
{
	char r[24], cr[24], cc[24], buf[400], cls[80];
	if (!x->link.up)
		return;
	isb_rate_str(x->link.rate, r, sizeof(r));
	isb_rate_str(rc->c.net_class_rate, cr, sizeof(cr));
	isb_rate_str(rc->c.net_class_ceil, cc, sizeof(cc));
	snprintf(cls, sizeof(cls), "a class per tenant, rate %sbit ceil %sbit", cr, cc);
	snprintf(buf, sizeof(buf), "; link %sbit/s %s: %s%s", r, x->link.htb ? "htb" : "tbf",
		 !rc->c.net_class_rate ? "no class per tenant (all share the default class)"
		 : x->link.htb	       ? cls
			       : "its classes cannot be made: its network cells are skipped",
		 rc->c.backend->class == ISB_CLASS_NATIVE
		     ? "; native network tenants joined the campaign's network namespace "
		       "(no other namespace), native peers the far one"
		     : "");
	size_t n = strlen(rc->c.cgroup_note);
	snprintf(rc->c.cgroup_note + n, sizeof(rc->c.cgroup_note) - n, "%s", buf);
}

static void progress(const struct isb_run_opts *o, unsigned k, unsigned total,
		     const struct rcell *c, size_t ncells, const struct isb_suite *s,
		     const struct rconfig *rc, bool contended, uint64_t t0, const char *summary)
{
	uint64_t el = isb_now_ns() - t0;
	double eta = k ? (double)el / 1e9 / k * (total - k) : NAN;
	char etas[32] = "?";
	if (isfinite(eta))
		snprintf(etas, sizeof(etas), "%d:%02d", (int)eta / 60, (int)eta % 60);
	if (o->progress_tty)
		fprintf(stderr, "\r\033[K[trial %u/%u] cell %lld/%zu %s %s %s %s ETA %s", k, total,
			c->id, ncells, rc->c.name, s->scenarios[c->sc].name, c->placement,
			contended ? "contended" : "baseline", etas);
	else
		fprintf(stderr, "trial %u/%u cell %lld/%zu %s %s %s %s: %s (ETA %s)\n", k, total,
			c->id, ncells, rc->c.name, s->scenarios[c->sc].name, c->placement,
			contended ? "contended" : "baseline", summary, etas);
}

/* A campaign with a disk scenario: its own loop device when disk_device = loop, and the
 * calibration the capped and partitioned policies derive io throttles from when a
 * configuration asks for one of them; why the disk cells cannot run in *why. Returns whether
 * there is something to record. */
static bool plan_disk(const struct isb_suite *s, const char *id, const char *state,
		      const char *scratch, struct isb_disk *d, struct isb_err *why)
{
	struct isb_err err = {0};
	bool any = false, calibrate = false;
	for (size_t i = 0; i < s->nscenarios; i++)
		any |= s->scenarios[i].resource == ISB_RES_DISK;
	if (!any || !scratch[0])
		return false;
	if (s->disk_device == ISB_DISK_LOOP) {
		if (isb_disk_create(s, id, state, scratch, d, &err) < 0) {
			isb_errf(why, 0, "disk_device = loop: unavailable: %s", err.msg);
			isb_log("harness", "%s", why->msg);
			return true;
		}
		isb_log("harness", "disk: %s (%s, direct I/O %s, scheduler %s) mounted on %s",
			d->dev, d->image, d->dio ? "on" : "off", d->scheduler, d->mnt);
		if (d->sched_note[0])
			isb_log("harness", "disk: %s", d->sched_note);
	}
	for (size_t i = 0; i < s->nconfigs; i++)
		for (size_t k = 0; k < s->configs[i].nopts; k++)
			calibrate |= !strcmp(s->configs[i].opts[k].key, "cgroups") &&
				     (!strcmp(s->configs[i].opts[k].value, "capped") ||
				      !strcmp(s->configs[i].opts[k].value, "partitioned"));
	if (calibrate) {
		if (isb_disk_calibrate(d->up ? d->mnt : scratch, d, &err) < 0) {
			snprintf(d->calib_note, sizeof(d->calib_note), "%s", err.msg);
			isb_log("harness",
				"disk calibration unavailable: %s (no derived io throttles)",
				err.msg);
		} else {
			isb_log("harness",
				"disk calibration: %.0f IOPS (4 KiB random reads, QD1), %.0f MB/s "
				"(1 MiB sequential writes) in %.1f s",
				d->read_iops, d->write_bps / 1e6, d->calib_s);
		}
	}
	return true;
}
/* Signals, the campaign's id, its locks (before anything is created), the leftovers of
 * killed campaigns and its output directory. 0, or the exit code. */
static int campaign_dirs(struct ctx *x)
{
	struct isb_err err = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(x->campaign_id, sizeof(x->campaign_id), "%s-%x", stamp, (unsigned)getpid());
	if (isb_campaign_lock(&x->lock, x->campaign_id, x->o->allow_concurrent, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return ISB_EXIT_ERROR;
	}
	if (x->lock.concurrent[0])
		isb_log("harness",
			"--allow-concurrent: running beside %s; every trial is marked contaminated",
			x->lock.concurrent);

	int stale = isb_cleanup_stale(true);
	if (stale)
		isb_log("harness", "removed %d leftovers of earlier campaigns", stale);

	if (x->o->out_dir)
		snprintf(x->out, sizeof(x->out), "%s", x->o->out_dir);
	else
		snprintf(x->out, sizeof(x->out), "campaigns/%s", x->campaign_id);
	if (isb_mkdir_p(x->out) < 0) {
		isb_log("harness", "cannot create %s: %s", x->out, strerror(errno));
		return ISB_EXIT_ERROR;
	}
	x->dir_fd = isb_campaign_dir_lock(x->out, &err);
	if (x->dir_fd < 0) {
		isb_log("harness", "%s", err.msg);
		return ISB_EXIT_ERROR;
	}
	snprintf(x->dbpath, sizeof(x->dbpath), "%s/results.db", x->out);
	if (x->o->resume != (access(x->dbpath, F_OK) == 0)) {
		isb_log("harness",
			x->o->resume ? "%s: no campaign to resume"
				     : "%s already exists: choose another --out, or --resume it "
				       "(a campaign is never overwritten)",
			x->dbpath);
		return ISB_EXIT_USAGE;
	}
	return 0;
}

/* The state directory, the scratch directory, the topology and the store. 0, or -1. */
static int campaign_open(struct ctx *x)
{
	struct isb_err err = {0};
	char absout[1024];
	if (!realpath(x->out, absout))
		snprintf(absout, sizeof(absout), "%s", x->out);
	if (isb_state_create(x->campaign_id, absout, x->state, sizeof(x->state), &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	x->state_made = true;
	/* Our own directory, even inside a --scratch the user gave: only it is removed. */
	if (x->o->scratch)
		snprintf(x->scratch, sizeof(x->scratch), "%s/isobench-%s", x->o->scratch,
			 x->campaign_id);
	else
		snprintf(x->scratch, sizeof(x->scratch), "%s/scratch", absout);
	if (isb_state_note(x->state, "scratch", x->scratch) < 0 ||
	    (mkdir(x->scratch, 0700) < 0 && errno != EEXIST)) {
		isb_log("harness", "cannot create %s: %s", x->scratch, strerror(errno));
		x->scratch[0] = 0;
		return -1;
	}
	if (x->o->resume && resume_open(x) < 0)
		return -1;
	if (isb_topo_load(&x->topo, NULL, &err) < 0 ||
	    isb_store_create(&x->st, x->dbpath, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	isb_log("harness", "campaign %s: results in %s", x->campaign_id, x->out);
	return 0;
}

/* Tenants with network namespaces of their own meet in the test network; link_rate and a
 * network scenario: the shaped link. 0, or -1. */
static int campaign_network(struct ctx *x)
{
	const struct isb_suite *s = x->s;
	struct isb_err err = {0};
	bool need_net = s->test_network;
	for (size_t i = 0; i < s->nscenarios && !need_net; i++)
		for (size_t k = 0; k < s->nconfigs && !need_net; k++) {
			const struct isb_backend *b = isb_backend_find(s->configs[k].backend);
			need_net = s->scenarios[i].resource == ISB_RES_NETWORK && b &&
				   b->class != ISB_CLASS_NATIVE;
		}
	bool need_link = false;
	for (size_t i = 0; i < s->nscenarios && s->link_rate; i++)
		need_link |= s->scenarios[i].resource == ISB_RES_NETWORK;
	if (!need_net && !need_link)
		return 0;
	if (isb_testnet_create(x->campaign_id, x->state, &x->net, &err) < 0) {
		isb_log("harness", "test network unavailable: %s", err.msg);
		return -1;
	}
	isb_log("harness", "test network: %s (%s) <-> %s (%s)", x->net.ns[0], x->net.addr[0],
		x->net.ns[1], x->net.addr[1]);
	if (need_link)
		link_setup(x, &x->net);
	return 0;
}

/* What a merge and a resume need: the suite's hash, the options it ran with, the node and
 * the shard. */
static int campaign_provenance(struct ctx *x, json_object *host, struct isb_err *err)
{
	char hash[65], shard[32];
	json_object *hn = NULL;
	isb_sha256_hex(x->s->text ? x->s->text : "", x->s->text ? strlen(x->s->text) : 0, hash);
	json_object_object_get_ex(host, "hostname", &hn);
	snprintf(shard, sizeof(shard), "%u/%u", x->o->shard_i, x->o->shard_n);
	if (isb_store_meta_set(x->dbpath, ISB_META_SUITE_SHA256, hash, err) < 0 ||
	    isb_store_meta_set(x->dbpath, ISB_META_RUN_OPTIONS,
			       x->o->run_options_json ? x->o->run_options_json : "{}", err) < 0 ||
	    isb_store_meta_set(x->dbpath, ISB_META_NODE, hn ? json_object_get_string(hn) : "",
			       err) < 0 ||
	    (x->o->shard_n && isb_store_meta_set(x->dbpath, ISB_META_SHARD, shard, err) < 0))
		return -EIO;
	return 0;
}

/* The campaign's row (host, settings, the disk's calibration) and the metrics' meanings. */
static int campaign_record(struct ctx *x)
{
	const struct isb_suite *s = x->s;
	struct isb_err err = {0};
	bool disk_json = plan_disk(s, x->campaign_id, x->state, x->scratch, &x->disk, &x->disk_why);
	cleanup_json json_object *host = isb_host_json(x->topo);
	cleanup_free char *settings =
	    settings_json(s, disk_json ? isb_disk_json(s, &x->disk) : NULL);
	struct isb_campaign_row row = {
	    .id = x->campaign_id,
	    .started_ns = (long long)isb_wall_ns(),
	    .seed = s->seed,
	    .suite_path = s->path,
	    .suite_text = s->text,
	    .argv = x->o->argv_str,
	    .host_json = json_object_to_json_string_ext(host, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
	    .settings_json = settings,
	};
	if ((!x->o->resume && (isb_store_campaign_begin(x->st, &row, &err) < 0 ||
			       campaign_provenance(x, host, &err) < 0)) ||
	    store_metrics(x->st, &err) < 0 ||
	    (x->lock.concurrent[0] &&
	     isb_store_meta_set(x->dbpath, ISB_META_CONCURRENT, x->lock.concurrent, &err) < 0)) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	/* The attribution probes: loaded once for the campaign. */
	if (x->o->no_bpf) {
		snprintf(x->attrib_why, sizeof(x->attrib_why), "--no-bpf");
	} else if (!(x->attrib = isb_attrib_open(&err))) {
		snprintf(x->attrib_why, sizeof(x->attrib_why), "%s", err.msg);
		isb_log("harness", "attribution: eBPF probes unavailable: %s", x->attrib_why);
	} else {
		isb_debug("harness", "attribution: eBPF probes loaded (%s)",
			  isb_attrib_variant(x->attrib));
	}
	return 0;
}

/* A configuration's settings from the suite and the campaign. */
static void config_fill(struct ctx *x, struct rconfig *rc, const struct isb_suite_config *sc,
			const char *agent_path, bool agent_is_isobench)
{
	const struct isb_suite *s = x->s;
	snprintf(rc->c.name, sizeof(rc->c.name), "%s", sc->name);
	rc->c.backend = isb_backend_find(sc->backend);
	rc->c.time_scale = 1;
	for (size_t k = 0; k < sc->nopts; k++) {
		if (!strcmp(sc->opts[k].key, "time_scale")) {
			isb_parse_double(sc->opts[k].value, &rc->c.time_scale);
			continue;
		}
		memcpy(&rc->c.opts[rc->c.nopts++], &sc->opts[k], sizeof(sc->opts[k]));
	}
	snprintf(rc->c.campaign_id, sizeof(rc->c.campaign_id), "%s", x->campaign_id);
	snprintf(rc->c.state_dir, sizeof(rc->c.state_dir), "%s", x->state);
	/* the disk stressors' files on the campaign's own device when it has one */
	snprintf(rc->c.scratch_dir, sizeof(rc->c.scratch_dir), "%s",
		 x->disk.up ? x->disk.mnt : x->scratch);
	rc->c.disk_read_iops = x->disk.read_iops;
	rc->c.disk_write_bps = x->disk.write_bps;
	rc->c.agent_path = agent_path;
	rc->c.agent_is_isobench = agent_is_isobench;
	rc->c.agent_main = isb_agent_main;
	rc->c.pids_ceiling = s->pids_ceiling;
	rc->c.record_pid = isb_state_record_pid;
	isb_probe_host_ns(rc->c.host_ns, sizeof(rc->c.host_ns));
	if (x->net.up) {
		snprintf(rc->c.testnet_hub, sizeof(rc->c.testnet_hub), "%s", x->net.ns[0]);
		snprintf(rc->c.testnet_subnet, sizeof(rc->c.testnet_subnet), "%s", x->net.subnet);
	}
	if (s->link_rate) {
		rc->c.link_rate_bps = s->link_rate;
		snprintf(rc->c.link_no_class, sizeof(rc->c.link_no_class), "%s",
			 x->link.up ? x->link.no_class : x->link_why);
	}
}

/* A configuration available and prepared, or unavailable with the reason; recorded. */
static void config_prepare(struct ctx *x, struct rconfig *rc, const struct isb_suite_config *sc)
{
	struct isb_err err = {0};
	struct isb_err why = {0};
	if (!rc->c.backend->available(&why)) {
		snprintf(rc->unavailable, sizeof(rc->unavailable), "unavailable: %s", why.msg);
	} else if (rc->c.backend->prepare(&rc->c, &err) < 0) {
		snprintf(rc->unavailable, sizeof(rc->unavailable), "unavailable: %s", err.msg);
	} else {
		rc->prepared = true;
		link_note(x, rc);
	}
	if (rc->unavailable[0])
		isb_log("harness", "config %s: %s", sc->name, rc->unavailable);
	char leaves[256];
	cleanup_json json_object *oj = json_object_new_object();
	for (size_t k = 0; k < sc->nopts; k++)
		json_object_object_add(oj, sc->opts[k].key,
				       json_object_new_string(sc->opts[k].value));
	if (sc->technology[0])
		json_object_object_add(oj, "technology", json_object_new_string(sc->technology));
	struct isb_config_row row = {
	    .name = sc->name,
	    .backend = sc->backend,
	    .class_name =
		rc->c.class_name ? rc->c.class_name : isb_class_name(rc->c.backend->class),
	    .options_json = json_object_to_json_string_ext(oj, JSON_C_TO_STRING_PLAIN),
	    .declared_leaves = isb_leaves_str(rc->c.declared_leaves, leaves, sizeof(leaves)),
	    .cgroup_note = rc->c.cgroup_note,
	    .available = rc->prepared,
	    .unavailable_reason = rc->unavailable[0] ? rc->unavailable : NULL,
	};
	isb_store_config(x->st, &row, &err);
}

/* Configurations, cells and the room for a round's trials. 0, or -1. */
static int campaign_plan(struct ctx *x, struct rtrial **trials)
{
	const struct isb_suite *s = x->s;
	struct isb_err err = {0};
	char *self = x->self; /* the configurations keep it as their agent */
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(x->self) - 1);
	self[sl > 0 ? sl : 0] = 0;
	const char *agent_env = getenv("ISOBENCH_AGENT");
	uint64_t memmax = (uint64_t)(s->memory_ceiling * (double)isb_mem_available());
	x->cfgs = calloc(s->nconfigs, sizeof(*x->cfgs));
	for (size_t i = 0; x->cfgs && i < s->nconfigs; i++) {
		config_fill(x, &x->cfgs[i], &s->configs[i], agent_env ? agent_env : self,
			    !agent_env);
		x->cfgs[i].c.mem_ceiling_bytes = memmax;
		config_prepare(x, &x->cfgs[i], &s->configs[i]);
	}
	size_t maxcells = s->nconfigs * s->nscenarios * ISB_MAX_PLACEMENTS;
	x->cells = calloc(maxcells ? maxcells : 1, sizeof(*x->cells));
	x->max_reps = isb_suite_max_reps(s);
	*trials = calloc(maxcells * x->max_reps * 2 + 1, sizeof(**trials));
	if (!x->cfgs || !x->cells || !*trials) {
		isb_log("harness", "out of memory planning the campaign");
		return -1;
	}
	if (plan_cells(x, &err) < 0) {
		isb_log("harness", "%s", err.msg);
		return -1;
	}
	return 0;
}

/* The rounds, one trial at a time. 0, or -1 (the store failed). */
static int campaign_run(struct ctx *x, struct rtrial *trials, unsigned *done, unsigned *planned)
{
	const struct isb_suite *s = x->s;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, (unsigned long)s->seed);
	isb_log("harness", "%zu cells (%zu runnable), %u to %u pairs each, seed %llu", x->ncells,
		x->runnable, s->reps, x->max_reps, (unsigned long long)s->seed);
	uint64_t t0 = isb_now_ns();
	int ret = 0;
	for (unsigned round = 0; !isb_interrupted && !ret; round++) {
		size_t ntrials = plan_round(x, rng, round, trials);
		if (!ntrials)
			break;
		*planned += (unsigned)ntrials;
		if (round)
			isb_log("harness",
				"round %u: %zu more pairs for cells whose interval is "
				"still wide",
				round + 1, s->baseline_only ? ntrials : ntrials / 2);
		for (size_t i = 0; i < ntrials && !isb_interrupted; i++) {
			const struct rcell *c = &x->cells[trials[i].cell];
			char summary[700] = "";
			if (resume_done(x, &trials[i])) {
				(*done)++; /* its seq stays its place in the plan */
				continue;
			}
			x->contaminated[0] = 0;
			campaign_contamination(x);
			int r = run_trial(x, &trials[i], *done + 1, summary, sizeof(summary));
			if (r == -EINTR)
				break;
			if (r < 0) {
				ret = -1;
				break;
			}
			(*done)++;
			progress(x->o, *done, *planned, c, x->ncells, s, &x->cfgs[c->cfg],
				 trials[i].contended, t0, summary);
		}
		if (!ret)
			plan_settle(x);
	}
	gsl_rng_free(rng);
	return ret;
}

/* The campaign's status recorded; its exit code. */
static int campaign_end(struct ctx *x, unsigned done, unsigned planned)
{
	struct isb_err err = {0};
	if (x->o->progress_tty)
		fputc('\n', stderr);
	if (x->resume)
		resume_record(x, done);
	isb_store_campaign_finish(x->st, isb_interrupted, (long long)isb_wall_ns(), &err);
	if (isb_interrupted) {
		isb_log(
		    "harness",
		    "interrupted by signal %d after %u of %u trials: finished trials kept in %s",
		    isb_interrupted, done, planned, x->dbpath);
		return 128 + isb_interrupted;
	}
	if (!x->runnable) {
		isb_log("harness",
			"no cell of this campaign can run here (see skipped cells in the report)");
		return ISB_EXIT_ERROR;
	}
	return ISB_EXIT_OK;
}

/* Everything the campaign set up, undone; the report written. */
static int campaign_close(struct ctx *x, int ret)
{
	struct isb_err err = {0};
	isb_attrib_close(x->attrib);
	x->attrib = NULL;
	for (size_t i = 0; x->cfgs && i < x->s->nconfigs; i++)
		if (x->cfgs[i].prepared)
			x->cfgs[i].c.backend->cleanup(&x->cfgs[i].c);
	isb_store_close(x->st);
	x->st = NULL;
	if (x->net.up)
		isb_testnet_remove(x->campaign_id);
	isb_disk_remove(&x->disk); /* before the scratch directory its mount is in */
	if (x->state_made) {
		if (x->scratch[0])
			isb_remove_tree(x->scratch);
		isb_state_remove(x->state);
	}
	isb_campaign_unlock(&x->lock);
	if (x->dir_fd >= 0)
		close(x->dir_fd); /* after the report: a resume waits for it */
	isb_topo_free(x->topo);
	if (!x->o->no_report && access(x->dbpath, F_OK) == 0) {
		struct isb_report_opts ro = {0};
		if (isb_report_write(x->out, &ro, &err) < 0) {
			isb_log("report", "%s", err.msg);
			if (ret == ISB_EXIT_OK)
				ret = ISB_EXIT_ERROR;
		} else {
			isb_log("report", "%s/report.md, cells.csv, trials.csv", x->out);
		}
	}
	resume_free(x);
	free(x->cfgs);
	for (size_t i = 0; x->cells && i < x->ncells; i++)
		free(x->cells[i].vals);
	free(x->cells);
	return ret;
}

int isb_run_campaign(struct isb_suite *s, const struct isb_run_opts *o)
{
	struct ctx *x = calloc(1, sizeof(*x));
	cleanup_free struct rtrial *trials = NULL;
	unsigned done = 0, planned = 0;
	int ret = ISB_EXIT_ERROR;
	if (!x)
		return ISB_EXIT_ERROR;
	x->s = s;
	x->o = o;
	x->dir_fd = -1;
	x->lock.self_fd = x->lock.host_fd = -1;
	ret = campaign_dirs(x);
	if (ret)
		goto out_unlock;
	ret = ISB_EXIT_ERROR;
	if (campaign_open(x) < 0 || campaign_network(x) < 0 || campaign_record(x) < 0 ||
	    campaign_plan(x, &trials) < 0 || campaign_run(x, trials, &done, &planned) < 0)
		goto out_close;
	ret = campaign_end(x, done, planned);
out_close:
	ret = campaign_close(x, ret);
	free(x);
	return ret;
out_unlock:
	isb_campaign_unlock(&x->lock);
	if (x->dir_fd >= 0)
		close(x->dir_fd);
	free(x);
	return ret;
}
