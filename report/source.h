/* SPDX-License-Identifier: MIT */
/*
 * source.h - the source files a report shows, read as Python's linecache
 * reads them, shared by the line table (table.c) and the HTML report
 * (html.c) so both find and split a file the same way.
 *
 * A file is looked up as the compiler saw it: `file` as is (absolute, or
 * relative to the current directory), else `dir`/`file` when `file` is
 * relative and `dir` is not empty.  Text is normalised as linecache does:
 * a UTF-8 BOM is dropped, "\r\n" and a lone "\r" end a line, and the last
 * line gets a '\n' if it lacks one, so every line ends with exactly one
 * '\n'.  A cache holds each (file, dir) once; its keys are borrowed from
 * the profile and must outlive it.
 */
#ifndef MP_SOURCE_H
#define MP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct mp_source {
	const char *file;	/* key: mp_func.file (borrowed) */
	const char *dir;	/* key: mp_func.dir (borrowed) */
	char *text;		/* normalised contents, NULL if unreadable */
	size_t *start;		/* line i+1: text[start[i]..start[i+1]) */
	size_t nlines;
	int noted;		/* free for the caller: e.g. a note printed */
};

struct mp_sources {
	struct mp_source *src;
	size_t n, cap;
};

/*
 * The source of (file, dir), read on first use; a file that cannot be
 * read gives an entry with text == NULL.  NULL only when memory is
 * exhausted.  The pointer is valid until the next call (the array grows):
 * keep its index (result - c->src) rather than the pointer.
 */
struct mp_source *mp_source_get(struct mp_sources *c, const char *file,
				const char *dir);

/*
 * Line `line` (1-based) of `s`, its '\n' included, and its length in
 * *len; NULL when the file is unreadable or shorter.
 */
const char *mp_source_line(const struct mp_source *s, int32_t line,
			   size_t *len);

void mp_source_free(struct mp_sources *c);

#endif /* MP_SOURCE_H */
