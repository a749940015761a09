/* SPDX-License-Identifier: MIT */
/*
 * streaming.c - generator-style streaming against a full array: the mean
 * of 2M generated values, first by storing them all (memory_profiler's
 * `sum([f(x) for x in ...])`), then by pulling them one at a time from a
 * generator (`sum(f(x) for x in ...)`).  Both print the same mean.
 *
 * Heap backend (exact): in mean_from_array the malloc line +15.3 MiB and
 * free(values) -15.3 MiB; every line of mean_streaming +0.0 MiB.  RSS
 * backend: in mean_from_array the fill loop lines about +15.3 MiB together
 * and free(values) about -15.3 MiB; mean_streaming about +0.0 throughout.
 * Occurrences: in mean_from_array each `for` line 2000001 and each body line
 * 2000000; in mean_streaming the `while` line 2000001 and its body 2000000;
 * every other line 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define COUNT (2 * 1000 * 1000)
#define SEED 42

/* A generator: yields `left` pseudo-random values in [0, 1), one per call. */
struct gen {
    uint64_t state;
    size_t left;
};

static void gen_init(struct gen *g, uint64_t seed, size_t count)
{
    g->state = seed;
    g->left = count;
}

static int gen_next(struct gen *g, double *out)
{
    if (g->left == 0)
        return 0;
    g->left--;
    g->state = g->state * 6364136223846793005u + 1442695040888963407u;
    *out = (double)(g->state >> 11) / 9007199254740992.0;
    return 1;
}

MPROF static double mean_from_array(size_t n)
{
    double *values = malloc(n * sizeof *values);
    struct gen g;
    gen_init(&g, SEED, n);
    for (size_t i = 0; i < n; i++)
        gen_next(&g, &values[i]);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    free(values);
    return sum / n;
}

MPROF static double mean_streaming(size_t n)
{
    struct gen g;
    double v, sum = 0.0;
    gen_init(&g, SEED, n);
    while (gen_next(&g, &v))
        sum += v;
    return sum / n;
}

int main(void)
{
    double from_array = mean_from_array(COUNT);
    double streamed = mean_streaming(COUNT);

    printf("streaming: mean %.9f (array) %.9f (stream)\n", from_array, streamed);
    return from_array == streamed ? 0 : 1;
}
