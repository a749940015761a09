/* SPDX-License-Identifier: MIT */
/*
 * cmd_diff.c - `mprof diff BASE.json NEW.json`: two profiles side by
 * side, function by function (docs/gates.md, "mprof diff").  Each line
 * whose Increment changed by more than --threshold gets one row: its line
 * in each run (lines are matched across edits by match.c), the base, new
 * and delta Increment, and the delta of every optional column both
 * profiles recorded (profile.h's enum mp_column).  Signature rows are
 * left out: they hold the memory at entry, not what a line did.  A line
 * only one run has compares with 0.
 *
 * --max-growth makes it a gate: each line grown by more than the limit
 * is named on stderr as `mprof check` names it, and the status is 1.
 * --json prints the same rows for machines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gates.h"
#include "json.h"
#include "size.h"

/* One row of the comparison. */
struct entry {
	int32_t base_line;		/* 0: the base has no such line */
	int32_t new_line;		/* 0: the new run has no such line */
	const struct mp_row *base;	/* recorded rows, or NULL */
	const struct mp_row *new;
	int32_t key;			/* new line, or where a removed one was */
	int64_t delta;			/* Increment: new - base */
};

/* One function pair; either side may be missing. */
struct pair {
	const struct mp_func *base, *new;
	struct entry *e;
	size_t n;
	struct source_text bs, ns;
};

/* The optional columns, for the table and the JSON. */
static const struct {
	unsigned bit;
	const char *head;	/* table header */
	const char *key;	/* JSON member */
} cols[] = {
	{ MP_COL_TIME, "Time delta", "time_ns" },
	{ MP_COL_ALLOCS, "Allocs delta", "allocs" },
	{ MP_COL_ALLOCS, "Allocated delta", "allocated" },
	{ MP_COL_PEAK, "Peak delta", "peak" },
	{ MP_COL_LEAKED, "Leaked delta", "leaked" },
};
#define NCOLS (sizeof cols / sizeof cols[0])

static int64_t col_value(const struct mp_row *r, size_t c)
{
	if (!r)
		return 0;
	switch (c) {
	case 0: return (int64_t)r->time_ns;
	case 1: return (int64_t)r->allocs;
	case 2: return (int64_t)r->allocated;
	case 3: return r->rise;
	default: return r->leaked;
	}
}

static int64_t incr(const struct mp_row *r)
{
	return r ? r->incr : 0;
}

static int add_entry(struct pair *p, const struct entry *e)
{
	struct entry *ne = realloc_array(p->e, p->n + 1, sizeof *ne);

	if (!ne)
		return -1;
	p->e = ne;
	p->e[p->n++] = *e;
	return 0;
}

static int by_key(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	/* a removed line before the new line it sits above */
	if (!a->new_line != !b->new_line)
		return a->new_line ? 1 : -1;
	return a->base_line < b->base_line ? -1 : a->base_line > b->base_line;
}

/*
 * The rows of a pair: every recorded line of either run but the
 * signatures, each once, in the new function's line order (a removed line
 * where it stood, after the line matched to the base line above it).
 */
