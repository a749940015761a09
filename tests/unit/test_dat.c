/* SPDX-License-Identifier: MIT */
/*
 * test_dat.c - the .dat reader and the command's writer (report/dat.c):
 * records, chunk boundaries, malformed and binary input, whole-file
 * errors, number conversion against strtod, and round trips through the
 * writer and the FUNC line formatter (report/datline.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#include "dat.h"
#include "datline.h"

/* What a reader saw, in order, as text: easy to compare. */
struct seen {
	char log[8192];
	size_t len;
	unsigned long bad_lines[16];
	int nbad;
};

static void logf_(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s->len += (size_t)vsnprintf(s->log + s->len, sizeof s->log - s->len,
				    fmt, ap);
	va_end(ap);
}

static void on_cmdline(void *ctx, const char *c)
{
	logf_(ctx, "CMDLINE[%s]\n", c);
}

static void on_mem(void *ctx, double m, double t)
{
	logf_(ctx, "MEM %.6f %.4f\n", m, t);
}

static void on_chld(void *ctx, long pid, double m, double t)
{
	logf_(ctx, "CHLD %ld %.6f %.4f\n", pid, m, t);
}

static void on_func(void *ctx, const struct mp_dat_func *f)
{
	logf_(ctx, "FUNC %s %.4f %.4f %.4f %.4f %d", f->name, f->mem_start,
	      f->t_start, f->mem_end, f->t_end, f->level);
	logf_(ctx, f->calls > 1 ? " x%lu" : "", f->calls);
	logf_(ctx, " ^%.4f\n", f->mem_peak);
}

static void on_peak(void *ctx, double m, double t)
{
	logf_(ctx, "PEAK %.6f %.4f\n", m, t);
}

static void on_bad(void *ctx, const char *file, unsigned long line,
		   const char *msg)
{
	struct seen *s = ctx;

	(void)file;
	if (s->nbad < 16)
		s->bad_lines[s->nbad] = line;
	s->nbad++;
	logf_(s, "BAD %lu %s\n", line, msg);
}

static const struct mp_dat_ops ops = { on_cmdline, on_mem, on_chld,
				       on_func, on_bad, on_peak };

/* Feed text in chunks of `chunk` bytes (0: all at once). */
static struct mp_dat_stats parse(const char *text, size_t chunk,
				 struct seen *s)
{
	struct mp_dat_parser p;
	size_t n = strlen(text), i;
	struct mp_dat_stats st;

	memset(s, 0, sizeof *s);
	mp_dat_init(&p, "t.dat", &ops, s);
	if (!chunk)
		chunk = n ? n : 1;
	for (i = 0; i < n; i += chunk)
		assert_int_equal(mp_dat_feed(&p, text + i,
					     n - i < chunk ? n - i : chunk), 0);
	assert_int_equal(mp_dat_finish(&p), 0);
	st = p.st;
	mp_dat_release(&p);
	return st;
}

static const char sample[] =
	"CMDLINE ./prog 'a b' x\\ny\n"
	"MEM 1.500000 1700000000.1000\n"
	"CHLD 4242 2.250000 1700000000.1000\n"
	"FUNC prog.c.f 1.0000 1700000000.1000 3.0000 1700000000.2000 2\n"
	"FUNC prog.c.g 1.0000 1700000000.1000 3.0000 1700000000.2000\n"
	"FUNC prog.c.h 1.0000 1700000000.1000 3.0000 1700000000.2000 1 5000\n"
	"FUNC prog.c.i 1.0000 1700000000.1000 3.0000 1700000000.2000 1 1 7.5\n"
	"MEM 3.000000 1700000000.2000\n"
	"PEAK 9.750000 1700000000.2500\n";

static const char sample_log[] =
	"CMDLINE[./prog 'a b' x\ny]\n"
	"MEM 1.500000 1700000000.1000\n"
	"CHLD 4242 2.250000 1700000000.1000\n"
	"FUNC prog.c.f 1.0000 1700000000.1000 3.0000 1700000000.2000 2 ^3.0000\n"
	"FUNC prog.c.g 1.0000 1700000000.1000 3.0000 1700000000.2000 -1 ^3.0000\n"
	"FUNC prog.c.h 1.0000 1700000000.1000 3.0000 1700000000.2000 1 x5000 ^3.0000\n"
	"FUNC prog.c.i 1.0000 1700000000.1000 3.0000 1700000000.2000 1 ^7.5000\n"
	"MEM 3.000000 1700000000.2000\n"
	"PEAK 9.750000 1700000000.2500\n";

