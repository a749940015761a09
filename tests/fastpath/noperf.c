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
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };

	if (argc < 2) {
		fprintf(stderr, "usage: noperf PROGRAM [ARG...]\n");
		return 127;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("noperf: seccomp");
		return 127;
	}
	execvp(argv[1], argv + 1);
	perror("noperf: exec");
	return 127;
}
