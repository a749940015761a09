/* SPDX-License-Identifier: MIT */
/*
 * test_settings.c - the MPROF_* variables (runtime/settings.c): defaults,
 * every accepted value, the one warning line per bad value (exact text),
 * and the %p expansion of MPROF_OUTPUT.  mp_settings_parse() reads through
 * a fake getenv over the table `env`, never the real environment.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "profile.h"

static const char *env[8][2];		/* name, value; NULL name ends it */

static char *fake_getenv(const char *name)
{
	int i;

	for (i = 0; env[i][0]; i++)
		if (!strcmp(env[i][0], name))
			return (char *)env[i][1];
	return NULL;
}

static void set_env(const char *name, const char *value)
{
	int i;

	for (i = 0; env[i][0] && strcmp(env[i][0], name); i++)
		;
	env[i][0] = name;
	env[i][1] = value;
}

static int clear_env(void **state)
{
	(void)state;
	memset(env, 0, sizeof(env));
	return 0;
}

static struct mp_settings s;

/* Nothing set: rss, stderr, one decimal, no warning. */
static void test_defaults(void **state)
{
	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.backend, MP_BACKEND_RSS);
	assert_int_equal(s.output_kind, MP_OUTPUT_STDERR);
	assert_int_equal(s.precision, 1);
	assert_int_equal(s.nwarn, 0);
}

/* Every backend name selects its backend. */
static void test_backend_names(void **state)
{
	static const struct {
		const char *name;
		enum mp_backend_id id;
	} names[] = {
		{ "rss", MP_BACKEND_RSS }, { "pss", MP_BACKEND_PSS },
		{ "uss", MP_BACKEND_USS }, { "vms", MP_BACKEND_VMS },
		{ "heap", MP_BACKEND_HEAP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		set_env("MPROF_BACKEND", names[i].name);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.backend, names[i].id);
		assert_int_equal(s.nwarn, 0);
	}
}

/* An unknown backend keeps rss and leaves exactly one line. */
static void test_backend_unknown(void **state)
{
	(void)state;
	set_env("MPROF_BACKEND", "foo");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.backend, MP_BACKEND_RSS);
	assert_int_equal(s.nwarn, 1);
	assert_string_equal(s.warn[0],
		"mprof: MPROF_BACKEND: unknown value 'foo' (accepted: rss, pss, uss, vms, heap); using rss");
}

/* Backend names are case-sensitive, as the table spells them. */
static void test_backend_case(void **state)
{
	(void)state;
	set_env("MPROF_BACKEND", "RSS");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.nwarn, 1);
}

/* An empty variable is the same as an unset one. */
static void test_empty_is_unset(void **state)
{
	(void)state;
	set_env("MPROF_BACKEND", "");
	set_env("MPROF_OUTPUT", "");
	set_env("MPROF_PRECISION", "");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.backend, MP_BACKEND_RSS);
	assert_int_equal(s.output_kind, MP_OUTPUT_STDERR);
	assert_int_equal(s.precision, 1);
	assert_int_equal(s.nwarn, 0);
}

/* MPROF_OUTPUT=- means stdout. */
static void test_output_stdout(void **state)
{
	(void)state;
	set_env("MPROF_OUTPUT", "-");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.output_kind, MP_OUTPUT_STDOUT);
	assert_int_equal(s.nwarn, 0);
}

/* Any other MPROF_OUTPUT is a file name, kept with its %p unexpanded. */
static void test_output_file(void **state)
{
	(void)state;
	set_env("MPROF_OUTPUT", "prof.%p.txt");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.output_kind, MP_OUTPUT_FILE);
	assert_string_equal(s.output, "prof.%p.txt");
	assert_int_equal(s.nwarn, 0);
}

/* A file name longer than PATH_MAX keeps stderr and says so. */
static void test_output_too_long(void **state)
{
	static char name[PATH_MAX + 10];

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	set_env("MPROF_OUTPUT", name);
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.output_kind, MP_OUTPUT_STDERR);
	assert_int_equal(s.nwarn, 1);
	assert_non_null(strstr(s.warn[0], "mprof: MPROF_OUTPUT: file name too long 'aaaa"));
	assert_non_null(strstr(s.warn[0], "...' (accepted: "));
	assert_non_null(strstr(s.warn[0], "); using stderr"));
}

/* Precision takes every integer from 0 to 10. */
static void test_precision_range(void **state)
{
	static const char *ok[] = { "0", "1", "5", "10", "07" };
	static const int want[] = { 0, 1, 5, 10, 7 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		set_env("MPROF_PRECISION", ok[i]);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.precision, want[i]);
		assert_int_equal(s.nwarn, 0);
	}
}

