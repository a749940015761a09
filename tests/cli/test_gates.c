/* SPDX-License-Identifier: MIT */
/*
 * test_gates.c - what `mprof check` and `mprof diff` share (cli/gates.h):
 * limits, the budget parser (each bad line one "file:line: message", the
 * rest still read), which budget rule applies to a function, and the
 * matching of a baseline's lines to a new run's across edits.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "gates.h"

/* util.c's error() prints the usage of the command it names. */
const char *usage_of(const char *name)
{
	(void)name;
	return "";
}

/* Parse text into b; what it printed is in *msgs (malloc'd). */
static long parse(struct budget *b, const char *text, char **msgs)
{
	size_t len = 0;
	FILE *errs = open_memstream(msgs, &len);
	long bad;

	assert_non_null(errs);
	memset(b, 0, sizeof *b);
	b->name = "b.txt";
	bad = budget_parse(b, text, strlen(text), errs);
	assert_int_equal(fclose(errs), 0);
	return bad;
}

/* Sizes, none and (for growth only) percentages. */
static void test_limit_parse(void **state)
{
	struct limit l;
	char buf[32];

	(void)state;
	assert_int_equal(limit_parse("24MiB", 0, &l), 0);
	assert_int_equal(l.kind, LIMIT_BYTES);
	assert_int_equal(l.value, 24 << 20);
	assert_string_equal(limit_format(buf, sizeof buf, &l), "24.0 MiB");
	assert_int_equal(limit_parse("none", 0, &l), 0);
	assert_int_equal(l.kind, LIMIT_NONE);
	assert_int_equal(limit_parse("10%", 1, &l), 0);
	assert_int_equal(l.kind, LIMIT_PCT);
	assert_int_equal(l.value, 1000);
	assert_string_equal(limit_format(buf, sizeof buf, &l), "10%");
	assert_int_equal(limit_parse("2.5%", 1, &l), 0);
	assert_int_equal(l.value, 250);
	assert_string_equal(limit_format(buf, sizeof buf, &l), "2.50%");
	assert_int_equal(limit_parse("10%", 0, &l), -1);
	assert_int_equal(limit_parse("%", 1, &l), -1);
	assert_int_equal(limit_parse(".%", 1, &l), -1);
	assert_int_equal(limit_parse("1.234%", 1, &l), -1);
	assert_int_equal(limit_parse("-5%", 1, &l), -1);
	assert_int_equal(limit_parse("5 MiBs", 0, &l), -1);
}

/* A percentage allows a share of a positive baseline, nothing over 0. */
static void test_limit_allowed(void **state)
{
	struct limit l;

	(void)state;
	assert_int_equal(limit_parse("10%", 1, &l), 0);
	assert_int_equal(limit_allowed(&l, 1000), 100);
	assert_int_equal(limit_allowed(&l, 0), 0);
	assert_int_equal(limit_allowed(&l, -4096), 0);
	assert_int_equal(limit_parse("1K", 1, &l), 0);
	assert_int_equal(limit_allowed(&l, -4096), 1024);
	assert_int_equal(limit_parse("none", 1, &l), 0);
	assert_true(limit_allowed(&l, 5) == INT64_MAX);
}

