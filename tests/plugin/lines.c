/* SPDX-License-Identifier: MIT */
/*
 * lines.c - the line-event rule (docs/DESIGN.md, "Where line events fire"),
 * one function per case.  The table (tests/expected/plugin_lines.txt) must
 * be the same at every -O level, with -g or without, and with -flto: counts
 * come from the source, not the optimiser.  Nothing allocates: figures 0.
 */
#include <mprof.h>
#include <stdio.h>

#define TWICE(x) ((x) + \
		  (x))

volatile int sink;

MPROF static int for_loop(void)
{
	int s = 0;
	for (int i = 0; i < 10; i++) {	/* 11 */
		s += i;			/* 10 */
		sink = s;		/* 10 */
	}
	return s;
}

MPROF static int while_loop(int n)
{
	int s = 0;
	while (n > 0) {			/* 11 */
		s += n;			/* 10 */
		n--;			/* 10 */
	}
	return s;
}

MPROF static int one_line_loop(void)
{
	int s = 0;
	for (int i = 0; i < 10; i++) s += i;	/* 11: one per iteration, plus the exit test */
	return s;
}

MPROF static int do_while(int n)
{
	int s = 0;
	do {
		s += n;			/* 5 */
	} while (--n > 0);		/* 5 */
	return s;
}

MPROF static int conditions(int a, int b, int c)
{
	if (a && b && c)		/* 1 per call, however many tests run */
		return 1;
	return 0;
}

MPROF static int spread(int a)
{
	int x = a
		+ TWICE(a)
		+ 1;			/* one statement, one row (line of `int x`) */
	int y = TWICE(x);		/* a macro counts where it is expanded */
	return printf("%d %d\n",
		      x, y) > 0;	/* one row, on the line of printf */
}

MPROF static int nested(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)	/* 4 */
		for (int j = 0; j < n; j++)	/* 3 * 4 = 12 */
			s += i * j;	/* 9 */
	return s;
}

MPROF static int early_return(int n)
{
	for (int i = 0; i < 100; i++) {
		if (i == n)
			return i;	/* the loop is left by a return */
	}
	return -1;
}

MPROF static void early(int x)
{
	if (x)
		return;			/* 1: a jump statement has its row */
	sink++;
}

MPROF static int jumps(void)
{
	int n = 0;
	for (int i = 0; i < 10; i++) {	/* 9 */
		if (i == 8)
			break;		/* 1 */
		if (i % 2)
			continue;	/* 4 */
		n++;			/* 4 */
	}
	if (n == 4)
		goto out;		/* 1 */
	n = 100;
out:
	if (n == 4) goto done;		/* 1: no second event for the goto */
	n = 200;
done:
	switch (n) {
	case 4:
		n++;
		break;			/* 1 */
	default:
		n = 0;
	}
	return n;
}

MPROF static void brace_return(int x)
{
	sink += x;
	return; }			/* the closing brace's line: no row */

int main(void)
{
	int r = for_loop() + while_loop(10) + one_line_loop() + do_while(5);
	r += conditions(1, 1, 1) + conditions(0, 1, 1) + conditions(1, 0, 1);
	r += spread(3) + nested(3) + early_return(4);
	early(1);
	early(0);
	brace_return(1);
	r += jumps();
	printf("%d\n", r);
	return 0;
}
