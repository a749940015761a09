/* SPDX-License-Identifier: MIT */
/*
 * crash.c - a profiled function that holds 3 MiB and then dies, as
 * argv[1] says: "abort" (a failed assert), "segv" (a store to address
 * 16), "handler" (the program's own SIGSEGV handler, installed with
 * signal() after the runtime started, says so, resets SIG_DFL and
 * re-raises), "resethand" (a one-shot SA_SIGINFO handler installed with
 * sigaction(): the fault recurs and kills), "fpe" (an integer division
 * by zero) or "none" (returns).  tests/cli/t_crash.sh checks the report
 * written from the signal and the status.
 */
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mprof.h>

static void on_segv(int sig)
{
	static const char msg[] = "crash: own handler ran\n";

	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_segv_info(int sig, siginfo_t *info, void *uc)
{
	static const char msg[] = "crash: one-shot handler ran\n";

	(void)sig;
	(void)info;
	(void)uc;
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
		_exit(3);
}

static volatile int zero;

MPROF static int work(const char *how)
{
	char *volatile keep = malloc(3 << 20);
	struct sigaction sa = { .sa_sigaction = on_segv_info };

	memset(keep, 1, 3 << 20);
	if (!strcmp(how, "abort"))
		assert(keep[5] == 2);
	if (!strcmp(how, "handler"))
		signal(SIGSEGV, on_segv);
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (!strcmp(how, "resethand"))
		sigaction(SIGSEGV, &sa, NULL);
	if (strstr("segv handler resethand", how))
		*(volatile int *)16 = 1;
	if (!strcmp(how, "fpe"))
		return keep[1] / zero;
	return keep[3];
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "none";

	printf("crash: %s\n", how);
	fflush(stdout);
	return work(how);
}
