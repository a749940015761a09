/* SPDX-License-Identifier: MIT */
/*
 * late_main.c - a program, built without the plugin, that installs its
 * SIGSEGV handler and only then dlopen()s late_lib.so (built with it), so
 * the runtime starts after the handler exists.  late_work() segfaults:
 * the program's handler runs first, restores SIG_DFL and re-raises, then
 * the runtime's report is written (tests/cli/t_crash.sh).
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void on_segv(int sig)
{
	static const char msg[] = "late: own handler ran\n";

	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_segv };
	void *lib;
	int (*work)(void);

	sigemptyset(&sa.sa_mask);
	if (argc < 2 || sigaction(SIGSEGV, &sa, NULL) < 0)
		return 2;
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "late: %s\n", dlerror());
		return 2;
	}
	work = (int (*)(void))dlsym(lib, "late_work");
	return work ? work() : 2;
}
