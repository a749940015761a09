/* SPDX-License-Identifier: MIT */
/*
 * test_source.c - source files as the report reads them (report/source.c):
 * every line mp_source_line() returns equals what a byte-by-byte reading
 * with universal newlines gives (a BOM dropped, "\r\n" and a lone "\r"
 * made "\n", a final newline added), for short files of every mix of
 * those bytes and for large files with a '\r' far from the start, a
 * BOM, or no final newline; an unreadable file has no lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "source.h"

static char tmpdir[] = "/tmp/mprof-source-XXXXXX";
static char path[256];

/* The reference: linecache's lines of `in`, one per element of `lines`. */
static size_t expect(const char *in, size_t n, char *out, size_t *starts)
{
	size_t i = 0, o = 0, nl = 0;

	if (n >= 3 && !memcmp(in, "\xef\xbb\xbf", 3))
		i = 3;
	starts[0] = 0;
	for (; i < n; i++) {
		if (in[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && in[i + 1] == '\n')
				i++;
		} else {
			out[o++] = in[i];
		}
		if (out[o - 1] == '\n')
			starts[++nl] = o;
	}
	if (o && out[o - 1] != '\n') {
		out[o++] = '\n';
		starts[++nl] = o;
	}
	return nl;
}

/* Writes `in` to the file, reads it back and compares every line. */
static void check(const char *in, size_t n)
{
	struct mp_source_cache c = { 0 };
	struct mp_func f = { 0 };
	struct mp_source *s;
	char *want = malloc(n + 2);
	size_t *starts = malloc((n + 2) * sizeof *starts);
	size_t nl, i, len;
	const char *got;
	FILE *fp = fopen(path, "wb");

	assert_non_null(want);
	assert_non_null(starts);
	assert_non_null(fp);
	assert_int_equal(fwrite(in, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
	nl = expect(in, n, want, starts);
	f.file = path;
	f.dir = (char *)"";
	s = mp_source_get(&c, &f);
	assert_non_null(s);
	assert_non_null(s->text);
	assert_int_equal(s->nlines, nl);
	for (i = 1; i <= nl; i++) {
		got = mp_source_line(s, (int32_t)i, &len);
		assert_non_null(got);
		assert_int_equal(len, starts[i] - starts[i - 1]);
		assert_memory_equal(got, want + starts[i - 1], len);
	}
	assert_null(mp_source_line(s, (int32_t)nl + 1, &len));
	assert_int_equal(len, 0);
	mp_source_free(&c);
	free(want);
	free(starts);
}

/* Every string of up to six bytes from "a\r\n", with and without a BOM. */
static void test_short(void **state)
{
	const char alpha[3] = { 'a', '\r', '\n' };
	char in[16];
	int len, k, bom, v;

	(void)state;
	for (bom = 0; bom < 2; bom++)
		for (len = 0; len <= 6; len++) {
			int total = 1;

			for (k = 0; k < len; k++)
				total *= 3;
			for (v = 0; v < total; v++) {
				int x = v, o = 0;

				if (bom) {
					memcpy(in, "\xef\xbb\xbf", 3);
					o = 3;
				}
				for (k = 0; k < len; k++, x /= 3)
					in[o++] = alpha[x % 3];
				check(in, (size_t)o);
			}
		}
	check("\xef\xbb", 2);		/* half a BOM is text */
}

/* A large file: lines of varied lengths, then `tail` at the very end. */
static void check_large(const char *head, const char *tail)
{
	size_t n = 3 << 20, o = 0, line = 0;
	char *in = malloc(n + 64);

	assert_non_null(in);
	o = strlen(head);
	memcpy(in, head, o);
	while (o < n) {
		size_t w = 1 + line++ * 7919 % 97;

		memset(in + o, 'x', w);
		o += w;
		in[o++] = '\n';
	}
	memcpy(in + o, tail, strlen(tail));
	o += strlen(tail);
	check(in, o);
	free(in);
}

static void test_large(void **state)
{
	(void)state;
	check_large("", "");
	check_large("", "last");
	check_large("", "a\rb\r\nc\r");
	check_large("\xef\xbb\xbf", "end\r\n");
	check_large("\r\n", "");
}

static void test_unreadable(void **state)
{
	struct mp_source_cache c = { 0 };
	struct mp_func f = { 0 };
	struct mp_source *s;
	size_t len = 1;

	(void)state;
	f.file = (char *)"/nonexistent/mprof-source.c";
	f.dir = (char *)"";
	s = mp_source_get(&c, &f);
	assert_non_null(s);
	assert_null(s->text);
	assert_null(mp_source_line(s, 1, &len));
	assert_int_equal(len, 0);
	mp_source_free(&c);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof path, "%s/src.c", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
