/* SPDX-License-Identifier: MIT */
/*
 * record.c - the recorder behind `mprof run` and `mprof attach`: it makes
 * the .dat file and streams the samples of mprof_memory_usage_pid() (the
 * library's sampler, runtime/usage.c) into it as MEM and CHLD lines.
 *
 * Lines leave in whole-line writes at least every FLUSH_EVERY seconds, so
 * a recorder killed outright loses no more than that; one asked to stop
 * (SIGTERM, SIGHUP, and SIGINT for attach) completes its file.  Nothing is
 * kept per sample: memory is constant however long the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"
#include "sys.h"

/* Longest a sampled line waits in the buffer, in seconds. */
#define FLUSH_EVERY 0.05

/* Names tried after mprofile_<now>.dat is taken: <now+1s>, ... */
#define NAME_TRIES 100

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct recorder {
	struct mp_dat_writer w;
	pid_t pid;			/* the process sampled */
	int stop_on_signal;		/* attach: a signal ends the recording */
	double last_flush;		/* CLOCK_MONOTONIC, s */
};

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The stream callback: one MEM line and a CHLD line per child. */
static int on_sample(void *ctx, const struct mprof_sample *s)
{
	struct recorder *r = ctx;
	double now = mono_now();
	size_t i;
	int sig;

	mp_dat_put_mem(&r->w, s->mem, s->time);
	for (i = 0; i < s->nchildren; i++)
		mp_dat_put_chld(&r->w, (long)s->children[i].pid,
				s->children[i].mem, s->time);
	if (now - r->last_flush >= FLUSH_EVERY) {
		mp_dat_flush(&r->w);
		r->last_flush = now;
	}
	if (r->w.err)
		return 1;
	sig = got_signal;
	if (sig) {
		if (r->stop_on_signal)
			return 1;
		got_signal = 0;
		kill(r->pid, sig);
	}
	return 0;
}

int parse_backend(const char *cmd, const char *s, enum mprof_backend *b)
{
	/* Python mprof's names, so its scripts work unchanged */
	static const struct {
		const char *alias, *name;
	} python[] = {
		{ "psutil", "rss" }, { "psutil_pss", "pss" },
		{ "psutil_uss", "uss" },
	};
	const struct mp_measure *m;
	size_t i;

	for (i = 0; i < sizeof python / sizeof python[0]; i++)
		if (strcmp(s, python[i].alias) == 0)
			s = python[i].name;
	m = mp_sys_measure_named(s);
	if (m && m->file != MP_PROC_NONE) {
		*b = (enum mprof_backend)m->id;
		return 0;
	}
	usage_error(cmd, "unknown backend '%s' (use rss, pss, uss or vms)", s);
	return -1;
}

/*
 * The default name is Python's, mprofile_<local start time>.dat.  Python
 * appends to it when it exists (two runs in one second interleave); here
 * the next free second is taken instead.
 */
static int record_open(const char *output, char **path)
{
	const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
	char name[64];
	time_t now = time(NULL);
	int i, fd;

	if (output) {
		fd = open(output, flags | O_TRUNC, 0666);
		if (fd < 0)
			return error("cannot create '%s': %s", output,
				     strerror(errno));
		*path = strdup(output);
		if (!*path) {
			close(fd);
			return error("%s", strerror(ENOMEM));
		}
		return fd;
	}
	for (i = 0; i < NAME_TRIES; i++) {
		time_t t = now + i;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(name, sizeof name, "mprofile_%Y%m%d%H%M%S.dat", &tm);
		fd = open(name, flags | O_EXCL, 0666);
		if (fd >= 0) {
			*path = strdup(name);
			if (!*path) {
				close(fd);
				unlink(name);
				return error("%s", strerror(ENOMEM));
			}
			return fd;
		}
		if (errno != EEXIST)
			return error("cannot create '%s': %s", name,
				     strerror(errno));
	}
	return error("cannot create a new mprofile_*.dat here: the next %d names are taken",
		     NAME_TRIES);
}

static int record_cmdline(int fd, const char *path, const char *cmdline)
{
	struct mp_dat_writer w;

	mp_dat_writer_init(&w, fd);
	if (mp_dat_put_cmdline(&w, cmdline) || mp_dat_flush(&w))
		return error("cannot write '%s': %s", path,
			     strerror(w.err ? w.err : ENOMEM));
	return 0;
}

int record_start(const char *output, char *cmdline, char **path)
{
	int fd;

	if (!cmdline)
		return error("%s", strerror(ENOMEM));
	fd = record_open(output, path);
	if (fd >= 0 && record_cmdline(fd, *path, cmdline)) {
		struct stat st;

		/* A half-written .dat goes; `-o /dev/full` stays. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			unlink(*path);
		close(fd);
		free(*path);
		*path = NULL;
		fd = -1;
	}
	free(cmdline);
	return fd;
}

int record_samples(int fd, const char *path, pid_t pid,
		   const struct record_opts *o, int stop_on_signal,
		   size_t *nsamples)
{
	static struct recorder r;	/* 8 KiB of buffer: not on the stack */
	struct mprof_usage_opts uo = MPROF_USAGE_OPTS_INIT;
	struct sigaction sa, old_term, old_hup, old_int;
	struct mprof_usage u;
	int rc, e;

	memset(&r, 0, sizeof r);
	mp_dat_writer_init(&r.w, fd);
	r.pid = pid;
	r.stop_on_signal = stop_on_signal;
	r.last_flush = mono_now();
	uo.interval = o->interval;
	uo.timeout = o->timeout;
	uo.include_children = o->include_children;
	uo.multiprocess = o->multiprocess;
	uo.backend = o->backend;
	uo.stream = on_sample;
	uo.stream_ctx = &r;

	/* no SA_RESTART: a signal must cut the sampler's sleep short */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	if (stop_on_signal)
		sigaction(SIGINT, &sa, &old_int);

	rc = mprof_memory_usage_pid(pid, &uo, &u);
	e = errno;

	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (stop_on_signal)
		sigaction(SIGINT, &old_int, NULL);
	mp_dat_flush(&r.w);
	*nsamples = rc ? 0 : u.nsamples;
	if (rc) {
		if (e == ESRCH)
			return error("no process with pid %d", (int)pid);
		return error("cannot read the memory of pid %d: %s",
			     (int)pid, strerror(e));
	}
	mprof_usage_free(&u);
	if (r.w.err)
		return error("cannot write '%s': %s", path,
			     strerror(r.w.err));
	return 0;
}
