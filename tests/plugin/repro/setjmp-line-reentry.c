/* SPDX-License-Identifier: MIT */
/*
 * Expect: same (output); minor table question: row 41 reads 1, the spec's
 * rule ("control enters line L from a different line") says 2
 *
 * setjmp-line-reentry.c - a second return from setjmp re-enters its
 * line from the longjmp's line, but no event fires for it.
 *
 * Found by: tests/plugin/badinput (setjmp.c).
 * Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         setjmp-line-reentry.c -o s && MPROF_BACKEND=heap ./s
 * Got: row 41 (`if (sigsetjmp(env, 1) == 0) {`) 1; row 43 (siglongjmp) 1;
 * row 45 1.  When the setjmp call and the test of its result are on
 * different lines (`r = setjmp(env);` / `if (r)`), the second line does get
 * both events, so tables differ with the layout of the same code.
 *
 * Analysis: in the CFG the abnormal edge of a setjmp receiver goes from
 * .ABNORMAL_DISPATCHER to the block *starting with* the setjmp call, so a
 * probe placed there (even with tests/plugin/repro/computed-goto-lines.c's
 * patch, which does put one there) sits before the call.  The machine
 * resumes after the call (the jmp_buf holds its return address), so that
 * probe never runs on the second return.
 *
 * Suggestion (plugin/lines.cc): treat a block that starts with a
 * returns_twice call (gimple_call_flags & ECF_RETURNS_TWICE) as having no
 * line of its own and give its fall-through successor the event, as if
 * that successor had an abnormal predecessor -- the probe then runs after
 * the call, on both returns.  Low priority: setjmp is rare and the count
 * is only off by the number of longjmps.
 */
#include <setjmp.h>
#include <stdio.h>

static sigjmp_buf env;

int main(void)
{
	volatile int s = 0;

	if (sigsetjmp(env, 1) == 0) {
		s = 1;
		siglongjmp(env, 1);
	}
	printf("%d\n", s);
	return s != 1;
}
