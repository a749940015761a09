/* SPDX-License-Identifier: MIT */
/*
 * basic.c - memory_profiler's first example in C (README.md, Set-up):
 * allocate 1M ints and fill them, allocate 2M ints, fill them, free the 1st.
 *
 * Heap backend (exact): the two malloc lines show +3.8 and +7.6 MiB, the
 * fill loops +0.0, free(a) -3.8 MiB; the increments sum to the 7.6 MiB still
 * held when my_func returns.  RSS backend: the malloc lines show about +0.0
 * (untouched pages cost nothing), the two fill loops about +3.8 and +7.6 MiB
 * and free(a) about -3.8 MiB.  Occurrences: 1 on the signature and on every
 * statement, 1000001 and 2000001 on the one-line fill loops (a `for` line
 * run n times counts n + 1: README.md, "What the columns mean").
 *
 * `a` points to volatile ints because nothing reads them: without that the
 * optimiser drops the allocation, its fill and its free altogether.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

MPROF static int *my_func(void)
{
    volatile int *a = malloc(1000 * 1000 * sizeof *a);
    for (int i = 0; i < 1000 * 1000; i++) a[i] = 1;
    int *b = malloc(2000 * 1000 * sizeof *b);
    for (int i = 0; i < 2000 * 1000; i++) b[i] = 2;
    free((void *)a);
    return b;
}

int main(void)
{
    int *b = my_func();
    long sum = 0;

    for (int i = 0; i < 2000 * 1000; i++)
        sum += b[i];
    free(b);
    printf("basic: checksum %ld\n", sum);
    return 0;
}
