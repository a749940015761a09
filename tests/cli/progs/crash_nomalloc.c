/* SPDX-License-Identifier: MIT */
/*
 * crash_nomalloc.c - proves the report written from a fatal signal
 * allocates nothing: the program's malloc, calloc, realloc and free (which
 * every module's calls reach, libc's and the runtime's included) end the
 * process with status 99 once the program has started to die.  argv[1]:
 * "abort", "segv", or "exit" (a normal exit, whose at-exit report does
 * allocate: the check that the detector works).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mprof.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static volatile sig_atomic_t dying;

static void refuse(void)
{
	static const char msg[] = "crash_nomalloc: allocation while dying\n";

	if (dying) {
		if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
			_exit(98);
		_exit(99);
	}
}

void *malloc(size_t n)
{
	refuse();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	refuse();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	refuse();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	refuse();
	__libc_free(p);
}

MPROF static int work(const char *how)
{
	char *volatile keep = malloc(3 << 20);

	memset(keep, 1, 3 << 20);
	dying = 1;
	if (!strcmp(how, "abort"))
		abort();
	if (!strcmp(how, "exit"))
		exit(0);
	*(volatile int *)16 = 1;
	return keep[3];
}

int main(int argc, char **argv)
{
	return work(argc > 1 ? argv[1] : "segv");
}
