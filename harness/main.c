/*
 * isobench: the command line. A thin layer over the harness and analysis:
 * run, report, list, probe, cleanup, and agent (the tenant program).
 * Exit codes: 0 ok, 1 error, 2 bad usage or input, 128+N interrupted by signal N.
 */
#include "config.h"
#include "harness/campaign.h"
#include "harness/harness.h"
#include "analysis/analysis.h"
#include "analysis/multi.h"
#include "results/merge.h"

#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const run_help =
    "usage: isobench run [SUITE] [options]\n"
    "       isobench run --resume DIR [SUITE] [--no-report] [--no-bpf] [--scratch DIR]\n"
    "Runs a campaign: every configuration x scenario x placement of SUITE (a path or\n"
    "a shipped suite name; default: quick), then writes its report.\n"
    "  --backends LIST     only configurations of these backends (comma separated)\n"
    "  --resources LIST    only scenarios of these resources (cpu, memory, ...)\n"
    "  --placements LIST   use these placements for every scenario\n"
    "  --reps N            pairs (a baseline and a contended trial, adjacent) per cell\n"
    "  --max-reps N        at most N pairs for a cell whose interval is still wide\n"
    "                      (default: twice --reps from 3 on; equal to --reps: no adaptation)\n"
    "  --duration S        measure window of every trial, seconds\n"
    "  --seed N            seed of the trial order and the bootstrap\n"
    "  --out DIR           campaign directory (default campaigns/<campaign id>)\n"
    "  --scratch DIR       where disk stressors put their files (default: the campaign\n"
    "                      directory); a subdirectory isobench-<id> is made and removed\n"
    "  --no-report         do not write the report at the end\n"
    "  --no-bpf            do not load the eBPF attribution probes (PSI, cgroup statistics\n"
    "                      and counters are still recorded)\n"
    "  --resume DIR        continue the interrupted or killed campaign in DIR: only its\n"
    "                      missing trials, in its seeded order (same suite, version, host)\n"
    "  --shard I/N         only the cells whose index in the whole plan is I-1 modulo N\n"
    "  --allow-concurrent  run although another campaign holds this host; every trial\n"
    "                      is then marked contaminated\n"
    "Exit: 0 ok, 1 error (also: another campaign holds this host), 2 bad usage or suite\n"
    "(also: a resume whose suite, version or host differ), 130/143 interrupted (finished\n"
    "trials kept).\n";

static const char *const report_help =
    "usage: isobench report DIR [--thresholds T4,T3,T2,T1] [--quiet]\n"
    "Writes DIR/report.md, DIR/cells.csv and DIR/trials.csv from DIR/results.db.\n"
    "Needs no privileges and no backend: a copied campaign directory is enough.\n";

static const char *const compare_help =
    "usage: isobench compare A B [--out DIR] [--alpha P] [--quiet]\n"
    "Compares campaign directory B against A, cell by cell (same configuration, scenario and\n"
    "placement): the change of d with a bootstrap 95 % interval, a Mann-Whitney test of the\n"
    "per-pair ratios (Holm-corrected over all cells), grade and rank changes, and Kendall's\n"
    "tau between the rankings of each resource. Writes compare.md and compare.csv into DIR\n"
    "(default: the current directory).\n"
    "  --alpha P   family-wise error rate of the Holm correction (default 0.05)\n"
    "Exit: 0 nothing changed significantly, 1 something did, 2 bad usage or a missing\n"
    "store, 3 error (unreadable store, no cell in common, outputs not written).\n";

static const char *const merge_help =
    "usage: isobench merge OUT [--force] [--quiet] [NAME=]DIR...\n"
    "Merges the campaign directories DIR (whole campaigns of many nodes, or the shards of\n"
    "one suite; a merged directory too) into the new directory OUT: OUT/results.db keeps\n"
    "each trial's node, kernel, CPU model, topology and campaign; then writes its report\n"
    "(per cell one grade from all nodes, the spread between nodes, each node's grade and\n"
    "the nodes that disagree). A node is named by its campaign's hostname, or NAME=.\n"
    "Refuses stores of different suites (suite text, configurations, thresholds) or one\n"
    "campaign twice, unless --force.\n"
    "Exit: 0 ok, 1 error, 2 bad usage, a missing store or suites that differ.\n";

