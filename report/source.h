/* SPDX-License-Identifier: MIT */
/*
 * source.h - the source lines the formatters of report/ print: read as
 * Python's linecache reads them (memory_profiler's table shows lines
 * through it), so every formatter shows the same text for a line.  Used
 * by the line table (table.c) and the top-lines table (top.c).
 *
 * A file is read from `file` as the compiler was given it, or from
 * `dir`/`file` when `file` is relative and not readable as is; each file
 * is read at most once per cache.  Its text is normalised as linecache
 * normalises it: a UTF-8 BOM dropped, "\r\n" and a lone "\r" made "\n",
 * a newline added to a last line without one, so every line returned
 * ends with exactly one '\n'.  A cache lives as long as its caller wants;
 * library code: nothing here prints.
 */
#ifndef MP_SOURCE_H
#define MP_SOURCE_H

#include <stddef.h>

#include "profile.h"

/* One source file; the key strings are borrowed from an mp_func. */
struct mp_source {
	const char *file;	/* key: mp_func.file */
	const char *dir;	/* key: mp_func.dir */
	char *text;		/* normalised contents, NULL if unreadable */
	size_t *start;		/* line i+1: text[start[i]..start[i+1]) */
	size_t nlines;
	int noted;		/* for the caller: the missing-file note is out */
};

struct mp_source_cache {
	struct mp_source *src;
	size_t n, cap;
};

/*
 * The source of `f` (its file and dir), loaded on first use: text NULL
 * when neither path can be read.  NULL only when memory is exhausted.
 * The cache keeps pointers to f's strings: they must outlive it.
 */
struct mp_source *mp_source_get(struct mp_source_cache *c,
				const struct mp_func *f);

/*
 * Line `line` of `s` with its '\n', its length in *len; NULL (and *len 0)
 * when the file was unreadable or has no such line.
 */
const char *mp_source_line(const struct mp_source *s, int32_t line,
			   size_t *len);

void mp_source_free(struct mp_source_cache *c);

#endif /* MP_SOURCE_H */
