/* SPDX-License-Identifier: MIT */
/*
 * plot_draw.c - draws a binned plot (plot.h) with cairo, to PNG, SVG or
 * PDF: memory (MiB) over time (s) with nice tick steps (1, 2, 2.5, 5 times
 * a power of ten), one curve per file and per child, the peak marked,
 * function calls as brackets on the curve (or, with -f, as a flame band of
 * one row per stack level under the plot), trend lines with -s, and a
 * legend to the right of the plot area.
 *
 * Layout in device units: a fixed canvas WIDTH x HEIGHT (plus the flame
 * band); the legend's width and the y labels' width decide the plot area
 * (the margins are named below).  Everything inside the plot area is
 * clipped to it.
 */
#define _GNU_SOURCE
#include <cairo.h>
#include <errno.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plot.h"

#define WIDTH 1200
#define HEIGHT 600
#define FONT "DejaVu Sans"

/*
 * draw()'s layout, in device units (a PNG's pixels).  Left to right: a
 * band for the y axis title (its centre YTITLE_X from the edge), the y
 * tick labels (right-aligned YLABEL_GAP left of the plot area), the plot
 * area, the legend LEGEND_GAP to its right, then the right margin.  Top to
 * bottom: the title (its centre TITLE_Y from the top), the plot area, the
 * flame band FLAME_GAP under it (-f), the x tick labels XLABEL_GAP under
 * whichever is lower, and the x axis title (its centre XTITLE_Y above the
 * bottom).  The plot area takes what the rest leaves.
 */
#define PAD_LEFT 34		/* left edge to the widest y tick label */
#define YLABEL_ROOM 12		/* widest y tick label to the plot area */
#define YLABEL_GAP 8		/* y tick labels' right ends to the area */
#define YTITLE_X 18		/* left edge to the y axis title's centre */
#define PAD_TOP 52		/* top edge to the plot area: the title */
#define TITLE_Y 26		/* top edge to the title's centre */
#define TITLE_MARGIN 20		/* least room each side of the title */
#define PAD_BOTTOM 60		/* plot area to the bottom (the flame band
				   makes the canvas taller) */
#define XLABEL_GAP 7		/* plot area or band to the x tick labels */
#define XTITLE_Y 24		/* bottom to the x axis title's centre */
#define LEGEND_GAP 18		/* plot area to the legend */
#define PAD_RIGHT_LEGEND 20	/* legend to the right edge */
#define PAD_RIGHT 30		/* plot area to the right edge, no legend */
#define FLAME_GAP 10		/* plot area to the flame band */
#define FLAME_LABEL_GAP 6	/* stack level numbers to the band */
#define X_PAD 0.01		/* x range widened by this much of its span
				   each side, unless -w gave it */
#define Y_TICKS 7		/* about this many ticks on the y axis */
#define X_TICKS 10		/* and on the x axis */
#define TICK_FONT 12		/* font sizes: tick labels */
#define AXIS_FONT 13		/* axis titles */
#define TITLE_FONT 15		/* the title (bold) */
#define FLAME_LABEL_FONT 10	/* the band's level numbers */
#define MAIN_LINE_W 1.8		/* line widths: a file's program */
#define KID_LINE_W 1.4		/* its children */
#define LEGEND_ROW 19		/* a legend row's height */
#define LEGEND_MAX_W 360	/* the legend's widest; longer lines are cut */
#define FLAME_ROW 22		/* a flame band row's height */
#define FLAME_MAX_ROWS 24	/* deeper calls share the last row */
/* A curve whose samples are this many pixels apart or more gets a
 * marker on each (Python's "+-" style); denser ones would blur. */
#define MARKER_SPACING 12

enum format { FMT_PNG, FMT_SVG, FMT_PDF, FMT_NONE };

struct rgb {
	double r, g, b;
};

/* Curves: the program first, then children and further files. */
static const struct rgb curve_rgb[] = {
	{ 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 },
	{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 },
	{ 0.50, 0.50, 0.50 }, { 0.74, 0.74, 0.13 }, { 0.09, 0.75, 0.81 },
};
/* Function brackets. */
static const struct rgb func_rgb[] = {
	{ 0.90, 0.33, 0.05 }, { 0.19, 0.64, 0.33 }, { 0.46, 0.42, 0.69 },
	{ 0.19, 0.51, 0.74 }, { 0.74, 0.62, 0.22 }, { 0.84, 0.38, 0.42 },
	{ 0.09, 0.75, 0.81 },
};
static const struct rgb peak_rgb = { 0.84, 0.15, 0.16 };
static const struct rgb text_rgb = { 0.15, 0.15, 0.15 };
static const struct rgb grid_rgb = { 0.90, 0.90, 0.90 };
static const struct rgb axis_rgb = { 0.35, 0.35, 0.35 };

#define NCURVE_RGB (sizeof curve_rgb / sizeof curve_rgb[0])
#define NFUNC_RGB (sizeof func_rgb / sizeof func_rgb[0])

enum swatch { SW_LINE, SW_DASH, SW_BRACKET, SW_NOTE };

struct entry {
	char text[200];
	struct rgb color;
	enum swatch kind;
};

struct legend {
	struct entry *e;
	size_t n, cap;
	int oom;
};

/* The plot area in device units, and the data range it shows. */
struct frame {
	double left, top, w, h;
	double x0, x1, y0, y1;
};

struct ticks {
	double step;
	double first;		/* first multiple of step in range */
	int n;
	int decimals;
};

