/* SPDX-License-Identifier: MIT */
/*
 * html_file.c - the pages of one source file in the HTML report (html.h,
 * docs/html.md): which lines are shown (each function that ran, with
 * MP_HTML_CONTEXT lines around it, longer stretches between folded), how
 * they are cut into pages of about MP_HTML_PAGE_LINES lines, and the
 * annotated rows.  html.c writes the index and drives the report.
 */
#define _GNU_SOURCE
#include "html_int.h"
#include "top.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void mp_html_func_range(const struct mp_func *f, int32_t *lo, int32_t *hi)
{
	/* as the line table: first_line..last_line, widened to any row */
	*lo = f->first_line >= 1 && f->first_line < f->rows[0].line ?
		f->first_line : f->rows[0].line;
	*hi = f->last_line > f->rows[f->nrows - 1].line ?
		f->last_line : f->rows[f->nrows - 1].line;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/*
 * The spans a group shows, merged where they overlap or leave a gap of
 * MP_HTML_FOLD lines or less, and the parts they are cut into: a part
 * ends once it has MP_HTML_PAGE_LINES lines, before the next span or
 * function start.
 */
int mp_html_group_layout(struct gen *g, struct group *gr)
{
	const struct mp_source *s = &g->src.src[gr->src];
	const int32_t ctx = s->text ? MP_HTML_CONTEXT : 0;
	const int32_t nl = s->text ? (int32_t)s->nlines : 0;
	unsigned char *starts;
	struct span *sp;
	size_t i, n = 0, count = 0;
	int32_t lo, hi, max = 0, line;

	sp = malloc(gr->nfuncs * sizeof *sp);
	if (!sp)
		return mp_html_nomem(g);
	gr->spans = sp;
	for (i = 0; i < gr->nfuncs; i++) {
		mp_html_func_range(&g->p->funcs[gr->funcs[i]], &lo, &hi);
		sp[i].lo = lo - ctx < 1 ? 1 : lo - ctx;
		sp[i].hi = (int64_t)hi + ctx <= nl ? hi + ctx : hi < nl ? nl : hi;
		if (hi > max)
			max = hi;
	}
	qsort(sp, gr->nfuncs, sizeof *sp, cmp_span);
	for (i = 0; i < gr->nfuncs; i++) {
		if (n && sp[i].lo <= sp[n - 1].hi + MP_HTML_FOLD + 1) {
			if (sp[i].hi > sp[n - 1].hi)
				sp[n - 1].hi = sp[i].hi;
		} else {
			sp[n++] = sp[i];
		}
	}
	if (s->text && sp[0].lo <= MP_HTML_FOLD + 1)
		sp[0].lo = 1;
	if (nl > sp[n - 1].hi && nl - sp[n - 1].hi <= MP_HTML_FOLD)
		sp[n - 1].hi = nl;
	gr->nspans = n;
	if (sp[n - 1].hi > max)
		max = sp[n - 1].hi;

	/* where a part may start: a span's or a function's first line */
	starts = calloc((size_t)max + 2, 1);
	gr->cuts = malloc(sizeof *gr->cuts);
	if (!starts || !gr->cuts) {
		free(starts);
		return mp_html_nomem(g);
	}
	for (i = 0; i < gr->nfuncs; i++) {
		mp_html_func_range(&g->p->funcs[gr->funcs[i]], &lo, &hi);
		starts[lo] = 1;
	}
	gr->cuts[0] = sp[0].lo;
	gr->nparts = 1;
	for (i = 0; i < n; i++) {
		for (line = sp[i].lo; line <= sp[i].hi; line++, count++) {
			int32_t *nc;

			if (count < MP_HTML_PAGE_LINES ||
			    (line != sp[i].lo && !starts[line]))
				continue;
			nc = realloc(gr->cuts, (gr->nparts + 1) * sizeof *nc);
			if (!nc) {
				free(starts);
				return mp_html_nomem(g);
			}
			gr->cuts = nc;
			gr->cuts[gr->nparts++] = line;
			count = 0;
		}
	}
	free(starts);
	return 0;
}

/* A fold of every row of the file at each line, and who starts where. */
struct lines {
	struct mp_row *at;	/* [line]: count == 0 when none */
	size_t *head;		/* [line]: function starting here + 1, or 0 */
	unsigned char *sig;	/* [line]: a signature line */
	int32_t max;
};

static int fold_lines(struct gen *g, const struct group *gr, struct lines *L)
{
	size_t i, j;
	int32_t lo, hi;

	L->max = gr->spans[gr->nspans - 1].hi;
	L->at = calloc((size_t)L->max + 1, sizeof *L->at);
	L->head = calloc((size_t)L->max + 1, sizeof *L->head);
	L->sig = calloc((size_t)L->max + 1, 1);
	if (!L->at || !L->head || !L->sig)
		return mp_html_nomem(g);
	for (i = 0; i < gr->nfuncs; i++) {
		const struct mp_func *fn = &g->p->funcs[gr->funcs[i]];

		mp_html_func_range(fn, &lo, &hi);
		if (!L->head[lo])
			L->head[lo] = gr->funcs[i] + 1;
		for (j = 0; j < fn->nrows; j++) {
			const struct mp_row *r = &fn->rows[j];
			struct mp_row *a = &L->at[r->line];

			if (mp_top_is_signature(fn, r))
				L->sig[r->line] = 1;
			if (!a->count) {
				*a = *r;
				continue;
			}
			/* two functions on one line (rare): add up */
			a->count += r->count;
			a->incr += r->incr;
			a->peak = r->peak > a->peak ? r->peak : a->peak;
			a->time_ns += r->time_ns;
			a->allocs += r->allocs;
			a->allocated += r->allocated;
			a->rise = r->rise > a->rise ? r->rise : a->rise;
			a->leaked += r->leaked;
		}
	}
	return 0;
}

static void gap_row(FILE *f, int cols, int32_t a, int32_t b)
{
	if (a > b)
		return;
	if (a == b)
		fprintf(f, "<tr class=\"gap\"><td colspan=\"%d\">\xe2\x8b\xaf line %"
			PRId32 " not shown</td></tr>\n", cols, a);
	else
		fprintf(f, "<tr class=\"gap\"><td colspan=\"%d\">\xe2\x8b\xaf lines %"
			PRId32 "\xe2\x80\x93%" PRId32 " not shown</td></tr>\n",
			cols, a, b);
}

static void func_row(struct gen *g, FILE *f, int cols, size_t fi)
{
	const struct mp_func *fn = &g->p->funcs[fi];
	const struct fstat *s = &g->fs[g->rank_of[fi]];

	fprintf(f, "<tr class=\"fn\"><td colspan=\"%d\"><a href=\"index.html#fn-%zu\">",
		cols, fi);
	mp_html_esc(f, fn->name);
	fprintf(f, "</a> \xe2\x80\x94 %" PRIu64 " call%s, net ", s->calls,
		s->calls == 1 ? "" : "s");
	mp_html_mib(f, s->net, g->precision);
	fputs("</td></tr>\n", f);
}

/* What one part's page shows. */
struct part {
	const struct group *gr;
	const struct lines *L;
	size_t part;
	int32_t from, to;	/* its lines */
};

/*
 * The rows of lines from..to: a fold before a span goes with the part
 * that holds the span's start, the fold after the last span with the
 * last part.
 */
static void file_rows(struct gen *g, FILE *f, const struct part *pt)
{
	const struct group *gr = pt->gr;
	const struct mp_source *s = &g->src.src[gr->src];
	const struct lines *L = pt->L;
	int nfig = mp_html_nfigures(g->columns), cols = nfig + 2;
	int32_t line, prev = 0, a, b;
	size_t i;

	for (i = 0; i < gr->nspans; i++) {
		const struct span *sp = &gr->spans[i];

		if (sp->lo >= pt->from && sp->lo <= pt->to)
			gap_row(f, cols, prev + 1, sp->lo - 1);
		prev = sp->hi;
		a = sp->lo > pt->from ? sp->lo : pt->from;
		b = sp->hi < pt->to ? sp->hi : pt->to;
		for (line = a; line <= b; line++) {
			const struct mp_row *r = &L->at[line];

			if (L->head[line])
				func_row(g, f, cols, L->head[line] - 1);
			if (r->count) {
				fprintf(f, "<tr id=\"L%" PRId32 "\"><td class=\"ln\">"
					"<a href=\"#L%" PRId32 "\">%" PRId32 "</a></td>",
					line, line, line);
				mp_html_figure_cells(f, g, r, L->sig[line]);
			} else {
				fprintf(f, "<tr id=\"L%" PRId32 "\" class=\"d\"><td class=\"ln\">"
					"<a href=\"#L%" PRId32 "\">%" PRId32 "</a></td>"
					"<td colspan=\"%d\"></td>", line, line, line, nfig);
			}
			fputs("<td class=\"s\">", f);
			mp_html_source_text(f, s, line, 0);
			fputs("</td></tr>\n", f);
		}
	}
	if (pt->part + 1 == gr->nparts && s->text && (int32_t)s->nlines > prev)
		gap_row(f, cols, prev + 1, (int32_t)s->nlines);
}

/* "lines a-b, page i of n", with the previous and next pages. */
static void part_nav(FILE *f, const struct part *pt)
{
	char name[PATH_MAX_NAME];

	if (pt->gr->nparts < 2)
		return;
	fprintf(f, "<p class=\"meta\">lines %" PRId32 "\xe2\x80\x93%" PRId32
		", page %zu of %zu", pt->from, pt->to, pt->part + 1,
		pt->gr->nparts);
	if (pt->part > 0)
		fprintf(f, " \xc2\xb7 <a href=\"%s\">previous</a>",
			mp_html_part_name(pt->gr, pt->part - 1, name, sizeof name));
	if (pt->part + 1 < pt->gr->nparts)
		fprintf(f, " \xc2\xb7 <a href=\"%s\">next</a>",
			mp_html_part_name(pt->gr, pt->part + 1, name, sizeof name));
	fputs("</p>\n", f);
}

static void file_body(struct gen *g, FILE *f, const void *arg)
{
	const struct part *pt = arg;
	const struct mp_source *s = &g->src.src[pt->gr->src];

	mp_html_page_head(f, s->file);
	fputs("<header>\n<nav class=\"top\"><a href=\"index.html\">\xe2\x86\x90 index</a>"
	      "<a href=\"index.html#top\">Top lines</a>"
	      "<a href=\"index.html#functions\">Functions</a></nav>\n<h1><code>", f);
	mp_html_esc(f, s->file);
	fputs("</code></h1>\n", f);
	if (s->dir[0] && s->file[0] != '/') {
		fputs("<p class=\"meta\">compiled in <code>", f);
		mp_html_esc(f, s->dir);
		fputs("</code></p>\n", f);
	}
	part_nav(f, pt);
	if (!s->text) {
		fputs("<p class=\"note\">mprof: source file '", f);
		mp_html_esc(f, s->file);
		fputs("' not found", f);
		if (s->file[0] != '/' && s->dir[0]) {
			fputs(" (also looked in '", f);
			mp_html_esc(f, s->dir);
			fputs("')", f);
		}
		fputs(": the lines' figures are shown without their text.</p>\n", f);
	}
	fputs("</header>\n<table class=\"src\">\n<thead><tr><th>Line #</th>", f);
	mp_html_figure_heads(f, g->columns);
	fputs("<th class=\"t\">Line Contents</th></tr></thead>\n<tbody>\n", f);
	file_rows(g, f, pt);
	fputs("</tbody></table>\n", f);
	part_nav(f, pt);
	fputs("</body>\n</html>\n", f);
}

/* Every page of one file. */
int mp_html_write_file(struct gen *g, const struct group *gr)
{
	struct lines L = { NULL, NULL, NULL, 0 };
	char name[PATH_MAX_NAME];
	struct part pt;
	int rc = -1;

	if (fold_lines(g, gr, &L))
		goto out;
	pt.gr = gr;
	pt.L = &L;
	for (pt.part = 0; pt.part < gr->nparts; pt.part++) {
		pt.from = gr->cuts[pt.part];
		pt.to = pt.part + 1 < gr->nparts ? gr->cuts[pt.part + 1] - 1 :
						   L.max;
		if (mp_html_write_page(g, mp_html_part_name(gr, pt.part, name, sizeof name),
			       file_body, &pt))
			goto out;
	}
	rc = 0;
out:
	free(L.at);
	free(L.head);
	free(L.sig);
	return rc;
}

