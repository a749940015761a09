/* SPDX-License-Identifier: MIT */
/*
 * ownmalloc.c - a program with a malloc of its own (a bump allocator),
 * which its own calls reach directly: the heap backend cannot follow it
 * and says so (tests/cli/t_allocators.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

/* A bump allocator; free gives nothing back. */
static char arena[64 << 20];
static size_t used;

void *malloc(size_t n)
{
	void *p = arena + used;

	used += (n + 15) & ~(size_t)15;
	return used <= sizeof arena ? p : NULL;
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t a, size_t b)
{
	void *p = malloc(a * b);

	if (p)
		memset(p, 0, a * b);
	return p;
}

void *realloc(void *p, size_t n)
{
	void *q = malloc(n);

	if (q && p)
		memcpy(q, p, n);
	return q;
}

MPROF static int work(void)
{
	char *volatile a = malloc(4 << 20);

	memset(a, 1, 4 << 20);
	free(a);
	return a[7];
}

int main(void)
{
	printf("%d\n", work());
	return 0;
}
