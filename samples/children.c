/* SPDX-License-Identifier: MIT */
/*
 * children.c - a line that runs a child process, for
 * MPROF_INCLUDE_CHILDREN=1 (memory_profiler's include_children): once
 * the parent says start, the child allocates and touches 50 MiB, says so
 * through a pipe, and holds it until the parent closes another pipe.  With the setting, the /proc
 * backends add the memory of the process's descendants at every line
 * event, so the parent's line that waits for the child is charged what
 * the child holds:
 *
 *     MPROF_INCLUDE_CHILDREN=1 build/samples/children
 *
 * rss: the fork() line up to +1.5 MiB (a forked child's resident set
 * starts as the pages it shares with its parent), wait_ready() about +50
 * MiB, release() what the child held, about -51 MiB, given back.
 * Without the setting every line is about +0.0 MiB: the child's memory is
 * not the parent's.  The heap backend counts this process's allocations
 * only.  Occurrences: the closing loop's `for` 3, its body 2, every
 * other line 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

#define HOLD ((size_t)50 << 20)

/* The child: after `start`, 50 MiB resident until `go` is closed, then
 * _exit (no report). */
static void hold(int start, int ready, int go)
{
    char c = 1;
    if (read(start, &c, 1) != 1)
        _exit(2);
    volatile char *p = malloc(HOLD);

    for (size_t i = 0; p && i < HOLD; i += 4096)
        p[i] = 1;                       /* one write per page: resident */
    if (write(ready, &c, 1) != 1 || read(go, &c, 1) < 0)
        _exit(2);
    _exit(p ? 0 : 1);
}

/* Starts the child and blocks until it says it holds its memory. */
static int wait_ready(int start, int ready)
{
    char c = 1;

    if (write(start, &c, 1) != 1)
        return -1;
    return read(ready, &c, 1) == 1 ? 0 : -1;
}

/* Lets the child go and waits for its end. */
static void release(int go, pid_t pid, int *status)
{
    close(go);
    if (pid > 0)
        waitpid(pid, status, 0);
}

MPROF static int run_child(void)
{
    int start[2], ready[2], go[2], status = 0;
    if (pipe(start) || pipe(ready) || pipe(go))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        hold(start[0], ready[1], go[0]);
    }
    int ok = pid > 0 && wait_ready(start[1], ready[0]) == 0;
    release(go[1], pid, &status);
    for (int i = 0; i < 2; i++)
        close(start[i]), close(ready[i]);
    close(go[0]);
    return ok && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
    printf("children: child exit status %d\n", run_child());
    return 0;
}
