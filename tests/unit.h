/* Shared by the cmocka unit tests: includes, TAP output, assert_close. */
#ifndef ISB_UNIT_H
#define ISB_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/isb.h"

/* Debian 12's cmocka lacks assert_double_equal. */
#define assert_close(a, b, eps)                                                                    \
	do {                                                                                       \
		double a_ = (a), b_ = (b);                                                         \
		if (!(fabs(a_ - b_) <= (eps)))                                                     \
			fail_msg("%s = %.9g, expected %.9g (+/- %g)", #a, a_, b_, (double)(eps));  \
	} while (0)

#define ISB_RUN_TESTS(t)                                                                           \
	do {                                                                                       \
		cmocka_set_message_output(CM_OUTPUT_TAP);                                          \
		return cmocka_run_group_tests(t, NULL, NULL);                                      \
	} while (0)

/* Fake /sys trees for the cgroup and resctrl tests: a file with content, mkdir -p, a file's
 * trimmed content ("(missing)" where there is none). */
static inline void mkfile(const char *dir, const char *name, const char *content)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static inline void mkdirs(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

static inline const char *file_at(const char *dir, const char *name)
{
	static char buf[1024];
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (isb_read_file(path, buf, sizeof(buf)) < 0)
		return "(missing)";
	return isb_trim(buf);
}

#endif
