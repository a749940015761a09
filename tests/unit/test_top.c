/* SPDX-License-Identifier: MIT */
/*
 * test_top.c - the top lines (report/top.c): the ranking across functions
 * and files, its ties, each --by column, signature rows left out unless
 * asked for, rows without a positive figure left out, the column names,
 * and the table: heading, widths, figures, optional columns, source text
 * without its indentation (and empty when the file is gone).
 */
#define _GNU_SOURCE		/* open_memstream */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "top.h"
#include "helpers.h"

#define MIB (1024 * 1024)

/* A row: line, count, incr, peak; the optional figures zero. */
static struct mp_row row(int32_t line, uint64_t count, int64_t incr,
			 int64_t peak)
{
	struct mp_row r = { 0 };

	r.line = line;
	r.count = count;
	r.incr = incr;
	r.peak = peak;
	return r;
}

static void add(struct mp_profile *p, const char *file, const char *name,
		int first, const struct mp_row *rows, size_t n)
{
	assert_int_equal(mp_profile_add_func(p, file, "", name, first,
					     first + 20, rows, n), 0);
}

/* Two files, three functions; signature rows have the largest figures. */
static void sample_profile(struct mp_profile *p)
{
	struct mp_row a[] = {
		row(10, 1, 50 * MIB, 50 * MIB),	/* signature */
		row(11, 5, 3 * MIB, 53 * MIB),
		row(12, 1, -3 * MIB, 50 * MIB),
		row(13, 100, 0, 53 * MIB),
	};
	struct mp_row b[] = {
		row(30, 2, 60 * MIB, 60 * MIB),	/* signature */
		row(31, 2, 8 * MIB, 68 * MIB),
		row(32, 7, 1 * MIB, 69 * MIB),
	};
	struct mp_row c[] = {
		row(5, 1, 1, 1),		/* signature */
		row(6, 9, 3 * MIB, 4 * MIB),
	};

	mp_profile_init(p);
	add(p, "b.c", "alpha", 10, a, 4);
	add(p, "b.c", "beta", 30, b, 3);
	add(p, "a.c", "gamma", 5, c, 2);
	assert_int_equal(mp_profile_merge(p), 0);
}

/* "file:line" of out[i]. */
static const char *where(const struct mp_top_line *l)
{
	static char buf[64];

	snprintf(buf, sizeof buf, "%s:%d", l->func->file, (int)l->row->line);
	return buf;
}

/* Largest Increment first, across functions and files; signature rows,
 * zero and negative figures left out. */
static void test_ranks_across_functions(void **state)
{
	struct mp_top_line out[10];
	struct mp_profile p;
	size_t n;

	(void)state;
	sample_profile(&p);
	n = mp_top_lines(&p, MP_BY_INCREMENT, 10, 0, out);
	assert_int_equal(n, 4);
	assert_string_equal(where(&out[0]), "b.c:31");
	/* 3 MiB twice: a.c before b.c */
	assert_string_equal(where(&out[1]), "a.c:6");
	assert_string_equal(where(&out[2]), "b.c:11");
	assert_string_equal(where(&out[3]), "b.c:32");
	assert_string_equal(out[0].func->name, "beta");
	mp_profile_free(&p);
}

/* Fewer asked than there are: the best ones, in the same order. */
static void test_first_n(void **state)
{
	struct mp_top_line out[2];
	struct mp_profile p;

	(void)state;
	sample_profile(&p);
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 2, 0, out), 2);
	assert_string_equal(where(&out[0]), "b.c:31");
	assert_string_equal(where(&out[1]), "a.c:6");
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 0, 0, out), 0);
	mp_profile_free(&p);
}

/* --signatures: signature rows are ranked like the others. */
static void test_signatures(void **state)
{
	struct mp_top_line out[10];
	struct mp_profile p;

	(void)state;
	sample_profile(&p);
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 10, 1, out), 7);
	assert_string_equal(where(&out[0]), "b.c:30");
	assert_string_equal(where(&out[1]), "b.c:10");
	assert_string_equal(where(&out[2]), "b.c:31");
	assert_string_equal(where(&out[6]), "a.c:5");
	assert_true(mp_top_is_signature(out[0].func, out[0].row));
	assert_false(mp_top_is_signature(out[2].func, out[2].row));
	mp_profile_free(&p);
}

