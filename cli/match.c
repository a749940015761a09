/* SPDX-License-Identifier: MIT */
/*
 * match.c - which line of a baseline profile is which line of a new one,
 * for `mprof diff` and `mprof check --baseline` (gates.h, docs/gates.md,
 * "How lines are matched").
 *
 * Functions match by name and file.  Lines match by source text when the
 * baseline's text is the baseline run's: saved in its JSON profile
 * ("source", which the runtime writes), or read from a file other than
 * the new run's (a baseline built in another checkout).  That is a
 * longest common subsequence of the lines after the signatures,
 * whitespace at either end ignored, so a line keeps its identity when
 * lines are inserted or removed above it; between two such lines, the
 * lines left on each side are changed lines, paired in order.  Without
 * the baseline's text (an old profile whose file was edited in place),
 * lines match by their distance from the signature, which is right
 * whenever the edit was outside the function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gates.h"
#include "jsonread.h"

/* Largest LCS table (cells); larger functions are matched by distance. */
#define MAX_CELLS ((size_t)1 << 24)

const struct mp_row *find_row(const struct mp_func *f, int32_t line)
{
	size_t lo = 0, hi = f->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->rows[mid].line == line)
			return &f->rows[mid];
		if (f->rows[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int profile_read(const char *path, struct mp_profile *p)
{
	char err[1024];

	memset(p, 0, sizeof *p);	/* columns too: none unless read */
	mp_profile_init(p);
	if (!mp_json_read(strcmp(path, "-") ? path : "/dev/stdin", p, NULL,
			  err, sizeof err))
		return 0;
	error("%s", err);
	return -1;
}

const struct mp_func *match_func(const struct mp_profile *base,
				 const struct mp_func *f)
{
	const struct mp_func *only = NULL;
	size_t i, named = 0;

	for (i = 0; i < base->nfuncs; i++) {
		const struct mp_func *b = &base->funcs[i];

		if (strcmp(b->name, f->name))
			continue;
		if (!strcmp(b->file, f->file))
			return b;
		only = b;
		named++;
	}
	return named == 1 ? only : NULL;
}

/* ---- source text -------------------------------------------------------- */

/* Split s->buf (n bytes, NUL-terminated) into lines. */
static int split(struct source_text *s, size_t n)
{
	size_t i, k;

	for (s->n = 0, i = 0; i < n; i++)
		s->n += s->buf[i] == '\n';
	if (n && s->buf[n - 1] != '\n')
		s->n++;
	s->lines = realloc_array(NULL, s->n + 1, sizeof *s->lines);
	if (!s->lines)
		return -1;
	for (k = 0, i = 0; k < s->n; k++) {
		s->lines[k] = s->buf + i;
		i += strcspn(s->buf + i, "\n");
		s->buf[i++] = '\0';
	}
	return 0;
}

/* Read `path` into s: 0, 1 when it cannot be read, -1 out of memory. */
static int slurp(const char *path, struct source_text *s)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got;
	char *nb;

	if (!f)
		return 1;
	for (;;) {
		if (cap - n < 2) {
			nb = realloc_array(s->buf, cap ? cap * 2 : 8192, 1);
			if (!nb) {
				fclose(f);
				return -1;
			}
			s->buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		got = fread(s->buf + n, 1, cap - n - 1, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	s->buf[n] = '\0';
	s->first = 1;
	if (split(s, n))
		return -1;
	s->path = realpath(path, NULL);
	return s->path ? 0 : -1;
}

/*
 * Files read so far, each once however many functions it holds (an
 * amalgamation's thousands of functions would otherwise read it thousands
 * of times); a file that cannot be read is remembered too.
 */
static struct cached {
	char *file, *dir;
	struct source_text s;	/* lines NULL: unreadable */
} *cache;
static size_t ncache;

/* Read the file of f into s as source_load() looks for it. */
static int read_file(struct source_text *s, const struct mp_func *f)
{
	char *path;
	int rc = 1;

	memset(s, 0, sizeof *s);
	if (f->file[0] != '/' && f->dir[0]) {
		if (asprintf(&path, "%s/%s", f->dir, f->file) < 0)
			return -1;
		rc = slurp(path, s);
		free(path);
	}
	if (rc == 1)
		rc = slurp(f->file, s);
	if (rc) {
		source_free(s);
		return rc < 0 ? -1 : 0;
	}
	return 0;
}

/* The file of f on disk, borrowed from the cache: 0, or -1 out of memory. */
static int load_file(struct source_text *s, const struct mp_func *f)
{
	struct cached *c;
	size_t i;

	for (i = ncache; i-- > 0;)
		if (!strcmp(cache[i].file, f->file) &&
		    !strcmp(cache[i].dir, f->dir))
			break;
	if (i == (size_t)-1) {
		c = realloc_array(cache, ncache + 1, sizeof *cache);
		if (!c)
			return -1;
		cache = c;
		c = &cache[ncache];
		memset(c, 0, sizeof *c);
		c->file = strdup(f->file);
		c->dir = strdup(f->dir);
		if (!c->file || !c->dir || read_file(&c->s, f)) {
			free(c->file);
			free(c->dir);
			return -1;
		}
		i = ncache++;
	}
	*s = cache[i].s;
	s->borrowed = 1;
	return 0;
}

void source_cache_free(void)
{
	size_t i;

	for (i = 0; i < ncache; i++) {
		free(cache[i].file);
		free(cache[i].dir);
		source_free(&cache[i].s);
	}
	free(cache);
	cache = NULL;
	ncache = 0;
}

int source_load(struct source_text *s, const struct mp_func *f)
{
	memset(s, 0, sizeof *s);
	if (!f->source)
		return load_file(s, f);
	s->buf = malloc(f->source_len + 1);
	if (!s->buf)
		return -1;
	memcpy(s->buf, f->source, f->source_len);
	s->buf[f->source_len] = '\0';
	s->first = f->first_line;
	s->saved = 1;
	if (split(s, f->source_len)) {
		source_free(s);
		return -1;
	}
	return 0;
}

void source_free(struct source_text *s)
{
	if (s->borrowed) {
		memset(s, 0, sizeof *s);
		return;
	}
	free(s->buf);
	free(s->lines);
	free(s->path);
	memset(s, 0, sizeof *s);
}

const char *source_line(const struct source_text *s, int32_t line)
{
	return s->lines && line >= s->first &&
	       (size_t)(line - s->first) < s->n ? s->lines[line - s->first] : "";
}

/* ---- line matching ------------------------------------------------------ */

/* The last line a function's table shows: its brace, or a later row. */
static int32_t last_line(const struct mp_func *f)
{
	int32_t hi = f->last_line;

	if (f->nrows && f->rows[f->nrows - 1].line > hi)
		hi = f->rows[f->nrows - 1].line;
	return hi < f->first_line ? f->first_line : hi;
}

/* a and b equal but for spaces at either end. */
static int same_text(const char *a, const char *b)
{
	size_t la, lb;

	a += strspn(a, " \t\r\f\v");
	b += strspn(b, " \t\r\f\v");
	la = strlen(a);
	lb = strlen(b);
	while (la && strchr(" \t\r\f\v", a[la - 1]))
		la--;
	while (lb && strchr(" \t\r\f\v", b[lb - 1]))
		lb--;
	return la == lb && !memcmp(a, b, la);
}

/*
 * Between two matched lines, unmatched base and new lines are changed
 * lines, as diff shows a hunk: pair them in order, so an edited line
 * compares with what it was.
 */
static void pair_changed(struct line_map *m, int32_t b0, int32_t n,
			 int32_t c0, int32_t k)
{
	int32_t i = 0, next_new = c0, end, j;

	while (i < n) {
		if (m->map[b0 + i - m->base_first]) {
			next_new = m->map[b0 + i - m->base_first] + 1;
			i++;
			continue;
		}
		/* the gap: base lines up to the next match, new lines too */
		for (j = i; j < n && !m->map[b0 + j - m->base_first]; j++)
			;
		end = j < n ? m->map[b0 + j - m->base_first] : c0 + k;
		for (; i < j && next_new < end; i++, next_new++)
			m->map[b0 + i - m->base_first] = next_new;
		i = j;
	}
}

/*
 * Match base lines b0..b0+n-1 to new lines c0..c0+k-1 by a longest common
 * subsequence of their texts; 1 if the table would be too large.
 */
static int lcs(struct line_map *m, const struct source_text *bs, int32_t b0,
	       int32_t n, const struct source_text *ns, int32_t c0, int32_t k)
{
	uint32_t *t;
	int32_t i, j;

	if (n <= 0 || k <= 0)
		return 0;
	if ((size_t)(n + 1) * (size_t)(k + 1) > MAX_CELLS)
		return 1;
	t = calloc((size_t)(n + 1) * (size_t)(k + 1), sizeof *t);
	if (!t)
		return -1;
#define T(i, j) t[(size_t)(i) * (size_t)(k + 1) + (size_t)(j)]
	for (i = n - 1; i >= 0; i--)
		for (j = k - 1; j >= 0; j--)
			T(i, j) = same_text(source_line(bs, b0 + i),
					    source_line(ns, c0 + j)) ?
				  T(i + 1, j + 1) + 1 :
				  T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) :
							      T(i, j + 1);
	for (i = 0, j = 0; i < n && j < k;) {
		if (same_text(source_line(bs, b0 + i),
			      source_line(ns, c0 + j))) {
			m->map[b0 + i - m->base_first] = c0 + j;
			i++;
			j++;
		} else if (T(i + 1, j) >= T(i, j + 1)) {
			i++;
		} else {
			j++;
		}
	}
#undef T
	free(t);
	pair_changed(m, b0, n, c0, k);
	return 0;
}

/*
 * Whether the baseline's text bs is the baseline run's: saved in its
 * profile, or read from a file that is not the new run's (which may be
 * the same file, edited since).  *rc: -1 when memory ran out.
 */
static int trusted(const struct source_text *bs, const struct mp_func *nf,
		   int *rc)
{
	struct source_text disk;
	int other;

	if (bs->saved)
		return 1;
	if (load_file(&disk, nf)) {
		*rc = -1;
		return 0;
	}
	other = !disk.path || strcmp(disk.path, bs->path);
	source_free(&disk);
	return other;
}

int match_lines(const struct mp_func *bf, const struct mp_func *nf,
		struct line_map *m)
{
	struct source_text bs, ns;
	int32_t bhi = last_line(bf), nhi = last_line(nf), i;
	int rc = 0;

	m->base_first = bf->first_line;
	m->n = bhi - bf->first_line + 1;
	m->by_text = 0;
	m->map = calloc((size_t)m->n, sizeof *m->map);
	if (!m->map)
		return -1;
	m->map[0] = nf->first_line;
	if (source_load(&bs, bf) || source_load(&ns, nf)) {
		source_free(&bs);
		return -1;
	}
	if (bs.lines && ns.lines && trusted(&bs, nf, &rc)) {
		rc = lcs(m, &bs, bf->first_line + 1, m->n - 1, &ns,
			 nf->first_line + 1, nhi - nf->first_line);
		m->by_text = rc == 0;
	}
	if (rc >= 0 && !m->by_text) {
		for (i = 1; i < m->n; i++)
			m->map[i] = nf->first_line + i <= nhi ?
				    nf->first_line + i : 0;
		rc = 0;
	}
	source_free(&bs);
	source_free(&ns);
	return rc;
}

void line_map_free(struct line_map *m)
{
	free(m->map);
	m->map = NULL;
}

int32_t line_map_get(const struct line_map *m, int32_t line)
{
	if (line < m->base_first || line - m->base_first >= m->n)
		return 0;
	return m->map[line - m->base_first];
}

int32_t line_map_base(const struct line_map *m, int32_t line)
{
	int32_t i;

	for (i = 0; line && i < m->n; i++)
		if (m->map[i] == line)
			return m->base_first + i;
	return 0;
}
