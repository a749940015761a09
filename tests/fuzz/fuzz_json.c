/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json.c - fuzz target for the JSON profile reader (report/jsonread.c).
 *
 * Any input must either fail with one "name:line: message" line or parse;
 * a profile that parses must survive the round trip: written, the text
 * parses again into the same profile, and writing that gives the same
 * bytes (the writer's output is the normal form).  Its top lines
 * (report/top.c) by every column come best first, and its pprof export
 * (report/pprof.c) encodes.  The input is copied into a buffer of exactly
 * its size, so a read past the end is caught by the sanitizers.
 *
 * libFuzzer (clang):  cmake --build build --target fuzz_json &&
 *                     build/tests/cli/fuzz_json tests/fuzz/corpus_json
 * AFL++:              afl-clang-fast -DMP_FUZZ_STANDALONE -Ireport \
 *                       tests/fuzz/fuzz_json.c report/jsonread.c \
 *                       report/json.c report/profile.c report/top.c \
 *                       report/source.c report/table.c report/pprof.c \
 *                       -lz -o fj &&
 *                     afl-fuzz -i tests/fuzz/corpus_json -o out -- ./fj @@
 * Standalone (any cc, built as fuzz_json_driver; ctest runs it over the
 * corpus): fuzz_json_driver FILE...
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "pprof.h"
#include "top.h"

/* The profile written as text (malloc'd), or abort. */
static char *text_of(const struct mp_profile *p, const struct mp_json_meta *m,
		     size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || mp_json_write(f, p, m) || fclose(f))
		abort();
	return buf;
}

/* The top lines by every column, best first; the pprof message; or abort. */
static void check_reports(const struct mp_profile *p,
			  const struct mp_json_meta *m)
{
	struct mp_top_line top[4];
	struct mp_pprof_opts o = { MP_BY_INCREMENT, 1 };
	uint8_t *buf;
	size_t n, i, len;
	int by;

	for (by = 0; by < MP_BY_COUNT; by++) {
		n = mp_top_lines(p, by, 4, 1, top);
		for (i = 0; i < n; i++)
			if (mp_top_value(top[i].row, by) <= 0 ||
			    (i && mp_top_value(top[i].row, by) >
				  mp_top_value(top[i - 1].row, by)))
				abort();
	}
	if (mp_pprof_encode(p, m, &o, &buf, &len) || !len)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_profile p, q;
	struct mp_json_meta m, mq;
	char err[512], *copy, *t1, *t2;
	size_t n1, n2;
	int rc;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	mp_profile_init(&p);
	rc = mp_json_parse(copy, size, "fuzz.json", &p, &m, err, sizeof err);
	free(copy);
	if (rc) {
		/* one line naming the input */
		if (strncmp(err, "fuzz.json", 9) || strchr(err, '\n'))
			abort();
		mp_profile_free(&p);
		return 0;
	}
	check_reports(&p, &m);
	t1 = text_of(&p, &m, &n1);
	mp_profile_init(&q);
	if (mp_json_parse(t1, n1, "again.json", &q, &mq, err, sizeof err))
		abort();
	t2 = text_of(&q, &mq, &n2);
	if (n1 != n2 || memcmp(t1, t2, n1))
		abort();
	free(t1);
	free(t2);
	mp_profile_free(&p);
	mp_profile_free(&q);
	return 0;
}

#ifdef MP_FUZZ_STANDALONE
#include "standalone.h"
#endif
