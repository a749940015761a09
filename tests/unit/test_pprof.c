/* SPDX-License-Identifier: MIT */
/*
 * test_pprof.c - the pprof export (report/pprof.c): varints at their
 * edges, and the encoder's output read back by a small profile.proto
 * decoder written here (string table, sample types, the default one,
 * samples with negative values, locations, functions with absolute file
 * names, optional columns, signature rows, the one mapping), and the
 * gzipped file: written whole through a temporary file, nothing left
 * behind on error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
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
#include <zlib.h>
#include <cmocka.h>

#include "pprof.h"
#include "helpers.h"

#define MIB (1024 * 1024)

/* ---- a small profile.proto decoder ---------------------------------- */

#define MAXN 64

struct dprofile {
	int64_t type[MAXN], unit[MAXN];		/* sample_type */
	size_t ntypes;
	struct {
		uint64_t loc[4];
		size_t nloc;
		int64_t value[MAXN];
		size_t nvalue;
	} sample[MAXN];
	size_t nsamples;
	struct {
		uint64_t id, func, mapping;
		int64_t line;
	} loc[MAXN];
	size_t nlocs;
	struct {
		uint64_t id;
		int64_t name, system_name, filename, start_line;
	} func[MAXN];
	size_t nfuncs;
	char *str[MAXN];
	size_t nstr;
	int64_t comment[MAXN];
	size_t ncomments;
	uint64_t mapping_id, mapping_flags;	/* flags: fields 7, 8, 9 */
	size_t nmappings;
	int64_t default_type;
};

struct cursor {
	const uint8_t *p, *end;
};

static uint64_t varint(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;

	for (;;) {
		assert_true(c->p < c->end);
		assert_true(shift < 64);
		v |= (uint64_t)(*c->p & 0x7f) << shift;
		shift += 7;
		if (!(*c->p++ & 0x80))
			return v;
	}
}

/* The next field: its number, and either its varint or its bytes. */
static unsigned field(struct cursor *c, uint64_t *v, struct cursor *sub)
{
	uint64_t key = varint(c), len;

	switch (key & 7) {
	case 0:
		*v = varint(c);
		break;
	case 2:
		len = varint(c);
		assert_true(len <= (uint64_t)(c->end - c->p));
		sub->p = c->p;
		sub->end = c->p + len;
		c->p += len;
		break;
	default:
		fail_msg("wire type %u", (unsigned)(key & 7));
	}
	return (unsigned)(key >> 3);
}

/* A repeated integer: packed (bytes) or not (one varint). */
static void ints(uint64_t v, struct cursor *sub, int packed, uint64_t *out,
		 size_t *n, size_t max)
{
	if (!packed) {
		assert_true(*n < max);
		out[(*n)++] = v;
		return;
	}
	while (sub->p < sub->end) {
		assert_true(*n < max);
		out[(*n)++] = varint(sub);
	}
}

static void decode(const uint8_t *buf, size_t len, struct dprofile *d)
{
	struct cursor c = { buf, buf + len }, s, t, u;
	uint64_t v = 0, tmp[MAXN];
	unsigned f;
	size_t n, i;

	memset(d, 0, sizeof *d);
	while (c.p < c.end) {
		f = field(&c, &v, &s);
		switch (f) {
		case 1:
			assert_true(d->ntypes < MAXN);
			while (s.p < s.end) {
				unsigned g = field(&s, &v, &t);

				if (g == 1)
					d->type[d->ntypes] = (int64_t)v;
				if (g == 2)
					d->unit[d->ntypes] = (int64_t)v;
			}
			d->ntypes++;
			break;
		case 2:
			assert_true(d->nsamples < MAXN);
			while (s.p < s.end) {
				unsigned g = field(&s, &v, &t);

				n = 0;
				if (g == 1) {
					ints(v, &t, 1, d->sample[d->nsamples].loc,
					     &d->sample[d->nsamples].nloc, 4);
				} else if (g == 2) {
					ints(v, &t, 1, tmp, &n, MAXN);
					for (i = 0; i < n; i++)
						d->sample[d->nsamples].value[i] =
							(int64_t)tmp[i];
					d->sample[d->nsamples].nvalue = n;
				}
			}
			d->nsamples++;
			break;
		case 3:
			d->nmappings++;
			while (s.p < s.end) {
				unsigned g = field(&s, &v, &t);

				if (g == 1)
					d->mapping_id = v;
				if (g >= 7 && g <= 9 && v == 1)
					d->mapping_flags |= 1u << g;
			}
			break;
		case 4:
			assert_true(d->nlocs < MAXN);
			while (s.p < s.end) {
				unsigned g = field(&s, &v, &t);

				if (g == 1)
					d->loc[d->nlocs].id = v;
				if (g == 2)
					d->loc[d->nlocs].mapping = v;
				if (g != 4)
					continue;
				while (t.p < t.end) {
					unsigned h = field(&t, &v, &u);

					if (h == 1)
						d->loc[d->nlocs].func = v;
					if (h == 2)
						d->loc[d->nlocs].line = (int64_t)v;
				}
			}
			d->nlocs++;
			break;
		case 5:
			assert_true(d->nfuncs < MAXN);
			while (s.p < s.end) {
				unsigned g = field(&s, &v, &t);
				int64_t x = (int64_t)v;

				if (g == 1)
					d->func[d->nfuncs].id = v;
				if (g == 2)
					d->func[d->nfuncs].name = x;
				if (g == 3)
					d->func[d->nfuncs].system_name = x;
				if (g == 4)
					d->func[d->nfuncs].filename = x;
				if (g == 5)
					d->func[d->nfuncs].start_line = x;
			}
			d->nfuncs++;
			break;
		case 6:
			assert_true(d->nstr < MAXN);
			d->str[d->nstr++] = strndup((const char *)s.p,
						    (size_t)(s.end - s.p));
			break;
		case 13:
			assert_true(d->ncomments < MAXN);
			d->comment[d->ncomments++] = (int64_t)v;
			break;
		case 14:
			d->default_type = (int64_t)v;
			break;
		default:
			fail_msg("unexpected field %u", f);
		}
	}
}

