/* SPDX-License-Identifier: MIT */
/*
 * e2e_inline.c - a helper inlined at -O2: its 4 MiB fill is charged to
 * the helper's own line, in the helper's table.
 */
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((always_inline)) void touch(volatile char *p,
							 size_t n)
{
	for (size_t i = 0; i < n; i += 4096) p[i] = 1;
}

int main(void)
{
	volatile char *p = malloc(4u << 20);

	touch(p, 4u << 20);
	printf("%d\n", p[4096]);
	return 0;
}
