/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the cost of one line event (docs/performance.md, "The targets"),
 * measured from inside a program built with the plugin:
 *
 *     gcc -O2 -fplugin=build/lib/mprof.so -Iinclude bench/micro/probe.c \
 *         -o /tmp/probe -pthread && /tmp/probe
 *
 * Each kernel below exists twice, compiled from one macro: an MPROF copy
 * (instrumented: one probe call per line event) and a plain copy.  The cost
 * of an event is (instrumented time - plain time) / events, the median of
 * several runs, so the work of the loop itself cancels out.
 *
 *   quiet   one-line loop, one event per iteration on the same line, no
 *           memory change (the common case: a hot loop)
 *   two     two lines per iteration, alternating sites, no memory change
 *   call    a call of a two-line profiled function per iteration, from a
 *           plain loop: entry, two line events and exit
 *   inlined the same function inlined into a profiled loop: its record a
 *           local frame (runtime/mprof_abi.h), entered and left inline
 *   pages   one event per iteration, each iteration writes to a new page:
 *           the cost of noticing that memory changed (a read of the figure)
 *   alloc   malloc(64) + free per iteration, uninstrumented, with 1 and 2
 *           threads: the heap backend's wrappers (exact byte counts) and
 *           the rss backend's (free may give memory back), against the vms
 *           backend, which wraps neither
 *
 * Without arguments, the program runs itself again under each backend and
 * mode (heap, rss, rss with MPROF_EXACT=1, which reads RSS on every event
 * and so runs 1/100 of the events) and prints one table; with --one it
 * measures the current environment only (PROBE_SCALE=N divides the event
 * counts; PROBE_WHAT=calls runs the two call kernels only).  Each figure
 * is the median of RUNS runs, then the fastest run and the slowest: on a
 * shared machine the fastest is the best estimate of the cost itself, the
 * spread says how noisy the machine was.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mprof.h>

#include "micro.h"
#include "timing.h"

#define RUNS		15		/* medians of this many runs */
#define QUIET_N		(20u * 1000 * 1000)
#define PAGES_N		(16u * 1024)	/* 64 MiB of fresh pages per run */
#define ALLOC_N		(4u * 1000 * 1000)

static unsigned scale = 1;		/* PROBE_SCALE */

static volatile uint64_t sink;

/*
 * The kernels, written out twice: a macro would put a whole function on
 * one source line, and line events need lines.  quiet_prof and quiet_plain
 * are in micro.h.
 */
MPROF static uint64_t two_prof(uint64_t n)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 2862933555777941757u + i;
        x ^= x >> 7;
    }
    return x;
}

static uint64_t two_plain(uint64_t n)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 2862933555777941757u + i;
        x ^= x >> 7;
    }
    return x;
}

MPROF static uint64_t pages_prof(volatile char *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) p[i * 4096] = 1;
    return n;
}

static uint64_t pages_plain(volatile char *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) p[i * 4096] = 1;
    return n;
}

/* The callee of the `call` kernel, and its plain twin. */
MPROF __attribute__((noinline)) static uint64_t leaf_prof(uint64_t x)
{
	x = x * 2862933555777941757u + 3;
	return x ^ (x >> 7);
}

__attribute__((noinline)) static uint64_t leaf_plain(uint64_t x)
{
	x = x * 2862933555777941757u + 3;
	return x ^ (x >> 7);
}

static uint64_t call_prof(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++)
		x = leaf_prof(x + i);
	return x;
}

/* The same calls from a profiled caller: one more line event each. */
MPROF static uint64_t nested_prof(uint64_t n)
{
	uint64_t x = 1;
	for (uint64_t i = 0; i < n; i++) x = leaf_prof(x + i);
	return x;
}

/* The callee inlined into a profiled loop, and its plain twin. */
MPROF static inline __attribute__((always_inline)) uint64_t
leaf_inl_prof(uint64_t x)
{
	x = x * 2862933555777941757u + 3;
	return x ^ (x >> 7);
}

static inline __attribute__((always_inline)) uint64_t
leaf_inl_plain(uint64_t x)
{
	x = x * 2862933555777941757u + 3;
	return x ^ (x >> 7);
}

MPROF static uint64_t inlined_prof(uint64_t n)
{
	uint64_t x = 1;
	for (uint64_t i = 0; i < n; i++) x = leaf_inl_prof(x + i);
	return x;
}

static uint64_t inlined_plain(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++)
		x = leaf_inl_plain(x + i);
	return x;
}

static uint64_t call_plain(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++)
		x = leaf_plain(x + i);
	return x;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 summarise(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return (struct stat3){ v[n / 2], v[0], v[n - 1] };
}

