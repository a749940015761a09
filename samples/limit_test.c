/* SPDX-License-Identifier: MIT */
/*
 * limit_test.c - memory limits in unit tests (docs/testing-api.md): two
 * cmocka tests of a table's sum, each run under MPROF_LIMIT_MEMORY.  The
 * in-place sum allocates nothing and stays within its 1 KiB; the sum that
 * works on two copies of the 1M-double table peaks at 16,000,000 bytes
 * and fails its 1 MiB limit, its message listing the lines that grew:
 * the two mallocs, +7.6 MiB each (MPROF_BACKEND=heap; under the default
 * rss backend the lines are those that touch the copies' pages).
 *
 *     gcc -g -O2 -fplugin=../build/lib/mprof.so limit_test.c -o /tmp/limit_test \
 *         -L../build/lib -Wl,-rpath,$PWD/../build/lib -lmprof -lcmocka
 *     MPROF_BACKEND=heap MPROF_OUTPUT=/dev/null /tmp/limit_test
 *
 * mprof.h comes after cmocka.h, so a limit exceeded fails the test with
 * cmocka's fail_msg().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define N (1000 * 1000)

struct table {
	size_t n;
	double *v;
};

/* Sum in place. */
MPROF static double table_sum(const struct table *t)
{
	double s = 0;

	for (size_t i = 0; i < t->n; i++)
		s += t->v[i];
	return s;
}

/* The same sum, through a copy and a doubled copy. */
MPROF static double table_sum_copies(const struct table *t)
{
	double *a = malloc(t->n * sizeof *a);
	memcpy(a, t->v, t->n * sizeof *a);
	double *b = malloc(t->n * sizeof *b);
	for (size_t i = 0; i < t->n; i++)
		b[i] = 2 * a[i];
	double s = 0;
	for (size_t i = 0; i < t->n; i++)
		s += b[i] / 2;
	free(a);
	free(b);
	return s;
}

static void test_sum_in_place(void **state)
{
	const struct table *t = *state;
	double s = 0;

	MPROF_LIMIT_MEMORY(1024, s = table_sum(t));
	assert_true(s == (double)N);
}

static void test_sum_with_copies(void **state)
{
	const struct table *t = *state;
	double s = 0;

	MPROF_LIMIT_MEMORY(1 << 20, s = table_sum_copies(t));
	assert_true(s == (double)N);
}

static int setup(void **state)
{
	static struct table t;

	t.n = N;
	t.v = malloc(N * sizeof *t.v);
	if (!t.v)
		return -1;
	for (size_t i = 0; i < N; i++)
		t.v[i] = 1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct table *t = *state;

	free(t->v);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum_in_place),
		cmocka_unit_test(test_sum_with_copies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
