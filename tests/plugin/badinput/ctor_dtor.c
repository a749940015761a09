/* SPDX-License-Identifier: MIT */
/* Constructors and destructors, instrumented.  The plugin's constructor
 * (priority 100) binds the runtime: a constructor of priority 50 runs
 * before it, so its probes find no runtime (they must do nothing, and its
 * lines have no marker: whether they count is not settled); those of
 * priority 101 and of default priority run after it and are counted.  An
 * atexit handler registered in main runs before the report (README), so
 * is counted; destructors run after it and must not crash it, nor one of
 * priority 50, which runs after the runtime's own.
 * badinput: flags=-Wno-prio-ctor-dtor */
#include <stdio.h>
#include <stdlib.h>

static int order[4], n, calls;

static int helper(int x)
{
	calls++;
	return x;
}

__attribute__((constructor(50))) static void before_runtime(void)
{
	char *p = malloc(100);
	order[n++] = helper(1);
	free(p);
}

__attribute__((constructor(101))) static void early(void)	/* occ 1 */
{
	order[n++] = helper(2);					/* occ 1 */
}

__attribute__((constructor)) static void late(void)		/* occ 1 */
{
	order[n++] = helper(3);					/* occ 1 */
	char *p = malloc(100);					/* occ 1 */
	free(p);						/* occ 1 */
}

__attribute__((destructor)) static void bye(void)
{
	char *p = malloc(100);
	free(p);
	if (calls != 5 || helper(0))	/* 3 constructors, main, atexit */
		_Exit(3);
}

__attribute__((destructor(50))) static void last(void)
{
	if (helper(n) != 4)		/* 3 constructors, the atexit handler */
		_Exit(4);
}

static void at_exit_handler(void)				/* occ 1 */
{
	n++;							/* occ 1 */
	helper(0);						/* occ 1 */
}

int main(void)							/* occ 1 */
{
	helper(0);						/* occ 1 */
	atexit(at_exit_handler);				/* occ 1 */
	printf("%d %d %d %d\n", order[0], order[1], order[2], n);	/* occ 1 */
	return !(order[0] == 1 && order[1] == 2 && order[2] == 3 && n == 3);	/* occ 1 */
}
