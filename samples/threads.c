/* SPDX-License-Identifier: MIT */
/*
 * threads.c - four threads run profiled functions: scan() in all four at
 * once (allocating nothing), then churn() one thread at a time (thread k
 * allocates, fills, sums and frees k + 1 MiB).  Barriers keep the two
 * phases apart and churn() is called under a mutex, so every figure of the
 * heap backend's table is the same whatever the scheduling; the concurrent
 * scan() is what exercises the runtime's per-thread frames and shared
 * tables (run under ThreadSanitizer by tests/e2e).
 *
 * Heap backend (exact): every line of scan +0.0 MiB with Mem usage 3.8 MiB
 * (main's input); in churn the malloc line +10.0 MiB (1 + 2 + 3 + 4, Mem
 * usage 7.8 MiB) and free(buf) -10.0 MiB.  RSS backend: the +10.0 MiB
 * shows on churn's fill loop instead, and free(buf) gives back only part
 * of it, depending on which thread ran first: glibc raises its mmap
 * threshold at the first free of a large block, and later blocks come from
 * per-thread arenas that keep their pages.  Occurrences: scan's signature
 * 4, its `for` line 4000004, its body 4000000; churn's signature 4, each
 * `for` line 2621444 and each loop body 2621440 (10 MiB of 4-byte words);
 * every other statement 4.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define NTHREADS 4
#define NINPUT (1000 * 1000)
#define MIB ((size_t)1024 * 1024)

struct job {
    pthread_t thread;
    int id;
    uint64_t hash;          /* scan's result */
    uint64_t sum;           /* churn's result */
};

static uint32_t *input;
static pthread_barrier_t phase;
static pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;

MPROF static uint64_t scan(const uint32_t *v, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + v[i];
    return h;
}

MPROF static uint64_t churn(int id)
{
    size_t n = (size_t)(id + 1) * MIB / sizeof(uint32_t);
    uint32_t *buf = malloc(n * sizeof *buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint32_t)(i ^ (size_t)id);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += buf[i];
    free(buf);
    return sum;
}

static void *worker(void *arg)
{
    struct job *job = arg;

    pthread_barrier_wait(&phase);
    job->hash = scan(input, NINPUT);
    pthread_barrier_wait(&phase);
    pthread_mutex_lock(&turn);
    job->sum = churn(job->id);
    pthread_mutex_unlock(&turn);
    pthread_barrier_wait(&phase);
    return NULL;
}

int main(void)
{
    struct job jobs[NTHREADS];
    uint64_t check = 0;

    input = malloc(NINPUT * sizeof *input);
    for (size_t i = 0; i < NINPUT; i++)
        input[i] = (uint32_t)(i * 2654435761u);
    pthread_barrier_init(&phase, NULL, NTHREADS);
    for (int k = 0; k < NTHREADS; k++) {
        jobs[k].id = k;
        if (pthread_create(&jobs[k].thread, NULL, worker, &jobs[k]) != 0) {
            perror("threads: pthread_create");
            return 1;
        }
    }
    for (int k = 0; k < NTHREADS; k++) {
        pthread_join(jobs[k].thread, NULL);
        check += jobs[k].hash ^ jobs[k].sum;
    }
    pthread_barrier_destroy(&phase);
    free(input);
    printf("threads: checksum %llu\n", (unsigned long long)check);
    return 0;
}
