/* SPDX-License-Identifier: MIT */
/*
 * test_table.c - the line table (report/table.c): memory_profiler's format
 * to the byte, source lookup and the missing-file note, write and
 * allocation failures.
 *
 * Expected tables are written out literally; test_matches_memory_profiler
 * also feeds the same figures to Python's memory_profiler.show_results()
 * (tests/unit/report_vs_python.py) and fails on any differing byte.  It is
 * skipped only when memory_profiler cannot be imported.
 *
 * Source files live in a fresh directory under /tmp made by the group
 * setup.  malloc and realloc are replaced (forwarding to glibc) so a test
 * can make every allocation after the n-th fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#define MP_TEST_FAILING_MALLOC
#include "helpers.h"

#include "profile.h"

#define MIB 1048576LL

static char tmpdir[] = "/tmp/mprof-test-report-XXXXXX";
static char made[32][256];
static int nmade;

/* Write `text` to tmpdir/name; returns the full path (static storage). */
static const char *put_file(const char *name, const char *text)
{
	char *path = made[nmade++];
	FILE *f;

	assert_true(nmade <= 32);
	snprintf(path, sizeof made[0], "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char casefile[512];

	(void)state;
	while (nmade > 0)
		unlink(made[--nmade]);
	snprintf(casefile, sizeof casefile, "%s/case.txt", tmpdir);
	unlink(casefile);
	return rmdir(tmpdir);
}

/* Add one function; rows are given as (line, count, incr, peak) quads. */
static void add(struct mp_profile *p, const char *file, const char *dir,
		const char *name, int first, int last, size_t n, ...)
{
	struct mp_row rows[64];
	va_list ap;

	assert_true(n <= 64);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		rows[i].line = va_arg(ap, int);
		rows[i].count = va_arg(ap, uint64_t);
		rows[i].incr = va_arg(ap, int64_t);
		rows[i].peak = va_arg(ap, int64_t);
	}
	va_end(ap);
	assert_int_equal(mp_profile_add_func(p, file, dir, name, first, last,
					     rows, n), 0);
}

#define ROW(line, count, incr, peak) \
	(int)(line), (uint64_t)(count), (int64_t)(incr), (int64_t)(peak)

/* The report of `p` with `opts` as a string the caller frees.  Not
   inlined: GCC 12 at -O3 takes the memstream's buffer, once the address
   of `buf` has escaped, for a pointer to `buf` itself (-Wdangling-pointer). */
static __attribute__((noinline)) char *render_opts(const struct mp_profile *p,
			 const struct mp_report_opts *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(mp_report_print(out, p, opts), 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The report of `p` at `precision`. */
static char *render(const struct mp_profile *p, int precision)
{
	struct mp_report_opts opts = { .precision = precision };

	return render_opts(p, &opts);
}

#define HEADER \
	"Line #    Mem usage    Increment  Occurrences   Line Contents\n" \
	"=============================================================\n"

static const char *three_lines = "int f(void)\n{\n\treturn 0;\n}\n";

/* The default precision (1): header, '=' rule, rows, two newlines. */
static void test_precision_1(void **state)
{
	const char *src = put_file("p1.c", three_lines);
	struct mp_profile p;
	char *got, want[1024];

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 4, 2, ROW(1, 1, 5 * MIB, 5 * MIB),
	    ROW(3, 1, MIB / 2, 5 * MIB + MIB / 2));
	got = render(&p, 1);
	snprintf(want, sizeof want, "Filename: %s\n\n" HEADER
		 "     1      5.0 MiB      5.0 MiB           1   int f(void)\n"
		 "     2                                         {\n"
		 "     3      5.5 MiB      0.5 MiB           1   \treturn 0;\n"
		 "     4                                         }\n"
		 "\n\n", src);
	assert_string_equal(got, want);
	free(got);
	mp_profile_free(&p);
}

/* Render one row of figures at `precision` and return its text. */
static char *one_row(int precision, int64_t incr, int64_t peak,
		     uint64_t count)
{
	const char *src = put_file("row.c", "x\n");
	struct mp_profile p;
	char *got, *row;

	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 1, 1, ROW(1, count, incr, peak));
	got = render(&p, precision);
	mp_profile_free(&p);
	row = strstr(got, "=\n");
	assert_non_null(row);
	row = strdup(row + 2);
	free(got);
	assert_non_null(row);
	nmade--;		/* row.c is rewritten by the next call */
	unlink(src);
	return row;
}

