/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - the JSON profile (report/json.c, jsonread.c): the exact
 * text the writer produces, write/read round trips (strings that are not UTF-8,
 * extreme figures, metadata), the normalisation the reader applies, and
 * one test per class of malformed input, each checking the whole
 * "name:line: message" line.  malloc and realloc are replaced (forwarding
 * to glibc) so a test can make every allocation after the n-th fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define MP_TEST_FAILING_MALLOC
#include "helpers.h"

#include "jsonread.h"

static char err[512];

/* Parse a NUL-terminated text; the return of mp_json_parse. */
static int parse(const char *text, struct mp_profile *p,
		 struct mp_json_meta *m)
{
	mp_profile_init(p);
	return mp_json_parse(text, strlen(text), "t.json", p, m, err,
			     sizeof err);
}

/* Write p with m into a malloc'd NUL-terminated string. */
static char *write_str(const struct mp_profile *p,
		       const struct mp_json_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(mp_json_write(f, p, m), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const struct mp_row basic_rows[] = {
	{ .line = 22, .count = 1, .incr = 0, .peak = 0 },
	{ .line = 24, .count = 1, .incr = 4000000, .peak = 4000000 },
	{ .line = 28, .count = 1, .incr = -4000000, .peak = 8000000 },
};

/* The writer's layout: one member per line, one row per line. */
static void test_write_format(void **state)
{
	struct mp_profile p;
	struct mp_json_meta m;
	char *text;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "basic.c", "/src", "my_func",
					     22, 30, basic_rows, 3), 0);
	mp_json_meta_init(&m);
	strcpy(m.backend, "heap");
	m.pid = 4242;
	text = write_str(&p, &m);
	assert_string_equal(text,
		"{\n"
		"  \"mprof\": 1,\n"
		"  \"backend\": \"heap\",\n"
		"  \"precision\": 1,\n"
		"  \"pid\": 4242,\n"
		"  \"functions\": [\n"
		"    {\n"
		"      \"file\": \"basic.c\",\n"
		"      \"dir\": \"/src\",\n"
		"      \"name\": \"my_func\",\n"
		"      \"first_line\": 22,\n"
		"      \"last_line\": 30,\n"
		"      \"rows\": [\n"
		"        [22, 1, 0, 0],\n"
		"        [24, 1, 4000000, 4000000],\n"
		"        [28, 1, -4000000, 8000000]\n"
		"      ]\n"
		"    }\n"
		"  ]\n"
		"}\n");
	free(text);
	mp_profile_free(&p);
}

/* An empty profile, and a parent's pid, are written as such. */
static void test_write_empty_child(void **state)
{
	struct mp_profile p;
	struct mp_json_meta m;
	char *text;

	(void)state;
	mp_profile_init(&p);
	mp_json_meta_init(&m);
	strcpy(m.backend, "rss");
	m.precision = 3;
	m.pid = 11;
	m.parent = 10;
	text = write_str(&p, &m);
	assert_string_equal(text,
		"{\n  \"mprof\": 1,\n  \"backend\": \"rss\",\n"
		"  \"precision\": 3,\n  \"pid\": 11,\n  \"parent\": 10,\n"
		"  \"functions\": []\n}\n");
	free(text);
}

static void assert_same_profile(const struct mp_profile *a,
				const struct mp_profile *b)
{
	size_t i, j;

	assert_int_equal(a->nfuncs, b->nfuncs);
	for (i = 0; i < a->nfuncs; i++) {
		const struct mp_func *x = &a->funcs[i], *y = &b->funcs[i];

		assert_string_equal(x->file, y->file);
		assert_string_equal(x->dir, y->dir);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->first_line, y->first_line);
		assert_int_equal(x->last_line, y->last_line);
		assert_int_equal(x->nrows, y->nrows);
		for (j = 0; j < x->nrows; j++) {
			assert_int_equal(x->rows[j].line, y->rows[j].line);
			assert_true(x->rows[j].count == y->rows[j].count);
			assert_true(x->rows[j].incr == y->rows[j].incr);
			assert_true(x->rows[j].peak == y->rows[j].peak);
		}
	}
}

/* Every string and figure comes back as it was written, and writing what
 * was read gives the same bytes: names with quotes, control characters,
 * UTF-8 and bytes that are not UTF-8; the extremes of every figure. */
