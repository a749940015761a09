/* SPDX-License-Identifier: MIT */
/*
 * test_html.c - the HTML report (report/html.c, html_out.c): escaping, the
 * structure of index.html and of a file page (rankings, links, anchors,
 * figures as the line table prints them, folded stretches, the optional
 * columns, a missing source), and that a failure leaves nothing behind.
 * tests/cli/t_html.sh checks the pages in a real browser.
 *
 * Sources and reports live in a fresh directory under /tmp made by the
 * group setup.  malloc and realloc are replaced (forwarding to glibc) so
 * a test can make every allocation after the n-th fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#define MP_TEST_FAILING_MALLOC
#include "helpers.h"

#include "html.h"
#include "profile.h"

#define MIB 1048576LL

static const char *path_of(const char *name)
{
	static char path[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof path[k], "%s/%s", scratch, name);
	return path[k];
}

/* A source file of `n` lines, "line <i>" each, line 24 with markup. */
static void put_source(const char *name, int n)
{
	FILE *f = fopen(path_of(name), "w");

	assert_non_null(f);
	for (int i = 1; i <= n; i++)
		if (i == 24)
			fprintf(f, "    p = malloc(n); /* a<b && \"c\" */\n");
		else
			fprintf(f, "line %d\n", i);
	assert_int_equal(fclose(f), 0);
}

/* A whole page, NUL-terminated, in a static buffer; NULL if unreadable. */
static const char *page(const char *path)
{
	static char buf[1 << 22];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	assert_true(n < sizeof buf - 1);
	buf[n] = '\0';
	return buf;
}

