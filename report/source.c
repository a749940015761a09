/* SPDX-License-Identifier: MIT */
/*
 * source.c - reading the source files a report shows, as linecache does
 * (source.h): the line table's and the HTML report's one reader.
 */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Read `path` whole.  Returns 0 with *out set, 1 when the file cannot be
 * read (the caller tries elsewhere or reports it missing), -1 when memory
 * is exhausted.  One spare byte is left for a final newline.
 */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	if (!f)
		return errno == ENOMEM ? -1 : 1;
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
 * Turn raw bytes into linecache's lines, in place: drop a UTF-8 BOM, map
 * "\r\n" and lone "\r" to "\n", end the last line with "\n", and index
 * line starts.
 */
static int split_lines(struct mp_source *s, char *buf, size_t n)
{
	size_t i = 0, o = 0, nl = 0, k = 0;

	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	for (; i < n; i++) {
		if (buf[i] == '\r') {
			buf[o++] = '\n';
			if (i + 1 < n && buf[i + 1] == '\n')
				i++;
		} else {
			buf[o++] = buf[i];
		}
		if (buf[o - 1] == '\n')
			nl++;
	}
	if (o && buf[o - 1] != '\n') {
		buf[o++] = '\n';
		nl++;
	}
	s->start = malloc((nl + 1) * sizeof *s->start);
	if (!s->start)
		return -1;
	s->start[k++] = 0;
	for (i = 0; i < o; i++)
		if (buf[i] == '\n')
			s->start[k++] = i + 1;
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

/* Functions of one file are usually adjacent: the last entry is tried first. */
struct mp_source *mp_source_get(struct mp_sources *c, const char *file,
				const char *dir)
{
	struct mp_source *s;
	size_t i;

	for (i = c->n; i-- > 0;)
		if (!strcmp(c->src[i].file, file) && !strcmp(c->src[i].dir, dir))
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
	s->file = file;
	s->dir = dir;
	if (load_source(s) < 0)
		return NULL;
	c->n++;
	return s;
}

const char *mp_source_line(const struct mp_source *s, int32_t line,
			   size_t *len)
{
	if (!s->text || line < 1 || (size_t)line > s->nlines)
		return NULL;
	*len = s->start[line] - s->start[line - 1];
	return s->text + s->start[line - 1];
}

void mp_source_free(struct mp_sources *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->src[i].text);
		free(c->src[i].start);
	}
	free(c->src);
	c->src = NULL;
	c->n = c->cap = 0;
}