/* Rules, several on a line, comments and blank lines, CRLF. */
static void test_budget_good(void **state)
{
	struct budget b;
	char *msgs;

	(void)state;
	assert_int_equal(parse(&b, "# limits\n\n"
			       "function parse_row max-line 2MiB\n"
			       "file src/cache.c max-peak 64MiB max-line none  # ok\r\n"
			       "\tfunction  *  max-growth 10%", &msgs), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(b.n, 4);
	assert_int_equal(b.rules[0].is_file, 0);
	assert_string_equal(b.rules[0].glob, "parse_row");
	assert_int_equal(b.rules[0].rule, RULE_LINE);
	assert_int_equal(b.rules[0].limit.value, 2 << 20);
	assert_int_equal(b.rules[0].line, 3);
	assert_int_equal(b.rules[1].is_file, 1);
	assert_int_equal(b.rules[1].rule, RULE_PEAK);
	assert_int_equal(b.rules[2].rule, RULE_LINE);
	assert_int_equal(b.rules[2].limit.kind, LIMIT_NONE);
	assert_int_equal(b.rules[2].line, 4);
	assert_string_equal(b.rules[3].glob, "*");
	assert_int_equal(b.rules[3].limit.kind, LIMIT_PCT);
	assert_int_equal(b.rules[3].line, 5);
	free(msgs);
	budget_free(&b);
}

/* Each bad line is one message, skipped whole; the rest is read. */
static void test_budget_errors(void **state)
{
	struct budget b;
	char *msgs;

	(void)state;
	assert_int_equal(parse(&b, "function a max-line 1M\n"
			       "functoin b max-line 1M\n"
			       "function c max-lines 1M\n"
			       "function d max-line 1.5Q max-peak 1M\n"
			       "function e max-line\n"
			       "function f\n"
			       "file\n"
			       "function g max-peak 10%\n"
			       "function h max-line 1M max-peak 2M max-growth 3M max-line 4M\n"
			       "file z.c max-peak 5M\n", &msgs), 8);
	assert_string_equal(msgs,
		"b.txt:2: expected 'function' or 'file', not 'functoin'\n"
		"b.txt:3: unknown rule 'max-lines' (max-line, max-peak or max-growth)\n"
		"b.txt:4: 'max-line' takes a size (512K, 24MiB, 1.5G) or 'none', not '1.5Q'\n"
		"b.txt:5: 'max-line' without a limit\n"
		"b.txt:6: 'function f' without a rule (max-line, max-peak or max-growth)\n"
		"b.txt:7: 'file' without a name or glob\n"
		"b.txt:8: 'max-peak' takes a size (512K, 24MiB, 1.5G) or 'none', not '10%'\n"
		"b.txt:9: too many rules on one line ('max-line 4M')\n");
	assert_int_equal(b.n, 2);
	assert_string_equal(b.rules[0].glob, "a");
	assert_string_equal(b.rules[1].glob, "z.c");
	assert_int_equal(b.rules[1].line, 10);
	free(msgs);
	budget_free(&b);
}

/* A NUL byte spoils its line only. */
static void test_budget_nul(void **state)
{
	static const char text[] = "function a\0 max-line 1M\nfile b.c max-peak 1M\n";
	struct budget b = { .name = "b.txt" };
	char *msgs = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&msgs, &len);

	(void)state;
	assert_int_equal(budget_parse(&b, text, sizeof text - 1, errs), 1);
	fclose(errs);
	assert_string_equal(msgs, "b.txt:1: NUL byte in the line\n");
	assert_int_equal(b.n, 1);
	free(msgs);
	budget_free(&b);
}

/* A function rule beats a file rule; the last matching line wins. */
static void test_budget_find(void **state)
{
	struct mp_func f = { .file = "src/cache.c", .dir = "/home/me/proj",
			     .name = "cache_put" };
	struct mp_func g = { .file = "main.c", .dir = "", .name = "main" };
	struct budget b;
	char *msgs;

	(void)state;
	assert_int_equal(parse(&b, "file *.c max-line 1M\n"
			       "function cache_* max-line 2M\n"
			       "file cache.c max-line 3M max-peak 30M\n"
			       "file /home/me/proj/src/* max-peak 40M\n"
			       "function cache_put max-growth 5%\n", &msgs), 0);
	assert_int_equal(budget_find(&b, RULE_LINE, &f)->line, 2);
	assert_int_equal(budget_find(&b, RULE_PEAK, &f)->line, 4);
	assert_int_equal(budget_find(&b, RULE_GROWTH, &f)->line, 5);
	assert_int_equal(budget_find(&b, RULE_LINE, &g)->line, 1);
	assert_null(budget_find(&b, RULE_PEAK, &g));
	assert_null(budget_find(NULL, RULE_PEAK, &g));
	free(msgs);
	budget_free(&b);
}

static char dir[] = "/tmp/mprof-gates.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char base_src[] =
	"int f(void)\n"		/* 1 */
	"{\n"
	"\tint *a = g(1);\n"	/* 3 */
	"\tint *b = g(2);\n"	/* 4 */
	"\treturn h(a, b);\n"	/* 5 */
	"}\n";

/*
 * By text: inserted lines move the rest, an edited line is paired with
 * what it was, the signature always matches.
 */
