/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dat.c - fuzz target for the .dat reader (report/dat.c).
 *
 * The input is fed twice: whole, and cut at a point its first byte
 * chooses; both parses must deliver the same records (a line straddling
 * two feeds is the reader's trickiest path), except for binary input,
 * which stops at the chunk holding the NUL.  Every line must land in
 * exactly one of the reader's counts.  Callbacks touch every field
 * so the sanitizers see what the reader hands out.
 *
 * libFuzzer (clang):  cmake --build build --target fuzz_dat &&
 *                     build/tests/cli/fuzz_dat tests/fuzz/corpus
 * AFL++:              afl-clang-fast -DMP_FUZZ_STANDALONE -Ireport \
 *                       tests/fuzz/fuzz_dat.c report/dat.c -lm -o fd &&
 *                     afl-fuzz -i tests/fuzz/corpus -o out -- ./fd @@
 * Standalone (any cc, built as fuzz_dat_driver; ctest runs it over the
 * corpus): fuzz_dat_driver FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat.h"

struct digest {
	uint64_t h;
	unsigned long n;
	int binary;		/* a NUL stopped the parse: chunk-dependent */
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		d->h = (d->h ^ *b++) * 0x100000001b3ULL;
	d->n++;
}

static void on_cmdline(void *ctx, const char *c)
{
	mix(ctx, c, strlen(c));
}

static void on_mem(void *ctx, double m, double t)
{
	mix(ctx, &m, sizeof m);
	mix(ctx, &t, sizeof t);
}

static void on_chld(void *ctx, long pid, double m, double t)
{
	mix(ctx, &pid, sizeof pid);
	on_mem(ctx, m, t);
}

static void on_func(void *ctx, const struct mp_dat_func *f)
{
	mix(ctx, f->name, strlen(f->name));
	on_mem(ctx, f->mem_start, f->t_start);
	on_mem(ctx, f->mem_end, f->t_end);
	mix(ctx, &f->level, sizeof f->level);
}

static void on_bad(void *ctx, const char *file, unsigned long line,
		   const char *msg)
{
	(void)file;
	mix(ctx, &line, sizeof line);
	mix(ctx, msg, strlen(msg));
}

static const struct mp_dat_ops ops = { on_cmdline, on_mem, on_chld,
				       on_func, on_bad, NULL };

static struct digest parse(const uint8_t *data, size_t size, size_t cut)
{
	struct mp_dat_parser p;
	struct digest d = { 0xcbf29ce484222325ULL, 0, 0 };
	int rc;

	mp_dat_init(&p, "fuzz.dat", &ops, &d);
	rc = mp_dat_feed(&p, (const char *)data, cut);
	if (rc == 0)
		rc = mp_dat_feed(&p, (const char *)data + cut, size - cut);
	if (rc == 0)
		mp_dat_finish(&p);
	d.binary = rc != 0;
	/* every line lands in exactly one count */
	if (!d.binary && p.st.mem + p.st.chld + p.st.func + p.st.cmdline +
	    p.st.unknown + p.st.bad != p.st.lines)
		abort();
	mp_dat_release(&p);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, split;
	size_t cut;

	if (size == 0)
		return 0;
	cut = (size_t)data[0] * size / 256;
	whole = parse(data, size, size);
	split = parse(data, size, cut);
	if (whole.binary != split.binary)
		abort();
	if (!whole.binary && (whole.h != split.h || whole.n != split.n))
		abort();
	return 0;
}

#ifdef MP_FUZZ_STANDALONE
#include "standalone.h"
#endif
