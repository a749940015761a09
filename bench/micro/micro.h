/* SPDX-License-Identifier: MIT */
/*
 * micro.h - what bench/micro/probe.c and threads.c share: the quiet
 * kernel, a one-line loop, one line event per iteration on the same line,
 * no memory change (the common case: a hot loop), written out twice,
 * instrumented (MPROF) and plain -- a macro would put a whole function on
 * one source line, and line events need lines; and the run of the program
 * again in a fresh process, for each backend.
 */
#ifndef MPROF_BENCH_MICRO_H
#define MPROF_BENCH_MICRO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

MPROF static uint64_t quiet_prof(uint64_t n)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < n; i++) x = x * 2862933555777941757u + i;
    return x;
}

static uint64_t quiet_plain(uint64_t n)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < n; i++) x = x * 2862933555777941757u + i;
    return x;
}

/*
 * Run this program again as `argv0 --one` with `backend` (exact: the
 * MPROF_EXACT value, or NULL), its report thrown away, and wait: 0 when it
 * succeeded.  The runtime reads its settings at start, so they are set in
 * the child.
 */
static int run_self(const char *argv0, const char *backend, const char *exact)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setenv("MPROF_BACKEND", backend, 1);
		if (exact)
			setenv("MPROF_EXACT", exact, 1);
		else
			unsetenv("MPROF_EXACT");
		setenv("MPROF_OUTPUT", "/dev/null", 1);
		execl("/proc/self/exe", argv0, "--one", (char *)NULL);
		_exit(127);
	}
	return pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	       WEXITSTATUS(st) ? -1 : 0;
}

#endif /* MPROF_BENCH_MICRO_H */
