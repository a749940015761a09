/* SPDX-License-Identifier: MIT */
/*
 * jsonread.c - the JSON profile reader declared in jsonread.h, linked
 * into the `mprof` command and the tests, never into the runtime.
 *
 * The reader is a recursive-descent parser driven by the schema: known
 * members are parsed straight into the profile, unknown ones are parsed
 * and dropped by skip_value(), so no document tree is ever built and the
 * memory used is the profile's own plus one string buffer.  Recursion
 * only happens in skip_value() and is bounded by MP_JSON_MAX_DEPTH.  The
 * input is a (pointer, length) pair and never needs a terminating NUL;
 * every read checks the end first.  The line counter advances only in
 * skip_ws(), since a newline can appear nowhere else in valid JSON.
 *
 * The first error wins: fail() formats it once and every caller returns
 * -1 straight up, so no later message can overwrite the precise one.
 */
#include "jsonread.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columns.h"
#include "utf8.h"

/* ---- tokens ------------------------------------------------------------- */

struct parser {
	const char *p;		/* next byte */
	const char *end;	/* one past the last byte */
	const char *name;	/* input name for messages */
	unsigned long line;	/* line of p, 1-based */
	int depth;		/* arrays and objects open */
	char *err;		/* the caller's message buffer */
	size_t errlen;
	char *str;		/* the last string parsed, NUL-terminated */
	size_t slen;		/* its length */
	size_t scap;		/* bytes allocated at str */
};

static int fail(struct parser *P, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *P, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (P->errlen)
		snprintf(P->err, P->errlen, "%s:%lu: %s", P->name, P->line, msg);
	return -1;
}

/* Not the input's fault: no line number. */
static int nomem(struct parser *P)
{
	if (P->errlen)
		snprintf(P->err, P->errlen, "%s: out of memory", P->name);
	return -1;
}

/* "unexpected 'x'" for a printable byte, else its value; or the end. */
static int unexpected(struct parser *P, const char *wanted)
{
	unsigned char c;

	if (P->p >= P->end)
		return fail(P, "unexpected end of input, expected %s", wanted);
	c = (unsigned char)*P->p;
	if (c > 0x20 && c < 0x7f)
		return fail(P, "unexpected '%c', expected %s", c, wanted);
	return fail(P, "unexpected byte 0x%02x, expected %s", c, wanted);
}

static void skip_ws(struct parser *P)
{
	for (; P->p < P->end; P->p++) {
		if (*P->p == '\n')
			P->line++;
		else if (*P->p != ' ' && *P->p != '\t' && *P->p != '\r')
			break;
	}
}

/* The next significant byte (whitespace skipped), or -1 at the end. */
static int peek(struct parser *P)
{
	skip_ws(P);
	return P->p < P->end ? (unsigned char)*P->p : -1;
}

static int expect(struct parser *P, char c, const char *wanted)
{
	if (peek(P) != (unsigned char)c)
		return unexpected(P, wanted);
	P->p++;
	return 0;
}

static int str_put(struct parser *P, const char *s, size_t n)
{
	if (P->scap - P->slen <= n) {
		size_t cap = P->scap ? P->scap : 64;
		char *ns;

		while (cap - P->slen <= n) {
			if (cap > SIZE_MAX / 2)
				return nomem(P);
			cap *= 2;
		}
		ns = realloc(P->str, cap);
		if (!ns)
			return nomem(P);
		P->str = ns;
		P->scap = cap;
	}
	memcpy(P->str + P->slen, s, n);
	P->slen += n;
	P->str[P->slen] = '\0';
	return 0;
}

