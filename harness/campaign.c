/*
 * One campaign per host, resume and shards (harness/campaign.h). Every campaign holds an
 * exclusive flock on <state root>/.locks/<its id> from before it creates anything until it
 * has removed everything: cleanup and a new start read a held lock as "alive", whatever
 * its state directory holds yet (an empty owner file of a campaign still starting). The
 * campaign that owns the host also holds <state root>/.lock, which names its pid and id; a
 * second campaign refuses, or with --allow-concurrent runs and marks its trials. Both files
 * are unlinked by their holder before it lets go, so a finished campaign leaves nothing.
 */
#include "config.h"
#include "harness/campaign.h"
#include "common/json.h"
#include "results/resume.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int lock_path(char *buf, size_t size, const char *id)
{
	const char *root = isb_state_root();
	if (id)
		return snprintf(buf, size, "%s/.locks/%s", root, id);
	return snprintf(buf, size, "%s/.lock", root);
}

/* Whether fd is still the file at path: a holder unlinks its lock file before it lets go,
 * so a lock taken on an unlinked file is no lock at all. */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Opens path (creating it and its directory) and takes an exclusive flock on it without
 * waiting: fd >= 0 (the lock held), -EWOULDBLOCK with *fd_held the open file another holds,
 * or -errno. */
static int lock_file(const char *path, int *fd_held)
{
	char dir[700];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	*fd_held = -1;
	for (int tries = 0; tries < 20; tries++) {
		if (isb_mkdir_p(dir) < 0)
			return -errno;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* its directory went with the last campaign: again */
			return -errno;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			if (e == EWOULDBLOCK && same_file(fd, path)) {
				*fd_held = fd;
				return -EWOULDBLOCK;
			}
			close(fd);
			if (e != EWOULDBLOCK)
				return -e;
		} else if (same_file(fd, path)) {
			return fd;
		} else {
			close(fd);
		}
		usleep(20000); /* a holder letting go: its file is gone, a new one comes */
	}
	return -EAGAIN;
}

/* The host's lock, or with allow_concurrent who holds it in l->concurrent. 0, -EBUSY
 * (err names the holder), or -errno. */
static int host_lock(struct isb_campaign_lock *l, const char *line, bool allow_concurrent,
		     struct isb_err *err)
{
	char path[700];
	int held = -1, hpid = 0;
	char hid[64] = "?";
	size_t n = strlen(line);
	lock_path(path, sizeof(path), NULL);
	for (int tries = 0; tries < 25; tries++) {
		int fd = lock_file(path, &held);
		if (fd >= 0) {
			if (pwrite(fd, line, n, 0) != (ssize_t)n)
				isb_log("harness", "write %s: %s", path, strerror(errno));
			l->host_fd = fd;
			return 0;
		}
		if (fd != -EWOULDBLOCK)
			return isb_errf(err, -fd, "lock %s", path), fd;
		/* the holder writes its "pid id" line right after it takes the lock */
		char buf[200];
		ssize_t r = pread(held, buf, sizeof(buf) - 1, 0);
		close(held);
		buf[r > 0 ? r : 0] = 0;
		if (sscanf(buf, "%d %63s", &hpid, hid) == 2)
			break;
		usleep(20000);
	}
	if (allow_concurrent) {
		snprintf(l->concurrent, sizeof(l->concurrent), "campaign %s (pid %d)", hid, hpid);
		return 0;
	}
	return isb_errf(err, 0,
			"another campaign holds this host: pid %d, campaign %s (lock %s); wait "
			"for it, or --allow-concurrent (its trials are then marked contaminated)",
			hpid, hid, path),
	       -EBUSY;
}

/* The host's lock first, so a campaign refused never shows as alive beside the holder;
 * then its own, before it creates anything. */
int isb_campaign_lock(struct isb_campaign_lock *l, const char *id, bool allow_concurrent,
		      struct isb_err *err)
{
	char path[700], line[200];
	int held = -1;
	memset(l, 0, sizeof(*l));
	l->self_fd = l->host_fd = -1;
	snprintf(l->id, sizeof(l->id), "%s", id);
	int n = snprintf(line, sizeof(line), "%d %s\n", (int)getpid(), id);
	int r = host_lock(l, line, allow_concurrent, err);
	if (r < 0)
		return r;
	lock_path(path, sizeof(path), id);
	l->self_fd = lock_file(path, &held);
	if (l->self_fd < 0) {
		int e = -l->self_fd;
		if (held >= 0)
			close(held);
		l->self_fd = -1;
		isb_campaign_unlock(l);
		return isb_errf(err, e, "lock %s", path);
	}
	if (write(l->self_fd, line, (size_t)n) != n)
		isb_log("harness", "write %s: %s", path, strerror(errno));
	return 0;
}

void isb_campaign_unlock(struct isb_campaign_lock *l)
{
	char path[700];
	/* unlinked while held: whoever opened it before takes a lock on a file that is gone,
	 * sees so (same_file) and tries again */
	if (l->host_fd >= 0) {
		lock_path(path, sizeof(path), NULL);
		unlink(path);
		close(l->host_fd);
	}
	if (l->self_fd >= 0) {
		lock_path(path, sizeof(path), l->id);
		unlink(path);
		close(l->self_fd);
		*strrchr(path, '/') = 0;
		rmdir(path); /* when it was the last campaign's: the state root is left empty */
	}
	l->host_fd = l->self_fd = -1;
}