static void set_rgb(cairo_t *cr, struct rgb c)
{
	cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void set_rgba(cairo_t *cr, struct rgb c, double a)
{
	cairo_set_source_rgba(cr, c.r, c.g, c.b, a);
}

static double X(const struct frame *f, double x)
{
	return f->left + (x - f->x0) / (f->x1 - f->x0) * f->w;
}

static double Y(const struct frame *f, double y)
{
	return f->top + f->h - (y - f->y0) / (f->y1 - f->y0) * f->h;
}

static enum format format_of(const char *out)
{
	const char *dot = strrchr(out, '.');

	if (!dot)
		return FMT_NONE;
	if (!strcasecmp(dot, ".png"))
		return FMT_PNG;
	if (!strcasecmp(dot, ".svg"))
		return FMT_SVG;
	if (!strcasecmp(dot, ".pdf"))
		return FMT_PDF;
	return FMT_NONE;
}

int plot_format_known(const char *out)
{
	return format_of(out) != FMT_NONE;
}

static void font(cairo_t *cr, double size, int bold)
{
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD :
				      CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/*
 * Replace each byte that is not part of a well-formed UTF-8 sequence with
 * '?': cairo refuses invalid text and then draws nothing more, and titles
 * and function names come from files.
 */
static void utf8_clean(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		unsigned c = *s;
		int n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 :
			c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 :
			-1;
		unsigned lo = 0x80, hi = 0xbf;
		int i;

		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (i = 1; n > 0 && i <= n; i++) {
			if (s[i] < (i == 1 ? lo : 0x80) ||
			    s[i] > (i == 1 ? hi : 0xbf)) {
				n = -1;
				break;
			}
		}
		if (n < 0) {
			*s++ = '?';
			continue;
		}
		s += n + 1;
	}
}

/* Shorten s in place, with "...", until it fits in w. */
static void fit_text(cairo_t *cr, char *s, double w)
{
	size_t n = strlen(s);

	if (text_w(cr, s) <= w)
		return;
	while (n > 0) {
		/* back off to a UTF-8 character boundary */
		do
			n--;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80);
		strcpy(s + n, "...");
		if (text_w(cr, s) <= w)
			return;
	}
}

/* Draw s with its anchor: ax, ay in 0 (left/top) .. 1 (right/bottom). */
static void text_at(cairo_t *cr, double x, double y, const char *s,
		    double ax, double ay)
{
	cairo_text_extents_t e;
	cairo_font_extents_t fe;

	cairo_text_extents(cr, s, &e);
	cairo_font_extents(cr, &fe);
	cairo_move_to(cr, x - e.x_advance * ax,
		      y + fe.ascent - (fe.ascent + fe.descent) * ay);
	cairo_show_text(cr, s);
}

/* A step of 1, 2, 2.5 or 5 times a power of ten giving about n ticks. */
static void make_ticks(double lo, double hi, int n, struct ticks *t)
{
	double raw = (hi - lo) / n, mag, f;

	if (!(raw > 0))
		raw = 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	t->step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) *
		  mag;
	t->first = ceil(lo / t->step - 1e-9) * t->step;
	t->n = (int)floor((hi - t->first) / t->step + 1e-9) + 1;
	if (t->n < 0)
		t->n = 0;
	t->decimals = t->step >= 1 ? 0 : (int)ceil(-log10(t->step) - 1e-9);
	if (fabs(t->step / pow(10, -t->decimals) - round(t->step /
	    pow(10, -t->decimals))) > 1e-6)
		t->decimals++;
	if (t->decimals > 9)
		t->decimals = 9;
}

static void tick_label(char *buf, size_t n, double v, int decimals)
{
	if (fabs(v) < 1e-12)
		v = 0;
	snprintf(buf, n, "%.*f", decimals, v);
}

