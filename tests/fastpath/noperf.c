/* SPDX-License-Identifier: MIT */
/*
 * noperf.c - run a program where perf_event_open() fails with EACCES, as
 * under a container's seccomp profile or kernel.perf_event_paranoid 3:
 *
 *     noperf PROGRAM [ARG...]
 *
 * It installs a seccomp filter for that one system call (no_new_privs
 * first, so no privilege is needed) and execs PROGRAM; the filter is
 * inherited by everything it runs.  Exit status 127 if it cannot.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "refuse_perf.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: noperf PROGRAM [ARG...]\n");
		return 127;
	}
	if (refuse_perf()) {
		perror("noperf: seccomp");
		return 127;
	}
	execvp(argv[1], argv + 1);
	perror("noperf: exec");
	return 127;
}
