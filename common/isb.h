/*
 * Shared basics below every part of isobench: the error object, logging,
 * time, small string helpers and the vocabulary enums (resource, role).
 * Nothing here depends on any library beyond libc, so the agent can link it.
 */
#ifndef ISB_H
#define ISB_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef ISB_VERSION
#define ISB_VERSION PACKAGE_VERSION
#endif

/* Error object: negative return plus errno and a message naming the thing that failed. */
struct isb_err {
	int errnum;
	char msg[512];
};

int isb_errf(struct isb_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends "; " and a formatted item to a note (a configuration's setup note), within size. */
void isb_note_add(char *note, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum isb_resource {
	ISB_RES_CPU,
	ISB_RES_MEMORY,
	ISB_RES_DISK,
	ISB_RES_NETWORK,
	ISB_RES_PIDS,
	ISB_RES_CACHE,
	ISB_RES_SYSCALL, /* the price of a system call: the sandbox class's overhead axis */
	ISB_RES_NONE,	 /* the null stressor fits every resource */
	ISB_RES__COUNT
};

const char *isb_resource_name(enum isb_resource r);
int isb_resource_parse(const char *s, enum isb_resource *out);

/* A peer is the server end a network victim or aggressor talks to. */
enum { ISB_ROLE_VICTIM = 1u << 0, ISB_ROLE_AGGRESSOR = 1u << 1, ISB_ROLE_PEER = 1u << 2 };
const char *isb_role_name(unsigned role);
int isb_role_parse(const char *s, unsigned *out);

/* Logging to stderr with the component as prefix; stdout carries only results. */
extern int isb_verbose;
void isb_log(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void isb_debug(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic and wall time in nanoseconds. */
uint64_t isb_now_ns(void);
uint64_t isb_wall_ns(void);
void isb_sleep_ns(uint64_t ns);

/* MemAvailable from /proc/meminfo in bytes; 0 if unreadable. */
uint64_t isb_mem_available(void);
/* Duty cycles: after busy_ns of work begun at start, sleep out the rest of the period. */
void isb_duty_rest(uint64_t start, uint64_t busy_ns, uint64_t period_ns);

/* Parse helpers: whole string must be consumed. Return 0 or -EINVAL. */
int isb_parse_double(const char *s, double *out);
int isb_parse_u64(const char *s, uint64_t *out);
/* A size in bytes: 4096, 512M, 1.5G, 2GiB (K, M, G, T: powers of 1024). */
int isb_parse_size(const char *s, uint64_t *out);
/* A rate in bits per second: 200M, 1.5G, 800k, 100000 (k, M, G: powers of 1000, as tc and
 * link speeds count), optionally followed by "bit" or "bps". At least 1. */
int isb_parse_rate(const char *s, uint64_t *out);
/* A rate in bits per second as isb_parse_rate reads it back: "200M", "1.5G", "800k". */
void isb_rate_str(uint64_t bps, char *buf, size_t size);

/* Trim whitespace in place, returns the start. */
char *isb_trim(char *s);

/* Read a small file into buf (NUL terminated). Returns bytes or -errno. */
ssize_t isb_read_file(const char *path, char *buf, size_t size);
/* The last non-empty line of a (log) file's first 8 KiB into out, "" when none. */
void isb_file_last_line(const char *path, char *out, size_t size);
int isb_write_file(const char *path, const char *data);
void isb_remove_tree(const char *path);
/* mkdir -p: 0, or -errno. */
int isb_mkdir_p(const char *path);
/* A Linux CPU list ("0-3,6") into set; returns how many CPUs it names. */
int isb_cpulist_parse(const char *list, cpu_set_t *set);
/* The other way: set as a CPU list ("0-3,6"; "" when empty) into buf; returns buf. */
const char *isb_cpuset_str(const cpu_set_t *s, char *buf, size_t size);

/* Sorting and percentiles of doubles (linear interpolation, p in [0,1]). */
void isb_sort_doubles(double *v, size_t n);
double isb_percentile_sorted(const double *v, size_t n, double p);
double isb_median(const double *v, size_t n); /* does not modify v */

#define ISB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void isb_freep(void *p)
{
	extern void free(void *);
	free(*(void **)p);
}
static inline void isb_closep(int *fd)
{
	extern int close(int);
	if (*fd >= 0)
		close(*fd);
}
#define cleanup_free  __attribute__((cleanup(isb_freep)))
#define cleanup_close __attribute__((cleanup(isb_closep)))

#endif