static struct entry *add_entry(struct legend *l, enum swatch kind,
			       struct rgb color, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct entry *add_entry(struct legend *l, enum swatch kind,
			       struct rgb color, const char *fmt, ...)
{
	struct entry *e;
	va_list ap;

	if (l->n == l->cap) {
		size_t n = l->cap ? l->cap * 2 : 16;

		e = realloc_array(l->e, n, sizeof *e);
		if (!e) {
			l->oom = 1;
			return NULL;
		}
		l->e = e;
		l->cap = n;
	}
	e = &l->e[l->n++];
	e->kind = kind;
	e->color = color;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
	utf8_clean(e->text);
	return e;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The i-th curve in drawing order.  Overlays cycle through the palette;
 * in a single file the program keeps the first color to itself and its
 * children cycle through the others.
 */
static struct rgb curve_color(const struct plot *p, size_t i)
{
	if (p->nfiles == 1 && i > 0)
		return curve_rgb[1 + (i - 1) % (NCURVE_RGB - 1)];
	return curve_rgb[i % NCURVE_RGB];
}

/* Longest label of an overlaid run, in bytes. */
#define RUN_LABEL 48

/*
 * The label of file i of an overlay: its command line (the CMDLINE
 * record), blanks made single spaces, the program by its base name, cut
 * in the middle when long; the file's name when it has none.
 */
static void run_label(const struct plot_file *f, char *out, size_t n)
{
	char buf[1024], *o = buf;
	const char *c = f->cmdline, *prog_end, *slash;
	size_t len;

	if (!c || !*c) {
		snprintf(out, n, "%s", base_name(f->path));
		return;
	}
	prog_end = c + strcspn(c, " ");
	for (slash = prog_end; slash > c && slash[-1] != '/'; slash--)
		;
	for (c = slash; *c && o < buf + sizeof buf - 1; c++) {
		int blank = *c == ' ' || *c == '\t' || *c == '\n' || *c == '\r';

		if (!blank || (o > buf && o[-1] != ' '))
			*o++ = blank ? ' ' : *c;
	}
	*o = '\0';
	len = strlen(buf);
	if (len > RUN_LABEL && n > RUN_LABEL)
		snprintf(out, n, "%.*s...%s", RUN_LABEL / 2 - 2, buf,
			 buf + len - (RUN_LABEL / 2 - 1));
	else
		snprintf(out, n, "%s", buf);
}

/*
 * The labels of an overlay's files: run_label(), and where two are the
 * same, each followed by its file's name.  malloc'd, NULL if no memory.
 */
static char (*run_labels(const struct plot *p))[160]
{
	char (*lab)[160] = calloc(p->nfiles ? p->nfiles : 1, sizeof *lab);
	size_t i, j;
	char *dup;

	if (!lab)
		return NULL;
	dup = calloc(p->nfiles ? p->nfiles : 1, 1);
	for (i = 0; i < p->nfiles; i++)
		run_label(&p->files[i], lab[i], RUN_LABEL + 8);
	for (i = 0; dup && i < p->nfiles; i++)
		for (j = i + 1; j < p->nfiles; j++)
			if (!strcmp(lab[i], lab[j]))
				dup[i] = dup[j] = 1;
	for (i = 0; dup && i < p->nfiles; i++)
		if (dup[i]) {
			size_t k = strlen(lab[i]);

			snprintf(lab[i] + k, sizeof lab[i] - k, " [%s]",
				 base_name(p->files[i].path));
		}
	free(dup);
	return lab;
}

/*
 * The title: -t; the command line of a single file; for an overlay,
 * "memory of N runs", after the program's name when all ran the same one.
 */
static void make_title(const struct plot *p, char *title, size_t n)
{
	const char *prog = NULL;
	size_t i, len = 0;

	title[0] = '\0';
	if (p->title) {
		snprintf(title, n, "%s", p->title);
	} else if (p->nfiles == 1 && p->files[0].cmdline) {
		snprintf(title, n, "%s", p->files[0].cmdline);
	} else if (p->nfiles > 1) {
		for (i = 0; i < p->nfiles; i++) {
			const char *c = p->files[i].cmdline;
			size_t l = c ? strcspn(c, " ") : 0;

			if (!c || !l || (prog && (l != len ||
						  strncmp(c, prog, l)))) {
				prog = NULL;
				break;
			}
			prog = c;
			len = l;
		}
		if (prog) {
			const char *b = prog + len;

			while (b > prog && b[-1] != '/')
				b--;
			snprintf(title, n, "%.*s: memory of %zu runs",
				 (int)(prog + len - b), b, p->nfiles);
		} else {
			snprintf(title, n, "memory of %zu runs", p->nfiles);
		}
	}
	for (char *c = title; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	utf8_clean(title);
}

/* The legend, and the color of every curve in drawing order. */
static void build_legend(const struct plot *p, struct legend *l)
{
	char (*lab)[160] = p->nfiles > 1 ? run_labels(p) : NULL;
	size_t i, k, ci = 0;
	double slope, icpt;

	for (i = 0; i < p->nfiles; i++) {
		const struct plot_file *f = &p->files[i];
		struct rgb c = curve_color(p, ci++);

		if (p->nfiles == 1) {
			time_t t0 = (time_t)f->start;
			struct tm tm;
			char when[64];

			localtime_r(&t0, &tm);
			strftime(when, sizeof when, "%d/%m/%Y %H:%M:%S", &tm);
			add_entry(l, SW_LINE, c, "memory, started %s", when);
			/* a run shorter than the interval: see cmd_run.c */
			if (f->peak_rec > f->main.peak + 0.05)
				add_entry(l, SW_NOTE, peak_rgb,
					  "peak %.1f MiB between samples",
					  f->peak_rec);
		} else if (f->main.n) {
			add_entry(l, SW_LINE, c, "%s (peak %.1f MiB)",
				  lab ? lab[i] : base_name(f->path),
				  fmax(f->main.peak, f->peak_rec));
		} else {
			add_entry(l, SW_LINE, c, "%s",
				  lab ? lab[i] : base_name(f->path));
		}
		if (p->slope && plot_trend(&f->main, &slope, &icpt))
			add_entry(l, SW_DASH, c, "trend %+.3f MiB/s", slope);
		for (k = 0; k < f->nkids; k++) {
			struct rgb kc = curve_color(p, ci++);

			add_entry(l, SW_LINE, kc, "child %ld (peak %.1f MiB)",
				  f->kids[k].pid, f->kids[k].peak);
			if (p->slope && plot_trend(&f->kids[k], &slope, &icpt))
				add_entry(l, SW_DASH, kc, "trend %+.3f MiB/s",
					  slope);
		}
		if (f->kids_hidden)
			add_entry(l, SW_NOTE, text_rgb,
				  "%zu more children not drawn",
				  f->kids_hidden);
	}
	if (p->show_funcs && !p->flame && p->nfiles == 1) {
		const struct plot_file *f = &p->files[0];

		for (k = 0; k < f->nfuncs; k++) {
			const struct plot_func *fn = &f->funcs[k];

			if (fn->merged)
				add_entry(l, SW_BRACKET, func_rgb[k % NFUNC_RGB],
					  "%s %lu calls within %.3f s",
					  fn->label, fn->calls, fn->total);
			else if (fn->calls == 1)
				add_entry(l, SW_BRACKET, func_rgb[k % NFUNC_RGB],
					  "%s %.3f s", fn->label, fn->total);
			else
				add_entry(l, SW_BRACKET, func_rgb[k % NFUNC_RGB],
					  "%s %.3f s in %lu calls", fn->label,
					  fn->total, fn->calls);
		}
	}
	free(lab);
}

static void y_range(const struct plot *p, double *lo, double *hi)
{
	size_t i, k;
	int any = 0;

	*lo = 0;
	*hi = 1;
	for (i = 0; i < p->nfiles; i++) {
		const struct plot_file *f = &p->files[i];

		for (k = 0; k <= f->nkids; k++) {
			const struct plot_curve *c = k == f->nkids ? &f->main :
								     &f->kids[k];

			if (!c->n)
				continue;
			if (!any || c->lo < *lo)
				*lo = c->lo;
			if (!any || c->hi > *hi)
				*hi = c->hi;
			any = 1;
		}
	}
	if (*hi - *lo < 1e-9) {
		double pad = fabs(*hi) * 0.05 + 0.5;

		*lo -= pad;
		*hi += pad;
	} else {
		double span = *hi - *lo;

		*hi += span * 0.08;
		*lo = *lo - span * 0.05;
	}
	if (*lo < 0 && !any)
		*lo = 0;
	if (any && *lo < 0) {
		int neg = 0;

		for (i = 0; i < p->nfiles; i++)
			neg |= p->files[i].main.n && p->files[i].main.lo < 0;
		if (!neg)
			*lo = 0;
	}
}

/*
 * One curve: per column the first sample, the extremes, the last, which
 * draws exactly what the samples would; plus the nearest samples outside
 * the window so the line runs off the edges.
 */
static void draw_curve(cairo_t *cr, const struct frame *fr,
		       const struct plot_curve *c, struct rgb color,
		       double width)
{
	int started = 0;
	size_t i;

	if (!c->cols || (!c->n && !(c->has_before && c->has_after)))
		return;
	cairo_save(cr);
	cairo_set_line_width(cr, width);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	set_rgb(cr, color);
	if (c->has_before) {
		cairo_move_to(cr, X(fr, c->before_t), Y(fr, c->before_m));
		started = 1;
	}
	for (i = 0; i < PLOT_COLS; i++) {
		const struct plot_col *col = &c->cols[i];
		double xa, xb, xm;

		if (!col->n)
			continue;
		xa = X(fr, col->t0);
		xb = X(fr, col->t1);
		xm = (xa + xb) / 2;
		if (!started)
			cairo_move_to(cr, xa, Y(fr, col->m0));
		else
			cairo_line_to(cr, xa, Y(fr, col->m0));
		started = 1;
		if (col->n > 1) {
			cairo_line_to(cr, xm, Y(fr, col->lo));
			cairo_line_to(cr, xm, Y(fr, col->hi));
			cairo_line_to(cr, xb, Y(fr, col->m1));
		}
	}
	if (c->has_after && started)
		cairo_line_to(cr, X(fr, c->after_t), Y(fr, c->after_m));
	cairo_stroke(cr);
	if ((double)c->n * MARKER_SPACING <= fr->w) {
		cairo_set_line_width(cr, 1.2);
		for (i = 0; i < PLOT_COLS; i++) {
			const struct plot_col *col = &c->cols[i];
			double pts[2][2] = { { col->t0, col->m0 },
					     { col->t1, col->m1 } };
			int j;

			for (j = 0; j < (col->n > 1 ? 2 : col->n ? 1 : 0); j++) {
				double x = X(fr, pts[j][0]), y = Y(fr, pts[j][1]);

				cairo_move_to(cr, x - 3.5, y);
				cairo_line_to(cr, x + 3.5, y);
				cairo_move_to(cr, x, y - 3.5);
				cairo_line_to(cr, x, y + 3.5);
			}
		}
		cairo_stroke(cr);
	}
	cairo_restore(cr);
}

static void draw_trend(cairo_t *cr, const struct frame *fr,
		       const struct plot_curve *c, struct rgb color)
{
	double slope, icpt;

	if (!plot_trend(c, &slope, &icpt))
		return;
	cairo_save(cr);
	set_rgba(cr, color, 0.9);
	cairo_set_line_width(cr, 1.2);
	cairo_set_dash(cr, (const double[]){ 6, 4 }, 2, 0);
	cairo_move_to(cr, X(fr, fr->x0), Y(fr, icpt + slope * fr->x0));
	cairo_line_to(cr, X(fr, fr->x1), Y(fr, icpt + slope * fr->x1));
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* '[' at a call's entry and ']' at its exit, on the curve. */
static void draw_brackets(cairo_t *cr, const struct frame *fr,
			  const struct plot_file *f)
{
	const double w = 7, h = 11;
	size_t i;

	cairo_save(cr);
	cairo_set_line_width(cr, 2);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
	for (i = 0; i < f->ncalls; i++) {
		const struct plot_call *c = &f->calls[i];
		double xa = X(fr, c->t0), ya = Y(fr, c->m0);
		double xb = X(fr, c->t1), yb = Y(fr, c->m1);

		set_rgb(cr, func_rgb[c->func % NFUNC_RGB]);
		if (c->t0 >= fr->x0 && c->t0 <= fr->x1) {
			cairo_move_to(cr, xa + w, ya - h);
			cairo_line_to(cr, xa, ya - h);
			cairo_line_to(cr, xa, ya + h);
			cairo_line_to(cr, xa + w, ya + h);
		}
		if (c->t1 >= fr->x0 && c->t1 <= fr->x1) {
			cairo_move_to(cr, xb - w, yb - h);
			cairo_line_to(cr, xb, yb - h);
			cairo_line_to(cr, xb, yb + h);
			cairo_line_to(cr, xb - w, yb + h);
		}
		cairo_stroke(cr);
	}
	cairo_restore(cr);
}

/* Seconds with as many decimals as a plot of that length needs. */
static void fmt_seconds(char *buf, size_t n, double t)
{
	snprintf(buf, n, "%.*f s", t < 10 ? 2 : t < 1000 ? 1 : 0, t);
}

/*
 * A dot on a curve's peak; with guides, dashed lines through it across
 * the plot and its value beside it (Python's mprof draws the guides).
 */
static void draw_peak(cairo_t *cr, const struct frame *fr,
		      const struct plot_curve *c, struct rgb color,
		      int guides)
{
	char s[96], when[32];
	double x, y;

	if (!c->n)
		return;
	x = X(fr, c->peak_t);
	y = Y(fr, c->peak);
	cairo_save(cr);
	if (guides) {
		set_rgba(cr, peak_rgb, 0.55);
		cairo_set_line_width(cr, 1);
		cairo_set_dash(cr, (const double[]){ 5, 4 }, 2, 0);
		cairo_move_to(cr, fr->left, round(y) + 0.5);
		cairo_line_to(cr, fr->left + fr->w, round(y) + 0.5);
		cairo_move_to(cr, round(x) + 0.5, fr->top);
		cairo_line_to(cr, round(x) + 0.5, fr->top + fr->h);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
	}
	set_rgb(cr, guides ? peak_rgb : color);
	cairo_arc(cr, x, y, 4, 0, 2 * M_PI);
	cairo_fill(cr);
	if (guides) {
		int right = x < fr->left + fr->w * 0.7;

		fmt_seconds(when, sizeof when, c->peak_t);
		if (c->pid)
			snprintf(s, sizeof s, "peak %.1f MiB at %s (child %ld)",
				 c->peak, when, c->pid);
		else
			snprintf(s, sizeof s, "peak %.1f MiB at %s", c->peak,
				 when);
		font(cr, 12, 1);
		set_rgb(cr, peak_rgb);
		text_at(cr, right ? x + 8 : x - 8, y - 6, s, right ? 0 : 1, 1);
	}
	cairo_restore(cr);
}

/*
 * The guides go through the highest peak of the plot, the program's or a
 * child's (Python's mprof draws both; one set keeps the plot readable);
 * the program's peak always gets its dot.  Overlays get dots only.
 */
static void draw_peaks(cairo_t *cr, const struct frame *fr,
		       const struct plot *p)
{
	const struct plot_file *f = &p->files[0];
	const struct plot_curve *top = &f->main;
	size_t i, k, ci = 0;

	if (p->nfiles > 1) {
		for (i = 0; i < p->nfiles; i++) {
			draw_peak(cr, fr, &p->files[i].main, curve_color(p, ci),
				  0);
			ci += 1 + p->files[i].nkids;
		}
		return;
	}
	for (k = 0; k < f->nkids; k++)
		if (f->kids[k].n && (!top->n || f->kids[k].peak > top->peak))
			top = &f->kids[k];
	if (top != &f->main)
		draw_peak(cr, fr, &f->main, curve_color(p, 0), 0);
	draw_peak(cr, fr, top, peak_rgb, 1);
}

static void draw_swatch(cairo_t *cr, const struct entry *e, double x,
			double y)
{
	cairo_save(cr);
	set_rgb(cr, e->color);
	switch (e->kind) {
	case SW_LINE:
	case SW_DASH:
		cairo_set_line_width(cr, e->kind == SW_LINE ? 2 : 1.5);
		if (e->kind == SW_DASH)
			cairo_set_dash(cr, (const double[]){ 5, 3 }, 2, 0);
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x + 24, y);
		cairo_stroke(cr);
		break;
	case SW_BRACKET:
		cairo_set_line_width(cr, 2);
		cairo_move_to(cr, x + 8, y - 6);
		cairo_line_to(cr, x + 3, y - 6);
		cairo_line_to(cr, x + 3, y + 6);
		cairo_line_to(cr, x + 8, y + 6);
		cairo_move_to(cr, x + 16, y - 6);
		cairo_line_to(cr, x + 21, y - 6);
		cairo_line_to(cr, x + 21, y + 6);
		cairo_line_to(cr, x + 16, y + 6);
		cairo_stroke(cr);
		break;
	case SW_NOTE:
		break;
	}
	cairo_restore(cr);
}

static void draw_legend(cairo_t *cr, struct legend *l, double x, double y,
			double w, double maxh)
{
	size_t i, rows = l->n, fit = (size_t)((maxh - 12) / LEGEND_ROW);
	char more[64];

	if (!l->n)
		return;
	if (rows > fit)
		rows = fit > 1 ? fit - 1 : 0;
	cairo_save(cr);
	cairo_rectangle(cr, x + 0.5, y + 0.5, w,
			(double)(rows + (rows < l->n)) * LEGEND_ROW + 10);
	cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, 0.80, 0.80, 0.80);
	cairo_set_line_width(cr, 1);
	cairo_stroke(cr);
	font(cr, 12, 0);
	for (i = 0; i < rows; i++) {
		double ry = y + 5 + LEGEND_ROW * (double)i + LEGEND_ROW / 2.0;

		draw_swatch(cr, &l->e[i], x + 8, ry);
		set_rgb(cr, text_rgb);
		fit_text(cr, l->e[i].text, w - 54);
		text_at(cr, x + (l->e[i].kind == SW_NOTE ? 8 : 40), ry,
			l->e[i].text, 0, 0.5);
	}
	if (rows < l->n) {
		double ry = y + 5 + LEGEND_ROW * (double)rows + LEGEND_ROW / 2.0;

		snprintf(more, sizeof more, "... %zu more", l->n - rows);
		set_rgb(cr, text_rgb);
		text_at(cr, x + 8, ry, more, 0, 0.5);
	}
	cairo_restore(cr);
}

static double legend_width(cairo_t *cr, const struct legend *l)
{
	double w = 0;
	size_t i;

	font(cr, 12, 0);
	for (i = 0; i < l->n; i++) {
		double tw = text_w(cr, l->e[i].text) + 58;

		if (tw > w)
			w = tw;
	}
	return w > LEGEND_MAX_W ? LEGEND_MAX_W : w;
}

static struct rgb hsv(double h, double s, double v)
{
	double i = floor(h * 6), f = h * 6 - i;
	double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);

	switch ((int)i % 6) {
	case 0: return (struct rgb){ v, t, p };
	case 1: return (struct rgb){ q, v, p };
	case 2: return (struct rgb){ p, v, t };
	case 3: return (struct rgb){ p, q, v };
	case 4: return (struct rgb){ t, p, v };
	default: return (struct rgb){ v, p, q };
	}
}

