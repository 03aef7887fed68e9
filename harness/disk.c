/*
 * The campaign's own disk. With `disk_device = loop` a campaign that has a
 * disk scenario makes a sparse file in its scratch directory, attaches it as
 * a loop device with direct I/O (so the tenants' O_DIRECT I/O reaches the
 * host's disk and is not absorbed by the host's page cache), selects a
 * scheduler on *that* device when asked (bfq, whose group weights are what
 * io.weight means; a host disk's scheduler is never touched), makes an ext4
 * file system on it and mounts it under the scratch directory. The disk
 * stressors' files then live there, and io limits name that device.
 *
 * Safety: the image, the loop device and the mount point are written to the
 * campaign's state directory before each is made; the loop device is set to
 * clear itself on last close (LO_FLAGS_AUTOCLEAR), so once its file system
 * is unmounted it goes. A campaign removes all of it at its end (also after
 * SIGINT/SIGTERM); the next start removes what a killed campaign left, from
 * its state directory, or, without one, from the loop devices whose backing
 * file is named after a campaign whose harness is gone.
 *
 * Calibration: ~1 s of 4 KiB random reads at queue depth 1 and ~1 s of 1 MiB
 * sequential writes at queue depth 32, direct I/O, on the device the tenants'
 * files are on; the `capped` and `partitioned` cgroup policies derive their
 * io throttles from these figures (backends/ctconf.c).
 */
#include "config.h"
#include "harness/harness.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define IMAGE_PREFIX "isobench-disk-"
/* the scheduler the loop device had, on the image too: found without the state directory */
#define SCHED_XATTR "user.isobench.scheduler"

static bool fault(const char *name)
{
	const char *f = getenv("ISOBENCH_FAULT");
	return f && !strcmp(f, name);
}

/* The backing file of /dev/loopN ("" if none), without the " (deleted)" the kernel adds. */
static void loop_backing(const char *dev, char *buf, size_t size)
{
	char path[128];
	const char *base = strrchr(dev, '/');
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", base ? base + 1 : dev);
	buf[0] = 0;
	if (isb_read_file(path, buf, size) <= 0) {
		buf[0] = 0;
		return;
	}
	isb_trim(buf);
	size_t n = strlen(buf);
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
		buf[n - 10] = 0;
}

/* Detaches dev if (and only if) its backing file is image: a loop device another
 * program took since is never touched. 1 if it detached it. */
static int loop_detach(const char *dev, const char *image)
{
	char back[1200];
	loop_backing(dev, back, sizeof(back));
	if (!back[0] || strcmp(back, image))
		return 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int r = ioctl(fd, LOOP_CLR_FD, 0) == 0;
	close(fd);
	return r;
}

/* The mount point of the first mount (in our mount namespace) whose mount point is dir, or
 * (dir NULL) whose device is majmin ("7:1"), into mp; whether there is one. Read line by
 * line: a host's mount table can be longer than any fixed buffer. */
static bool find_mount(const char *dir, const char *majmin, char *mp, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, dev[32], point[1200];
	size_t cap = 0;
	bool found = false;
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0)
		if (sscanf(line, "%*s %*s %31s %*s %1199s", dev, point) == 2 &&
		    (dir ? !strcmp(point, dir) : !strcmp(dev, majmin))) {
			snprintf(mp, size, "%s", point);
			found = true;
		}
	free(line);
	fclose(f);
	return found;
}

/* Is dir a mount point now (in our mount namespace)? */
static bool mounted_at(const char *dir)
{
	char mp[1200];
	return find_mount(dir, NULL, mp, sizeof(mp));
}

static int unmount(const char *dir)
{
	if (!dir[0] || !mounted_at(dir))
		return 0;
	/* a tenant's file still open (a killed tenant not yet reaped): detach it, the loop
	 * device clears itself when the last user goes */
	for (int i = 0; i < 100; i++) { /* a tenant's fio still exiting: 2 s at most */
		if (umount2(dir, 0) == 0)
			return 1;
		if (errno != EBUSY)
			break;
		isb_sleep_ns(20000000);
	}
	return umount2(dir, MNT_DETACH) == 0;
}