/* Every record kind is delivered with its fields; a FUNC without a level
 * has level -1; CMDLINE escapes are undone. */
static void test_records(void **state)
{
	struct seen s;
	struct mp_dat_stats st = parse(sample, 0, &s);

	(void)state;
	assert_string_equal(s.log, sample_log);
	assert_int_equal(st.lines, 9);
	assert_int_equal(st.peak, 1);
	assert_int_equal(st.mem, 2);
	assert_int_equal(st.chld, 1);
	assert_int_equal(st.func, 4);
	assert_int_equal(st.cmdline, 1);
	assert_int_equal(st.bad, 0);
}

/* Any chunking gives the same records: lines straddle feeds. */
static void test_chunk_boundaries(void **state)
{
	size_t chunk;

	(void)state;
	for (chunk = 1; chunk <= 40; chunk++) {
		struct seen s;

		parse(sample, chunk, &s);
		assert_string_equal(s.log, sample_log);
	}
}

/* A malformed line is reported with its number and the rest is read. */
static void test_malformed_lines(void **state)
{
	struct seen s;
	struct mp_dat_stats st = parse(
		"MEM 1.0 100.0\n"
		"MEM abc 100.1\n"
		"MEM 2.0\n"
		"CHLD x 1.0 100.2\n"
		"CHLD 12 1.0\n"
		"FUNC f 1 2 3\n"
		"FUNC f 1 2 3 4 level\n"
		"MEM nan 100.3\n"
		"MEM 1e999 100.3\n"
		"MEM 0x10 100.3\n"
		"MEM 3.0 100.4\n"
		"FUNC f 1 2 3 4 0 0\n", 0, &s);

	(void)state;
	assert_int_equal(st.mem, 2);
	assert_int_equal(st.bad, 10);
	assert_int_equal(s.nbad, 10);
	assert_int_equal(s.bad_lines[0], 2);
	assert_int_equal(s.bad_lines[8], 10);
	assert_non_null(strstr(s.log, "BAD 2 bad MEM record: 'abc' is not a number"));
	assert_non_null(strstr(s.log, "BAD 3 bad MEM record: expected 'MEM <MiB> <time>'"));
	assert_non_null(strstr(s.log, "BAD 4 bad CHLD record: 'x' is not a pid"));
	assert_non_null(strstr(s.log, "BAD 7 bad FUNC record: 'level' is not a stack level"));
	assert_non_null(strstr(s.log, "MEM 3.000000 100.4000"));
	assert_non_null(strstr(s.log, "BAD 12 bad FUNC record: '0' is not a number of calls"));
}

/* Unknown tags and blank lines are skipped quietly; CRLF, extra blanks and
 * extra fields are tolerated; a last line without newline counts. */
static void test_lenient(void **state)
{
	struct seen s;
	struct mp_dat_stats st = parse(
		"FUTURE 1 2 3\n"
		"\n"
		"MEM 1.0 100.0\r\n"
		"MEM   2.0\t100.1  extra\n"
		"mem 9 9\n"
		"MEM 3.0 100.2", 0, &s);

	(void)state;
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.unknown, 3);
	assert_int_equal(st.mem, 3);
	assert_int_equal(st.lines, 6);
	assert_string_equal(s.log, "MEM 1.000000 100.0000\n"
				   "MEM 2.000000 100.1000\n"
				   "MEM 3.000000 100.2000\n");
}

/* A NUL byte makes the input binary: the feed fails and keeps failing. */
static void test_binary(void **state)
{
	struct mp_dat_parser p;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	mp_dat_init(&p, "b", &ops, &s);
	assert_int_equal(mp_dat_feed(&p, "MEM 1 2\n", 8), 0);
	assert_int_equal(mp_dat_feed(&p, "MEM \0 2\n", 8), -1);
	assert_int_equal(mp_dat_feed(&p, "MEM 1 2\n", 8), -1);
	assert_int_equal(mp_dat_finish(&p), -1);
	assert_int_equal(p.st.mem, 1);
	mp_dat_release(&p);
}

/* A line over MP_DAT_MAX_LINE is one malformed line, then reading goes on
 * with bounded memory. */