static void test_round_trip(void **state)
{
	static const struct mp_row extreme[] = {
		{ .line = 1, .count = UINT64_MAX, .incr = INT64_MIN, .peak = INT64_MAX },
		{ .line = INT32_MAX, .count = 1, .incr = INT64_MAX, .peak = INT64_MIN },
	};
	static const char *const names[] = {
		"plain", "q\"uote\\back/slash", "tab\there\nnl\rcr\b\f\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\xff\xfe raw",
		"\x80\xc3(\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf\xe0\x80",
		"trunc \xe2\x82", "\xdc\x80",
	};
	struct mp_profile p, q, r;
	struct mp_json_meta m, mq;
	char *t1, *t2;
	size_t i;

	(void)state;
	mp_profile_init(&p);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_int_equal(mp_profile_add_func(&p, names[i], names[i],
						     names[i], (int32_t)i + 1,
						     (int32_t)i + 9, basic_rows,
						     3), 0);
	assert_int_equal(mp_profile_add_func(&p, "x.c", "", "extreme", 1,
					     INT32_MAX, extreme, 2), 0);
	assert_int_equal(mp_profile_add_func(&p, "x.c", "", "norows", 5, 6,
					     NULL, 0), 0);
	assert_int_equal(mp_profile_merge(&p), 0);
	mp_json_meta_init(&m);
	strcpy(m.backend, "uss");
	m.precision = 0;
	m.pid = INT32_MAX;
	m.parent = 1;
	t1 = write_str(&p, &m);
	assert_int_equal(parse(t1, &q, &mq), 0);
	assert_same_profile(&p, &q);
	assert_string_equal(mq.backend, "uss");
	assert_int_equal(mq.precision, 0);
	assert_int_equal(mq.pid, INT32_MAX);
	assert_int_equal(mq.parent, 1);
	assert_int_equal(mq.version, 1);
	t2 = write_str(&q, &mq);
	assert_string_equal(t1, t2);
	/* the text is plain ASCII plus valid UTF-8: bytes escaped */
	assert_non_null(strstr(t1, "\"\\udcff\\udcfe raw\""));
	assert_non_null(strstr(t1, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_non_null(strstr(t1, "\\\"uote\\\\back/slash"));
	assert_non_null(strstr(t1, "tab\\there\\nnl\\rcr\\u0008\\u000c\\u0001\\u001f\x7f"));
	assert_int_equal(parse(t2, &r, NULL), 0);
	assert_same_profile(&p, &r);
	free(t1);
	free(t2);
	mp_profile_free(&p);
	mp_profile_free(&q);
	mp_profile_free(&r);
}

/* Escapes decode to UTF-8; surrogate pairs join; \udc80..\udcff are bytes. */
/* The optional columns: "columns" and each function's "extra" and
 * "leaked_blocks" are written only when the profile has columns, read
 * back to the same figures and the same text; a version-1 profile
 * without them reads with no columns. */
static void test_columns_round_trip(void **state)
{
	static const struct mp_row rows[] = {
		{ .line = 10, .count = 1, .incr = 5, .peak = 5,
		  .time_ns = UINT64_MAX, .allocs = 1001,
		  .allocated = 1025024, .rise = 67108864, .leaked = 3145728 },
		{ .line = 12, .count = 1001, .incr = 0, .peak = 5,
		  .time_ns = 1500, .allocs = 1000, .allocated = 1024000,
		  .rise = INT64_MIN, .leaked = INT64_MAX },
	};
	struct mp_profile p, q, r;
	char *t1, *t2, *plain;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "c.c", "/d", "f", 10, 13,
					     rows, 2), 0);
	p.funcs[0].leaked_blocks = 3;
	p.columns = MP_COL_TIME | MP_COL_ALLOCS | MP_COL_LEAKED;
	t1 = write_str(&p, NULL);
	assert_non_null(strstr(t1, "  \"columns\": [\"time\", \"allocs\", \"leaked\"],\n"));
	assert_non_null(strstr(t1, "      \"leaked_blocks\": 3,\n      \"extra\": [\n"
		"        [10, 18446744073709551615, 1001, 1025024, 67108864, 3145728],\n"
		"        [12, 1500, 1000, 1024000, -9223372036854775808, 9223372036854775807]\n      ]\n"));
	assert_int_equal(parse(t1, &q, NULL), 0);
	assert_int_equal(q.columns, p.columns);
	assert_int_equal(q.funcs[0].leaked_blocks, 3);
	for (size_t j = 0; j < 2; j++) {
		assert_true(q.funcs[0].rows[j].time_ns == rows[j].time_ns);
		assert_true(q.funcs[0].rows[j].allocs == rows[j].allocs);
		assert_true(q.funcs[0].rows[j].allocated == rows[j].allocated);
		assert_true(q.funcs[0].rows[j].rise == rows[j].rise);
		assert_true(q.funcs[0].rows[j].leaked == rows[j].leaked);
	}
	t2 = write_str(&q, NULL);
	assert_string_equal(t1, t2);
	/* without columns: version 1's text, nothing new */
	p.columns = 0;
	plain = write_str(&p, NULL);
	assert_null(strstr(plain, "columns"));
	assert_null(strstr(plain, "extra"));
	assert_int_equal(parse(plain, &r, NULL), 0);
	assert_int_equal(r.columns, 0);
	assert_true(r.funcs[0].rows[1].time_ns == 0);
	free(t1);
	free(t2);
	free(plain);
	mp_profile_free(&p);
	mp_profile_free(&q);
	mp_profile_free(&r);
}

