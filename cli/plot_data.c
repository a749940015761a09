/* SPDX-License-Identifier: MIT */
/*
 * plot_data.c - the two passes of `mprof plot` over its .dat files (see
 * plot.h): plot_scan() finds each file's time span, children, functions
 * and calls; plot_bin() fixes the x range and bins every sample into its
 * curve's columns.
 *
 * As in Python's mprof, the entry and exit figures of FUNC records are
 * points of the program's curve too, so a bracket sits on the curve.
 *
 * A file may hold millions of FUNC records (`mprof run --funcs all` of a
 * busy program): pass 1 keeps at most PLOT_MAX_CALLS of them to draw,
 * the longest (when full, the shorter half goes and calls shorter than
 * what remains are no longer kept: they would be narrower than a pixel
 * next to the others), while every record still counts in its function's
 * legend.  A function's time in the legend is the union of its calls, so
 * a recursion's nested calls are not counted twice.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat.h"
#include "plot.h"

static void on_bad(void *ctx, const char *file, unsigned long line,
		   const char *msg)
{
	struct plot_file *f = ctx;

	bad_line_report(&f->bad, file, line, msg);
}

static void seen_time(struct plot_file *f, double t, int starts)
{
	if (starts && t < f->start)
		f->start = t;
	if (t > f->end)
		f->end = t;
}

static void scan_cmdline(void *ctx, const char *cmdline)
{
	struct plot_file *f = ctx;

	if (!f->cmdline && !(f->cmdline = strdup(cmdline)))
		f->oom = 1;
}

static void scan_mem(void *ctx, double mib, double t)
{
	struct plot_file *f = ctx;

	(void)mib;
	f->nmem++;
	seen_time(f, t, 1);
}

static void scan_peak(void *ctx, double mib, double t)
{
	struct plot_file *f = ctx;

	(void)t;
	if (mib > f->peak_rec)
		f->peak_rec = mib;
}

static void scan_chld(void *ctx, long pid, double mib, double t)
{
	struct plot_file *f = ctx;
	size_t n = f->nkids;

	(void)mib;
	seen_time(f, t, 0);
	if (pidmap_get(&f->kidmap, pid) >= 0)
		return;
	if (f->nkids == PLOT_MAX_KIDS) {
		f->kids_hidden++;
		if (pidmap_put(&f->kidmap, pid, PLOT_MAX_KIDS))
			f->oom = 1;
		return;
	}
	f->kids = pidmap_add(&f->kidmap, pid, f->kids, &f->nkids,
			     sizeof *f->kids);
	if (f->nkids == n) {
		f->oom = 1;
		return;
	}
	f->kids[n].pid = pid;
}

static long func_index(struct plot_file *f, const char *name)
{
	struct plot_func *nf;
	size_t i, hint = f->func_hint;

	if (hint < f->nfuncs && strcmp(f->funcs[hint].name, name) == 0)
		return (long)hint;
	for (i = 0; i < f->nfuncs; i++)
		if (strcmp(f->funcs[i].name, name) == 0)
			return (long)(f->func_hint = i);
	nf = realloc_array(f->funcs, f->nfuncs + 1, sizeof *nf);
	if (!nf)
		return -1;
	f->funcs = nf;
	memset(&nf[f->nfuncs], 0, sizeof *nf);
	nf[f->nfuncs].name = strdup(name);
	if (!nf[f->nfuncs].name)
		return -1;
	return (long)(f->func_hint = f->nfuncs++);
}

/*
 * Add [a, b] to fn's time.  Records of one thread come in the order calls
 * end, so an outer call comes after the calls it holds: the spans that
 * start at or after a are inside [a, b] and their time is taken back.
 * Spans are kept in start order; past PLOT_COVER the oldest two merge
 * (with other threads' calls interleaved, the figure may then be a little
 * low).
 */
static int add_cover(struct plot_func *fn, double a, double b)
{
	struct plot_cover *c;
	double add;

	if (!fn->cover) {
		fn->cover = calloc(PLOT_COVER, sizeof *fn->cover);
		if (!fn->cover)
			return -1;
	}
	while (fn->ncover && fn->cover[fn->ncover - 1].a >= a) {
		fn->total -= fn->cover[fn->ncover - 1].covered;
		fn->ncover--;
	}
	c = fn->ncover ? &fn->cover[fn->ncover - 1] : NULL;
	if (c && c->b > a) {		/* overlaps the last span */
		add = b > c->b ? b - c->b : 0;
		c->b = b > c->b ? b : c->b;
		c->covered += add;
		fn->total += add;
		return 0;
	}
	if (fn->ncover == PLOT_COVER) {
		fn->cover[0].b = fn->cover[1].b;
		fn->cover[0].covered += fn->cover[1].covered;
		memmove(&fn->cover[1], &fn->cover[2],
			(PLOT_COVER - 2) * sizeof *fn->cover);
		fn->ncover--;
	}
	c = &fn->cover[fn->ncover++];
	c->a = a;
	c->b = b;
	c->covered = b > a ? b - a : 0;
	fn->total += c->covered;
	return 0;
}

