/* SPDX-License-Identifier: MIT */
/* __builtin_apply_args / __builtin_apply / __builtin_return: a function
 * that forwards its own arguments and return value to another.
 * badinput: */
#include <stdio.h>

static double target(int a, double b, int c)			/* occ 3 */
{
	return a + b * c;					/* occ 3 */
}

static double forward(int a, double b, int c)			/* occ 3 */
{
	void *args = __builtin_apply_args();			/* occ 3 */
	void *ret = __builtin_apply((void (*)())target, args, 64);	/* occ 3 */
	__builtin_return(ret);					/* occ 3 */
}

int main(void)							/* occ 1 */
{
	double s = 0;						/* occ 1 */
	for (int i = 1; i <= 3; i++)				/* occ 4 */
		s += forward(i, 0.5, i * 2);			/* occ 3 */
	printf("%g\n", s);					/* occ 1 */
	return s != (1 + 1) + (2 + 2) + (3 + 3);		/* occ 1 */
}