static const char *const list_help = "usage: isobench list backends|stressors|suites|placements\n";
static const char *const probe_help =
    "usage: isobench probe\nTells what this host can run (backends, placements, counters, cgroups) and why not.\n";
static const char *const cleanup_help =
    "usage: isobench cleanup\nRemoves what campaigns that are no longer running left behind (tenant\n"
    "processes, cgroups, state directories) and marks their results.db interrupted.\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: isobench [-v] COMMAND [ARGS]\n"
		   "  run [SUITE]     run a campaign (default suite: quick)\n"
		   "  report DIR      (re)write the report of a campaign directory\n"
		   "  compare A B     did isolation change from campaign A to B? (exit 1: yes)\n"
		   "  merge OUT DIR.. one store and report from many nodes' campaigns or shards\n"
		   "  list WHAT       backends, stressors, suites or placements\n"
		   "  probe           what this host can run, and why not\n"
		   "  cleanup         remove what killed campaigns left behind\n"
		   "  agent ...       the tenant program (see isobench agent --help)\n"
		   "  --version       print the version\n"
		   "'isobench COMMAND --help' for each command; man isobench for the rest.\n");
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* run's options into ov and ro: 0, 1 after --help, or -1 (usage). */
static int run_options(int argc, char **argv, struct isb_overrides *ov, struct isb_run_opts *ro)
{

	static const struct option lo[] = {
	    {"backends", required_argument, NULL, 'b'},
	    {"resources", required_argument, NULL, 'r'},
	    {"placements", required_argument, NULL, 'p'},
	    {"reps", required_argument, NULL, 'n'},
	    {"max-reps", required_argument, NULL, 'm'},
	    {"duration", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"no-report", no_argument, NULL, 'N'},
	    {"no-bpf", no_argument, NULL, 'B'},
	    {"scratch", required_argument, NULL, 'S'},
	    {"resume", required_argument, NULL, 'R'},
	    {"shard", required_argument, NULL, 'H'},
	    {"allow-concurrent", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			ov->backends = optarg;
			break;
		case 'r':
			ov->resources = optarg;
			break;
		case 'p':
			ov->placements = optarg;
			break;
		case 'n':
		case 'm': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1) {
				fprintf(stderr,
					"isobench run: --%s: '%s' is not a positive integer\n",
					c == 'n' ? "reps" : "max-reps", optarg);
				return -1;
			}
			*(c == 'n' ? &ov->reps : &ov->max_reps) = v;
			break;
		}
		case 'd':
			if (isb_parse_double(optarg, &ov->duration) < 0 || ov->duration <= 0) {
				fprintf(stderr,
					"isobench run: --duration: '%s' is not a positive number\n",
					optarg);
				return -1;
			}
			break;
		case 's':
			if (isb_parse_u64(optarg, &ov->seed) < 0) {
				fprintf(stderr, "isobench run: --seed: '%s' is not an integer\n",
					optarg);
				return -1;
			}
			ov->seed_set = true;
			break;
		case 'o':
		case 'R':
			if (ro->out_dir) {
				fputs("isobench run: give one of --out and --resume\n", stderr);
				return -1;
			}
			ro->out_dir = optarg;
			ro->resume = c == 'R';
			break;
		case 'N':
			ro->no_report = true;
			break;
		case 'B':
			ro->no_bpf = true;
			break;
		case 'S':
			ro->scratch = optarg;
			break;
		case 'H': {
			struct isb_err err = {0};
			if (isb_shard_parse(optarg, &ro->shard_i, &ro->shard_n, &err) < 0) {
				fprintf(stderr, "isobench run: %s\n", err.msg);
				return -1;
			}
			break;
		}
		case 'C':
			ro->allow_concurrent = true;
			break;
		case 'h':
			fputs(run_help, stdout);
			return 1;
		default:
			fputs(run_help, stderr);
			return -1;
		}
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct isb_overrides ov = {.reps = -1, .max_reps = -1, .duration = -1};
	struct isb_run_opts ro = {0};
	int opt = run_options(argc, argv, &ov, &ro);
	if (opt)
		return opt > 0 ? 0 : ISB_EXIT_USAGE;
	if (argc - optind > 1) {
		fputs(run_help, stderr);
		return ISB_EXIT_USAGE;
	}
	const char *name = optind < argc ? argv[optind] : "quick";
	char path[1024];
	struct isb_suite *s = calloc(1, sizeof(*s));
	struct isb_err err = {0};
	if (!s)
		return ISB_EXIT_ERROR;
	if (ro.resume) {
		/* the campaign's own options, seed and shard: none may be given again */
		if (ov.backends || ov.resources || ov.placements || ov.reps > 0 ||
		    ov.max_reps > 0 || ov.duration > 0 || ov.seed_set || ro.shard_n) {
			fprintf(stderr, "isobench run: --resume continues a campaign with its own "
					"options: give none of --backends, --resources, "
					"--placements, --reps, --max-reps, --duration, --seed, "
					"--shard\n");
			free(s);
			return ISB_EXIT_USAGE;
		}
		int r =
		    isb_resume_load(ro.out_dir, optind < argc ? argv[optind] : NULL, s, &ro, &err);
		if (r) {
			fprintf(stderr, "isobench run: --resume %s: %s\n", ro.out_dir, err.msg);
			isb_suite_free(s);
			free(s);
			return r;
		}
	} else {
		if (isb_suite_find(name, path, sizeof(path)) < 0) {
			fprintf(stderr,
				"isobench run: no suite '%s' (see 'isobench list suites')\n", name);
			free(s);
			return ISB_EXIT_USAGE;
		}
		isb_suite_defaults(s);
		if (isb_suite_load(s, path, &err) < 0 || isb_suite_override(s, &ov, &err) < 0) {
			fprintf(stderr, "isobench run: %s\n", err.msg);
			isb_suite_free(s);
			free(s);
			return ISB_EXIT_USAGE;
		}
	}
	cleanup_free char *opts = isb_run_options_json(&ov, &ro);
	ro.run_options_json = opts;
	char argstr[2048];
	size_t o = 0;
	for (int i = 0; i < argc && o < sizeof(argstr); i++)
		o += (size_t)snprintf(argstr + o, sizeof(argstr) - o, "%s%s", i ? " " : "isobench ",
				      argv[i]);
	ro.argv_str = argstr;
	ro.progress_tty = isatty(STDERR_FILENO);
	int r = isb_run_campaign(s, &ro);
	isb_suite_free(s);
	free(s);
	return r;
}

