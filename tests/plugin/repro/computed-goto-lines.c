/* SPDX-License-Identifier: MIT */
/*
 * Expect: same (output); the table differs: run with MPROF_BACKEND=heap,
 * rows 46, 49 and 52 must read 40, 30 and 10 occurrences
 *
 * computed-goto-lines.c - lines reached only through a computed goto (or
 * any abnormal or EH edge: C++ catch blocks too) get no line events.
 *
 * Found by: tests/plugin/badinput (computed goto case).
 * Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         computed-goto-lines.c -o cg &&
 *         MPROF_BACKEND=heap ./cg
 * Expected table for run(): line 46 `acc += 1;` 40, line 49 `acc *= 2;`
 * 30, line 52 `return acc;` 10 (each label's first line runs that often).
 * Got: lines 46, 49 and 52 have no record at all; lines 47 and 50 have
 * their counts.  The program's result is right (210); only the table is
 * wrong.  Same at -O2.  In C++, the first line of a catch block
 * (`} catch (const std::exception &e) {`) has no record either, nor has
 * the body of an OpenMP parallel loop (its back edge, GIMPLE_OMP_CONTINUE
 * to the body, is abnormal until omp expansion): tests/plugin/badinput
 * openmp.c, line 18 `s += (long)i * i;` -- no record, 10000 expected with
 * OMP_NUM_THREADS=1.
 *
 * Analysis (plugin/lines.cc): a probe is placed on the block's first
 * statement only when every *usable* incoming edge needs it, and on edges
 * otherwise; abnormal and EH edges are not usable (a probe cannot be put on
 * them) and are simply skipped.  A label block reached only by computed
 * gotos has zero usable edges, so no probe at all.
 *
 * Fixed in lines.cc: an abnormal
 * or EH edge arriving from another line forces the probe into the block
 * (before its first group, after the labels), for every way in; the
 * "event since loop header" dataflow knows about it.  With it: 40/30/10
 * here, 5 on the catch line of a C++ loop throwing 5 times out of 10,
 * 10000 on the OpenMP loop body;
 * setjmp tables unchanged; tests/plugin/run.sh lines/diagnostics/shared/
 * nolink still pass.  (Cost: a normal edge from the same line as the
 * label's first line then also fires an event -- rare.)
 */
#include <stdio.h>

static int run(const unsigned char *code)
{
	static void *ops[] = { &&op_inc, &&op_dbl, &&op_end };
	int acc = 0;
	const unsigned char *pc = code;

	goto *ops[*pc++];
op_inc:
	acc += 1;
	goto *ops[*pc++];
op_dbl:
	acc *= 2;
	goto *ops[*pc++];
op_end:
	return acc;
}

int main(void)
{
	unsigned char prog[] = { 0, 0, 1, 0, 1, 1, 0, 2 };	/* ((2*2)+1)*4+1 = 21 */
	int r = 0;

	for (int i = 0; i < 10; i++)
		r += run(prog);
	printf("%d\n", r);
	return r != 210;
}