static const char *mkfs_path(void)
{
	static const char *const c[] = {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"};
	for (size_t i = 0; i < ISB_ARRAY_SIZE(c); i++)
		if (access(c[i], X_OK) == 0)
			return c[i];
	return "mkfs.ext4";
}

/* The scheduler in brackets of /sys/block/NAME/queue/scheduler into buf ("" if none). */
static void sched_of(const char *dev, char *buf, size_t size)
{
	char path[128], cur[256];
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", strrchr(dev, '/') + 1);
	buf[0] = 0;
	if (isb_read_file(path, cur, sizeof(cur)) > 0) {
		char *o = strchr(cur, '['), *c = o ? strchr(o, ']') : NULL;
		if (o && c)
			snprintf(buf, size, "%.*s", (int)(c - o - 1), o + 1);
	}
}

/* A loop device outlives its attachment: the scheduler it had goes back once it is free
 * (never while another program has attached it since). */
static void sched_restore(const char *dev, const char *orig)
{
	char back[1200], path[128], cur[32];
	if (!dev[0] || !orig[0])
		return;
	/* autoclear may still be running down the device: wait for it (2 s at most) */
	for (int i = 0; i < 100; i++) {
		loop_backing(dev, back, sizeof(back));
		if (!back[0])
			break;
		isb_sleep_ns(20000000);
	}
	sched_of(dev, cur, sizeof(cur));
	if (back[0] || !strcmp(cur, orig))
		return;
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", strrchr(dev, '/') + 1);
	isb_write_file(path, orig);
}

/* Sets the scheduler of the campaign's own loop device; what it runs goes to d->scheduler. */
static void set_scheduler(struct isb_disk *d, const char *want, const char *state_dir)
{
	char path[128], cur[256];
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", strrchr(d->dev, '/') + 1);
	sched_of(d->dev, d->sched_orig, sizeof(d->sched_orig));
	if (strcmp(want, "keep") && strcmp(want, d->sched_orig)) {
		/* noted first: a killed campaign's successor puts it back */
		isb_state_note(state_dir, "disk_sched", d->sched_orig);
		setxattr(d->image, SCHED_XATTR, d->sched_orig, strlen(d->sched_orig), 0);
		bool have = isb_read_file(path, cur, sizeof(cur)) > 0 && strstr(cur, want);
		/* ISOBENCH_FAULT=no-bfq: a kernel without bfq, for the tests of that path */
		if (!strcmp(want, "bfq") && fault("no-bfq"))
			have = false;
		if (!have)
			snprintf(d->sched_note, sizeof(d->sched_note),
				 "disk_scheduler = %s: unavailable: the kernel has no %s", want,
				 want);
		else if (isb_write_file(path, want) < 0)
			snprintf(d->sched_note, sizeof(d->sched_note),
				 "disk_scheduler = %s: unavailable: write %s: %s", want, path,
				 strerror(errno));
	}
	sched_of(d->dev, d->scheduler, sizeof(d->scheduler));
}

/* Attaches image to a free loop device with direct I/O and autoclear; the device is noted
 * in the state directory before it is attached. Returns the open loop fd. */
static int loop_attach(struct isb_disk *d, const char *state_dir, struct isb_err *err)
{
	int img = open(d->image, O_RDWR | O_CLOEXEC);
	if (img < 0)
		return isb_errf(err, errno, "open %s", d->image);
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		int e = errno;
		close(img);
		return isb_errf(err, e, "open /dev/loop-control");
	}
	int fd = -1, e = 0;
	/* another program may take the free device between GET_FREE and CONFIGURE: retry */
	for (int attempt = 0; attempt < 20 && fd < 0; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			e = isb_errf(err, errno, "LOOP_CTL_GET_FREE");
			break;
		}
		snprintf(d->dev, sizeof(d->dev), "/dev/loop%d", n);
		if (isb_state_note(state_dir, "disk_loop", d->dev) < 0) {
			e = isb_errf(err, EIO, "note %s in %s", d->dev, state_dir);
			break;
		}
		int lfd = open(d->dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			continue;
		struct loop_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)img;
		cfg.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR;
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s",
			 strrchr(d->image, '/') + 1);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			fd = lfd;
			break;
		}
		int ce = errno;
		close(lfd);
		if (ce != EBUSY) {
			e = isb_errf(err, ce, "LOOP_CONFIGURE %s", d->dev);
			break;
		}
	}
	close(ctl);
	close(img);
	if (fd < 0)
		return e ? e : isb_errf(err, EBUSY, "no free loop device");
	return fd;
}