/* The escaped form of s, in a static buffer. */
static const char *escaped(const char *s, size_t len)
{
	static char buf[256];
	FILE *f;

	memset(buf, 0, sizeof buf);
	f = fmemopen(buf, sizeof buf, "w");

	assert_non_null(f);
	assert_int_equal(mp_html_escape(f, s, len), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_escape(void **state)
{
	(void)state;
	assert_string_equal(escaped("a<b>&\"c'", 8),
			    "a&lt;b&gt;&amp;&quot;c&#39;");
	assert_string_equal(escaped("plain text\tand tab", 18),
			    "plain text\tand tab");
	/* a form feed, a NUL and DEL show as control pictures */
	assert_string_equal(escaped("x\fy\0z\x7f", 6),
			    "x\xe2\x90\x8cy\xe2\x90\x80z\xe2\x90\xa1");
	/* UTF-8 and stray bytes pass as they are */
	assert_string_equal(escaped("\xc3\xa9\xff", 3), "\xc3\xa9\xff");
	assert_string_equal(escaped("", 0), "");
}

/*
 * Two functions of main.c (100 lines): grow() at 20-30, with a +8 MiB
 * line 24 and a -2 MiB line 26; small() at 80-85, +1 MiB on line 82; and
 * one of a file that does not exist, +3 MiB.  Heap-style exact figures.
 */
static void make_profile(struct mp_profile *p, const char *main_c)
{
	const struct mp_row grow[] = {
		{ .line = 20, .count = 2, .incr = 1 * MIB, .peak = 1 * MIB },
		{ .line = 24, .count = 2, .incr = 8 * MIB, .peak = 9 * MIB },
		{ .line = 25, .count = 2000, .incr = 0, .peak = 9 * MIB },
		{ .line = 26, .count = 2, .incr = -2 * MIB, .peak = 7 * MIB,
		  .allocs = 3, .allocated = 5 * MIB, .time_ns = 1500000 },
	};
	const struct mp_row small[] = {
		{ .line = 80, .count = 1, .incr = 7 * MIB, .peak = 7 * MIB },
		{ .line = 82, .count = 1, .incr = 1 * MIB, .peak = 8 * MIB },
	};
	const struct mp_row gone[] = {
		{ .line = 5, .count = 1, .incr = 0, .peak = 8 * MIB },
		{ .line = 6, .count = 1, .incr = 3 * MIB, .peak = 11 * MIB },
	};

	mp_profile_init(p);
	assert_int_equal(mp_profile_add_func(p, main_c, "", "grow", 20, 30,
					     grow, 4), 0);
	assert_int_equal(mp_profile_add_func(p, main_c, "", "small", 80, 85,
					     small, 2), 0);
	assert_int_equal(mp_profile_add_func(p, "gone&<x>.c", scratch,
					     "lost", 5, 7, gone, 2), 0);
	assert_int_equal(mp_profile_merge(p), 0);
}

/* make_profile() over a fresh scratch/main.c of 100 lines. */
static void main_profile(struct mp_profile *p)
{
	char main_c[512];

	snprintf(main_c, sizeof main_c, "%s", path_of("main.c"));
	put_source("main.c", 100);
	make_profile(p, main_c);
}

/* Write the report of `p` into scratch/out; 0 or -1 as the API says. */
static int report(const struct mp_profile *p, const char *curve)
{
	struct mp_html_opts o = { .precision = 1, .title = "t.json",
				  .backend = "heap", .pid = 42 };
	struct mp_html_dir *d;
	char err[256];

	o.curve = curve;
	d = mp_html_open(path_of("out"), err, sizeof err);
	if (!d)
		return -1;
	if (curve && !mp_html_stage(d, curve, err, sizeof err)) {
		mp_html_abort(d);
		return -1;
	}
	if (mp_html_write(d, p, &o, err, sizeof err)) {
		mp_html_abort(d);
		return -1;
	}
	return mp_html_commit(d, err, sizeof err);
}

/* The number of times `needle` occurs in `hay`. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

static void test_index(void **state)
{
	struct mp_profile p;
	const char *html, *top, *funcs;

	(void)state;
	main_profile(&p);
	assert_int_equal(report(&p, "memory.svg"), 0);
	html = page(path_of("out/index.html"));
	assert_non_null(html);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	/* self-contained: no script, nothing fetched but the curve */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "http"));
	assert_int_equal(count(html, " src=\""), 1);
	assert_non_null(strstr(html, "<img class=\"curve\" src=\"memory.svg\""));
	assert_non_null(strstr(html, "process 42 \xc2\xb7 backend heap"));

	/* top lines: +8 (main.c:24), +3 (gone:6), +1 (main.c:82); the
	 * signature rows (+1, +7) and the negative row are left out */
	top = strstr(html, "id=\"top-lines\"");
	funcs = strstr(html, "id=\"func-table\"");
	assert_non_null(top);
	assert_non_null(funcs);
	assert_true(strstr(top, "main.c.html#L24\">main.c:24<") <
		    strstr(top, "#L6\">gone&amp;&lt;x&gt;.c:6<"));
	assert_true(strstr(top, "#L6\">gone&amp;&lt;x&gt;.c:6<") <
		    strstr(top, "main.c.html#L82\">main.c:82<"));
	assert_true(strstr(top, "main.c.html#L82") < funcs);
	assert_true(!strstr(top, "#L20\"") || strstr(top, "#L20\"") > funcs);
	assert_true(!strstr(top, "#L80\"") || strstr(top, "#L80\"") > funcs);
	assert_true(!strstr(top, "#L26\"") || strstr(top, "#L26\"") > funcs);
	/* figures as the table prints them, escaped source */
	assert_non_null(strstr(top, "<td class=\"i p h\"><i style=\"width:100.0%\"></i>8.0 MiB</td><td>2</td>"));
	assert_non_null(strstr(top, "p = malloc(n); /* a&lt;b &amp;&amp; &quot;c&quot; */"));

	/* functions: grow (largest +8), lost (+3), small (+1) */
	assert_true(strstr(funcs, ">grow<") < strstr(funcs, ">lost<"));
	assert_true(strstr(funcs, ">lost<") < strstr(funcs, ">small<"));
	/* grow's net: +8 + 0 - 2 = 6 MiB; 2 calls */
	assert_non_null(strstr(funcs, "main.c:20</td><td>2</td>"));
	assert_non_null(strstr(funcs, "<td>6.0 MiB</td><td>9.0 MiB</td>"));
	/* files: the missing one says so, its name escaped */
	assert_non_null(strstr(html, "gone&amp;&lt;x&gt;.c</code></a> \xe2\x80\x94 1 function (source not found)"));
	/* no optional columns in this profile */
	assert_null(strstr(html, "<th>Allocs</th>"));
	mp_profile_free(&p);
	dir_remove(path_of("out"));
}

