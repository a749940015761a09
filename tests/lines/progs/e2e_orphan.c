/* SPDX-License-Identifier: MIT */
/*
 * e2e_orphan.c - a child that outlives `mprof lines` (heap backend): the
 * program forks and ends at once; its child waits until mprof itself has
 * gone (the pipe to the recorder is closed), then mallocs and frees, and
 * writes "alive" into the file argv[1]: the closed pipe must not kill it
 * (SIGPIPE).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t mprof = getppid();

	if (argc < 2)
		return 2;
	if (fork() == 0) {
		FILE *f;
		char *p;

		/* mprof reaped by its parent: kill() says ESRCH */
		for (int i = 0; i < 500 && !(kill(mprof, 0) && errno == ESRCH); i++)
			usleep(10000);
		p = malloc(1 << 20);
		memset(p, 1, 1 << 20);
		free(p);
		f = fopen(argv[1], "w");
		if (!f)
			return 1;
		fprintf(f, "alive\n");
		return fclose(f) ? 1 : 0;
	}
	return 0;
}
