/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - the registry of function descriptors that ran
 * (runtime/registry.c): a function added twice is listed once, only
 * functions with counted lines reach the profile, with exactly their
 * counted rows; the signature row's first entry is claimed once until a
 * fork child zeroes the counts; a collection whose allocator or profile
 * builder fails says so; and a module unloaded with dlclose() leaves a
 * snapshot of its functions, strings included, in the registry.
 *
 * Descriptors are made by hand as the plugin emits them; the test writes
 * their sites' counts itself, as the owner thread's probes do.  The
 * registry is process-wide and never forgets a function, so every test
 * starts from mp_registry_zero() (no counts, no first entry claimed).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counts.h"
#include "internal.h"
#include "profile.h"

#define NSITES 3

/* A descriptor and its sites, lines first..first+NSITES-1. */
struct desc {
	struct __mprof_func fn;
	struct __mprof_site sites[NSITES];
	int32_t lines[NSITES];
};

static struct desc da, db, dc;

static void make(struct desc *d, const char *name, int32_t first)
{
	memset(d, 0, sizeof *d);
	d->fn.version = MPROF_ABI_VERSION;
	d->fn.nsites = NSITES;
	d->fn.file = "reg.c";
	d->fn.dir = "/src";
	d->fn.name = name;
	d->fn.first_line = first;
	d->fn.last_line = first + NSITES;
	d->fn.sites = d->sites;
	d->fn.lines = d->lines;
	for (int i = 0; i < NSITES; i++) {
		d->sites[i].func = &d->fn;
		d->lines[i] = first + i;
	}
}

static void count(struct __mprof_site *s, uint64_t n, int64_t incr,
		  int64_t peak)
{
	s->count = n;
	s->incr = incr;
	s->peak = peak;
}

static int zero(void **state)
{
	(void)state;
	mp_registry_zero();
	return 0;
}

/* The function of `p` named `name`, or NULL. */
static const struct mp_func *find(const struct mp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->nfuncs; i++)
		if (!strcmp(p->funcs[i].name, name))
			return &p->funcs[i];
	return NULL;
}

static void assert_row(const struct mp_row *r, int32_t line, uint64_t n,
		       int64_t incr, int64_t peak)
{
	assert_int_equal(r->line, line);
	assert_int_equal(r->count, n);
	assert_int_equal(r->incr, incr);
	assert_int_equal(r->peak, peak);
}

static int setup_all(void **state)
{
	(void)state;
	make(&da, "fa", 10);
	make(&db, "fb", 20);
	make(&dc, "fc", 30);
	mp_registry_add(&da.fn);
	mp_registry_add(&db.fn);
	mp_registry_add(&dc.fn);
	return 0;
}

/* Added again (every first entry of a thread adds it), a function is still
 * listed once, with its counted rows only, and a registered function with
 * no counted line is left out. */
static void test_add_once_counted_rows(void **state)
{
	struct mp_profile p;
	const struct mp_func *f;

	(void)state;
	mp_registry_add(&da.fn);
	mp_registry_add(&da.fn);
	count(&da.sites[0], 1, 4096, 8192);
	count(&da.sites[2], 7, -100, 9000);
	count(&db.sites[1], 2, 0, 10);
	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 2);
	assert_int_equal(p.nfuncs, 2);
	assert_null(find(&p, "fc"));
	f = find(&p, "fa");
	assert_non_null(f);
	assert_string_equal(f->file, "reg.c");
	assert_string_equal(f->dir, "/src");
	assert_int_equal(f->first_line, 10);
	assert_int_equal(f->last_line, 13);
	assert_int_equal(f->nrows, 2);
	assert_row(&f->rows[0], 10, 1, 4096, 8192);
	assert_row(&f->rows[1], 12, 7, -100, 9000);
	f = find(&p, "fb");
	assert_non_null(f);
	assert_int_equal(f->nrows, 1);
	assert_row(&f->rows[0], 21, 2, 0, 10);
	mp_profile_free(&p);
}

