/* SPDX-License-Identifier: MIT */
/*
 * json.h - a profile saved as JSON, and its one writer: the runtime
 * writes it at exit (MPROF_JSON), `mprof report` reads it back
 * (jsonread.h, in the command only) and prints the line tables again, CI
 * gates read it with any JSON tool.
 *
 * Schema, version 1 (figures in bytes, counts and lines as integers):
 *
 *     {
 *       "mprof": 1,                    schema version (required, first)
 *       "backend": "rss",              what the figures measure
 *       "precision": 1,                MPROF_PRECISION of the run (0..10)
 *       "pid": 4242,                   the process that wrote it
 *       "parent": 4241,                only in a forked child's profile
 *       "functions": [                 (required) sorted by file, then
 *         {                            first line
 *           "file": "basic.c",         as given to the compiler
 *           "dir": "/src/samples",     compilation directory, may be ""
 *           "name": "my_func",
 *           "first_line": 22,          signature line
 *           "last_line": 30,           closing brace
 *           "rows": [                  one per recorded line, lines
 *             [22, 1, 0, 0],           increasing:
 *             [24, 1, 4000000, 4000000]  [line, Occurrences, Increment,
 *           ],                            Mem usage]
 *           "source": [                optional: the text of lines
 *             "MPROF static int *my_func(void)",  first_line, first_line
 *             "{", ...                 + 1... to the brace or last row,
 *           ]                          as the run read them
 *         }
 *       ]
 *     }
 *
 * With the optional columns (MPROF_COLUMNS, docs/json.md), the profile
 * also has "columns": ["time", "allocs", "peak", "leaked"] (those
 * recorded), and each function "leaked_blocks": N and "extra": one
 * [line, time_ns, allocs, allocated, peak, leaked] per row (0 for a
 * column not recorded): members a version-1 reader skips.
 *
 * Compatibility rule: a reader of version N ignores members it does not
 * know, so adding a member keeps the version; a change that an older
 * reader would misread (a field's meaning or unit, a row's shape) bumps
 * it, and a reader refuses versions above its own.
 *
 * Strings are UTF-8.  File and function names are bytes on Linux, not
 * always UTF-8: a byte that is not part of valid UTF-8 is written as the
 * escape \udc80..\udcff (Python's "surrogateescape", so os.fsencode()
 * gets the bytes back) and read back as that byte; every other string
 * round-trips as it is.  NUL is refused (the model holds C strings).
 */
#ifndef MP_JSON_H
#define MP_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/* The schema version this code writes and the highest it reads. */
#define MP_JSON_VERSION 1

/* What a profile carries besides its functions. */
struct mp_json_meta {
	int version;		/* "mprof": schema version read (written: ours) */
	char backend[32];	/* "rss", "heap"...; "" when unknown */
	int precision;		/* decimals of the tables, 0..10 */
	long pid;		/* the writing process; 0 when unknown */
	long parent;		/* its parent's pid if it is a forked child, else 0 */
	int signal;		/* "signal": the fatal signal the process died
				   of, 0 when it exited (written only) */
	const char *notes;	/* "notes": the runtime's diagnostics, lines
				   ending with '\n', notes_len bytes; not
				   read back (written only) */
	size_t notes_len;
};

/* version MP_JSON_VERSION, backend "", precision 1, pid and parent 0. */
void mp_json_meta_init(struct mp_json_meta *m);

/*
 * Write `p` and `m` as the JSON above, one row per line.  m == NULL writes
 * the defaults of mp_json_meta_init.  Returns 0, or -1 on a write error.
 */
int mp_json_write(FILE *out, const struct mp_profile *p,
		  const struct mp_json_meta *m);

/* `str` as a JSON string, quotes included, escaped as the writer does. */
void mp_json_string(FILE *out, const char *str);

#endif /* MP_JSON_H */
