/* SPDX-License-Identifier: MIT */
/*
 * timing.h - the clock and the sort order the micro benchmarks
 * of bench/micro/ take medians with; no plugin needed, unlike micro.h.
 */
#ifndef MPROF_BENCH_TIMING_H
#define MPROF_BENCH_TIMING_H

#include <time.h>

/* Monotonic nanoseconds. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* qsort order of doubles. */
static inline int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif /* MPROF_BENCH_TIMING_H */