static int build_pair(struct pair *p)
{
	const struct mp_func *bf = p->base, *nf = p->new;
	struct line_map m = { 0 };
	struct entry e;
	int32_t key = 0;
	size_t i;

	if (bf && nf && match_lines(bf, nf, &m))
		return -1;
	for (i = 0; nf && i < nf->nrows; i++) {
		memset(&e, 0, sizeof e);
		e.new = &nf->rows[i];
		e.new_line = e.key = e.new->line;
		if (e.new_line == nf->first_line)
			continue;
		if (bf && (e.base_line = line_map_base(&m, e.new_line)))
			e.base = find_row(bf, e.base_line);
		if (add_entry(p, &e))
			goto nomem;
	}
	for (i = 0; bf && i < bf->nrows; i++) {
		int32_t nl = nf ? line_map_get(&m, bf->rows[i].line) : 0;

		if (nl)
			key = nl;
		if (bf->rows[i].line == bf->first_line ||
		    (nl && find_row(nf, nl)))
			continue;
		memset(&e, 0, sizeof e);
		e.base = &bf->rows[i];
		e.base_line = e.base->line;
		e.new_line = nl;
		e.key = nl ? nl : key;
		if (add_entry(p, &e))
			goto nomem;
	}
	for (i = 0; i < p->n; i++)
		p->e[i].delta = (int64_t)((__int128)incr(p->e[i].new) -
					  incr(p->e[i].base));
	qsort(p->e, p->n, sizeof *p->e, by_key);
	line_map_free(&m);
	return 0;
nomem:
	line_map_free(&m);
	return -1;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

/* The line's text: the new run's, or for a removed line the base's. */
static const char *text_of(const struct pair *p, const struct entry *e)
{
	return e->new_line ? source_line(&p->ns, e->new_line) :
	       source_line(&p->bs, e->base_line);
}

static char *signed_size(char *buf, size_t size, int64_t v)
{
	if (v <= 0)
		return mp_size_format(buf, size, v);
	buf[0] = '+';
	mp_size_format(buf + 1, size - 1, v);
	return buf;
}

/* A delta of column c: sizes for the byte columns, else a count. */
static char *col_delta(char *buf, size_t size, size_t c, int64_t v)
{
	if (c == 0)
		snprintf(buf, size, "%+.3f ms", (double)v / 1e6);
	else if (c == 1)
		snprintf(buf, size, "%+" PRId64, v);
	else
		signed_size(buf, size, v);
	return buf;
}

static int shown(const struct entry *e, int64_t threshold)
{
	return abs64(e->delta) > threshold;
}

static void print_line_no(int32_t line)
{
	if (line)
		printf("%8" PRId32, line);
	else
		printf("%8s", "-");
}

static void print_pair(const struct pair *p, unsigned columns,
		       int64_t threshold)
{
	const struct mp_func *f = p->new ? p->new : p->base;
	char a[40], b[40], d[40];
	size_t i, c;

	printf("%s: %s%s\n\n", f->file, f->name,
	       !p->base ? " (new)" : !p->new ? " (gone)" : "");
	printf("%8s %8s %14s %14s %14s", "Line #", "Base #", "Base Incr",
	       "New Incr", "Delta");
	for (c = 0; c < NCOLS; c++)
		if (columns & cols[c].bit)
			printf(" %16s", cols[c].head);
	printf("   Line Contents\n");
	for (i = 0; i < p->n; i++) {
		const struct entry *e = &p->e[i];

		if (!shown(e, threshold))
			continue;
		print_line_no(e->new_line);
		putchar(' ');
		print_line_no(e->base_line);
		printf(" %14s %14s %14s",
		       e->base ? mp_size_format(a, sizeof a, e->base->incr) : "-",
		       e->new ? mp_size_format(b, sizeof b, e->new->incr) : "-",
		       signed_size(d, sizeof d, e->delta));
		for (c = 0; c < NCOLS; c++)
			if (columns & cols[c].bit)
				printf(" %16s", col_delta(a, sizeof a, c,
					col_value(e->new, c) - col_value(e->base, c)));
		printf("   %s\n", text_of(p, e));
	}
	putchar('\n');
}

static void json_row(const char *key, const struct mp_row *r,
		     unsigned columns)
{
	size_t c;

	printf(", \"%s\": ", key);
	if (!r) {
		printf("null");
		return;
	}
	printf("{\"count\": %" PRIu64 ", \"incr\": %" PRId64 ", \"mem\": %"
	       PRId64, r->count, r->incr, r->peak);
	for (c = 0; c < NCOLS; c++)
		if (columns & cols[c].bit)
			printf(", \"%s\": %" PRId64, cols[c].key,
			       col_value(r, c));
	putchar('}');
}

static void json_pair(const struct pair *p, unsigned columns,
		      int64_t threshold, int *first)
{
	const struct mp_func *f = p->new ? p->new : p->base;
	int any = 0;
	size_t i;

	printf("%s\n    {\"file\": ", *first ? "" : ",");
	*first = 0;
	mp_json_string(stdout, f->file);
	printf(", \"name\": ");
	mp_json_string(stdout, f->name);
	printf(", \"status\": \"%s\", \"rows\": [",
	       !p->base ? "new" : !p->new ? "gone" : "both");
	for (i = 0; i < p->n; i++) {
		const struct entry *e = &p->e[i];

		if (!shown(e, threshold))
			continue;
		printf("%s\n      {\"line\": %" PRId32 ", \"base_line\": %"
		       PRId32, any ? "," : "", e->new_line, e->base_line);
		json_row("base", e->base, columns);
		json_row("new", e->new, columns);
		printf(", \"delta\": %" PRId64 ", \"text\": ", e->delta);
		mp_json_string(stdout, text_of(p, e));
		putchar('}');
		any = 1;
	}
	printf(any ? "\n    ]}" : "]}");
}

/* --max-growth: each line grown too much, on stderr; their count. */
static size_t gate(const struct pair *p, const struct limit *l)
{
	const struct mp_func *f = p->new;
	char a[40], b[40], d[40], lim[40], al[48];
	size_t i, bad = 0;

	for (i = 0; f && i < p->n; i++) {
		const struct entry *e = &p->e[i];
		int64_t allowed = limit_allowed(l, incr(e->base));

		if (!e->new_line || e->delta <= allowed)
			continue;
		al[0] = '\0';
		if (l->kind == LIMIT_PCT)
			snprintf(al, sizeof al, " = %s",
				 mp_size_format(d, sizeof d, allowed));
		fprintf(stderr, "%s:%" PRId32 ": error: max-growth exceeded (Increment %s -> %s, +%s > %s%s) in %s\n",
			f->file, e->new_line,
			mp_size_format(a, sizeof a, incr(e->base)),
			mp_size_format(b, sizeof b, incr(e->new)),
			mp_size_format(d, sizeof d, e->delta),
			limit_format(lim, sizeof lim, l), al, f->name);
		bad++;
	}
	return bad;
}

static void free_pairs(struct pair *pairs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pairs[i].e);
		source_free(&pairs[i].bs);
		source_free(&pairs[i].ns);
	}
	free(pairs);
}

