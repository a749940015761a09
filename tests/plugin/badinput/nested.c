/* SPDX-License-Identifier: MIT */
/* GNU C nested functions: called directly, through a pointer (a
 * trampoline on the stack), and left by a non-local goto to a label of the
 * enclosing function, which skips the nested function's exit probe.
 * badinput: */
#include <stdio.h>

static int apply(int (*fn)(int), int n)			/* occ 2 */
{
	int s = 0;						/* occ 2 */
	for (int i = 0; i < n; i++)				/* occ 9 */
		s += fn(i);					/* occ 7 */
	return s;						/* occ 2 */
}

static int outer(int k)						/* occ 1 */
{
	__label__ bail;
	int base = 10;						/* occ 1 */
	int inner(int x)					/* occ 10 */
	{
		if (x == 99)					/* occ 10 */
			goto bail;				/* occ 1 */
		return base + k * x;				/* occ 9 */
	}
	int direct = inner(1) + inner(2);			/* occ 1 */
	int through = apply(inner, 3);				/* occ 1 */
	printf("%d %d\n", direct, through);			/* occ 1 */
	apply(inner, 4);					/* occ 1 */
	inner(99);						/* occ 1 */
	return -1;						/* norow */
bail:
	return direct + through;				/* occ 1 */
}

int main(void)							/* occ 1 */
{
	int r = outer(2);					/* occ 1 */
	printf("%d\n", r);					/* occ 1 */
	return r != (12 + 14) + (10 + 12 + 14);			/* occ 1 */
}