/* Precision 0: width 4, no decimal point; ties round to even. */
static void test_precision_0(void **state)
{
	char *row = one_row(0, MIB / 2, 3 * MIB / 2, 7);

	(void)state;
	assert_string_equal(row,
		"     1        2 MiB        0 MiB           7   x\n\n\n");
	free(row);
}

/* Precision 3: width 7. */
static void test_precision_3(void **state)
{
	char *row = one_row(3, MIB / 16, 10 * MIB + MIB / 8, 2);

	(void)state;
	assert_string_equal(row,
		"     1   10.125 MiB    0.062 MiB           2   x\n\n\n");
	free(row);
}

/* Precision 6: width 10 pushes the columns; one byte is visible. */
static void test_precision_6(void **state)
{
	char *row = one_row(6, 1, 1 * MIB + 8192, 1);

	(void)state;
	assert_string_equal(row,
		"     1   1.007812 MiB   0.000001 MiB           1   x\n\n\n");
	free(row);
}

/* ---- the optional columns --------------------------------------------- */

#define HEADER_ALL \
	"Line #    Mem usage    Increment  Occurrences      Time  % Time" \
	"     Allocs    Allocated         Peak       Leaked   Line Contents\n"

/* The report of `p` with opts.columns = `cols`, as a string to free. */
static char *render_cols(const struct mp_profile *p, unsigned cols)
{
	struct mp_report_opts opts = { .precision = 1, .columns = cols };

	return render_opts(p, &opts);
}

/* f(): a signature row holding the call's totals and one line. */
static void add_extra_func(struct mp_profile *p, const char *src)
{
	const struct mp_row rows[] = {
		{ .line = 1, .count = 1, .incr = 0, .peak = 0,
		  .time_ns = 2000000, .allocs = 1001, .allocated = 65 * MIB,
		  .rise = 64 * MIB, .leaked = 3 * MIB },
		{ .line = 3, .count = 1001, .incr = 0, .peak = 0,
		  .time_ns = 1500000, .allocs = 1000, .allocated = MIB,
		  .rise = 1024, .leaked = 3 * MIB },
	};

	assert_int_equal(mp_profile_add_func(p, src, "", "f", 1, 4, rows, 2),
			 0);
	p->funcs[p->nfuncs - 1].leaked_blocks = 3;
}

/* Every column: titles right-aligned over their figures, after
 * Occurrences, blank under lines without a row; % Time of the signature
 * row's Time; the Leaked summary under the table. */
static void test_columns_all(void **state)
{
	const char *src = put_file("cols.c", three_lines);
	struct mp_profile p;
	char *got, want[2048], rule[256], blank2[128], blank4[128];
	size_t n = strlen(HEADER_ALL) - 1;

	(void)state;
	memset(rule, '=', n);
	rule[n] = '\0';
	/* a line without a row: its number, then blanks up to the source */
	snprintf(blank2, sizeof blank2, "%6d%*s", 2, 6 + 104, "");
	snprintf(blank4, sizeof blank4, "%6d%*s", 4, 6 + 104, "");
	mp_profile_init(&p);
	add_extra_func(&p, src);
	p.columns = MP_COL_ALL;
	got = render_cols(&p, 0);
	snprintf(want, sizeof want, "Filename: %s\n\n%s%s\n"
		 "     1      0.0 MiB      0.0 MiB           1     2.0 ms   100.0       1001     65.0 MiB     64.0 MiB      3.0 MiB   int f(void)\n"
		 "%s{\n"
		 "     3      0.0 MiB      0.0 MiB        1001     1.5 ms    75.0       1000      1.0 MiB      0.0 MiB      3.0 MiB   \treturn 0;\n"
		 "%s}\n"
		 "Leaked: 3.0 MiB in 3 blocks\n"
		 "\n\n", src, HEADER_ALL, rule, blank2, blank4);
	assert_string_equal(got, want);
	free(got);
	mp_profile_free(&p);
}

