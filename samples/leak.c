/* SPDX-License-Identifier: MIT */
/*
 * leak.c - a leak pattern: a backlog list that gains 1024 items of 1 KiB
 * per round and is trimmed by only half of that, so it grows by 0.5 MiB a
 * round for 20 rounds.
 *
 * Heap backend (exact): the backlog_push line +20.0 MiB (Mem usage
 * 10.5 MiB, reached in the last round), the backlog_trim line -10.0 MiB
 * (Mem usage 10.0 MiB): serve returns holding 10.0 MiB more than it
 * started with.  RSS backend: the push line grows by about 10.5 MiB only
 * and the trim line shows about +0.0, because trimmed items are freed in
 * the middle of the heap, never returned to the system, and reused by the
 * next round's pushes -- the heap backend sees the leak exactly, RSS sees
 * its net effect.  Occurrences: outer `for` line 21, inner `for` line
 * 20500, push 20480, trim 20.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define PER_ROUND 1024
#define ROUNDS 20

/* One queued item: exactly 1 KiB. */
struct item {
    struct item *next;
    uint64_t id;
    unsigned char payload[1024 - sizeof(struct item *) - sizeof(uint64_t)];
};

struct backlog {
    struct item *head;      /* oldest item */
    struct item *tail;      /* newest item */
};

static void backlog_push(struct backlog *q, uint64_t id)
{
    struct item *it = malloc(sizeof *it);

    it->next = NULL;
    it->id = id;
    memset(it->payload, (int)(id & 0xff), sizeof it->payload);
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
}

static void backlog_trim(struct backlog *q, size_t n)
{
    while (n-- > 0 && q->head) {
        struct item *it = q->head;
        q->head = it->next;
        free(it);
    }
    if (!q->head)
        q->tail = NULL;
}

MPROF static void serve(struct backlog *q)
{
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < PER_ROUND; i++)
            backlog_push(q, (uint64_t)round * PER_ROUND + i);
        backlog_trim(q, PER_ROUND / 2);
    }
}

int main(void)
{
    struct backlog q = { NULL, NULL };
    uint64_t sum = 0;
    size_t len = 0;

    serve(&q);
    for (struct item *it = q.head; it; it = it->next, len++)
        sum += it->id + it->payload[len % sizeof it->payload];
    backlog_trim(&q, SIZE_MAX);
    printf("leak: %zu items left, checksum %llu\n", len, (unsigned long long)sum);
    return 0;
}