static void test_long_line(void **state)
{
	size_t n = MP_DAT_MAX_LINE + 100, i;
	char *big = malloc(n + 64);
	struct mp_dat_parser p;
	struct seen s;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	strcpy(big + n, "\nMEM 1.0 2.0\n");
	memset(&s, 0, sizeof s);
	mp_dat_init(&p, "l", &ops, &s);
	for (i = 0; i < n + 13; i += 4096) {
		size_t k = n + 13 - i < 4096 ? n + 13 - i : 4096;

		assert_int_equal(mp_dat_feed(&p, big + i, k), 0);
	}
	assert_int_equal(mp_dat_finish(&p), 0);
	assert_int_equal(p.st.bad, 1);
	assert_int_equal(p.st.mem, 1);
	assert_true(p.cap <= MP_DAT_MAX_LINE + 1);
	mp_dat_release(&p);
	free(big);
}

/* The fast path of mp_dat_number rounds exactly as strtod does. */
static void test_number_matches_strtod(void **state)
{
	static const char *fixed[] = {
		"0", "0.0", "1.5", "-2.25", "+3.0", "123456.789012",
		"1700000000.1234", "0.000001", "9007199254740993",
		"99999999999999999999.5", "1e3", "2.5E-3", ".5", "5.",
		"0.1", "0.30000000000000004", "12.123456789012345678901",
	};
	char buf[64];
	double v;
	unsigned seed = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		assert_int_equal(mp_dat_number(fixed[i], &v), 0);
		assert_true(v == strtod(fixed[i], NULL));
	}
	for (i = 0; i < 200000; i++) {
		unsigned long long ip, fp;
		int dec;

		seed = seed * 1103515245u + 12345u;
		ip = (unsigned long long)(seed >> 4) % 100000000000ULL;
		seed = seed * 1103515245u + 12345u;
		fp = seed % 1000000u;
		dec = (int)(seed >> 28) % 7;
		snprintf(buf, sizeof buf, "%llu.%0*llu", ip, dec ? dec : 1,
			 dec ? fp % (unsigned long long)
				       (dec == 1 ? 10 : dec == 2 ? 100 :
					dec == 3 ? 1000 : dec == 4 ? 10000 :
					dec == 5 ? 100000 : 1000000) : 0);
		assert_int_equal(mp_dat_number(buf, &v), 0);
		if (v != strtod(buf, NULL))
			fail_msg("%s: %.17g != %.17g", buf, v,
				 strtod(buf, NULL));
	}
	assert_int_equal(mp_dat_number("", &v), -1);
	assert_int_equal(mp_dat_number("-", &v), -1);
	assert_int_equal(mp_dat_number("1.2.3", &v), -1);
	assert_int_equal(mp_dat_number("inf", &v), -1);
	assert_int_equal(mp_dat_number("nan", &v), -1);
	assert_int_equal(mp_dat_number("0x1p3", &v), -1);
}