/* The entry probe's order: a descriptor is linked, then its first call
 * claims the signature row; a second add links it no second time. */
static void test_add_then_first(void **state)
{
	static struct desc d;
	struct mp_profile p;

	(void)state;
	make(&d, "first_then_add", 50);
	mp_registry_add(&d.fn);
	assert_true(mp_registry_first(&d.fn));
	mp_registry_add(&d.fn);
	count(&d.sites[1], 3, 1, 2);
	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 1);
	assert_non_null(find(&p, "first_then_add"));
	mp_profile_free(&p);
}

/* The signature row's Increment is claimed by one entry only; a fork
 * child's zeroing gives the claim back, and zeroes every count. */
static void test_first_once_until_zero(void **state)
{
	struct mp_profile p;

	(void)state;
	assert_true(mp_registry_first(&db.fn));
	assert_false(mp_registry_first(&db.fn));
	assert_false(mp_registry_first(&db.fn));
	assert_true(mp_registry_first(&dc.fn));
	count(&db.sites[0], 5, 5, 5);
	mp_registry_zero();
	assert_int_equal(db.sites[0].count, 0);
	assert_int_equal(db.sites[0].incr, 0);
	assert_int_equal(db.sites[0].peak, 0);
	assert_true(mp_registry_first(&db.fn));
	assert_false(mp_registry_first(&db.fn));
	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 0);
	assert_int_equal(p.nfuncs, 0);
	mp_profile_free(&p);
}

/* mp_registry_totals gives a function's counters; its lines stay in
   the descriptor. */
static void test_totals(void **state)
{
	struct __mprof_site into[NSITES];
	struct mp_gather g;

	(void)state;
	count(&dc.sites[1], 9, 64, 128);
	memset(into, 0xff, sizeof into);
	assert_int_equal(mp_counts_gather(&g), 0);
	mp_registry_totals(&g, &dc.fn, into);
	mp_counts_ungather(&g);
	for (int i = 0; i < NSITES; i++)
		assert_int_equal(dc.fn.lines[i], 30 + i);
	assert_int_equal(into[0].count, 0);
	assert_int_equal(into[1].count, 9);
	assert_int_equal(into[1].incr, 64);
	assert_int_equal(into[1].peak, 128);
	assert_int_equal(into[2].count, 0);
}

/* ---- mp_registry_collect_with: its allocator and builder failing ---- */

static int added, add_fail_at = -1;
static int grows, grow_fail_at = -1;

static int add_func(struct mp_profile *p, const char *file, const char *dir,
		    const char *name, int32_t first_line, int32_t last_line,
		    const struct mp_row *rows, size_t nrows)
{
	if (added++ == add_fail_at)
		return -1;
	return mp_profile_add_func(p, file, dir, name, first_line, last_line,
				   rows, nrows);
}

static void *grow(void *p, size_t n)
{
	if (grows++ == grow_fail_at)
		return NULL;
	return realloc(p, n);
}

static long collect_with(struct mp_profile *p, int crashing)
{
	struct mp_collect_env env = {
		.add_func = add_func, .grow = grow, .release = free,
		.crashing = crashing,
	};

	added = grows = 0;
	mp_profile_init(p);
	return mp_registry_collect_with(p, &env);
}

/* The builder failing on the second function: -1, and the first stays
 * in the profile. */
static void test_collect_add_fails(void **state)
{
	struct mp_profile p;

	(void)state;
	count(&da.sites[0], 1, 1, 1);
	count(&db.sites[0], 1, 1, 1);
	add_fail_at = 1;
	assert_int_equal(collect_with(&p, 0), -1);
	add_fail_at = -1;
	assert_int_equal(p.nfuncs, 1);
	mp_profile_free(&p);
}

/* No memory for the rows: -1 and nothing added. */
static void test_collect_grow_fails(void **state)
{
	struct mp_profile p;

	(void)state;
	count(&da.sites[0], 1, 1, 1);
	grow_fail_at = 0;
	assert_int_equal(collect_with(&p, 0), -1);
	grow_fail_at = -1;
	assert_int_equal(p.nfuncs, 0);
	mp_profile_free(&p);
}