/* A subset: only the columns asked for, among those recorded; the first
 * title after Occurrences is one narrower (that title overflows). */
static void test_columns_subset(void **state)
{
	const char *src = put_file("sub.c", three_lines);
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add_extra_func(&p, src);
	p.columns = MP_COL_TIME | MP_COL_PEAK;
	got = render_cols(&p, MP_COL_PEAK | MP_COL_LEAKED);
	assert_non_null(strstr(got,
		"Line #    Mem usage    Increment  Occurrences        Peak   Line Contents\n"
		"=========================================================================\n"
		"     1      0.0 MiB      0.0 MiB           1     64.0 MiB   int f(void)\n"));
	assert_null(strstr(got, "Leaked"));
	free(got);
	got = render_cols(&p, 0);
	assert_non_null(strstr(got,
		"Occurrences      Time  % Time         Peak   Line Contents\n"));
	free(got);
	/* no column recorded: memory_profiler's table whatever is asked */
	p.columns = 0;
	got = render_cols(&p, MP_COL_ALL);
	assert_non_null(strstr(got, HEADER));
	free(got);
	mp_profile_free(&p);
}

/* The Time of one row with `ns`, as the table prints it. */
static char *time_of(uint64_t ns, uint64_t total)
{
	const char *src = put_file("time.c", "x\ny\n");
	const struct mp_row rows[] = {
		{ .line = 1, .count = 1, .time_ns = total },
		{ .line = 2, .count = 1, .time_ns = ns },
	};
	struct mp_profile p;
	char *got, *row, *end;

	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, src, "", "f", 1, 2, rows, 2),
			 0);
	p.columns = MP_COL_TIME;
	got = render_cols(&p, 0);
	mp_profile_free(&p);
	row = strstr(got, "\n     2 ");
	assert_non_null(row);
	row += strlen("\n     2 ") + 12 + 1 + 12 + 2 + 10 + 1;
	end = strstr(row, "   y");
	assert_non_null(end);
	*end = '\0';
	row = strdup(row);
	free(got);
	nmade--;
	unlink(src);
	return row;
}

/* Time's units: ns below a microsecond, else one decimal of us, ms or s,
 * rounded half up, the unit going up when the rounding reaches 1000;
 * % Time with one decimal; figures right-aligned in 10 and 7. */
static void test_columns_time_units(void **state)
{
	static const struct {
		uint64_t ns, total;
		const char *text;
	} cases[] = {
		{ 0, 0, "      0 ns        " },
		{ 999, 1000, "    999 ns    99.9" },
		{ 1000, 3000, "    1.0 us    33.3" },
		{ 1049, 1049, "    1.0 us   100.0" },
		{ 1050, 2100, "    1.1 us    50.0" },
		{ 999949, 999949, "  999.9 us   100.0" },
		{ 999950, 999950, "    1.0 ms   100.0" },
		{ 200000000, 400000000, "  200.0 ms    50.0" },
		{ 1500000000, 1500000000, "     1.5 s   100.0" },
		{ 5000000000000ull, 5000000000000ull, "  5000.0 s   100.0" },
		{ 1, 3, "      1 ns    33.3" },
		{ 2, 3, "      2 ns    66.7" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = time_of(cases[i].ns, cases[i].total);

		assert_string_equal(t, cases[i].text);
		free(t);
	}
}

/* No options mean precision 1; out-of-range precisions are clamped. */
static void test_default_and_clamped_precision(void **state)
{
	const char *src = put_file("opts.c", "x\n");
	struct mp_profile p;
	char *def, *big, *neg, *buf = NULL;
	size_t len;
	FILE *out;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 1, 1, ROW(1, 1, MIB, MIB));
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(mp_report_print(out, &p, NULL), 0);
	assert_int_equal(fclose(out), 0);
	def = strstr(buf, "=\n");
	big = render(&p, 99);
	neg = render(&p, -3);
	assert_non_null(def);
	assert_string_equal(def + 2,
		"     1      1.0 MiB      1.0 MiB           1   x\n\n\n");
	assert_non_null(strstr(big,
		"     1   1.0000000000 MiB   1.0000000000 MiB  "));
	assert_non_null(strstr(neg, "     1        1 MiB        1 MiB "));
	free(buf);
	free(big);
	free(neg);
	mp_profile_free(&p);
}

