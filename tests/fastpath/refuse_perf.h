/* SPDX-License-Identifier: MIT */
/*
 * refuse_perf.h - make perf_event_open() fail with EACCES in this process
 * and everything it starts, as a container's seccomp profile or
 * kernel.perf_event_paranoid 3 do: a seccomp filter for that one system
 * call, after no_new_privs (so no privilege is needed).  0, or -1 with
 * errno set.  Used by noperf.c and tests/unit/test_rss.c.
 */
#ifndef MPROF_REFUSE_PERF_H
#define MPROF_REFUSE_PERF_H

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static int refuse_perf(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#endif /* MPROF_REFUSE_PERF_H */