/*
 * Pair the functions: each new one with its base (or none), then the base
 * functions no new one took.
 */
static int make_pairs(const struct mp_profile *base,
		      const struct mp_profile *new, struct pair **out,
		      size_t *n)
{
	struct pair *pairs = calloc(base->nfuncs + new->nfuncs + 1,
				    sizeof *pairs);
	char *taken = calloc(base->nfuncs + 1, 1);
	size_t i, k = 0;
	int rc = -1;

	if (!pairs || !taken)
		goto out;
	for (i = 0; i < new->nfuncs; i++) {
		pairs[k].new = &new->funcs[i];
		pairs[k].base = match_func(base, pairs[k].new);
		if (pairs[k].base)
			taken[pairs[k].base - base->funcs] = 1;
		k++;
	}
	for (i = 0; i < base->nfuncs; i++)
		if (!taken[i])
			pairs[k++].base = &base->funcs[i];
	for (i = 0; i < k; i++) {
		const struct mp_func *b = pairs[i].base, *f = pairs[i].new;

		if (build_pair(&pairs[i]) ||
		    (f && source_load(&pairs[i].ns, f)) ||
		    (b && source_load(&pairs[i].bs, b)))
			goto out;
	}
	rc = 0;
out:
	free(taken);
	*out = pairs;
	*n = k;
	return rc;
}

static int diff(const char *base_path, const char *new_path,
		int64_t threshold, const struct limit *growth, int json)
{
	struct mp_profile base, new;
	struct pair *pairs = NULL;
	size_t n = 0, i, bad = 0;
	unsigned columns;
	int rc = EXIT_USAGE, first = 1;

	memset(&new, 0, sizeof new);
	mp_profile_init(&new);
	if (profile_read(base_path, &base) || profile_read(new_path, &new))
		goto out;
	columns = base.columns & new.columns;
	if (make_pairs(&base, &new, &pairs, &n)) {
		rc = fail("%s", strerror(ENOMEM));
		goto out;
	}
	if (json)
		printf("{\n  \"mprof_diff\": 1,\n  \"threshold\": %" PRId64
		       ",\n  \"functions\": [", threshold);
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < pairs[i].n && !shown(&pairs[i].e[j], threshold);
		     j++)
			;
		if (j < pairs[i].n && json)
			json_pair(&pairs[i], columns, threshold, &first);
		else if (j < pairs[i].n)
			print_pair(&pairs[i], columns, threshold);
	}
	if (json)
		printf(first ? "]\n}\n" : "\n  ]\n}\n");
	fflush(stdout);
	for (i = 0; growth && i < n; i++)
		bad += gate(&pairs[i], growth);
	rc = bad ? EXIT_FAIL : EXIT_OK;
out:
	free_pairs(pairs, n);
	source_cache_free();
	mp_profile_free(&base);
	mp_profile_free(&new);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	const char *threshold_arg = NULL, *growth_arg = NULL;
	struct limit growth;
	uint64_t threshold = 0;
	int json = 0, n;
	const struct option opts[] = {
		{ 0, "threshold", OPT_STRING, &threshold_arg },
		{ 0, "max-growth", OPT_STRING, &growth_arg },
		{ 0, "json", OPT_FLAG, &json },
		{ 0, NULL, 0, NULL },
	};

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (n != 2)
		return usage_error("diff", "two profiles, BASE.json and NEW.json, not %d",
				   n);
	if (threshold_arg && mp_size_parse(threshold_arg, &threshold))
		return usage_error("diff", "option '--threshold' takes a size (512K, 24MiB, 1.5G), not '%s'",
				   threshold_arg);
	if (growth_arg && limit_parse(growth_arg, 1, &growth))
		return usage_error("diff", "option '--max-growth' takes a size (512K, 24MiB, 1.5G) or a percentage (10%%), not '%s'",
				   growth_arg);
	return diff(argv[0], argv[1], (int64_t)threshold,
		    growth_arg ? &growth : NULL, json);
}