/* ns per event of a no-memory kernel: (prof - plain) / events. */
static struct stat3 time_quiet(uint64_t (*prof)(uint64_t),
			       uint64_t (*plain)(uint64_t), double per_iter)
{
	double d[RUNS];

	uint64_t n = QUIET_N / scale;

	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		sink += plain(n);
		double t1 = now();
		sink += prof(n);
		double t2 = now();
		d[r] = ((t2 - t1) - (t1 - t0)) / (n * per_iter);
	}
	return summarise(d, RUNS);
}

static volatile char *fresh(void)
{
	void *p = mmap(NULL, (size_t)PAGES_N * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("probe: mmap");
		exit(1);
	}
	return p;
}

/* ns per event of the page-touching kernel, and the plain cost per page. */
static struct stat3 time_pages(double *plain_ns)
{
	double d[RUNS], pl[RUNS];

	uint64_t n = PAGES_N / scale;

	for (int r = 0; r < RUNS; r++) {
		volatile char *a = fresh(), *b = fresh();
		double t0 = now();
		sink += pages_plain(a, n);
		double t1 = now();
		sink += pages_prof(b, n);
		double t2 = now();
		munmap((void *)a, (size_t)PAGES_N * 4096);
		munmap((void *)b, (size_t)PAGES_N * 4096);
		d[r] = ((t2 - t1) - (t1 - t0)) / n;
		pl[r] = (t1 - t0) / n;
	}
	*plain_ns = summarise(pl, RUNS).med;
	return summarise(d, RUNS);
}

static void *(*volatile malloc_fn)(size_t) = malloc;

static void *churn(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < ALLOC_N; i++)
		free(malloc_fn(64));
	return NULL;
}

/* ns per malloc+free pair, with `threads` threads doing it at once. */
static struct stat3 time_alloc(int threads)
{
	double d[RUNS];
	pthread_t t[2];

	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		for (int k = 1; k < threads; k++)
			pthread_create(&t[k], NULL, churn, NULL);
		churn(NULL);
		for (int k = 1; k < threads; k++)
			pthread_join(t[k], NULL);
		d[r] = (now() - t0) / ALLOC_N;
	}
	return summarise(d, RUNS);
}

static void row(const char *what, struct stat3 s)
{
	printf("  %-34s %8.2f ns   (fastest %.2f, slowest %.2f)\n", what,
	       s.med, s.min, s.max);
}

static int one(void)
{
	const char *sc = getenv("PROBE_SCALE"), *what = getenv("PROBE_WHAT");
	double plain_page;
	struct stat3 s;

	if (sc && atoi(sc) > 0)
		scale = (unsigned)atoi(sc);
	if (what && !strcmp(what, "alloc")) {
		row("malloc+free, 1 thread", time_alloc(1));
		row("malloc+free, 2 threads", time_alloc(2));
		return 0;
	}
	if (what && !strcmp(what, "calls")) {
		row("call of a two-line function",
		    time_quiet(call_prof, call_plain, 1));
		row("the same, from a profiled loop",
		    time_quiet(nested_prof, call_plain, 1));
		row("the same, inlined into the loop",
		    time_quiet(inlined_prof, inlined_plain, 1));
		return 0;
	}
	row("line event, same line", time_quiet(quiet_prof, quiet_plain, 1));
	row("line event, two lines alternating", time_quiet(two_prof, two_plain, 2));
	row("call of a two-line function", time_quiet(call_prof, call_plain, 1));
	row("the same, from a profiled loop", time_quiet(nested_prof, call_plain, 1));
	row("the same, inlined into the loop",
	    time_quiet(inlined_prof, inlined_plain, 1));
	s = time_pages(&plain_page);
	row("line event after a new page", s);
	printf("  %-34s %8.2f ns\n", "(plain: one page fault)", plain_page);
	if (!what || strcmp(what, "lines")) {
		row("malloc+free, 1 thread", time_alloc(1));
		row("malloc+free, 2 threads", time_alloc(2));
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *title, *backend, *exact, *scale, *what;
	} modes[] = {
		{ "heap backend", "heap", NULL, "1", "all" },
		{ "rss backend (fast path)", "rss", NULL, "1", "all" },
		{ "rss backend, MPROF_EXACT=1 (1/100 of the events)", "rss", "1",
		  "100", "lines" },
		{ "vms backend (no allocation wrappers: the baseline)", "vms",
		  NULL, "1", "alloc" },
	};

	if (argc > 1 && !strcmp(argv[1], "--one"))
		return one();
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		printf("%s\n", modes[i].title);
		setenv("PROBE_SCALE", modes[i].scale, 1);
		setenv("PROBE_WHAT", modes[i].what, 1);
		if (run_self(argv[0], modes[i].backend, modes[i].exact))
			return 1;
	}
	return 0;
}
