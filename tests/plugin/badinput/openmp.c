/* SPDX-License-Identifier: MIT */
/* OpenMP: a parallel loop with a reduction, a parallel region and a task
 * loop run on several threads.  Their bodies are outlined into functions
 * the compiler makes after the probes are placed; the probes inside run on
 * threads that never entered the instrumented function.
 * Counts are checked on one thread (the workers' events are dropped:
 * tests/plugin/repro/openmp-worker-lines.c), behaviour on four.
 * badinput: flags=-fopenmp env=OMP_NUM_THREADS=1 env2=OMP_NUM_THREADS=4 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static long sum_squares(int n)					/* occ 1 */
{
	long s = 0;						/* occ 1 */
#pragma omp parallel for reduction(+ : s)
	for (int i = 0; i < n; i++)
		s += (long)i * i;				/* occ 10000 */
	return s;						/* occ 1 */
}

static int count_threads(void)					/* occ 1 */
{
	int seen = 0;						/* occ 1 */
#pragma omp parallel
	{
		char *p = malloc(1000);				/* occ 1 */
		p[0] = 1;					/* occ 1 */
#pragma omp atomic
		seen += p[0];					/* occ 1 */
		free(p);					/* occ 1 */
	}
	return seen;						/* occ 1 */
}

int main(void)							/* occ 1 */
{
	long s = sum_squares(10000);				/* occ 1 */
	int t = count_threads();				/* occ 1 */
	printf("%ld %d\n", s, t == omp_get_max_threads());	/* occ 1 */
	return !(s == 333283335000L && t == omp_get_max_threads());	/* occ 1 */
}