int isb_disk_create(const struct isb_suite *s, const char *id, const char *state_dir,
		    const char *scratch, struct isb_disk *d, struct isb_err *err)
{
	char errbuf[400], val[32], path[128];
	struct stat st;
	memset(d, 0, sizeof(*d));
	snprintf(d->image, sizeof(d->image), "%s/" IMAGE_PREFIX "%s.img", scratch, id);
	snprintf(d->mnt, sizeof(d->mnt), "%s/disk", scratch);
	if (isb_state_note(state_dir, "disk_image", d->image) < 0 ||
	    isb_state_note(state_dir, "disk_mnt", d->mnt) < 0)
		return isb_errf(err, EIO, "note the disk in %s", state_dir);
	int fd = open(d->image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return isb_errf(err, errno, "create %s", d->image);
	if (ftruncate(fd, (off_t)s->disk_size) < 0) { /* sparse: no space until written */
		int e = errno;
		close(fd);
		unlink(d->image);
		return isb_errf(err, e, "truncate %s to %llu bytes", d->image,
				(unsigned long long)s->disk_size);
	}
	close(fd);
	int lfd = loop_attach(d, state_dir, err);
	if (lfd < 0) {
		unlink(d->image);
		return lfd;
	}
	/* from here the loop fd keeps the device; closing it (autoclear) without a mount
	 * detaches it */
	const char *base = strrchr(d->dev, '/') + 1;
	snprintf(path, sizeof(path), "/sys/block/%s/loop/dio", base);
	d->dio = isb_read_file(path, val, sizeof(val)) > 0 && isb_trim(val)[0] == '1';
	set_scheduler(d, s->disk_scheduler, state_dir);
	char *mkfs[] = {(char *)mkfs_path(), "-q", "-F", "-m", "0",
			/* no journal's periodic commits during a trial; nothing to zero in the
			 * background (lazy init, and noinit_itable when mounted) */
			"-O", "^has_journal", "-E", "lazy_itable_init=1,nodiscard", d->dev, NULL};
	int r = isb_run_cmd(mkfs, errbuf, sizeof(errbuf));
	if (r != 0) {
		isb_errf(err, 0, "mkfs.ext4 %s: %s", d->dev,
			 r == 127    ? "mkfs.ext4 not found (install e2fsprogs)"
			 : errbuf[0] ? errbuf
				     : "failed");
		goto fail;
	}
	if (mkdir(d->mnt, 0700) < 0 && errno != EEXIST) {
		isb_errf(err, errno, "mkdir %s", d->mnt);
		goto fail;
	}
	if (mount(d->dev, d->mnt, "ext4", MS_NOATIME | MS_NODEV | MS_NOSUID, "noinit_itable") < 0) {
		isb_errf(err, errno, "mount %s on %s", d->dev, d->mnt);
		goto fail;
	}
	/* the same access as the scratch directory it replaces for the tenants */
	if (stat(scratch, &st) == 0)
		chmod(d->mnt, st.st_mode & 07777);
	if (fstat(lfd, &st) == 0) {
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
	}
	close(lfd);
	d->up = true;
	return 0;
fail:
	close(lfd); /* autoclear: detached now that no one holds it */
	loop_detach(d->dev, d->image);
	sched_restore(d->dev, d->sched_orig);
	rmdir(d->mnt);
	unlink(d->image);
	return -EIO;
}

void isb_disk_remove(struct isb_disk *d)
{
	if (!d->up)
		return;
	unmount(d->mnt);
	loop_detach(d->dev, d->image); /* autoclear did it, unless the mount was busy */
	sched_restore(d->dev, d->sched_orig);
	rmdir(d->mnt);
	unlink(d->image);
	d->up = false;
}

int isb_disk_cleanup_state(const char *state_dir, bool verbose)
{
	char path[800], image[1200] = "", dev[64] = "", mnt[1200] = "";
	int removed = 0;
	snprintf(path, sizeof(path), "%s/disk_image", state_dir);
	if (isb_read_file(path, image, sizeof(image)) <= 0)
		return 0; /* the campaign made no disk */
	isb_trim(image);
	snprintf(path, sizeof(path), "%s/disk_mnt", state_dir);
	if (isb_read_file(path, mnt, sizeof(mnt)) > 0)
		isb_trim(mnt);
	snprintf(path, sizeof(path), "%s/disk_loop", state_dir);
	if (isb_read_file(path, dev, sizeof(dev)) > 0)
		isb_trim(dev);
	removed += unmount(mnt);
	if (dev[0])
		removed += loop_detach(dev, image);
	char orig[32] = "";
	snprintf(path, sizeof(path), "%s/disk_sched", state_dir);
	if (dev[0] && isb_read_file(path, orig, sizeof(orig)) > 0)
		sched_restore(dev, isb_trim(orig));
	if (mnt[0])
		rmdir(mnt);
	if (unlink(image) == 0)
		removed++;
	if (removed && verbose)
		isb_log("cleanup", "removed the disk %s (%s on %s)", image, dev[0] ? dev : "?",
			mnt[0] ? mnt : "?");
	return removed;
}

/* Loop devices whose backing file is a campaign's image: the campaign ids. */
int isb_disk_list(char ids[][40], size_t max)
{
	int n = 0;
	for (int i = 0; i < 1024 && (size_t)n < max; i++) {
		char dev[32], back[1200];
		snprintf(dev, sizeof(dev), "/dev/loop%d", i);
		loop_backing(dev, back, sizeof(back));
		const char *b = strrchr(back, '/');
		size_t pl = strlen(IMAGE_PREFIX);
		if (!b || strncmp(b + 1, IMAGE_PREFIX, pl))
			continue;
		const char *idp = b + 1 + pl, *dot = strstr(idp, ".img");
		if (!dot || dot - idp >= 40)
			continue;
		snprintf(ids[n++], 40, "%.*s", (int)(dot - idp), idp);
	}
	return n;
}

/* The loop devices (and their mounts) of campaign id, found without its state directory. */
int isb_disk_remove_id(const char *id)
{
	int removed = 0;
	char want[80];
	snprintf(want, sizeof(want), "/" IMAGE_PREFIX "%s.img", id);
	for (int i = 0; i < 1024; i++) {
		char dev[32], back[1200], mm[32], mp[1200];
		snprintf(dev, sizeof(dev), "/dev/loop%d", i);
		loop_backing(dev, back, sizeof(back));
		size_t bl = strlen(back), wl = strlen(want);
		if (bl < wl || strcmp(back + bl - wl, want))
			continue;
		struct stat st;
		if (stat(dev, &st) < 0)
			continue;
		snprintf(mm, sizeof(mm), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
		/* its mounts: mountinfo's third field is the device's major:minor */
		for (int k = 0; k < 16 && find_mount(NULL, mm, mp, sizeof(mp)); k++)
			removed += unmount(mp);
		char orig[32] = "";
		ssize_t n = getxattr(back, SCHED_XATTR, orig, sizeof(orig) - 1);
		orig[n > 0 ? n : 0] = 0;
		removed += loop_detach(dev, back);
		sched_restore(dev, orig);
		unlink(back);
	}
	return removed;
}

/* One short fio job on dir; the figure at jobs[0].<dir>.<key>, or 0 and err. */
static double fio_figure(const char *file, const char *rw, const char *bs, const char *qd,
			 const char *engine, const char *dirn, const char *key, struct isb_err *err)
{
	char fn[1200], out[65536];
	snprintf(fn, sizeof(fn), "--filename=%s", file);
	char *argv[] = {(char *)isb_fio_bin(),
			"--name=calibrate",
			fn,
			"--size=128M",
			(char *)rw,
			(char *)bs,
			(char *)qd,
			(char *)engine,
			"--direct=1",
			"--time_based",
			"--ramp_time=300ms",
			"--runtime=1",
			"--output-format=json",
			NULL};
	int r = isb_run_output(argv, out, sizeof(out));
	const char *start = strchr(out, '{');
	json_object *o = r == 0 && start ? json_tokener_parse(start) : NULL, *j, *x;
	double v = 0;
	if (o && json_object_object_get_ex(o, "jobs", &j) &&
	    json_object_is_type(j, json_type_array) && json_object_array_length(j) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(j, 0), dirn, &x) &&
	    json_object_object_get_ex(x, key, &x))
		v = json_object_get_double(x);
	json_object_put(o);
	if (!(v > 0))
		isb_errf(err, 0, "fio %s %s on %s: %s", rw + 5, bs + 5, file,
			 r == 127 ? "fio not found"
			 : r	  ? "failed"
				  : "no figure in its output");
	return v > 0 ? v : 0;
}

int isb_disk_calibrate(const char *dir, struct isb_disk *d, struct isb_err *err)
{
	char file[1200];
	struct isb_err why = {0};
	if (isb_fio_unavailable())
		return isb_errf(err, 0, "%s", isb_fio_unavailable());
	uint64_t t0 = isb_now_ns();
	/* the file laid out and on the device before the reads: fio's own layout would leave
	 * dirty pages whose writeback the reads then queue behind (a several times too low
	 * figure was seen here that way) */
	struct isb_stressor_args a = {.scratch = dir};
	if (isb_fio_layout(&a, "isobench-calibrate", 128, err) < 0)
		return -EIO;
	if (isb_fio_path(&a, "isobench-calibrate", file, sizeof(file), err) < 0)
		return -EIO;
	/* what the disk victim does (its IOPS), and what the writer aggressors do (bytes/s);
	 * the writes go to the file the reads laid out, so it holds real data */
	d->read_iops = fio_figure(file, "--rw=randread", "--bs=4k", "--iodepth=1",
				  "--ioengine=psync", "read", "iops", &why);
	if (d->read_iops > 0)
		d->write_bps = fio_figure(file, "--rw=write", "--bs=1M", "--iodepth=32",
					  "--ioengine=libaio", "write", "bw_bytes", &why);
	unlink(file);
	d->calib_s = (double)(isb_now_ns() - t0) / 1e9;
	if (!(d->read_iops > 0 && d->write_bps > 0)) {
		d->read_iops = d->write_bps = 0;
		return isb_errf(err, 0, "%s", why.msg);
	}
	return 0;
}

json_object *isb_disk_json(const struct isb_suite *s, const struct isb_disk *d)
{
	json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "device", json_object_new_string(s->disk_device == ISB_DISK_LOOP ? "loop" : "host"));
	if (d->up) {
		json_object_object_add(o, "loop", json_object_new_string(d->dev));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)s->disk_size));
		json_object_object_add(o, "direct_io", json_object_new_boolean(d->dio));
		json_object_object_add(o, "scheduler", json_object_new_string(d->scheduler));
	}
	if (d->sched_note[0])
		json_object_object_add(o, "scheduler_note", json_object_new_string(d->sched_note));
	if (d->read_iops > 0) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "read_iops_qd1", json_object_new_double(d->read_iops));
		json_object_object_add(c, "write_bytes_per_s_seq",
				       json_object_new_double(d->write_bps));
		json_object_object_add(c, "seconds", json_object_new_double(d->calib_s));
		json_object_object_add(o, "calibration", c);
	} else if (d->calib_note[0]) {
		json_object_object_add(o, "calibration_unavailable",
				       json_object_new_string(d->calib_note));
	}
	return o;
}
