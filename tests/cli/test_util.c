/* SPDX-License-Identifier: MIT */
/*
 * test_util.c - cli/util.c's pid map and pidmap_add(), which `mprof peak`
 * and `mprof plot` keep their children with: indices in first-appearance
 * order, zeroed new elements, and what is left when memory runs out
 * (malloc and realloc are wrapped, -Wl,--wrap, to fail on demand).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* before cmocka.h, whose fail() is a macro */
#include "cli.h"

#include <cmocka.h>

/* util.c's usage_error() names a usage text: none is needed here. */
const char *usage_of(const char *name)
{
	(void)name;
	return "";
}

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
static int fail_malloc, fail_realloc;

void *__wrap_malloc(size_t n)
{
	return fail_malloc ? NULL : __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_realloc ? NULL : __real_realloc(p, n);
}

struct kid {
	long pid;
	double mem;
};

/* Children in first-appearance order, each found again by its pid. */
static void test_add_many(void **state)
{
	struct pidmap m = { 0 };
	struct kid *k = NULL;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		long pid = 7 + (long)i * 4099;

		assert_int_equal(pidmap_get(&m, pid), -1);
		k = pidmap_add(&m, pid, k, &n, sizeof *k);
		assert_int_equal(n, i + 1);
		assert_int_equal(k[i].pid, 0);		/* zeroed */
		assert_true(k[i].mem == 0);
		k[i].pid = pid;
		k[i].mem = (double)i;
	}
	for (i = 0; i < 1000; i++) {
		long pid = 7 + (long)i * 4099;

		assert_int_equal(pidmap_get(&m, pid), (long)i);
		assert_int_equal(k[i].pid, pid);
		assert_true(k[i].mem == (double)i);
	}
	free(k);
	pidmap_free(&m);
}

/* No memory for the array: it is returned as it was, nothing counted. */
static void test_add_no_array(void **state)
{
	struct pidmap m = { 0 };
	struct kid *k = NULL, *same;
	size_t n = 0;

	(void)state;
	k = pidmap_add(&m, 10, k, &n, sizeof *k);
	k[0].pid = 10;
	fail_realloc = 1;
	same = pidmap_add(&m, 11, k, &n, sizeof *k);
	fail_realloc = 0;
	assert_ptr_equal(same, k);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].pid, 10);
	assert_int_equal(pidmap_get(&m, 11), -1);
	assert_int_equal(pidmap_get(&m, 10), 0);
	free(k);
	pidmap_free(&m);
}

/* No memory for the map: the grown array comes back, nothing counted. */
static void test_add_no_map(void **state)
{
	struct pidmap m = { 0 };
	struct kid *k = NULL;
	size_t n = 0;

	(void)state;
	fail_malloc = 1;	/* the map's first table */
	k = pidmap_add(&m, 10, k, &n, sizeof *k);
	fail_malloc = 0;
	assert_non_null(k);
	assert_int_equal(n, 0);
	assert_int_equal(pidmap_get(&m, 10), -1);
	k = pidmap_add(&m, 10, k, &n, sizeof *k);
	assert_int_equal(n, 1);
	assert_int_equal(pidmap_get(&m, 10), 0);
	free(k);
	pidmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_many),
		cmocka_unit_test(test_add_no_array),
		cmocka_unit_test(test_add_no_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