static void test_file_page(void **state)
{
	struct mp_profile p;
	const char *html;

	(void)state;
	main_profile(&p);
	assert_int_equal(report(&p, NULL), 0);
	assert_int_equal(access(path_of("out/memory.svg"), F_OK), -1);
	html = page(path_of("out/main.c.html"));
	assert_non_null(html);
	/* every shown line has its anchor: 15..35 and 75..90 with context;
	 * the 39 lines between are folded, the 14 before and 10 after not */
	assert_null(strstr(html, "lines 1\xe2\x80\x93"));
	assert_non_null(strstr(html, "<tr id=\"L1\" class=\"d\">"));
	assert_non_null(strstr(html, "<tr id=\"L35\" class=\"d\">"));
	assert_null(strstr(html, "id=\"L36\""));
	assert_non_null(strstr(html, "\xe2\x8b\xaf lines 36\xe2\x80\x93" "74 not shown"));
	assert_non_null(strstr(html, "<tr id=\"L75\" class=\"d\">"));
	assert_non_null(strstr(html, "<tr id=\"L100\" class=\"d\">"));
	assert_int_equal(count(html, "<tr id=\"L"), 35 + 26);
	/* a line with figures: number link, Mem usage, bar, Occurrences */
	assert_non_null(strstr(html, "<tr id=\"L24\"><td class=\"ln\"><a href=\"#L24\">24</a></td><td>9.0 MiB</td><td class=\"i p h\"><i style=\"width:100.0%\"></i>8.0 MiB</td><td>2</td><td class=\"s\">    p = malloc(n); /* a&lt;b &amp;&amp; &quot;c&quot; */</td></tr>"));
	/* negative: the other colour, a quarter of the scale */
	assert_non_null(strstr(html, "<td class=\"i n h\"><i style=\"width:25.0%\"></i>-2.0 MiB</td><td>2</td>"));
	/* the signature row has no bar; a function heading links back */
	assert_non_null(strstr(html, "<td>1.0 MiB</td><td class=\"i g\">1.0 MiB</td><td>2</td><td class=\"s\">line 20</td>"));
	assert_non_null(strstr(html, "<tr class=\"fn\"><td colspan=\"5\"><a href=\"index.html#fn-0\">grow</a> \xe2\x80\x94 2 calls, net 6.0 MiB"));
	mp_profile_free(&p);

	/* the missing source: rows shown, the note, no context lines */
	html = page(path_of("out/gone__x_.c.html"));
	assert_non_null(html);
	assert_non_null(strstr(html, "mprof: source file 'gone&amp;&lt;x&gt;.c' not found (also looked in '"));
	assert_non_null(strstr(html, "<tr id=\"L6\"><td class=\"ln\"><a href=\"#L6\">6</a></td><td>11.0 MiB</td>"));
	assert_int_equal(count(html, "<tr id=\"L"), 3);
	dir_remove(path_of("out"));
}

static void test_columns(void **state)
{
	struct mp_profile p;
	const char *html;

	(void)state;
	main_profile(&p);
	p.columns = MP_COL_TIME | MP_COL_ALLOCS;
	assert_int_equal(report(&p, NULL), 0);
	html = page(path_of("out/main.c.html"));
	assert_non_null(html);
	assert_non_null(strstr(html, "<th>Occurrences</th><th>Time</th><th>Allocs</th><th>Allocated</th><th class=\"t\">Line Contents</th>"));
	assert_null(strstr(html, "<th>Leaked</th>"));
	assert_non_null(strstr(html, "<td>2</td><td>1.5 ms</td><td>3</td><td>5.0 MiB</td>"));
	assert_non_null(strstr(html, "<td colspan=\"6\"></td>"));
	mp_profile_free(&p);
	dir_remove(path_of("out"));
}

