/* SPDX-License-Identifier: MIT */
/*
 * Expect: same (output); the table counts the master thread only
 *
 * openmp-worker-lines.c - (runtime) line events from OpenMP worker
 * threads are dropped: the rows of a parallel region count the master
 * thread's share, and the report ends with "mprof: N probe events dropped".
 *
 * Found by: tests/plugin/badinput (openmp.c).
 * Run:
 *     gcc -O0 -fopenmp -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         openmp-worker-lines.c -o omp &&
 *         OMP_NUM_THREADS=4 MPROF_BACKEND=heap ./omp
 * Got: the rows inside `#pragma omp parallel` (malloc, p[0] = 1, the
 * atomic add, free) read 1 -- the master's -- and stderr says
 *     mprof: 12 probe events dropped (... a function whose entry was not
 *     seen ...); some figures are incomplete
 * Expected: 4 each (one per thread), as for pthreads.
 *
 * Analysis: the region's body is outlined into main._omp_fn.0 by omp
 * expansion, after the plugin's pass, so its probes carry main's sites
 * but the outlined function has no entry probe.  On the master thread the
 * probes find main's frame on the shadow stack; on a worker the shadow
 * stack is empty and the runtime drops the event (and says so -- the
 * diagnostic is clear).  memory_profiler traces one thread too, so this
 * is defensible; docs/DESIGN.md, "Accounting" (Threads: the shadow stack
 * is per thread, sites are shared) suggests counting them.
 *
 * Suggestion (runtime): a line event on a thread whose shadow stack has no
 * frame of the site's function opens an implicit frame for it (no call
 * counted), closed when the thread's next event belongs to another
 * function or the thread ends.  With the plugin's abnormal-edge patch
 * (tests/plugin/repro/computed-goto-lines.c) the parallel *loop* body gets
 * its probe too, and the same applies to it.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	int seen = 0;

#pragma omp parallel
	{
		char *p = malloc(1000);
		p[0] = 1;
#pragma omp atomic
		seen += p[0];
		free(p);
	}
	printf("%d\n", seen == omp_get_max_threads());
	return seen != omp_get_max_threads();
}
