/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `mprof run [options] PROGRAM [ARGS...]`: start the program
 * and record its memory until it exits.
 *
 * The .dat is created (and its CMDLINE written) before the fork, so the
 * program finds it through MPROF_DAT; sampling starts once exec has
 * succeeded, which a close-on-exec pipe reports (an exec failure comes
 * back through it as an errno), so mprof's own memory is never sampled.
 * While the program runs, mprof ignores SIGINT and SIGQUIT (the terminal
 * sends them to the program as well, and the recording must outlive it)
 * and passes SIGTERM and SIGHUP on to it.  With --backend, MPROF_DAT_BACKEND
 * tells the program's runtime to measure its FUNC records the same way,
 * and MPROF_DAT_FUNCS which calls get a record (--funcs): by default
 * (long) the interval, so that calls shorter than it are merged and a
 * program making millions of calls does not write a line per call.
 *
 * A program that lives less than an interval is sampled once, just after
 * exec, before it has touched anything, and an ended process has no memory
 * left to read.  So once it is reaped, a PEAK record gives the largest
 * resident set the kernel saw (wait4's ru_maxrss: the program's, or a
 * descendant's it waited for, whichever is larger).  That is the curve's
 * peak, or a lower bound of it with -C (the curve sums the processes); with
 * -M the curve is the program alone, which ru_maxrss cannot tell from its
 * children, and other backends measure something else: no PEAK then.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"
#include "sys.h"

/* Fork and exec argv; the child's pid, or -1 after an error(). */
static pid_t start(char **argv, const struct sigaction *old_int,
		   const struct sigaction *old_quit)
{
	int p[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return error("cannot create a pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return error("cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		sigaction(SIGINT, old_int, NULL);
		sigaction(SIGQUIT, old_quit, NULL);
		execvp(argv[0], argv);
		e = errno;
		n = write(p[1], &e, sizeof e);
		_exit(127);
	}
	close(p[1]);
	do
		n = read(p[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return error("cannot run '%s': %s", argv[0], strerror(e));
	}
	return pid;
}

/*
 * SIGCHLD only has to interrupt the sampler's sleep (no SA_RESTART): it
 * then samples at once, finds the program ended and stops, rather than
 * up to an interval later.
 */
static void on_child(int sig)
{
	(void)sig;
}

/* The PEAK record of the reaped program, from its rusage. */
static int put_peak(int fd, const char *path, const struct rusage *ru)
{
	struct mp_dat_writer w;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	mp_dat_writer_init(&w, fd);
	if (mp_dat_put_peak(&w, (double)ru->ru_maxrss / 1024.0,
			    (double)tv.tv_sec + (double)tv.tv_usec * 1e-6) ||
	    mp_dat_flush(&w))
		return error("cannot write '%s': %s", path,
			     strerror(w.err ? w.err : ENOMEM));
	return 0;
}

static int run(char **argv, int argc, const struct record_opts *o,
	       int exit_code, const char *funcs)
{
	struct sigaction ign, chld, old_int, old_quit, old_chld;
	char *path = NULL, *abs;
	size_t nsamples = 0;
	int fd, status = 0, rc;
	struct rusage ru;
	pid_t pid, got;

	fd = record_start(o->output, mp_dat_join_argv(argc, argv), &path);
	if (fd < 0)
		return EXIT_FAIL;
	abs = realpath(path, NULL);
	setenv("MPROF_DAT", abs ? abs : path, 1);
	free(abs);
	if (o->backend_name)
		setenv("MPROF_DAT_BACKEND", o->backend_name, 1);
	else
		unsetenv("MPROF_DAT_BACKEND");
	setenv("MPROF_DAT_FUNCS", funcs, 1);

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	chld = ign;
	chld.sa_handler = on_child;
	sigaction(SIGCHLD, &chld, &old_chld);
	pid = start(argv, &old_int, &old_quit);
	if (pid < 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGCHLD, &old_chld, NULL);
		goto fail;
	}
	fprintf(stderr, "mprof: sampling memory every %g s into '%s'\n",
		o->interval, path);
	rc = record_samples(fd, path, pid, o, 0, &nsamples);
	while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (!rc && got == pid && o->backend == MPROF_RSS && !o->multiprocess)
		rc = put_peak(fd, path, &ru);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	if (close(fd) && !rc)
		rc = error("cannot write '%s': %s", path, strerror(errno));
	if (!rc && nsamples == 0)
		warning("'%s' ended before its memory could be sampled",
			argv[0]);
	if (WIFSIGNALED(status))
		warning("'%s' was killed by signal %d (%s)", argv[0],
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	free(path);
	if (rc)
		return EXIT_FAIL;
	if (!exit_code)
		return EXIT_OK;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
fail:
	close(fd);
	unlink(path);
	free(path);
	return EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
	struct record_opts o = { 0.1, 0, 0, 0, MPROF_RSS, NULL, NULL };
	const char *backend = NULL, *funcs = "long";
	char funcs_env[32];
	int exit_code = 0, n;
	const struct option opts[] = {
		{ 'T', "interval", OPT_SECONDS, &o.interval },
		{ 't', "timeout", OPT_SECONDS, &o.timeout },
		{ 'C', "include-children", OPT_FLAG, &o.include_children },
		{ 'M', "multiprocess", OPT_FLAG, &o.multiprocess },
		{ 'E', "exit-code", OPT_FLAG, &exit_code },
		{ 'o', "output", OPT_STRING, &o.output },
		{ 0, "backend", OPT_STRING, &backend },
		{ 0, "funcs", OPT_STRING, &funcs },
		{ 0, NULL, 0, NULL },
	};

	n = parse_options(argc, argv, opts, PARSE_STOP_AT_ARG);
	if (n < 0)
		return parse_exit(n);
	if (n == 0)
		return usage_error("run", "a program to run must be provided");
	if (!(o.interval > 0))
		return usage_error("run", "the interval must be more than 0 s");
	if (backend && parse_backend("run", backend, &o.backend))
		return EXIT_USAGE;
	if (backend)
		o.backend_name = mp_sys_measure((enum mp_backend_id)o.backend)->name;
	if (strcmp(funcs, "long") == 0)
		snprintf(funcs_env, sizeof funcs_env, "%.9f",
			 o.interval > 1e-9 ? o.interval : 1e-9);
	else if (strcmp(funcs, "all") == 0 || strcmp(funcs, "none") == 0)
		snprintf(funcs_env, sizeof funcs_env, "%s", funcs);
	else
		return usage_error("run", "unknown --funcs '%s' (use long, all or none)",
				   funcs);
	return run(argv, n, &o, exit_code, funcs_env);
}