/* A long file is cut into pages where a function starts. */
static void test_parts(void **state)
{
	const struct mp_row a[] = { { .line = 1, .count = 1 },
				    { .line = 2000, .count = 1, .incr = MIB } };
	const struct mp_row b[] = { { .line = 3001, .count = 1 },
				    { .line = 3002, .count = 1, .incr = 2 * MIB } };
	const struct mp_row c[] = { { .line = 6001, .count = 1 },
				    { .line = 8000, .count = 1, .incr = 3 * MIB } };
	struct mp_profile p;
	const char *html;
	char main_c[512];

	(void)state;
	snprintf(main_c, sizeof main_c, "%s", path_of("long.c"));
	put_source("long.c", 9000);
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, main_c, "", "a", 1, 3000, a, 2), 0);
	assert_int_equal(mp_profile_add_func(&p, main_c, "", "b", 3001, 6000, b, 2), 0);
	assert_int_equal(mp_profile_add_func(&p, main_c, "", "c", 6001, 9000, c, 2), 0);
	assert_int_equal(report(&p, NULL), 0);
	html = page(path_of("out/index.html"));
	assert_non_null(html);
	/* lines 1-6000 on the first page, c's on the second */
	assert_non_null(strstr(html, "<a href=\"long.c~p2.html#L8000\">long.c:8000<"));
	assert_non_null(strstr(html, "<a href=\"long.c.html#L3002\">long.c:3002<"));
	assert_non_null(strstr(html, "long.c</code></a> \xe2\x80\x94 3 functions, 2 pages"));
	html = page(path_of("out/long.c~p2.html"));
	assert_non_null(html);
	assert_non_null(strstr(html, "lines 6001\xe2\x80\x93" "9000, page 2 of 2 \xc2\xb7 <a href=\"long.c.html\">previous</a>"));
	assert_non_null(strstr(html, "<tr id=\"L6001\">"));
	assert_non_null(strstr(html, "<tr id=\"L9000\" class=\"d\">"));
	assert_null(strstr(html, "id=\"L6000\""));
	assert_int_equal(access(path_of("out/long.c~p3.html"), F_OK), -1);
	mp_profile_free(&p);
	dir_remove(path_of("out"));
}

/* An existing directory keeps what it had; one made here is removed. */
static void test_abort(void **state)
{
	struct mp_html_dir *d;
	struct stat st;
	char err[256];

	(void)state;
	d = mp_html_open(path_of("new"), err, sizeof err);
	assert_non_null(d);
	assert_non_null(mp_html_stage(d, "index.html", err, sizeof err));
	mp_html_abort(d);
	assert_int_equal(stat(path_of("new"), &st), -1);

	assert_int_equal(mkdir(path_of("old"), 0777), 0);
	d = mp_html_open(path_of("old"), err, sizeof err);
	assert_non_null(d);
	assert_non_null(mp_html_stage(d, "a.html", err, sizeof err));
	mp_html_abort(d);
	assert_int_equal(rmdir(path_of("old")), 0);

	/* a file in the way, a missing parent: one line each */
	put_source("plain", 1);
	assert_null(mp_html_open(path_of("plain"), err, sizeof err));
	assert_non_null(strstr(err, "plain' is not a directory"));
	assert_null(mp_html_open(path_of("no/such"), err, sizeof err));
	assert_non_null(strstr(err, "cannot create directory '"));
	assert_non_null(strstr(err, "No such file or directory"));
	unlink(path_of("plain"));
}

/* Whichever allocation fails, the report is whole or absent. */
static void test_out_of_memory(void **state)
{
	struct mp_profile p;
	struct stat st;
	int rc, failures = 0;

	(void)state;
	if (!faults_work())
		skip();
	main_profile(&p);
	for (long n = 0; n < 400; n++) {
		fail_after = n;
		rc = report(&p, NULL);
		fail_after = -1;
		if (rc == 0) {
			assert_int_equal(access(path_of("out/index.html"), F_OK), 0);
			assert_int_equal(access(path_of("out/main.c.html"), F_OK), 0);
			dir_remove(path_of("out"));
			break;
		}
		failures++;
		assert_int_equal(stat(path_of("out"), &st), -1);
	}
	assert_true(failures > 5);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_file_page),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