/* Figures ignore the program's locale: a decimal point, never a comma. */
static void test_locale_independent(void **state)
{
	static const char *const comma_locales[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
		"de_DE", "fr_FR",
	};
	char *row = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof comma_locales / sizeof *comma_locales;
	     i++)
		if (setlocale(LC_NUMERIC, comma_locales[i]))
			break;
	if (strcmp(localeconv()->decimal_point, ",") != 0) {
		setlocale(LC_NUMERIC, "C");
		skip();
	}
	row = one_row(1, MIB / 2, 3 * MIB / 2, 1);
	setlocale(LC_NUMERIC, "C");
	assert_string_equal(row,
		"     1      1.5 MiB      0.5 MiB           1   x\n\n\n");
	free(row);
}

/* Negative increments keep their sign, and a tiny one prints -0.0. */
static void test_negative_increment(void **state)
{
	char *big = one_row(1, -3 * MIB - MIB / 5, 2 * MIB, 1);
	char *tiny = one_row(1, -1, 2 * MIB, 1);

	(void)state;
	assert_string_equal(big,
		"     1      2.0 MiB     -3.2 MiB           1   x\n\n\n");
	assert_string_equal(tiny,
		"     1      2.0 MiB     -0.0 MiB           1   x\n\n\n");
	free(big);
	free(tiny);
}

/* Figures wider than their field push the later columns right. */
static void test_overflowing_figure(void **state)
{
	char *row = one_row(1, 123456789 * MIB, 123456789 * MIB,
			    12345678901ULL);

	(void)state;
	assert_string_equal(row, "     1 123456789.0 MiB 123456789.0 MiB"
			    "  12345678901   x\n\n\n");
	free(row);
}

/* A line without a record keeps every column's padding. */
static void test_blank_rows(void **state)
{
	const char *src = put_file("blank.c", "a\n\nc\n");
	struct mp_profile p;
	char *got, *rows;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 3, 1, ROW(3, 1, 0, 0));
	got = render(&p, 1);
	rows = strstr(got, "=\n") + 2;
	assert_string_equal(rows,
		"     1                                         a\n"
		"     2                                         \n"
		"     3      0.0 MiB      0.0 MiB           1   c\n"
		"\n\n");
	free(got);
	mp_profile_free(&p);
}

/* An unreadable source: one note before the file's first table only. */
static void test_missing_source_note(void **state)
{
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, "nowhere.c", "/nonexistent", "f", 1, 2, 1, ROW(1, 1, 0, 0));
	add(&p, "nowhere.c", "/nonexistent", "g", 4, 4, 1, ROW(4, 2, 0, 0));
	got = render(&p, 1);
	assert_string_equal(got,
		"mprof: source file 'nowhere.c' not found "
		"(also looked in '/nonexistent')\n"
		"Filename: nowhere.c\n\n" HEADER
		"     1      0.0 MiB      0.0 MiB           1   \n"
		"     2                                         \n"
		"\n\n"
		"Filename: nowhere.c\n\n" HEADER
		"     4      0.0 MiB      0.0 MiB           2   \n"
		"\n\n");
	free(got);
	mp_profile_free(&p);
}

/* An absolute path that cannot be read: the note names no directory. */
static void test_missing_absolute_source(void **state)
{
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, "/nonexistent/x.c", "/elsewhere", "f", 1, 1, 1,
	    ROW(1, 1, 0, 0));
	got = render(&p, 1);
	assert_true(!strncmp(got, "mprof: source file '/nonexistent/x.c' "
			     "not found\nFilename: /nonexistent/x.c\n", 60));
	free(got);
	mp_profile_free(&p);
}

