/* SPDX-License-Identifier: MIT */
/*
 * html.c - the HTML report (html.h, docs/html.md): its figures and
 * pages, the rankings, the grouping of functions by file, and index.html
 * with the top lines, the functions ranked and the files.  html_file.c
 * writes the pages of each source file, html_out.c owns the directory and
 * escaping, source.c reads the source as the line table does.
 *
 * Figures are the line table's (mp_table_format_mib), so a line reads
 * the same in a browser as in `mprof report`.  A function's signature row
 * is set apart: its Increment is the memory at the first entry, not what
 * the line did, so it takes no bar and no place in the rankings.  Bars are
 * scaled to the largest |Increment| of any other row of the profile, the
 * same scale on every page.
 */
#define _GNU_SOURCE
#include "html_int.h"
#include "top.h"
#include "html_style.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int mp_html_nomem(struct gen *g)
{
	if (g->errlen)
		snprintf(g->err, g->errlen, "%s", strerror(ENOMEM));
	return -1;
}

static int64_t mag(int64_t v)
{
	return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

/* ---- writing ---------------------------------------------------------- */

void mp_html_esc(FILE *f, const char *s)
{
	mp_html_escape(f, s, strlen(s));
}

/* A MiB figure without the table's padding. */
void mp_html_mib(FILE *f, int64_t bytes, int precision)
{
	char buf[64], *s = buf;

	mp_table_format_mib(buf, sizeof buf, bytes, precision);
	while (*s == ' ')
		s++;
	fputs(s, f);
}

static void duration(FILE *f, uint64_t ns)
{
	if (ns < 1000)
		fprintf(f, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		fprintf(f, "%.1f \xc2\xb5s", (double)ns / 1e3);
	else if (ns < 1000000000)
		fprintf(f, "%.1f ms", (double)ns / 1e6);
	else
		fprintf(f, "%.2f s", (double)ns / 1e9);
}

/* Header cells of the figures, in the table's order. */
void mp_html_figure_heads(FILE *f, unsigned columns)
{
	fputs("<th>Mem usage</th><th>Increment</th><th>Occurrences</th>", f);
	if (columns & MP_COL_TIME)
		fputs("<th>Time</th>", f);
	if (columns & MP_COL_ALLOCS)
		fputs("<th>Allocs</th><th>Allocated</th>", f);
	if (columns & MP_COL_PEAK)
		fputs("<th>Peak</th>", f);
	if (columns & MP_COL_LEAKED)
		fputs("<th>Leaked</th>", f);
}

int mp_html_nfigures(unsigned columns)
{
	return 3 + !!(columns & MP_COL_TIME) + 2 * !!(columns & MP_COL_ALLOCS) +
	       !!(columns & MP_COL_PEAK) + !!(columns & MP_COL_LEAKED);
}

/* The Increment cell: a bar of |incr| / scale behind the figure. */
static void incr_cell(FILE *f, const struct gen *g, int64_t incr, int sig)
{
	double pct;

	if (sig || incr == 0 || g->scale == 0) {
		fputs(sig ? "<td class=\"i g\">" : "<td class=\"i\">", f);
	} else {
		/* the figure stands out (h) when its bar is visible */
		pct = 100.0 * (double)mag(incr) / (double)g->scale;
		fprintf(f, "<td class=\"i %c%s\"><i style=\"width:%.1f%%\"></i>",
			incr > 0 ? 'p' : 'n', pct >= 1 ? " h" : "",
			pct > 100 ? 100 : pct);
	}
	mp_html_mib(f, incr, g->precision);
	fputs("</td>", f);
}

/* A row's figure cells: Mem usage, Increment, Occurrences, options. */
void mp_html_figure_cells(FILE *f, const struct gen *g, const struct mp_row *r,
			 int sig)
{
	fputs("<td>", f);
	mp_html_mib(f, r->peak, g->precision);
	fputs("</td>", f);
	incr_cell(f, g, r->incr, sig);
	fprintf(f, "<td>%" PRIu64 "</td>", r->count);
	if (g->columns & MP_COL_TIME) {
		fputs("<td>", f);
		duration(f, r->time_ns);
		fputs("</td>", f);
	}
	if (g->columns & MP_COL_ALLOCS) {
		fprintf(f, "<td>%" PRIu64 "</td><td>", r->allocs);
		mp_html_mib(f, (int64_t)(r->allocated > INT64_MAX ? INT64_MAX :
				 r->allocated), g->precision);
		fputs("</td>", f);
	}
	if (g->columns & MP_COL_PEAK) {
		fputs("<td>", f);
		mp_html_mib(f, r->rise, g->precision);
		fputs("</td>", f);
	}
	if (g->columns & MP_COL_LEAKED) {
		fputs("<td>", f);
		mp_html_mib(f, r->leaked, g->precision);
		fputs("</td>", f);
	}
}

/*
 * A line of source without its '\n', escaped; nothing if unknown.  trim:
 * without its indentation (a ranking lists lines out of context).
 */
void mp_html_source_text(FILE *f, const struct mp_source *s, int32_t line,
			int trim)
{
	const char *t;
	size_t len;

	t = mp_source_line(s, line, &len);
	if (!t)
		return;
	len--;
	while (trim && len && (*t == ' ' || *t == '\t')) {
		t++;
		len--;
	}
	mp_html_escape(f, t, len);
}

/* The last component of a path: the ranking's short file name. */
static const char *base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

void mp_html_page_head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"mprof report --html\">\n"
	      "<title>", f);
	mp_html_esc(f, title);
	fputs("</title>\n<style>\n", f);
	fputs(html_css, f);
	fputs("</style>\n</head>\n<body>\n", f);
}

