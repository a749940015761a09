/* SPDX-License-Identifier: MIT */
/*
 * top.c - the lines that matter (top.h): the ranking of the rows of a
 * whole profile by one column, and the table of the first N, for `mprof
 * report --top`, the runtime's summary after its tables, and the other
 * reports of report/.
 *
 * The ranking keeps the best n rows seen so far in the caller's array,
 * as a heap whose root is the worst of them, so it needs no memory of its
 * own (the runtime calls it at exit) and costs O(rows log n).  The
 * figures are formatted as the line table formats them (table.c's
 * mp_table_format_mib(): no printf of doubles, so the program's locale
 * does not matter) and the source is read as it reads it (source.c).
 */
#include "top.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static const struct mp_top_column columns[MP_BY_COUNT] = {
	[MP_BY_INCREMENT] = { "increment", "Increment", "bytes", 0 },
	[MP_BY_MEM] = { "mem", "Mem usage", "bytes", 0 },
	[MP_BY_OCCURRENCES] = { "occurrences", "Occurrences", "count", 0 },
	[MP_BY_TIME] = { "time", "Time", "nanoseconds", MP_COL_TIME },
	[MP_BY_ALLOCS] = { "allocs", "Allocs", "count", MP_COL_ALLOCS },
	[MP_BY_ALLOCATED] = { "allocated", "Allocated", "bytes", MP_COL_ALLOCS },
	[MP_BY_PEAK] = { "peak", "Peak", "bytes", MP_COL_PEAK },
	[MP_BY_LEAKED] = { "leaked", "Leaked", "bytes", MP_COL_LEAKED },
};

const struct mp_top_column *mp_top_column(enum mp_top_by by)
{
	return &columns[by];
}

int mp_top_by_named(const char *name)
{
	int i;

	for (i = 0; i < MP_BY_COUNT; i++)
		if (!strcmp(columns[i].name, name))
			return i;
	return -1;
}

int mp_top_has(const struct mp_profile *p, enum mp_top_by by)
{
	return (p->columns & columns[by].needs) == columns[by].needs;
}

