/* SPDX-License-Identifier: MIT */
/*
 * shrink.c - one thread, every way its resident set changes that the rss
 * fast path must notice, each in a profiled function of its own:
 *
 *   free_large   free() of a 32 MiB block (glibc unmaps it)
 *   trim_heap    frees that let glibc lower the program break
 *   dontneed     madvise(MADV_DONTNEED), then munmap of a touched region
 *   read_fresh   read() from /dev/zero into untouched pages (the kernel
 *                faults them in, not the program)
 *   fork_child   a child that touches 8 MiB and returns: its own report;
 *                then the same with a child made by the fork system call,
 *                no fork handler run: its first line event reads the
 *                parent's fault ring, which it does not have (the
 *                runtime's SIGSEGV handler puts zeros there)
 *
 * tests/fastpath/compare.sh runs it with the fast path and with
 * MPROF_EXACT=1: the tables must be equal.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

#define MIB (1024 * 1024)

static void *(*volatile alloc)(size_t) = malloc;

static void touch(volatile char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
}

MPROF static void free_large(void)
{
    char *p = alloc(32 * MIB);
    touch(p, 32 * MIB);
    free(p);
    touch(alloc(64), 64);
}

MPROF static void trim_heap(void)
{
    static char *blocks[256];
    for (int i = 0; i < 256; i++)
        blocks[i] = alloc(60 * 1024);
    for (int i = 0; i < 256; i++)
        touch(blocks[i], 60 * 1024);
    for (int i = 255; i >= 0; i--)
        free(blocks[i]);
}

MPROF static void dontneed(void)
{
    char *p = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch(p, 16 * MIB);
    madvise(p, 8 * MIB, MADV_DONTNEED);
    munmap(p, 16 * MIB);
}

MPROF static void read_fresh(void)
{
    char *p = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open("/dev/zero", O_RDONLY);
    ssize_t n = read(fd, p, 4 * MIB);
    close(fd);
    munmap(p, 4 * MIB);
    if (n != 4 * MIB)
        exit(1);
}

/* The fork system call itself: no fork handler runs in the child. */
static pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_fork);
}

MPROF static void fork_child(pid_t (*make)(void))
{
    pid_t pid = make();
    if (pid == 0) {
        char *p = alloc(8 * MIB);
        touch(p, 8 * MIB);
        free(p);
        return;
    }
    waitpid(pid, NULL, 0);
}

int main(void)
{
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    free_large();
    trim_heap();
    dontneed();
    read_fresh();
    fork_child(fork);
    fork_child(raw_fork);
    return 0;
}
