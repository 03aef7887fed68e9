/*
 * fio as the disk engine: the disk stressors describe a job, this file lays
 * out the tenant's own file under the campaign's scratch directory, runs fio
 * on it with --output-format=json+, stops it with SIGINT when an aggressor is
 * told to stop (fio then still writes its results), and reads the numbers
 * with json-c. The file is removed when the run ends; a file a killed tenant
 * left goes with the scratch directory.
 */
#include "config.h"
#include "common/json.h"
#include "stressors/fio.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *isb_fio_bin(void)
{
	const char *env = getenv("ISOBENCH_FIO");
	return env && *env ? env : ISB_FIO_PATH;
}

const char *isb_fio_unavailable(void)
{
	static char why[300];
	const char *fio = isb_fio_bin();
	if (strchr(fio, '/'))
		return access(fio, X_OK) == 0
			   ? NULL
			   : (snprintf(
				  why, sizeof(why),
				  "fio not found at %s (install fio, or configure --with-fio=PATH)",
				  fio),
			      why);
	const char *path = getenv("PATH");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dir, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", d, fio);
		if (access(p, X_OK) == 0)
			return NULL;
	}
	snprintf(why, sizeof(why),
		 "fio not found in PATH (install fio, or configure --with-fio=PATH)");
	return why;
}

int isb_fio_path(const struct isb_stressor_args *a, const char *stressor, char *buf, size_t size,
		 struct isb_err *err)
{
	if (!a->scratch || !*a->scratch)
		return isb_errf(err, 0, "%s needs a scratch directory (--scratch)", stressor);
	snprintf(buf, size, "%s/%s-%d.dat", a->scratch, stressor, (int)getpid());
	return 0;
}

int isb_fio_layout(const struct isb_stressor_args *a, const char *stressor, double size_mb,
		   struct isb_err *err)
{
	char path[1024];
	int rc;
	if (isb_fio_path(a, stressor, path, sizeof(path), err) < 0)
		return -EINVAL;
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return isb_errf(err, errno, "%s: create %s", stressor, path);
	/* Real data, not a sparse hole: reads must reach the device. */
	static char block[1 << 20];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < sizeof(block); i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(block + i, &x, 8);
	}
	size_t total = (size_t)(size_mb * 1048576.0);
	for (size_t done = 0; done < total;) {
		size_t n = total - done < sizeof(block) ? total - done : sizeof(block);
		ssize_t w = write(fd, block, n);
		if (w <= 0) {
			rc = isb_errf(err, w < 0 ? errno : ENOSPC, "%s: write %s", stressor, path);
			goto fail_unlink;
		}
		done += (size_t)w;
	}
	if (fdatasync(fd) < 0) {
		rc = isb_errf(err, errno, "%s: fdatasync %s", stressor, path);
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	unlink(path);
	return rc;
}

static double jnum(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *x = o;
	const char *keys[3] = {a, b, c};
	for (int i = 0; i < 3 && keys[i]; i++)
		if (!json_object_object_get_ex(x, keys[i], &x))
			return NAN;
	return json_object_get_double(x);
}