static int cmd_report(int argc, char **argv)
{
	struct isb_report_opts ro = {0};
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(report_help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--quiet")) {
			ro.quiet = true;
		} else if (!strcmp(argv[i], "--thresholds") && i + 1 < argc) {
			struct isb_suite tmp;
			struct isb_err err = {0};
			char text[300];
			isb_suite_defaults(&tmp);
			snprintf(
			    text, sizeof(text),
			    "[global]\nthresholds = %s\n[config x]\nbackend = null\n[scenario y]\nresource = cpu\nvictim = null\naggressor = null\n",
			    argv[++i]);
			if (isb_suite_parse(&tmp, "--thresholds", text, &err) < 0) {
				fprintf(stderr, "isobench report: %s\n", err.msg);
				return ISB_EXIT_USAGE;
			}
			memcpy(ro.thresholds, tmp.thresholds, sizeof(ro.thresholds));
			ro.thresholds_set = true;
		} else if (argv[i][0] == '-' || dir) {
			fputs(report_help, stderr);
			return ISB_EXIT_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		fputs(report_help, stderr);
		return ISB_EXIT_USAGE;
	}
	struct isb_err err = {0};
	if (isb_report_write(dir, &ro, &err) < 0) {
		fprintf(stderr, "isobench report: %s\n", err.msg);
		return err.errnum == ENOENT ? ISB_EXIT_USAGE : ISB_EXIT_ERROR;
	}
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct isb_compare_opts co = {.alpha = 0.05};
	const char *dir[2] = {0};
	size_t nd = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(compare_help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--quiet")) {
			co.quiet = true;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			co.out_dir = argv[++i];
		} else if (!strcmp(argv[i], "--alpha") && i + 1 < argc) {
			if (isb_parse_double(argv[++i], &co.alpha) < 0 || co.alpha <= 0 ||
			    co.alpha >= 1) {
				fprintf(stderr,
					"isobench compare: --alpha: '%s' is not in (0, 1)\n",
					argv[i]);
				return ISB_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || nd == 2) {
			fputs(compare_help, stderr);
			return ISB_EXIT_USAGE;
		} else {
			dir[nd++] = argv[i];
		}
	}
	if (nd != 2) {
		fputs(compare_help, stderr);
		return ISB_EXIT_USAGE;
	}
	struct isb_err err = {0};
	int r = isb_compare(dir[0], dir[1], &co, &err);
	if (r < 0) {
		fprintf(stderr, "isobench compare: %s\n", err.msg);
		return err.errnum == ENOENT ? ISB_EXIT_USAGE : 3;
	}
	return r;
}

