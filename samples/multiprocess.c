/* SPDX-License-Identifier: MIT */
/*
 * multiprocess.c - memory of several processes, for `mprof run -M` (one
 * curve per child) and `mprof run -C` (children added into the total):
 * the parent forks 4 workers, 250 ms apart; worker n allocates n x 20 MiB
 * and touches it in 20 steps over about 1 s, holds it 0.25 s, and exits.
 * The parent only waits.
 *
 *     mprof run -M build/samples/multiprocess && mprof plot
 *
 * The plot shows the parent flat at about 1 MiB and four child ramps
 * peaking at about 20, 40, 60 and 80 MiB (`mprof peak` prints each);
 * with -C the total peaks near 160 MiB at about 1.5 s, when workers 2
 * (40 MiB, about to exit), 3 (60 MiB) and 4 (three quarters of 80 MiB)
 * overlap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

#define STEP_MIB 20
#define WORKERS 4

MPROF static void worker(int n)
{
    size_t size = (size_t)n * STEP_MIB << 20;
    volatile char *p = malloc(size);    /* volatile: the writes must stay */
    if (!p)
        _exit(1);
    for (int step = 0; step < 20; step++) {
        for (size_t i = size / 20 * step; i < size / 20 * (step + 1); i += 4096)
            p[i] = (char)n;             /* one write per page makes it resident */
        usleep(50 * 1000);
    }
    usleep(250 * 1000);
    free((void *)p);
}

int main(void)
{
    for (int n = 1; n <= WORKERS; n++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            worker(n);
            _exit(0);
        }
        usleep(250 * 1000);
    }
    int status, failed = 0;
    while (wait(&status) > 0)
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    return failed;
}
