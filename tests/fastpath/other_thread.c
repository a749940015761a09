/* SPDX-License-Identifier: MIT */
/*
 * other_thread.c - memory faulted by another thread while a profiled
 * function waits for it without any call the runtime wraps (a semaphore):
 * only the perf events can tell the waiting thread's next line that RSS
 * grew.  The wait line must show the 16 MiB the helper touched, with the
 * fast path as with MPROF_EXACT=1 (tests/fastpath/compare.sh).  The helper
 * is started and parked before the profiled function runs, released and
 * awaited on one line, and ends only after the function returned: its
 * exit runs code of libc's and the runtime's that no page of the process
 * mapped yet (some 40 pages of text, mapped by fault-around), and while
 * it could race with the function's last line the figures depended on
 * scheduling.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <mprof.h>

#define MIB (1024 * 1024)

static char *region;
static sem_t ready, go, done, finish;

static void *helper(void *arg)
{
    (void)arg;
    sem_post(&ready);
    sem_wait(&go);
    for (size_t i = 0; i < 16 * MIB; i += 4096)
        region[i] = 1;
    sem_post(&done);
    sem_wait(&finish);
    return NULL;
}

MPROF static void wait_for_helper(void)
{
    sem_post(&go); sem_wait(&done);     /* one line: charged all 16 MiB */
    region[0] = 2;
}

int main(void)
{
    pthread_t t;

    region = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED || sem_init(&ready, 0, 0) || sem_init(&go, 0, 0) ||
        sem_init(&done, 0, 0) || sem_init(&finish, 0, 0) ||
        pthread_create(&t, NULL, helper, NULL))
        return 1;
    sem_wait(&ready);
    wait_for_helper();
    sem_post(&finish);
    pthread_join(t, NULL);
    return 0;
}
