/* SPDX-License-Identifier: MIT */
/*
 * columns.c - what the optional columns show (MPROF_COLUMNS=all,
 * docs/columns.md): memory that a line uses and gives back before it
 * ends, which Increment cannot see.
 *
 * Heap backend (exact): churn's loop mallocs and frees 1 KiB a thousand
 * times: Increment 0.0 MiB, Allocs 1000, Allocated 1.0 MiB.  transient's
 * line allocates 64 MiB and frees it: Increment 0.0, Peak 64.0, Allocs
 * 1, Allocated 64.0.  leak's loop keeps 3 blocks of 1 MiB: Leaked 3.0
 * MiB, and the table's summary "Leaked: 3.0 MiB in 3 blocks"; run's
 * lines include what their callees did.  nap's line sleeps 200 ms: its
 * Time (wall time) is about 200 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mprof.h>

static void *kept[3];

/* Write every byte (so that rss sees the pages too); the optimiser
 * cannot drop an allocation whose block goes through it. */
__attribute__((noinline)) static void *touch(void *p, size_t n)
{
    if (p)
        memset(p, 1, n);
    return p;
}

MPROF static void churn(void)
{
    for (int i = 0; i < 1000; i++) free(touch(malloc(1024), 1024));
}

MPROF static void transient(void)
{
    free(touch(malloc(64 << 20), 64 << 20));
}

MPROF static void leak(void)
{
    for (int i = 0; i < 3; i++) kept[i] = touch(malloc(1 << 20), 1 << 20);
}

MPROF static void nap(void)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

MPROF static void run(void)
{
    churn();
    transient();
    leak();
    nap();
}

int main(void)
{
    run();
    printf("columns: %d blocks kept\n", kept[2] ? 3 : 0);
    return 0;
}
