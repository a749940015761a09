/* SPDX-License-Identifier: MIT */
/*
 * cmd_lines.c - `mprof lines [options] PROGRAM [ARGS...]`: per-line
 * memory tables of a program built with -g and no plugin (docs/lines.md).
 *
 * The program is forked and held before its exec until the recorder is
 * ready: with --backend rss (default) the page-fault events are opened on
 * it, enabled by its exec (lines/perf.c); with --backend heap it gets
 * libmprof_lines.so in LD_PRELOAD and a pipe (lines/preload.c,
 * lines/heap.c).  The exec's failure comes back through a close-on-exec
 * pipe, as in `mprof run`; while it runs, SIGINT and SIGQUIT are ignored
 * (the terminal sends them to the program too) and SIGTERM and SIGHUP are
 * passed on to it.  Events are drained while it runs; when it has
 * exited (or died: what was recorded until then is kept), lines/acct.c
 * turns them into one profile per process, or one for all with -C, whose
 * --functions N functions that grew memory most are printed by
 * report/'s line table on stderr, under a line saying where the table
 * comes from, and written as JSON (-o, default mprofile_<time>.json) for
 * `mprof report`; a forked child's profile goes beside it, as
 * <name>.<pid>.json.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "cli.h"
#include "code.h"
#include "json.h"
#include "record.h"
#include "symbolize.h"

/* The heap backend's pipe, in the program, far from the usual fds. */
#define HEAP_FD 987
/* Rows printed for code without line information. */
#define NOLINES_ROWS 20

struct lines_opts {
	int heap;		/* --backend heap */
	int merge;		/* -C */
	int exit_code;		/* -E */
	size_t nfuncs;		/* --functions */
	const char *output;	/* -o */
};

