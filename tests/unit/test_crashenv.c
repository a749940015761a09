/* SPDX-License-Identifier: MIT */
/*
 * test_crashenv.c - the report code compiled for fatal signals
 * (runtime/crashenv.h, crashenv.c, crashtable.c, crashjson.c): its
 * arena, FILE and sort, and that its tables and JSON are byte for byte
 * those of the at-exit report for the same profile.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "crashenv.h"
#include "json.h"
#include "profile.h"

/* The crash copies of the report functions (crashtable.c, crashjson.c). */
void mp_crash_profile_init(struct mp_profile *p);
int mp_crash_profile_add_func(struct mp_profile *p, const char *file,
			      const char *dir, const char *name,
			      int32_t first_line, int32_t last_line,
			      const struct mp_row *rows, size_t nrows);
int mp_crash_profile_merge(struct mp_profile *p);
int mp_crash_report_print(struct mp_crash_file *out,
			  const struct mp_profile *p,
			  const struct mp_report_opts *opts);
int mp_crash_json_write(struct mp_crash_file *out, const struct mp_profile *p,
			const struct mp_json_meta *m);

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

struct wide {
	int key;
	char pad[13];
};

static int cmp_wide(const void *a, const void *b)
{
	return cmp_int(&((const struct wide *)a)->key,
		       &((const struct wide *)b)->key);
}

/* The merge sort agrees with libc's qsort, for any size and width. */
static void test_sort(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 1000, 4097 };
	int a[4097], b[4097];
	struct wide w[300], v[300];

	(void)state;
	srand(7);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		for (size_t i = 0; i < n; i++)
			a[i] = b[i] = rand() % 100 - 50;
		mp_crash_qsort(a, n, sizeof(a[0]), cmp_int);
		qsort(b, n, sizeof(b[0]), cmp_int);
		if (n)
			assert_memory_equal(a, b, n * sizeof(a[0]));
	}
	memset(w, 0, sizeof(w));
	for (size_t i = 0; i < 300; i++)
		w[i].key = rand() % 1000;
	memcpy(v, w, sizeof(w));
	mp_crash_qsort(w, 300, sizeof(w[0]), cmp_wide);
	qsort(v, 300, sizeof(v[0]), cmp_wide);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(w[i].key, v[i].key);
}

/* Blocks are aligned, calloc's are zero, realloc keeps the contents. */
static void test_arena(void **state)
{
	char *p, *q;
	int *z;

	(void)state;
	p = mp_crash_malloc(5);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
	memcpy(p, "abcd", 5);
	q = mp_crash_realloc(p, 3 << 20);	/* larger than a chunk */
	assert_non_null(q);
	assert_string_equal(q, "abcd");
	assert_ptr_equal(mp_crash_realloc(q, 4), q);
	z = mp_crash_calloc(1000, sizeof(*z));
	assert_non_null(z);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(z[i], 0);
	assert_null(mp_crash_calloc(SIZE_MAX / 2, 4));
	assert_string_equal(mp_crash_strdup("xyz"), "xyz");
}

static void test_file(void **state)
{
	struct mp_crash_file *f = mp_crash_memfile(), *r;
	char path[] = "/tmp/mprof-test-crashenv-XXXXXX", buf[64];
	int fd;

	(void)state;
	assert_non_null(f);
	assert_int_equal(mp_crash_fputs("one ", f), 0);
	assert_int_equal(mp_crash_putc('2', f), '2');
	assert_int_equal(mp_crash_fprintf(f, " %d %s", 3, "four"), 7);
	assert_int_equal(mp_crash_fwrite("!", 1, 1, f), 1);
	assert_int_equal(mp_crash_fflush(f), 0);
	assert_int_equal(mp_crash_ferror(f), 0);
	assert_int_equal(f->len, 13);
	assert_memory_equal(f->buf, "one 2 3 four!", 13);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, file", 11), 11);
	close(fd);
	r = mp_crash_fopen(path, "rb");
	assert_non_null(r);
	assert_int_equal(mp_crash_fread(buf, 1, sizeof(buf), r), 11);
	assert_memory_equal(buf, "hello, file", 11);
	assert_int_equal(mp_crash_fread(buf, 1, sizeof(buf), r), 0);
	assert_int_equal(mp_crash_ferror(r), 0);
	assert_int_equal(mp_crash_fclose(r), 0);
	unlink(path);
	assert_null(mp_crash_fopen("/nonexistent/mprof", "rb"));
}

/* Two functions of this very file (its source is read for the tables),
 * handed in out of order, one twice, rows unsorted. */
static const struct mp_row rows_b[] = {
	{ .line = 12, .count = 3, .incr = 4096, .peak = 8192 }, { .line = 10, .count = 1, .incr = 1 << 20, .peak = 1 << 20 }, { .line = 11, .count = 2, .incr = -4096, .peak = 4096 },
};
static const struct mp_row rows_a[] = {
	{ .line = 5, .count = 1, .incr = 0, .peak = 0 }, { .line = 6, .count = 10, .incr = 123456789, .peak = 987654321 },
};

#define ADD_ALL(add, p, file)							\
	do {									\
		assert_int_equal(add(p, file, "", "b", 10, 14, rows_b, 3), 0); \
		assert_int_equal(add(p, file, "", "a", 4, 8, rows_a, 2), 0);	\
		assert_int_equal(add(p, file, "", "b", 10, 14, rows_b, 2), 0); \
	} while (0)

/* The same profile gives the same bytes through both copies. */
static void test_same_report(void **state)
{
	struct mp_report_opts opts = { .precision = 3 };
	struct mp_profile p, c;
	struct mp_crash_file *out;
	struct mp_json_meta m;
	char *buf = NULL, file[4096];
	size_t len = 0;
	FILE *mem;

	(void)state;
	snprintf(file, sizeof(file), "%s/tests/unit/test_crashenv.c",
		 getenv("SRCDIR") ? getenv("SRCDIR") : ".");
	mp_profile_init(&p);
	mp_crash_profile_init(&c);
	ADD_ALL(mp_profile_add_func, &p, file);
	ADD_ALL(mp_crash_profile_add_func, &c, file);
	assert_int_equal(mp_profile_merge(&p), 0);
	assert_int_equal(mp_crash_profile_merge(&c), 0);

	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	assert_int_equal(mp_report_print(mem, &p, &opts), 0);
	fclose(mem);
	out = mp_crash_memfile();
	assert_non_null(out);
	assert_int_equal(mp_crash_report_print(out, &c, &opts), 0);
	assert_int_equal(out->len, len);
	assert_memory_equal(out->buf, buf, len);
	assert_non_null(strstr(buf, "Filename: "));
	assert_null(strstr(buf, "not found"));	/* the source was read */
	free(buf);

	mp_json_meta_init(&m);
	m.signal = 11;
	m.notes = "mprof: one\nmprof: two\n";
	m.notes_len = strlen(m.notes);
	buf = NULL;
	mem = open_memstream(&buf, &len);
	assert_int_equal(mp_json_write(mem, &p, &m), 0);
	fclose(mem);
	out = mp_crash_memfile();
	assert_int_equal(mp_crash_json_write(out, &c, &m), 0);
	assert_int_equal(out->len, len);
	assert_memory_equal(out->buf, buf, len);
	assert_non_null(strstr(buf, "  \"signal\": 11,\n  \"notes\": [\n    \"mprof: one\",\n    \"mprof: two\"\n  ],\n"));
	free(buf);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_same_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
