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
 * and gives the last line a newline if it lacks one; source.c reads files
 * the same way, so every source line printed here ends with exactly one '\n'.
 *
 * Each source file is read at most once per mp_report_print() call; the
 * cache lives only for that call.
 */
#include "profile.h"
#include "source.h"

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

/* format_mib() for the other formatters of report/ (top.c). */
void mp_table_format_mib(char *buf, size_t size, int64_t bytes, int precision)
{
	format_mib(buf, size, bytes, precision);
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
 * Time as the table prints it: whole nanoseconds below a microsecond, else
 * one decimal of the largest unit (us, ms, s) that keeps the figure under
 * 1000, rounded half up in integers (printf's %f would follow the
 * program's locale).
 */
static void format_time(char *buf, size_t size, uint64_t ns)
{
	static const char *const unit[] = { "us", "ms", "s" };
	uint64_t div = 1000, tenths;
	int u = 0;

	if (ns < 1000) {
		snprintf(buf, size, "%" PRIu64 " ns", ns);
		return;
	}
	for (;;) {
		tenths = (ns + div / 20) / (div / 10);
		if (tenths < 10000 || u == 2)
			break;
		div *= 1000;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 ".%u %s", tenths / 10,
		 (unsigned)(tenths % 10), unit[u]);
}

/* `part` as a percentage of `whole`, one decimal; "" when whole is 0. */
static void format_pct(char *buf, size_t size, uint64_t part, uint64_t whole)
{
	unsigned __int128 t;

	if (!whole) {
		snprintf(buf, size, "%s", "");
		return;
	}
	t = ((unsigned __int128)part * 1000 + whole / 2) / whole;
	snprintf(buf, size, "%" PRIu64 ".%u", (uint64_t)(t / 10),
		 (unsigned)(t % 10));
}

/*
 * The optional columns' titles after Occurrences.  The header's
 * "Occurrences" overflows its field by one character, so the first title
 * after it takes one less to stay right-aligned over its figures.
 */
static int titles(char *buf, size_t size, unsigned cols)
{
	static const struct {
		unsigned bit;
		const char *title;
		int width;
	} t[] = {
		{ MP_COL_TIME, "Time", 10 }, { MP_COL_TIME, "% Time", 7 },
		{ MP_COL_ALLOCS, "Allocs", 10 },
		{ MP_COL_ALLOCS, "Allocated", 12 },
		{ MP_COL_PEAK, "Peak", 12 }, { MP_COL_LEAKED, "Leaked", 12 },
	};
	int shift = 1, n = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (!(cols & t[i].bit))
			continue;
		n += snprintf(buf + n, size - (size_t)n, " %*s",
			      t[i].width - shift, t[i].title);
		shift = 0;
	}
	return n;
}

/* A row's optional figures; `total`: the function's Time, for % Time. */
static void put_extras(struct writer *w, unsigned cols, const struct mp_row *r,
		       uint64_t total, int precision)
{
	char a[64], b[64];

	if (cols & MP_COL_TIME) {
		format_time(a, sizeof a, r ? r->time_ns : 0);
		format_pct(b, sizeof b, r ? r->time_ns : 0, total);
		putf(w, " %10s %7s", r ? a : "", r ? b : "");
	}
	if (cols & MP_COL_ALLOCS) {
		format_mib(b, sizeof b, r ? (int64_t)r->allocated : 0, precision);
		if (r)
			putf(w, " %10" PRIu64 " %12s", r->allocs, b);
		else
			putf(w, " %10s %12s", "", "");
	}
	if (cols & MP_COL_PEAK) {
		format_mib(a, sizeof a, r ? r->rise : 0, precision);
		putf(w, " %12s", r ? a : "");
	}
	if (cols & MP_COL_LEAKED) {
		format_mib(a, sizeof a, r ? r->leaked : 0, precision);
		putf(w, " %12s", r ? a : "");
	}
}

/* The row of the signature line (the function's totals), or NULL. */
static const struct mp_row *signature_row(const struct mp_func *f)
{
	for (size_t i = 0; i < f->nrows; i++)
		if (f->rows[i].line == f->first_line)
			return &f->rows[i];
	return NULL;
}

/* Under a table with Leaked: the function's total, its bytes and blocks. */
static void put_leak_summary(struct writer *w, const struct mp_func *f,
			     int precision)
{
	const struct mp_row *sig = signature_row(f);
	char mib[64], *m = mib;

	format_mib(mib, sizeof mib, sig ? sig->leaked : 0, precision);
	while (*m == ' ')
		m++;
	putf(w, "Leaked: %s in %" PRIu64 " block%s\n", m, f->leaked_blocks,
	     f->leaked_blocks == 1 ? "" : "s");
}

/*
 * One function's table.  The rows printed run from the signature line to
 * the closing brace, widened to any recorded row outside that range so no
 * measurement is ever hidden.  `cols`: the optional columns to print.
 */
static void print_func(struct writer *w, const struct mp_func *f,
		       const struct mp_source *s, int precision, unsigned cols)
{
	char header[256], mem[64], inc[64];
	const struct mp_row *r = f->rows, *end = f->rows + f->nrows;
	const struct mp_row *sig = signature_row(f);
	uint64_t total = sig ? sig->time_ns : 0;
	int32_t line, lo, hi;
	int len;

	lo = f->first_line >= 1 && f->first_line < f->rows[0].line ?
		f->first_line : f->rows[0].line;
	hi = f->last_line > end[-1].line ? f->last_line : end[-1].line;

	puts_w(w, "Filename: ");
	puts_w(w, f->file);
	puts_w(w, "\n\n");
	len = snprintf(header, sizeof header, "%6s %12s %12s  %10s", "Line #",
		       "Mem usage", "Increment", "Occurrences");
	len += titles(header + len, sizeof header - (size_t)len, cols);
	len += snprintf(header + len, sizeof header - (size_t)len, "   %s\n",
			"Line Contents");
	put(w, header, (size_t)len);
	memset(header, '=', (size_t)len - 1);
	put(w, header, (size_t)len);

	for (line = lo; !w->err; line++) {
		if (r < end && r->line == line) {
			format_mib(mem, sizeof mem, r->peak, precision);
			format_mib(inc, sizeof inc, r->incr, precision);
			putf(w, "%6" PRId32 " %12s %12s  %10" PRIu64, line, mem,
			     inc, r->count);
			put_extras(w, cols, r, total, precision);
			r++;
		} else {
			putf(w, "%6" PRId32 " %12s %12s  %10s", line, "", "", "");
			put_extras(w, cols, NULL, total, precision);
		}
		put(w, "   ", 3);
		if (s->text && (size_t)line <= s->nlines)
			put(w, s->text + s->start[line - 1],
			    s->start[line] - s->start[line - 1]);
		else
			put(w, "\n", 1);
		if (line == hi)
			break;
	}
	if (cols & MP_COL_LEAKED)
		put_leak_summary(w, f, precision);
	put(w, "\n\n", 2);
}

/* The last line of f's table: the closing brace, or a later row. */
static int32_t table_end(const struct mp_func *f)
{
	int32_t hi = f->last_line;

	if (f->nrows && f->rows[f->nrows - 1].line > hi)
		hi = f->rows[f->nrows - 1].line;
	return hi;
}

int mp_report_attach_source(struct mp_profile *p)
{
	struct mp_source_cache c = { 0 };
	size_t i, from, to;
	int rc = 0;

	for (i = 0; i < p->nfuncs; i++) {
		struct mp_func *f = &p->funcs[i];
		struct mp_source *s;

		if (!f->nrows || f->source || f->first_line < 1)
			continue;
		s = mp_source_get(&c, f);
		if (!s) {
			rc = -1;
			break;
		}
		if (!s->text || (size_t)f->first_line > s->nlines)
			continue;
		from = s->start[f->first_line - 1];
		to = (size_t)table_end(f) < s->nlines ?
		     s->start[table_end(f)] : s->start[s->nlines];
		if (memchr(s->text + from, '\0', to - from))
			continue;
		f->source = malloc(to - from + 1);
		if (!f->source) {
			rc = -1;
			break;
		}
		memcpy(f->source, s->text + from, to - from);
		f->source[to - from] = '\0';
		f->source_len = to - from;
	}
	mp_source_free(&c);
	return rc;
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
	struct mp_source_cache c = { 0 };
	int precision = opts ? opts->precision : 1;
	unsigned cols = p->columns;
	int nomem = 0;
	size_t i;

	w.out = out;
	w.err = 0;
	w.n = 0;
	if (precision < 0)
		precision = 0;
	if (precision > MP_PRECISION_MAX)
		precision = MP_PRECISION_MAX;
	if (opts && opts->columns)
		cols &= opts->columns;
	cols &= MP_COL_ALL;

	for (i = 0; i < p->nfuncs && !w.err; i++) {
		const struct mp_func *f = &p->funcs[i];
		struct mp_source *s;

		if (!f->nrows)
			continue;
		s = mp_source_get(&c, f);
		if (!s) {
			nomem = 1;
			break;
		}
		if (!s->text && !s->noted) {
			s->noted = 1;
			print_note(&w, s);
		}
		print_func(&w, f, s, precision, cols);
	}
	flush_block(&w);
	mp_source_free(&c);
	if (fflush(out) == EOF)
		w.err = 1;
	return nomem || w.err ? -1 : 0;
}
