/* SPDX-License-Identifier: MIT */
/*
 * inlined.c - profiled functions inlined into a profiled caller run in
 * local frames (runtime/mprof_abi.h, "Local frames"): their lines touch
 * fresh pages with no call (the figure moves between two inline events
 * of the frame), call malloc (a real call below the frame), and one
 * nests another.  The first event that finds the figure moved has the
 * runtime adopt the frames and charge the line; an exit that finds it
 * moved charges the frame's last line.  tests/fastpath/compare.sh runs it
 * with the fast path and with MPROF_EXACT=1, where every entry calls:
 * the tables must be equal.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define KIB 1024
#define INLINE MPROF static inline __attribute__((always_inline))

static void *(*volatile alloc)(size_t) = malloc;

/* Touches a page every other iteration: faults between inline events. */
INLINE long touch(volatile char *p, size_t from, size_t to)
{
	long sum = 0;
	for (size_t i = from; i < to; i += 2048) {
		sum += (long)i;
		p[i] = (char)i;
	}
	return sum;
}

/* A local frame that calls: malloc below it, then its pages touched
   in a nested local frame, whose last line faults just before its exit. */
INLINE volatile char *fresh(size_t n)
{
	volatile char *p = alloc(n);
	if (!p)
		return NULL;
	p[0] = 1;
	touch(p, 4096, n);
	p[n - 1] = 2;
	return p;
}

/* Quiet unless `n` is large: most calls change nothing. */
INLINE long small(long x, long n)
{
	long y = x * 3;
	if (n > 1000)
		y += n;
	return y ^ 1;
}

MPROF static long run(int rounds)
{
	long sum = 0;
	for (int r = 0; r < rounds; r++) {
		sum += small(sum, r);
		if (r % 64 == 0) {
			volatile char *p = fresh((size_t)(256 + r) * KIB);
			if (p)
				sum += p[0];
		}
	}
	return sum;
}

int main(void)
{
	printf("%ld\n", run(1024));
	return 0;
}
