/*
 * sys.io: the price of small I/O system calls. A unit is N rounds of a
 * 64-byte write and read through a pipe and a 512-byte pwrite and pread on
 * a file of its own (in the scratch directory, else /tmp, unlinked at
 * once): four calls a round. Calls per second and ns per call, as
 * sys.getpid, with the file system and pipe code paths a sandbox may
 * intercept or reimplement.
 */
#include "config.h"
#include "stressors/window.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const struct isb_option io_options[] = {
    {.name = "rounds", .def = 50, .min = 1, .max = 1e6, .help = "rounds of 4 calls in one unit"},
    {0},
};

static int io_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	uint64_t n = (uint64_t)a->opt[0];
	char path[1100], buf[512] = {0};
	int p[2];
	snprintf(path, sizeof(path), "%s/sys.io-XXXXXX",
		 a->scratch && *a->scratch ? a->scratch : "/tmp");
	cleanup_close int fd = mkstemp(path);
	if (fd < 0)
		return isb_errf(err, errno, "sys.io: create a file in %s", path);
	unlink(path);
	if (pipe(p) < 0)
		return isb_errf(err, errno, "sys.io: pipe");
	cleanup_close int p_read = p[0];
	cleanup_close int p_write = p[1];
	int rc = 0;
	struct isb_window w;
	isb_window_begin(&w, a, 4.0 * (double)n);
	while (isb_window_running(&w) && !rc) {
		uint64_t s = isb_now_ns();
		for (uint64_t i = 0; i < n; i++) {
			if (write(p[1], buf, 64) != 64 || read(p[0], buf, 64) != 64 ||
			    pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
			    pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
				rc = isb_errf(err, errno, "sys.io: a call failed");
				break;
			}
		}
		if (!rc && isb_window_unit(&w, r, s, isb_now_ns()) < 0)
			rc = isb_errf(err, ENOMEM, "sys.io: latency buffer");
	}
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
    .help = "small pipe write/read and file pwrite/pread: calls/s and ns per call",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = isb_sys_metrics,
    .options = io_options,
    .run = io_run,
};