/* Ties: file, then line, then function name, whatever the input order,
 * and however many rows compete for the last places. */
static void test_ties_deterministic(void **state)
{
	struct mp_row r[40];
	struct mp_top_line out[5];
	struct mp_profile p, q;
	char name[16];
	int i;

	(void)state;
	mp_profile_init(&p);
	mp_profile_init(&q);
	for (i = 0; i < 40; i++)
		r[i] = row(100 + i, 1, MIB, MIB);
	/* the same rows, added in opposite orders */
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "f%d", i);
		add(&p, i % 2 ? "y.c" : "x.c", name, 99, r + 5 * i, 5);
	}
	for (i = 7; i >= 0; i--) {
		snprintf(name, sizeof name, "f%d", i);
		add(&q, i % 2 ? "y.c" : "x.c", name, 99, r + 5 * i, 5);
	}
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 5, 0, out), 5);
	assert_string_equal(where(&out[0]), "x.c:100");
	assert_string_equal(where(&out[4]), "x.c:104");
	assert_int_equal(mp_top_lines(&q, MP_BY_INCREMENT, 5, 0, out), 5);
	assert_string_equal(where(&out[0]), "x.c:100");
	assert_string_equal(where(&out[4]), "x.c:104");
	assert_string_equal(out[4].func->name, "f0");
	mp_profile_free(&p);
	mp_profile_free(&q);
}

/* Same file and line in two functions (a header's static inline copies
 * that differ): the function name decides. */
static void test_tie_on_name(void **state)
{
	struct mp_row r[] = { row(7, 1, MIB, MIB) };
	struct mp_top_line out[2];
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "h.h", "zed", 3, r, 1);
	add(&p, "h.h", "abc", 4, r, 1);
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 2, 0, out), 2);
	assert_string_equal(out[0].func->name, "abc");
	assert_string_equal(out[1].func->name, "zed");
	mp_profile_free(&p);
}

/* --by mem and --by occurrences. */
static void test_by_mem_and_occurrences(void **state)
{
	struct mp_top_line out[3];
	struct mp_profile p;

	(void)state;
	sample_profile(&p);
	assert_int_equal(mp_top_lines(&p, MP_BY_MEM, 3, 0, out), 3);
	assert_string_equal(where(&out[0]), "b.c:32");
	assert_string_equal(where(&out[1]), "b.c:31");
	/* 53 MiB twice: line 11 before 13 */
	assert_string_equal(where(&out[2]), "b.c:11");
	assert_int_equal(mp_top_lines(&p, MP_BY_OCCURRENCES, 3, 0, out), 3);
	assert_string_equal(where(&out[0]), "b.c:13");
	assert_string_equal(where(&out[1]), "a.c:6");
	assert_string_equal(where(&out[2]), "b.c:32");
	mp_profile_free(&p);
}

/* The optional columns rank by their own field. */
static void test_by_optional_columns(void **state)
{
	static const enum mp_top_by by[] = {
		MP_BY_TIME, MP_BY_ALLOCS, MP_BY_ALLOCATED, MP_BY_PEAK,
		MP_BY_LEAKED,
	};
	struct mp_row r[3];
	struct mp_top_line out[3];
	struct mp_profile p;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof by / sizeof by[0]; k++) {
		for (i = 0; i < 3; i++) {
			r[i] = row(2 + i, 1, 0, 0);
			/* line 3 is the largest in column k only */
			r[i].time_ns = k == 0 && i == 1 ? 900 : 10;
			r[i].allocs = k == 1 && i == 1 ? 900 : 10;
			r[i].allocated = k == 2 && i == 1 ? 900 : 10;
			r[i].rise = k == 3 && i == 1 ? 900 : 10;
			r[i].leaked = k == 4 && i == 1 ? 900 : 10;
		}
		mp_profile_init(&p);
		add(&p, "o.c", "opt", 1, r, 3);
		p.columns = MP_COL_ALL;
		assert_true(mp_top_has(&p, by[k]));
		assert_int_equal(mp_top_lines(&p, by[k], 3, 0, out), 3);
		assert_string_equal(where(&out[0]), "o.c:3");
		assert_int_equal(mp_top_value(out[0].row, by[k]), 900);
		assert_string_equal(where(&out[1]), "o.c:2");
		p.columns = 0;
		assert_false(mp_top_has(&p, by[k]));
		mp_profile_free(&p);
	}
}