/* A relative file not found from the cwd is read under its directory. */
static void test_source_under_dir(void **state)
{
	struct mp_profile p;
	char *got;

	(void)state;
	put_file("rel-only-in-dir.c", "int g;\n");
	mp_profile_init(&p);
	add(&p, "rel-only-in-dir.c", tmpdir, "g", 1, 1, 1, ROW(1, 1, 0, 0));
	got = render(&p, 1);
	assert_string_equal(got, "Filename: rel-only-in-dir.c\n\n" HEADER
		"     1      0.0 MiB      0.0 MiB           1   int g;\n\n\n");
	free(got);
	mp_profile_free(&p);
}

/* Tabs and indentation are printed as they are in the file. */
static void test_source_with_tabs(void **state)
{
	const char *src = put_file("tabs.c", "\t\tx = 1;\t/* y */  \n");
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 1, 1, ROW(1, 1, 0, 0));
	got = render(&p, 1);
	assert_non_null(strstr(got, "           1   \t\tx = 1;\t/* y */  \n"));
	free(got);
	mp_profile_free(&p);
}

/* Lines past the end of a short file print an empty source column. */
static void test_short_source_file(void **state)
{
	const char *src = put_file("short.c", "only\n");
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 3, 1, ROW(3, 1, 0, 0));
	got = render(&p, 1);
	assert_string_equal(strstr(got, "=\n") + 2,
		"     1                                         only\n"
		"     2                                         \n"
		"     3      0.0 MiB      0.0 MiB           1   \n"
		"\n\n");
	free(got);
	mp_profile_free(&p);
}

/* CRLF, a lone CR, no final newline: read as linecache reads them. */
static void test_source_line_endings(void **state)
{
	const char *src = put_file("crlf.c", "a\r\nb\rc");
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 3, 1, ROW(2, 1, 0, 0));
	got = render(&p, 1);
	assert_string_equal(strstr(got, "=\n") + 2,
		"     1                                         a\n"
		"     2      0.0 MiB      0.0 MiB           1   b\n"
		"     3                                         c\n"
		"\n\n");
	free(got);
	mp_profile_free(&p);
}

/* Two tables: each has its Filename line, two blank lines between. */
static void test_two_tables(void **state)
{
	const char *src = put_file("two.c", "a\nb\n");
	struct mp_profile p;
	char *got, want[1024];

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 1, 1, ROW(1, 1, MIB, MIB));
	add(&p, src, "", "g", 2, 2, 1, ROW(2, 1, MIB, 2 * MIB));
	got = render(&p, 1);
	snprintf(want, sizeof want,
		 "Filename: %s\n\n" HEADER
		 "     1      1.0 MiB      1.0 MiB           1   a\n"
		 "\n\n"
		 "Filename: %s\n\n" HEADER
		 "     2      2.0 MiB      1.0 MiB           1   b\n"
		 "\n\n", src, src);
	assert_string_equal(got, want);
	free(got);
	mp_profile_free(&p);
}

/* A function without rows never ran and prints nothing, not even a note. */
static void test_function_without_rows(void **state)
{
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, "nowhere.c", "", "f", 1, 3, 1, ROW(2, 0, 0, 0));
	got = render(&p, 1);
	assert_string_equal(got, "");
	free(got);
	mp_profile_free(&p);
}

/* A row outside first..last widens the table instead of vanishing. */
static void test_row_outside_range(void **state)
{
	const char *src = put_file("wide.c", "a\nb\nc\n");
	struct mp_profile p;
	char *got;

	(void)state;
	mp_profile_init(&p);
	add(&p, src, "", "f", 2, 2, 1, ROW(3, 1, 0, 0));
	got = render(&p, 1);
	assert_string_equal(strstr(got, "=\n") + 2,
		"     2                                         b\n"
		"     3      0.0 MiB      0.0 MiB           1   c\n"
		"\n\n");
	free(got);
	mp_profile_free(&p);
}