static int by_length(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The kept calls are full: drop the shorter half, raise min_call. */
static void drop_short_calls(struct plot_file *f)
{
	double *len = malloc(f->ncalls * sizeof *len);
	size_t i, k = 0;

	if (!len) {
		f->oom = 1;
		return;
	}
	for (i = 0; i < f->ncalls; i++)
		len[i] = f->calls[i].t1 - f->calls[i].t0;
	qsort(len, f->ncalls, sizeof *len, by_length);
	f->min_call = nextafter(len[f->ncalls / 2], INFINITY);
	free(len);
	for (i = 0; i < f->ncalls; i++)
		if (f->calls[i].t1 - f->calls[i].t0 >= f->min_call)
			f->calls[k++] = f->calls[i];
	f->calls_dropped += f->ncalls - k;
	f->ncalls = k;
}

static void scan_func(void *ctx, const struct mp_dat_func *r)
{
	struct plot_file *f = ctx;
	struct plot_call *c;
	long fi = func_index(f, r->name);

	if (fi < 0) {
		f->oom = 1;
		return;
	}
	seen_time(f, r->t_start, 1);
	seen_time(f, r->t_end, 1);
	f->funcs[fi].calls += r->calls > 1 ? r->calls : 1;
	f->funcs[fi].merged |= r->calls > 1;
	if (add_cover(&f->funcs[fi], r->t_start, r->t_end))
		f->oom = 1;
	if (r->t_end - r->t_start < f->min_call) {
		f->calls_dropped++;
		return;
	}
	if (f->ncalls == PLOT_MAX_CALLS) {
		drop_short_calls(f);
		if (r->t_end - r->t_start < f->min_call) {
			f->calls_dropped++;
			return;
		}
	}
	if (f->ncalls == f->calls_cap) {
		size_t n = f->calls_cap ? f->calls_cap * 2 : 64;

		c = realloc_array(f->calls, n, sizeof *c);
		if (!c) {
			f->oom = 1;
			return;
		}
		f->calls = c;
		f->calls_cap = n;
	}
	c = &f->calls[f->ncalls++];
	c->func = (size_t)fi;
	c->t0 = r->t_start;
	c->t1 = r->t_end;
	c->m0 = r->mem_start;
	c->m1 = r->mem_end;
	c->level = r->level < 0 ? 0 : r->level;
	if (c->level > f->max_level)
		f->max_level = c->level;
}

/* The last level dotted components of s ("a.b.c", 2 -> "b.c"). */
static const char *dotted_suffix(const char *s, int level)
{
	const char *p = s + strlen(s);

	for (; p > s; p--)
		if (p[-1] == '.' && --level == 0)
			return p;
	return s;
}

/*
 * Python mprof's function_labels(): each name is shown by its last dotted
 * component, or by as many trailing components as it takes to tell it
 * from the others.  Quadratic: past MAX_LABELLED functions the full names
 * are shown.
 */
#define MAX_LABELLED 2000

static void make_labels(struct plot_file *f)
{
	size_t i, j, n = f->nfuncs;
	int *lv = calloc(n ? n : 1, sizeof *lv);
	char *amb = calloc(n ? n : 1, 1);
	int round, changed;

	for (i = 0; i < n; i++) {
		f->funcs[i].label = f->funcs[i].name;
		if (lv)
			lv[i] = 1;
	}
	if (!lv || !amb || n > MAX_LABELLED)
		goto out;
	for (round = 0; round < 64; round++) {
		for (i = 0; i < n; i++)
			f->funcs[i].label = dotted_suffix(f->funcs[i].name,
							  lv[i]);
		memset(amb, 0, n);
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (!strcmp(f->funcs[i].label,
					    f->funcs[j].label))
					amb[i] = amb[j] = 1;
		changed = 0;
		for (i = 0; i < n; i++) {
			if (amb[i] && f->funcs[i].label != f->funcs[i].name) {
				lv[i]++;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
out:
	free(lv);
	free(amb);
}

int plot_scan(struct plot_file *f, const char *path)
{
	const struct mp_dat_ops ops = { scan_cmdline, scan_mem, scan_chld,
					scan_func, on_bad, scan_peak };
	char err[512];
	size_t i;

	memset(f, 0, sizeof *f);
	f->path = path;
	f->start = INFINITY;
	f->end = -INFINITY;
	if (mp_dat_read(path, &ops, f, NULL, err, sizeof err))
		return error("%s", err);
	bad_line_summary(&f->bad);
	if (f->oom)
		return error("out of memory reading '%s'", path);
	if (f->nmem == 0)
		return error("no memory samples (MEM lines) in '%s'", path);
	for (i = 0; i < f->ncalls; i++) {
		f->calls[i].t0 -= f->start;
		f->calls[i].t1 -= f->start;
	}
	make_labels(f);
	return 0;
}

static void bin(const struct plot *p, struct plot_curve *c, double x,
		double m)
{
	struct plot_col *col;
	double dx;
	size_t i;

	if (x < p->x0) {
		if (!c->has_before || x > c->before_t) {
			c->has_before = 1;
			c->before_t = x;
			c->before_m = m;
		}
		return;
	}
	if (x > p->x1) {
		if (!c->has_after || x < c->after_t) {
			c->has_after = 1;
			c->after_t = x;
			c->after_m = m;
		}
		return;
	}
	dx = (x - p->x0) / (p->x1 - p->x0) * PLOT_COLS;
	i = dx >= PLOT_COLS ? PLOT_COLS - 1 : (size_t)dx;
	col = &c->cols[i];
	if (col->n++ == 0) {
		col->t0 = col->t1 = x;
		col->m0 = col->m1 = col->lo = col->hi = m;
	} else {
		if (x < col->t0) {
			col->t0 = x;
			col->m0 = m;
		}
		if (x >= col->t1) {
			col->t1 = x;
			col->m1 = m;
		}
		if (m < col->lo)
			col->lo = m;
		if (m > col->hi)
			col->hi = m;
	}
	c->n++;
	if (c->n == 1 || m > c->peak) {
		c->peak = m;
		c->peak_t = x;
	}
	if (c->n == 1 || m < c->lo)
		c->lo = m;
	if (c->n == 1 || m > c->hi)
		c->hi = m;
	dx = x - c->mean_t;
	c->mean_t += dx / (double)c->n;
	c->mean_m += (m - c->mean_m) / (double)c->n;
	c->c_tm += dx * (m - c->mean_m);
	c->c_tt += dx * (x - c->mean_t);
}

int plot_trend(const struct plot_curve *c, double *slope, double *icpt)
{
	if (c->n < 2 || !(c->c_tt > 0))
		return 0;
	*slope = c->c_tm / c->c_tt;
	*icpt = c->mean_m - *slope * c->mean_t;
	return 1;
}

struct pass2 {
	const struct plot *p;
	struct plot_file *f;
};

static void bin_mem(void *ctx, double mib, double t)
{
	struct pass2 *b = ctx;

	bin(b->p, &b->f->main, t - b->f->start, mib);
}

static void bin_chld(void *ctx, long pid, double mib, double t)
{
	struct pass2 *b = ctx;
	long i = pidmap_get(&b->f->kidmap, pid);

	if (i >= 0 && (size_t)i < b->f->nkids)
		bin(b->p, &b->f->kids[i], t - b->f->start, mib);
}

static void bin_func(void *ctx, const struct mp_dat_func *r)
{
	struct pass2 *b = ctx;

	bin(b->p, &b->f->main, r->t_start - b->f->start, r->mem_start);
	bin(b->p, &b->f->main, r->t_end - b->f->start, r->mem_end);
}

static int alloc_cols(struct plot_curve *c)
{
	c->cols = calloc(PLOT_COLS, sizeof *c->cols);
	return c->cols ? 0 : -1;
}

int plot_bin(struct plot *p)
{
	const struct mp_dat_ops ops = { NULL, bin_mem, bin_chld, bin_func,
					NULL, NULL };
	size_t i, k;

	if (!p->window) {
		double span = 0;

		for (i = 0; i < p->nfiles; i++)
			if (p->files[i].end - p->files[i].start > span)
				span = p->files[i].end - p->files[i].start;
		if (!(span > 0))
			span = 1;
		p->x0 = 0;
		p->x1 = span;
	}
	for (i = 0; i < p->nfiles; i++) {
		struct plot_file *f = &p->files[i];
		struct pass2 b = { p, f };
		char err[512];

		if (alloc_cols(&f->main))
			return error("out of memory plotting '%s'", f->path);
		for (k = 0; k < f->nkids; k++)
			if (alloc_cols(&f->kids[k]))
				return error("out of memory plotting '%s'",
					     f->path);
		if (mp_dat_read(f->path, &ops, &b, NULL, err, sizeof err))
			return error("%s", err);
	}
	return 0;
}

void plot_file_free(struct plot_file *f)
{
	size_t i;

	free(f->cmdline);
	free(f->main.cols);
	for (i = 0; i < f->nkids; i++)
		free(f->kids[i].cols);
	free(f->kids);
	pidmap_free(&f->kidmap);
	for (i = 0; i < f->nfuncs; i++) {
		free(f->funcs[i].name);
		free(f->funcs[i].cover);
	}
	free(f->funcs);
	free(f->calls);
	memset(f, 0, sizeof *f);
}
