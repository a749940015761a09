/* SPDX-License-Identifier: MIT */
/*
 * Expect: same
 *
 * vla-declaration-line.c - the line declaring a VLA got no row, and its
 * stack allocation was charged to the enclosing loop's header.  Fixed;
 * kept as a regression reproducer (row 41 must read 210, heap backend).
 *
 * Found by: tests/plugin/badinput (vla_alloca.c).
 * Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         vla-declaration-line.c -o vla && MPROF_BACKEND=heap ./vla
 * Expected: row 41 `int a[i];` 210 (it runs once per outer iteration).
 * Got before the fix: no record on row 41; rows 40 (230), 42 (1750),
 * 43 (1540) were right.  Same at -O2.
 *
 * Analysis (plugin/lines.cc, cut_groups/defines_temp): the scope of a VLA
 * starts with `saved_stack.N = __builtin_stack_save ();`, located on the
 * scope's `{` (row 40, the for header).  saved_stack.N is an artificial
 * variable, so defines_temp() says "a temporary, group it with what
 * follows": the VLA's size computations and __builtin_alloca_with_align
 * (row 41), and `j = 0` (row 42) join that group, whose line is the
 * smallest, 40 -- the header, already current: no event, and the alloca's
 * memory lands on the header row.  But saved_stack.N is consumed by the
 * __builtin_stack_restore at the end of the scope, not by the next
 * statement.
 *
 * Fix: a call to __builtin_stack_save no longer starts a group chain
 * (defines_temp() returns false for it).  Row 41 now reads 210 at -O0
 * and -O2; rows 39, 40, 42, 43, 44 are unchanged (20, 230, 1750, 1540,
 * 210).  (More generally, chaining on "the lhs is artificial" rather
 * than "the next statement reads the lhs" can absorb a line into the one
 * before it; checking gimple uses would be the thorough fix.)
 */
#include <stdio.h>

static long vla_sum(int n)
{
	long total = 0;
	for (int i = 1; i <= n; i++) {
		int a[i];
		for (int j = 0; j < i; j++)
			a[j] = j;
		total += a[i - 1];
	}
	return total;
}

int main(void)
{
	long v = 0;

	for (int k = 1; k <= 20; k++)
		v += vla_sum(k);
	printf("%ld\n", v);
	return v != 1330;
}
