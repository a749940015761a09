/* SPDX-License-Identifier: MIT */
/*
 * recursive.c - a recursive function that allocates 1 MiB per level, 8
 * levels deep, and frees it on the way back up.  Every call charges the one
 * table of descend.
 *
 * Heap backend (exact): signature row Occurrences 8 (calls), Mem usage
 * 7.0 MiB (entry of the deepest call, seven frames held), Increment +0.0
 * (the first entry); the malloc line +8.0 MiB with Mem usage 8.0 MiB; the
 * recursive call line +0.0 (seven of its eight occurrences recurse, and
 * each nested call frees what it took); free(frame) -8.0 MiB.  RSS backend:
 * the same, except that the +8.0 MiB shows on the fill loop, where the
 * pages are touched, rather than on the malloc line.  Occurrences: each
 * `for` line 8 x 131073 = 1048584, each loop body 1048576, every other
 * statement 8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define LEVELS 8
#define FRAME_WORDS ((size_t)1024 * 1024 / sizeof(uint64_t))

MPROF static uint64_t descend(int level)
{
    uint64_t *frame = malloc(FRAME_WORDS * sizeof *frame);
    for (size_t i = 0; i < FRAME_WORDS; i++)
        frame[i] = (uint64_t)level * i;
    uint64_t sum = level > 1 ? descend(level - 1) : 0;
    for (size_t i = 0; i < FRAME_WORDS; i++)
        sum += frame[i];
    free(frame);
    return sum;
}

int main(void)
{
    uint64_t sum = descend(LEVELS);

    printf("recursive: checksum %llu\n", (unsigned long long)sum);
    return 0;
}
