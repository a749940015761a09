/* SPDX-License-Identifier: MIT */
/*
 * processing_efficient.c - the same computation as
 * processing_inefficient.c (clip three columns of 1M doubles at zero, scale
 * them, sum them) done in one pass over the input, without a single copy.
 * Both print the same checksum.
 *
 * Heap and RSS backends: the signature row shows the 22.9 MiB input held
 * by main; every line of summarize shows +0.0 MiB and a Mem usage of
 * 22.9 MiB, against the three +22.9 MiB copies of the inefficient version.
 * Occurrences: the outer `for` line 1000001, the inner `for` line 4000000,
 * the two body lines 3000000 each, the rest 1.
 */
#include <stdio.h>
#include <stdlib.h>

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

static void table_free(struct table *t)
{
    for (int c = 0; c < NCOLS; c++)
        free(t->col[c]);
}

MPROF static double summarize(const struct table *input)
{
    double total = 0.0;
    for (size_t i = 0; i < NROWS; i++)
        for (int c = 0; c < NCOLS; c++) {
            double v = input->col[c][i] < 0.0 ? 0.0 : input->col[c][i];
            total += v * SCALE;
        }
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
