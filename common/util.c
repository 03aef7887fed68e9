/*
 * Implementation of the shared basics: errors, logging, time, parsing,
 * small file I/O and order statistics used by both the agent and analysis.
 */
#include "config.h"
#include "isb.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>

int isb_verbose;

int isb_errf(struct isb_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		err->errnum = errnum;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		if (errnum) {
			size_t len = strlen(err->msg);
			snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
		}
	}
	return errnum ? -errnum : -EINVAL;
}

static const char *const resource_names[ISB_RES__COUNT] = {
    [ISB_RES_CPU] = "cpu",	   [ISB_RES_MEMORY] = "memory", [ISB_RES_DISK] = "disk",
    [ISB_RES_NETWORK] = "network", [ISB_RES_PIDS] = "pids",	[ISB_RES_CACHE] = "cache",
    [ISB_RES_SYSCALL] = "syscall", [ISB_RES_NONE] = "any",
};

const char *isb_resource_name(enum isb_resource r)
{
	return (unsigned)r < ISB_RES__COUNT ? resource_names[r] : "?";
}

int isb_resource_parse(const char *s, enum isb_resource *out)
{
	for (int i = 0; i < ISB_RES__COUNT; i++) {
		if (strcmp(s, resource_names[i]) == 0) {
			*out = (enum isb_resource)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *isb_role_name(unsigned role)
{
	switch (role) {
	case ISB_ROLE_VICTIM:
		return "victim";
	case ISB_ROLE_AGGRESSOR:
		return "aggressor";
	case ISB_ROLE_PEER:
		return "peer";
	case ISB_ROLE_VICTIM | ISB_ROLE_AGGRESSOR:
		return "victim,aggressor";
	default:
		return "none";
	}
}

int isb_role_parse(const char *s, unsigned *out)
{
	if (strcmp(s, "victim") == 0)
		*out = ISB_ROLE_VICTIM;
	else if (strcmp(s, "aggressor") == 0)
		*out = ISB_ROLE_AGGRESSOR;
	else if (strcmp(s, "peer") == 0)
		*out = ISB_ROLE_PEER;
	else
		return -EINVAL;
	return 0;
}

static void vlog(const char *component, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s: ", component);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* One write per line so tenants and harness do not interleave mid-line. */
	size_t len = strlen(line);
	if (len + 1 < sizeof(line)) {
		line[len++] = '\n';
		line[len] = 0;
	}
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void isb_log(const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(component, fmt, ap);
	va_end(ap);
}

void isb_debug(const char *component, const char *fmt, ...)
{
	va_list ap;
	if (!isb_verbose)
		return;
	va_start(ap, fmt);
	vlog(component, fmt, ap);
	va_end(ap);
}

uint64_t isb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t isb_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void isb_sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int isb_parse_double(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int isb_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

char *isb_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

void isb_file_last_line(const char *path, char *out, size_t size)
{
	char buf[8192];
	out[0] = 0;
	if (isb_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	char *end = buf + strlen(buf);
	while (end > buf && end[-1] == '\n')
		*--end = 0;
	char *nl = strrchr(buf, '\n');
	snprintf(out, size, "%s", nl ? nl + 1 : buf);
}

ssize_t isb_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off + 1 < size) {
		ssize_t r = read(fd, buf + off, size - 1 - off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	buf[off] = 0;
	close(fd);
	return (ssize_t)off;
}

int isb_write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(data);
	ssize_t w = write(fd, data, len);
	int e = w < 0 ? errno : 0;
	/* Kernel files take the value as written; an ordinary file (a test's fake cgroup tree)
	 * keeps only it, as the kernel's would. */
	struct statfs sf;
	if (w >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type != CGROUP_SUPER_MAGIC &&
	    sf.f_type != CGROUP2_SUPER_MAGIC && sf.f_type != PROC_SUPER_MAGIC &&
	    sf.f_type != SYSFS_MAGIC && ftruncate(fd, (off_t)w) < 0)
		e = errno;
	close(fd);
	if (w < 0)
		return -e;
	return (size_t)w == len ? 0 : -EIO;
}

uint64_t isb_mem_available(void)
{
	char buf[8192];
	if (isb_read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strstr(buf, "MemAvailable:");
	return p ? strtoull(p + 13, NULL, 10) * 1024 : 0;
}

void isb_duty_rest(uint64_t start, uint64_t busy_ns, uint64_t period_ns)
{
	if (busy_ns >= period_ns)
		return;
	uint64_t now = isb_now_ns();
	if (now < start + period_ns)
		isb_sleep_ns(start + period_ns - now);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void isb_sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double isb_percentile_sorted(const double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	if (p <= 0)
		return v[0];
	if (p >= 1)
		return v[n - 1];
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;
	double frac = pos - (double)lo;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

double isb_median(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double *c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	isb_sort_doubles(c, n);
	double m = isb_percentile_sorted(c, n, 0.5);
	free(c);
	return m;
}

/* Removes a directory tree this process made; never crosses into another file system (a
 * mount point inside it is left alone) and never follows a symlink. */
void isb_remove_tree(const char *path)
{
	struct stat top;
	if (lstat(path, &top) < 0 || !S_ISDIR(top.st_mode))
		return;
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char sub[1024];
			struct stat st;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (lstat(sub, &st) < 0)
				continue;
			if (S_ISDIR(st.st_mode)) {
				if (st.st_dev == top.st_dev)
					isb_remove_tree(sub);
			} else {
				unlink(sub);
			}
		}
		closedir(d);
	}
	rmdir(path);
}

const char *isb_cpuset_str(const cpu_set_t *s, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < CPU_SETSIZE && o < size; i++) {
		if (!CPU_ISSET(i, s))
			continue;
		int j = i;
		while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, s))
			j++;
		if (j > i)
			o += (size_t)snprintf(buf + o, size - o, "%s%d-%d", o ? "," : "", i, j);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s%d", o ? "," : "", i);
		i = j;
	}
	return buf;
}

int isb_cpulist_parse(const char *list, cpu_set_t *set)
{
	char buf[1024];
	CPU_ZERO(set);
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *save, *t = strtok_r(isb_trim(buf), ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int a = atoi(t), b = strchr(t, '-') ? atoi(strchr(t, '-') + 1) : a;
		for (int i = a; i <= b && i >= 0 && i < CPU_SETSIZE; i++)
			CPU_SET(i, set);
	}
	return CPU_COUNT(set);
}

int isb_mkdir_p(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int isb_parse_size(const char *v, uint64_t *out)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || x < 0)
		return -1;
	double m = 1;
	switch (*end) {
	case 'k':
	case 'K':
		m = 1024.0;
		end++;
		break;
	case 'm':
	case 'M':
		m = 1024.0 * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		m = 1024.0 * 1024 * 1024;
		end++;
		break;
	case 't':
	case 'T':
		m = 1024.0 * 1024 * 1024 * 1024;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (uint64_t)(x * m);
	return 0;
}

int isb_parse_rate(const char *v, uint64_t *out)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || !(x > 0))
		return -1;
	double m = 1;
	if (*end == 'k' || *end == 'K')
		m = 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		m = 1e6, end++;
	else if (*end == 'g' || *end == 'G')
		m = 1e9, end++;
	if (!strcmp(end, "bit") || !strcmp(end, "bps"))
		end += 3;
	if (*end || x * m < 1 || x * m > 1e12)
		return -1;
	*out = (uint64_t)(x * m);
	return 0;
}

void isb_rate_str(uint64_t bps, char *buf, size_t size)
{
	if (bps >= 1000000000 && bps % 1000000 == 0)
		snprintf(buf, size, "%gG", (double)bps / 1e9);
	else if (bps >= 1000000)
		snprintf(buf, size, "%gM", (double)bps / 1e6);
	else
		snprintf(buf, size, "%gk", (double)bps / 1e3);
}

void isb_note_add(char *note, size_t size, const char *fmt, ...)
{
	size_t o = strlen(note);
	if (o + 3 >= size)
		return;
	if (o)
		o += (size_t)snprintf(note + o, size - o, "; ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note + o, size - o, fmt, ap);
	va_end(ap);
}