/* Names: --by's, pprof's, MPROF_COLUMNS'; titles as the table's. */
static void test_column_names(void **state)
{
	static const char *names[] = {
		"increment", "mem", "occurrences", "time", "allocs",
		"allocated", "peak", "leaked",
	};
	struct mp_profile p;
	int i;

	(void)state;
	for (i = 0; i < MP_BY_COUNT; i++) {
		assert_int_equal(mp_top_by_named(names[i]), i);
		assert_string_equal(mp_top_column(i)->name, names[i]);
	}
	assert_int_equal(mp_top_by_named("Increment"), -1);
	assert_int_equal(mp_top_by_named(""), -1);
	assert_string_equal(mp_top_column(MP_BY_MEM)->title, "Mem usage");
	assert_string_equal(mp_top_column(MP_BY_TIME)->unit, "nanoseconds");
	mp_profile_init(&p);
	assert_true(mp_top_has(&p, MP_BY_INCREMENT));
	assert_true(mp_top_has(&p, MP_BY_OCCURRENCES));
	assert_false(mp_top_has(&p, MP_BY_ALLOCATED));
	p.columns = MP_COL_ALLOCS;
	assert_true(mp_top_has(&p, MP_BY_ALLOCATED));
	assert_false(mp_top_has(&p, MP_BY_LEAKED));
}

/* A count beyond int64 ranks as the largest, not as a negative. */
static void test_huge_count(void **state)
{
	struct mp_row r[] = { row(2, UINT64_MAX, 0, 0), row(3, 5, 0, 0) };
	struct mp_top_line out[2];
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "c.c", "c", 1, r, 2);
	assert_int_equal(mp_top_lines(&p, MP_BY_OCCURRENCES, 2, 0, out), 2);
	assert_int_equal(out[0].row->line, 2);
	assert_int_equal(mp_top_value(out[0].row, MP_BY_OCCURRENCES),
			 INT64_MAX);
	mp_profile_free(&p);
}

/* Many rows, few places: the same lines as sorting them all. */
static void test_many_rows(void **state)
{
	static struct mp_row r[5000];
	struct mp_top_line out[50];
	struct mp_profile p;
	uint64_t x = 1;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		r[i] = row(2 + i, 1, (int64_t)(x >> 50) - 4000, 0);
	}
	mp_profile_init(&p);
	add(&p, "m.c", "m", 1, r, 5000);
	assert_int_equal(mp_top_lines(&p, MP_BY_INCREMENT, 50, 0, out), 50);
	for (i = 1; i < 50; i++) {
		int64_t a = out[i - 1].row->incr, b = out[i].row->incr;

		assert_true(a > b || (a == b &&
				      out[i - 1].row->line < out[i].row->line));
	}
	/* nothing outside the 50 beats the 50th */
	for (i = 0; i < 5000; i++) {
		int in = 0;

		for (int j = 0; j < 50; j++)
			in |= out[j].row == &p.funcs[0].rows[i];
		if (!in)
			assert_true(p.funcs[0].rows[i].incr <= out[49].row->incr);
	}
	mp_profile_free(&p);
}

