/*
 * The attribution probes against workloads whose answer is known: each BPF
 * program loads and attaches here (as root), in both variants (tp_btf and
 * classic tracepoints); a thread that sleeps then spins N times waits on the
 * run queue about N times; a thread that shares its CPU with a spinning
 * aggressor is preempted by it; O_DIRECT writes are counted as the victim's
 * block I/O (where the test directory sits on a block device; elsewhere the test
 * is skipped, saying so); and ISOBENCH_BPF=off says why there is no attribution. PSI and
 * cgroup statistics are read and subtracted.
 */
#include "config.h"
#include "harness/harness.h"
#include "unit.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLEEPS 40

static bool root(void)
{
	return geteuid() == 0;
}

/* A child that waits for a byte on fd, runs fn, exits. */
static pid_t child(int *go, void (*fn)(void))
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		fn();
		_exit(0);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static void pin0(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void spin_ms(double ms)
{
	uint64_t end = isb_now_ns() + (uint64_t)(ms * 1e6);
	while (isb_now_ns() < end)
		;
}

static void sleeper(void)
{
	pin0();
	for (int i = 0; i < SLEEPS; i++) {
		usleep(3000);
		spin_ms(0.5);
	}
}

static void spinner(void)
{
	pin0();
	spin_ms(1500);
}

static void hog(void)
{
	pin0();
	spin_ms(4000);
}

static char dir[64];

static void writer(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/direct.dat", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_DIRECT, 0600);
	void *buf;
	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		_exit(2);
	memset(buf, 7, 4096);
	for (int i = 0; i < 64; i++)
		if (pwrite(fd, buf, 4096, (off_t)i * 4096) != 4096)
			_exit(3);
	fdatasync(fd);
	close(fd);
	_exit(0);
}

/* Why O_DIRECT writes under path need not reach a block device the kernel lists (tmpfs,
 * overlay, btrfs's anonymous devices), or NULL when they must. */
static const char *no_block_device(const char *path)
{
	static char why[300];
	struct stat st;
	char sys[64];
	if (stat(path, &st) < 0) {
		snprintf(why, sizeof(why), "stat %s: %s", path, strerror(errno));
		return why;
	}
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	if (access(sys, F_OK) < 0) {
		snprintf(why, sizeof(why), "%s is on device %u:%u, not a block device (%s absent)",
			 path, major(st.st_dev), minor(st.st_dev), sys);
		return why;
	}
	return NULL;
}

static double num(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *x = o;
	if (a && !json_object_object_get_ex(x, a, &x))
		return -1;
	if (b && !json_object_object_get_ex(x, b, &x))
		return -1;
	if (c && !json_object_object_get_ex(x, c, &x))
		return -1;
	return json_object_get_double(x);
}

/* Runs fn in a tracked victim (and hogfn in an aggressor) and returns the summary. */
static json_object *measure(struct isb_attrib *a, void (*fn)(void), void (*hogfn)(void))
{
	int vgo = -1, ago = -1;
	pid_t agg = hogfn ? child(&ago, hogfn) : 0;
	pid_t vic = child(&vgo, fn);
	assert_true(vic > 0);
	assert_int_equal(isb_attrib_begin(a, &vic, 1, hogfn ? &agg : NULL, hogfn ? 1 : 0), 0);
	uint64_t t0 = isb_now_ns();
	if (hogfn)
		assert_int_equal(write(ago, "g", 1), 1);
	assert_int_equal(write(vgo, "g", 1), 1);
	int st;
	assert_int_equal(waitpid(vic, &st, 0), vic);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	json_object *o = isb_attrib_end(a, (double)(isb_now_ns() - t0) / 1e9);
	if (hogfn) {
		kill(agg, SIGKILL);
		waitpid(agg, NULL, 0);
		close(ago);
	}
	close(vgo);
	assert_non_null(o);
	return o;
}

/* O_DIRECT writes are the victim's block requests. Returns why they need not be seen (the
 * test directory is on no block device), or NULL: they were. */
static const char *check_bio(struct isb_attrib *a, const char *name)
{
	const char *nodev = no_block_device(dir);
	json_object *o = measure(a, writer, NULL);
	double bios = num(o, "bio", "victim", "count");
	print_message("# %s: 64 O_DIRECT writes -> %.0f victim requests, mean %.0f us\n", name,
		      bios, num(o, "bio", "victim", "mean_ns") / 1e3);
	if (bios == 0 && nodev) {
		json_object_put(o);
		return nodev;
	}
	assert_true(bios >= 32 && bios <= 256);
	/* by direction: the 64 x 4 KiB written reached the block layer as writes */
	double wb = num(o, "bio", "victim", "write_bytes"),
	       rb = num(o, "bio", "victim", "read_bytes");
	print_message("# %s: %.0f bytes written, %.0f read at the block layer\n", name, wb, rb);
	assert_true(wb >= 64 * 4096);
	assert_true(num(o, "bio", "victim", "write_count") >= 1);
	assert_true(rb >= 0 && rb < wb);
	json_object_put(o);
	return NULL;
}

static void variant(const char *name)
{
	struct isb_err err = {0};
	if (!root())
		skip();
	setenv("ISOBENCH_BPF", name, 1);
	struct isb_attrib *a = isb_attrib_open(&err);
	unsetenv("ISOBENCH_BPF");
	if (!a)
		fail_msg("%s: %s", name, err.msg);
	assert_string_equal(isb_attrib_variant(a), name);

	/* sleeps then spins: every wakeup is one wait on the run queue */
	json_object *o = measure(a, sleeper, NULL);
	double n = num(o, "runq", "count", NULL);
	print_message("# %s: %d sleeps -> %.0f run-queue waits, %.3f ms/s waited\n", name, SLEEPS,
		      n, num(o, "runq", "wait_ms_per_s", NULL));
	assert_true(n >= SLEEPS && n <= 4 * SLEEPS);
	json_object_put(o);

	/* a CPU shared with a spinning aggressor: it takes the CPU when the victim loses it */
	o = measure(a, spinner, hog);
	double share = num(o, "runq", "aggressor_share", NULL);
	double wait = num(o, "runq", "wait_ms_per_s", NULL);
	print_message("# %s: shared CPU -> aggressor share %.2f, waited %.0f ms/s\n", name, share,
		      wait);
	assert_true(share >= 0.5);
	assert_true(wait >= 200 && wait <= 900); /* a fair share waits about half the time */
	json_object_put(o);

	const char *nobio = check_bio(a, name);
	isb_attrib_close(a);
	if (nobio) {
		print_message("# %s: no block request seen: %s\n", name, nobio);
		skip();
	}
}

static void test_tp_btf(void **state)
{
	(void)state;
	variant("tp_btf");
}

static void test_tracepoint(void **state)
{
	(void)state;
	variant("tracepoint");
}

static void test_off(void **state)
{
	(void)state;
	struct isb_err err = {0};
	setenv("ISOBENCH_BPF", "off", 1);
	struct isb_attrib *a = isb_attrib_open(&err);
	unsetenv("ISOBENCH_BPF");
	assert_null(a);
	assert_non_null(strstr(err.msg, "ISOBENCH_BPF=off"));
}

static void test_psi_and_cgroup(void **state)
{
	(void)state;
	struct isb_psi a, b;
	isb_psi_read(&a);
	spin_ms(50);
	isb_psi_read(&b);
	json_object *d = isb_psi_delta(&a, &b, 0.05);
	if (access("/proc/pressure/cpu", R_OK) == 0) {
		assert_non_null(d);
		assert_true(num(d, "cpu", "some_ms_per_s", NULL) >= 0);
	}
	json_object_put(d);
	/* a fake cgroup directory: v2 counters and pressure, subtracted */
	char cg[96];
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	mkdir(cg, 0700);
	char path[160];
	snprintf(path, sizeof(path), "%s/cpu.stat", cg);
	FILE *f = fopen(path, "w");
	fputs("usage_usec 100\nnr_throttled 2\nthrottled_usec 500\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/io.stat", cg);
	f = fopen(path, "w");
	fputs("8:0 rbytes=100 wbytes=10 rios=1 wios=1\n8:16 rbytes=50 wbytes=0 rios=1 wios=0\n", f);
	fclose(f);
	struct isb_tenant t = {.ncgroups = 1};
	snprintf(t.cgroups[0], sizeof(t.cgroups[0]), "%s", cg);
	json_object *x = isb_cgstat_read(&t);
	assert_true(num(x, "cpu.stat.throttled_usec", NULL, NULL) == 500);
	assert_true(num(x, "io.stat.rbytes", NULL, NULL) == 150);
	snprintf(path, sizeof(path), "%s/cpu.stat", cg);
	f = fopen(path, "w");
	fputs("usage_usec 400\nnr_throttled 5\nthrottled_usec 2500\n", f);
	fclose(f);
	json_object *y = isb_cgstat_read(&t), *dd = isb_cgstat_delta(x, y);
	assert_true(num(dd, "cpu.stat.throttled_usec", NULL, NULL) == 2000);
	assert_true(num(dd, "cpu.stat.nr_throttled", NULL, NULL) == 3);
	assert_true(num(dd, "io.stat.rbytes", NULL, NULL) == 0);
	json_object_put(x);
	json_object_put(y);
	json_object_put(dd);
	t.ncgroups = 0; /* no cgroup of its own */
	assert_null(isb_cgstat_read(&t));
}

int main(void)
{
	/* a directory on a real disk for O_DIRECT (not a tmpfs) */
	snprintf(dir, sizeof(dir), "%s", "attrib-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_off),
	    cmocka_unit_test(test_psi_and_cgroup),
	    cmocka_unit_test(test_tp_btf),
	    cmocka_unit_test(test_tracepoint),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		r = r ? r : 1;
	return r;
}
