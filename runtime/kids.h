/* SPDX-License-Identifier: MIT */
/*
 * kids.h - a process's descendants and their memory (runtime/kids.c):
 * the one enumeration behind memory_usage()'s include_children and
 * multiprocess, `mprof run -C`/`-M`, and the backends' figure under
 * MPROF_INCLUDE_CHILDREN.
 *
 * Descendants come from /proc/PID/task/TID/children where the kernel has
 * it (CONFIG_PROC_CHILDREN), else from scans of the parent pids in
 * /proc/N/stat (what psutil does), one scan per generation.  Directories
 * are read with getdents64 into the caller's stack, never opendir(): the
 * enumeration allocates only through the grow function it is given, so a
 * probe can run it with a fixed array.  Like sys.h, it includes nothing
 * of the runtime.
 */
#ifndef MP_KIDS_H
#define MP_KIDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mprof.h"

/* Descendants followed at most: a fork bomb must not make this grow
 * without bound. */
#define MP_KIDS_MAX 65536

struct mp_kids {
	pid_t *pid;			/* descendants found, breadth first */
	size_t n;			/* entries in pid[] */
	size_t cap;			/* room in pid[] */
	/* Make room for `need` elements of `elem` bytes in *p (*cap of them
	 * now): 0, or -1 with *p unchanged.  NULL: pid[] is all there is. */
	int (*grow)(void *p, size_t *cap, size_t need, size_t elem);
	int child_files;		/* 1: task/TID/children, 0: scan */
};

/* Whether `pid`'s kernel lists children in /proc/PID/task/TID/children. */
int mp_kids_child_files(pid_t pid);

/* Every descendant of `pid` into k->pid (k->n set; what does not fit is
 * left out).  No allocation but k->grow; errno may change. */
void mp_kids_find(struct mp_kids *k, pid_t pid);

/*
 * The figure of measure `b` of process `pid` in bytes into *bytes: 0, or
 * 1 when it is gone, a zombie, or its files lack the figure.  No
 * allocation; errno may change.
 */
int mp_kids_figure(pid_t pid, enum mprof_backend b, int64_t page,
		   int64_t *bytes);

/*
 * The sum of the figures of `pid`'s descendants, in bytes (at most 256
 * of them): what MPROF_INCLUDE_CHILDREN adds to the backend's figure.  No
 * allocation, about 8 KiB of stack; errno kept.
 */
int64_t mp_kids_total(pid_t pid, enum mprof_backend b, int64_t page);

#endif /* MP_KIDS_H */