/* A failing stream makes mp_report_print return -1. */
static void test_write_error(void **state)
{
	const char *src = put_file("full.c", "a\n");
	struct mp_profile p;
	FILE *out = fopen("/dev/full", "w");

	(void)state;
	if (!out)
		skip();
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 1, 1, ROW(1, 1, 0, 0));
	assert_int_equal(mp_report_print(out, &p, NULL), -1);
	fclose(out);
	mp_profile_free(&p);
}

/*
 * Every allocation failure point returns -1 (never aborts); once enough
 * succeed the output is the normal one.
 */
static void test_allocation_failure(void **state)
{
	const char *src = put_file("nomem.c", "a\nb\n");
	struct mp_profile p;
	char *want, *buf;
	size_t len;
	long n;

	(void)state;
	if (!faults_work())
		skip();
	mp_profile_init(&p);
	add(&p, src, "", "f", 1, 2, 1, ROW(2, 1, 0, 0));
	add(&p, "nowhere.c", "/nonexistent", "g", 1, 1, 1, ROW(1, 1, 0, 0));
	want = render(&p, 1);
	for (n = 0; n < 1000; n++) {
		FILE *out;
		int rc;

		buf = NULL;
		out = open_memstream(&buf, &len);
		assert_non_null(out);
		/* the memstream itself needs room: give it some up front */
		assert_true(fwrite(want, 1, strlen(want), out) > 0);
		rewind(out);
		fail_after = n;
		rc = mp_report_print(out, &p, NULL);
		fail_after = -1;
		fclose(out);
		if (rc == 0) {
			assert_memory_equal(buf, want, strlen(want));
			free(buf);
			break;
		}
		assert_int_equal(rc, -1);
		free(buf);
	}
	assert_true(n > 0 && n < 1000);
	free(want);
	mp_profile_free(&p);
}

/* Tiny deterministic PRNG (xorshift64) for the comparison's figures. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * mp_report_attach_source: the text of each table's lines, signature to
 * brace or last row, line endings normalised as the table reads them;
 * none for a missing file, a NUL byte in the range, or a function
 * without rows; a function that has text keeps it.
 */
static void test_attach_source(void **state)
{
	struct mp_profile p;
	const char *src = put_file("attach.c", "int x;\r\nint f(void)\r\n{\r\n\treturn 1;\r\n}\r\nint g(void) { return 0; }\n");
	const char *nul;

	(void)state;
	nul = put_file("nul.c", "int h(void)\n{ char c = '");
	{
		FILE *f = fopen(nul, "ab");

		assert_non_null(f);
		fwrite("\0';\n}\n", 1, 6, f);
		fclose(f);
	}
	mp_profile_init(&p);
	add(&p, src, "", "f", 2, 4, 1, ROW(4, 1, 0, 0));
	add(&p, src, "", "g", 6, 6, 1, ROW(6, 1, 0, 0));
	/* a row past the brace */
	add(&p, src, "", "later", 2, 2, 1, ROW(5, 1, 0, 0));
	add(&p, "/nonexistent/x.c", "", "gone", 1, 3, 1, ROW(1, 1, 0, 0));
	add(&p, nul, "", "h", 1, 3, 1, ROW(1, 1, 0, 0));
	add(&p, src, "", "never", 2, 4, 0);
	assert_int_equal(mp_report_attach_source(&p), 0);
	assert_string_equal(p.funcs[0].source, "int f(void)\n{\n\treturn 1;\n");
	assert_int_equal(p.funcs[0].source_len, strlen(p.funcs[0].source));
	assert_string_equal(p.funcs[1].source, "int g(void) { return 0; }\n");
	assert_string_equal(p.funcs[2].source,
			    "int f(void)\n{\n\treturn 1;\n}\n");
	assert_null(p.funcs[3].source);
	assert_null(p.funcs[4].source);
	assert_null(p.funcs[5].source);
	/* again: kept, not read twice */
	p.funcs[0].source[0] = 'I';
	assert_int_equal(mp_report_attach_source(&p), 0);
	assert_int_equal(p.funcs[0].source[0], 'I');
	mp_profile_free(&p);
}