/*
 * Python mprof's flame colors, softened: red and orange alternating
 * between neighbouring calls, paler the deeper the level.
 */
static struct rgb flame_color(int level, int rows, int alt)
{
	return hsv(alt ? 0.09 : 0.02, 0.75 - 0.5 * level / (rows > 1 ? rows : 1),
		   1);
}

static void draw_flame(cairo_t *cr, const struct frame *fr, double top,
		       int rows, const struct plot_file *f)
{
	size_t i;
	unsigned *alt = calloc((size_t)rows, sizeof *alt);
	char s[256];

	cairo_save(cr);
	cairo_rectangle(cr, fr->left, top, fr->w, rows * FLAME_ROW);
	cairo_set_source_rgb(cr, 0.98, 0.98, 0.98);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, axis_rgb.r, axis_rgb.g, axis_rgb.b);
	cairo_set_line_width(cr, 1);
	cairo_stroke(cr);
	if (!f->ncalls) {
		font(cr, 12, 0);
		set_rgb(cr, text_rgb);
		text_at(cr, fr->left + fr->w / 2, top + rows * FLAME_ROW / 2.0,
			"no function records (FUNC) in this file: build the program with the mprof plugin",
			0.5, 0.5);
		cairo_restore(cr);
		free(alt);
		return;
	}
	cairo_rectangle(cr, fr->left, top, fr->w, rows * FLAME_ROW);
	cairo_clip(cr);
	font(cr, 11, 0);
	for (i = 0; i < f->ncalls; i++) {
		const struct plot_call *c = &f->calls[i];
		int row = c->level < rows ? c->level : rows - 1;
		double xa = X(fr, c->t0), xb = X(fr, c->t1);
		double y = top + (rows - 1 - row) * FLAME_ROW;
		struct rgb col;

		if (xb < fr->left || xa > fr->left + fr->w)
			continue;
		if (xa < fr->left)
			xa = fr->left;
		if (xb > fr->left + fr->w)
			xb = fr->left + fr->w;
		col = flame_color(row, rows, alt ? (int)(alt[row]++ & 1) : 0);
		cairo_rectangle(cr, xa, y + 1, xb - xa < 1 ? 1 : xb - xa,
				FLAME_ROW - 2);
		set_rgb(cr, col);
		cairo_fill_preserve(cr);
		cairo_set_source_rgba(cr, 0.6, 0.3, 0.1, 0.6);
		cairo_set_line_width(cr, 0.5);
		cairo_stroke(cr);
		if (xb - xa > 30) {
			snprintf(s, sizeof s, "%s %.3f s",
				 f->funcs[c->func].label, c->t1 - c->t0);
			utf8_clean(s);
			fit_text(cr, s, xb - xa - 6);
			set_rgb(cr, text_rgb);
			if (strcmp(s, "...") != 0)
				text_at(cr, xa + 3, y + FLAME_ROW / 2.0, s, 0,
					0.5);
		}
	}
	cairo_restore(cr);
	free(alt);
}