static void test_escapes(void **state)
{
	struct mp_profile p;

	(void)state;
	assert_int_equal(parse("{\"mprof\":1,\"functions\":[{\"file\":"
			       "\"a\\u00e9\\u20ac\\ud83d\\ude00\\/\\b\\f\\\"\\\\\\udcff\","
			       "\"name\":\"\\u0041\",\"first_line\":1,"
			       "\"last_line\":1,\"rows\":[[1,1,0,0]]}]}",
			       &p, NULL), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_string_equal(p.funcs[0].file,
			    "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\b\f\"\\\xff");
	assert_string_equal(p.funcs[0].name, "A");
	assert_string_equal(p.funcs[0].dir, "");
	mp_profile_free(&p);
}

/* Members the reader does not know are parsed and ignored, at any level
 * and of any type; the optional members take their defaults. */
static void test_unknown_members(void **state)
{
	struct mp_profile p;
	struct mp_json_meta m;

	(void)state;
	assert_int_equal(parse(" \r\n\t{ \"mprof\" : 1 , \"future\": {\"a\": [1, -2.5e+3, "
			       "true, false, null, \"s\", {}, []], \"b\": {}},\n"
			       "\"functions\": [{\"x\": 0.5, \"file\": \"f.c\", "
			       "\"name\": \"g\", \"first_line\": 3, \"last_line\": 4, "
			       "\"rows\": [], \"y\": [[[]]]}], \"z\": -0 } \n",
			       &p, &m), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_int_equal(p.funcs[0].nrows, 0);
	assert_string_equal(m.backend, "");
	assert_int_equal(m.precision, 1);
	assert_int_equal(m.pid, 0);
	assert_int_equal(m.parent, 0);
	mp_profile_free(&p);
}

/* What is read is sorted by file and first line, duplicates folded, as
 * the runtime's own profile is. */
static void test_normalised(void **state)
{
	struct mp_profile p;

	(void)state;
	assert_int_equal(parse("{\"mprof\":1,\"functions\":["
			       "{\"file\":\"b.c\",\"name\":\"f\",\"first_line\":5,\"last_line\":9,\"rows\":[[5,1,10,10]]},"
			       "{\"file\":\"a.c\",\"name\":\"g\",\"first_line\":7,\"last_line\":8,\"rows\":[[7,2,1,1]]},"
			       "{\"file\":\"b.c\",\"name\":\"f\",\"first_line\":5,\"last_line\":12,\"rows\":[[6,1,3,3]]},"
			       "{\"file\":\"a.c\",\"name\":\"h\",\"first_line\":2,\"last_line\":3,\"rows\":[[2,1,1,1]]}]}",
			       &p, NULL), 0);
	assert_int_equal(p.nfuncs, 3);
	assert_string_equal(p.funcs[0].name, "h");
	assert_string_equal(p.funcs[1].name, "g");
	assert_string_equal(p.funcs[2].name, "f");
	assert_int_equal(p.funcs[2].nrows, 2);
	assert_int_equal(p.funcs[2].last_line, 12);
	mp_profile_free(&p);
}

/* Each class of malformed input: -1 and exactly this message. */
static void test_malformed(void **state)
{
#define F(rows) "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\"," \
		"\"first_line\":1,\"last_line\":2,\"rows\":[" rows "]}]}"
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "", "t.json:1: unexpected end of input, expected '{' (a JSON object)" },
		{ " \n \n", "t.json:3: unexpected end of input, expected '{' (a JSON object)" },
		{ "[]", "t.json:1: unexpected '[', expected '{' (a JSON object)" },
		{ "\xef\xbb\xbf{}", "t.json:1: unexpected byte 0xef, expected '{' (a JSON object)" },
		{ "{}", "t.json:1: not an mprof profile: the first member must be 'mprof'" },
		{ "{\"functions\":[],\"mprof\":1}", "t.json:1: not an mprof profile: the first member must be 'mprof'" },
		{ "{\"mprof\":2,\"functions\":[]}", "t.json:1: profile version 2 is newer than this mprof reads (1)" },
		{ "{\"mprof\":0}", "t.json:1: 'mprof' (the schema version) must be an integer from 1 to 2147483647, not '0'" },
		{ "{\"mprof\":1}", "t.json:1: profile without 'functions'" },
		{ "{\"mprof\":1,\"functions\":[]} x", "t.json:1: trailing data after the profile" },
		{ "{\"mprof\":1,\"functions\":[]}{}", "t.json:1: trailing data after the profile" },
		{ "{\"mprof\":1,\"mprof\":1}", "t.json:1: duplicate member 'mprof'" },
		{ "{\"mprof\":1,\"columns\":[1],\"functions\":[]}", "t.json:1: unexpected '1', expected a string" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[[1,1,0,0]],\"extra\":[[2,0,0,0,0,0]]}]}", "t.json:1: an extra row for line 2 which has no row" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[[1,1,0,0]],\"extra\":[[1,-1,0,0,0,0]]}]}", "t.json:1: an extra row's time must be an integer from 0 to 18446744073709551615, not '-1'" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[[1,1,0,0]],\"extra\":[[1,0,0,0,0]]}]}", "t.json:1: unexpected ']', expected ',' and the extra row's leaked" },
		{ "{\"mprof\":1,\"functions\":[],}", "t.json:1: unexpected '}', expected a string" },
		{ "{\"mprof\":1,\"functions\":[1,]}", "t.json:1: unexpected '1', expected a function object" },
		{ "{\"mprof\":1,\"x\":[1,],\"functions\":[]}", "t.json:1: unexpected ']', expected a value" },
		{ "{\"mprof\" 1}", "t.json:1: unexpected '1', expected ':' after a member name" },
		{ "{\"mprof\":1 \"functions\":[]}", "t.json:1: unexpected '\"', expected ',' or '}'" },
		{ "{\"mprof\":1,\"functions\":[]", "t.json:1: unexpected end of input, expected ',' or '}'" },
		{ "{\"mprof\":1,\"x\":\"abc", "t.json:1: unterminated string" },
		{ "{\"mprof\":1,\"x\":\"a\tb\"}", "t.json:1: control character 0x09 in a string (write it as \\u0009)" },
		{ "{\"mprof\":1,\"x\":\"a\\xb\"}", "t.json:1: invalid escape '\\x' in a string" },
		{ "{\"mprof\":1,\"x\":\"\\u12g4\"}", "t.json:1: invalid \\u escape in a string: four hex digits expected" },
		{ "{\"mprof\":1,\"x\":\"\\ud800x\"}", "t.json:1: high surrogate \\ud800 not followed by a low one" },
		{ "{\"mprof\":1,\"x\":\"\\ud800\\u0041\"}", "t.json:1: high surrogate \\ud800 not followed by a low one" },
		{ "{\"mprof\":1,\"x\":\"\\udc00\"}", "t.json:1: lone low surrogate \\udc00 in a string" },
		{ "{\"mprof\":1,\"x\":\"\\u0000\"}", "t.json:1: \\u0000 in a string (NUL is not allowed)" },
		{ "{\"mprof\":1,\"x\":\"\xc3\x28\"}", "t.json:1: invalid UTF-8 in a string" },
		{ "{\"mprof\":1,\"x\":\"\xed\xa0\x80\"}", "t.json:1: invalid UTF-8 in a string" },
		{ "{\"mprof\":1,\"x\":\"\xc0\xaf\"}", "t.json:1: invalid UTF-8 in a string" },
		{ "{\"mprof\":01}", "t.json:1: number with a leading zero" },
		{ "{\"mprof\":1,\"x\":1.}", "t.json:1: a number's '.' must be followed by digits" },
		{ "{\"mprof\":1,\"x\":1e}", "t.json:1: a number's exponent must have digits" },
		{ "{\"mprof\":1,\"x\":-}", "t.json:1: unexpected '}', expected a number" },
		{ "{\"mprof\":1,\"x\":+1}", "t.json:1: unexpected '+', expected a value" },
		{ "{\"mprof\":1,\"x\":NaN}", "t.json:1: unexpected 'N', expected a value" },
		{ "{\"mprof\":1,\"x\":tru}", "t.json:1: unexpected 't', expected a value" },
		{ "{\"mprof\":1,// c\n\"functions\":[]}", "t.json:1: unexpected '/', expected a string" },
		{ "{\"mprof\":1.0}", "t.json:1: 'mprof' (the schema version) must be an integer from 1 to 2147483647, not '1.0'" },
		{ "{\"mprof\":1,\"precision\":11}", "t.json:1: 'precision' must be an integer from 0 to 10, not '11'" },
		{ "{\"mprof\":1,\"pid\":-1}", "t.json:1: 'pid' must be an integer from 0 to 2147483647, not '-1'" },
		{ "{\"mprof\":1,\"backend\":\"0123456789012345678901234567890123\"}", "t.json:1: 'backend' longer than 31 bytes" },
		{ "{\"mprof\":1,\"backend\":1}", "t.json:1: unexpected '1', expected a string" },
		{ "{\"mprof\":1,\"functions\":{}}", "t.json:1: unexpected '{', expected '['" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\"}]}", "t.json:1: function without 'name'" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":1}]}", "t.json:1: function without 'rows'" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"\",\"name\":\"g\",\"first_line\":1,\"last_line\":1,\"rows\":[]}]}", "t.json:1: function with an empty 'file'" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f\",\"file\":\"f\"}]}", "t.json:1: duplicate member 'file'" },
		{ "{\"mprof\":1,\"functions\":[{\"first_line\":0}]}", "t.json:1: 'first_line' must be an integer from 1 to 2147483647, not '0'" },
		{ "{\"mprof\":1,\"functions\":[{\"last_line\":2147483648}]}", "t.json:1: 'last_line' must be an integer from 1 to 2147483647, not '2147483648'" },
		{ F("[1,1,0]"), "t.json:1: unexpected ']', expected ',' and the row's mem usage" },
		{ F("[1,1,0,0,0]"), "t.json:1: unexpected ',', expected ']' after the row's four numbers" },
		{ F("1"), "t.json:1: unexpected '1', expected a row [line, occurrences, increment, mem usage]" },
		{ F("[0,1,0,0]"), "t.json:1: a row's line must be an integer from 1 to 2147483647, not '0'" },
		{ F("[1,0,0,0]"), "t.json:1: a row's occurrences must be an integer from 1 to 18446744073709551615, not '0'" },
		{ F("[1,-1,0,0]"), "t.json:1: a row's occurrences must be an integer from 1 to 18446744073709551615, not '-1'" },
		{ F("[1,18446744073709551616,0,0]"), "t.json:1: a row's occurrences must be an integer from 1 to 18446744073709551615, not '18446744073709551616'" },
		{ F("[1,1,9223372036854775808,0]"), "t.json:1: a row's increment must be an integer from -9223372036854775808 to 9223372036854775807, not '9223372036854775808'" },
		{ F("[1,1,0,-9223372036854775809]"), "t.json:1: a row's mem usage must be an integer from -9223372036854775808 to 9223372036854775807, not '-9223372036854775809'" },
		{ F("[1,1,0,1e3]"), "t.json:1: a row's mem usage must be an integer from -9223372036854775808 to 9223372036854775807, not '1e3'" },
		{ F("[2,1,0,0],[2,1,0,0]"), "t.json:1: rows must be in increasing line order (line 2 after line 2)" },
		{ F("[3,1,0,0],\n[2,1,0,0]"), "t.json:2: rows must be in increasing line order (line 2 after line 3)" },
		{ "{\"mprof\":1,\n\n\"functions\": [\n{\"file\": 7}]}", "t.json:4: unexpected '7', expected a string" },
	};
#undef F
	struct mp_profile p;
	struct mp_json_meta m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = parse(cases[i].in, &p, &m);

		if (rc != -1 || strcmp(err, cases[i].msg))
			fail_msg("case %zu: %s\n  rc %d, got      '%s'\n  expected '%s'",
				 i, cases[i].in, rc, err, cases[i].msg);
		mp_profile_free(&p);
	}
}