static void test_match_text(void **state)
{
	static const char new_src[] =
		"/* new */\n"
		"int f(void)\n"		/* 2 */
		"{\n"
		"\tint pad = 0;\n"	/* 4: inserted */
		"\tint *a = g(1);\n"	/* 5 */
		"\tint *b = g(20);\n"	/* 6: edited */
		"\t  return h(a, b);\n"	/* 7: re-indented */
		"}\n";
	struct mp_row br[] = { { .line = 1, .count = 1 },
			       { .line = 3, .count = 1 } };
	struct mp_func bf = { .file = "base/f.c", .dir = dir, .name = "f",
			      .first_line = 1, .last_line = 6, .rows = br,
			      .nrows = 2 };
	struct mp_func nf = { .file = "new/f.c", .dir = dir, .name = "f",
			      .first_line = 2, .last_line = 8 };
	struct line_map m = { 0 };
	char path[256];

	(void)state;
	snprintf(path, sizeof path, "%s/base", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/new", dir);
	mkdir(path, 0700);
	write_file("base/f.c", base_src);
	write_file("new/f.c", new_src);
	assert_int_equal(match_lines(&bf, &nf, &m), 0);
	assert_int_equal(m.by_text, 1);
	assert_int_equal(line_map_get(&m, 1), 2);
	assert_int_equal(line_map_get(&m, 2), 3);
	assert_int_equal(line_map_get(&m, 3), 5);
	assert_int_equal(line_map_get(&m, 4), 6);
	assert_int_equal(line_map_get(&m, 5), 7);
	assert_int_equal(line_map_get(&m, 6), 8);
	assert_int_equal(line_map_get(&m, 7), 0);
	assert_int_equal(line_map_base(&m, 4), 0);
	assert_int_equal(line_map_base(&m, 6), 4);
	assert_ptr_equal(find_row(&bf, 3), &br[1]);
	assert_null(find_row(&bf, 2));
	line_map_free(&m);
	source_cache_free();
}

/* One file for both runs (edited in place): by distance from the signature. */
static void test_match_distance(void **state)
{
	struct mp_func bf = { .file = "same.c", .dir = dir, .name = "f",
			      .first_line = 1, .last_line = 6 };
	struct mp_func nf = { .file = "same.c", .dir = dir, .name = "f",
			      .first_line = 11, .last_line = 14 };
	struct line_map m = { 0 };

	(void)state;
	write_file("same.c", base_src);
	assert_int_equal(match_lines(&bf, &nf, &m), 0);
	assert_int_equal(m.by_text, 0);
	assert_int_equal(line_map_get(&m, 1), 11);
	assert_int_equal(line_map_get(&m, 4), 14);
	assert_int_equal(line_map_get(&m, 5), 0);
	line_map_free(&m);
	source_cache_free();
}

/* A profile's saved text is the baseline's, whatever the file holds now. */
static void test_match_saved(void **state)
{
	struct mp_func bf = { .file = "same.c", .dir = dir, .name = "f",
			      .first_line = 1, .last_line = 4,
			      .source = "int f(void)\n{\n\treturn 1;\n}\n",
			      .source_len = 27 };
	struct mp_func nf = { .file = "same.c", .dir = dir, .name = "f",
			      .first_line = 1, .last_line = 6 };
	struct line_map m = { 0 };

	(void)state;
	write_file("same.c", "int f(void)\n{\n\tint x = 0;\n\tint y = 0;\n\treturn 1;\n}\n");
	assert_int_equal(match_lines(&bf, &nf, &m), 0);
	assert_int_equal(m.by_text, 1);
	assert_int_equal(line_map_get(&m, 3), 5);
	assert_int_equal(line_map_get(&m, 4), 6);
	line_map_free(&m);
	/* the same file read for many functions is read once */
	write_file("same.c", "changed\n");
	assert_int_equal(match_lines(&bf, &nf, &m), 0);
	assert_int_equal(line_map_get(&m, 3), 5);
	line_map_free(&m);
	source_cache_free();
}

/* Functions: name and file, else the only one of that name. */
static void test_match_func(void **state)
{
	struct mp_func funcs[] = {
		{ .file = "a.c", .dir = "", .name = "f" },
		{ .file = "b.c", .dir = "", .name = "f" },
		{ .file = "b.c", .dir = "", .name = "g" },
	};
	struct mp_profile base = { .funcs = funcs, .nfuncs = 3 };
	struct mp_func f = { .file = "b.c", .name = "f" };
	struct mp_func f2 = { .file = "c.c", .name = "f" };
	struct mp_func g = { .file = "moved/b.c", .name = "g" };
	struct mp_func h = { .file = "b.c", .name = "h" };

	(void)state;
	assert_ptr_equal(match_func(&base, &f), &funcs[1]);
	assert_null(match_func(&base, &f2));
	assert_ptr_equal(match_func(&base, &g), &funcs[2]);
	assert_null(match_func(&base, &h));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_parse),
		cmocka_unit_test(test_limit_allowed),
		cmocka_unit_test(test_budget_good),
		cmocka_unit_test(test_budget_errors),
		cmocka_unit_test(test_budget_nul),
		cmocka_unit_test(test_budget_find),
		cmocka_unit_test(test_match_text),
		cmocka_unit_test(test_match_distance),
		cmocka_unit_test(test_match_saved),
		cmocka_unit_test(test_match_func),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
