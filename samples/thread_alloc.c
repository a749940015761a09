/* SPDX-License-Identifier: MIT */
/*
 * thread_alloc.c - four threads allocate 25 MiB each at the same time,
 * and the main thread frees the four blocks after joining them.  With the
 * heap backend a line is charged what its own thread allocated and freed,
 * so the table is the same whatever the scheduling: fill()'s malloc line
 * +100.0 MiB (4 x 25), its memset and barrier lines +0.0; in run() the
 * pthread_create and pthread_join lines +0.0, and the free line -100.0
 * MiB (a block freed by another thread is charged to the freeing
 * thread's line).  Mem usage is the process's total: 100.0 MiB on fill()'s
 * lines after its malloc (the last thread to allocate sees all four
 * blocks; the barriers keep every free after them).
 *
 * The rss backend is process-wide (pages have no owner thread): a line is
 * charged what the whole process did while it ran, so the +100 MiB the
 * memsets touch spread over whichever lines of fill() and run() were
 * running, differently from run to run.  Occurrences: fill()'s signature
 * and each of its lines 4; run()'s `for` lines 5, their bodies 4.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define NTHREADS 4
#define BLOCK ((size_t)25 << 20)

struct job {
    pthread_t thread;
    int id;
    unsigned char *buf;
};

static pthread_barrier_t all;

MPROF static void *fill(void *arg)
{
    struct job *job = arg;
    pthread_barrier_wait(&all);
    job->buf = malloc(BLOCK);
    memset(job->buf, job->id + 1, BLOCK);
    pthread_barrier_wait(&all);
    return NULL;
}

MPROF static unsigned run(struct job *jobs)
{
    unsigned sum = 0;
    for (int k = 0; k < NTHREADS; k++)
        pthread_create(&jobs[k].thread, NULL, fill, &jobs[k]);
    for (int k = 0; k < NTHREADS; k++)
        pthread_join(jobs[k].thread, NULL);
    for (int k = 0; k < NTHREADS; k++) {
        sum += jobs[k].buf[BLOCK - 1];
        free(jobs[k].buf);
    }
    return sum;
}

int main(void)
{
    struct job jobs[NTHREADS];

    for (int k = 0; k < NTHREADS; k++)
        jobs[k].id = k;
    pthread_barrier_init(&all, NULL, NTHREADS);
    printf("thread_alloc: checksum %u\n", run(jobs));
    pthread_barrier_destroy(&all);
    return 0;
}