/* A precision out of range keeps 1 and leaves exactly one line. */
static void test_precision_out_of_range(void **state)
{
	(void)state;
	set_env("MPROF_PRECISION", "11");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.precision, 1);
	assert_int_equal(s.nwarn, 1);
	assert_string_equal(s.warn[0],
		"mprof: MPROF_PRECISION: invalid value '11' (accepted: an integer from 0 to 10); using 1");
}

/* Signs, fractions, blanks, words and huge numbers are refused. */
static void test_precision_malformed(void **state)
{
	static const char *bad[] = { "-1", "+2", "1.5", " 2", "2 ", "two",
				     "99999999999999999999" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_env("MPROF_PRECISION", bad[i]);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.precision, 1);
		assert_int_equal(s.nwarn, 1);
	}
}

/* MPROF_TOP: unset is -1 (the default summary), 0 none, N lines. */
static void test_top(void **state)
{
	static const char *ok[] = { "0", "1", "10", "1000000", "007" };
	static const int want[] = { 0, 1, 10, 1000000, 7 };
	static const char *bad[] = { "-1", "1000001", "ten", "1.5", " 3",
				     "99999999999999999999" };
	size_t i;

	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.top, -1);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		set_env("MPROF_TOP", ok[i]);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.top, want[i]);
		assert_int_equal(s.nwarn, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_env("MPROF_TOP", bad[i]);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.top, -1);
		assert_int_equal(s.nwarn, 1);
		assert_non_null(strstr(s.warn[0], "mprof: MPROF_TOP: invalid value '"));
		assert_non_null(strstr(s.warn[0], "); using the default"));
	}
}

/* Several bad variables give one line each, in a fixed order. */
static void test_several_bad(void **state)
{
	(void)state;
	set_env("MPROF_BACKEND", "rsss");
	set_env("MPROF_PRECISION", "x");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.nwarn, 2);
	assert_non_null(strstr(s.warn[0], "MPROF_BACKEND: unknown value 'rsss'"));
	assert_non_null(strstr(s.warn[1], "MPROF_PRECISION: invalid value 'x'"));
}

/* A long bad value is quoted shortened, so the line stays one line. */
static void test_long_bad_value(void **state)
{
	char value[300];

	(void)state;
	memset(value, 'z', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	set_env("MPROF_BACKEND", value);
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.nwarn, 1);
	assert_true(strlen(s.warn[0]) < MP_SETTINGS_WARNLEN - 1);
	assert_non_null(strstr(s.warn[0], "zzz...' (accepted: rss, pss, uss, vms, heap); using rss"));
}

/* A switch (`var` into `field` of s): off by default, 1 turns it on, 0
 * off, anything else is refused with one line. */
static void check_switch(const char *var, const int *field)
{
	char want[MP_SETTINGS_WARNLEN];

	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(*field, 0);
	set_env(var, "1");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(*field, 1);
	assert_int_equal(s.nwarn, 0);
	set_env(var, "0");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(*field, 0);
	assert_int_equal(s.nwarn, 0);
	set_env(var, "yes");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(*field, 0);
	assert_int_equal(s.nwarn, 1);
	snprintf(want, sizeof want,
		 "mprof: %s: invalid value 'yes' (accepted: 0, 1); using 0", var);
	assert_string_equal(s.warn[0], want);
}

static void test_exact(void **state)
{
	(void)state;
	check_switch("MPROF_EXACT", &s.exact);
}

/* MPROF_INCLUDE_CHILDREN: the /proc backends add descendants. */
static void test_include_children(void **state)
{
	(void)state;
	check_switch("MPROF_INCLUDE_CHILDREN", &s.include_children);
}

/* MPROF_COLUMNS: none by default; names in any order, repeats, "all";
 * a bad item is named in one line and the others are kept. */
static void test_columns(void **state)
{
	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.columns, 0);
	set_env("MPROF_COLUMNS", "leaked,time,,time");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.columns, MP_COL_LEAKED | MP_COL_TIME);
	assert_int_equal(s.nwarn, 0);
	set_env("MPROF_COLUMNS", "all");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.columns, MP_COL_ALL);
	set_env("MPROF_COLUMNS", "peak,Time,allocs,bogus");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.columns, MP_COL_PEAK | MP_COL_ALLOCS);
	assert_int_equal(s.nwarn, 1);
	assert_string_equal(s.warn[0], "mprof: MPROF_COLUMNS: unknown column 'Time' (accepted: time, allocs, peak, leaked, all); using allocs,peak");
	set_env("MPROF_COLUMNS", "nothing");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.columns, 0);
	assert_string_equal(s.warn[0], "mprof: MPROF_COLUMNS: unknown column 'nothing' (accepted: time, allocs, peak, leaked, all); using none");
}

/* MPROF_JSON is off by default, "-" or a file name kept with its %p;
 * MPROF_DAT is kept as it is. */
