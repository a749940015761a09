/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - a program for the CLI tests to sample:
 *
 *     cli_alloc [-c N] MIB SECONDS [STATUS|-SIGNAL]
 *
 * touches MIB MiB (every page, so RSS grows by that much), sleeps SECONDS,
 * then exits with STATUS or kills itself with SIGNAL.  With -c it first
 * forks N children that each do the same (status 0) and waits for them
 * before its own sleep ends.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Writes through a volatile pointer: the compiler may not drop them. */
static void hold(size_t mib, double seconds)
{
    size_t size = mib << 20, i;
    volatile char *p = size ? malloc(size) : NULL;
    struct timespec ts;

    if (size && !p)
        exit(3);
    for (i = 0; i < size; i += 4096)
        p[i] = 1;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    free((void *)p);
}

int main(int argc, char **argv)
{
    int kids = 0, i;

    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        kids = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: cli_alloc [-c N] MIB SECONDS [STATUS|-SIGNAL]\n");
        return 2;
    }
    for (i = 0; i < kids; i++) {
        pid_t pid = fork();

        if (pid == 0) {
            hold((size_t)atol(argv[1]), atof(argv[2]));
            _exit(0);
        }
    }
    hold((size_t)atol(argv[1]), atof(argv[2]));
    while (kids && wait(NULL) > 0)
        ;
    if (argc > 3 && argv[3][0] == '-') {
        signal(atoi(argv[3] + 1), SIG_DFL);
        raise(atoi(argv[3] + 1));
    }
    return argc > 3 ? atoi(argv[3]) : 0;
}
