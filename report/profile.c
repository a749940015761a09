/* SPDX-License-Identifier: MIT */
/*
 * profile.c - building, merging and freeing the in-memory profile
 * (profile.h).  Called by the runtime at exit, and by the readers that turn
 * a saved profile back into one.
 *
 * Invariants kept by every function here, even when an allocation fails
 * half-way: each mp_func owns its strings (never NULL) and its rows; rows
 * are sorted by strictly increasing line, every row has count > 0 and
 * line >= 1; funcs[0..nfuncs) are initialised and nfuncs <= cap.  Sums
 * saturate instead of overflowing, so a corrupt input gives large figures,
 * not undefined behaviour.
 */
#include "profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return a < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static uint64_t sat_addu(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return UINT64_MAX;
	return r;
}

/* Fold row `src` into row `dst` of the same line. */
static void fold_row(struct mp_row *dst, const struct mp_row *src)
{
	dst->count = sat_addu(dst->count, src->count);
	dst->incr = sat_add(dst->incr, src->incr);
	if (src->peak > dst->peak)
		dst->peak = src->peak;
	dst->time_ns = sat_addu(dst->time_ns, src->time_ns);
	dst->allocs = sat_addu(dst->allocs, src->allocs);
	dst->allocated = sat_addu(dst->allocated, src->allocated);
	if (src->rise > dst->rise)
		dst->rise = src->rise;
	dst->leaked = sat_add(dst->leaked, src->leaked);
}

static int cmp_row(const void *a, const void *b)
{
	const struct mp_row *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/* Functions sort by file, then first line; name and dir only make the
 * order total, so duplicates end up adjacent and the result deterministic. */
static int cmp_func(const void *a, const void *b)
{
	const struct mp_func *x = a, *y = b;
	int c;

	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->first_line != y->first_line)
		return x->first_line < y->first_line ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->dir, y->dir);
}

static int same_func(const struct mp_func *x, const struct mp_func *y)
{
	return x->first_line == y->first_line && !strcmp(x->file, y->file) &&
	       !strcmp(x->name, y->name);
}

static void free_func(struct mp_func *f)
{
	free(f->file);
	free(f->dir);
	free(f->name);
	free(f->rows);
	free(f->source);
	memset(f, 0, sizeof *f);
}

void mp_profile_init(struct mp_profile *p)
{
	p->funcs = NULL;
	p->nfuncs = 0;
	p->cap = 0;
	p->columns = 0;
}

/*
 * The runtime hands in one row per line site, recorded or not, and
 * possibly several sites per line; rows that were never recorded (or carry
 * no valid line) are dropped here and the rest sorted and folded, so the
 * formatter and the merge can rely on sorted unique rows.
 */
int mp_profile_add_func(struct mp_profile *p, const char *file,
			const char *dir, const char *name, int32_t first_line,
			int32_t last_line, const struct mp_row *rows,
			size_t nrows)
{
	struct mp_func f = { 0 };
	size_t i, n = 0;

	if (p->nfuncs == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct mp_func *nf;

		if (cap > SIZE_MAX / sizeof *nf)
			return -1;
		nf = realloc(p->funcs, cap * sizeof *nf);
		if (!nf)
			return -1;
		p->funcs = nf;
		p->cap = cap;
	}

	f.file = strdup(file ? file : "");
	f.dir = strdup(dir ? dir : "");
	f.name = strdup(name ? name : "");
	if (!f.file || !f.dir || !f.name)
		goto fail;
	f.first_line = first_line;
	f.last_line = last_line;

	for (i = 0; i < nrows; i++)
		n += rows[i].count > 0 && rows[i].line >= 1;
	if (n) {
		f.rows = malloc(n * sizeof *f.rows);
		if (!f.rows)
			goto fail;
		for (i = 0; i < nrows; i++)
			if (rows[i].count > 0 && rows[i].line >= 1)
				f.rows[f.nrows++] = rows[i];
		qsort(f.rows, f.nrows, sizeof *f.rows, cmp_row);
		n = 0;
		for (i = 1; i < f.nrows; i++) {
			if (f.rows[i].line == f.rows[n].line)
				fold_row(&f.rows[n], &f.rows[i]);
			else
				f.rows[++n] = f.rows[i];
		}
		f.nrows = n + 1;
	}

	p->funcs[p->nfuncs++] = f;
	return 0;
fail:
	free_func(&f);
	return -1;
}

/*
 * Fold function `src` into `dst` (same file, name and first line): the
 * rows are merged line by line into a fresh array, and `dst` takes the
 * first non-empty compilation directory (swapped, so `src` still owns a
 * string when it is freed).  On allocation failure nothing changes and -1
 * is returned.
 */
static int fold_func(struct mp_func *dst, struct mp_func *src)
{
	struct mp_row *rows;
	size_t i = 0, j = 0, n = 0;

	if (src->nrows) {
		rows = malloc((dst->nrows + src->nrows) * sizeof *rows);
		if (!rows)
			return -1;
		while (i < dst->nrows || j < src->nrows) {
			const struct mp_row *a, *b;

			a = i < dst->nrows ? &dst->rows[i] : NULL;
			b = j < src->nrows ? &src->rows[j] : NULL;

			if (!b || (a && a->line < b->line)) {
				rows[n++] = *a;
				i++;
			} else if (!a || b->line < a->line) {
				rows[n++] = *b;
				j++;
			} else {
				rows[n] = *a;
				fold_row(&rows[n], b);
				/* The signature row's Increment is the figure at
				   the first call, not a sum: keep the earlier
				   (smaller) one of the two copies. */
				if (a->line == dst->first_line)
					rows[n].incr = a->incr < b->incr ?
						       a->incr : b->incr;
				n++;
				i++;
				j++;
			}
		}
		free(dst->rows);
		dst->rows = rows;
		dst->nrows = n;
	}
	if (src->last_line > dst->last_line)
		dst->last_line = src->last_line;
	dst->leaked_blocks += src->leaked_blocks;
	if (!dst->dir[0] && src->dir[0]) {
		char *tmp = dst->dir;

		dst->dir = src->dir;
		src->dir = tmp;
	}
	if (!dst->source && src->source) {
		dst->source = src->source;
		dst->source_len = src->source_len;
		src->source = NULL;
		src->source_len = 0;
	}
	return 0;
}

/*
 * Sorting first makes duplicates adjacent; each run is then folded into
 * its first entry.  A fold that cannot allocate leaves that duplicate as a
 * table of its own (still in order) and makes the call return -1.
 */
int mp_profile_merge(struct mp_profile *p)
{
	size_t i, out = 0;
	int rc = 0;

	if (!p->nfuncs)
		return 0;
	qsort(p->funcs, p->nfuncs, sizeof *p->funcs, cmp_func);
	for (i = 1; i < p->nfuncs; i++) {
		if (same_func(&p->funcs[out], &p->funcs[i])) {
			if (fold_func(&p->funcs[out], &p->funcs[i]) == 0) {
				free_func(&p->funcs[i]);
				continue;
			}
			rc = -1;
		}
		p->funcs[++out] = p->funcs[i];
	}
	p->nfuncs = out + 1;
	return rc;
}

void mp_profile_free(struct mp_profile *p)
{
	size_t i;

	for (i = 0; i < p->nfuncs; i++)
		free_func(&p->funcs[i]);
	free(p->funcs);
	mp_profile_init(p);
}