static int flame_rows(const struct plot *p)
{
	int rows;

	if (!p->flame || p->nfiles != 1)
		return 0;
	rows = p->files[0].ncalls ? p->files[0].max_level + 1 : 2;
	return rows > FLAME_MAX_ROWS ? FLAME_MAX_ROWS : rows;
}

/*
 * Where draw() puts things: the plot area and the data range it shows,
 * the ticks, and the flame band under the plot area (see "draw()'s
 * layout" above).
 */
struct layout {
	struct frame fr;
	struct ticks xt, yt;
	int rows;		/* flame band rows; 0: no band */
	double band_top;	/* the band's top edge */
};

/* Fix the layout: the y labels' width and the legend's decide the plot area. */
static void place(cairo_t *cr, const struct plot *p, double legend_w,
		  struct layout *lo)
{
	struct frame *fr = &lo->fr;
	double ylo, yhi, ylab_w = 0, span;
	char s[64];
	int i;

	y_range(p, &ylo, &yhi);
	make_ticks(ylo, yhi, Y_TICKS, &lo->yt);
	font(cr, TICK_FONT, 0);
	for (i = 0; i < lo->yt.n; i++) {
		tick_label(s, sizeof s, lo->yt.first + i * lo->yt.step,
			   lo->yt.decimals);
		if (text_w(cr, s) > ylab_w)
			ylab_w = text_w(cr, s);
	}