static void dfree(struct dprofile *d)
{
	for (size_t i = 0; i < d->nstr; i++)
		free(d->str[i]);
}

static const char *str(const struct dprofile *d, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < d->nstr);
	return d->str[i];
}

/* The function of location id `loc`: its index in d->func. */
static size_t func_of(const struct dprofile *d, uint64_t loc, int64_t *line)
{
	for (size_t i = 0; i < d->nlocs; i++) {
		if (d->loc[i].id != loc)
			continue;
		*line = d->loc[i].line;
		for (size_t j = 0; j < d->nfuncs; j++)
			if (d->func[j].id == d->loc[i].func)
				return j;
	}
	fail_msg("no location %llu", (unsigned long long)loc);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void check_varint(uint64_t v, const char *hex)
{
	uint8_t buf[16];
	char got[64] = "";
	size_t n = mp_pb_varint(buf, v), i;
	struct cursor c = { buf, buf + n };

	for (i = 0; i < n; i++)
		snprintf(got + 2 * i, sizeof got - 2 * i, "%02x", buf[i]);
	assert_string_equal(got, hex);
	assert_true(varint(&c) == v);
}

/* 0, the 7-bit boundaries, int64 negatives in two's complement. */
static void test_varint(void **state)
{
	(void)state;
	check_varint(0, "00");
	check_varint(1, "01");
	check_varint(127, "7f");
	check_varint(128, "8001");
	check_varint(300, "ac02");
	check_varint(16383, "ff7f");
	check_varint(16384, "808001");
	check_varint(UINT32_MAX, "ffffffff0f");
	check_varint((uint64_t)INT64_MAX, "ffffffffffffffff7f");
	check_varint((uint64_t)1 << 63, "80808080808080808001");
	check_varint(UINT64_MAX, "ffffffffffffffffff01");
	check_varint((uint64_t)(int64_t)-3145728, "8080c0feffffffffff01");
}

/* basic.c's function under the heap backend, and a second file. */
static void sample_profile(struct mp_profile *p)
{
	struct mp_row a[] = {
		{ .line = 22, .count = 1, .incr = 0, .peak = 0 },
		{ .line = 24, .count = 1, .incr = 4000000, .peak = 4000000 },
		{ .line = 26, .count = 1, .incr = 8000000, .peak = 12000000 },
		{ .line = 28, .count = 1, .incr = -4000000, .peak = 8000000 },
	};
	struct mp_row b[] = {
		{ .line = 3, .count = 2, .incr = 7, .peak = 9 },
		{ .line = 4, .count = 5, .incr = 0, .peak = 9 },
	};

	mp_profile_init(p);
	assert_int_equal(mp_profile_add_func(p, "basic.c", "/src", "my_func",
					     22, 30, a, 4), 0);
	assert_int_equal(mp_profile_add_func(p, "/abs/x.c", "/src", "x",
					     3, 5, b, 2), 0);
	assert_int_equal(mp_profile_merge(p), 0);
}

static void encode(const struct mp_profile *p, const struct mp_pprof_opts *o,
		   struct dprofile *d)
{
	struct mp_json_meta m = { .backend = "heap", .pid = 42 };
	uint8_t *buf;
	size_t len;

	assert_int_equal(mp_pprof_encode(p, &m, o, &buf, &len), 0);
	decode(buf, len, d);
	free(buf);
}

/* The message as pprof reads it: strings, types, samples, functions. */
static void test_encode(void **state)
{
	struct mp_pprof_opts o = { MP_BY_INCREMENT, 0 };
	struct mp_profile p;
	struct dprofile d;
	int64_t line;
	size_t i, f;

	(void)state;
	sample_profile(&p);
	encode(&p, &o, &d);
	assert_true(d.nstr > 0);
	assert_string_equal(d.str[0], "");
	assert_int_equal(d.ntypes, 3);
	assert_string_equal(str(&d, d.type[0]), "increment");
	assert_string_equal(str(&d, d.unit[0]), "bytes");
	assert_string_equal(str(&d, d.type[1]), "mem");
	assert_string_equal(str(&d, d.unit[1]), "bytes");
	assert_string_equal(str(&d, d.type[2]), "occurrences");
	assert_string_equal(str(&d, d.unit[2]), "count");
	assert_string_equal(str(&d, d.default_type), "increment");
	assert_int_equal(d.ncomments, 1);
	assert_string_equal(str(&d, d.comment[0]), "mprof: backend heap, pid 42");
	/* one mapping, symbolized, holds every location */
	assert_int_equal(d.nmappings, 1);
	assert_int_equal(d.mapping_id, 1);
	assert_int_equal(d.mapping_flags, 1u << 7 | 1u << 8 | 1u << 9);
	for (i = 0; i < d.nlocs; i++)
		assert_int_equal(d.loc[i].mapping, 1);
	/* signature rows left out: 3 of my_func's, 1 of x's */
	assert_int_equal(d.nsamples, 4);
	assert_int_equal(d.nlocs, 4);
	assert_int_equal(d.nfuncs, 2);
	for (i = 0; i < d.nsamples; i++) {
		assert_int_equal(d.sample[i].nloc, 1);
		assert_int_equal(d.sample[i].nvalue, 3);
	}
	/* functions sort by file: /abs/x.c first, as is */
	f = func_of(&d, d.sample[0].loc[0], &line);
	assert_int_equal(line, 4);
	assert_string_equal(str(&d, d.func[f].name), "x");
	assert_string_equal(str(&d, d.func[f].system_name), "x");
	assert_string_equal(str(&d, d.func[f].filename), "/abs/x.c");
	assert_int_equal(d.func[f].start_line, 3);
	assert_int_equal(d.sample[0].value[0], 0);
	assert_int_equal(d.sample[0].value[1], 9);
	assert_int_equal(d.sample[0].value[2], 5);
	/* basic.c under its compilation directory */
	f = func_of(&d, d.sample[3].loc[0], &line);
	assert_int_equal(line, 28);
	assert_string_equal(str(&d, d.func[f].filename), "/src/basic.c");
	assert_string_equal(str(&d, d.func[f].name), "my_func");
	assert_int_equal(d.sample[3].value[0], -4000000);
	assert_int_equal(d.sample[3].value[1], 8000000);
	assert_int_equal(d.sample[3].value[2], 1);
	/* each string once */
	for (i = 0; i < d.nstr; i++)
		for (size_t j = i + 1; j < d.nstr; j++)
			assert_string_not_equal(d.str[i], d.str[j]);
	dfree(&d);
	mp_profile_free(&p);
}

/* --signatures and --by: more samples, another default type. */
static void test_signatures_and_default(void **state)
{
	struct mp_pprof_opts o = { MP_BY_MEM, 1 };
	struct mp_profile p;
	struct dprofile d;
	int64_t line;
	size_t f;

	(void)state;
	sample_profile(&p);
	encode(&p, &o, &d);
	assert_int_equal(d.nsamples, 6);
	assert_string_equal(str(&d, d.default_type), "mem");
	f = func_of(&d, d.sample[0].loc[0], &line);
	assert_int_equal(line, 3);
	assert_string_equal(str(&d, d.func[f].name), "x");
	dfree(&d);
	mp_profile_free(&p);
}

/* Each optional column the profile has is a sample type, in top.h's
 * order, with its unit and the row's figure. */
static void test_optional_columns(void **state)
{
	static const char *want[][2] = {
		{ "increment", "bytes" }, { "mem", "bytes" },
		{ "occurrences", "count" }, { "time", "nanoseconds" },
		{ "allocs", "count" }, { "allocated", "bytes" },
		{ "peak", "bytes" }, { "leaked", "bytes" },
	};
	struct mp_row r = { .line = 2, .count = 3, .incr = 4, .peak = 5,
			    .time_ns = 6, .allocs = 7, .allocated = 8,
			    .rise = 9, .leaked = -10 };
	struct mp_pprof_opts o = { MP_BY_LEAKED, 0 };
	struct mp_profile p;
	struct dprofile d;
	size_t i;

	(void)state;
	mp_profile_init(&p);
	assert_int_equal(mp_profile_add_func(&p, "o.c", "", "o", 1, 3, &r, 1),
			 0);
	p.columns = MP_COL_ALL;
	encode(&p, &o, &d);
	assert_int_equal(d.ntypes, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(str(&d, d.type[i]), want[i][0]);
		assert_string_equal(str(&d, d.unit[i]), want[i][1]);
	}
	assert_string_equal(str(&d, d.default_type), "leaked");
	assert_int_equal(d.nsamples, 1);
	assert_int_equal(d.sample[0].nvalue, 8);
	assert_int_equal(d.sample[0].value[0], 4);
	assert_int_equal(d.sample[0].value[1], 5);
	assert_int_equal(d.sample[0].value[2], 3);
	assert_int_equal(d.sample[0].value[3], 6);
	assert_int_equal(d.sample[0].value[4], 7);
	assert_int_equal(d.sample[0].value[5], 8);
	assert_int_equal(d.sample[0].value[6], 9);
	assert_int_equal(d.sample[0].value[7], -10);
	dfree(&d);
	/* Allocs only: allocs and allocated */
	p.columns = MP_COL_ALLOCS;
	o.by = MP_BY_INCREMENT;
	encode(&p, &o, &d);
	assert_int_equal(d.ntypes, 5);
	assert_string_equal(str(&d, d.type[3]), "allocs");
	assert_string_equal(str(&d, d.type[4]), "allocated");
	dfree(&d);
	mp_profile_free(&p);
}

/* An empty profile is a valid message with its types and no sample. */
static void test_empty(void **state)
{
	struct mp_pprof_opts o = { MP_BY_INCREMENT, 0 };
	struct mp_profile p;
	struct dprofile d;

	(void)state;
	mp_profile_init(&p);
	encode(&p, &o, &d);
	assert_int_equal(d.ntypes, 3);
	assert_int_equal(d.nsamples, 0);
	assert_string_equal(d.str[0], "");
	dfree(&d);
}

/* Files in scratch. */
static int count_files(void)
{
	DIR *dir = opendir(scratch);
	struct dirent *e;
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* The file is gzip of the message, and alone in its directory. */
static void test_write(void **state)
{
	struct mp_pprof_opts o = { MP_BY_INCREMENT, 0 };
	struct mp_profile p;
	struct dprofile d;
	char path[PATH_MAX], err[256] = "";
	uint8_t *want, got[1 << 16];
	size_t wlen;
	gzFile gz;
	int n;
	struct stat st;

	(void)state;
	sample_profile(&p);
	snprintf(path, sizeof path, "%s/out.pb.gz", scratch);
	assert_int_equal(mp_pprof_write(path, &p, NULL, &o, err, sizeof err),
			 0);
	assert_int_equal(count_files(), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true((st.st_mode & 0444) != 0);
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	assert_int_equal(gzdirect(gz), 0);
	n = gzread(gz, got, sizeof got);
	gzclose(gz);
	assert_int_equal(mp_pprof_encode(&p, NULL, &o, &want, &wlen), 0);
	assert_int_equal(n, (int)wlen);
	assert_memory_equal(got, want, wlen);
	decode(got, (size_t)n, &d);
	assert_int_equal(d.nsamples, 4);
	assert_int_equal(d.ncomments, 0);
	dfree(&d);
	free(want);
	unlink(path);
	mp_profile_free(&p);
}

/* A directory that does not exist: one message, no file. */
static void test_write_error(void **state)
{
	struct mp_pprof_opts o = { MP_BY_INCREMENT, 0 };
	struct mp_profile p;
	char path[PATH_MAX], err[512] = "", want[PATH_MAX + 64];

	(void)state;
	sample_profile(&p);
	snprintf(path, sizeof path, "%s/nodir/out.pb.gz", scratch);
	assert_int_equal(mp_pprof_write(path, &p, NULL, &o, err, sizeof err),
			 -1);
	snprintf(want, sizeof want, "cannot write '%s': %s", path,
		 strerror(ENOENT));
	assert_string_equal(err, want);
	assert_int_equal(count_files(), 0);
	/* a directory in the way: the temporary file is removed */
	snprintf(path, sizeof path, "%s/adir", scratch);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(mp_pprof_write(path, &p, NULL, &o, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "cannot write '"));
	assert_int_equal(count_files(), 1);
	rmdir(path);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_signatures_and_default),
		cmocka_unit_test(test_optional_columns),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
