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

#endif