static int cmd_merge(int argc, char **argv)
{
	bool force = false, quiet = false;
	const char *out = NULL;
	struct isb_merge_input *in = calloc((size_t)argc, sizeof(*in));
	char **names = calloc((size_t)argc, sizeof(*names));
	size_t n = 0;
	int rc = ISB_EXIT_USAGE;
	if (!in || !names)
		goto out;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(merge_help, stdout);
			rc = 0;
			goto out;
		} else if (!strcmp(argv[i], "--force")) {
			force = true;
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (argv[i][0] == '-') {
			fputs(merge_help, stderr);
			goto out;
		} else if (!out) {
			out = argv[i];
		} else {
			/* NAME=DIR: a name without '/' before the first '=' */
			const char *eq = strchr(argv[i], '=');
			const char *dir = argv[i];
			if (eq && eq != argv[i] && !memchr(argv[i], '/', (size_t)(eq - argv[i]))) {
				in[n].node = names[n] = strndup(argv[i], (size_t)(eq - argv[i]));
				dir = eq + 1;
			}
			char *path = malloc(strlen(dir) + sizeof("/results.db"));
			if (!path) {
				rc = ISB_EXIT_ERROR;
				goto out;
			}
			sprintf(path, "%s/results.db", dir);
			in[n++].db_path = path;
		}
	}
	if (!out || !n) {
		fputs(merge_help, stderr);
		goto out;
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "isobench merge: mkdir %s: %s\n", out, strerror(errno));
		rc = ISB_EXIT_ERROR;
		goto out;
	}
	char argstr[2048], db[1024];
	size_t o = 0;
	for (int i = 0; i < argc && o < sizeof(argstr); i++)
		o += (size_t)snprintf(argstr + o, sizeof(argstr) - o, "%s%s", i ? " " : "isobench ",
				      argv[i]);
	snprintf(db, sizeof(db), "%s/results.db", out);
	struct isb_err err = {0};
	struct isb_merge_stats st;
	if (isb_merge_stores(db, in, n, argstr, force, &st, &err) < 0) {
		fprintf(stderr, "isobench merge: %s\n", err.msg);
		rc = err.errnum == ENOENT || err.errnum == EINVAL || err.errnum == EEXIST
			 ? ISB_EXIT_USAGE
			 : ISB_EXIT_ERROR;
		goto out;
	}
	fprintf(stderr,
		"isobench merge: %zu campaign(s) of %zu node(s), %zu cells, %zu trials into %s\n",
		st.sources, st.nodes, st.cells, st.trials, db);
	struct isb_report_opts ro = {.quiet = quiet};
	if (isb_report_write(out, &ro, &err) < 0) {
		fprintf(stderr, "isobench merge: report: %s\n", err.msg);
		rc = ISB_EXIT_ERROR;
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; in && i < n; i++) {
		free((char *)in[i].db_path);
		free(names[i]);
	}
	free(in);
	free(names);
	return rc;
}