/*
 * A figure in bytes chosen to stress the formatting at `precision`: exact
 * ties (odd multiples of 2^(19 - precision) bytes), values next to the
 * 0.05 MiB boundary, zero, a byte either way (-0.0), huge ones, and plain
 * random ones of either sign.
 */
static int64_t figure(int precision)
{
	int64_t tie = (int64_t)1 << (19 - precision);

	switch (rng() % 8) {
	case 0:
		return (int64_t)(2 * (rng() % 50) + 1) * tie *
		       (rng() % 2 ? 1 : -1);
	case 1:
		return 52428 + (int64_t)(rng() % 3) - (rng() % 2 ? 0 : 104857);
	case 2:
		return 0;
	case 3:
		return rng() % 2 ? 1 : -1;
	case 4:
		return 123456789 * MIB + (int64_t)(rng() % MIB);
	case 5:
		return (int64_t)(rng() % (1ULL << 40)) - (1LL << 39);
	default:
		return (int64_t)(rng() % (64 * MIB));
	}
}

static uint64_t occurrences(void)
{
	static const uint64_t pick[] = { 1, 2, 3, 101, 100001, 12345678901ULL };

	return pick[rng() % 6];
}

/* Where report_vs_python.py is: $SRCDIR (set by ctest) or beside us. */
static void oracle_path(char *buf, size_t size)
{
	const char *srcdir = getenv("SRCDIR");

	if (srcdir) {
		snprintf(buf, size, "%s/tests/unit/report_vs_python.py",
			 srcdir);
	} else {
		const char *slash = strrchr(__FILE__, '/');
		int dirlen = slash ? (int)(slash - __FILE__) : 1;

		snprintf(buf, size, "%.*s/report_vs_python.py", dirlen,
			 slash ? __FILE__ : ".");
	}
}

/* The Python that has memory_profiler: $MPROF_PYTHON, Debian's, or PATH's. */
static const char *python(void)
{
	const char *py = getenv("MPROF_PYTHON");

	if (py && *py)
		return py;
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						      : "python3";
}

/* Run the oracle on `casefile`; its output in *out, its exit status back. */
static int run_oracle(const char *casefile, char **out, size_t *len)
{
	char cmd[2048], script[1024], chunk[4096];
	FILE *pipe, *mem = open_memstream(out, len);
	size_t got;

	assert_non_null(mem);
	oracle_path(script, sizeof script);
	snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python(), script, casefile);
	pipe = popen(cmd, "r");
	assert_non_null(pipe);
	while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0)
		assert_int_equal(fwrite(chunk, 1, got, mem), got);
	assert_int_equal(fclose(mem), 0);
	return pclose(pipe);
}

/* Fail with the position and context of the first differing byte. */
static void assert_same_bytes(const char *want, size_t wlen, const char *got,
			      size_t glen, int precision)
{
	size_t i = 0, from;

	while (i < wlen && i < glen && want[i] == got[i])
		i++;
	if (i == wlen && i == glen)
		return;
	from = i > 80 ? i - 80 : 0;
	print_error("precision %d: first difference at byte %zu\n"
		    "memory_profiler: ...%.*s\nmprof:           ...%.*s\n",
		    precision, i, (int)(wlen - from < 120 ? wlen - from : 120),
		    want + from, (int)(glen - from < 120 ? glen - from : 120),
		    got + from);
	fail();
}

/*
 * memory_profiler's show_results() and mp_report_print() agree byte for
 * byte on the same figures, at precisions 0, 1, 3 and 6, over sources with
 * tabs, UTF-8, CRLF, lone CR, a BOM and no final newline.
 */
