/*
 * fio's JSON output, as recorded from real fio 3.33 runs (tests/fixtures):
 * the numbers the disk stressors report, and a failed job that must give an
 * error, never numbers.
 */
#include "config.h"
#include "stressors/fio.h"
#include "unit.h"

#include <stdlib.h>

static char *slurp(const char *name)
{
	char path[1024];
	const char *dir = getenv("TESTS_SRCDIR");
	snprintf(path, sizeof(path), "%s/fixtures/%s", dir ? dir : "tests", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("open %s", path);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static double metric(const struct isb_report *r, const char *name)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (!strcmp(r->metrics[i].name, name))
			return r->metrics[i].value;
	fail_msg("no metric %s", name);
	return NAN;
}

static void test_randread(void **state)
{
	struct isb_report r = {0};
	struct isb_err err = {0};
	assert_int_equal(isb_fio_parse(slurp("fio-randread.json"), "read", &r, &err), 0);
	assert_close(metric(&r, "iops"), 8958.041958, 1e-6);
	double p50 = metric(&r, "lat_p50_ns"), p99 = metric(&r, "lat_p99_ns"),
	       p999 = metric(&r, "lat_p999_ns");
	assert_true(p50 > 1000 && p50 <= p99 && p99 <= p999);
	assert_true(metric(&r, "bytes_per_s") > 8958 * 4096 * 0.99);
	/* what fio moved (for the host's block-layer count beside it), then its version */
	assert_int_equal(r.ninfo, 3);
	assert_string_equal(r.info[0].key, "read_bytes");
	assert_string_equal(r.info[0].value, "36728832");
	assert_string_equal(r.info[1].key, "read_ios");
	assert_string_equal(r.info[1].value, "8967");
	assert_string_equal(r.info[2].value, "fio-3.33");
}

static void test_seqwrite(void **state)
{
	struct isb_report r = {0};
	struct isb_err err = {0};
	assert_int_equal(isb_fio_parse(slurp("fio-seqwrite.json"), "write", &r, &err), 0);
	assert_close(metric(&r, "bytes_per_s"), 2059961127, 1);
	assert_true(metric(&r, "iops") > 1000);
	/* the read side of a write job did no I/O: asking for it is an error */
	struct isb_report r2 = {0};
	assert_int_equal(isb_fio_parse(slurp("fio-seqwrite.json"), "read", &r2, &err), -EIO);
	assert_string_equal(err.msg, "fio did no read I/O: Input/output error");
}

static void test_failed_job(void **state)
{
	struct isb_report r = {0};
	struct isb_err err = {0};
	assert_int_equal(isb_fio_parse(slurp("fio-failed.json"), "write", &r, &err), -EIO);
	assert_non_null(strstr(err.msg, "fio job failed with error 1"));
	assert_int_equal(r.nmetrics, 0);
}

static void test_not_json(void **state)
{
	struct isb_report r = {0};
	struct isb_err err = {0};
	assert_int_equal(isb_fio_parse("fio: option bs out of range", "read", &r, &err), -EIO);
	assert_non_null(strstr(err.msg, "fio wrote no JSON"));
	assert_int_equal(isb_fio_parse("{\"jobs\": [", "read", &r, &err), -EIO);
	assert_int_equal(isb_fio_parse("{\"jobs\": []}", "read", &r, &err), -EIO);
	assert_int_equal(isb_fio_parse(NULL, "read", &r, &err), -EIO);
	/* notes before the JSON are skipped */
	char *text = slurp("fio-randread.json");
	char *with_note = malloc(strlen(text) + 64);
	sprintf(with_note, "note: both iodepth >= 1 and synchronous I/O engine\n%s", text);
	assert_int_equal(isb_fio_parse(with_note, "read", &r, &err), 0);
	free(with_note);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_randread),
	    cmocka_unit_test(test_seqwrite),
	    cmocka_unit_test(test_failed_job),
	    cmocka_unit_test(test_not_json),
	};
	ISB_RUN_TESTS(tests);
}
