/* SPDX-License-Identifier: MIT */
/*
 * source.c - source files read as linecache reads them, for the
 * formatters of report/ (source.h): universal newlines ("\r\n" and a
 * lone "\r" end a line, as they do for GCC's line numbers), a UTF-8 BOM
 * dropped, and a newline given to a last line that lacks one.
 */
#include "source.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * The buffer a regular file fits in with the spare byte, and room to see
 * EOF; 0 when unknown (and in the fatal-signal report's copy of this
 * file, runtime/crashtable.c, whose FILE has no descriptor to ask).
 */
static size_t capacity(FILE *f)
{
#ifdef MP_CRASHENV_RENAME
	(void)f;
	return 0;
#else
	struct stat st;

	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size < SIZE_MAX / 2)
		return (size_t)st.st_size + 2;
	return 0;
#endif
}

/*
 * Read `path` whole.  Returns 0 with *out set, 1 when the file cannot be
 * read (the caller tries elsewhere or reports it missing), -1 when memory
 * is exhausted.  One spare byte is left for a final newline.  A regular
 * file's buffer is sized from fstat() once: SQLite's amalgamation is
 * 8.6 MB, and growing by doubling wrote and faulted in twice that.
 */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	if (!f)
		return errno == ENOMEM ? -1 : 1;
	cap = capacity(f);
	for (;;) {
		if (cap - n < 2) {
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		} else if (!buf) {
			buf = malloc(cap);
			if (!buf) {
				fclose(f);
				return -1;
			}
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

/*
 * Universal newlines from buf[i], the first '\r', on: "\r\n" and a lone
 * "\r" become "\n", in place.  Returns the new length.
 */
static size_t universal(char *buf, size_t n, size_t i)
{
	size_t o = i;

	for (; i < n; i++) {
		if (buf[i] == '\r') {
			buf[o++] = '\n';
			if (i + 1 < n && buf[i + 1] == '\n')
				i++;
		} else {
			buf[o++] = buf[i];
		}
	}
	return o;
}

/*
 * Turn raw bytes into linecache's lines, in place: drop a UTF-8 BOM, map
 * "\r\n" and lone "\r" to "\n", end the last line with "\n", and index
 * line starts.  memchr() does the scanning: the report of a program
 * built from a large file (an annotated SQLite) reads it at exit, and a
 * loop over every byte cost it more than its profiled functions' lines.
 */
static int split_lines(struct mp_source *s, char *buf, size_t n)
{
	size_t nl = 0, k = 0;
	const char *p, *end;
	char *cr;

	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		n -= 3;
		memmove(buf, buf + 3, n);
	}
	cr = n ? memchr(buf, '\r', n) : NULL;
	if (cr)
		n = universal(buf, n, (size_t)(cr - buf));
	if (n && buf[n - 1] != '\n')
		buf[n++] = '\n';
	end = buf + n;
	for (p = buf; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
		nl++;
	s->start = malloc((nl + 1) * sizeof *s->start);
	if (!s->start)
		return -1;
	s->start[k++] = 0;
	for (p = buf; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
		s->start[k++] = (size_t)(p - buf) + 1;
	s->text = buf;
	s->nlines = nl;
	return 0;
}

/*
 * Find `file` as the compiler saw it: as is when absolute or readable from
 * the current directory, else under the compilation directory.
 */
static int load_source(struct mp_source *s)
{
	char *buf = NULL, *path;
	size_t n = 0;
	int rc;

	rc = slurp(s->file, &buf, &n);
	if (rc == 1 && s->file[0] != '/' && s->dir[0]) {
		size_t lf = strlen(s->file), ld = strlen(s->dir);

		path = malloc(ld + lf + 2);
		if (!path)
			return -1;
		memcpy(path, s->dir, ld);
		path[ld] = '/';
		memcpy(path + ld + 1, s->file, lf + 1);
		rc = slurp(path, &buf, &n);
		free(path);
	}
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (split_lines(s, buf, n) < 0) {
		free(buf);
		return -1;
	}
	return 0;
}

/* The source of `f`, loaded on first use; NULL when memory is exhausted. */
struct mp_source *mp_source_get(struct mp_source_cache *c, const struct mp_func *f)
{
	struct mp_source *s;
	size_t i;

	/* functions of one file are usually adjacent: try the last one first */
	for (i = c->n; i-- > 0;)
		if (!strcmp(c->src[i].file, f->file) &&
		    !strcmp(c->src[i].dir, f->dir))
			return &c->src[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;

		s = realloc(c->src, cap * sizeof *s);
		if (!s)
			return NULL;
		c->src = s;
		c->cap = cap;
	}
	s = &c->src[c->n];
	memset(s, 0, sizeof *s);
	s->file = f->file;
	s->dir = f->dir;
	if (load_source(s) < 0)
		return NULL;
	c->n++;
	return s;
}

void mp_source_free(struct mp_source_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->src[i].text);
		free(c->src[i].start);
	}
	free(c->src);
}

const char *mp_source_line(const struct mp_source *s, int32_t line,
			   size_t *len)
{
	if (!s->text || line < 1 || (size_t)line > s->nlines) {
		*len = 0;
		return NULL;
	}
	*len = s->start[line] - s->start[line - 1];
	return s->text + s->start[line - 1];
}
