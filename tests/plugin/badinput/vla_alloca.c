/* SPDX-License-Identifier: MIT */
/* Variable-length arrays and alloca in loops: the stack is saved and
 * restored around each VLA's scope; alloca grows the frame until return.
 * The VLA's declaration line has its row (tests/plugin/repro/
 * vla-declaration-line.c).
 * badinput: */
#include <alloca.h>
#include <stdio.h>
#include <string.h>

static long vla_sum(int n)					/* occ 20 */
{
	long total = 0;						/* occ 20 */
	for (int i = 1; i <= n; i++) {				/* occ 230 */
		int a[i];					/* occ 210 */
		for (int j = 0; j < i; j++)			/* occ 1750 */
			a[j] = j;				/* occ 1540 */
		total += a[i - 1];				/* occ 210 */
	}
	return total;						/* occ 20 */
}

static int alloca_sum(int n)					/* occ 1 */
{
	int s = 0;						/* occ 1 */
	for (int i = 1; i <= n; i++) {				/* occ 101 */
		char *p = alloca(i);				/* occ 100 */
		memset(p, 1, i);				/* occ 100 */
		s += p[i - 1];					/* occ 100 */
	}
	return s;						/* occ 1 */
}

int main(void)							/* occ 1 */
{
	long v = 0;						/* occ 1 */
	for (int k = 1; k <= 20; k++)				/* occ 21 */
		v += vla_sum(k);				/* occ 20 */
	int a = alloca_sum(100);				/* occ 1 */
	printf("%ld %d\n", v, a);				/* occ 1 */
	return !(v == 1330 && a == 100);			/* occ 1 */
}
