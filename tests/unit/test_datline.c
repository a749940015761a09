/* SPDX-License-Identifier: MIT */
/*
 * test_datline.c - the FUNC line formatter (report/datline.c) that the
 * runtime's FUNC records go through: the exact line, its optional
 * seventh (calls) and eighth (peak) fields, MiB figures as Python's
 * "%.4f" % (bytes / 2**20), times, names, and the longest line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "datline.h"

#define MIB	((int64_t)1 << 20)
#define SEC	INT64_C(1000000000)
#define T0	(INT64_C(1700000000) * SEC)

/* The line for r, NUL-terminated, in a static buffer. */
static const char *line_of(const struct mp_datline_func *r)
{
	static char buf[MP_DATLINE_MAX + 1];
	size_t n = mp_datline_func(buf, r);

	assert_true(n <= MP_DATLINE_MAX);
	buf[n] = '\0';
	return buf;
}

/* One call: six fields after the tag, level last, one newline. */
static void test_one_call(void **state)
{
	const struct mp_datline_func r = { "basic.c", "my_func", MIB,
		T0 + 123456789, 3 * MIB + 123457, T0 + 2 * SEC, 3 * MIB + 123457,
		0, 1 };

	(void)state;
	assert_string_equal(line_of(&r),
		"FUNC basic.c.my_func 1.0000 1700000000.1235 3.1177 1700000002.0000 0\n");
}

/* Merged calls: the seventh field is their number. */
static void test_calls_field(void **state)
{
	const struct mp_datline_func r = { "m.c", "f", 2 * MIB, T0,
		MIB, T0 + SEC / 2, 2 * MIB, 3, 250 };

	(void)state;
	assert_string_equal(line_of(&r),
		"FUNC m.c.f 2.0000 1700000000.0000 1.0000 1700000000.5000 3 250\n");
}

/* A peak above both ends: the eighth field, and the seventh with it even
 * for one call; a peak that prints as the larger end adds nothing. */
static void test_peak_field(void **state)
{
	struct mp_datline_func r = { "p.c", "g", MIB, T0, 2 * MIB, T0 + SEC,
		9 * MIB, 1, 1 };

	(void)state;
	assert_string_equal(line_of(&r),
		"FUNC p.c.g 1.0000 1700000000.0000 2.0000 1700000001.0000 1 1 9.0000\n");
	r.calls = 12;
	assert_string_equal(line_of(&r),
		"FUNC p.c.g 1.0000 1700000000.0000 2.0000 1700000001.0000 1 12 9.0000\n");
	r.calls = 1;
	r.mem_peak = 2 * MIB + 52;	/* 2.0000 too */
	assert_string_equal(line_of(&r),
		"FUNC p.c.g 1.0000 1700000000.0000 2.0000 1700000001.0000 1\n");
	r.mem_peak = 2 * MIB + 53;	/* 2.0001 */
	assert_string_equal(line_of(&r),
		"FUNC p.c.g 1.0000 1700000000.0000 2.0000 1700000001.0000 1 1 2.0001\n");
	r.mem_start = 5 * MIB;		/* the larger end is the start */
	r.mem_peak = 5 * MIB;
	assert_string_equal(line_of(&r),
		"FUNC p.c.g 5.0000 1700000000.0000 2.0000 1700000001.0000 1\n");
}

/* The MiB fields print as "%.4f" of bytes / 2^20 (exact in binary, so
 * snprintf is the reference), negative figures (heap backend) included,
 * except that one that rounds to zero prints "0.0000", not "-0.0000". */