/* 1 held by someone, 0 free, -1 no such file. */
static int lock_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* drops the shared lock taken when it was free */
	return held;
}

int isb_campaign_alive(const char *id)
{
	char path[700];
	lock_path(path, sizeof(path), id);
	return lock_held(path);
}

int isb_campaign_sweep_locks(bool verbose)
{
	char dir[600];
	int removed = 0;
	snprintf(dir, sizeof(dir), "%s/.locks", isb_state_root());
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[1000], sdir[1000];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sdir, sizeof(sdir), "%s/%s", isb_state_root(), e->d_name);
		/* a campaign between its lock and its state directory holds the lock; one that
		 * has only created the file is about to (a file unlinked under it is seen by
		 * lock_file's same_file check, which tries again) */
		if (lock_held(path) != 0)
			continue;
		if (access(sdir, F_OK) == 0)
			continue; /* cleanup_one removes it with the state directory */
		unlink(path);
		removed++;
		if (verbose)
			isb_log("cleanup", "removed the lock file of dead campaign %s", e->d_name);
	}
	if (d)
		closedir(d);
	rmdir(dir); /* where no campaign is left */
	/* the host's lock, where its holder was killed: free, so taken, unlinked, let go */
	char path[700];
	int held = -1, fd;
	lock_path(path, sizeof(path), NULL);
	if (access(path, F_OK) == 0 && (fd = lock_file(path, &held)) >= 0) {
		unlink(path);
		close(fd);
	}
	if (held >= 0)
		close(held);
	return removed;
}

int isb_campaign_other_live(const char *self_id, char *who, size_t size)
{
	char dir[600];
	int found = 0;
	snprintf(dir, sizeof(dir), "%s/.locks", isb_state_root());
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		char path[1000];
		if (e->d_name[0] == '.' || !strcmp(e->d_name, self_id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lock_held(path) == 1) {
			snprintf(who, size, "%s", e->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int isb_campaign_dir_lock(const char *dir, struct isb_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return isb_errf(err, errno, "open %s", dir), -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return isb_errf(err, 0, "%s: a running campaign writes there", dir), -EBUSY;
		return isb_errf(err, e, "flock %s", dir), -e;
	}
	return fd;
}

/* ---- SHA-256 (FIPS 180-4) ---- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
			      ((a[4] & a[5]) ^ (~a[4] & a[6])) + sha_k[i] + w[i];
		uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
			      ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof(*a));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += a[i];
}

void isb_sha256_hex(const char *text, size_t len, char hex[65])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char tail[128] = {0};
	const unsigned char *p = (const unsigned char *)text;
	size_t full = len / 64 * 64, rest = len - full;
	for (size_t o = 0; o < full; o += 64)
		sha_block(h, p + o);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	size_t tl = rest + 9 > 64 ? 128 : 64;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha_block(h, tail);
	if (tl == 128)
		sha_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", h[i]);
}

int isb_shard_parse(const char *arg, unsigned *i, unsigned *n, struct isb_err *err)
{
	char *end;
	unsigned long a, b;
	errno = 0;
	a = strtoul(arg, &end, 10);
	if (end == arg || *end != '/' || arg[0] == '-')
		return isb_errf(err, 0, "--shard: '%s' is not I/N (e.g. 2/8)", arg), -EINVAL;
	const char *q = end + 1;
	b = strtoul(q, &end, 10);
	if (end == q || *end || q[0] == '-' || errno)
		return isb_errf(err, 0, "--shard: '%s' is not I/N (e.g. 2/8)", arg), -EINVAL;
	if (b < 1 || b > 100000)
		return isb_errf(err, 0, "--shard %s: N must be 1 to 100000", arg), -EINVAL;
	if (a < 1 || a > b)
		return isb_errf(err, 0, "--shard %s: I must be 1 to N (%lu)", arg, b), -EINVAL;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* ---- resume ---- */

char *isb_run_options_json(const struct isb_overrides *ov, const struct isb_run_opts *ro)
{
	json_object *o = json_object_new_object();
	if (ov->backends)
		json_object_object_add(o, "backends", json_object_new_string(ov->backends));
	if (ov->resources)
		json_object_object_add(o, "resources", json_object_new_string(ov->resources));
	if (ov->placements)
		json_object_object_add(o, "placements", json_object_new_string(ov->placements));
	if (ov->reps > 0)
		json_object_object_add(o, "reps", json_object_new_int64(ov->reps));
	if (ov->max_reps > 0)
		json_object_object_add(o, "max_reps", json_object_new_int64(ov->max_reps));
	if (ov->duration > 0)
		json_object_object_add(o, "duration", json_object_new_double(ov->duration));
	if (ro->shard_n) {
		char sh[32];
		snprintf(sh, sizeof(sh), "%u/%u", ro->shard_i, ro->shard_n);
		json_object_object_add(o, "shard", json_object_new_string(sh));
	}
	char *r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The first line where two texts differ, for a refusal that names the change. */
static void first_difference(const char *a, const char *b, char *buf, size_t size)
{
	unsigned line = 1;
	const char *la = a, *lb = b;
	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	snprintf(buf, size, "line %u: was '%.*s', now '%.*s'", line, (int)strcspn(la, "\n"), la,
		 (int)strcspn(lb, "\n"), lb);
}

/* The same version of isobench and the same host (hostname, kernel) as the campaign's. */
static int resume_same_host(const char *db, const struct isb_resume_campaign *c,
			    struct isb_err *err)
{
	cleanup_free char *ver = isb_store_meta_get(db, "isobench_version");
	if (ver && strcmp(ver, PACKAGE_VERSION))
		return isb_errf(err, 0, "%s: isobench version %s, this is %s", db, ver,
				PACKAGE_VERSION),
		       ISB_EXIT_USAGE;
	cleanup_json json_object *h = json_tokener_parse(c->host_json);
	struct utsname u;
	if (uname(&u) < 0)
		return isb_errf(err, errno, "uname"), ISB_EXIT_ERROR;
	const char *hn = jstr(h, "hostname"), *kr = jstr(h, "kernel");
	if (hn && strcmp(hn, u.nodename))
		return isb_errf(err, 0, "%s: host %s, this is %s", db, hn, u.nodename),
		       ISB_EXIT_USAGE;
	if (kr && !strstr(kr, u.release))
		return isb_errf(err, 0, "%s: kernel %s, this is %s", db, kr, u.release),
		       ISB_EXIT_USAGE;
	return 0;
}

/* The overrides the campaign ran with, from meta run_options. */
static int resume_overrides(const char *db, struct isb_suite *s, struct isb_run_opts *ro,
			    unsigned long long seed, struct isb_err *err)
{
	cleanup_free char *opts = isb_store_meta_get(db, ISB_META_RUN_OPTIONS);
	cleanup_json json_object *o = opts ? json_tokener_parse(opts) : NULL;
	struct isb_overrides ov = {.reps = -1, .max_reps = -1, .duration = -1};
	json_object *v;
	if (!o)
		return isb_errf(err, 0, "%s: no run options recorded (a campaign before resume)",
				db),
		       ISB_EXIT_USAGE;
	ov.backends = jstr(o, "backends");
	ov.resources = jstr(o, "resources");
	ov.placements = jstr(o, "placements");
	if (json_object_object_get_ex(o, "reps", &v))
		ov.reps = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "max_reps", &v))
		ov.max_reps = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "duration", &v))
		ov.duration = json_object_get_double(v);
	ov.seed = seed;
	ov.seed_set = true;
	const char *sh = jstr(o, "shard");
	if (sh && isb_shard_parse(sh, &ro->shard_i, &ro->shard_n, err) < 0)
		return ISB_EXIT_USAGE;
	if (isb_suite_override(s, &ov, err) < 0)
		return ISB_EXIT_USAGE;
	return 0;
}