	fr->left = PAD_LEFT + ylab_w + YLABEL_ROOM;
	fr->top = PAD_TOP;
	fr->w = WIDTH - fr->left -
		(legend_w > 0 ? legend_w + (LEGEND_GAP + PAD_RIGHT_LEGEND) :
				PAD_RIGHT);
	fr->h = HEIGHT - fr->top - PAD_BOTTOM;
	fr->y0 = ylo;
	fr->y1 = yhi;
	span = p->x1 - p->x0;
	fr->x0 = p->window ? p->x0 : p->x0 - span * X_PAD;
	fr->x1 = p->window ? p->x1 : p->x1 + span * X_PAD;
	make_ticks(fr->x0, fr->x1, X_TICKS, &lo->xt);
	lo->rows = flame_rows(p);
	lo->band_top = lo->rows ? fr->top + fr->h + FLAME_GAP : 0;
}

/* The lower edge of what has vertical grid lines: the band, or the plot. */
static double grid_bottom(const struct layout *lo)
{
	return lo->rows ? lo->band_top + lo->rows * FLAME_ROW :
			  lo->fr.top + lo->fr.h;
}

/* Grid lines at the ticks, through the plot area and the flame band. */
static void draw_grid(cairo_t *cr, const struct layout *lo)
{
	const struct frame *fr = &lo->fr;
	int i;

	cairo_set_line_width(cr, 1);
	set_rgb(cr, grid_rgb);
	for (i = 0; i < lo->yt.n; i++) {
		double y = round(Y(fr, lo->yt.first + i * lo->yt.step)) + 0.5;

		cairo_move_to(cr, fr->left, y);
		cairo_line_to(cr, fr->left + fr->w, y);
	}
	for (i = 0; i < lo->xt.n; i++) {
		double x = round(X(fr, lo->xt.first + i * lo->xt.step)) + 0.5;

		cairo_move_to(cr, x, fr->top);
		cairo_line_to(cr, x, fr->top + fr->h);
		if (lo->rows) {
			cairo_move_to(cr, x, lo->band_top);
			cairo_line_to(cr, x, grid_bottom(lo));
		}
	}
	cairo_stroke(cr);
}

