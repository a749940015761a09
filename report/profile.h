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

struct mp_row {
	int32_t line;		/* source line, 1-based */
	uint64_t count;		/* Occurrences */
	int64_t incr;		/* Increment, bytes */
	int64_t peak;		/* Mem usage, bytes */
};

struct mp_func {
	char *file;		/* source file as given to the compiler */
	char *dir;		/* compilation directory ("" if unknown) */
	char *name;		/* function name */
	int32_t first_line;	/* signature line */
	int32_t last_line;	/* closing brace */
	struct mp_row *rows;	/* sorted by line, unique lines */
	size_t nrows;
};

struct mp_profile {
	struct mp_func *funcs;
	size_t nfuncs;
	size_t cap;		/* allocated entries in funcs */
};

/* Formatting options of the line table. */
struct mp_report_opts {
	int precision;		/* decimals of the MiB figures (0..10) */
};

/*
 * Building a profile.  mp_profile_add_func copies the strings and rows it is
 * given (rows need not be sorted or unique).  Both return 0, or -1 when
 * memory is exhausted, leaving the profile valid.
 */
void mp_profile_init(struct mp_profile *p);
int mp_profile_add_func(struct mp_profile *p, const char *file,
			const char *dir, const char *name, int32_t first_line,
			int32_t last_line, const struct mp_row *rows,
			size_t nrows);
void mp_profile_merge(struct mp_profile *p);
void mp_profile_free(struct mp_profile *p);

/*
 * Print every function's line table to `out` in memory_profiler's format
 * (SPEC §6), functions in the profile's order.  Source text is read from
 * `file`, or from `dir`/`file` when `file` is relative and not found as is;
 * when neither can be read the rows print with an empty source column and
 * one note names the file.  Returns 0, or -1 on a write error.
 */
int mp_report_print(FILE *out, const struct mp_profile *p,
		    const struct mp_report_opts *opts);

#endif /* MP_PROFILE_H */
