/* SPDX-License-Identifier: MIT */
/*
 * chunked.c - chunked processing: a weighted total over 4M records of 16
 * bytes, first read into memory all at once, then read through one reused
 * 1 MiB chunk.  read_records() stands for reading a file.  Both print the
 * same total.
 *
 * Heap backend (exact): total_all_at_once's malloc line +64.0 MiB and its
 * free -64.0 MiB; total_chunked's malloc line +1.0 MiB and its free
 * -1.0 MiB.  RSS backend: the read_records line carries the growth instead
 * (pages are touched there): about +64.0 MiB in total_all_at_once, about
 * +1.0 MiB over its 64 occurrences in total_chunked; the free lines give it
 * back.  Occurrences: total_all_at_once's `for` line 4194305 and its body
 * 4194304; total_chunked's outer `for` line 65, read_records 64, inner `for`
 * line 4194368 (64 x 65537), its body 4194304; every other statement 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define NRECORDS (4u * 1024 * 1024)
#define CHUNK (64u * 1024)

struct record {
    uint32_t key;
    float value;
    double weight;
};

static void read_records(struct record *buf, size_t first, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t k = (uint32_t)(first + i) * 2654435761u;
        buf[i].key = k;
        buf[i].value = (float)(k >> 20);
        buf[i].weight = 1.0 / (1 + (k & 0xff));
    }
}

MPROF static double total_all_at_once(void)
{
    struct record *all = malloc(NRECORDS * sizeof *all);
    read_records(all, 0, NRECORDS);
    double total = 0.0;
    for (size_t i = 0; i < NRECORDS; i++)
        total += all[i].value * all[i].weight;
    free(all);
    return total;
}

MPROF static double total_chunked(void)
{
    struct record *chunk = malloc(CHUNK * sizeof *chunk);
    double total = 0.0;
    for (size_t first = 0; first < NRECORDS; first += CHUNK) {
        read_records(chunk, first, CHUNK);
        for (size_t i = 0; i < CHUNK; i++)
            total += chunk[i].value * chunk[i].weight;
    }
    free(chunk);
    return total;
}

int main(void)
{
    double whole = total_all_at_once();
    double chunked = total_chunked();

    printf("chunked: total %.3f (all at once) %.3f (chunked)\n", whole, chunked);
    return whole == chunked ? 0 : 1;
}