int isb_fio_parse(const char *json, const char *dir, struct isb_report *r, struct isb_err *err)
{
	const char *start = json ? strchr(json, '{') : NULL; /* fio may print notes first */
	if (!start)
		return isb_errf(err, EIO, "fio wrote no JSON");
	cleanup_json json_object *o = json_tokener_parse(start);
	json_object *jobs, *job, *d, *pct;
	if (!o)
		return isb_errf(err, EIO, "fio output is not valid JSON");
	if (!json_object_object_get_ex(o, "jobs", &jobs) ||
	    !json_object_is_type(jobs, json_type_array) || json_object_array_length(jobs) < 1)
		return isb_errf(err, EIO, "fio JSON has no jobs");
	job = json_object_array_get_idx(jobs, 0);
	int e = (int)jnum(job, "error", NULL, NULL);
	if (e)
		return isb_errf(err, EIO, "fio job failed with error %d (%s)", e, strerror(e));
	if (!json_object_object_get_ex(job, dir, &d))
		return isb_errf(err, EIO, "fio JSON has no \"%s\" section", dir);
	double ios = jnum(d, "total_ios", NULL, NULL);
	if (!(ios > 0))
		return isb_errf(err, EIO, "fio did no %s I/O", dir);
	isb_report_set(r, "iops", jnum(d, "iops", NULL, NULL));
	isb_report_set(r, "bytes_per_s", jnum(d, "bw_bytes", NULL, NULL));
	static const struct {
		const char *key, *name;
	} p[] = {
	    {"50.000000", "lat_p50_ns"}, {"99.000000", "lat_p99_ns"}, {"99.900000", "lat_p999_ns"}};
	if (json_object_object_get_ex(d, "clat_ns", &pct) &&
	    json_object_object_get_ex(pct, "percentile", &pct)) {
		for (size_t i = 0; i < ISB_ARRAY_SIZE(p); i++) {
			json_object *v;
			if (json_object_object_get_ex(pct, p[i].key, &v))
				isb_report_set(r, p[i].name, json_object_get_double(v));
		}
	}
	/* what it moved after its ramp, to set beside what the host saw reach the device */
	char num[32], key[32];
	snprintf(num, sizeof(num), "%.0f", jnum(d, "io_bytes", NULL, NULL));
	snprintf(key, sizeof(key), "%s_bytes", dir);
	if (jnum(d, "io_bytes", NULL, NULL) >= 0)
		isb_report_info(r, key, num);
	snprintf(num, sizeof(num), "%.0f", ios);
	snprintf(key, sizeof(key), "%s_ios", dir);
	isb_report_info(r, key, num);
	json_object *v;
	if (json_object_object_get_ex(o, "fio version", &v))
		isb_report_info(r, "fio", json_object_get_string(v));
	return 0;
}

/* Appends what a pipe has to a growing buffer; 0 at EOF. */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*len + 65536 > *cap) {
		size_t nc = *cap ? *cap * 2 : 131072;
		if (nc > (64u << 20))
			return -E2BIG;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	*len += (size_t)n;
	(*buf)[*len] = 0;
	return n > 0;
}

/* fio's command line for one job on path, and its words joined (the "fio_job" info). */
struct fio_cmd {
	char args[16][160];
	char *argv[20];
	char joined[1200];
};

static void fio_cmd_build(struct fio_cmd *c, const struct isb_stressor_args *a,
			  const char *stressor, const struct isb_fio_job *job, const char *path,
			  double runtime)
{
	int n = 0;
	bool victim = a->role == ISB_ROLE_VICTIM;
	snprintf(c->args[n++], 160, "--name=%s", stressor);
	snprintf(c->args[n++], 160, "--filename=%s", path);
	snprintf(c->args[n++], 160, "--size=%.0fM", job->size_mb);
	snprintf(c->args[n++], 160, "--rw=%s", job->rw);
	snprintf(c->args[n++], 160, "--bs=%uk", job->bs_kb);
	snprintf(c->args[n++], 160, "--iodepth=%u", job->iodepth);
	snprintf(c->args[n++], 160, "--ioengine=%s", job->engine);
	snprintf(c->args[n++], 160, "--direct=1");
	snprintf(c->args[n++], 160, "--time_based=1");
	snprintf(c->args[n++], 160, "--runtime=%.0fms", runtime * 1000);
	if (victim && a->warmup_s > 0)
		snprintf(c->args[n++], 160, "--ramp_time=%.0fms", a->warmup_s * 1000);
	snprintf(c->args[n++], 160, "--randrepeat=0");
	snprintf(c->args[n++], 160, "--percentile_list=50:99:99.9");
	snprintf(c->args[n++], 160, "--output-format=json+");
	c->argv[0] = (char *)isb_fio_bin();
	size_t o = 0;
	c->joined[0] = 0;
	for (int i = 0; i < n; i++) {
		c->argv[i + 1] = c->args[i];
		o += (size_t)snprintf(c->joined + o, sizeof(c->joined) - o, "%s%s", i ? " " : "",
				      c->args[i]);
	}
	c->argv[n + 1] = NULL;
}

/* fio started with its stdout and stderr on pipes (*out_fd, *err_fd): its pid, or -errno. */
static pid_t fio_spawn(char **argv, int *out_fd, int *err_fd, const char *stressor,
		       struct isb_err *err)
{
	int out[2], errp[2], rc;
	if (pipe2(out, O_CLOEXEC) < 0)
		return isb_errf(err, errno, "%s: pipe", stressor);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		rc = isb_errf(err, errno, "%s: pipe", stressor);
		goto fail_close_out;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		rc = isb_errf(err, errno, "%s: fork fio", stressor);
		goto fail_close_errp;
	}
	close(out[1]);
	close(errp[1]);
	*out_fd = out[0];
	*err_fd = errp[0];
	return pid;
