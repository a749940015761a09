/* SPDX-License-Identifier: MIT */
/* noreturn functions: one that exits the process from three frames down
 * (the at-exit report must still come, with those frames' counts), one
 * that longjmps, and __builtin_unreachable after a call to one.  The lines
 * still running when exit() is called never complete, so by docs/columns.md
 * they have no occurrence (memory_profiler, whose sys.exit unwinds, would
 * count them): no marker on those.  The setjmp line's count may include
 * its second returns (tests/plugin/repro/setjmp-line-reentry.c).
 * badinput: */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf env;

__attribute__((noreturn)) static void bail(int code)		/* occ 2 */
{
	longjmp(env, code);					/* occ 2 */
}

__attribute__((noreturn)) static void finish(int v)		/* occ 1 */
{
	printf("%d\n", v);					/* occ 1 */
	fflush(stdout);						/* occ 1 */
	exit(v == 7 ? 0 : 1);
}

static int level2(int v)					/* occ 1 */
{
	if (v > 0)						/* occ 1 */
		finish(v);
	__builtin_unreachable();
}

static int level1(int v)					/* occ 1 */
{
	return level2(v + 1);
}

int main(void)							/* occ 1 */
{
	volatile int got = 0;					/* occ 1 */
	int r = setjmp(env);					/* occ 1|3 */
	got += r;						/* occ 3 */
	if (got < 6)						/* occ 3 */
		bail(3);					/* occ 2 */
	return level1(got);
}