/* The table of `p`'s n top lines by `by`, as a string the caller frees. */
static char *render(const struct mp_profile *p, enum mp_top_by by, size_t n,
		    int precision)
{
	struct mp_report_opts opts = { .precision = precision };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(mp_top_report(out, p, by, n, 0, &opts), 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The source text, indentation dropped; widths from the longest
 * location and name; the heading counts lines and functions. */
static void test_print(void **state)
{
	static const char src[] =
		"int f(void)\n{\n\tchar *p = malloc(8);\n        use(p);\n}\n";
	struct mp_row r[] = {
		row(1, 1, MIB, MIB), row(3, 1, 3 * MIB, 4 * MIB),
		row(4, 2, MIB / 2, 5 * MIB),
	};
	char path[PATH_MAX];
	struct mp_profile p;
	FILE *f;
	char *s;

	(void)state;
	snprintf(path, sizeof path, "%s/f.c", scratch);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(src, f);
	fclose(f);
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, path, "", "a_long_function",
					     1, 5, r, 3), 0);
	s = render(&p, MP_BY_INCREMENT, 10, 1);
	/* the location column is as wide as the path and ":3" */
	{
		char want[3 * PATH_MAX];
		int w = (int)strlen(path) + 2;

		snprintf(want, sizeof want,
			 "Top 2 lines by Increment, of 3 lines in 1 function\n"
			 "\n"
			 "%-*s  Function           Mem usage    Increment  Occurrences   Line Contents\n"
			 "%.*s\n"
			 "%s:3  a_long_function      4.0 MiB      3.0 MiB            1   char *p = malloc(8);\n"
			 "%s:4  a_long_function      5.0 MiB      0.5 MiB            2   use(p);\n"
			 "\n",
			 w, "Location",
			 w + 2 + 15 + 3 * 13 + 16,
			 "===================================================================================================================================================",
			 path, path);
		assert_string_equal(s, want);
	}
	free(s);
	unlink(path);
	/* the file gone: an empty source column */
	s = render(&p, MP_BY_INCREMENT, 1, 3);
	assert_non_null(strstr(s, ":3  a_long_function    4.000 MiB    3.000 MiB            1   \n\n"));
	free(s);
	mp_profile_free(&p);
}

/* No line with a positive figure: one line says so. */
static void test_print_nothing(void **state)
{
	struct mp_row r[] = { row(1, 1, 0, 0), row(2, 3, -MIB, 0) };
	struct mp_profile p;
	char *s;

	(void)state;
	mp_profile_init(&p);
	add(&p, "z.c", "z", 1, r, 2);
	s = render(&p, MP_BY_INCREMENT, 10, 1);
	assert_string_equal(s, "No line has a positive Increment, of 2 lines in 1 function\n\n");
	free(s);
	mp_profile_free(&p);
}

/* Optional columns the profile has are shown after Occurrences. */
static void test_print_optional_columns(void **state)
{
	struct mp_row r[] = { row(2, 4, MIB, MIB) };
	struct mp_profile p;
	char *s;

	(void)state;
	r[0].time_ns = 1234567;
	r[0].allocs = 3;
	r[0].allocated = 2 * MIB;
	r[0].rise = 3 * MIB;
	r[0].leaked = MIB / 2;
	mp_profile_init(&p);
	add(&p, "/nonexistent/o.c", "o", 1, r, 1);
	p.columns = MP_COL_ALL;
	s = render(&p, MP_BY_TIME, 1, 1);
	assert_non_null(strstr(s, "Top 1 line by Time, of 1 line in 1 function\n"));
	assert_non_null(strstr(s, "  Mem usage    Increment  Occurrences         Time       Allocs    Allocated         Peak       Leaked   Line Contents\n"));
	assert_non_null(strstr(s, "1.0 MiB      1.0 MiB            4     1.235 ms            3      2.0 MiB      3.0 MiB      0.5 MiB   \n"));
	free(s);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranks_across_functions),
		cmocka_unit_test(test_first_n),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_ties_deterministic),
		cmocka_unit_test(test_tie_on_name),
		cmocka_unit_test(test_by_mem_and_occurrences),
		cmocka_unit_test(test_by_optional_columns),
		cmocka_unit_test(test_column_names),
		cmocka_unit_test(test_huge_count),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_nothing),
		cmocka_unit_test(test_print_optional_columns),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