/*
 * Open DIR/name (staged), let `body` write it, close it.  A write error
 * (a full disk) is caught by ferror() and fclose().
 */
int mp_html_write_page(struct gen *g, const char *name,
		      void (*body)(struct gen *g, FILE *f, const void *arg),
		      const void *arg)
{
	const char *tmp = mp_html_stage(g->d, name, g->err, g->errlen);
	FILE *f;
	int bad;

	if (!tmp)
		return -1;
	errno = 0;
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	body(g, f, arg);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		goto fail;
	return 0;
fail:
	if (g->errlen)
		snprintf(g->err, g->errlen, "cannot write '%s': %s", name,
			 strerror(errno ? errno : EIO));
	return -1;
}

/* ---- ranking ---------------------------------------------------------- */

/*
 * The lines with the largest positive Increment, signature rows left out,
 * as `mprof report --top` ranks them (report/top.h); at most `max`
 * (<= MP_HTML_TOP) entries.
 */
static size_t top_lines(const struct mp_profile *p, struct hot *out,
			size_t max)
{
	struct mp_top_line t[MP_HTML_TOP];
	size_t i, n;

	n = mp_top_lines(p, MP_BY_INCREMENT, max < MP_HTML_TOP ? max : MP_HTML_TOP,
			 0, t);
	for (i = 0; i < n; i++) {
		out[i].func = (size_t)(t[i].func - p->funcs);
		out[i].row = t[i].row;
	}
	return n;
}

/* Functions: by their largest line Increment, then net, then order. */
static int cmp_fstat(const void *a, const void *b)
{
	const struct fstat *x = a, *y = b;
	int64_t tx = x->top ? x->top->incr : INT64_MIN;
	int64_t ty = y->top ? y->top->incr : INT64_MIN;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (x->net != y->net)
		return x->net > y->net ? -1 : 1;
	return (x->func > y->func) - (x->func < y->func);
}

static void rank_functions(struct gen *g)
{
	const struct mp_profile *p = g->p;
	size_t i, j;

	for (i = 0; i < p->nfuncs; i++) {
		const struct mp_func *f = &p->funcs[i];
		struct fstat *s;

		if (!f->nrows)
			continue;
		s = &g->fs[g->nfs++];
		memset(s, 0, sizeof *s);
		s->func = i;
		s->peak = INT64_MIN;
		for (j = 0; j < f->nrows; j++) {
			const struct mp_row *r = &f->rows[j];

			if (r->peak > s->peak)
				s->peak = r->peak;
			if (mp_top_is_signature(f, r)) {
				s->calls = r->count;
				continue;
			}
			if (__builtin_add_overflow(s->net, r->incr, &s->net))
				s->net = r->incr < 0 ? INT64_MIN : INT64_MAX;
			if (!s->top || r->incr > s->top->incr)
				s->top = r;
			if (mag(r->incr) > g->scale)
				g->scale = mag(r->incr);
		}
	}
	qsort(g->fs, g->nfs, sizeof *g->fs, cmp_fstat);
	for (i = 0; i < g->nfs; i++)
		g->rank_of[g->fs[i].func] = i;
}

