/* SPDX-License-Identifier: MIT */
/*
 * html_int.h - what the files of the HTML report share (html.c: the index
 * and the report; html_file.c: the file pages): the state of one report
 * being written, and the writers of its cells and pages.
 */
#ifndef MP_HTML_INT_H
#define MP_HTML_INT_H

#include <stdint.h>
#include <stdio.h>

#include "html.h"
#include "source.h"

/* Room for a page's file name: a stem (a basename) and a suffix. */
#define PATH_MAX_NAME 4200

/* Lines shown of a file: a function's, widened to its rows, in context. */
struct span {
	int32_t lo, hi;
};

/*
 * One source file (file, dir) and the functions of it that ran: shown as
 * spans of lines, on one page or, past MP_HTML_PAGE_LINES lines, on
 * several ("parts"), cut where a span or a function starts.
 */
struct group {
	size_t src;		/* index in gen.src */
	char *stem;		/* its pages' name: stem.html, stem~p2.html... */
	size_t *funcs;		/* functions with rows, profile order */
	size_t nfuncs, cap;
	struct span *spans;	/* merged, in order */
	size_t nspans;
	int32_t *cuts;		/* cuts[i]: first line of part i */
	size_t nparts;
};

/* What the index says of a function that ran. */
struct fstat {
	size_t func;
	const struct mp_row *top;	/* its body row of largest Increment */
	int64_t net;		/* sum of its body rows' Increments */
	uint64_t calls;		/* Occurrences of its signature row */
	int64_t peak;		/* largest Mem usage */
};

/* A ranked line: a row of a function. */
struct hot {
	size_t func;
	const struct mp_row *row;
};

struct gen {
	const struct mp_profile *p;
	const struct mp_html_opts *o;
	struct mp_html_dir *d;
	struct mp_source_cache src;
	struct group *groups;
	size_t ngroups;
	size_t *group_of;	/* per function; SIZE_MAX: no rows */
	struct fstat *fs;	/* functions that ran, ranked */
	size_t nfs;
	size_t *rank_of;	/* per function: its place in fs */
	int64_t scale;		/* largest |Increment| of a body row */
	int precision;
	unsigned columns;
	char *err;
	size_t errlen;
};

/* ENOMEM into g->err; -1. */
int mp_html_nomem(struct gen *g);
/* s escaped (mp_html_escape). */
void mp_html_esc(FILE *f, const char *s);
/* A MiB figure as the line table prints it, without its padding. */
void mp_html_mib(FILE *f, int64_t bytes, int precision);
/* The figures' header cells, and their number, for the profile's columns. */
void mp_html_figure_heads(FILE *f, unsigned columns);
int mp_html_nfigures(unsigned columns);
/* A row's figure cells: Mem usage, Increment (with its bar), Occurrences,
 * the optional columns; sig: a signature row (no bar). */
void mp_html_figure_cells(FILE *f, const struct gen *g,
			  const struct mp_row *r, int sig);
/* A source line, escaped, without '\n'; trim: without its indentation. */
void mp_html_source_text(FILE *f, const struct mp_source *s, int32_t line,
			 int trim);
/* <!DOCTYPE html> to <body>, with the style sheet. */
void mp_html_page_head(FILE *f, const char *title);
/* Stage DIR/name and let body write it; 0, or -1 with g->err set. */
int mp_html_write_page(struct gen *g, const char *name,
		       void (*body)(struct gen *g, FILE *f, const void *arg),
		       const void *arg);
/* The file name of part `part` of a group's pages, into buf. */
const char *mp_html_part_name(const struct group *gr, size_t part, char *buf,
			      size_t size);

/* html_file.c */
/* The lines a function shows: first to last line, widened to its rows. */
void mp_html_func_range(const struct mp_func *f, int32_t *lo, int32_t *hi);
/* A group's spans and the parts they are cut into; 0, or -1. */
int mp_html_group_layout(struct gen *g, struct group *gr);
/* Every page of one group; 0, or -1. */
int mp_html_write_file(struct gen *g, const struct group *gr);

#endif /* MP_HTML_INT_H */
