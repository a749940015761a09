/* SPDX-License-Identifier: MIT */
/*
 * loop10.c - a `for` loop run 10 times, for the plugin's line-event tests:
 * the `for` line must show Occurrences 11 and each of the four body lines
 * 10 (README.md, "What the columns mean"); every other line with code 1.
 *
 * Heap backend (exact): the malloc line +10.0 MiB (Mem usage 1.0 MiB),
 * free(block) -10.0 MiB, every other line +0.0.  RSS backend: much less,
 * because glibc's first free of a 1 MiB block raises its mmap threshold,
 * so later blocks come from its heap and are kept for reuse: with glibc
 * 2.36 the memset line shows about +2.0 MiB and free(block) about -1.0 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define MIB (1024 * 1024)

static long sum_bytes(const unsigned char *p, size_t n)
{
    long sum = 0;

    for (size_t i = 0; i < n; i += 512)
        sum += p[i];
    return sum;
}

MPROF static long loop10(void)
{
    long sum = 0;
    for (int i = 0; i < 10; i++) {
        unsigned char *block = malloc(MIB);
        memset(block, i + 1, MIB);
        sum += sum_bytes(block, MIB);
        free(block);
    }
    return sum;
}

int main(void)
{
    printf("loop10: checksum %ld\n", loop10());
    return 0;
}
