/* SPDX-License-Identifier: MIT */
/*
 * test_profile.c - building and merging the in-memory profile
 * (report/profile.c): row folding, duplicate functions, sort order, and
 * that every allocation failure returns -1 with the profile still valid.
 *
 * malloc and realloc are replaced (forwarding to glibc) so a test can make
 * every allocation after the n-th fail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#define MP_TEST_FAILING_MALLOC
#include "helpers.h"

#include "profile.h"

#define ROW(l, c, i, p) \
	((struct mp_row){ .line = (l), .count = (c), .incr = (i), .peak = (p) })

static void add(struct mp_profile *p, const char *file, const char *dir,
		const char *name, int first, int last,
		const struct mp_row *rows, size_t n)
{
	assert_int_equal(mp_profile_add_func(p, file, dir, name, first, last,
					     rows, n), 0);
}

static void assert_row(const struct mp_row *r, int line, uint64_t count,
		       int64_t incr, int64_t peak)
{
	assert_int_equal(r->line, line);
	assert_int_equal(r->count, count);
	assert_int_equal(r->incr, incr);
	assert_int_equal(r->peak, peak);
}

/* Unsorted rows come out sorted, rows of one line folded into one. */
static void test_add_sorts_and_folds_rows(void **state)
{
	const struct mp_row rows[] = {
		ROW(5, 1, 10, 100), ROW(3, 2, -4, 50), ROW(5, 3, 7, 80),
	};
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "a.c", "/d", "f", 3, 6, rows, 3);
	assert_int_equal(p.nfuncs, 1);
	assert_int_equal(p.funcs[0].nrows, 2);
	assert_row(&p.funcs[0].rows[0], 3, 2, -4, 50);
	assert_row(&p.funcs[0].rows[1], 5, 4, 17, 100);
	mp_profile_free(&p);
}

/* Rows never recorded (count 0) or without a line are dropped. */
static void test_add_drops_unrecorded_rows(void **state)
{
	const struct mp_row rows[] = {
		ROW(3, 0, 0, 0), ROW(0, 1, 1, 1), ROW(4, 1, 2, 3),
	};
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "a.c", "", "f", 3, 6, rows, 3);
	assert_int_equal(p.funcs[0].nrows, 1);
	assert_row(&p.funcs[0].rows[0], 4, 1, 2, 3);
	mp_profile_free(&p);
}

/* Strings are copied, and a NULL one reads as "". */
static void test_add_copies_strings(void **state)
{
	char file[] = "a.c", name[] = "f";
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, file, NULL, name, 1, 1, NULL, 0);
	file[0] = name[0] = 'x';
	assert_string_equal(p.funcs[0].file, "a.c");
	assert_string_equal(p.funcs[0].name, "f");
	assert_string_equal(p.funcs[0].dir, "");
	assert_int_equal(p.funcs[0].nrows, 0);
	mp_profile_free(&p);
}

/* Sums saturate instead of overflowing. */
static void test_add_saturates(void **state)
{
	const struct mp_row rows[] = {
		ROW(1, UINT64_MAX, INT64_MAX, 1), ROW(1, 2, 5, 1),
		ROW(2, 1, INT64_MIN, 1), ROW(2, 1, -1, 1),
	};
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "a.c", "", "f", 1, 2, rows, 4);
	assert_row(&p.funcs[0].rows[0], 1, UINT64_MAX, INT64_MAX, 1);
	assert_row(&p.funcs[0].rows[1], 2, 2, INT64_MIN, 1);
	mp_profile_free(&p);
}

/* Equal (file, name, first_line): one function, rows line by line folded;
 * the signature row's Increment (figure at first call) is the smaller one. */
static void test_merge_duplicates(void **state)
{
	const struct mp_row a[] = { ROW(1, 1, 100, 100), ROW(2, 1, 5, 105) };
	const struct mp_row b[] = { ROW(1, 2, 30, 90), ROW(3, 1, -5, 200) };
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "h.h", "", "inl", 1, 3, a, 2);
	add(&p, "h.h", "/build", "inl", 1, 4, b, 2);
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_int_equal(p.funcs[0].last_line, 4);
	assert_string_equal(p.funcs[0].dir, "/build");
	assert_int_equal(p.funcs[0].nrows, 3);
	assert_row(&p.funcs[0].rows[0], 1, 3, 30, 100);
	assert_row(&p.funcs[0].rows[1], 2, 1, 5, 105);
	assert_row(&p.funcs[0].rows[2], 3, 1, -5, 200);
	mp_profile_free(&p);
}

/* A merged function keeps the first saved source text; none is lost. */
static void test_merge_keeps_source(void **state)
{
	const struct mp_row a[] = { ROW(1, 1, 100, 100) };
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "h.h", "", "inl", 1, 3, a, 1);
	add(&p, "h.h", "", "inl", 1, 3, a, 1);
	add(&p, "h.h", "", "inl", 1, 3, a, 1);
	p.funcs[1].source = strdup("second\n");
	p.funcs[1].source_len = 7;
	p.funcs[2].source = strdup("third\n");
	p.funcs[2].source_len = 6;
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_non_null(p.funcs[0].source);
	assert_int_equal(p.funcs[0].source_len, strlen(p.funcs[0].source));
	assert_int_equal(p.funcs[0].rows[0].count, 3);
	mp_profile_free(&p);
}