/* libmprof_lines.so: beside libmprof, one level up from bin/. */
static char *find_preload(void)
{
	static const char *const dirs[] = { "lib", MPROF_LIBDIR };
	const char *env = getenv("MPROF_LINES_PRELOAD");
	char exe[PATH_MAX], *slash, *path;
	ssize_t n;
	size_t i;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (asprintf(&path, "%s/../%s/libmprof_lines.so", exe,
			     dirs[i]) < 0)
			return NULL;
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

/* The child's side: wait for the recorder, then exec (or report errno). */
static void child(char **argv, int go, int err, int heap_w,
		  const char *preload, const struct sigaction *old_int,
		  const struct sigaction *old_quit)
{
	char c, pid[24];
	int e;

	sigaction(SIGINT, old_int, NULL);
	sigaction(SIGQUIT, old_quit, NULL);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	if (heap_w >= 0) {
		const char *old = getenv("LD_PRELOAD");
		char *v;

		if (dup2(heap_w, HEAP_FD) < 0)
			goto fail;
		if (old && *old) {
			if (asprintf(&v, "%s:%s", preload, old) < 0)
				goto fail;
			setenv("LD_PRELOAD", v, 1);
		} else {
			setenv("LD_PRELOAD", preload, 1);
		}
		setenv("MPROF_LINES_FD", "987", 1);
		/* the process the recorder outlives none of (preload.c) */
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		setenv("MPROF_LINES_PID", pid, 1);
	}
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(err, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* The name for the profile: -o, or the first free mprofile_<time>.json. */
static char *json_name(const char *output)
{
	char name[64];
	time_t now = time(NULL);
	int i;

	if (output)
		return strdup(output);
	for (i = 0; i < 100; i++) {
		time_t t = now + i;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(name, sizeof name, "mprofile_%Y%m%d%H%M%S.json", &tm);
		if (access(name, F_OK) != 0)
			return strdup(name);
	}
	return strdup(name);
}

/* <name>.<pid>.json beside name (name without its .json). */
static char *child_name(const char *name, unsigned pid)
{
	size_t n = strlen(name);
	char *out;

	if (n > 5 && !strcmp(name + n - 5, ".json"))
		n -= 5;
	if (asprintf(&out, "%.*s.%u.json", (int)n, name, pid) < 0)
		return NULL;
	return out;
}

struct run_result {
	int status;		/* the program's wait status */
	struct mp_rec_stats st;
};

/* The notes the tables carry, in the JSON and (when they matter) on stderr. */
static char *notes_of(const struct lines_opts *o, const struct mp_rec_stats *st)
{
	char *s = NULL;
	unsigned long long charged = st->at_ip + st->on_stack + st->no_line;

	if (asprintf(&s, "mprof lines: %s backend: %llu %s, %llu charged to "
		     "their own line, %llu to a caller found on the stack, "
		     "%llu to code without line information; %llu unwound with the CFI%s%s\n",
		     o->heap ? "heap" : "rss",
		     (unsigned long long)(o->heap ? st->events : charged),
		     o->heap ? "allocation calls" : "pages faulted in",
		     (unsigned long long)st->at_ip,
		     (unsigned long long)st->on_stack,
		     (unsigned long long)st->no_line,
		     (unsigned long long)st->by_cfi,
		     !o->heap && !st->releases ?
			"\nmprof lines: memory given back (munmap, madvise, brk) is not seen: tracefs is not readable" : "",
		     st->lost ? "\nmprof lines: events were lost" : "") < 0)
		return NULL;
	return s;
}

/* Print one profile (process index i, or all) and write its JSON. */
static int output_one(struct mp_acct *a, size_t i, const struct lines_opts *o,
		      const char *path, const char *notes, int sig,
		      const char *prog)
{
	struct mp_report_opts ro = { .precision = 1 };
	struct mp_json_meta m;
	struct mp_profile p;
	uint32_t pid = 0, parent = 0;
	int rc = 0;
	FILE *f;

	if (i != (size_t)-1)
		mp_acct_proc(a, i, &pid, &parent);
	else
		mp_acct_proc(a, 0, &pid, &parent);
	mp_profile_init(&p);
	if (mp_acct_profile(a, i, o->nfuncs, &p))
		rc = error("%s", strerror(ENOMEM));
	if (parent && i != (size_t)-1)
		fprintf(stderr, "Process %u (child of %u)\n\n", pid, parent);
	if (p.nfuncs) {
		mp_report_print(stderr, &p, &ro);
	} else {
		fprintf(stderr, "mprof: no line information in '%s' (built without -g?): memory by function and address\n",
			prog);
		if (!mp_acct_print_nolines(a, i, NOLINES_ROWS, stderr))
			fprintf(stderr, "mprof: no memory was charged\n");
		fputc('\n', stderr);
	}
	mp_json_meta_init(&m);
	snprintf(m.backend, sizeof m.backend, "%s", o->heap ? "heap" : "rss");
	m.pid = pid;
	m.parent = i == (size_t)-1 ? 0 : parent;
	m.signal = sig;
	m.notes = notes;
	m.notes_len = notes ? strlen(notes) : 0;
	f = fopen(path, "w");
	if (!f) {
		rc = error("cannot create '%s': %s", path, strerror(errno));
	} else {
		if (mp_json_write(f, &p, &m) | fclose(f))
			rc = error("cannot write '%s': %s", path,
				   strerror(errno));
	}
	mp_profile_free(&p);
	return rc;
}

static int output(struct mp_acct *a, const struct lines_opts *o,
		  const struct run_result *r, const char *prog)
{
	char *name = json_name(o->output), *notes = notes_of(o, &r->st);
	int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0, rc = 0;
	size_t i, n = mp_acct_nprocs(a);

	if (!name)
		return error("%s", strerror(ENOMEM));
	fprintf(stderr, "mprof lines: %s\n\n", o->heap ?
		"bytes asked of malloc & co. per line (heap backend); Occurrences: allocation and free calls" :
		"resident memory per line from page faults (rss backend); Occurrences: pages faulted in or given back");
	if (!o->heap && !r->st.releases)
		fprintf(stderr, "mprof: memory given back (munmap, madvise, brk) is not seen: mount tracefs (/sys/kernel/tracing) and run as root\n");
	if (r->st.lost)
		fprintf(stderr, "mprof: %llu events were lost: the program faulted faster than mprof could read\n",
			(unsigned long long)r->st.lost);
	if (r->st.throttled)
		fprintf(stderr, "mprof: the kernel throttled the page-fault sampling %llu times (kernel.perf_event_max_sample_rate): faults are missing\n",
			(unsigned long long)r->st.throttled);
	if (n == 0) {
		fprintf(stderr, "mprof: nothing was recorded\n");
		mp_acct_fork(a, 0, 0);
		n = 1;
	}
	if (o->merge || n == 1) {
		rc = output_one(a, o->merge ? (size_t)-1 : 0, o, name, notes,
				sig, prog);
	} else {
		for (i = 0; i < n; i++) {
			uint32_t pid, parent;
			char *path;

			mp_acct_proc(a, i, &pid, &parent);
			path = i ? child_name(name, pid) : strdup(name);
			if (!path) {
				rc = error("%s", strerror(ENOMEM));
				break;
			}
			rc |= output_one(a, i, o, path, notes, i ? 0 : sig,
					 prog);
			free(path);
		}
	}
	if (!rc)
		fprintf(stderr, "mprof: profile written to '%s'\n", name);
	free(name);
	free(notes);
	return rc;
}

/* The program, for on_term. */
static volatile pid_t program;

/* SIGTERM and SIGHUP go on to the program, whose end ends the recording. */
static void on_term(int sig)
{
	if (program > 0)
		kill(program, sig);
}

/* Drain until the program has exited; its wait status in r. */
static void record(pid_t pid, struct mp_perf *perf, struct mp_heap *heap,
		   int heap_fd, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a,
		   struct run_result *r)
{
	struct pollfd fd = { heap_fd, POLLIN, 0 };
	int done = 0;

	for (;;) {
		if (!done)	/* perf's rings have a reader thread */
			poll(&fd, perf ? 0 : 1, 20);
		if (perf)
			mp_perf_drain(perf, s, c, a);
		else
			mp_heap_drain(heap, s, c, a);
		if (done)
			break;
		if (waitpid(pid, &r->status, WNOHANG) == pid) {
			done = 1;
			if (perf)
				mp_perf_stop(perf);
		}
	}
}

static int run(char **argv, const struct lines_opts *o)
{
	struct sigaction ign, term, old_int, old_quit, old_term, old_hup;
	int go[2], err[2], hp[2] = { -1, -1 }, e = 0, rc;
	struct mp_perf *perf = NULL;
	struct mp_heap *heap = NULL;
	struct run_result r;
	struct mp_sym *s;
	struct mp_code *c;
	struct mp_acct *a;
	char *preload = NULL;
	ssize_t n;
	pid_t pid;

	memset(&r, 0, sizeof r);
	if (o->heap) {
		preload = find_preload();
		if (!preload)
			return fail("cannot find libmprof_lines.so beside mprof (set MPROF_LINES_PRELOAD)");
		if (pipe2(hp, O_CLOEXEC)) {
			free(preload);
			return fail("cannot create a pipe: %s", strerror(errno));
		}
		fcntl(hp[0], F_SETFL, O_NONBLOCK);
		fcntl(hp[0], F_SETPIPE_SZ, 1 << 20);
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return fail("cannot create a pipe: %s", strerror(errno));
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail("cannot fork: %s", strerror(errno));
	if (pid == 0)
		child(argv, go[0], err[1], hp[1], preload, &old_int, &old_quit);
	close(go[0]);
	close(err[1]);
	if (hp[1] >= 0)
		close(hp[1]);
	free(preload);
	s = mp_sym_new();
	c = mp_code_new();
	a = s && c ? mp_acct_new(s, c) : NULL;
	if (!a) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return fail("%s", strerror(ENOMEM));
	}
	mp_acct_fork(a, 0, (uint32_t)pid);
	if (!o->heap) {
		rc = mp_perf_open(&perf, pid);
		if (rc) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			mp_acct_free(a);
			mp_sym_free(s);
			mp_code_free(c);
			if (rc == -EACCES || rc == -EPERM || rc == -ENOSYS ||
			    rc == -ENOENT)
				return fail("perf events are not allowed here (perf_event_open: %s): run 'sysctl kernel.perf_event_paranoid=1' or run as root, or use --backend heap",
					    strerror(-rc));
			return fail("cannot open perf events: %s", strerror(-rc));
		}
	} else {
		heap = mp_heap_new(hp[0]);
	}
	if (write(go[1], "g", 1) < 0)
		e = errno;
	close(go[1]);
	do
		n = read(err[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(err[0]);
	if (n == (ssize_t)sizeof e) {
		waitpid(pid, NULL, 0);
		mp_perf_close(perf, NULL);
		mp_heap_close(heap, NULL);
		mp_acct_free(a);
		mp_sym_free(s);
		mp_code_free(c);
		if (hp[0] >= 0)
			close(hp[0]);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		return fail("cannot run '%s': %s", argv[0], strerror(e));
	}
	program = pid;
	term = ign;
	term.sa_handler = on_term;
	sigaction(SIGTERM, &term, &old_term);
	sigaction(SIGHUP, &term, &old_hup);
	record(pid, perf, heap, hp[0], s, c, a, &r);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	program = 0;
	mp_perf_close(perf, &r.st);
	mp_heap_close(heap, &r.st);
	if (hp[0] >= 0)
		close(hp[0]);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFSIGNALED(r.status))
		warning("'%s' was killed by signal %d (%s)", argv[0],
			WTERMSIG(r.status), strsignal(WTERMSIG(r.status)));
	rc = output(a, o, &r, argv[0]);
	mp_acct_free(a);
	mp_sym_free(s);
	mp_code_free(c);
	if (rc)
		return EXIT_FAIL;
	if (!o->exit_code)
		return EXIT_OK;
	return WIFSIGNALED(r.status) ? 128 + WTERMSIG(r.status) :
				       WEXITSTATUS(r.status);
}

int cmd_lines(int argc, char **argv)
{
	struct lines_opts o = { 0, 0, 0, 5, NULL };
	const char *backend = NULL, *funcs = NULL;
	const struct option opts[] = {
		{ 'C', "include-children", OPT_FLAG, &o.merge },
		{ 'E', "exit-code", OPT_FLAG, &o.exit_code },
		{ 'o', "output", OPT_STRING, &o.output },
		{ 0, "backend", OPT_STRING, &backend },
		{ 0, "functions", OPT_STRING, &funcs },
		{ 0, NULL, 0, NULL },
	};
	char *end;
	int n;

	n = parse_options(argc, argv, opts, PARSE_STOP_AT_ARG);
	if (n < 0)
		return parse_exit(n);
	if (n == 0)
		return usage_error("lines", "a program to run must be provided");
	if (backend && !strcmp(backend, "heap"))
		o.heap = 1;
	else if (backend && strcmp(backend, "rss"))
		return usage_error("lines", "unknown backend '%s' (use rss or heap)",
				   backend);
	if (funcs) {
		unsigned long v;

		errno = 0;
		v = strtoul(funcs, &end, 10);
		if (*funcs < '0' || *funcs > '9' || *end || errno)
			return usage_error("lines", "option '--functions' takes a number, not '%s'",
					   funcs);
		o.nfuncs = v;
	}
	argv[n] = NULL;
	return run(argv, &o);
}
