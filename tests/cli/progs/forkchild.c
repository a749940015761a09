/* SPDX-License-Identifier: MIT */
/*
 * forkchild.c - what a forked child's report holds
 * (tests/cli/t_fork.sh, tests/expected/forkchild.txt).  main calls spawn,
 * which holds 1 MiB and forks.  The child calls exit() in the middle of
 * spawn, on the line that holds all its work: child_main takes 4 MiB and
 * runs child_work (+2 MiB, given back).  The parent waits, frees and
 * returns.
 *
 * The child's report is its own: child_work's table, spawn from the
 * fork() line on (the lines before it ran in the parent), with the exit()
 * line charged +4.0 MiB as if it had completed, and main's spawn() line
 * charged likewise (+5.0 MiB since the call began, in the parent).  The
 * parent's report has none of the child's lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

#define MIB (1 << 20)

MPROF static int child_work(void)
{
	char *volatile c = malloc(2 * MIB);

	memset(c, 1, 2 * MIB);
	int sum = c[5];
	free(c);
	return sum;
}

/* The child's part, not profiled: it keeps 4 MiB. */
static int child_main(char *a)
{
	char *volatile b = malloc(4 * MIB);

	b[0] = a[0] = (char)child_work();
	return b[0] == 1 ? 0 : 1;
}

MPROF static int spawn(void)
{
	char *volatile a = malloc(MIB);
	pid_t pid = fork();

	if (pid == 0)
		exit(child_main(a));
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return 1;
	free(a);
	return 0;
}

MPROF int main(void)
{
	int status = spawn();

	printf("forkchild: %d\n", status);
	return status;
}
