/* SPDX-License-Identifier: MIT */
/*
 * test_region.c - measured regions (runtime/region.c, include/mprof.h):
 * exact peak, net growth, allocation calls and bytes asked, with blocks of
 * known sizes; realloc and calloc; nested and overlapping regions; a
 * region around threads; mprof_limit_check()'s verdicts and message.  This
 * program is not built with the plugin: the figures are the whole
 * region's, with no lines -- the case of a test that only links libmprof.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mprof.h"

static void *_Atomic sink;

/* Keep GCC from pairing a malloc with its free and dropping both. */
static void *keep(void *p)
{
	atomic_store_explicit(&sink, p, memory_order_relaxed);
	return p;
}

/* The four figures of a measured region. */
static void expect(const struct mprof_region *r, int64_t peak, int64_t net,
		   uint64_t allocs, uint64_t requested)
{
	assert_int_equal(r->measured, 1);
	assert_int_equal(r->peak, peak);
	assert_int_equal(r->net, net);
	assert_int_equal(r->allocs, allocs);
	assert_int_equal(r->requested, requested);
}

/* Peak of a malloc(1000), malloc(3000), free(first): 4000; net 3000. */
static void test_exact(void **state)
{
	struct mprof_region r;
	void *a, *b;

	(void)state;
	assert_int_equal(mprof_region_begin(&r), 0);
	a = keep(malloc(1000));
	b = keep(malloc(3000));
	free(a);
	assert_int_equal(mprof_region_end(&r), 0);
	expect(&r, 4000, 3000, 2, 4000);
	assert_int_equal(r.nlines, 0);
	free(b);
}

/* Freeing what was allocated before: the peak is never below 0. */
static void test_shrinking(void **state)
{
	struct mprof_region r;
	void *a = keep(malloc(5000));

	(void)state;
	mprof_region_begin(&r);
	free(a);
	mprof_region_end(&r);
	expect(&r, 0, -5000, 0, 0);
}

/* realloc is an allocation of its new size; calloc of n * size. */
static void test_realloc_calloc(void **state)
{
	struct mprof_region r;
	void *a, *c;

	(void)state;
	mprof_region_begin(&r);
	a = keep(malloc(100));
	a = keep(realloc(a, 10000));
	c = keep(calloc(10, 30));
	free(c);
	mprof_region_end(&r);
	expect(&r, 10300, 10000, 3, 10400);
	free(a);
}

/*
 * Nested: the inner region's peak is its own; the outer one's covers it,
 * and keeps its own earlier peak (9000 more, freed before the inner one
 * began: the inner begin restarts the high-water mark).
 */
static void test_nested(void **state)
{
	struct mprof_region outer, inner;
	void *a, *b, *c;

	(void)state;
	mprof_region_begin(&outer);
	a = keep(malloc(1000));
	free(keep(malloc(9000)));
	mprof_region_begin(&inner);
	b = keep(malloc(5000));
	free(b);
	mprof_region_end(&inner);
	c = keep(malloc(2000));
	mprof_region_end(&outer);
	expect(&inner, 5000, 0, 1, 5000);
	expect(&outer, 10000, 3000, 4, 17000);
	free(a);
	free(c);
}

/* Overlapping, not nested: A opens, B opens, A closes, B closes. */
static void test_overlapping(void **state)
{
	struct mprof_region a, b;
	void *x, *y;

	(void)state;
	mprof_region_begin(&a);
	x = keep(malloc(7000));		/* A's peak */
	mprof_region_begin(&b);
	free(x);
	y = keep(malloc(2000));
	mprof_region_end(&a);
	free(y);
	y = keep(malloc(9000));		/* B's peak: 2000 over its start */
	mprof_region_end(&b);
	expect(&a, 7000, 2000, 2, 9000);
	expect(&b, 2000, 2000, 2, 11000);
	free(y);
}

#define NTHREADS	4
#define PER_THREAD	(1 << 20)

static void *grab(void *arg)
{
	(void)arg;
	return keep(malloc(PER_THREAD));
}

/*
 * A region around threads: their allocations are counted (memory is
 * process-wide), whichever threads the wrappers run in.  Thread creation
 * may allocate a little of its own through malloc.
 */