/* A NUL byte inside the input is an error, not the end of it. */
static void test_nul_byte(void **state)
{
	static const char in[] = "{\"mprof\":1,\"functions\":[]}\0";
	static const char in2[] = "{\"mprof\":1,\"x\":\"a\0b\",\"functions\":[]}";
	struct mp_profile p;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_json_parse(in, sizeof in - 1, "n.json", &p, NULL,
				       err, sizeof err), -1);
	assert_string_equal(err, "n.json:1: trailing data after the profile");
	assert_int_equal(mp_json_parse(in2, sizeof in2 - 1, "n.json", &p, NULL,
				       err, sizeof err), -1);
	assert_string_equal(err, "n.json:1: control character 0x00 in a string (write it as \\u0000)");
	mp_profile_free(&p);
}

/* Nesting is bounded: deep unknown members fail cleanly, however deep. */
static void test_deep_nesting(void **state)
{
	static const size_t depths[] = { 30, 31, 32, 1000000 };
	struct mp_profile p;
	size_t i, d, n;
	char *in;
	int rc;

	(void)state;
	for (i = 0; i < sizeof depths / sizeof depths[0]; i++) {
		d = depths[i];
		in = malloc(2 * d + 64);
		assert_non_null(in);
		n = (size_t)sprintf(in, "{\"mprof\":1,\"x\":");
		memset(in + n, '[', d);
		memset(in + n + d, ']', d);
		strcpy(in + n + 2 * d, ",\"functions\":[]}");
		mp_profile_init(&p);
		rc = mp_json_parse(in, strlen(in), "d.json", &p, NULL, err,
				   sizeof err);
		/* the root object is one level: 31 arrays inside it fit */
		if (d <= MP_JSON_MAX_DEPTH - 1) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, "d.json:1: nesting deeper than 32 levels");
		}
		mp_profile_free(&p);
		free(in);
	}
}

