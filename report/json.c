/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON profile writer declared in json.h: what the runtime
 * writes at exit (MPROF_JSON) and from a fatal signal (compiled again as
 * runtime/crashjson.c), and what `mprof report --json` prints.  The
 * reader is jsonread.c, in the `mprof` command only.
 */
#include "json.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "columns.h"
#include "utf8.h"

void mp_json_meta_init(struct mp_json_meta *m)
{
	memset(m, 0, sizeof *m);
	m->version = MP_JSON_VERSION;
	m->precision = 1;
}

/* len bytes as a JSON string: see json.h for bytes that are not UTF-8. */
static void put_bytes(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = len, n;

	putc('"', out);
	while (avail) {
		if (*s == '"' || *s == '\\') {
			putc('\\', out);
			putc(*s, out);
			n = 1;
		} else if (*s == '\n') {
			fputs("\\n", out);
			n = 1;
		} else if (*s == '\t') {
			fputs("\\t", out);
			n = 1;
		} else if (*s == '\r') {
			fputs("\\r", out);
			n = 1;
		} else if (*s < 0x20) {
			fprintf(out, "\\u%04x", *s);
			n = 1;
		} else if (*s < 0x80) {
			putc(*s, out);
			n = 1;
		} else if ((n = mp_utf8_len(s, avail)) != 0) {
			fwrite(s, 1, n, out);
		} else {
			fprintf(out, "\\udc%02x", *s);
			n = 1;
		}
		s += n;
		avail -= n;
	}
	putc('"', out);
}

static void put_string(FILE *out, const char *str)
{
	put_bytes(out, str, strlen(str));
}

void mp_json_string(FILE *out, const char *str)
{
	put_string(out, str);
}

/* The elements of an array of strings, one per line of text, indented. */
static void put_lines(FILE *out, const char *text, size_t len,
		      const char *indent)
{
	const char *s = text, *end = text + len, *nl;

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		fprintf(out, "%s\n%s", s == text ? "" : ",", indent);
		put_bytes(out, s, (size_t)(nl - s));
	}
}

/* "notes": one string per line of m->notes. */
static void put_notes(FILE *out, const struct mp_json_meta *m)
{
	fputs("  \"notes\": [", out);
	put_lines(out, m->notes, m->notes_len, "    ");
	fputs("\n  ],\n", out);
}

/* "source": one string per line of f->source. */
static void put_source(FILE *out, const struct mp_func *f)
{
	fputs(",\n      \"source\": [", out);
	put_lines(out, f->source, f->source_len, "        ");
	fputs(f->source_len ? "\n      ]" : "]", out);
}

/* "columns": the names of the optional columns recorded. */
static void put_columns(FILE *out, unsigned cols)
{
	const char *sep = "";

	fputs("  \"columns\": [", out);
	for (unsigned bit = 1; bit & MP_COL_ALL; bit <<= 1) {
		if (!(cols & bit))
			continue;
		fputs(sep, out);
		put_string(out, mp_columns_name(bit));
		sep = ", ";
	}
	fputs("],\n", out);
}

/*
 * A function's optional figures, when the profile has columns: "extra",
 * one [line, time_ns, allocs, allocated, peak, leaked] per row (0 for a
 * column not recorded), and "leaked_blocks".
 */
static void put_extra(FILE *out, const struct mp_func *f)
{
	fprintf(out, ",\n      \"leaked_blocks\": %" PRIu64
		",\n      \"extra\": [", f->leaked_blocks);
	for (size_t j = 0; j < f->nrows; j++) {
		const struct mp_row *r = &f->rows[j];

		fprintf(out, "%s\n        [%" PRId32 ", %" PRIu64 ", %" PRIu64
			", %" PRIu64 ", %" PRId64 ", %" PRId64 "]",
			j ? "," : "", r->line, r->time_ns, r->allocs,
			r->allocated, r->rise, r->leaked);
	}
	fputs(f->nrows ? "\n      ]" : "]", out);
}

int mp_json_write(FILE *out, const struct mp_profile *p,
		  const struct mp_json_meta *m)
{
	struct mp_json_meta defaults;
	size_t i, j;

	if (!m) {
		mp_json_meta_init(&defaults);
		m = &defaults;
	}
	fprintf(out, "{\n  \"mprof\": %d,\n  \"backend\": ", MP_JSON_VERSION);
	put_string(out, m->backend);
	fprintf(out, ",\n  \"precision\": %d,\n  \"pid\": %ld,\n",
		m->precision, m->pid);
	if (m->parent)
		fprintf(out, "  \"parent\": %ld,\n", m->parent);
	if (m->signal)
		fprintf(out, "  \"signal\": %d,\n", m->signal);
	if (m->notes && m->notes_len)
		put_notes(out, m);
	if (p->columns & MP_COL_ALL)
		put_columns(out, p->columns);
	fputs("  \"functions\": [", out);
	for (i = 0; i < p->nfuncs; i++) {
		const struct mp_func *f = &p->funcs[i];

		fputs(i ? ",\n    {\n      \"file\": " : "\n    {\n      \"file\": ",
		      out);
		put_string(out, f->file);
		fputs(",\n      \"dir\": ", out);
		put_string(out, f->dir);
		fputs(",\n      \"name\": ", out);
		put_string(out, f->name);
		fprintf(out, ",\n      \"first_line\": %" PRId32
			",\n      \"last_line\": %" PRId32
			",\n      \"rows\": [", f->first_line, f->last_line);
		for (j = 0; j < f->nrows; j++) {
			const struct mp_row *r = &f->rows[j];

			fprintf(out, "%s\n        [%" PRId32 ", %" PRIu64 ", %"
				PRId64 ", %" PRId64 "]", j ? "," : "",
				r->line, r->count, r->incr, r->peak);
		}
		fputs(f->nrows ? "\n      ]" : "]", out);
		if (f->source)
			put_source(out, f);
		if (p->columns & MP_COL_ALL)
			put_extra(out, f);
		fputs("\n    }", out);
	}
	fputs(p->nfuncs ? "\n  ]\n}\n" : "]\n}\n", out);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}
