/* SPDX-License-Identifier: MIT */
/*
 * e2e_procs.c - a thread fills 3 MiB, then a forked child fills 6 MiB
 * (and exits), then the program crashes with abort() when argv[1] is
 * "crash".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *worker(void *arg)
{
	volatile char *p = malloc(3u << 20);
	for (size_t i = 0; i < (3u << 20); i += 4096) p[i] = 1;
	return (void *)p;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, &r);
	pid_t pid = fork();
	if (pid == 0) {
		volatile char *q = malloc(6u << 20);
		for (size_t i = 0; i < (6u << 20); i += 4096) q[i] = 2;
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	if (argc > 1 && !strcmp(argv[1], "crash")) {
		volatile char *c = malloc(2u << 20);
		for (size_t i = 0; i < (2u << 20); i += 4096) c[i] = 3;
		abort();
	}
	printf("%p\n", r);
	return 0;
}