fail_close_errp:
	close(errp[0]);
	close(errp[1]);
fail_close_out:
	close(out[0]);
	close(out[1]);
	return rc;
}

/* fio's stdout and stderr until both end: SIGINT once the tenant is told to stop (fio stops
 * and still reports), SIGKILL past the hard deadline. */
static void fio_collect(pid_t pid, int out_fd, int err_fd, const struct isb_stressor_args *a,
			uint64_t hard, char **obuf, char **ebuf)
{
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	bool oeof = false, eeof = false, signalled = false;
	while (!oeof || !eeof) {
		struct pollfd p[2] = {{.fd = oeof ? -1 : out_fd, .events = POLLIN},
				      {.fd = eeof ? -1 : err_fd, .events = POLLIN}};
		int pr = poll(p, 2, 50);
		if (pr > 0 && (p[0].revents & (POLLIN | POLLHUP)) &&
		    drain(out_fd, obuf, &olen, &ocap) <= 0)
			oeof = true;
		if (pr > 0 && (p[1].revents & (POLLIN | POLLHUP)) &&
		    drain(err_fd, ebuf, &elen, &ecap) <= 0)
			eeof = true;
		if (*a->stop && !signalled) {
			kill(pid, SIGINT);
			signalled = true;
		}
		if (isb_now_ns() > hard) {
			kill(pid, SIGKILL);
			break;
		}
	}
}

int isb_fio_run(const struct isb_stressor_args *a, const char *stressor,
		const struct isb_fio_job *job, bool write, struct isb_report *r,
		struct isb_err *err)
{
	char path[1024];
	struct fio_cmd cmd;
	if (isb_fio_path(a, stressor, path, sizeof(path), err) < 0)
		return -EINVAL;
	/* An aggressor runs until told to stop (fio's own limit is its deadline). */
	double runtime = a->role == ISB_ROLE_VICTIM ? a->duration_s : a->warmup_s + a->duration_s;
	fio_cmd_build(&cmd, a, stressor, job, path, runtime);
	cleanup_close int out_fd = -1;
	cleanup_close int err_fd = -1;
	pid_t pid = fio_spawn(cmd.argv, &out_fd, &err_fd, stressor, err);
	if (pid < 0) {
		unlink(path);
		return (int)pid;
	}
	cleanup_free char *obuf = NULL;
	cleanup_free char *ebuf = NULL;
	fio_collect(pid, out_fd, err_fd, a,
		    isb_now_ns() + (uint64_t)((runtime + a->warmup_s + 60) * 1e9), &obuf, &ebuf);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	unlink(path);
	int rc = isb_fio_parse(obuf, write ? "write" : "read", r, err);
	if (rc < 0 && ebuf && *ebuf) {
		/* fio's own words say more than "no JSON". */
		char first[300];
		snprintf(first, sizeof(first), "%s", isb_trim(ebuf));
		char *nl = strchr(first, '\n');
		if (nl)
			*nl = 0;
		size_t l = strlen(err->msg);
		snprintf(err->msg + l, sizeof(err->msg) - l, ": %s", first);
	}
	if (rc == 0)
		isb_report_info(r, "fio_job", cmd.joined);
	return rc;
}

/* What the disk aggressors share: they differ only in the pattern they write. */
const struct isb_metric isb_fio_writer_metrics[] = {
    {.name = "iops", .unit = "IO/s", .better = ISB_HIGHER, .help = "writes per second achieved"},
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .help = "write bandwidth achieved (the pressure achieved)"},
    {.name = "lat_p99_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .help = "99th percentile completion latency of its writes"},
    {0},
};

const struct isb_option isb_fio_writer_options[] = {
    {.name = "size_mb", .def = 512, .min = 1, .max = 1 << 20, .help = "size of the tenant's file"},
    {.name = "iodepth", .def = 32, .min = 1, .max = 1024, .help = "queue depth at 100 %"},
    {0},
};

int isb_fio_writer_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err,
		       const char *stressor, const char *rw, unsigned bs_kb)
{
	unsigned qd = (unsigned)(a->opt[1] * a->intensity / 100.0 + 0.5);
	const struct isb_fio_job job = {.rw = rw,
					.bs_kb = bs_kb,
					.iodepth = qd ? qd : 1,
					.engine = "libaio",
					.size_mb = a->opt[0]};
	return isb_fio_run(a, stressor, &job, true, r, err);
}