/*
 * Everything inside the plot area, clipped to it: each file's children,
 * then its program on top, with their trends; the brackets; the peaks.
 */
static void draw_data(cairo_t *cr, const struct frame *fr,
		      const struct plot *p)
{
	size_t f, k, ci = 0;

	cairo_save(cr);
	cairo_rectangle(cr, fr->left, fr->top, fr->w, fr->h);
	cairo_clip(cr);
	for (f = 0; f < p->nfiles; f++) {
		const struct plot_file *pf = &p->files[f];
		size_t main_ci = ci++;

		for (k = 0; k < pf->nkids; k++) {
			draw_curve(cr, fr, &pf->kids[k], curve_color(p, ci),
				   KID_LINE_W);
			if (p->slope)
				draw_trend(cr, fr, &pf->kids[k],
					   curve_color(p, ci));
			ci++;
		}
		draw_curve(cr, fr, &pf->main, curve_color(p, main_ci),
			   MAIN_LINE_W);
		if (p->slope)
			draw_trend(cr, fr, &pf->main, curve_color(p, main_ci));
	}
	if (p->nfiles == 1 && p->show_funcs && !p->flame)
		draw_brackets(cr, fr, &p->files[0]);
	draw_peaks(cr, fr, p);
	cairo_restore(cr);
}

/* The plot area's frame, the tick labels and the axis titles. */
static void draw_axes(cairo_t *cr, const struct layout *lo, double height)
{
	const struct frame *fr = &lo->fr;
	char s[64];
	int i;

	cairo_set_line_width(cr, 1);
	set_rgb(cr, axis_rgb);
	cairo_rectangle(cr, round(fr->left) + 0.5, round(fr->top) + 0.5,
			round(fr->w), round(fr->h));
	cairo_stroke(cr);
	font(cr, TICK_FONT, 0);
	set_rgb(cr, text_rgb);
	for (i = 0; i < lo->yt.n; i++) {
		double v = lo->yt.first + i * lo->yt.step;

		tick_label(s, sizeof s, v, lo->yt.decimals);
		text_at(cr, fr->left - YLABEL_GAP, Y(fr, v), s, 1, 0.5);
	}
	for (i = 0; i < lo->xt.n; i++) {
		double v = lo->xt.first + i * lo->xt.step;

		tick_label(s, sizeof s, v, lo->xt.decimals);
		text_at(cr, X(fr, v), grid_bottom(lo) + XLABEL_GAP, s, 0.5, 0);
	}
	font(cr, AXIS_FONT, 0);
	text_at(cr, fr->left + fr->w / 2, height - XTITLE_Y, "time (s)", 0.5,
		0.5);
	cairo_save(cr);
	cairo_translate(cr, YTITLE_X, fr->top + fr->h / 2);
	cairo_rotate(cr, -M_PI / 2);
	text_at(cr, 0, 0, "memory used (MiB)", 0.5, 0.5);
	cairo_restore(cr);
}

/* The flame band (-f) and its stack levels, numbered on the left. */
static void draw_band(cairo_t *cr, const struct layout *lo,
		      const struct plot_file *f)
{
	char s[64];
	int i;

	draw_flame(cr, &lo->fr, lo->band_top, lo->rows, f);
	font(cr, FLAME_LABEL_FONT, 0);
	set_rgb(cr, text_rgb);
	for (i = 0; i < lo->rows && f->ncalls; i++) {
		snprintf(s, sizeof s, "%d", i);
		text_at(cr, lo->fr.left - FLAME_LABEL_GAP,
			lo->band_top + (lo->rows - 1 - i + 0.5) * FLAME_ROW, s,
			1, 0.5);
	}
}

