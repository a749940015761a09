/* SPDX-License-Identifier: MIT */
/*
 * processing_inefficient.c - data processing that copies its whole input
 * three times: a table of three columns of 1M doubles is copied, clipped in
 * a second copy, scaled in a third, then summed.  processing_efficient.c
 * computes the same sum without any copy; both print the same checksum.
 *
 * Heap backend (exact): the signature row shows the 22.9 MiB input held by
 * main; each table_copy line +22.9 MiB (Mem usage 45.8, 68.7, 91.6 MiB);
 * the clip, scale and sum lines +0.0; each table_free line -22.9 MiB.  RSS
 * backend: about the same figures, on the same lines (copies touch every
 * page).  Occurrences: 1 on every line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define NROWS (1000 * 1000)
#define NCOLS 3
#define SCALE 0.5

struct table {
    double *col[NCOLS];
};

static struct table table_load(void)
{
    struct table t;
    unsigned x = 12345;

    for (int c = 0; c < NCOLS; c++) {
        t.col[c] = malloc(NROWS * sizeof(double));
        for (size_t i = 0; i < NROWS; i++) {
            x = x * 1103515245u + 12345u;
            t.col[c][i] = (double)(x >> 8) / (1u << 23) - 0.25;
        }
    }
    return t;
}

static struct table table_copy(const struct table *src)
{
    struct table t;

    for (int c = 0; c < NCOLS; c++) {
        t.col[c] = malloc(NROWS * sizeof(double));
        memcpy(t.col[c], src->col[c], NROWS * sizeof(double));
    }
    return t;
}

static void table_clip(struct table *t, double floor)
{
    for (int c = 0; c < NCOLS; c++)
        for (size_t i = 0; i < NROWS; i++)
            if (t->col[c][i] < floor)
                t->col[c][i] = floor;
}

static void table_scale(struct table *t, double k)
{
    for (int c = 0; c < NCOLS; c++)
        for (size_t i = 0; i < NROWS; i++)
            t->col[c][i] *= k;
}

static double table_sum(const struct table *t)
{
    double total = 0.0;

    for (size_t i = 0; i < NROWS; i++)
        for (int c = 0; c < NCOLS; c++)
            total += t->col[c][i];
    return total;
}

static void table_free(struct table *t)
{
    for (int c = 0; c < NCOLS; c++)
        free(t->col[c]);
}

MPROF static double summarize(const struct table *input)
{
    struct table raw = table_copy(input);
    struct table clipped = table_copy(&raw);
    table_clip(&clipped, 0.0);
    struct table scaled = table_copy(&clipped);
    table_scale(&scaled, SCALE);
    double total = table_sum(&scaled);
    table_free(&raw);
    table_free(&clipped);
    table_free(&scaled);
    return total;
}

int main(void)
{
    struct table input = table_load();
    double total = summarize(&input);

    table_free(&input);
    printf("processing: checksum %.6f\n", total);
    return 0;
}