/* Three copies of one function fold into one. */
static void test_merge_three_copies(void **state)
{
	const struct mp_row r[] = { ROW(7, 1, 1, 1) };
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	for (int i = 0; i < 3; i++)
		add(&p, "h.h", "", "inl", 7, 7, r, 1);
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_row(&p.funcs[0].rows[0], 7, 3, 1, 1);
	mp_profile_free(&p);
}

/* A different name or first line keeps functions apart. */
static void test_merge_keeps_distinct(void **state)
{
	const struct mp_row r[] = { ROW(1, 1, 1, 1) };
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "a.c", "", "f", 1, 2, r, 1);
	add(&p, "a.c", "", "g", 1, 2, r, 1);
	add(&p, "a.c", "", "f", 5, 6, r, 1);
	add(&p, "b.c", "", "f", 1, 2, r, 1);
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_int_equal(p.nfuncs, 4);
	mp_profile_free(&p);
}

/* Functions sort by file name (strcmp), then by first line. */
static void test_merge_sorts(void **state)
{
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	add(&p, "b.c", "", "z", 30, 31, NULL, 0);
	add(&p, "a.c", "", "y", 20, 21, NULL, 0);
	add(&p, "B.c", "", "x", 40, 41, NULL, 0);
	add(&p, "b.c", "", "w", 10, 11, NULL, 0);
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_string_equal(p.funcs[0].name, "x");	/* "B.c" < "a.c" */
	assert_string_equal(p.funcs[1].name, "y");
	assert_string_equal(p.funcs[2].name, "w");
	assert_string_equal(p.funcs[3].name, "z");
	mp_profile_free(&p);
}

/* Merging and freeing an empty profile is fine. */
static void test_empty_profile(void **state)
{
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_merge(&p), 0);
	mp_profile_free(&p);
	assert_null(p.funcs);
	assert_int_equal(p.nfuncs, 0);
}

/* Every allocation failure in add returns -1 and leaves nothing behind. */
static void test_add_allocation_failure(void **state)
{
	const struct mp_row r[] = { ROW(2, 1, 1, 1), ROW(1, 1, 1, 1) };
	struct mp_profile p;
	long n;

	(void)state;
	if (!faults_work())
		skip();
	mp_profile_init(&p);
	for (n = 0; n < 100; n++) {
		int rc;

		fail_after = n;
		rc = mp_profile_add_func(&p, "a.c", "/d", "f", 1, 2, r, 2);
		fail_after = -1;
		if (rc == 0)
			break;
		assert_int_equal(rc, -1);
		assert_int_equal(p.nfuncs, 0);
	}
	assert_true(n > 0 && n < 100);
	assert_int_equal(p.nfuncs, 1);
	assert_row(&p.funcs[0].rows[0], 1, 1, 1, 1);
	mp_profile_free(&p);
}

static uint64_t total_count(const struct mp_profile *p)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->nfuncs; i++)
		for (size_t j = 0; j < p->funcs[i].nrows; j++)
			sum += p->funcs[i].rows[j].count;
	return sum;
}

/*
 * Every allocation failure in merge returns -1 with the profile sorted and
 * no count lost; with enough memory it merges fully.
 */
static void test_merge_allocation_failure(void **state)
{
	const struct mp_row r[] = { ROW(1, 1, 1, 1), ROW(2, 1, 1, 1) };
	long n;

	(void)state;
	if (!faults_work())
		skip();
	for (n = 0; n < 100; n++) {
		struct mp_profile p;
		int rc;

		mp_profile_init(&p);
		for (int i = 0; i < 4; i++) {
			add(&p, "h.h", "", "inl", 1, 2, r + i % 2, 1);
			add(&p, "a.c", "", "g", 1, 2, r, 2);
		}
		fail_after = n;
		rc = mp_profile_merge(&p);
		fail_after = -1;
		assert_int_equal(total_count(&p), 12);
		for (size_t i = 1; i < p.nfuncs; i++)
			assert_true(strcmp(p.funcs[i - 1].file,
					   p.funcs[i].file) <= 0);
		if (rc == 0) {
			assert_int_equal(p.nfuncs, 2);
			mp_profile_free(&p);
			break;
		}
		assert_int_equal(rc, -1);
		assert_true(p.nfuncs > 2);
		mp_profile_free(&p);
	}
	assert_true(n > 0 && n < 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sorts_and_folds_rows),
		cmocka_unit_test(test_add_drops_unrecorded_rows),
		cmocka_unit_test(test_add_copies_strings),
		cmocka_unit_test(test_add_saturates),
		cmocka_unit_test(test_merge_duplicates),
		cmocka_unit_test(test_merge_keeps_source),
		cmocka_unit_test(test_merge_three_copies),
		cmocka_unit_test(test_merge_keeps_distinct),
		cmocka_unit_test(test_merge_sorts),
		cmocka_unit_test(test_empty_profile),
		cmocka_unit_test(test_add_allocation_failure),
		cmocka_unit_test(test_merge_allocation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