/* Every proper prefix of a valid profile is an error, never a crash. */
static void test_truncated(void **state)
{
	struct mp_profile p;
	struct mp_json_meta m;
	char *text;
	size_t n, len;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "b\xc3\xa9.c", "/d", "f", 22,
					     30, basic_rows, 3), 0);
	mp_json_meta_init(&m);
	m.parent = 3;
	text = write_str(&p, &m);
	mp_profile_free(&p);
	len = strlen(text);
	for (n = 0; n < len; n++) {
		mp_profile_init(&p);
		/* a copy of exactly n bytes, so reading past it is caught */
		char *cut = malloc(n ? n : 1);

		assert_non_null(cut);
		memcpy(cut, text, n);
		assert_int_equal(mp_json_parse(cut, n, "c.json", &p, NULL, err,
					       sizeof err), len - n == 1 ? 0 : -1);
		assert_true(len - n == 1 || strncmp(err, "c.json:", 7) == 0);
		mp_profile_free(&p);
		free(cut);
	}
	free(text);
}

/*
 * "source": written after the rows, one string per line; read back into
 * the same text; an empty array is an empty text; an old profile without
 * it has none; bad forms are refused with one line.
 */
static void test_source(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[],\"source\":\"x\"}]}",
		  "t.json:1: unexpected '\"', expected '[' (the array of 'source' lines)" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[],\"source\":[1]}]}",
		  "t.json:1: unexpected '1', expected a string (a line of 'source')" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[],\"source\":[\"a\\nb\"]}]}",
		  "t.json:1: a line of 'source' with a newline in it" },
		{ "{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[],\"source\":[],\"source\":[]}]}",
		  "t.json:1: duplicate member 'source'" },
	};
	struct mp_profile p, q;
	char *text, *again;
	size_t i;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "basic.c", "", "my_func", 22,
					     24, basic_rows, 2), 0);
	p.funcs[0].source = strdup("int *my_func(void)\n{\n\tchar *s = \"\\\xff\";\n");
	p.funcs[0].source_len = strlen(p.funcs[0].source);
	text = write_str(&p, NULL);
	assert_non_null(strstr(text,
		"        [24, 1, 4000000, 4000000]\n"
		"      ],\n"
		"      \"source\": [\n"
		"        \"int *my_func(void)\",\n"
		"        \"{\",\n"
		"        \"\\tchar *s = \\\"\\\\\\udcff\\\";\"\n"
		"      ]\n"
		"    }\n"));
	assert_int_equal(parse(text, &q, NULL), 0);
	assert_int_equal(q.funcs[0].source_len, p.funcs[0].source_len);
	assert_memory_equal(q.funcs[0].source, p.funcs[0].source,
			    p.funcs[0].source_len);
	again = write_str(&q, NULL);
	assert_string_equal(again, text);
	free(again);
	free(text);
	mp_profile_free(&q);

	/* an empty text is still a saved one */
	free(p.funcs[0].source);
	p.funcs[0].source = strdup("");
	p.funcs[0].source_len = 0;
	text = write_str(&p, NULL);
	assert_non_null(strstr(text, "      ],\n      \"source\": []\n    }"));
	assert_int_equal(parse(text, &q, NULL), 0);
	assert_non_null(q.funcs[0].source);
	assert_int_equal(q.funcs[0].source_len, 0);
	free(text);
	mp_profile_free(&q);
	mp_profile_free(&p);

	/* without it: none */
	assert_int_equal(parse("{\"mprof\":1,\"functions\":[{\"file\":\"f.c\",\"name\":\"g\",\"first_line\":1,\"last_line\":2,\"rows\":[[1,1,0,0]]}]}", &q, NULL), 0);
	assert_null(q.funcs[0].source);
	mp_profile_free(&q);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse(bad[i].in, &q, NULL), -1);
		assert_string_equal(err, bad[i].msg);
		mp_profile_free(&q);
	}
}

