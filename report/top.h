/* SPDX-License-Identifier: MIT */
/*
 * top.h - the lines that matter: the N rows of a whole profile, across
 * all its functions and files, with the largest figure in one column, and
 * the table that shows them.  One ranking for every consumer: `mprof
 * report --top`, the runtime's summary after its tables (MPROF_TOP), the
 * HTML report's first page and the pprof export's order of columns.
 *
 * The ranking: every row whose figure in the chosen column is above 0
 * (a line that gave memory back, or never did anything, is not a line
 * that matters), signature rows left out unless asked for (their
 * Increment is the memory at the first call, not what the line did),
 * largest figure first; ties go by file name, then line, then function
 * name (byte order), then first line, so the order never depends on the
 * order of the functions in the profile.
 *
 * Nothing here allocates except mp_top_report(), or prints except the
 * printers, into the FILE they are given.
 */
#ifndef MP_TOP_H
#define MP_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

/* The columns lines can be ranked by (--by NAME, MPROF_COLUMNS' names). */
enum mp_top_by {
	MP_BY_INCREMENT,	/* "increment": Increment, bytes (the default) */
	MP_BY_MEM,		/* "mem": Mem usage, bytes */
	MP_BY_OCCURRENCES,	/* "occurrences": Occurrences */
	MP_BY_TIME,		/* "time": Time, ns (MP_COL_TIME) */
	MP_BY_ALLOCS,		/* "allocs": Allocs (MP_COL_ALLOCS) */
	MP_BY_ALLOCATED,	/* "allocated": Allocated, bytes (MP_COL_ALLOCS) */
	MP_BY_PEAK,		/* "peak": Peak, bytes (MP_COL_PEAK) */
	MP_BY_LEAKED,		/* "leaked": Leaked, bytes (MP_COL_LEAKED) */
	MP_BY_COUNT
};

/* What a column is, for the printers and the pprof export. */
struct mp_top_column {
	const char *name;	/* "increment": --by's and pprof's name */
	const char *title;	/* "Increment": the table's heading */
	const char *unit;	/* "bytes", "count" or "nanoseconds" */
	unsigned needs;		/* the MP_COL_* bit it needs, 0: always there */
};

/* The column `by` (< MP_BY_COUNT). */
const struct mp_top_column *mp_top_column(enum mp_top_by by);

/* The column named `name`, or -1. */
int mp_top_by_named(const char *name);

/* Whether profile `p` has column `by` (the optional ones need its bit). */
int mp_top_has(const struct mp_profile *p, enum mp_top_by by);

/* Row r's figure in column `by`; counts above INT64_MAX read INT64_MAX. */
int64_t mp_top_value(const struct mp_row *r, enum mp_top_by by);

/* Whether row r of f is f's signature row (the line of its signature). */
int mp_top_is_signature(const struct mp_func *f, const struct mp_row *r);

/* One ranked line: a row and its function, both p's (borrowed). */
struct mp_top_line {
	const struct mp_func *func;
	const struct mp_row *row;
};

/*
 * The at most n top lines of p by `by`, best first, into out[0..n);
 * returns how many.  include_signature: rank signature rows too.  Uses
 * out as its only memory: no allocation, O(rows log n).
 */
size_t mp_top_lines(const struct mp_profile *p, enum mp_top_by by, size_t n,
		    int include_signature, struct mp_top_line *out);

/*
 * Print lines[0..n) as a table: a heading ("Top 3 lines by Increment,
 * of 9 lines in 1 function", or "No line has a positive Increment, of
 * ..." when n is 0), then per line its file:line, function, Mem usage,
 * Increment, Occurrences, the profile's optional columns, and its source
 * text (read as the line table reads it, leading blanks dropped, empty
 * when the file cannot be read), then a blank line.  opts as for
 * mp_report_print().  Returns 0, or -1 on a write error or when memory
 * is exhausted.
 */
int mp_top_print(FILE *out, const struct mp_profile *p,
		 const struct mp_top_line *lines, size_t n, enum mp_top_by by,
		 const struct mp_report_opts *opts);

/*
 * mp_top_lines() then mp_top_print(): the table of the n top lines of p.
 * Returns 0, or -1 on a write error or when memory is exhausted.
 */
int mp_top_report(FILE *out, const struct mp_profile *p, enum mp_top_by by,
		  size_t n, int include_signature,
		  const struct mp_report_opts *opts);

#endif /* MP_TOP_H */