/* The title, centred over the plot if it fits there, else over the page. */
static void draw_title(cairo_t *cr, const struct frame *fr,
		       const struct plot *p)
{
	char title[1024];
	double cx = fr->left + fr->w / 2;

	make_title(p, title, sizeof title);
	if (!title[0])
		return;
	font(cr, TITLE_FONT, 1);
	set_rgb(cr, text_rgb);
	if (text_w(cr, title) > 2 * fmin(cx, WIDTH - cx) - 2 * TITLE_MARGIN)
		cx = WIDTH / 2.0;
	fit_text(cr, title, WIDTH - 2 * TITLE_MARGIN);
	text_at(cr, cx, TITLE_Y, title, 0.5, 0.5);
}

static void draw(cairo_t *cr, const struct plot *p, double height)
{
	struct legend l = { NULL, 0, 0, 0 };
	struct layout lo;
	double lw;

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);

	build_legend(p, &l);
	lw = legend_width(cr, &l);
	place(cr, p, lw, &lo);

	draw_grid(cr, &lo);
	draw_data(cr, &lo.fr, p);
	draw_axes(cr, &lo, height);
	if (lo.rows)
		draw_band(cr, &lo, &p->files[0]);
	draw_title(cr, &lo.fr, p);
	draw_legend(cr, &l, lo.fr.left + lo.fr.w + LEGEND_GAP, lo.fr.top, lw,
		    lo.fr.h);
	free(l.e);
}

/*
 * An SVG's text is drawn as glyph outlines, which nothing can read or
 * search: the stream below puts the title and the legend's lines as text
 * into a <title> and a <desc> at the top of the <svg> element, for screen
 * readers, search and grep.
 */
struct svg_stream {
	FILE *f;
	char *head;		/* what goes after the <svg ...> tag */
	char *pending;		/* bytes held until that tag has ended */
	size_t npending;
	int done;		/* head written: pass the rest through */
	int err;
};

static void xml_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

static cairo_status_t svg_write(void *ctx, const unsigned char *data,
				unsigned int len)
{
	struct svg_stream *o = ctx;
	char *np, *tag, *end;

	if (o->done) {
		if (fwrite(data, 1, len, o->f) != len)
			o->err = 1;
		return o->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
	}
	np = realloc(o->pending, o->npending + len + 1);
	if (!np)
		return CAIRO_STATUS_NO_MEMORY;
	o->pending = np;
	memcpy(np + o->npending, data, len);
	o->npending += len;
	np[o->npending] = '\0';
	tag = strstr(np, "<svg");
	end = tag ? strchr(tag, '>') : NULL;
	if (!end)
		return CAIRO_STATUS_SUCCESS;
	end++;
	fwrite(np, 1, (size_t)(end - np), o->f);
	fputs(o->head, o->f);
	fwrite(end, 1, o->npending - (size_t)(end - np), o->f);
	free(o->pending);
	o->pending = NULL;
	o->done = 1;
	if (ferror(o->f))
		o->err = 1;
	return o->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* "\n<title>..</title><desc>..</desc>" for the SVG; malloc'd or NULL. */
static char *svg_head(const struct plot *p)
{
	struct legend l = { NULL, 0, 0, 0 };
	char title[1024], *buf = NULL;
	size_t n = 0, i;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	make_title(p, title, sizeof title);
	build_legend(p, &l);
	fputs("\n<title>", f);
	xml_put(f, title);
	fputs("</title>\n<desc>\n", f);
	for (i = 0; i < l.n; i++) {
		xml_put(f, l.e[i].text);
		fputc('\n', f);
	}
	fputs("</desc>", f);
	free(l.e);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int plot_draw(const struct plot *p, const char *out)
{
	struct svg_stream svg = { NULL, NULL, NULL, 0, 0, 0 };
	enum format fmt = format_of(out);
	int rows = flame_rows(p);
	double h = HEIGHT + (rows ? rows * FLAME_ROW + FLAME_GAP : 0);
	cairo_surface_t *s;
	cairo_status_t st;
	cairo_t *cr;

	switch (fmt) {
	case FMT_PNG:
		s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, WIDTH,
					       (int)h);
		break;
	case FMT_SVG:
		svg.head = svg_head(p);
		svg.f = svg.head ? fopen(out, "w") : NULL;
		if (!svg.f) {
			free(svg.head);
			return error("cannot write '%s': %s", out,
				     strerror(errno));
		}
		s = cairo_svg_surface_create_for_stream(svg_write, &svg,
							WIDTH, h);
		break;
	case FMT_PDF:
		s = cairo_pdf_surface_create(out, WIDTH, h);
		break;
	default:
		return error("cannot write '%s': use .png, .svg or .pdf", out);
	}
	cr = cairo_create(s);
	draw(cr, p, h);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && fmt == FMT_PNG)
		st = cairo_surface_write_to_png(s, out);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (svg.f) {
		if (!svg.done && st == CAIRO_STATUS_SUCCESS)
			st = CAIRO_STATUS_WRITE_ERROR;
		if ((fclose(svg.f) || svg.err) && st == CAIRO_STATUS_SUCCESS)
			st = CAIRO_STATUS_WRITE_ERROR;
		free(svg.head);
		free(svg.pending);
	}
	if (st != CAIRO_STATUS_SUCCESS)
		return error("cannot write '%s': %s", out,
			     cairo_status_to_string(st));
	return 0;
}
