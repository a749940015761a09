/* SPDX-License-Identifier: MIT */
/*
 * rows.c - a loop that builds 100 000 rows of 100 ints, sums them and frees
 * them: many small allocations, charged line by line.
 *
 * Heap backend (exact): `int **rows = malloc` +0.8 MiB; the row malloc line
 * +38.1 MiB over 100000 occurrences; the free(rows[i]) line -38.1 MiB and
 * free(rows) -0.8 MiB, so the function ends where it started.  RSS backend:
 * about +40 MiB on the row malloc and fill lines together (malloc's 16-byte
 * headers included), given back on the free lines.  Occurrences: each outer
 * `for` line 100001, each inner `for` line 10100000, each innermost body
 * line 10000000, the row malloc and row free lines 100000, the rest 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define NROWS 100000
#define NCOLS 100

MPROF static long long build_rows(void)
{
    int **rows = malloc(NROWS * sizeof *rows);
    for (int i = 0; i < NROWS; i++) {
        rows[i] = malloc(NCOLS * sizeof **rows);
        for (int j = 0; j < NCOLS; j++)
            rows[i][j] = i + j;
    }
    long long total = 0;
    for (int i = 0; i < NROWS; i++)
        for (int j = 0; j < NCOLS; j++)
            total += rows[i][j];
    for (int i = 0; i < NROWS; i++)
        free(rows[i]);
    free(rows);
    return total;
}

int main(void)
{
    printf("rows: checksum %lld\n", build_rows());
    return 0;
}
