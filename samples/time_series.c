/* SPDX-License-Identifier: MIT */
/*
 * time_series.c - memory over time, for `mprof run` and `mprof plot`
 * (memory_profiler's time-based example, in C): allocate and fill
 * 1000x1000 doubles (7.6 MiB), sleep 1 s, allocate and fill 2000x2000
 * doubles (30.5 MiB), sleep 1 s, free the first, sum the second.
 *
 *     mprof run build/samples/time_series && mprof plot
 *
 * The plot shows three steps: about +7.6 MiB at 0 s, +30.5 MiB at 1 s,
 * -7.6 MiB at 2 s (both arrays are above glibc's mmap threshold, so free
 * gives the pages back at once), then the end.  With the plugin the
 * function's table shows the same figures on the fill loops and on
 * free(a), and `mprof plot` draws a bracket around the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mprof.h>

#define N1 1000
#define N2 2000

MPROF static double time_series(void)
{
    volatile double *a = malloc(N1 * N1 * sizeof *a);  /* never read: volatile keeps it */
    for (size_t i = 0; i < N1 * N1; i++) a[i] = 1.0;
    sleep(1);
    double *b = malloc(N2 * N2 * sizeof *b);
    for (size_t i = 0; i < N2 * N2; i++) b[i] = 2.0;
    sleep(1);
    free((void *)a);
    double sum = 0;
    for (size_t i = 0; i < N2 * N2; i++) sum += b[i];
    usleep(500 * 1000);     /* hold b a moment so the last step shows */
    free(b);
    return sum;
}

int main(void)
{
    if (!(time_series() > 0))
        return 1;
    return 0;
}
