/* SPDX-License-Identifier: MIT */
/*
 * profile.h - the in-memory profile: what the runtime measured, in a form
 * every consumer shares (the at-exit table, and later the JSON writer and
 * the `mprof report` command).
 *
 * A profile is a list of functions; each function has the rows that were
 * recorded for it, one per source line, sorted by line.  Figures are bytes;
 * only the formatter turns them into MiB.  A row with count == 0 does not
 * exist: lines without a record are simply absent and print blank.
 *
 * The runtime may hand in the same function several times (one descriptor
 * per translation unit that compiled it, e.g. a static inline function in a
 * header): mp_profile_merge() folds functions with equal (file, name,
 * first_line) into one, summing counts and increments and keeping the
 * largest Mem usage, then sorts functions by file name and first line.
 */
#ifndef MP_PROFILE_H
#define MP_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The optional columns (MPROF_COLUMNS, docs/columns.md), as bits of
 * mp_profile.columns: which of the fields below were recorded.  A profile
 * with columns == 0 is memory_profiler's table, byte for byte.
 * MP_COL_ALLOCS stands for both Allocs and Allocated.
 */
enum mp_column {
	MP_COL_TIME = 1u << 0,		/* Time (and % Time) */
	MP_COL_ALLOCS = 1u << 1,	/* Allocs, Allocated */
	MP_COL_PEAK = 1u << 2,		/* Peak */
	MP_COL_LEAKED = 1u << 3,	/* Leaked */
	MP_COL_ALL = (1u << 4) - 1
};

struct mp_row {
	int32_t line;		/* source line, 1-based */
	uint64_t count;		/* Occurrences */
	int64_t incr;		/* Increment, bytes */
	int64_t peak;		/* Mem usage, bytes */
	/* Optional columns: 0 unless the profile's columns has their bit. */
	uint64_t time_ns;	/* Time: wall time in the line, callees included */
	uint64_t allocs;	/* Allocs: allocation calls made while it ran */
	uint64_t allocated;	/* Allocated: bytes those calls asked for */
	int64_t rise;		/* Peak: highest figure inside minus the start,
				   largest over the occurrences */
	int64_t leaked;		/* Leaked: bytes it allocated still live at
				   the report */
};

struct mp_func {
	char *file;		/* source file as given to the compiler */
	char *dir;		/* compilation directory ("" if unknown) */
	char *name;		/* function name */
	int32_t first_line;	/* signature line */
	int32_t last_line;	/* closing brace */
	struct mp_row *rows;	/* sorted by line, unique lines */
	size_t nrows;
	/* Optional: the text of lines first_line, first_line + 1... as the
	   run read it, each ending with '\n' (no NUL), source_len bytes;
	   NULL when not saved.  The JSON profile's "source", so that
	   `mprof diff` still has a baseline's lines once they are edited. */
	char *source;
	size_t source_len;
	uint64_t leaked_blocks;	/* Leaked: blocks the function's calls
				   allocated still live at the report (their
				   bytes: the signature row's `leaked`) */
};

struct mp_profile {
	struct mp_func *funcs;
	size_t nfuncs;
	size_t cap;		/* allocated entries in funcs */
	unsigned columns;	/* enum mp_column bits recorded (0: none) */
};

/* Formatting options of the line table. */
struct mp_report_opts {
	int precision;		/* decimals of the MiB figures (0..10) */
	unsigned columns;	/* optional columns to print, among those
				   the profile recorded; 0: all it recorded */
};

/*
 * Building a profile.  mp_profile_add_func copies the strings (NULL reads
 * as "") and the rows it is given; rows need not be sorted or unique (rows
 * of one line are folded as the merge folds them), and rows with
 * count == 0 or line < 1 are dropped.  mp_profile_merge folds duplicate
 * functions as described above (last_line: the largest; dir: the first
 * non-empty one; source: the first saved one) and sorts.  Both return 0, or -1 when memory is
 * exhausted, leaving the profile valid; after a failed merge, duplicates
 * that could not be folded remain as separate functions, still sorted.
 * (mp_profile_merge returned void at first: callers that ignore the
 * result are unaffected.)
 */
void mp_profile_init(struct mp_profile *p);
int mp_profile_add_func(struct mp_profile *p, const char *file,
			const char *dir, const char *name, int32_t first_line,
			int32_t last_line, const struct mp_row *rows,
			size_t nrows);
int mp_profile_merge(struct mp_profile *p);
void mp_profile_free(struct mp_profile *p);

/*
 * Give each function of `p` with rows and without source the text of its
 * table's lines (first_line to the closing brace or the last row) from its
 * source file, found as mp_report_print() finds it; a file that cannot be
 * read, or a range with a NUL byte, gives none.  Returns 0, or -1 when
 * memory is exhausted (functions done so far keep theirs).
 */
int mp_report_attach_source(struct mp_profile *p);

/*
 * Print every function's line table to `out` in memory_profiler's format
 * (docs/columns.md, "The table's format"), functions in the profile's
 * order; a function without rows never ran and gets no table, as in
 * memory_profiler.  Rows run from
 * first_line to last_line, widened to any recorded row outside them.
 * Source text is read once per call from `file`, or from `dir`/`file` when
 * `file` is relative and not readable as is; a line past the end of the
 * file prints with an empty source column.  When neither path can be read
 * the rows print with an empty source column, and one line goes to `out`
 * right before the first table of that file:
 *
 *     mprof: source file '<file>' not found (also looked in '<dir>')
 *
 * (without the parenthesis when `file` is absolute or `dir` is empty).
 * The optional columns (docs/columns.md) come after Occurrences, in the
 * order of enum mp_column, and a table with Leaked ends with a summary
 * line, "Leaked: <MiB> MiB in <n> blocks".
 * opts == NULL means precision 1; precision is clamped to 0..10.  Returns
 * 0, or -1 on a write error or when memory is exhausted; `out` is flushed.
 */
int mp_report_print(FILE *out, const struct mp_profile *p,
		    const struct mp_report_opts *opts);

/*
 * A figure as the tables print it: bytes as '{W.Pf} MiB' of bytes / 2^20
 * (W = precision + 4), memory_profiler's rounding, whatever the locale
 * (table.c; for the other formatters of report/).
 */
void mp_table_format_mib(char *buf, size_t size, int64_t bytes,
			 int precision);

#endif /* MP_PROFILE_H */