/* A backend's [config] keys from its option table, as list stressors shows options. */
static void list_options(const struct isb_backend *b)
{
	for (const struct isb_backend_option *o = b->options; o && o->name; o++) {
		char what[256];
		if (b->option_set && !(o->kinds & b->option_set))
			continue;
		printf("  option %-14s %s%s%s\n", o->shown ? o->shown : o->name,
		       o->type == ISB_OPT_CUSTOM ? "" : isb_option_expect(o, what, sizeof(what)),
		       o->type == ISB_OPT_CUSTOM ? "" : ": ", o->help);
	}
}

static int cmd_list(int argc, char **argv)
{
	if (argc != 2 || wants_help(argc, argv)) {
		fputs(list_help, argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : ISB_EXIT_USAGE;
	}
	const char *what = argv[1];
	size_t n;
	if (!strcmp(what, "backends")) {
		const struct isb_backend *const *t = isb_backends(&n);
		for (size_t i = 0; i < n; i++) {
			struct isb_err why = {0};
			int ok = t[i]->available(&why);
			printf("%-10s %-10s %s%s%s\n", t[i]->name, isb_class_name(t[i]->class),
			       t[i]->help, ok ? "" : " — unavailable: ", ok ? "" : why.msg);
			list_options(t[i]);
		}
	} else if (!strcmp(what, "stressors")) {
		const struct isb_stressor *const *t = isb_stressors(&n);
		for (size_t i = 0; i < n; i++) {
			const struct isb_stressor *s = t[i];
			printf("%s (%s; %s): %s\n  intensity: %s\n", s->name,
			       isb_resource_name(s->resource), isb_role_name(s->roles), s->help,
			       s->intensity_help);
			if (s->unavailable && s->unavailable())
				printf("  unavailable: %s\n", s->unavailable());
			for (const struct isb_metric *m = s->metrics; m && m->name; m++)
				printf("  metric %-14s %-9s %s is better%s: %s\n", m->name, m->unit,
				       m->better == ISB_HIGHER ? "higher" : "lower",
				       m->graded ? ", graded" : "", m->help);
			for (const struct isb_option *o = s->options; o && o->name; o++)
				printf("  option %-14s default %g, [%g, %g]: %s\n", o->name, o->def,
				       o->min, o->max, o->help);
		}
	} else if (!strcmp(what, "suites")) {
		const char *dirs[4];
		size_t nd = isb_suite_dirs(dirs);
		for (size_t i = 0; i < nd; i++) {
			DIR *d = opendir(dirs[i]);
			struct dirent *e;
			if (!d)
				continue;
			while ((e = readdir(d))) {
				size_t l = strlen(e->d_name);
				if (l > 4 && !strcmp(e->d_name + l - 4, ".ini"))
					printf("%.*s\t%s/%s\n", (int)(l - 4), e->d_name, dirs[i],
					       e->d_name);
			}
			closedir(d);
			break; /* the first directory that exists wins, as in isb_suite_find */
		}
	} else if (!strcmp(what, "placements")) {
		for (size_t i = 0; isb_placement_names[i]; i++)
			printf("%s\n", isb_placement_names[i]);
	} else {
		fprintf(stderr, "isobench list: unknown list '%s'\n%s", what, list_help);
		return ISB_EXIT_USAGE;
	}
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(probe_help, stdout);
		return 0;
	}
	struct isb_topology *t = NULL;
	struct isb_err err = {0};
	char buf[512];
	if (isb_topo_load(&t, NULL, &err) < 0) {
		fprintf(stderr, "isobench probe: %s\n", err.msg);
		return ISB_EXIT_ERROR;
	}
	isb_topo_summary(t, buf, sizeof(buf));
	printf("isobench %s\ntopology: %s\ncgroups: %s\n", PACKAGE_VERSION, buf,
	       isb_cgroup_mode_name(isb_cgroup_mode()));
	printf("state directory: %s\n", isb_state_root());
	printf("placements:\n");
	for (size_t i = 0; isb_placement_names[i]; i++) {
		struct isb_placement p;
		struct isb_err why = {0};
		if (isb_topo_place(t, isb_placement_names[i], &p, &why) == 0)
			printf("  %-8s victim PU %s, aggressor PU %s (shares %s)\n",
			       isb_placement_names[i], p.victim_cpus, p.aggressor_cpus,
			       !strcmp(p.resolved, "shared") ? "the PU" : p.resolved);
		else
			printf("  %-8s unavailable: %s\n", isb_placement_names[i], why.msg);
	}
	printf("backends:\n");
	size_t n;
	const struct isb_backend *const *b = isb_backends(&n);
	for (size_t i = 0; i < n; i++) {
		struct isb_err why = {0};
		if (b[i]->available(&why))
			printf("  %-9s available\n", b[i]->name);
		else
			printf("  %-9s unavailable: %s\n", b[i]->name, why.msg);
	}
	json_object *host = isb_host_json(t);
	for (size_t i = 0; i < n; i++)
		if (b[i]->describe)
			b[i]->describe(stdout, host);
	json_object_put(host);
	printf("counters (%s), on this process:\n", isb_counters_lib());
	struct isb_counters c;
	isb_counters_open(&c, 0);
	for (size_t i = 0; i < c.n; i++)
		printf("  %-16s %s%s\n", c.ev[i].name,
		       c.ev[i].fd >= 0 ? "available" : "unavailable: ",
		       c.ev[i].fd >= 0 ? "" : c.ev[i].unavailable);
	isb_counters_close(&c);
	uint64_t avail = isb_mem_available();
	printf("memory available: %.1f GiB\nrunning as: %s\n", (double)avail / (1ull << 30),
	       geteuid() == 0 ? "root"
			      : "an unprivileged user (no safety cgroup: ceilings unavailable)");
	isb_topo_free(t);
	return 0;
}

