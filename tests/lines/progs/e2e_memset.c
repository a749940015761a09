/* SPDX-License-Identifier: MIT */
/*
 * e2e_memset.c - memory touched inside libc: memset fills 8 MiB (rss: its
 * faults are charged to the memset line), strdup copies a 2 MiB string
 * (heap: the malloc inside strdup is charged to the strdup line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fill(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	return p;
}

static char *copy(const char *s)
{
	char *d = strdup(s);
	return d;
}

int main(void)
{
	char *p = fill(8u << 20);
	char *s = malloc(2u << 20);

	memset(s, 'x', (2u << 20) - 1);
	s[(2u << 20) - 1] = 0;
	char *d = copy(s);
	printf("%d %d\n", p[100], d[5]);
	return 0;
}
