/* SPDX-License-Identifier: MIT */
/*
 * cmd_peak.c - `mprof peak [--func NAME] [FILE|INDEX...]`: the largest MEM
 * sample of each file, then the largest CHLD sample of each child in the
 * order the children first appear, in Python mprof's format:
 *
 *     {file}\t{peak:.3f} MiB
 *       Child {pid}\t\t\t{peak:.3f} MiB
 *
 * The file's figure is its largest MEM sample, or its PEAK record (see
 * dat.h) when that is larger: a run shorter than the interval has one
 * sample, taken before the program touched its memory.
 *
 * With --func, only the MEM samples taken while a call of NAME ran count
 * (the FUNC records give the calls; a second pass over the file filters
 * the samples, since FUNC lines may follow the samples they cover), and
 * the calls' own figures (entry, exit, and the peak a merged record
 * carries), so that a function shorter than an interval still has one.  A function with no record prints
 * "NaN MiB", as Python does; NAME may also be the last part of a dotted
 * name ("f" for "prog.c.f") when that is unambiguous.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dat.h"

struct range {
	double a, b;
};

struct peak {
	const char *func;		/* --func, or NULL */
	double mem;			/* the peak so far */
	unsigned long nmem;		/* samples counted */
	double peak_rec;		/* the PEAK record's figure */
	int has_peak;
	double exact_mem, suffix_mem;	/* largest FUNC figure of each set */
	struct kid {
		long pid;
		double mem;
	} *kids;			/* first-appearance order */
	size_t nkids;
	struct pidmap map;		/* pid -> kids[] */
	struct range *exact;		/* calls of a FUNC named func */
	size_t nexact;
	struct range *suffix;		/* calls of "<x>.func" */
	size_t nsuffix;
	char *suffix_name;		/* the name those calls had */
	int ambiguous;			/* several names end in ".func" */
	struct range *ranges;		/* what pass 2 uses, merged, sorted */
	size_t nranges;
	struct bad_lines bad;
	int oom;
};

/* Capacity is implicit: the next power of two from 8 up. */
static int push_range(struct range **r, size_t *n, double a, double b)
{
	struct range *nr;

	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		nr = realloc_array(*r, *n ? *n * 2 : 8, sizeof *nr);
		if (!nr)
			return -1;
		*r = nr;
	}
	(*r)[*n].a = a;
	(*r)[(*n)++].b = b;
	return 0;
}

static void on_bad(void *ctx, const char *file, unsigned long line,
		   const char *msg)
{
	struct peak *p = ctx;

	bad_line_report(&p->bad, file, line, msg);
}

static void on_mem(void *ctx, double mib, double t)
{
	struct peak *p = ctx;

	(void)t;
	if (p->nmem++ == 0 || mib > p->mem)
		p->mem = mib;
}

static void on_peak(void *ctx, double mib, double t)
{
	struct peak *p = ctx;

	(void)t;
	if (!p->has_peak++ || mib > p->peak_rec)
		p->peak_rec = mib;
}

static void on_chld(void *ctx, long pid, double mib, double t)
{
	struct peak *p = ctx;
	long i = pidmap_get(&p->map, pid);
	size_t n = p->nkids;

	(void)t;
	if (i >= 0) {
		if (mib > p->kids[i].mem)
			p->kids[i].mem = mib;
		return;
	}
	p->kids = pidmap_add(&p->map, pid, p->kids, &p->nkids,
			     sizeof *p->kids);
	if (p->nkids == n) {
		p->oom = 1;
		return;
	}
	p->kids[n].pid = pid;
	p->kids[n].mem = mib;
}

static void on_func(void *ctx, const struct mp_dat_func *f)
{
	struct peak *p = ctx;
	size_t nl = strlen(f->name), fl = strlen(p->func);
	double m = f->mem_peak;

	if (strcmp(f->name, p->func) == 0) {
		if (!p->nexact || m > p->exact_mem)
			p->exact_mem = m;
		if (push_range(&p->exact, &p->nexact, f->t_start, f->t_end))
			p->oom = 1;
		return;
	}
	if (nl <= fl || f->name[nl - fl - 1] != '.' ||
	    strcmp(f->name + nl - fl, p->func) != 0)
		return;
	if (!p->suffix_name) {
		p->suffix_name = strdup(f->name);
		if (!p->suffix_name)
			p->oom = 1;
	} else if (strcmp(p->suffix_name, f->name) != 0) {
		p->ambiguous = 1;
	}
	if (!p->nsuffix || m > p->suffix_mem)
		p->suffix_mem = m;
	if (push_range(&p->suffix, &p->nsuffix, f->t_start, f->t_end))
		p->oom = 1;
}