static int cmd_cleanup(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(cleanup_help, stdout);
		return 0;
	}
	if (argc != 1) {
		fputs(cleanup_help, stderr);
		return ISB_EXIT_USAGE;
	}
	int n = isb_cleanup_stale(true);
	printf("removed %d leftover%s\n", n, n == 1 ? "" : "s");
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	while (i < argc && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
		isb_verbose = 1;
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return ISB_EXIT_USAGE;
	}
	const char *cmd = argv[i];
	int sub_argc = argc - i;
	char **sub_argv = argv + i;
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("isobench %s (results schema %d)\n", PACKAGE_VERSION, ISB_SCHEMA_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "agent"))
		return isb_agent_main(sub_argc, sub_argv);
	if (!strcmp(cmd, "run"))
		return cmd_run(sub_argc, sub_argv);
	if (!strcmp(cmd, "report"))
		return cmd_report(sub_argc, sub_argv);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(sub_argc, sub_argv);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(sub_argc, sub_argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(sub_argc, sub_argv);
	if (!strcmp(cmd, "probe"))
		return cmd_probe(sub_argc, sub_argv);
	if (!strcmp(cmd, "cleanup"))
		return cmd_cleanup(sub_argc, sub_argv);
	fprintf(stderr, "isobench: unknown command '%s'\n", cmd);
	usage(stderr);
	return ISB_EXIT_USAGE;
}
