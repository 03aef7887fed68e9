/*
 * The JSON-lines protocol between harness and agent: every event the agent
 * writes parses, malformed lines are refused with a message saying why, and
 * the line reader splits, times out and reports end of file.
 */
#include "config.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_events_parse),
	    cmocka_unit_test(test_events_refused),
	    cmocka_unit_test(test_line_reader),
	};
	ISB_RUN_TESTS(tests);
}