static char dir[] = "/tmp/test_dat.XXXXXX";

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Whole-file errors are one line naming the file; a good file reads. */
static void test_read_file_errors(void **state)
{
	char path[256], err[512];
	struct mp_dat_stats st;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	snprintf(path, sizeof path, "%s/missing.dat", dir);
	assert_int_equal(mp_dat_read(path, &ops, &s, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open '"));
	assert_non_null(strstr(err, "No such file or directory"));

	assert_int_equal(mp_dat_read(dir, &ops, &s, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "' is a directory"));

	snprintf(path, sizeof path, "%s/empty.dat", dir);
	write_file(path, "", 0);
	assert_int_equal(mp_dat_read(path, &ops, &s, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "' is empty"));

	snprintf(path, sizeof path, "%s/bin.dat", dir);
	write_file(path, "\x7f" "ELF\x02\x01\x01\0\0\0", 10);
	assert_int_equal(mp_dat_read(path, &ops, &s, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "' is a binary file, not an mprof .dat"));

	snprintf(path, sizeof path, "%s/good.dat", dir);
	write_file(path, sample, strlen(sample));
	memset(&s, 0, sizeof s);
	assert_int_equal(mp_dat_read(path, &ops, &s, &st, err, sizeof err), 0);
	assert_string_equal(s.log, sample_log);
	assert_int_equal(st.mem, 2);
}

#define MIB	((int64_t)1 << 20)
#define SEC	INT64_C(1000000000)

/* Append one FUNC line as the runtime does: mp_datline_func, one write(). */
static void put_func(int fd, const struct mp_datline_func *r)
{
	char line[MP_DATLINE_MAX];
	size_t n = mp_datline_func(line, r);

	assert_int_equal(write(fd, line, n), (ssize_t)n);
}

/* What the writers write, the reader reads back: values at the format's
 * precision, FUNC with its optional fields, escaped command lines, names
 * with blanks made single tokens. */
static void test_writer_round_trip(void **state)
{
	const struct mp_datline_func f1 = { "a b", "c", 5 * MIB / 4,
		SEC * 21 / 2, 5 * MIB / 2, SEC * 23 / 2, 0, 3, 1 };
	const struct mp_datline_func f2 = { "x", "y", MIB, 2 * SEC, 3 * MIB,
		4 * SEC, 3 * MIB, 0, 1 };
	const struct mp_datline_func f3 = { "m", "z", MIB, 2 * SEC, 3 * MIB,
		4 * SEC, 9 * MIB, 2, 77 };
	struct mp_dat_writer w;
	char path[256], err[512];
	struct seen s;
	int fd;

	(void)state;
	snprintf(path, sizeof path, "%s/rt.dat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	assert_true(fd >= 0);
	mp_dat_writer_init(&w, fd);
	assert_int_equal(mp_dat_put_cmdline(&w, "run\tme\n'now' c:\\x"), 0);
	assert_int_equal(mp_dat_put_mem(&w, 12.3456789, 1700000000.125), 0);
	assert_int_equal(mp_dat_put_chld(&w, 77, 0.5, 1700000000.2), 0);
	assert_int_equal(mp_dat_flush(&w), 0);
	put_func(fd, &f1);
	put_func(fd, &f2);
	put_func(fd, &f3);
	assert_int_equal(mp_dat_put_peak(&w, 9.5, 1700000001.25), 0);
	assert_int_equal(mp_dat_flush(&w), 0);
	close(fd);
	memset(&s, 0, sizeof s);
	assert_int_equal(mp_dat_read(path, &ops, &s, NULL, err, sizeof err), 0);
	assert_string_equal(s.log,
			    "CMDLINE[run\tme\n'now' c:\\x]\n"
			    "MEM 12.345679 1700000000.1250\n"
			    "CHLD 77 0.500000 1700000000.2000\n"
			    "FUNC a_b.c 1.2500 10.5000 2.5000 11.5000 3 ^2.5000\n"
			    "FUNC x.y 1.0000 2.0000 3.0000 4.0000 0 ^3.0000\n"
			    "FUNC m.z 1.0000 2.0000 3.0000 4.0000 2 x77 ^9.0000\n"
			    "PEAK 9.500000 1700000001.2500\n");
}

/* A writer only ever hands whole lines to write(): the runtime's FUNC
 * records, appended to the same file one write() each, interleave between
 * lines, never inside one. */
static void test_writer_whole_lines(void **state)
{
	const struct mp_datline_func f = { "prog.c", "f", MIB, 2 * SEC,
		3 * MIB, 4 * SEC, 0, 0, 1 };
	struct mp_dat_writer a;
	char path[256], err[512];
	struct mp_dat_stats st;
	int fa, fb, i;

	(void)state;
	snprintf(path, sizeof path, "%s/two.dat", dir);
	fa = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	fb = open(path, O_WRONLY | O_APPEND);
	assert_true(fa >= 0 && fb >= 0);
	mp_dat_writer_init(&a, fa);
	for (i = 0; i < 5000; i++) {
		mp_dat_put_mem(&a, i * 0.001, 1700000000 + i * 0.001);
		if (i % 7 == 0)
			put_func(fb, &f);
	}
	mp_dat_flush(&a);
	close(fa);
	close(fb);
	assert_int_equal(mp_dat_read(path, NULL, NULL, &st, err, sizeof err), 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.mem, 5000);
	assert_int_equal(st.func, 715);
}

/* Python mprof's get_cmd_line: quote arguments holding blanks. */
static void test_join_argv(void **state)
{
	char *argv[] = { "prog", "a b", "c\td", "", "e" };
	char *s = mp_dat_join_argv(5, argv);

	(void)state;
	assert_string_equal(s, "prog 'a b' 'c\td'  e");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_number_matches_strtod),
		cmocka_unit_test(test_read_file_errors),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_whole_lines),
		cmocka_unit_test(test_join_argv),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
