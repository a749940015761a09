/* SPDX-License-Identifier: MIT */
/*
 * table.c - the line table: prints a profile exactly as memory_profiler's
 * show_results() does (docs/columns.md, "The table's format").  Used by
 * the runtime's at-exit report and by `mprof report`.
 *
 * Byte-for-byte fidelity rests on three facts.  bytes / 2^20 is an exact
 * double for any realistic byte count and Python rounds it correctly (ties
 * to even); format_mib() computes the same digits exactly, "-0.0"
 * included.  Python's '{:>N}' pads and never truncates, like "%Ns".  And
 * linecache reads source through universal newlines ("\r\n" and a lone
 * "\r" end a line, as they do for GCC's line numbers), drops a UTF-8 BOM
 * and gives the last line a newline if it lacks one; source.c does
 * the same, so every source line printed here ends with exactly one '\n'.
 *
 * Each source file is read at most once per mp_report_print() call; the
 * cache lives only for that call.
 */
#include "profile.h"
#include "source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MP_PRECISION_MAX 10

/*
 * Output is gathered in blocks: the at-exit report usually goes to
 * unbuffered stderr, where writing field by field would cost a system
 * call per field and let other output cut into a table.  The first write
 * error sticks; later output is dropped.
 */
struct writer {
	FILE *out;
	int err;		/* a write failed */
	size_t n;		/* bytes pending in buf */
	char buf[8192];
};

static void flush_block(struct writer *w)
{
	if (w->n && !w->err && fwrite(w->buf, 1, w->n, w->out) != w->n)
		w->err = 1;
	w->n = 0;
}

static void put(struct writer *w, const char *s, size_t len)
{
	if (len > sizeof w->buf - w->n) {
		flush_block(w);
		if (len > sizeof w->buf) {
			if (!w->err && fwrite(s, 1, len, w->out) != len)
				w->err = 1;
			return;
		}
	}
	memcpy(w->buf + w->n, s, len);
	w->n += len;
}

static void puts_w(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* For the short fixed-shape pieces only (row prefixes: under 128 bytes). */
static void __attribute__((format(printf, 2, 3)))
putf(struct writer *w, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof tmp)
		w->err = 1;
	else
		put(w, tmp, (size_t)len);
}

/*
 * memory_profiler's '{0:W.Pf} MiB' (W = precision + 4) of bytes / 2^20,
 * computed exactly in integers rather than with printf, which would
 * follow the profiled program's locale (a decimal comma after setlocale)
 * and floating-point rounding mode; Python follows neither.  Ties go to
 * even, as Python's correctly rounded formatting of the (exact) double
 * does, and a negative figure keeps its sign when it rounds to zero
 * ("-0.0").  |bytes| * 10^10 < 2^97 fits in 128 bits.
 */
static void format_mib(char *buf, size_t size, int64_t bytes, int precision)
{
	const uint64_t half = (uint64_t)1 << 19;
	uint64_t mag = bytes < 0 ? -(uint64_t)bytes : (uint64_t)bytes, rem;
	unsigned __int128 q, scale = 1;
	char digits[48], num[64];
	int nd = 0, n = 0;

	for (int i = 0; i < precision; i++)
		scale *= 10;
	q = (unsigned __int128)mag * scale;
	rem = (uint64_t)q & (2 * half - 1);
	q >>= 20;
	if (rem > half || (rem == half && (q & 1)))
		q++;
	do {
		digits[nd++] = (char)('0' + (int)(q % 10));
		q /= 10;
	} while (q || nd <= precision);

	if (bytes < 0)
		num[n++] = '-';
	while (nd > precision)
		num[n++] = digits[--nd];
	if (precision)
		num[n++] = '.';
	while (nd > 0)
		num[n++] = digits[--nd];
	snprintf(buf, size, "%*.*s MiB", precision + 4, n, num);
}

static void print_note(struct writer *w, const struct mp_source *s)
{
	puts_w(w, "mprof: source file '");
	puts_w(w, s->file);
	puts_w(w, "' not found");
	if (s->file[0] != '/' && s->dir[0]) {
		puts_w(w, " (also looked in '");
		puts_w(w, s->dir);
		puts_w(w, "')");
	}
	put(w, "\n", 1);
}

/*
 * One function's table.  The rows printed run from the signature line to
 * the closing brace, widened to any recorded row outside that range so no
 * measurement is ever hidden.
 */
static void print_func(struct writer *w, const struct mp_func *f,
		       const struct mp_source *s, int precision)
{
	char header[128], mem[64], inc[64];
	const struct mp_row *r = f->rows, *end = f->rows + f->nrows;
	int32_t line, lo, hi;
	const char *text;
	size_t tlen;
	int len;

	lo = f->first_line >= 1 && f->first_line < f->rows[0].line ?
		f->first_line : f->rows[0].line;
	hi = f->last_line > end[-1].line ? f->last_line : end[-1].line;

	len = snprintf(header, sizeof header, "%6s %12s %12s  %10s   %s\n",
		       "Line #", "Mem usage", "Increment", "Occurrences",
		       "Line Contents");
	puts_w(w, "Filename: ");
	puts_w(w, f->file);
	puts_w(w, "\n\n");
	put(w, header, (size_t)len);
	memset(header, '=', (size_t)len - 1);
	put(w, header, (size_t)len);

	for (line = lo; !w->err; line++) {
		if (r < end && r->line == line) {
			format_mib(mem, sizeof mem, r->peak, precision);
			format_mib(inc, sizeof inc, r->incr, precision);
			putf(w, "%6" PRId32 " %12s %12s  %10" PRIu64 "   ",
			     line, mem, inc, r->count);
			r++;
		} else {
			putf(w, "%6" PRId32 " %12s %12s  %10s   ", line, "", "",
			     "");
		}
		if ((text = mp_source_line(s, line, &tlen)))
			put(w, text, tlen);
		else
			put(w, "\n", 1);
		if (line == hi)
			break;
	}
	put(w, "\n\n", 2);
}

/*
 * Functions without rows never ran and get no table, as in
 * memory_profiler; a missing file's note therefore appears only before a
 * table that needs it.
 */
int mp_report_print(FILE *out, const struct mp_profile *p,
		    const struct mp_report_opts *opts)
{
	struct writer w;
	struct mp_sources c = { 0 };
	int precision = opts ? opts->precision : 1;
	int nomem = 0;
	size_t i;

	w.out = out;
	w.err = 0;
	w.n = 0;
	if (precision < 0)
		precision = 0;
	if (precision > MP_PRECISION_MAX)
		precision = MP_PRECISION_MAX;

	for (i = 0; i < p->nfuncs && !w.err; i++) {
		const struct mp_func *f = &p->funcs[i];
		struct mp_source *s;

		if (!f->nrows)
			continue;
		s = mp_source_get(&c, f->file, f->dir);
		if (!s) {
			nomem = 1;
			break;
		}
		if (!s->text && !s->noted) {
			s->noted = 1;
			print_note(&w, s);
		}
		print_func(&w, f, s, precision);
	}
	flush_block(&w);
	mp_source_free(&c);
	if (fflush(out) == EOF)
		w.err = 1;
	return nomem || w.err ? -1 : 0;
}

/* format_mib() for the other formatters (the HTML report). */
void mp_report_format_mib(char *buf, size_t size, int64_t bytes,
			  int precision)
{
	if (precision < 0)
		precision = 0;
	if (precision > MP_PRECISION_MAX)
		precision = MP_PRECISION_MAX;
	format_mib(buf, size, bytes, precision);
}
