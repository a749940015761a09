/* SPDX-License-Identifier: MIT */
/*
 * nocall.c - page faults in lines with no call: the loops' short lines
 * touch fresh pages between line events that make no call, most of which
 * store no `cur` (plugin/emit.cc, cur_stores()).  The event after a
 * faulting line finds the figure moved and must charge that line, which
 * the code knows at compile time, whether that event stores `cur` (the
 * last line of a loop's body) or not.  tests/fastpath/compare.sh runs it with the fast
 * path and with MPROF_EXACT=1: the tables must be equal.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define MIB (1024 * 1024)

static void *(*volatile alloc)(size_t) = malloc;

MPROF static long stride_fill(size_t n)
{
	volatile char *p = alloc(n);
	long sum = 0;
	if (!p)
		return -1;
	for (size_t i = 0; i < n / 2; i += 512) {
		sum += (long)i;
		p[i] = (char)i;
		sum ^= 5;
	}
	for (size_t i = n / 2; i < n; i += 512) {
		sum += (long)i;
		sum ^= p[i / 2];
		p[i] = (char)i;
		if (i % 4096 == 0)
			p[n - 1 - i + n / 2] = 1;
		sum += 3;
	}
	free((void *)p);
	return sum;
}

int main(void)
{
	long s = stride_fill(16 * MIB) + stride_fill(8 * MIB);
	printf("%ld\n", s);
	return 0;
}
