/* SPDX-License-Identifier: MIT */
/*
 * test_size.c - report/size.c: every unit and its multiplier, fractions
 * and their rounding, the limits, what is refused, and the short figures
 * of messages.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "size.h"

static uint64_t parsed(const char *s)
{
	uint64_t v = 12345;

	assert_int_equal(mp_size_parse(s, &v), 0);
	return v;
}

static void refused(const char *s)
{
	uint64_t v = 12345;

	assert_int_equal(mp_size_parse(s, &v), -1);
	assert_int_equal(v, 12345);
}

/* Plain numbers are bytes, with or without B. */
static void test_bytes(void **state)
{
	(void)state;
	assert_int_equal(parsed("0"), 0);
	assert_int_equal(parsed("4096"), 4096);
	assert_int_equal(parsed("4096B"), 4096);
	assert_int_equal(parsed("4096 b"), 4096);
	assert_int_equal(parsed("007"), 7);
}

/* K, Ki, KiB are 1024; KB is 1000; the same up to T; case ignored. */
static void test_units(void **state)
{
	(void)state;
	assert_int_equal(parsed("512K"), 512 * 1024);
	assert_int_equal(parsed("512k"), 512 * 1024);
	assert_int_equal(parsed("512KiB"), 512 * 1024);
	assert_int_equal(parsed("512kib"), 512 * 1024);
	assert_int_equal(parsed("512KB"), 512000);
	assert_int_equal(parsed("512kB"), 512000);
	assert_int_equal(parsed("24MiB"), 24 << 20);
	assert_int_equal(parsed("24 MiB"), 24 << 20);
	assert_int_equal(parsed("24M"), 24 << 20);
	assert_int_equal(parsed("24MB"), 24000000);
	assert_int_equal(parsed("2G"), (uint64_t)2 << 30);
	assert_int_equal(parsed("2GB"), 2000000000);
	assert_int_equal(parsed("3T"), (uint64_t)3 << 40);
	assert_int_equal(parsed("3TB"), 3000000000000ull);
}

/* Fractions are exact; fractions of a byte are dropped. */
static void test_fractions(void **state)
{
	(void)state;
	assert_int_equal(parsed("1.5G"), 1610612736);
	assert_int_equal(parsed(".5M"), 524288);
	assert_int_equal(parsed("0.5K"), 512);
	assert_int_equal(parsed("1.0005K"), 1024);	/* 1024.512 */
	assert_int_equal(parsed("1.001K"), 1025);	/* 1025.024 */
	assert_int_equal(parsed("2.9"), 2);
	assert_int_equal(parsed("0.1"), 0);
	assert_int_equal(parsed("1.000000000000000000000001G"), 1 << 30);
}

/* The locale never changes the decimal point. */
static void test_locale(void **state)
{
	(void)state;
	setlocale(LC_ALL, "de_DE.UTF-8");	/* if it exists: harmless if not */
	assert_int_equal(parsed("1.5K"), 1536);
	refused("1,5K");
	setlocale(LC_ALL, "C");
}

/* Up to 2^62 bytes; more is refused, overflow included. */
static void test_limits(void **state)
{
	(void)state;
	assert_int_equal(parsed("4194304T"), MP_SIZE_MAX);
	assert_int_equal(parsed("4611686018427387904"), MP_SIZE_MAX);
	refused("4611686018427387905");
	refused("4194305T");
	refused("99999999999999999999999999");
	refused("18446744073709551616");
}

/* Anything else is not a size. */
static void test_refused(void **state)
{
	(void)state;
	refused(NULL);
	refused("");
	refused(" 1K");
	refused("K");
	refused(".");
	refused("-1");
	refused("+1");
	refused("1e6");
	refused("1.5.3");
	refused("1 K B");
	refused("1KK");
	refused("1KiBs");
	refused("1Ki");
	refused("1P");
	refused("1X");
	refused("1%");
	refused("1K ");
	refused("0x10");
}

/* Short figures: bytes below 1 KiB, then one decimal of a binary unit. */
static void test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(mp_size_format(buf, sizeof buf, 0), "0 B");
	assert_string_equal(mp_size_format(buf, sizeof buf, 1023), "1023 B");
	assert_string_equal(mp_size_format(buf, sizeof buf, -512), "-512 B");
	assert_string_equal(mp_size_format(buf, sizeof buf, 1024), "1.0 KiB");
	assert_string_equal(mp_size_format(buf, sizeof buf, 1536), "1.5 KiB");
	assert_string_equal(mp_size_format(buf, sizeof buf, 8000000),
			    "7.6 MiB");
	assert_string_equal(mp_size_format(buf, sizeof buf, -4000000),
			    "-3.8 MiB");
	/* 1023.99 KiB rounds to 1024.0: said as 1.0 MiB */
	assert_string_equal(mp_size_format(buf, sizeof buf, 1048570),
			    "1.0 MiB");
	assert_string_equal(mp_size_format(buf, sizeof buf,
					   (int64_t)3 << 30), "3.0 GiB");
	assert_string_equal(mp_size_format(buf, sizeof buf,
					   (int64_t)5 << 40), "5.0 TiB");
	assert_string_equal(mp_size_format(buf, sizeof buf, INT64_MIN),
			    "-8388608.0 TiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_locale),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
