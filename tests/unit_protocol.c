/*
 * The JSON-lines protocol between harness and agent: every event the agent
 * writes parses, malformed lines are refused with a message saying why, and
 * the line reader splits, times out and reports end of file. The agent's own lines (built
 * with json-c) parse, and what the harness stores from them keeps the agent's "%.17g".
 */
#include "config.h"
#include "common/json.h"
#include "harness/harness.h"
#include "unit.h"

#include <unistd.h>

static void test_events_parse(void **state)
{
	static const struct {
		const char *line;
		enum isb_event_type type;
	} good[] = {
	    {"{\"event\":\"ready\",\"stressor\":\"cpu.compute\",\"role\":\"victim\",\"pid\":1}",
	     ISB_EV_READY},
	    {"{\"event\":\"sample\",\"t_ns\":1000000000,\"ops\":1234567}", ISB_EV_SAMPLE},
	    {"{\"event\":\"sample\",\"t_ns\":1,\"ops\":1.5}", ISB_EV_SAMPLE},
	    {"{\"event\":\"result\",\"metrics\":{\"ops_per_s\":1.23e6,\"lat_p50_ns\":812}}",
	     ISB_EV_RESULT},
	    {"{\"event\":\"error\",\"message\":\"x\"}  ", ISB_EV_ERROR},
	    {"{\"event\":\"probe\",\"namespaces\":{}}", ISB_EV_PROBE},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct isb_event ev;
		struct isb_err err = {0};
		if (isb_event_parse(good[i].line, &ev, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(ev.type, good[i].type);
		json_object_put(ev.obj);
	}
}

static void test_events_refused(void **state)
{
	static const struct {
		const char *line, *message;
	} bad[] = {
	    {"not json", "agent line is not JSON"},
	    {"{\"event\":\"ready\"", "agent line is not JSON"},
	    {"{\"event\":\"go\"}", "unknown agent event \"go\""},
	    {"{\"stressor\":\"x\"}", "agent line has no \"event\""},
	    {"[1,2]", "agent line has no \"event\""},
	    {"{\"event\":\"ready\",\"stressor\":\"x\",\"role\":\"victim\"}",
	     "agent \"ready\" event lacks int field \"pid\""},
	    {"{\"event\":\"sample\",\"t_ns\":\"1\",\"ops\":1}",
	     "agent \"sample\" event lacks int field \"t_ns\""},
	    {"{\"event\":\"result\",\"metrics\":[]}",
	     "agent \"result\" event lacks object field \"metrics\""},
	    {"{\"event\":\"error\"} trailing", "agent line has text after the JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct isb_event ev;
		struct isb_err err = {0};
		int r = isb_event_parse(bad[i].line, &ev, &err);
		if (r != -EPROTO || !strstr(err.msg, bad[i].message))
			fail_msg("case %zu: got %d '%s', expected '%s'", i, r, err.msg,
				 bad[i].message);
	}
}

static void test_line_reader(void **state)
{
	int p[2];
	char line[64];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "one\ntwo\nthr", 11), 11);
	struct isb_line_reader *r = calloc(1, sizeof(*r));
	r->fd = p[0];
	uint64_t dl = isb_now_ns() + 1000000000ull;
	assert_int_equal(isb_read_line(r, dl, line, sizeof(line)), 1);
	assert_string_equal(line, "one");
	assert_int_equal(isb_read_line(r, dl, line, sizeof(line)), 1);
	assert_string_equal(line, "two");
	/* a partial line waits for its end: time out */
	assert_int_equal(isb_read_line(r, isb_now_ns() + 50000000ull, line, sizeof(line)),
			 -ETIMEDOUT);
	close(p[1]);
	/* at EOF the last partial line is still delivered, then EOF */
	assert_int_equal(isb_read_line(r, dl, line, sizeof(line)), 1);
	assert_string_equal(line, "thr");
	assert_int_equal(isb_read_line(r, dl, line, sizeof(line)), 0);
	close(p[0]);
	free(r);
}

/* Parses a line the agent built; fails the test unless it is an event of that type. */
static json_object *parse_agent_line(json_object *line, enum isb_event_type type)
{
	struct isb_event ev;
	struct isb_err err = {0};
	const char *text = isb_agent_line_text(line);
	if (isb_event_parse(text, &ev, &err) < 0)
		fail_msg("agent line '%s': %s", text, err.msg);
	assert_int_equal(ev.type, type);
	return ev.obj;
}

static const char *stored(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Numbers: the text the agent wrote by hand before ("%.17g", never 5.0; null if not finite),
 * unchanged through the harness's parse and re-serialization (metrics_json, samples_json). */
static void test_agent_numbers(void **state)
{
	static const double v[] = {
	    0,	 5,	  -3, 0.1, 1e300, 2.5e-7, 8910.5839508429344, 1e17, 123456789012345678.0,
	    NAN, INFINITY};
	struct isb_report r = {0};
	char want[1024] = "{", num[40];
	size_t o = 1;
	for (size_t i = 0; i < ISB_ARRAY_SIZE(v); i++) {
		char name[16];
		snprintf(name, sizeof(name), "m%zu", i);
		isb_report_set(&r, name, v[i]);
		if (isfinite(v[i]))
			snprintf(num, sizeof(num), "%.17g", v[i]);
		else
			snprintf(num, sizeof(num), "null");
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%s\"%s\":%s", i ? "," : "", name,
				      num);
	}
	snprintf(want + o, sizeof(want) - o, "}");
	cleanup_json json_object *line = isb_agent_line_result(18446744073709551615ull, &r);
	cleanup_json json_object *ev = parse_agent_line(line, ISB_EV_RESULT);
	json_object *m;
	assert_true(json_object_object_get_ex(ev, "metrics", &m));
	assert_string_equal(stored(m), want);
	assert_non_null(strstr(isb_agent_line_text(line), "\"elapsed_ns\":18446744073709551615,"));

	cleanup_json json_object *sample = isb_agent_line_sample(1000000000, 1234567);
	assert_string_equal(isb_agent_line_text(sample),
			    "{\"event\":\"sample\",\"t_ns\":1000000000,\"ops\":1234567}");
	cleanup_json json_object *sev = parse_agent_line(sample, ISB_EV_SAMPLE);
	json_object *ops;
	assert_true(json_object_object_get_ex(sev, "ops", &ops));
	assert_string_equal(stored(ops), "1234567");
	cleanup_json json_object *frac = isb_agent_line_sample(7, 0.1);
	assert_string_equal(isb_agent_line_text(frac),
			    "{\"event\":\"sample\",\"t_ns\":7,\"ops\":0.10000000000000001}");
}

/* Words: quotes, backslashes, control characters, slashes and UTF-8 come back as written. */
static void test_agent_strings(void **state)
{
	static const char msg[] = "bad \"x\"\\y\t\n\r\x01\x1f/z é ∑ \x7f";
	cleanup_json json_object *line = isb_agent_line_error(msg);
	cleanup_json json_object *ev = parse_agent_line(line, ISB_EV_ERROR);
	json_object *m;
	assert_true(json_object_object_get_ex(ev, "message", &m));
	assert_string_equal(json_object_get_string(m), msg);

	struct isb_report ready = {0};
	isb_report_info(&ready, "port", "4242");
	isb_report_info(&ready, "fio_job", msg);
	cleanup_json json_object *rl =
	    isb_agent_line_ready("cpu.compute", ISB_ROLE_VICTIM, 42, 3, &ready, NULL);
	assert_string_equal(isb_agent_line_text(rl),
			    "{\"event\":\"ready\",\"stressor\":\"cpu.compute\",\"role\":\"victim\","
			    "\"pid\":42,\"ncpus\":3,\"isobench_version\":\"" PACKAGE_VERSION "\","
			    "\"info\":{\"port\":\"4242\",\"fio_job\":\"bad \\\"x\\\"\\\\y\\t\\n\\r"
			    "\\u0001\\u001f/z é ∑ \x7f\"}}");
	cleanup_json json_object *rev = parse_agent_line(rl, ISB_EV_READY);
	json_object *info, *job;
	assert_true(json_object_object_get_ex(rev, "info", &info));
	assert_true(json_object_object_get_ex(info, "fio_job", &job));
	assert_string_equal(json_object_get_string(job), msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_events_parse),  cmocka_unit_test(test_events_refused),
	    cmocka_unit_test(test_line_reader),	  cmocka_unit_test(test_agent_numbers),
	    cmocka_unit_test(test_agent_strings),
	};
	ISB_RUN_TESTS(tests);
}