static void test_json_and_dat(void **state)
{
	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_string_equal(s.json, "");
	assert_string_equal(s.dat, "");
	set_env("MPROF_JSON", "-");
	set_env("MPROF_DAT", "/tmp/mprofile_1.dat");
	mp_settings_parse(&s, fake_getenv);
	assert_string_equal(s.json, "-");
	assert_string_equal(s.dat, "/tmp/mprofile_1.dat");
	set_env("MPROF_JSON", "prof.%p.json");
	mp_settings_parse(&s, fake_getenv);
	assert_string_equal(s.json, "prof.%p.json");
	assert_int_equal(s.nwarn, 0);
}

/* Names longer than PATH_MAX: one line each, and the outputs stay off. */
static void test_json_and_dat_too_long(void **state)
{
	static char name[PATH_MAX + 10];

	(void)state;
	memset(name, 'j', sizeof(name) - 1);
	set_env("MPROF_JSON", name);
	set_env("MPROF_DAT", name);
	mp_settings_parse(&s, fake_getenv);
	assert_string_equal(s.json, "");
	assert_string_equal(s.dat, "");
	assert_int_equal(s.nwarn, 2);
	assert_non_null(strstr(s.warn[0], "mprof: MPROF_JSON: file name too long 'jjjj"));
	assert_non_null(strstr(s.warn[0], "...' (accepted: a file name shorter than PATH_MAX, %p for the pid, - for stdout); using no JSON profile"));
	assert_non_null(strstr(s.warn[1], "mprof: MPROF_DAT: file name too long 'jjjj"));
	assert_non_null(strstr(s.warn[1], "); using no FUNC records"));
}

/* %p becomes the pid, wherever and however often it appears. */
/* MPROF_DAT_BACKEND: the FUNC records' measure, a /proc one only. */
static void test_dat_backend(void **state)
{
	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.dat_backend, MP_BACKEND_COUNT);
	set_env("MPROF_DAT_BACKEND", "uss");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.dat_backend, MP_BACKEND_USS);
	assert_int_equal(s.nwarn, 0);
	set_env("MPROF_DAT_BACKEND", "heap");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.dat_backend, MP_BACKEND_COUNT);
	assert_int_equal(s.nwarn, 1);
	assert_string_equal(s.warn[0],
		"mprof: MPROF_DAT_BACKEND: unknown value 'heap' (accepted: rss, pss, uss, vms); using MPROF_BACKEND's");
}

/* MPROF_DAT_FUNCS: all (the default), none, or the interval in seconds. */
static void test_dat_funcs(void **state)
{
	static const struct {
		const char *v;
		int64_t want;
		int nwarn;
	} cases[] = {
		{ "all", MP_FUNCS_ALL, 0 }, { "none", MP_FUNCS_NONE, 0 },
		{ "0.1", 100000000, 0 }, { "2", 2000000000, 0 },
		{ "0.0125", 12500000, 0 }, { "1.", 1000000000, 0 },
		{ "0.000000001", 1, 0 }, { "0", MP_FUNCS_ALL, 1 },
		{ "-1", MP_FUNCS_ALL, 1 }, { "1e3", MP_FUNCS_ALL, 1 },
		{ "86401", MP_FUNCS_ALL, 1 }, { "long", MP_FUNCS_ALL, 1 },
	};
	size_t i;

	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.dat_funcs, MP_FUNCS_ALL);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		set_env("MPROF_DAT_FUNCS", cases[i].v);
		mp_settings_parse(&s, fake_getenv);
		assert_int_equal(s.dat_funcs, cases[i].want);
		assert_int_equal(s.nwarn, cases[i].nwarn);
	}
	assert_string_equal(s.warn[0],
		"mprof: MPROF_DAT_FUNCS: invalid value 'long' (accepted: all, none, seconds from 1e-9 to 86400); using all");
}

/* MPROF_LIMIT's sizes: every unit, exactly (K = KiB = 1024, kB = 1000). */
static void test_limit_sizes(void **state)
{
	static const struct {
		const char *text;
		int64_t bytes;
	} ok[] = {
		{ "1", 1 }, { "4096", 4096 }, { "100B", 100 }, { "2 b", 2 },
		{ "512K", 512 * 1024 }, { "512k", 512 * 1024 },
		{ "512KiB", 512 * 1024 }, { "512kB", 512000 },
		{ "24MiB", 24 << 20 }, { "24M", 24 << 20 }, { "24 MB", 24000000 },
		{ "1.5G", (int64_t)3 << 29 }, { "1.5GiB", (int64_t)3 << 29 },
		{ "2GB", 2000000000 }, { "1T", (int64_t)1 << 40 },
		{ "1tb", 1000000000000 }, { "0.5K", 512 }, { "1.75", 1 },
		{ ".5M", 512 * 1024 }, { "1023.5k", 1048064 },
	};
	static const char *const bad[] = {
		"", "M", "0", "0K", "0.4", "-1M", "1.5.5M", "12Q", "1 M B",
		"1MiBs", "1e6", " 1M", "1M ", "8589934592G", "0x10",
	};
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		assert_int_equal(mp_settings_size(ok[i].text, &v), 0);
		assert_int_equal(v, ok[i].bytes);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mp_settings_size(bad[i], &v), -1);
}

