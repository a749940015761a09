/* SPDX-License-Identifier: MIT */
/*
 * maxrss.c - `cli_maxrss OUT PROGRAM [ARGS...]`: run PROGRAM and write to
 * OUT the largest resident set, in KiB, that wait4 reports for it (the
 * program's, or a descendant's it waited for).  The tests' measure of a
 * program's true peak, as `/usr/bin/time -f %M` gives it; this process is
 * small, so what the child had before exec does not show.  The status is
 * the program's (128 + signal when killed).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	FILE *f;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: cli_maxrss OUT PROGRAM [ARGS...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return perror("wait4"), 2;
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f))
		return perror(argv[1]), 2;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}
