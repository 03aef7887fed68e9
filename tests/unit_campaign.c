/*
 * The pieces of one campaign per host, resume and shards that need no root: the suite's
 * SHA-256 against known vectors, --shard's parsing, and the locks (a second campaign
 * refused naming the holder, --allow-concurrent, liveness, nothing left after).
 */
#include "config.h"
#include "harness/campaign.h"
#include "unit.h"

#include <dirent.h>
#include <stdlib.h>

static void hex_is(const char *text, const char *want)
{
	char hex[65];
	isb_sha256_hex(text, strlen(text), hex);
	assert_string_equal(hex, want);
}

static void test_sha256(void **state)
{
	hex_is("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_is("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the padding needs a second block */
	hex_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void shard_ok(const char *arg, unsigned wi, unsigned wn)
{
	unsigned i = 0, n = 0;
	struct isb_err err = {0};
	if (isb_shard_parse(arg, &i, &n, &err) < 0)
		fail_msg("%s refused: %s", arg, err.msg);
	assert_int_equal(i, wi);
	assert_int_equal(n, wn);
}

static void shard_bad(const char *arg, const char *why)
{
	unsigned i = 0, n = 0;
	struct isb_err err = {0};
	assert_int_equal(isb_shard_parse(arg, &i, &n, &err), -EINVAL);
	if (!strstr(err.msg, why))
		fail_msg("%s: '%s' lacks '%s'", arg, err.msg, why);
}

static void test_shard_parse(void **state)
{
	shard_ok("1/1", 1, 1);
	shard_ok("2/8", 2, 8);
	shard_ok("8/8", 8, 8);
	shard_bad("0/8", "I must be 1 to N");
	shard_bad("9/8", "I must be 1 to N");
	shard_bad("1/0", "N must be");
	shard_bad("3", "is not I/N");
	shard_bad("", "is not I/N");
	shard_bad("1/2/3", "is not I/N");
	shard_bad("-1/2", "is not I/N");
	shard_bad("1/-2", "is not I/N");
}

static void test_locks(void **state)
{
	struct isb_campaign_lock a, b, c;
	struct isb_err err = {0};
	char who[64], want[200];
	const char *root = isb_state_root();
	assert_int_equal(isb_campaign_lock(&a, "20260101-000000-1", false, &err), 0);
	assert_int_equal(isb_campaign_alive("20260101-000000-1"), 1);
	assert_int_equal(isb_campaign_other_live("20260101-000000-1", who, sizeof(who)), 0);
	/* another open file description: flock conflicts as it would between processes */
	assert_int_equal(isb_campaign_lock(&b, "20260101-000000-2", false, &err), -EBUSY);
	snprintf(want, sizeof(want), "another campaign holds this host: pid %d, campaign %s",
		 (int)getpid(), "20260101-000000-1");
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
	assert_int_equal(isb_campaign_alive("20260101-000000-2"), -1); /* refused: no lock left */
	assert_int_equal(isb_campaign_lock(&c, "20260101-000000-3", true, &err), 0);
	snprintf(want, sizeof(want), "campaign 20260101-000000-1 (pid %d)", (int)getpid());
	assert_string_equal(c.concurrent, want);
	assert_int_equal(isb_campaign_other_live("20260101-000000-3", who, sizeof(who)), 1);
	assert_string_equal(who, "20260101-000000-1");
	isb_campaign_unlock(&a);
	assert_int_equal(isb_campaign_alive("20260101-000000-1"), -1);
	isb_campaign_unlock(&c);
	/* the host is free: taken now, and nothing is left once let go */
	assert_int_equal(isb_campaign_lock(&b, "20260101-000000-2", false, &err), 0);
	isb_campaign_unlock(&b);
	DIR *d = opendir(root);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fail_msg("left in %s: %s", root, e->d_name);
	if (d)
		closedir(d);
}

int main(void)
{
	char dir[] = "/tmp/isobench-unit-campaign.XXXXXX";
	if (!mkdtemp(dir))
		return 99;
	setenv("ISOBENCH_STATE_DIR", dir, 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_shard_parse),
	    cmocka_unit_test(test_locks),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
