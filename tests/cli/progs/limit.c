/* SPDX-License-Identifier: MIT */
/*
 * limit.c - a profiled function whose memory grows in three steps of
 * known sizes, for MPROF_LIMIT (tests/cli/t_limit.sh): 1 MiB, then 5 MiB,
 * then 21 MiB allocated (heap backend: on the malloc lines), each block
 * filled (rss backend: on the memset lines), then all freed but the first.
 * Prints "before" and "after" around the call, so a run that stops at the
 * limit shows where.
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

int main(void)
{
	char *a;

	printf("before\n");
	fflush(stdout);
	a = grow();
	printf("after %d\n", a[10]);
	free(a);
	return 0;
}
