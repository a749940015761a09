/* SPDX-License-Identifier: MIT */
/*
 * usage.c - memory_profiler's memory_usage() in C (docs/memory_usage.md):
 * sample a function call, then the current process.  Link with the runtime:
 *
 *     gcc -O2 samples/usage.c $(pkg-config --cflags --libs mprof) -o usage
 *
 * build() allocates 50 MiB and touches it a page at a time over about
 * 0.25 s, then returns it.  The call is sampled every 10 ms from the
 * library's own thread, so the output shows a baseline of a few MiB, a
 * ramp of about 25 samples, and a peak about 50 MiB above the baseline;
 * build() runs exactly once and its pointer comes back in u.retval.
 * The last line is one sample of the process, as memory_usage() with no
 * argument gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mprof.h>

#define MIB (1024 * 1024)
#define PAGE 4096

static void *build(void *arg)
{
    size_t size = *(size_t *)arg * MIB;
    char *p = malloc(size);
    struct timespec pause = { 0, 10 * 1000 * 1000 };

    if (!p)
        return NULL;
    for (size_t i = 0; i < size; i += PAGE) {
        p[i] = 1;
        if (i % (2 * MIB) == 0)
            nanosleep(&pause, NULL);
    }
    return p;
}

int main(void)
{
    struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
    struct mprof_usage u;
    size_t mib = 50;

    o.interval = 0.01;
    o.timestamps = 1;
    if (mprof_memory_usage_call(build, &mib, &o, &u) != 0) {
        perror("mprof_memory_usage_call");
        return 1;
    }
    printf("build(50 MiB): %zu samples, peak %.1f MiB, +%.1f MiB over the first\n",
           u.n, u.peak, u.peak - u.mem[0]);
    for (size_t i = 0; i < u.n; i += 5)
        printf("  %6.3f s  %7.1f MiB\n", u.time[i] - u.time[0], u.mem[i]);
    free(u.retval);
    mprof_usage_free(&u);

    if (mprof_memory_usage_pid(0, NULL, &u) != 0) {
        perror("mprof_memory_usage_pid");
        return 1;
    }
    printf("now: %.1f MiB\n", u.mem[0]);
    mprof_usage_free(&u);
    return 0;
}