static int64_t clamp(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t mp_top_value(const struct mp_row *r, enum mp_top_by by)
{
	switch (by) {
	case MP_BY_INCREMENT:
		return r->incr;
	case MP_BY_MEM:
		return r->peak;
	case MP_BY_OCCURRENCES:
		return clamp(r->count);
	case MP_BY_TIME:
		return clamp(r->time_ns);
	case MP_BY_ALLOCS:
		return clamp(r->allocs);
	case MP_BY_ALLOCATED:
		return clamp(r->allocated);
	case MP_BY_PEAK:
		return r->rise;
	case MP_BY_LEAKED:
		return r->leaked;
	case MP_BY_COUNT:
		break;
	}
	return 0;
}

int mp_top_is_signature(const struct mp_func *f, const struct mp_row *r)
{
	return r->line == f->first_line;
}

/*
 * > 0 when a ranks before b: the larger figure, then the smaller file
 * name, line, function name and first line.  0 only for the same row.
 */
static int better(const struct mp_top_line *a, const struct mp_top_line *b,
		  enum mp_top_by by)
{
	int64_t va = mp_top_value(a->row, by), vb = mp_top_value(b->row, by);
	int c;

	if (va != vb)
		return va > vb ? 1 : -1;
	if ((c = strcmp(a->func->file, b->func->file)) != 0)
		return -c;
	if (a->row->line != b->row->line)
		return a->row->line < b->row->line ? 1 : -1;
	if ((c = strcmp(a->func->name, b->func->name)) != 0)
		return -c;
	if (a->func->first_line != b->func->first_line)
		return a->func->first_line < b->func->first_line ? 1 : -1;
	return 0;
}

/* Restore the heap below i: every parent ranks worse than its children. */
static void sift_down(struct mp_top_line *h, size_t n, size_t i,
		      enum mp_top_by by)
{
	struct mp_top_line t;

	for (;;) {
		size_t w = i, l = 2 * i + 1, r = l + 1;

		if (l < n && better(&h[w], &h[l], by) > 0)
			w = l;
		if (r < n && better(&h[w], &h[r], by) > 0)
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(struct mp_top_line *h, size_t i, enum mp_top_by by)
{
	struct mp_top_line t;

	while (i > 0 && better(&h[(i - 1) / 2], &h[i], by) > 0) {
		t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

size_t mp_top_lines(const struct mp_profile *p, enum mp_top_by by, size_t n,
		    int include_signature, struct mp_top_line *out)
{
	struct mp_top_line c, t;
	size_t i, j, k = 0;

	if (!n)
		return 0;
	for (i = 0; i < p->nfuncs; i++) {
		c.func = &p->funcs[i];
		for (j = 0; j < c.func->nrows; j++) {
			c.row = &c.func->rows[j];
			if (mp_top_value(c.row, by) <= 0 ||
			    (!include_signature &&
			     mp_top_is_signature(c.func, c.row)))
				continue;
			if (k < n) {
				out[k] = c;
				sift_up(out, k++, by);
			} else if (better(&c, &out[0], by) > 0) {
				out[0] = c;
				sift_down(out, k, 0, by);
			}
		}
	}
	/* the worst to the end, one by one: best first */
	for (i = k; i > 1; i--) {
		t = out[0];
		out[0] = out[i - 1];
		out[i - 1] = t;
		sift_down(out, i - 1, 0, by);
	}
	return k;
}

/* "1 line", "2 lines" */
static void count_of(char *buf, size_t size, size_t n, const char *what)
{
	snprintf(buf, size, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

/* One figure of column `by`, right-aligned in 12 columns. */
static void figure(char *buf, size_t size, const struct mp_row *r,
		   enum mp_top_by by, int precision)
{
	char num[64];
	uint64_t us;

	switch (by) {
	case MP_BY_OCCURRENCES:
		snprintf(buf, size, "%12" PRIu64, r->count);
		return;
	case MP_BY_ALLOCS:
		snprintf(buf, size, "%12" PRIu64, r->allocs);
		return;
	case MP_BY_TIME:
		/* milliseconds with 3 decimals, in integers (no locale) */
		us = r->time_ns / 1000 + (r->time_ns % 1000 >= 500);
		snprintf(num, sizeof num, "%" PRIu64 ".%03u ms", us / 1000,
			 (unsigned)(us % 1000));
		snprintf(buf, size, "%12s", num);
		return;
	default:
		mp_table_format_mib(num, sizeof num, mp_top_value(r, by),
				    precision);
		snprintf(buf, size, "%12s", num);
		return;
	}
}

/* The columns a row shows, in order: the three of memory_profiler's
 * table, then the profile's optional ones. */
static size_t shown_columns(const struct mp_profile *p, enum mp_top_by *cols)
{
	static const enum mp_top_by order[] = {
		MP_BY_MEM, MP_BY_INCREMENT, MP_BY_OCCURRENCES, MP_BY_TIME,
		MP_BY_ALLOCS, MP_BY_ALLOCATED, MP_BY_PEAK, MP_BY_LEAKED,
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (mp_top_has(p, order[i]))
			cols[n++] = order[i];
	return n;
}

static int print_heading(FILE *out, const struct mp_profile *p, size_t n,
			 enum mp_top_by by)
{
	char nl[48], nf[48], top[48];
	size_t i, rows = 0, funcs = 0;

	for (i = 0; i < p->nfuncs; i++) {
		rows += p->funcs[i].nrows;
		funcs += p->funcs[i].nrows > 0;
	}
	count_of(nl, sizeof nl, rows, "line");
	count_of(nf, sizeof nf, funcs, "function");
	if (!n)
		return fprintf(out, "No line has a positive %s, of %s in %s\n\n",
			       columns[by].title, nl, nf) < 0 ? -1 : 0;
	count_of(top, sizeof top, n, "line");
	return fprintf(out, "Top %s by %s, of %s in %s\n\n", top,
		       columns[by].title, nl, nf) < 0 ? -1 : 0;
}

int mp_top_print(FILE *out, const struct mp_profile *p,
		 const struct mp_top_line *lines, size_t n, enum mp_top_by by,
		 const struct mp_report_opts *opts)
{
	struct mp_source_cache cache = { 0 };
	enum mp_top_by cols[MP_BY_COUNT];
	int precision = opts ? opts->precision : 1;
	size_t i, k, ncols, wloc = strlen("Location"), wfn = strlen("Function");
	size_t width;
	char loc[64], fig[80];
	int rc = 0;

	if (precision < 0)
		precision = 0;
	if (precision > 10)
		precision = 10;
	if (print_heading(out, p, n, by) < 0)
		return -1;
	if (!n)
		return fflush(out) == EOF ? -1 : 0;
	for (i = 0; i < n; i++) {
		int len = snprintf(loc, sizeof loc, ":%" PRId32,
				   lines[i].row->line);

		if (strlen(lines[i].func->file) + (size_t)len > wloc)
			wloc = strlen(lines[i].func->file) + (size_t)len;
		if (strlen(lines[i].func->name) > wfn)
			wfn = strlen(lines[i].func->name);
	}
	ncols = shown_columns(p, cols);
	width = wloc + 2 + wfn;
	fprintf(out, "%-*s  %-*s", (int)wloc, "Location", (int)wfn, "Function");
	for (k = 0; k < ncols; k++) {
		fprintf(out, " %12s", columns[cols[k]].title);
		width += 13;
	}
	fputs("   Line Contents\n", out);
	width += strlen("   Line Contents");
	for (i = 0; i < width; i++)
		putc('=', out);
	putc('\n', out);

	for (i = 0; i < n && !ferror(out); i++) {
		const struct mp_func *f = lines[i].func;
		const struct mp_row *r = lines[i].row;
		const struct mp_source *s = mp_source_get(&cache, f);
		const char *text = NULL;
		size_t len = 0;

		if (!s) {
			rc = -1;
			break;
		}
		snprintf(loc, sizeof loc, ":%" PRId32, r->line);
		fprintf(out, "%s%-*s  %-*s", f->file,
			(int)(wloc - strlen(f->file)), loc, (int)wfn, f->name);
		for (k = 0; k < ncols; k++) {
			figure(fig, sizeof fig, r, cols[k], precision);
			fprintf(out, " %s", fig);
		}
		fputs("   ", out);
		text = mp_source_line(s, r->line, &len);
		while (len && (*text == ' ' || *text == '\t')) {
			text++;
			len--;
		}
		if (len)
			fwrite(text, 1, len, out);
		else
			putc('\n', out);
	}
	putc('\n', out);
	mp_source_free(&cache);
	if (fflush(out) == EOF || ferror(out))
		rc = -1;
	return rc;
}

int mp_top_report(FILE *out, const struct mp_profile *p, enum mp_top_by by,
		  size_t n, int include_signature,
		  const struct mp_report_opts *opts)
{
	struct mp_top_line *lines;
	size_t rows = 0, i;
	int rc;

	for (i = 0; i < p->nfuncs; i++)
		rows += p->funcs[i].nrows;
	if (n > rows)
		n = rows;
	lines = malloc((n ? n : 1) * sizeof *lines);
	if (!lines)
		return -1;
	n = mp_top_lines(p, by, n, include_signature, lines);
	rc = mp_top_print(out, p, lines, n, by, opts);
	free(lines);
	return rc;
}
