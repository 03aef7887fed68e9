/*
 * The wrapper backend's keys as the suite parser checks them: every malformed command
 * template, leaves list and env.NAME in one table with the exact message it must get; good
 * templates (quotes, {{, every placeholder) pass; suites/wrapper.ini parses.
 */
#include "config.h"
#include "backends/backend.h"
#include "harness/harness.h"
#include "unit.h"

#include <stdlib.h>

#define KNOWN "(known: {agent}, {agent_dir}, {scratch}, {state}, {name}, {image})"

static const struct {
	const char *key, *value, *message;
} bad[] = {
    {"command", "bwrap {agnet}",
     "command: 'bwrap {agnet}' has an unknown placeholder '{agnet}' " KNOWN},
    {"command", "bwrap --bind {scratch} {Scratch} {agent}",
     "command: 'bwrap --bind {scratch} {Scratch} {agent}' has an unknown placeholder "
     "'{Scratch}' " KNOWN},
    {"command", "bwrap --ro-bind / /",
     "command: 'bwrap --ro-bind / /' has no {agent} (where "
     "the agent's argv goes)"},
    {"command", "env X={agent}",
     "command: 'env X={agent}' has {agent} inside a word: it stands for the agent's whole argv "
     "and must be a word alone"},
    {"command", "sh -c 'exec \"$@\" {agent}",
     "command: 'sh -c 'exec \"$@\" {agent}' has a ' with no closing '"},
    {"command", "sh \"-c {agent}", "command: 'sh \"-c {agent}' has a \" with no closing \""},
    {"command", "ch-run {image -- {agent}",
     "command: 'ch-run {image -- {agent}' has a '{' with no '}' (a literal brace is {{)"},
    {"command", "ch-run '{image -- }' {agent}",
     "command: 'ch-run '{image -- }' {agent}' has an unknown placeholder '{image -- }' " KNOWN},
    {"command", "ch-run {image",
     "command: 'ch-run {image' has a '{' with no '}' (a literal "
     "brace is {{)"},
    {"command", "   ", "command: '   ' is empty"},
    {"leaves", "CT_NS,CT_NOPE",
     "leaves: 'CT_NS,CT_NOPE' is not a list of taxonomy leaves like CT_NS,CT_CAPS or none "
     "('CT_NOPE' is no leaf)"},
    {"class", "vm", "class: 'vm' is not native, container, sandbox, hypervisor or hybrid"},
    {"network", "none", "network: 'none' is not own or host"},
    {"env.1X", "y", "env.1X: '1X' is not a variable name like env.USER"},
    {"env.A-B", "y", "env.A-B: 'A-B' is not a variable name like env.USER"},
    {"image", "", "image: '' is not a path or name of an image"},
    {"tool", "bwrap", "unknown key 'tool' (command, image, class, leaves, network, env.NAME)"},
};

static const struct {
	const char *key, *value;
} good[] = {
    {"command", "bwrap --ro-bind / / --unshare-all {agent}"},
    {"command", "{agent}"},
    {"command", "sh -c 'test \"$0\" = \"{{a b} c\" && exec \"$@\"' \"{{a b} c\" {agent}"},
    {"command", "x --a={agent_dir} --b={scratch}:{scratch} {state}/{name} {image} {agent} -- "
		"{agent}"},
    {"command", "x \"a \\\" b\" a\\ b '{agent}'"},
    {"leaves", "CT_NS,CT_CAPS"},
    {"leaves", " none "},
    {"leaves", "HV_TYPE2, HV_FULL"},
    {"class", "hybrid"},
    {"network", "host"},
    {"env.USER", "root"},
    {"image", "skeleton"},
};

static void test_bad_keys(void **state)
{
	const struct isb_backend *b = isb_backend_find("wrapper");
	assert_non_null(b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct isb_err err = {0};
		if (isb_backend_check(b, bad[i].key, bad[i].value, &err) >= 0)
			fail_msg("%s = '%s' was accepted", bad[i].key, bad[i].value);
		assert_string_equal(err.msg, bad[i].message);
	}
}

static void test_good_keys(void **state)
{
	const struct isb_backend *b = isb_backend_find("wrapper");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct isb_err err = {0};
		if (isb_backend_check(b, good[i].key, good[i].value, &err) < 0)
			fail_msg("%s = '%s': %s", good[i].key, good[i].value, err.msg);
	}
}

/* A configuration whose tool is not in PATH: prepare says so, with no errno. */
static void test_not_in_path(void **state)
{
	struct isb_config c = {0};
	struct isb_err err = {0};
	c.backend = isb_backend_find("wrapper");
	snprintf(c.name, sizeof(c.name), "w");
	snprintf(c.opts[0].key, sizeof(c.opts[0].key), "command");
	snprintf(c.opts[0].value, sizeof(c.opts[0].value), "isobench-no-such-tool {agent}");
	c.nopts = 1;
	c.agent_path = "/usr/bin/isobench-agent";
	assert_true(c.backend->prepare(&c, &err) < 0);
	assert_string_equal(err.msg, "isobench-no-such-tool: not found in PATH");
	snprintf(c.opts[0].value, sizeof(c.opts[0].value), "sh {image} {agent}");
	assert_true(c.backend->prepare(&c, &err) < 0);
	assert_string_equal(err.msg,
			    "wrapper: the command uses {image} but no image = PATH is given");
}

static void test_shipped_suite_parses(void **state)
{
	const char *dir = getenv("ISOBENCH_SUITES");
	char path[1024];
	struct isb_err err = {0};
	if (!dir)
		skip();
	struct isb_suite *s = malloc(sizeof(*s));
	snprintf(path, sizeof(path), "%s/wrapper.ini", dir);
	isb_suite_defaults(s);
	if (isb_suite_load(s, path, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	isb_suite_free(s);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_keys),
	    cmocka_unit_test(test_good_keys),
	    cmocka_unit_test(test_not_in_path),
	    cmocka_unit_test(test_shipped_suite_parses),
	};
	ISB_RUN_TESTS(tests);
}