int isb_resume_load(const char *dir, const char *suite_arg, struct isb_suite *s,
		    struct isb_run_opts *ro, struct isb_err *err)
{
	char db[1100], path[1024], now[65], why[400];
	struct isb_resume_campaign c;
	snprintf(db, sizeof(db), "%s/results.db", dir);
	int r = isb_store_resume_campaign(db, &c, err);
	if (r < 0)
		return ISB_EXIT_USAGE;
	r = ISB_EXIT_USAGE;
	cleanup_free char *hash = isb_store_meta_get(db, ISB_META_SUITE_SHA256);
	if (!strcmp(c.status, "complete")) {
		isb_errf(err, 0, "%s: campaign %s is complete: nothing to resume", db, c.id);
		goto out;
	}
	if (!hash) {
		isb_errf(err, 0, "%s: no suite hash recorded (a campaign before resume)", db);
		goto out;
	}
	if ((r = resume_same_host(db, &c, err)))
		goto out;
	r = ISB_EXIT_USAGE;
	const char *name = suite_arg ? suite_arg : c.suite_path;
	if (isb_suite_find(name, path, sizeof(path)) < 0) {
		isb_errf(err, ENOENT, "campaign %s: its suite %s is gone", c.id, name);
		goto out;
	}
	isb_suite_defaults(s);
	if (isb_suite_load(s, path, err) < 0)
		goto out;
	isb_sha256_hex(s->text, strlen(s->text), now);
	if (strcmp(now, hash)) {
		first_difference(c.suite_text, s->text, why, sizeof(why));
		isb_errf(err, 0,
			 "suite %s changed since campaign %s began (sha256 %.12s, now %.12s): %s",
			 path, c.id, hash, now, why);
		goto out;
	}
	r = resume_overrides(db, s, ro, c.seed, err);
	if (!r)
		isb_log("harness", "resuming campaign %s in %s (suite %s, sha256 %.12s)", c.id, dir,
			path, now);
out:
	isb_resume_campaign_free(&c);
	return r;
}