static int hex4(struct parser *P, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = P->p < P->end ? *P->p : '\0';

		if (c >= '0' && c <= '9')
			*v = *v << 4 | (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v << 4 | (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v = *v << 4 | (unsigned)(c - 'A' + 10);
		else
			return fail(P, "invalid \\u escape in a string: four hex digits expected");
		P->p++;
	}
	return 0;
}

/* Append code point cp as UTF-8. */
static int put_utf8(struct parser *P, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return str_put(P, b, n);
}

/* After "\u": one escape, or a surrogate pair, or a surrogate-escaped byte. */
static int unicode_escape(struct parser *P)
{
	unsigned hi, lo;
	char byte;

	if (hex4(P, &hi))
		return -1;
	if (hi == 0)
		return fail(P, "\\u0000 in a string (NUL is not allowed)");
	if (hi >= 0xdc80 && hi <= 0xdcff) {
		byte = (char)(hi - 0xdc00);
		return str_put(P, &byte, 1);
	}
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(P, "lone low surrogate \\u%04x in a string", hi);
	if (hi < 0xd800 || hi > 0xdbff)
		return put_utf8(P, hi);
	if (P->end - P->p < 2 || P->p[0] != '\\' || P->p[1] != 'u')
		return fail(P, "high surrogate \\u%04x not followed by a low one", hi);
	P->p += 2;
	if (hex4(P, &lo))
		return -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return fail(P, "high surrogate \\u%04x not followed by a low one", hi);
	return put_utf8(P, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
}

/* A string, into P->str / P->slen.  P->p is at the opening quote. */
static int parse_string(struct parser *P)
{
	const char *run;
	size_t n;

	if (expect(P, '"', "a string"))
		return -1;
	P->slen = 0;
	if (str_put(P, "", 0))
		return -1;
	for (;;) {
		run = P->p;
		while (P->p < P->end && *P->p != '"' && *P->p != '\\' &&
		       (unsigned char)*P->p >= 0x20 &&
		       (unsigned char)*P->p < 0x80)
			P->p++;
		if (P->p > run && str_put(P, run, (size_t)(P->p - run)))
			return -1;
		if (P->p >= P->end)
			return fail(P, "unterminated string");
		switch ((unsigned char)*P->p) {
		case '"':
			P->p++;
			return 0;
		case '\\':
			if (P->end - P->p < 2)
				return fail(P, "unterminated string");
			P->p += 2;
			switch (P->p[-1]) {
			case '"':  n = str_put(P, "\"", 1); break;
			case '\\': n = str_put(P, "\\", 1); break;
			case '/':  n = str_put(P, "/", 1); break;
			case 'b':  n = str_put(P, "\b", 1); break;
			case 'f':  n = str_put(P, "\f", 1); break;
			case 'n':  n = str_put(P, "\n", 1); break;
			case 'r':  n = str_put(P, "\r", 1); break;
			case 't':  n = str_put(P, "\t", 1); break;
			case 'u':  n = unicode_escape(P); break;
			default:
				if (P->p[-1] > 0x20 && P->p[-1] < 0x7f)
					return fail(P, "invalid escape '\\%c' in a string",
						    P->p[-1]);
				return fail(P, "invalid escape in a string");
			}
			if (n)
				return -1;
			break;
		default:
			if ((unsigned char)*P->p < 0x20)
				return fail(P, "control character 0x%02x in a string (write it as \\u%04x)",
					    (unsigned char)*P->p,
					    (unsigned char)*P->p);
			n = mp_utf8_len((const unsigned char *)P->p,
				     (size_t)(P->end - P->p));
			if (!n)
				return fail(P, "invalid UTF-8 in a string");
			if (str_put(P, P->p, n))
				return -1;
			P->p += n;
		}
	}
}

/* A JSON number, checked against the grammar; integers also converted. */
struct number {
	int integer;		/* no fraction, no exponent */
	int neg;
	int big;		/* magnitude above UINT64_MAX */
	uint64_t mag;
	const char *text;	/* where it starts, for messages */
	int len;
};

static int isdigit_(const struct parser *P)
{
	return P->p < P->end && *P->p >= '0' && *P->p <= '9';
}

static int parse_number(struct parser *P, struct number *n)
{
	skip_ws(P);
	memset(n, 0, sizeof *n);
	n->integer = 1;
	n->text = P->p;
	if (P->p < P->end && *P->p == '-') {
		n->neg = 1;
		P->p++;
	}
	if (!isdigit_(P))
		return unexpected(P, "a number");
	if (*P->p == '0' && P->p + 1 < P->end && P->p[1] >= '0' &&
	    P->p[1] <= '9')
		return fail(P, "number with a leading zero");
	for (; isdigit_(P); P->p++) {
		unsigned d = (unsigned)(*P->p - '0');

		if (n->mag > (UINT64_MAX - d) / 10)
			n->big = 1;
		else
			n->mag = n->mag * 10 + d;
	}
	if (P->p < P->end && *P->p == '.') {
		n->integer = 0;
		P->p++;
		if (!isdigit_(P))
			return fail(P, "a number's '.' must be followed by digits");
		while (isdigit_(P))
			P->p++;
	}
	if (P->p < P->end && (*P->p == 'e' || *P->p == 'E')) {
		n->integer = 0;
		P->p++;
		if (P->p < P->end && (*P->p == '+' || *P->p == '-'))
			P->p++;
		if (!isdigit_(P))
			return fail(P, "a number's exponent must have digits");
		while (isdigit_(P))
			P->p++;
	}
	n->len = P->p - n->text > 40 ? 40 : (int)(P->p - n->text);
	return 0;
}

/* An integer member in [lo, hi]; `what` names it in the message. */
static int parse_int(struct parser *P, const char *what, int64_t lo,
		     int64_t hi, int64_t *v)
{
	struct number n;

	if (parse_number(P, &n))
		return -1;
	if (n.integer && !n.big &&
	    (n.neg ? n.mag <= (uint64_t)INT64_MAX + 1 : n.mag <= INT64_MAX)) {
		*v = n.neg ? (int64_t)(0 - n.mag) : (int64_t)n.mag;
		if (*v >= lo && *v <= hi)
			return 0;
	}
	return fail(P, "%s must be an integer from %" PRId64 " to %" PRId64
		    ", not '%.*s'", what, lo, hi, n.len, n.text);
}

/* Any value, checked and dropped: what an unknown member holds. */
static int skip_value(struct parser *P)
{
	struct number n;
	int c = peek(P), first;

	switch (c) {
	case '"':
		return parse_string(P);
	case '{':
	case '[':
		if (++P->depth > MP_JSON_MAX_DEPTH)
			return fail(P, "nesting deeper than %d levels",
				    MP_JSON_MAX_DEPTH);
		P->p++;
		for (first = 1;; first = 0) {
			if (peek(P) == (c == '{' ? '}' : ']') && first)
				break;
			if (c == '{' && (parse_string(P) ||
					 expect(P, ':', "':' after a member name")))
				return -1;
			if (skip_value(P))
				return -1;
			if (peek(P) == ',') {
				P->p++;
				continue;
			}
			if (peek(P) == (c == '{' ? '}' : ']'))
				break;
			return unexpected(P, c == '{' ? "',' or '}'"
						      : "',' or ']'");
		}
		P->p++;
		P->depth--;
		return 0;
	case 't':
	case 'f':
	case 'n': {
		const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t len = strlen(word);

		if ((size_t)(P->end - P->p) < len || memcmp(P->p, word, len))
			return unexpected(P, "a value");
		P->p += len;
		return 0;
	}
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(P, &n);
		return unexpected(P, "a value");
	}
}

/*
 * Walk an object's members.  For each, `member` is called with the name
 * (NULL if longer than any known name) and P->p at the value, which it
 * must consume.  P->p is at the '{'.
 */
typedef int (*member_fn)(struct parser *P, const char *key, void *ctx);

static int walk_object(struct parser *P, member_fn member, void *ctx)
{
	char key[32];

	if (expect(P, '{', "'{'"))
		return -1;
	if (++P->depth > MP_JSON_MAX_DEPTH)
		return fail(P, "nesting deeper than %d levels", MP_JSON_MAX_DEPTH);
	if (peek(P) == '}') {
		P->p++;
		P->depth--;
		return 0;
	}
	for (;;) {
		if (parse_string(P))
			return -1;
		if (P->slen < sizeof key)
			memcpy(key, P->str, P->slen + 1);
		if (expect(P, ':', "':' after a member name") ||
		    member(P, P->slen < sizeof key ? key : NULL, ctx))
			return -1;
		if (peek(P) == ',') {
			P->p++;
			continue;
		}
		if (expect(P, '}', "',' or '}'"))
			return -1;
		P->depth--;
		return 0;
	}
}

/* Walk an array's elements with `element`; P->p is at the '['. */
static int walk_array(struct parser *P, int (*element)(struct parser *P,
						       void *ctx), void *ctx)
{
	if (expect(P, '[', "'['"))
		return -1;
	if (++P->depth > MP_JSON_MAX_DEPTH)
		return fail(P, "nesting deeper than %d levels", MP_JSON_MAX_DEPTH);
	if (peek(P) == ']') {
		P->p++;
		P->depth--;
		return 0;
	}
	for (;;) {
		if (element(P, ctx))
			return -1;
		if (peek(P) == ',') {
			P->p++;
			continue;
		}
		if (expect(P, ']', "',' or ']'"))
			return -1;
		P->depth--;
		return 0;
	}
}

/* ---- reader: the schema ------------------------------------------------- */

/* Known members seen, to refuse duplicates and find missing ones. */
enum {
	SEEN_MPROF = 1, SEEN_BACKEND = 2, SEEN_PRECISION = 4, SEEN_PID = 8,
	SEEN_PARENT = 16, SEEN_FUNCTIONS = 32, SEEN_COLUMNS = 64,
	SEEN_FILE = 1, SEEN_DIR = 2, SEEN_NAME = 4, SEEN_FIRST = 8,
	SEEN_LAST = 16, SEEN_ROWS = 32, SEEN_SOURCE = 64, SEEN_EXTRA = 128,
	SEEN_BLOCKS = 256
};

static int seen(struct parser *P, unsigned *mask, unsigned bit,
		const char *key)
{
	if (*mask & bit)
		return fail(P, "duplicate member '%s'", key);
	*mask |= bit;
	return 0;
}

/* One function while it is read; its strings and rows are owned here. */
struct func {
	char *file, *dir, *name;
	int64_t first_line, last_line;
	struct mp_row *rows;
	size_t nrows, cap;
	char *source;		/* "source": its lines, each ending '\n' */
	size_t source_len, source_cap;
	struct mp_row *extra;	/* "extra": line and optional figures */
	size_t nextra, extracap;
	int64_t leaked_blocks;
	unsigned seen;
};

static int take_string(struct parser *P, char **dst)
{
	if (parse_string(P))
		return -1;
	*dst = strdup(P->str);
	return *dst ? 0 : nomem(P);
}

/* Room for one more row in *v (n used, *cap allocated). */
static int more_rows(struct parser *P, struct mp_row **v, size_t n,
		     size_t *cap)
{
	size_t c = *cap ? *cap * 2 : 16;
	struct mp_row *nr;

	if (n < *cap)
		return 0;
	if (c > SIZE_MAX / sizeof *nr)
		return nomem(P);
	nr = realloc(*v, c * sizeof *nr);
	if (!nr)
		return nomem(P);
	*v = nr;
	*cap = c;
	return 0;
}

static int row(struct parser *P, void *ctx)
{
	struct func *f = ctx;
	struct mp_row r = { 0 };
	int64_t v;

	if (expect(P, '[', "a row [line, occurrences, increment, mem usage]"))
		return -1;
	if (parse_int(P, "a row's line", 1, INT32_MAX, &v))
		return -1;
	r.line = (int32_t)v;
	if (f->nrows && r.line <= f->rows[f->nrows - 1].line)
		return fail(P, "rows must be in increasing line order (line %" PRId32
			    " after line %" PRId32 ")", r.line,
			    f->rows[f->nrows - 1].line);
	if (expect(P, ',', "',' and the row's occurrences"))
		return -1;
	{
		struct number n;

		if (parse_number(P, &n))
			return -1;
		if (!n.integer || n.big || n.neg || n.mag == 0)
			return fail(P, "a row's occurrences must be an integer from 1 to %"
				    PRIu64 ", not '%.*s'", UINT64_MAX, n.len,
				    n.text);
		r.count = n.mag;
	}
	if (expect(P, ',', "',' and the row's increment") ||
	    parse_int(P, "a row's increment", INT64_MIN, INT64_MAX, &r.incr) ||
	    expect(P, ',', "',' and the row's mem usage") ||
	    parse_int(P, "a row's mem usage", INT64_MIN, INT64_MAX, &r.peak) ||
	    expect(P, ']', "']' after the row's four numbers"))
		return -1;
	if (more_rows(P, &f->rows, f->nrows, &f->cap))
		return -1;
	f->rows[f->nrows++] = r;
	return 0;
}

/* One line of "source": a string without a newline, appended to f. */
static int source_line(struct parser *P, void *ctx)
{
	struct func *f = ctx;

	if (peek(P) != '"')
		return unexpected(P, "a string (a line of 'source')");
	if (parse_string(P))
		return -1;
	if (memchr(P->str, '\n', P->slen))
		return fail(P, "a line of 'source' with a newline in it");
	if (f->source_cap - f->source_len <= P->slen + 1) {
		size_t cap = f->source_cap ? f->source_cap : 256;
		char *ns;

		while (cap - f->source_len <= P->slen + 1) {
			if (cap > SIZE_MAX / 2)
				return nomem(P);
			cap *= 2;
		}
		ns = realloc(f->source, cap);
		if (!ns)
			return nomem(P);
		f->source = ns;
		f->source_cap = cap;
	}
	memcpy(f->source + f->source_len, P->str, P->slen);
	f->source_len += P->slen;
	f->source[f->source_len++] = '\n';
	f->source[f->source_len] = '\0';
	return 0;
}

/* An unsigned figure of an "extra" row. */
static int parse_u64(struct parser *P, const char *what, uint64_t *v)
{
	struct number n;

	if (parse_number(P, &n))
		return -1;
	if (!n.integer || n.big || n.neg)
		return fail(P, "%s must be an integer from 0 to %" PRIu64
			    ", not '%.*s'", what, UINT64_MAX, n.len, n.text);
	*v = n.mag;
	return 0;
}

/* One "extra" row: [line, time_ns, allocs, allocated, peak, leaked]. */
static int extra_row(struct parser *P, void *ctx)
{
	struct func *f = ctx;
	struct mp_row r = { 0 };
	int64_t v;

	if (expect(P, '[', "an extra row [line, time_ns, allocs, allocated, peak, leaked]") ||
	    parse_int(P, "an extra row's line", 1, INT32_MAX, &v))
		return -1;
	r.line = (int32_t)v;
	if (f->nextra && r.line <= f->extra[f->nextra - 1].line)
		return fail(P, "extra rows must be in increasing line order (line %"
			    PRId32 " after line %" PRId32 ")", r.line,
			    f->extra[f->nextra - 1].line);
	if (expect(P, ',', "',' and the extra row's time") ||
	    parse_u64(P, "an extra row's time", &r.time_ns) ||
	    expect(P, ',', "',' and the extra row's allocs") ||
	    parse_u64(P, "an extra row's allocs", &r.allocs) ||
	    expect(P, ',', "',' and the extra row's allocated") ||
	    parse_u64(P, "an extra row's allocated", &r.allocated) ||
	    expect(P, ',', "',' and the extra row's peak") ||
	    parse_int(P, "an extra row's peak", INT64_MIN, INT64_MAX, &r.rise) ||
	    expect(P, ',', "',' and the extra row's leaked") ||
	    parse_int(P, "an extra row's leaked", INT64_MIN, INT64_MAX,
		      &r.leaked) ||
	    expect(P, ']', "']' after the extra row's six numbers") ||
	    more_rows(P, &f->extra, f->nextra, &f->extracap))
		return -1;
	f->extra[f->nextra++] = r;
	return 0;
}

/* Put each extra row's figures into the row of its line. */
static int join_extra(struct parser *P, struct func *f)
{
	size_t i = 0, j;

	for (j = 0; j < f->nextra; j++) {
		while (i < f->nrows && f->rows[i].line < f->extra[j].line)
			i++;
		if (i == f->nrows || f->rows[i].line != f->extra[j].line)
			return fail(P, "an extra row for line %" PRId32
				    " which has no row", f->extra[j].line);
		f->rows[i].time_ns = f->extra[j].time_ns;
		f->rows[i].allocs = f->extra[j].allocs;
		f->rows[i].allocated = f->extra[j].allocated;
		f->rows[i].rise = f->extra[j].rise;
		f->rows[i].leaked = f->extra[j].leaked;
	}
	return 0;
}

static int func_member(struct parser *P, const char *key, void *ctx)
{
	struct func *f = ctx;

	if (!key)
		return skip_value(P);
	if (!strcmp(key, "file"))
		return seen(P, &f->seen, SEEN_FILE, key) ||
		       take_string(P, &f->file);
	if (!strcmp(key, "dir"))
		return seen(P, &f->seen, SEEN_DIR, key) ||
		       take_string(P, &f->dir);
	if (!strcmp(key, "name"))
		return seen(P, &f->seen, SEEN_NAME, key) ||
		       take_string(P, &f->name);
	if (!strcmp(key, "first_line"))
		return seen(P, &f->seen, SEEN_FIRST, key) ||
		       parse_int(P, "'first_line'", 1, INT32_MAX,
				 &f->first_line);
	if (!strcmp(key, "last_line"))
		return seen(P, &f->seen, SEEN_LAST, key) ||
		       parse_int(P, "'last_line'", 1, INT32_MAX,
				 &f->last_line);
	if (!strcmp(key, "rows"))
		return seen(P, &f->seen, SEEN_ROWS, key) ||
		       walk_array(P, row, f);
	if (!strcmp(key, "source")) {
		if (seen(P, &f->seen, SEEN_SOURCE, key))
			return -1;
		if (peek(P) != '[')
			return unexpected(P, "'[' (the array of 'source' lines)");
		return walk_array(P, source_line, f);
	}
	if (!strcmp(key, "extra"))
		return seen(P, &f->seen, SEEN_EXTRA, key) ||
		       walk_array(P, extra_row, f);
	if (!strcmp(key, "leaked_blocks"))
		return seen(P, &f->seen, SEEN_BLOCKS, key) ||
		       parse_int(P, "'leaked_blocks'", 0, INT64_MAX,
				 &f->leaked_blocks);
	return skip_value(P);
}

static void free_func(struct func *f)
{
	free(f->file);
	free(f->dir);
	free(f->name);
	free(f->rows);
	free(f->source);
	free(f->extra);
}

static int function(struct parser *P, void *ctx)
{
	static const struct {
		unsigned bit;
		const char *key;
	} required[] = {
		{ SEEN_FILE, "file" }, { SEEN_NAME, "name" },
		{ SEEN_FIRST, "first_line" }, { SEEN_LAST, "last_line" },
		{ SEEN_ROWS, "rows" },
	};
	struct mp_profile *p = ctx;
	struct func f = { 0 };
	size_t i;
	int rc = -1;

	if (peek(P) != '{') {
		unexpected(P, "a function object");
		goto out;
	}
	if (walk_object(P, func_member, &f))
		goto out;
	for (i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!(f.seen & required[i].bit)) {
			fail(P, "function without '%s'", required[i].key);
			goto out;
		}
	if (!f.file[0] || !f.name[0]) {
		fail(P, "function with an empty '%s'", f.file[0] ? "name" : "file");
		goto out;
	}
	if (join_extra(P, &f))
		goto out;
	if (mp_profile_add_func(p, f.file, f.dir, f.name,
				(int32_t)f.first_line, (int32_t)f.last_line,
				f.rows, f.nrows)) {
		nomem(P);
		goto out;
	}
	if (f.seen & SEEN_SOURCE) {
		/* an empty array still says the text was saved: "" */
		if (!f.source && !(f.source = calloc(1, 1))) {
			nomem(P);
			goto out;
		}
		p->funcs[p->nfuncs - 1].source = f.source;
		p->funcs[p->nfuncs - 1].source_len = f.source_len;
		f.source = NULL;
	}
	p->funcs[p->nfuncs - 1].leaked_blocks = (uint64_t)f.leaked_blocks;
	rc = 0;
out:
	free_func(&f);
	return rc;
}

/* One name of "columns"; names this reader does not know are skipped. */
static int column(struct parser *P, void *ctx)
{
	struct mp_profile *p = ctx;

	if (parse_string(P))
		return -1;
	p->columns |= mp_columns_named(P->str, P->slen) & MP_COL_ALL;
	return 0;
}

struct top {
	struct mp_profile *p;
	struct mp_json_meta *m;
	unsigned seen;
};

static int top_member(struct parser *P, const char *key, void *ctx)
{
	struct top *t = ctx;
	int64_t v;

	if (!t->seen && (!key || strcmp(key, "mprof")))
		return fail(P, "not an mprof profile: the first member must be 'mprof'");
	if (!key)
		return skip_value(P);
	if (!strcmp(key, "mprof")) {
		if (seen(P, &t->seen, SEEN_MPROF, key) ||
		    parse_int(P, "'mprof' (the schema version)", 1, INT_MAX, &v))
			return -1;
		if (v > MP_JSON_VERSION)
			return fail(P, "profile version %" PRId64 " is newer than this mprof reads (%d)",
				    v, MP_JSON_VERSION);
		t->m->version = (int)v;
		return 0;
	}
	if (!strcmp(key, "backend")) {
		if (seen(P, &t->seen, SEEN_BACKEND, key) || parse_string(P))
			return -1;
		if (P->slen >= sizeof t->m->backend)
			return fail(P, "'backend' longer than %zu bytes",
				    sizeof t->m->backend - 1);
		memcpy(t->m->backend, P->str, P->slen + 1);
		return 0;
	}
	if (!strcmp(key, "precision")) {
		if (seen(P, &t->seen, SEEN_PRECISION, key) ||
		    parse_int(P, "'precision'", 0, 10, &v))
			return -1;
		t->m->precision = (int)v;
		return 0;
	}
	if (!strcmp(key, "pid") || !strcmp(key, "parent")) {
		int pid = key[1] == 'i';

		if (seen(P, &t->seen, pid ? SEEN_PID : SEEN_PARENT, key) ||
		    parse_int(P, pid ? "'pid'" : "'parent'", 0, INT32_MAX, &v))
			return -1;
		*(pid ? &t->m->pid : &t->m->parent) = (long)v;
		return 0;
	}
	if (!strcmp(key, "functions"))
		return seen(P, &t->seen, SEEN_FUNCTIONS, key) ||
		       walk_array(P, function, t->p);
	if (!strcmp(key, "columns"))
		return seen(P, &t->seen, SEEN_COLUMNS, key) ||
		       walk_array(P, column, t->p);
	return skip_value(P);
}

int mp_json_parse(const char *buf, size_t len, const char *name,
		  struct mp_profile *p, struct mp_json_meta *m, char *err,
		  size_t errlen)
{
	struct mp_json_meta scratch;
	struct parser P = { buf, buf + len, name ? name : "<json>", 1, 0,
			    err, errlen, NULL, 0, 0 };
	struct top t = { p, m ? m : &scratch, 0 };
	int rc = -1;

	if (errlen)
		err[0] = '\0';
	mp_json_meta_init(t.m);
	if (peek(&P) != '{') {
		unexpected(&P, "'{' (a JSON object)");
		goto out;
	}
	if (walk_object(&P, top_member, &t))
		goto out;
	if (!(t.seen & SEEN_MPROF)) {
		fail(&P, "not an mprof profile: the first member must be 'mprof'");
		goto out;
	}
	if (!(t.seen & SEEN_FUNCTIONS)) {
		fail(&P, "profile without 'functions'");
		goto out;
	}
	if (peek(&P) != -1) {
		fail(&P, "trailing data after the profile");
		goto out;
	}
	if (mp_profile_merge(p)) {
		nomem(&P);
		goto out;
	}
	rc = 0;
out:
	free(P.str);
	return rc;
}

int mp_json_read(const char *path, struct mp_profile *p,
		 struct mp_json_meta *m, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "'%s' is a directory", path);
		return -1;
	}
	/* Size from fstat when it has one; pipes grow the buffer as they go. */
	{
		size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 &&
			     (uint64_t)st.st_size < MP_JSON_MAX_SIZE ?
			     (size_t)st.st_size + 1 : 65536;

		buf = malloc(cap);
		while (buf) {
			if (n == cap) {
				char *nb;

				if (cap > MP_JSON_MAX_SIZE) {
					free(buf);
					close(fd);
					snprintf(err, errlen, "'%s' is larger than %zu MiB",
						 path, MP_JSON_MAX_SIZE >> 20);
					return -1;
				}
				nb = realloc(buf, cap * 2);
				if (!nb) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = nb;
				cap *= 2;
			}
			got = read(fd, buf + n, cap - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				snprintf(err, errlen, "cannot read '%s': %s",
					 path, strerror(errno));
				free(buf);
				close(fd);
				return -1;
			}
			if (got == 0)
				break;
			n += (size_t)got;
		}
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
			 strerror(ENOMEM));
		return -1;
	}
	if (n == 0) {
		free(buf);
		snprintf(err, errlen, "'%s' is empty", path);
		return -1;
	}
	rc = mp_json_parse(buf, n, path, p, m, err, errlen);
	free(buf);
	return rc;
}
