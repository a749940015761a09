/* SPDX-License-Identifier: MIT */
/*
 * limit.c - a profiled function whose memory grows in three steps of
 * known sizes, for MPROF_LIMIT (tests/cli/t_limit.sh): 1 MiB, then 5 MiB,
 * then 21 MiB allocated (heap backend: on the malloc lines), each block
 * filled (rss backend: on the memset lines), then all freed but the first.
 * Prints "before" and "after" around the call, so a run that stops at the
 * limit shows where.  With argument "call", call() instead (below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define MIB (1 << 20)

MPROF static char *grow(void)
{
	char *volatile a = malloc(1 * MIB);
	memset(a, 1, 1 * MIB);
	char *volatile b = malloc(4 * MIB);
	memset(b, 2, 4 * MIB);
	char *volatile c = malloc(16 * MIB);
	memset(c, 3, 16 * MIB);
	free(c);
	free(b);
	return a;
}

/* call(): 2 MiB allocated in a one-line function, then 6 MiB on a line
 * that also calls a profiled function, whose entry sees the figure first. */
MPROF static char *take(size_t n) { return malloc(n); }

MPROF static size_t touch(char *p, size_t n)
{
	memset(p, 4, n);
	free(p);
	return n;
}

MPROF static size_t call(void)
{
	char *volatile p = take(2 * MIB);
	size_t n = touch(malloc(6 * MIB), 6 * MIB);
	free(p);
	return n;
}

int main(int argc, char **argv)
{
	char *a;

	if (argc > 1 && !strcmp(argv[1], "call")) {
		printf("call %zu\n", call());
		return 0;
	}
	printf("before\n");
	fflush(stdout);
	a = grow();
	printf("after %d\n", a[10]);
	free(a);
	return 0;
}
