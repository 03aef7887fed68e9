/*
 * sys.io: the price of small I/O system calls. A unit is N rounds of a
 * 64-byte write and read through a pipe and a 512-byte pwrite and pread on
 * a file of its own (in the scratch directory, else /tmp, unlinked at
 * once), and `opens` times an open and close of a second file there (kept
 * until the end): 4 + 2 x opens calls a round. Calls per second and ns per
 * call, as sys.getpid, with the file system and pipe code paths a sandbox
 * may intercept or reimplement; the opens walk a path, which is where an
 * LSM policy (Landlock, BPF-LSM file_open) decides, so its cost shows here.
 */
#include "config.h"
#include "stressors/window.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const struct isb_option io_options[] = {
    {.name = "rounds", .def = 50, .min = 1, .max = 1e6, .help = "rounds of calls in one unit"},
    {.name = "opens",
     .def = 1,
     .min = 0,
     .max = 16,
     .help = "opens (and closes) of a file per round, beside the 4 I/O calls; 0: none"},
    {0},
};

static int io_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t n = (uint64_t)a->opt[0];
	unsigned opens = (unsigned)a->opt[1];
	char path[1100], opath[1100], buf[512] = {0};
	int p[2];
	const char *dir = a->scratch && *a->scratch ? a->scratch : "/tmp";
	snprintf(path, sizeof(path), "%s/sys.io-XXXXXX", dir);
	cleanup_close int fd = mkstemp(path);
	if (fd < 0)
		return isb_errf(err, errno, "sys.io: create a file in %s", path);
	unlink(path);
	snprintf(opath, sizeof(opath), "%s/sys.io-open-XXXXXX", dir);
	int ofd = opens ? mkstemp(opath) : -1;
	if (opens && ofd < 0)
		return isb_errf(err, errno, "sys.io: create a file in %s", opath);
	if (ofd >= 0)
		close(ofd);
	if (pipe(p) < 0)
		return isb_errf(err, errno, "sys.io: pipe");
	cleanup_close int p_read = p[0];
	cleanup_close int p_write = p[1];
	int rc = 0;
	struct isb_window w;
	isb_window_begin(&w, a, (4.0 + 2.0 * opens) * (double)n);
	while (isb_window_running(&w) && !rc) {
		uint64_t s = isb_now_ns();
		for (uint64_t i = 0; i < n && !rc; i++) {
			if (write(p[1], buf, 64) != 64 || read(p[0], buf, 64) != 64 ||
			    pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
			    pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
				rc = isb_errf(err, errno, "sys.io: a call failed");
				break;
			}
			for (unsigned k = 0; k < opens; k++) {
				int o = open(opath, O_RDONLY | O_CLOEXEC);
				if (o < 0) {
					rc = isb_errf(err, errno, "sys.io: open %s", opath);
					break;
				}
				close(o);
			}
		}
		if (!rc && isb_window_unit(&w, r, s, isb_now_ns()) < 0)
			rc = isb_errf(err, ENOMEM, "sys.io: latency buffer");
	}
	if (opens)
		unlink(opath);
	if (rc) {
		isb_lat_free(&w.lat);
		return rc;
	}
	return isb_sys_window_end(&w, r, err, "sys.io");
}

const struct isb_stressor isb_stressor_sys_io = {
    .name = "sys.io",
    .resource = ISB_RES_SYSCALL,
    .roles = ISB_ROLE_VICTIM,
    .help = "small pipe write/read, file pwrite/pread and opens: calls/s and ns per call",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = isb_sys_metrics,
    .options = io_options,
    .run = io_run,
};
