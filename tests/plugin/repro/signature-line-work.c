/* SPDX-License-Identifier: MIT */
/*
 * Expect: same
 *
 * Fixed in runtime/probe.c (charge): the change a frame makes while still
 * on its signature line goes to the signature row; with MPROF_BACKEND=heap
 * one() reads 1.0 MiB on row 48 and grab() 2.0 + 1.0 MiB.  Guarded by
 * tests/unit/test_probe.c (test_signature_line_statements).  The
 * report below is the one before the fix.
 *
 * signature-line-work.c - what a statement on the signature line does to
 * memory is charged to no row: one-line functions, code after the `{` of
 * the signature line, C++ mem-initializers (`S() : p(malloc(n)) {`) and
 * functions defined by a function-like macro (one row in all).
 *
 * Found by: tests/plugin/badinput (ctor_dtor_cxx.cc: `explicit Buf(int n)
 * : p(malloc(n))` and `Big() : Buf(1 << 20)`: no row of either constructor
 * shows the 1 MiB block, though Mem usage rises by 1 MiB from the
 * signature row to the next).
 * Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         signature-line-work.c -o sl && MPROF_BACKEND=heap ./sl
 * Got (same at -O2):
 *     48      0.0 MiB      0.0 MiB           1   static void *one(void) { return malloc(1 << 20); }
 *     50      1.0 MiB      1.0 MiB           1   static void grab(void) { keep[1] = malloc(1 << 20);
 *     51      3.0 MiB      1.0 MiB           1   	keep[2] = malloc(1 << 20);
 * while main's rows 56 and 57 (the calls) read 1.0 and 2.0 MiB.  one()'s
 * table shows nothing of its allocation (not even in Mem usage, which is
 * the figure at entry), and grab()'s column sums to 2.0 MiB, not to the
 * 3.0 MiB at return as docs/columns.md says it does for a single call.
 *
 * Analysis: lines.cc drops every line probe on the signature line ("The
 * signature line's row counts calls; its statements get no probe"), and
 * after entry the frame's line is NULL (probe.c), so the first line event
 * -- or the exit probe of a one-line function -- charges the memory change
 * since entry to no row.
 *
 * Suggestion (runtime): when a line event or the exit probe leaves a frame
 * whose line is still NULL, add the change since entry to the signature
 * row's Increment (and raise its Mem usage with the figure after it).
 * The row then reads "the figure at the first entry plus what the
 * signature line's statements did", the column sums to the memory at
 * return again, and nothing changes for the usual layout (no statement on
 * the signature line: the change is 0).  README's description of the
 * signature row would say so.
 */
#include <stdio.h>
#include <stdlib.h>

static void *keep[3];

static void *one(void) { return malloc(1 << 20); }

static void grab(void) { keep[1] = malloc(1 << 20);
	keep[2] = malloc(1 << 20);
}

int main(void)
{
	keep[0] = one();
	grab();
	printf("%d\n", keep[0] != keep[1]);
	return 0;
}