/* From a fatal signal (crashing), the same profile as usual. */
static void test_collect_crashing(void **state)
{
	struct mp_profile p;

	(void)state;
	count(&dc.sites[2], 4, 8, 16);
	assert_int_equal(collect_with(&p, 1), 1);
	assert_int_equal(p.nfuncs, 1);
	assert_row(&p.funcs[0].rows[0], 32, 4, 8, 16);
	mp_profile_free(&p);
}

/* A module that ran a profiled function is dlclose()d: its descriptor,
 * sites and strings are unmapped, yet the profile still has the function
 * with its counts, from the snapshot taken as it was unloaded. */
static void test_snapshot_at_dlclose(void **state)
{
	struct __mprof_func *(*get)(void);
	struct __mprof_func *f;
	struct mp_profile p;
	const struct mp_func *g;
	void *h;

	(void)state;
	h = dlopen(REGISTRY_MOD, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	*(void **)&get = dlsym(h, "registry_mod_func");
	assert_non_null(get);
	f = get();
	mp_registry_add(f);
	assert_true(mp_registry_first(f));
	count(&f->sites[0], 1, 1000, 2000);
	count(&f->sites[2], 3, -500, 1500);
	assert_int_equal(dlclose(h), 0);
	/* The module is gone: its descriptor may not be read any more. */
	assert_null(dlopen(REGISTRY_MOD, RTLD_NOW | RTLD_NOLOAD));

	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 1);
	g = find(&p, "unloaded_fn");
	assert_non_null(g);
	assert_string_equal(g->file, "registry_mod.c");
	assert_string_equal(g->dir, "/fixtures");
	assert_int_equal(g->first_line, 40);
	assert_int_equal(g->last_line, 43);
	assert_int_equal(g->nrows, 2);
	assert_row(&g->rows[0], 40, 1, 1000, 2000);
	assert_row(&g->rows[1], 42, 3, -500, 1500);
	mp_profile_free(&p);

	/* The snapshot is a registered function like any other: a fork
	 * child's zeroing empties it too. */
	mp_registry_zero();
	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 0);
	mp_profile_free(&p);
}

/* Loaded again at the same or another address, the module's function is a
 * new descriptor: registered again, snapshotted again, and both copies
 * are in the registry (the report merges functions of one name). */
static void test_snapshot_reloaded(void **state)
{
	struct __mprof_func *(*get)(void);
	struct __mprof_func *f;
	struct mp_profile p;
	void *h;
	long n = 0;

	(void)state;
	h = dlopen(REGISTRY_MOD, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	*(void **)&get = dlsym(h, "registry_mod_func");
	f = get();
	assert_int_equal(f->sites[1].count, 0);
	mp_registry_add(f);
	count(&f->sites[1], 6, 60, 600);
	assert_int_equal(dlclose(h), 0);
	mp_profile_init(&p);
	assert_int_equal(mp_registry_collect(&p), 1);
	for (size_t i = 0; i < p.nfuncs; i++)
		n += !strcmp(p.funcs[i].name, "unloaded_fn");
	assert_int_equal(n, 1);
	assert_row(&find(&p, "unloaded_fn")->rows[0], 41, 6, 60, 600);
	mp_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add_once_counted_rows, zero),
		cmocka_unit_test_setup(test_add_then_first, zero),
		cmocka_unit_test_setup(test_first_once_until_zero, zero),
		cmocka_unit_test_setup(test_totals, zero),
		cmocka_unit_test_setup(test_collect_add_fails, zero),
		cmocka_unit_test_setup(test_collect_grow_fails, zero),
		cmocka_unit_test_setup(test_collect_crashing, zero),
		cmocka_unit_test_setup(test_snapshot_at_dlclose, zero),
		cmocka_unit_test_setup(test_snapshot_reloaded, zero),
	};

	return cmocka_run_group_tests(tests, setup_all, NULL);
}