/* Out of memory at any allocation: -1 and a message, never a crash. */
static void test_out_of_memory(void **state)
{
	struct mp_profile p, q;
	char *text;
	long n;
	int rc;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "a.c", "/d", "f", 22, 30,
					     basic_rows, 3), 0);
	assert_int_equal(mp_profile_add_func(&p, "b.c", "/d", "g", 2, 3,
					     basic_rows, 1), 0);
	text = write_str(&p, NULL);
	mp_profile_free(&p);
	for (n = 0;; n++) {
		mp_profile_init(&q);
		fail_after = n;
		rc = mp_json_parse(text, strlen(text), "m.json", &q, NULL, err,
				   sizeof err);
		fail_after = -1;
		if (rc == 0)
			break;
		assert_string_equal(err, "m.json: out of memory");
		mp_profile_free(&q);
	}
	assert_true(n > 5);
	assert_int_equal(q.nfuncs, 2);
	mp_profile_free(&q);
	free(text);
}

static char dir[] = "/tmp/mprof-test-json-XXXXXX";

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof path, "%s/empty.json", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/good.json", dir);
	unlink(path);
	return rmdir(dir);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* mp_json_read: the file-level errors, each one line naming the file. */
static void test_read_file(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct mp_profile p;
	struct mp_json_meta m;

	(void)state;
	mp_profile_init(&p);
	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_int_equal(mp_json_read(path, &p, &m, err, sizeof err), -1);
	snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
	assert_string_equal(err, want);

	assert_int_equal(mp_json_read(dir, &p, &m, err, sizeof err), -1);
	snprintf(want, sizeof want, "'%s' is a directory", dir);
	assert_string_equal(err, want);

	snprintf(path, sizeof path, "%s/empty.json", dir);
	put_file(path, "");
	assert_int_equal(mp_json_read(path, &p, &m, err, sizeof err), -1);
	snprintf(want, sizeof want, "'%s' is empty", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof path, "%s/good.json", dir);
	put_file(path, "{\"mprof\": 1, \"pid\": 7,\n\"functions\": [\n{\"file\": \"f.c\", \"name\": \"g\", "
		       "\"first_line\": 1, \"last_line\": 2, \"rows\": [[1, 1, 0, 0]]}]}\n");
	assert_int_equal(mp_json_read(path, &p, &m, err, sizeof err), 0);
	assert_int_equal(p.nfuncs, 1);
	assert_int_equal(m.pid, 7);
	mp_profile_free(&p);

	put_file(path, "{\"mprof\": 1,\n\"functions\": 3}");
	assert_int_equal(mp_json_read(path, &p, &m, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: unexpected '3', expected '['", path);
	assert_string_equal(err, want);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_format),
		cmocka_unit_test(test_write_empty_child),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_columns_round_trip),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unknown_members),
		cmocka_unit_test(test_normalised),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
