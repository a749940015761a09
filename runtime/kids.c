/* SPDX-License-Identifier: MIT */
/*
 * kids.c - a process's descendants and their figures (kids.h), for the
 * sampler of memory_usage() and `mprof run` (usage.c) and for the
 * backends under MPROF_INCLUDE_CHILDREN (backend.c): one enumeration.
 * A file of its own, so that a static link of the runtime that never
 * calls memory_usage() does not pull in the sampler (and libm).
 *
 * Nothing here allocates but through the caller's grow function: /proc
 * directories are read with getdents64 into a buffer on the stack, files
 * with one pread each.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kids.h"
#include "sys.h"

/* smaps_rollup is about 1 KiB; a children file a few pids. */
#define PROCBUF 4096

static ssize_t read_path(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = mp_sys_pread(fd, buf, size);
	close(fd);
	return n;
}

/* Directory entries read at once: on the stack, so no opendir(). */
#define DENTS 2048

struct dent {				/* struct linux_dirent64 */
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * Call `each(name, ctx)` for every entry of the directory `path` whose
 * name is a number; -1 when it cannot be opened.
 */
static int each_number(const char *path, void (*each)(const char *, void *),
		       void *ctx)
{
	char buf[DENTS] __attribute__((aligned(8)));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
		for (ssize_t at = 0; at < n;) {
			const struct dent *d = (const struct dent *)(buf + at);

			if (d->name[0] >= '0' && d->name[0] <= '9')
				each(d->name, ctx);
			at += d->reclen;
		}
	}
	close(fd);
	return 0;
}

/* A decimal number at *p, moving *p past it; -1 if there is none. */
static long number(const char **p)
{
	long v = -1;

	while (**p == ' ' || **p == '\n')
		(*p)++;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = (v < 0 ? 0 : v * 10) + (**p - '0');
	return v;
}

static void add_kid(struct mp_kids *k, pid_t pid)
{
	if (pid <= 0 || k->n >= MP_KIDS_MAX)
		return;
	if (k->n >= k->cap &&
	    (!k->grow || k->grow(&k->pid, &k->cap, k->n + 1, sizeof *k->pid)))
		return;
	k->pid[k->n++] = pid;
}

struct walk {
	struct mp_kids *k;
	pid_t pid;			/* files: whose task/ is read */
	size_t from, to;		/* scan: parents, k->pid[from, to) */
	pid_t root;			/* scan: the parent when from == to */
};

/* files: the children of one thread of w->pid. */
static void kids_of_task(const char *tid, void *ctx)
{
	struct walk *w = ctx;
	char path[96], buf[PROCBUF];
	const char *p = buf;
	long v;

	snprintf(path, sizeof path, "/proc/%d/task/%.20s/children",
		 (int)w->pid, tid);
	if (read_path(path, buf, sizeof buf) <= 0)
		return;
	while ((v = number(&p)) > 0)
		add_kid(w->k, (pid_t)v);
}

/* scan: process `name` joins when its parent is one of this generation. */
static void kid_if_child(const char *name, void *ctx)
{
	struct walk *w = ctx;
	char path[64], buf[1024];
	const char *r;
	long ppid;
	size_t i;

	snprintf(path, sizeof path, "/proc/%.20s/stat", name);
	if (read_path(path, buf, sizeof buf) <= 0)
		return;
	/* "pid (comm) S ppid ...": comm may hold spaces and parens */
	r = strrchr(buf, ')');
	if (!r || !r[1] || !r[2] || !r[3])
		return;
	r += 3;
	if ((ppid = number(&r)) <= 0)
		return;
	if (w->from == w->to) {
		if (ppid == w->root)
			add_kid(w->k, (pid_t)atoi(name));
		return;
	}
	for (i = w->from; i < w->to; i++)
		if (w->k->pid[i] == (pid_t)ppid) {
			add_kid(w->k, (pid_t)atoi(name));
			return;
		}
}

int mp_kids_child_files(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	return access(path, R_OK) == 0;
}

/*
 * Breadth first: with children files, entry i - 1 is the parent read at
 * step i (each process has one parent, so no pid comes twice); without,
 * one scan of /proc per generation.
 */
void mp_kids_find(struct mp_kids *k, pid_t pid)
{
	struct walk w = { k, pid, 0, 0, pid };
	char path[64];
	size_t i;

	k->n = 0;
	if (!k->child_files) {
		do {
			size_t before = k->n;

			each_number("/proc", kid_if_child, &w);
			w.from = before;
			w.to = k->n;
		} while (w.to > w.from);
		return;
	}
	for (i = 0; i <= k->n; i++) {
		w.pid = i == 0 ? pid : k->pid[i - 1];
		snprintf(path, sizeof path, "/proc/%d/task", (int)w.pid);
		each_number(path, kids_of_task, &w);
	}
}

int mp_kids_figure(pid_t pid, enum mprof_backend b, int64_t page,
		   int64_t *bytes)
{
	const struct mp_measure *m = mp_sys_measure((enum mp_backend_id)b);
	char path[64], statm[256], rollup[PROCBUF];
	uint64_t size, resident;
	int64_t v;

	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	if (read_path(path, statm, sizeof statm) <= 0 ||
	    mp_sys_statm(statm, &size, &resident) < 0 || size == 0)
		return 1;
	if (m->file == MP_PROC_ROLLUP) {
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid,
			 mp_sys_proc_name(m->file));
		if (read_path(path, rollup, sizeof rollup) <= 0)
			return 1;
		v = m->parse(rollup, page);
	} else {
		v = m->parse(statm, page);
	}
	if (v < 0)
		return 1;
	*bytes = v;
	return 0;
}

int64_t mp_kids_total(pid_t pid, enum mprof_backend b, int64_t page)
{
	pid_t pids[256];
	struct mp_kids k = { pids, 0, 256, NULL, mp_kids_child_files(pid) };
	int saved = errno;
	int64_t sum = 0, v;

	mp_kids_find(&k, pid);
	for (size_t i = 0; i < k.n; i++)
		if (mp_kids_figure(pids[i], b, page, &v) == 0)
			sum += v;
	errno = saved;
	return sum;
}