/* MPROF_LIMIT and MPROF_LIMIT_ACTION: the value kept as written; a bad
 * one is no limit, a bad action is continue, one line each. */
static void test_limit(void **state)
{
	(void)state;
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.limit, 0);
	assert_int_equal(s.limit_abort, 0);
	set_env("MPROF_LIMIT", "24MiB");
	set_env("MPROF_LIMIT_ACTION", "abort");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.limit, 24 << 20);
	assert_string_equal(s.limit_text, "24MiB");
	assert_int_equal(s.limit_abort, 1);
	assert_int_equal(s.nwarn, 0);
	set_env("MPROF_LIMIT_ACTION", "continue");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.limit_abort, 0);
	set_env("MPROF_LIMIT", "lots");
	set_env("MPROF_LIMIT_ACTION", "Abort");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.limit, 0);
	assert_int_equal(s.limit_abort, 0);
	assert_int_equal(s.nwarn, 2);
	assert_string_equal(s.warn[0],
		"mprof: MPROF_LIMIT: invalid value 'lots' (accepted: a size: 512K, 24MiB, 1.5G, 100MB, bytes); using no limit");
	assert_string_equal(s.warn[1],
		"mprof: MPROF_LIMIT_ACTION: unknown value 'Abort' (accepted: continue, abort); using continue");
	set_env("MPROF_LIMIT", "1234567890123456789012345678901234567890");
	mp_settings_parse(&s, fake_getenv);
	assert_int_equal(s.limit, 0);
	assert_string_equal(s.limit_text, "");
}

static void test_expand_pid(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(mp_settings_expand(buf, sizeof(buf), "/tmp/p.%p.txt", 4321), 0);
	assert_string_equal(buf, "/tmp/p.4321.txt");
	assert_int_equal(mp_settings_expand(buf, sizeof(buf), "%p-%p", 7), 0);
	assert_string_equal(buf, "7-7");
}

/* %% is a percent sign; any other % stays as written. */
static void test_expand_percent(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(mp_settings_expand(buf, sizeof(buf), "a%%p%x%", 9), 0);
	assert_string_equal(buf, "a%p%x%");
}

/* An expansion that does not fit fails instead of truncating. */
static void test_expand_overflow(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(mp_settings_expand(buf, sizeof(buf), "ab%p", 123456), -1);
	assert_int_equal(mp_settings_expand(buf, sizeof(buf), "ab%p", 12345), 0);
	assert_string_equal(buf, "ab12345");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clear_env),
		cmocka_unit_test_setup(test_top, clear_env),
		cmocka_unit_test_setup(test_backend_names, clear_env),
		cmocka_unit_test_setup(test_backend_unknown, clear_env),
		cmocka_unit_test_setup(test_backend_case, clear_env),
		cmocka_unit_test_setup(test_empty_is_unset, clear_env),
		cmocka_unit_test_setup(test_output_stdout, clear_env),
		cmocka_unit_test_setup(test_output_file, clear_env),
		cmocka_unit_test_setup(test_output_too_long, clear_env),
		cmocka_unit_test_setup(test_precision_range, clear_env),
		cmocka_unit_test_setup(test_precision_out_of_range, clear_env),
		cmocka_unit_test_setup(test_precision_malformed, clear_env),
		cmocka_unit_test_setup(test_several_bad, clear_env),
		cmocka_unit_test_setup(test_long_bad_value, clear_env),
		cmocka_unit_test_setup(test_exact, clear_env),
		cmocka_unit_test_setup(test_include_children, clear_env),
		cmocka_unit_test_setup(test_columns, clear_env),
		cmocka_unit_test_setup(test_json_and_dat, clear_env),
		cmocka_unit_test_setup(test_json_and_dat_too_long, clear_env),
		cmocka_unit_test_setup(test_dat_funcs, clear_env),
		cmocka_unit_test_setup(test_dat_backend, clear_env),
		cmocka_unit_test_setup(test_limit_sizes, clear_env),
		cmocka_unit_test_setup(test_limit, clear_env),
		cmocka_unit_test_setup(test_expand_pid, clear_env),
		cmocka_unit_test_setup(test_expand_percent, clear_env),
		cmocka_unit_test_setup(test_expand_overflow, clear_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
