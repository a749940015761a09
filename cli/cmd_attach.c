/* SPDX-License-Identifier: MIT */
/*
 * cmd_attach.c - `mprof attach [options] PID|NAME`: record the memory of a
 * process that is already running, until it exits, the timeout expires
 * (Python's default: one hour) or the user stops mprof (Ctrl-C, SIGTERM):
 * every one of those ends with a complete file and status 0.
 *
 * A NAME is matched as Python's mprof matches it: the first process, in
 * pid order, whose name contains it (the kernel's 15-character comm, or
 * failing that the base name of its argv[0]).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"

/* Python's `mprof attach` samples for at most an hour unless told. */
#define ATTACH_TIMEOUT 3600.0

static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int name_matches(const char *pid, const char *name)
{
	char path[64], buf[4096];
	ssize_t n;
	char *base;

	snprintf(path, sizeof path, "/proc/%s/comm", pid);
	if (slurp(path, buf, sizeof buf) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (strstr(buf, name))
			return 1;
	}
	snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
	n = slurp(path, buf, sizeof buf);
	if (n <= 0)
		return 0;
	base = strrchr(buf, '/');
	return strstr(base ? base + 1 : buf, name) != NULL;
}

/* The lowest pid whose name contains name, other than mprof itself. */
static pid_t find_by_name(const char *name)
{
	struct dirent *e;
	pid_t best = -1, self = getpid();
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		pid_t p;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p = (pid_t)atoi(e->d_name);
		if (p == self || (best > 0 && p > best))
			continue;
		if (name_matches(e->d_name, name))
			best = p;
	}
	closedir(d);
	return best;
}

/* The process's argv as a CMDLINE, or its pid when it has none. */
static char *cmdline_of(pid_t pid)
{
	char path[64], buf[65536], *argv[1024];
	ssize_t n;
	int argc = 0;
	char *p;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	n = slurp(path, buf, sizeof buf);
	if (n <= 0) {
		snprintf(buf, sizeof buf, "%d", (int)pid);
		return strdup(buf);
	}
	for (p = buf; p < buf + n && argc < 1024; p += strlen(p) + 1)
		argv[argc++] = p;
	return mp_dat_join_argv(argc, argv);
}

static int attach(pid_t pid, const struct record_opts *o)
{
	char *path = NULL;
	size_t nsamples = 0;
	int fd, rc;

	if (pid == getpid())
		return fail("cannot attach to mprof itself");
	if (kill(pid, 0) && errno == ESRCH)
		return fail("no process with pid %d", (int)pid);
	fd = record_start(o->output, cmdline_of(pid), &path);
	if (fd < 0)
		return EXIT_FAIL;
	fprintf(stderr, "mprof: sampling pid %d every %g s into '%s'\n",
		(int)pid, o->interval, path);
	rc = record_samples(fd, path, pid, o, 1, &nsamples);
	if (close(fd) && !rc)
		rc = error("cannot write '%s': %s", path, strerror(errno));
	if (rc && nsamples == 0)
		unlink(path);
	free(path);
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_attach(int argc, char **argv)
{
	struct record_opts o = { 0.1, -1, 0, 0, MPROF_RSS, NULL, NULL };
	const char *backend = NULL;
	const struct option opts[] = {
		{ 'T', "interval", OPT_SECONDS, &o.interval },
		{ 't', "timeout", OPT_SECONDS, &o.timeout },
		{ 'C', "include-children", OPT_FLAG, &o.include_children },
		{ 'M', "multiprocess", OPT_FLAG, &o.multiprocess },
		{ 'o', "output", OPT_STRING, &o.output },
		{ 0, "backend", OPT_STRING, &backend },
		{ 0, NULL, 0, NULL },
	};
	char *end;
	long v;
	pid_t pid;
	int n;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (n != 1)
		return usage_error("attach", "one PID or process name must be given");
	if (!(o.interval > 0))
		return usage_error("attach", "the interval must be more than 0 s");
	if (backend && parse_backend("attach", backend, &o.backend))
		return EXIT_USAGE;
	if (o.timeout < 0)
		o.timeout = ATTACH_TIMEOUT;
	errno = 0;
	v = strtol(argv[0], &end, 10);
	if (*argv[0] && !*end) {
		if (errno || v <= 0 || v > (long)0x7fffffff)
			return fail("no process with pid %s", argv[0]);
		pid = (pid_t)v;
	} else {
		pid = find_by_name(argv[0]);
		if (pid < 0)
			return fail("no process whose name contains '%s'",
				     argv[0]);
	}
	return attach(pid, &o);
}