/* Pass 2 of --func: a sample counts if a call of the function covers it. */
static void on_mem_in_func(void *ctx, double mib, double t)
{
	struct peak *p = ctx;
	size_t lo = 0, hi = p->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->ranges[mid].b < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nranges && p->ranges[lo].a <= t)
		on_mem(ctx, mib, t);
}

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (x->a > y->a) - (x->a < y->a);
}

/* Sort and merge the calls into disjoint ranges for on_mem_in_func. */
static void merge_ranges(struct range *r, size_t *n)
{
	size_t i, k = 0;

	if (*n == 0)
		return;
	qsort(r, *n, sizeof *r, by_start);
	for (i = 1; i < *n; i++) {
		if (r[i].a <= r[k].b) {
			if (r[i].b > r[k].b)
				r[k].b = r[i].b;
		} else {
			r[++k] = r[i];
		}
	}
	*n = k + 1;
}

static int peak_file(const char *file, const char *func)
{
	struct mp_dat_ops ops = { NULL, on_mem, on_chld,
				  func ? on_func : NULL, on_bad,
				  func ? NULL : on_peak };
	double func_mem = 0;
	struct mp_dat_stats st;
	struct peak p;
	char err[512];
	int rc = EXIT_OK;
	size_t i;

	memset(&p, 0, sizeof p);
	p.func = func;
	if (mp_dat_read(file, &ops, &p, &st, err, sizeof err)) {
		error("%s", err);
		rc = EXIT_FAIL;
		goto out;
	}
	bad_line_summary(&p.bad);
	if (p.oom) {
		error("out of memory reading '%s'", file);
		rc = EXIT_FAIL;
		goto out;
	}
	if (func) {
		if (p.nexact) {
			p.ranges = p.exact;
			p.nranges = p.nexact;
			func_mem = p.exact_mem;
		} else if (p.nsuffix && !p.ambiguous) {
			p.ranges = p.suffix;
			p.nranges = p.nsuffix;
			func_mem = p.suffix_mem;
		}
		if (!p.nranges) {
			if (p.ambiguous)
				warning("'%s' matches several functions in '%s'; give the full name",
					func, file);
			printf("%s\tNaN MiB\n", file);
			goto out;
		}
		merge_ranges(p.ranges, &p.nranges);
		p.nmem = 0;
		ops.mem = on_mem_in_func;
		ops.chld = NULL;
		ops.func = NULL;
		ops.bad_line = NULL;
		if (mp_dat_read(file, &ops, &p, NULL, err, sizeof err)) {
			error("%s", err);
			rc = EXIT_FAIL;
			goto out;
		}
		if (p.nmem == 0 || func_mem > p.mem)
			p.mem = func_mem;
	} else if (p.has_peak && (p.nmem == 0 || p.peak_rec > p.mem)) {
		p.mem = p.peak_rec;
	} else if (p.nmem == 0) {
		error("no memory samples (MEM lines) in '%s'", file);
		rc = EXIT_FAIL;
		goto out;
	}
	printf("%s\t%.3f MiB\n", file, p.mem);
	for (i = 0; i < p.nkids; i++)
		printf("  Child %ld\t\t\t%.3f MiB\n", p.kids[i].pid,
		       p.kids[i].mem);
out:
	free(p.kids);
	pidmap_free(&p.map);
	free(p.exact);
	free(p.suffix);
	free(p.suffix_name);
	return rc;
}

int cmd_peak(int argc, char **argv)
{
	const char *func = NULL;
	const struct option opts[] = {
		{ 0, "func", OPT_STRING, &func },
		{ 0, NULL, 0, NULL },
	};
	char **names = NULL;
	size_t count = 0, i;
	int n, rc = EXIT_OK;

	n = parse_options(argc, argv, opts, PARSE_NEGATIVE_ARGS);
	if (n < 0)
		return parse_exit(n);
	if (n == 0) {
		char *latest;

		if (latest_profile(&latest))
			return EXIT_FAIL;
		rc = peak_file(latest, func);
		free(latest);
		return rc;
	}
	if (resolve_profiles(n, argv, 0, &names, &count))
		rc = EXIT_FAIL;
	for (i = 0; i < count; i++)
		if (peak_file(names[i], func) != EXIT_OK)
			rc = EXIT_FAIL;
	free_names(names, count);
	return rc;
}
