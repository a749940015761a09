/* SPDX-License-Identifier: MIT */
/* setjmp/longjmp out of a recursion of instrumented frames (their exit
 * probes never run), sigsetjmp, and calls counted correctly afterwards.
 * A second return from setjmp may come to count on the setjmp's line
 * (tests/plugin/repro/setjmp-line-reentry.c): both counts accepted there.
 * No marker on `continue;` (repro/jump-statement-lines.c).
 * badinput: */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static sigjmp_buf senv;

static void dive(int n)						/* occ 18 */
{
	if (n == 5)						/* occ 18 */
		longjmp(env, n);				/* occ 3 */
	dive(n + 1);						/* occ 15 */
}

static int after(int x)						/* occ 3 */
{
	return x * 2;						/* occ 3 */
}

int main(void)							/* occ 1 */
{
	int hits = 0;						/* occ 1 */
	for (int i = 0; i < 3; i++) {				/* occ 4 */
		int r = setjmp(env);				/* occ 3|6 */
		if (r) {					/* occ 6 */
			hits += after(r);			/* occ 3 */
			continue;
		}
		dive(0);					/* occ 3 */
	}
	volatile int s = 0;					/* occ 1 */
	if (sigsetjmp(senv, 1) == 0) {				/* see repro/setjmp-line-reentry.c */
		s = 1;						/* occ 1 */
		siglongjmp(senv, 1);				/* occ 1 */
	}
	printf("%d %d\n", hits, s);				/* occ 1 */
	return !(hits == 30 && s == 1);				/* occ 1 */
}