static void test_threads(void **state)
{
	pthread_t t[NTHREADS];
	void *blocks[NTHREADS];
	struct mprof_region r;
	int i;

	(void)state;
	mprof_region_begin(&r);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, grab, NULL), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], &blocks[i]);
	mprof_region_end(&r);
	assert_true(r.net >= NTHREADS * PER_THREAD);
	assert_true(r.net < NTHREADS * PER_THREAD + 65536);
	assert_true(r.peak >= r.net);
	assert_true(r.allocs >= NTHREADS);
	assert_true(r.requested >= (uint64_t)NTHREADS * PER_THREAD);
	for (i = 0; i < NTHREADS; i++)
		free(blocks[i]);
}

static pthread_barrier_t both_open, both_allocated;

/* A thread's own region around its own block of `arg` bytes. */
static void *own_region(void *arg)
{
	struct mprof_region *r = arg;
	size_t n = (size_t)r->peak;
	void *p;

	mprof_region_begin(r);
	pthread_barrier_wait(&both_open);
	p = keep(malloc(n));
	pthread_barrier_wait(&both_allocated);
	free(p);
	mprof_region_end(r);
	return NULL;
}

/*
 * Regions open at once in two threads: both blocks were alive together
 * while both were open, so each region's peak holds both (process-wide),
 * whichever thread restarted the high-water mark last.
 */
static void test_concurrent_regions(void **state)
{
	struct mprof_region r[2];
	pthread_t t[2];
	int i;

	(void)state;
	pthread_barrier_init(&both_open, NULL, 2);
	pthread_barrier_init(&both_allocated, NULL, 2);
	r[0].peak = 300000;		/* the size to allocate, on the way in */
	r[1].peak = 500000;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, own_region, &r[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		assert_true(r[i].peak >= 800000);
		assert_true(r[i].peak < 800000 + 65536);
		assert_true(r[i].allocs >= 1);
	}
	pthread_barrier_destroy(&both_open);
	pthread_barrier_destroy(&both_allocated);
}

/* Closing a region that is not open: -1, EINVAL (even if its memory
 * says open); opening an open one: -1, EBUSY, and it stays open. */
static void test_not_open(void **state)
{
	struct mprof_region r, copy;
	void *p;

	(void)state;
	memset(&r, 0, sizeof(r));
	errno = 0;
	assert_int_equal(mprof_region_end(&r), -1);
	assert_int_equal(errno, EINVAL);
	mprof_region_begin(&r);
	copy = r;
	errno = 0;
	assert_int_equal(mprof_region_begin(&r), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(mprof_region_end(&copy), -1);
	p = keep(malloc(10));
	assert_int_equal(mprof_region_end(&r), 0);
	expect(&r, 10, 10, 1, 10);
	assert_int_equal(mprof_region_end(&r), -1);
	free(p);
}

/* The verdicts and the message, exactly; a short buffer stays a string. */
static void test_limit_check(void **state)
{
	struct mprof_region r;
	char msg[MPROF_MSG_SIZE], small[16];
	void *a, *b;

	(void)state;
	mprof_region_begin(&r);
	a = keep(malloc(1000));
	b = keep(malloc(3000));
	free(a);
	mprof_region_end(&r);
	free(b);
	assert_int_equal(mprof_limit_check(&r, 4000, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(mprof_limit_check(&r, (size_t)-1, msg, sizeof(msg)), 0);
	assert_int_equal(mprof_limit_check(&r, 3999, msg, sizeof(msg)), 1);
	assert_string_equal(msg,
		"memory limit 3.9 KiB exceeded: peak 3.9 KiB (4000 bytes), net +2.9 KiB, 2 allocations of 3.9 KiB\n"
		"(no lines: no profiled function's Increment grew in the region)");
	assert_int_equal(mprof_limit_check(&r, 100, small, sizeof(small)), 1);
	assert_string_equal(small, "memory limit 10");
	assert_int_equal(mprof_limit_check(&r, 100, NULL, 0), 1);
}

/* MPROF_LIMIT_MEMORY and MPROF_ASSERT_LIMIT fail through MPROF_FAIL:
 * cmocka's fail_msg here, since cmocka.h came first. */
static void test_macros(void **state)
{
	struct mprof_region r;
	void *p = NULL;

	(void)state;
	MPROF_LIMIT_MEMORY(100, p = keep(malloc(50)));
	free(p);
	MPROF_MEASURE(&r, p = keep(malloc(70)));
	MPROF_ASSERT_LIMIT(&r, 70);
	free(p);
	expect(&r, 70, 70, 1, 70);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_shrinking),
		cmocka_unit_test(test_realloc_calloc),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_overlapping),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_concurrent_regions),
		cmocka_unit_test(test_not_open),
		cmocka_unit_test(test_limit_check),
		cmocka_unit_test(test_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