static void test_mib_as_printf(void **state)
{
	static const int64_t fixed[] = {
		0, 1, 52, 53, 104, 105, 524288, 1048575, 1048576 + 104857,
		123456789, (int64_t)5 << 40, 999999999999, -5 * MIB / 2, -1,
		-53, -54, INT64_C(1) << 50,
	};
	struct mp_datline_func r = { "f.c", "f", 0, 0, 0, 0, 0, 0, 1 };
	uint64_t x = 0x9e3779b97f4a7c15u;
	char want[64], field[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof fixed / sizeof fixed[0] + 20000; i++) {
		int64_t v;

		if (i < sizeof fixed / sizeof fixed[0]) {
			v = fixed[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = (int64_t)(x >> (i % 24 + 16)) - (i % 3 ? 0 : INT64_C(1) << 30);
		}
		r.mem_start = r.mem_end = r.mem_peak = v;
		assert_int_equal(sscanf(line_of(&r), "FUNC f.c.f %63s", field), 1);
		snprintf(want, sizeof want, "%.4f", (double)v / MIB);
		if (!strcmp(want, "-0.0000"))
			strcpy(want, "0.0000");
		assert_string_equal(field, want);
	}
	r.mem_start = r.mem_end = r.mem_peak = -52;
	assert_string_equal(line_of(&r),
		"FUNC f.c.f 0.0000 0.0000 0.0000 0.0000 0\n");
}

/* Seconds from nanoseconds, to four decimals, halves rounded up. */
static void test_times(void **state)
{
	struct mp_datline_func r = { "t.c", "f", 0, 0, 0, 0, 0, 0, 1 };

	(void)state;
	r.t_start = T0 + 49999;
	r.t_end = T0 + 50000;
	assert_string_equal(line_of(&r),
		"FUNC t.c.f 0.0000 1700000000.0000 0.0000 1700000000.0001 0\n");
	r.t_start = T0 + 999950000;
	r.t_end = 0;
	assert_string_equal(line_of(&r),
		"FUNC t.c.f 0.0000 1700000001.0000 0.0000 0.0000 0\n");
}

/* Blanks in the name become '_'; a missing file or name is "?". */
static void test_names(void **state)
{
	struct mp_datline_func r = { "my dir/a\tb.c", "op\r\n", 0, 0, 0, 0, 0,
		0, 1 };

	(void)state;
	assert_string_equal(line_of(&r),
		"FUNC my_dir/a_b.c.op__ 0.0000 0.0000 0.0000 0.0000 0\n");
	r.file = NULL;
	r.name = NULL;
	assert_string_equal(line_of(&r),
		"FUNC ?.? 0.0000 0.0000 0.0000 0.0000 0\n");
}

/* A name too long is cut from the left: the function keeps at most half
 * of MP_DATLINE_NAME, the file the rest. */
static void test_long_names(void **state)
{
	static char file[2000], name[2000];
	struct mp_datline_func r = { file, name, 0, 0, 0, 0, 0, 0, 1 };
	char tok[MP_DATLINE_MAX];

	(void)state;
	memset(file, 'd', sizeof file - 3);
	memcpy(file + sizeof file - 3, "c", 2);
	file[0] = 'X';
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 2] = 'Z';
	assert_int_equal(sscanf(line_of(&r), "FUNC %1055s", tok), 1);
	assert_int_equal(strlen(tok), MP_DATLINE_NAME);
	assert_int_equal(strchr(tok, '.') - tok,
			 MP_DATLINE_NAME - 1 - MP_DATLINE_NAME / 2);
	assert_null(strchr(tok, 'X'));
	assert_int_equal(tok[MP_DATLINE_NAME - 1], 'Z');

	name[10] = '\0';	/* a short function keeps it whole */
	assert_int_equal(sscanf(line_of(&r), "FUNC %1055s", tok), 1);
	assert_int_equal(strlen(tok), MP_DATLINE_NAME);
	assert_string_equal(tok + MP_DATLINE_NAME - 12, "c.nnnnnnnnnn");
}

/* Every field at its extreme still fits MP_DATLINE_MAX, and a line of
 * realistic figures with the longest name fits 1024 bytes. */
static void test_longest_line(void **state)
{
	static char file[1200], name[1200];
	struct mp_datline_func r = { file, name, INT64_MIN, INT64_MIN,
		INT64_MIN, INT64_MIN, INT64_MAX, UINT64_MAX, UINT64_MAX };
	char buf[MP_DATLINE_MAX + 64];
	size_t n;

	(void)state;
	memset(file, 'f', sizeof file - 1);
	memset(name, 'n', sizeof name - 1);
	memset(buf, '#', sizeof buf);
	n = mp_datline_func(buf, &r);
	assert_int_equal(n, MP_DATLINE_NAME + 141);
	assert_true(n <= MP_DATLINE_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(buf[MP_DATLINE_MAX], '#');

	r.mem_start = r.mem_end = 64 * (MIB << 20);	/* 64 TiB */
	r.mem_peak = 128 * (MIB << 20);
	r.t_start = r.t_end = INT64_C(4102444800) * SEC;	/* 2100 */
	r.level = 100000;
	r.calls = 1000000000000u;
	assert_true(mp_datline_func(buf, &r) <= 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_call),
		cmocka_unit_test(test_calls_field),
		cmocka_unit_test(test_peak_field),
		cmocka_unit_test(test_mib_as_printf),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_longest_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