static void test_matches_memory_profiler(void **state)
{
	static const int precisions[] = { 0, 1, 3, 6 };
	const char *srcs[] = {
		put_file("vs-plain.c",
			 "#include <stdlib.h>\n"
			 "\n"
			 "static int *build(int n)\n"
			 "{\n"
			 "\tint *a = malloc(n * sizeof *a);\t/* café */\n"
			 "\n"
			 "        for (int i = 0; i < n; i++)\n"
			 "\t\ta[i] = i;   \n"
			 "\treturn a;\n"
			 "}\n"
			 "int main(void) { free(build(10)); return 0; }\n"),
		put_file("vs-crlf.c",
			 "int f(void)\r\n{\r\n\treturn 1;\r\n}\r\n"),
		put_file("vs-cr.c", "int g(void)\r{\r\treturn 2;\r}\r"),
		put_file("vs-bom.c",
			 "\xef\xbb\xbfint h(void)\n{\n  return 3;\n}"),
	};
	const int nlines[] = { 11, 4, 4, 4 };
	char casefile[512];

	(void)state;
	snprintf(casefile, sizeof casefile, "%s/case.txt", tmpdir);
	for (size_t k = 0; k < sizeof precisions / sizeof *precisions; k++) {
		int prec = precisions[k];
		struct mp_profile p;
		FILE *cf = fopen(casefile, "w");
		char *want, *got;
		size_t wlen;
		int status;

		assert_non_null(cf);
		mp_profile_init(&p);
		fprintf(cf, "precision %d\n", prec);
		for (int t = 0; t < 12; t++) {
			int s = t % 4, first = 1 + (int)(rng() % 3);
			int last = first +
				   (int)(rng() % (nlines[s] - first + 1));
			struct mp_row rows[16];
			size_t n = 0;

			fprintf(cf, "table %d %d %s\n", first, last, srcs[s]);
			for (int line = first; line <= last; line++) {
				if (line != first && rng() % 3 == 0)
					continue;
				rows[n].line = line;
				rows[n].count = occurrences();
				rows[n].incr = figure(prec);
				rows[n].peak = figure(prec);
				fprintf(cf, "row %d %" PRIu64 " %" PRId64 " %"
					PRId64 "\n", line, rows[n].count,
					rows[n].incr, rows[n].peak);
				n++;
			}
			assert_int_equal(mp_profile_add_func(&p, srcs[s], "",
				"f", first, last, rows, n), 0);
		}
		assert_int_equal(fclose(cf), 0);

		status = run_oracle(casefile, &want, &wlen);
		/* 77: no memory_profiler, 127: no python3 */
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 77 ||
					  WEXITSTATUS(status) == 127)) {
			free(want);
			mp_profile_free(&p);
			unlink(casefile);
			skip();
		}
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		got = render(&p, prec);
		assert_true(wlen > 0);
		assert_same_bytes(want, wlen, got, strlen(got), prec);
		free(want);
		free(got);
		mp_profile_free(&p);
	}
	unlink(casefile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precision_1),
		cmocka_unit_test(test_precision_0),
		cmocka_unit_test(test_precision_3),
		cmocka_unit_test(test_precision_6),
		cmocka_unit_test(test_default_and_clamped_precision),
		cmocka_unit_test(test_locale_independent),
		cmocka_unit_test(test_negative_increment),
		cmocka_unit_test(test_overflowing_figure),
		cmocka_unit_test(test_blank_rows),
		cmocka_unit_test(test_missing_source_note),
		cmocka_unit_test(test_missing_absolute_source),
		cmocka_unit_test(test_source_under_dir),
		cmocka_unit_test(test_source_with_tabs),
		cmocka_unit_test(test_short_source_file),
		cmocka_unit_test(test_source_line_endings),
		cmocka_unit_test(test_two_tables),
		cmocka_unit_test(test_function_without_rows),
		cmocka_unit_test(test_columns_all),
		cmocka_unit_test(test_columns_subset),
		cmocka_unit_test(test_columns_time_units),
		cmocka_unit_test(test_row_outside_range),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_allocation_failure),
		cmocka_unit_test(test_attach_source),
		cmocka_unit_test(test_matches_memory_profiler),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