/* ---- grouping by file ------------------------------------------------- */

/*
 * The stem of a file's pages: its basename with [A-Za-z0-9._+-] kept, or
 * with "~<k+1>" added when another file (or "index") has it.  Names we
 * add contain '~', which no basename keeps, so they cannot collide.
 */
static char *page_stem(struct gen *g, const char *file, size_t k)
{
	const char *b = strrchr(file, '/');
	char *name, *s;
	size_t i;
	int dup = 0;

	b = b ? b + 1 : file;
	name = strdup(*b ? b : "source");
	if (!name)
		return NULL;
	for (s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._+-", *s)))
			*s = '_';
	if (name[0] == '.')
		name[0] = '_';
	dup = !strcmp(name, "index");
	for (i = 0; i < k && !dup; i++)
		dup = !strcmp(name, g->groups[i].stem);
	if (dup) {
		char *u;

		if (asprintf(&u, "%s~%zu", name, k + 1) < 0)
			u = NULL;
		free(name);
		name = u;
	}
	return name;
}

/* The part of a group's pages that shows `line`. */
static size_t part_of(const struct group *gr, int32_t line)
{
	size_t lo = 0, hi = gr->nparts;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (gr->cuts[mid] <= line)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The file name of part `part` of a group's pages, into buf. */
const char *mp_html_part_name(const struct group *gr, size_t part, char *buf,
			     size_t size)
{
	if (part == 0)
		snprintf(buf, size, "%s.html", gr->stem);
	else
		snprintf(buf, size, "%s~p%zu.html", gr->stem, part + 1);
	return buf;
}

/* An href to `line` of a group's pages. */
static void line_href(FILE *f, const struct group *gr, int32_t line)
{
	char name[PATH_MAX_NAME];

	fprintf(f, "%s#L%" PRId32, mp_html_part_name(gr, part_of(gr, line), name,
					      sizeof name), line);
}

static int group_functions(struct gen *g)
{
	const struct mp_profile *p = g->p;
	size_t i, k;

	for (i = 0; i < p->nfuncs; i++) {
		const struct mp_func *f = &p->funcs[i];
		struct mp_source *s;
		struct group *gr;
		size_t si;

		g->group_of[i] = SIZE_MAX;
		if (!f->nrows)
			continue;
		s = mp_source_get(&g->src, f);
		if (!s)
			return mp_html_nomem(g);
		si = (size_t)(s - g->src.src);
		for (k = 0; k < g->ngroups && g->groups[k].src != si; k++)
			;
		gr = &g->groups[k];
		if (k == g->ngroups) {
			memset(gr, 0, sizeof *gr);
			gr->src = si;
			gr->stem = page_stem(g, f->file, k);
			if (!gr->stem)
				return mp_html_nomem(g);
			g->ngroups++;
		}
		if (gr->nfuncs == gr->cap) {
			size_t cap = gr->cap ? gr->cap * 2 : 8;
			size_t *nf = realloc(gr->funcs, cap * sizeof *nf);

			if (!nf)
				return mp_html_nomem(g);
			gr->funcs = nf;
			gr->cap = cap;
		}
		gr->funcs[gr->nfuncs++] = i;
		g->group_of[i] = k;
	}
	return 0;
}

/* ---- index.html ------------------------------------------------------- */

static void func_link(FILE *f, const struct gen *g, size_t fi, int32_t line)
{
	fputs("<a href=\"", f);
	line_href(f, &g->groups[g->group_of[fi]], line);
	fputs("\">", f);
}

static void index_top(struct gen *g, FILE *f, struct hot *hot, size_t n)
{
	size_t i;

	fputs("<section id=\"top\">\n<h2>Top lines</h2>\n", f);
	if (!n) {
		fputs("<p class=\"hint\">No line increased memory.</p>\n</section>\n", f);
		return;
	}
	fprintf(f, "<p class=\"hint\">The %zu lines with the largest Increment "
		"(signature lines, whose Increment is the memory at the first "
		"call, are left out). A line's figures include what the calls "
		"it makes did.</p>\n", n);
	fputs("<table class=\"rank\" id=\"top-lines\">\n<thead><tr><th>#</th>", f);
	mp_html_figure_heads(f, g->columns);
	fputs("<th class=\"t\">Function</th><th class=\"t\">Line</th>"
	      "<th class=\"t\">Line Contents</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++) {
		const struct mp_func *fn = &g->p->funcs[hot[i].func];
		const struct mp_source *s =
			&g->src.src[g->groups[g->group_of[hot[i].func]].src];

		fprintf(f, "<tr><td>%zu</td>", i + 1);
		mp_html_figure_cells(f, g, hot[i].row, 0);
		fputs("<td class=\"t\">", f);
		mp_html_esc(f, fn->name);
		fputs("</td><td class=\"t w\" title=\"", f);
		mp_html_esc(f, fn->file);
		fputs("\">", f);
		func_link(f, g, hot[i].func, hot[i].row->line);
		mp_html_esc(f, base(fn->file));
		fprintf(f, ":%" PRId32 "</a></td><td class=\"s\">",
			hot[i].row->line);
		mp_html_source_text(f, s, hot[i].row->line, 1);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n</section>\n", f);
}

static void index_functions(struct gen *g, FILE *f)
{
	size_t i;

	fputs("<section id=\"functions\">\n<h2>Functions</h2>\n"
	      "<p class=\"hint\">Every profiled function that ran, by its line "
	      "with the largest Increment. Net is the sum of its lines' "
	      "Increments (signature line excepted): the memory its calls "
	      "kept. Calls counts entries (the signature line's Occurrences)."
	      "</p>\n<table class=\"rank\" id=\"func-table\">\n<thead><tr>"
	      "<th>#</th><th class=\"t\">Function</th><th class=\"t\">File</th>"
	      "<th>Calls</th><th>Largest increment</th><th class=\"t\">at line</th>"
	      "<th>Net increment</th><th>Mem usage</th></tr></thead>\n<tbody>\n",
	      f);
	for (i = 0; i < g->nfs; i++) {
		const struct fstat *s = &g->fs[i];
		const struct mp_func *fn = &g->p->funcs[s->func];

		fprintf(f, "<tr id=\"fn-%zu\"><td>%zu</td><td class=\"t\">", s->func,
			i + 1);
		func_link(f, g, s->func, fn->first_line);
		mp_html_esc(f, fn->name);
		fputs("</a></td><td class=\"t w\" title=\"", f);
		mp_html_esc(f, fn->file);
		fputs("\">", f);
		mp_html_esc(f, base(fn->file));
		fprintf(f, ":%" PRId32 "</td><td>%" PRIu64 "</td>", fn->first_line,
			s->calls);
		if (s->top) {
			incr_cell(f, g, s->top->incr, 0);
			fputs("<td class=\"t w\">", f);
			func_link(f, g, s->func, s->top->line);
			fprintf(f, "%" PRId32 "</a></td>", s->top->line);
		} else {
			fputs("<td></td><td></td>", f);
		}
		fputs("<td>", f);
		mp_html_mib(f, s->net, g->precision);
		fputs("</td><td>", f);
		mp_html_mib(f, s->peak, g->precision);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n</section>\n", f);
}

static void index_files(struct gen *g, FILE *f)
{
	size_t k;

	fputs("<section id=\"files\">\n<h2>Files</h2>\n<ul class=\"files\">\n", f);
	for (k = 0; k < g->ngroups; k++) {
		const struct group *gr = &g->groups[k];
		const struct mp_source *s = &g->src.src[gr->src];

		fprintf(f, "<li><a href=\"%s.html\"><code>", gr->stem);
		mp_html_esc(f, s->file);
		fprintf(f, "</code></a> \xe2\x80\x94 %zu function%s", gr->nfuncs,
			gr->nfuncs == 1 ? "" : "s");
		if (gr->nparts > 1)
			fprintf(f, ", %zu pages", gr->nparts);
		if (!s->text)
			fputs(" (source not found)", f);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
}

static void index_body(struct gen *g, FILE *f, const void *unused)
{
	const struct mp_html_opts *o = g->o;
	struct hot hot[MP_HTML_TOP];
	size_t n = top_lines(g->p, hot, MP_HTML_TOP), rows = 0, i;
	int64_t peak = 0;

	(void)unused;
	for (i = 0; i < g->nfs; i++) {
		rows += g->p->funcs[g->fs[i].func].nrows;
		if (g->fs[i].peak > peak)
			peak = g->fs[i].peak;
	}
	mp_html_page_head(f, o->title && *o->title ? o->title : "mprof report");
	fputs("<header>\n<h1>mprof report", f);
	if (o->title && *o->title) {
		fputs(": <code>", f);
		mp_html_esc(f, o->title);
		fputs("</code>", f);
	}
	fputs("</h1>\n<p class=\"meta\">", f);
	if (o->pid) {
		fprintf(f, "process %ld", o->pid);
		if (o->parent)
			fprintf(f, " (child of %ld)", o->parent);
		fputs(" \xc2\xb7 ", f);
	}
	if (o->backend && *o->backend) {
		fputs("backend ", f);
		mp_html_esc(f, o->backend);
		fputs(" \xc2\xb7 ", f);
	}
	fprintf(f, "%zu function%s ran (%zu profiled), %zu lines with figures, "
		"in %zu file%s \xc2\xb7 largest Mem usage ", g->nfs,
		g->nfs == 1 ? "" : "s", g->p->nfuncs, rows, g->ngroups,
		g->ngroups == 1 ? "" : "s");
	mp_html_mib(f, peak, g->precision);
	fputs("</p>\n<nav class=\"top\">", f);
	if (o->curve)
		fputs("<a href=\"#curve\">Memory over time</a>", f);
	fputs("<a href=\"#top\">Top lines</a><a href=\"#functions\">Functions</a>"
	      "<a href=\"#files\">Files</a></nav>\n</header>\n", f);
	if (o->curve) {
		fputs("<section id=\"curve\">\n<h2>Memory over time</h2>\n"
		      "<img class=\"curve\" src=\"", f);
		mp_html_esc(f, o->curve);
		fputs("\" alt=\"memory over time, the profiled functions' calls "
		      "bracketed\">\n</section>\n", f);
	}
	index_top(g, f, hot, n);
	index_functions(g, f);
	index_files(g, f);
	fputs("</body>\n</html>\n", f);
}

/* ---- the report ------------------------------------------------------- */

int mp_html_write(struct mp_html_dir *d, const struct mp_profile *p,
		  const struct mp_html_opts *o, char *err, size_t errlen)
{
	struct gen g;
	size_t k;
	int rc = -1;

	memset(&g, 0, sizeof g);
	g.p = p;
	g.o = o;
	g.d = d;
	g.err = err;
	g.errlen = errlen;
	g.precision = o->precision;
	g.columns = p->columns & MP_COL_ALL;
	g.groups = calloc(p->nfuncs + 1, sizeof *g.groups);
	g.group_of = calloc(p->nfuncs + 1, sizeof *g.group_of);
	g.fs = calloc(p->nfuncs + 1, sizeof *g.fs);
	g.rank_of = calloc(p->nfuncs + 1, sizeof *g.rank_of);
	if (!g.groups || !g.group_of || !g.fs || !g.rank_of) {
		mp_html_nomem(&g);
		goto out;
	}
	if (group_functions(&g))
		goto out;
	for (k = 0; k < g.ngroups; k++)
		if (mp_html_group_layout(&g, &g.groups[k]))
			goto out;
	rank_functions(&g);
	if (mp_html_write_page(&g, "index.html", index_body, NULL))
		goto out;
	for (k = 0; k < g.ngroups; k++)
		if (mp_html_write_file(&g, &g.groups[k]))
			goto out;
	rc = 0;
out:
	for (k = 0; k < g.ngroups; k++) {
		free(g.groups[k].stem);
		free(g.groups[k].funcs);
		free(g.groups[k].spans);
		free(g.groups[k].cuts);
	}
	free(g.groups);
	free(g.group_of);
	free(g.fs);
	free(g.rank_of);
	mp_source_free(&g.src);
	return rc;
}
