/* SPDX-License-Identifier: MIT */
/*
 * exit.c - the at-exit report: every profiled function that ran, as
 * memory_profiler's line tables (report/), a summary of the top lines
 * when there are many tables (MPROF_TOP), then the runtime's notes (ABI
 * mismatches, dropped events, a backend fallback...).  Registered with
 * atexit() by the lazy initialisation, so it runs however the program
 * exits normally, whatever main returns; nothing is printed if no
 * profiled function ran and there is no note.
 *
 * Notes (mp_note, kept by sys.c) go with the report: when MPROF_OUTPUT is
 * set they leave with the tables, after them; with the report on stderr,
 * a note made before exit is printed at once, as it always was.  Only a bad MPROF_* value is printed on stderr whatever
 * MPROF_OUTPUT says (mp_sys_warn).
 *
 * Where it goes (MPROF_OUTPUT): stderr, stdout ("-") or a file.  A report
 * file must survive fork: parent and children may write the same file.  So
 * the file is truncated once, when the runtime starts, and every process
 * appends its report at exit in one write() on an O_APPEND descriptor,
 * which keeps reports whole.  A child whose file name has %p gets a file of
 * its own and truncates it at exit instead.  The name is made absolute at
 * start, so a chdir() in the program does not move the report.
 *
 * A death by a fatal signal writes the same report from the signal
 * (crash.c), through mp_exit_emit_raw().
 *
 * The other outputs hang off the same three moments (set-up, fork, exit):
 * the JSON profile (jsonout.c, from the same merged profile as the tables)
 * and the FUNC records (funclog.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocs.h"
#include "internal.h"
#include "profile.h"
#include "rss.h"
#include "top.h"

static enum mp_output_kind kind;	/* where the report goes */
static char tmpl[PATH_MAX];		/* absolute MPROF_OUTPUT, %p unexpanded */
static char path[PATH_MAX];		/* tmpl expanded for this process */
static int truncate_at_exit;		/* a child with a file of its own */
static int precision = 1;
static int top = -1;			/* MPROF_TOP (mp_settings.top) */
static pid_t parent;			/* nonzero in a forked child */

static void emit(const char *buf, size_t len);

/* The report's place is known: on stderr, what was kept goes out now. */
static void notes_ready(void)
{
	if (kind == MP_OUTPUT_STDERR)
		mp_sys_notes_direct(1);
}

void mp_exit_setup(const struct mp_settings *s)
{
	int fd;

	mp_jsonout_setup(s);
	mp_funclog_setup(s);
	precision = s->precision;
	top = s->top;
	kind = s->output_kind;
	if (kind != MP_OUTPUT_FILE) {
		notes_ready();
		return;
	}
	if (mp_settings_absolute(tmpl, sizeof(tmpl), s->output) < 0 ||
	    mp_settings_expand(path, sizeof(path), tmpl, getpid()) < 0) {
		mp_sys_warn("mprof: MPROF_OUTPUT: file name too long '%.64s'; using stderr",
			    s->output);
		kind = MP_OUTPUT_STDERR;
		notes_ready();
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		mp_sys_warn("mprof: MPROF_OUTPUT: cannot open '%s': %s; using stderr",
			    path, strerror(errno));
		kind = MP_OUTPUT_STDERR;
		notes_ready();
		return;
	}
	close(fd);
}

void mp_exit_atfork_child(pid_t parent_pid)
{
	char mine[PATH_MAX];

	mp_jsonout_atfork_child();
	mp_funclog_atfork_child();
	parent = parent_pid;
	mp_sys_notes_forget();		/* the parent's notes are its own */
	if (kind != MP_OUTPUT_FILE)
		return;
	if (mp_settings_expand(mine, sizeof(mine), tmpl, getpid()) < 0 ||
	    !strcmp(mine, path))
		return;
	memcpy(path, mine, sizeof(path));
	truncate_at_exit = 1;
}

/*
 * The report's bytes where they belong, with system calls only: from a
 * fatal signal (no stdout flush there; the plain program would not flush
 * it either).  Errors are not said.
 */
void mp_exit_emit_raw(const char *buf, size_t len)
{
	int fd;

	if (kind != MP_OUTPUT_FILE) {
		mp_sys_write_all(kind == MP_OUTPUT_STDOUT ? STDOUT_FILENO : STDERR_FILENO,
				 buf, len);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		  (truncate_at_exit ? O_TRUNC : O_APPEND), 0666);
	if (fd < 0)
		return;
	mp_sys_write_all(fd, buf, len);
	close(fd);
}

pid_t mp_exit_parent(void)
{
	return parent;
}

int mp_exit_precision(void)
{
	return precision;
}

/*
 * Put the formatted report where it belongs.  stdout is flushed first so
 * the program's own buffered output keeps its place before the report.
 */
static void emit(const char *buf, size_t len)
{
	int fd;

	switch (kind) {
	case MP_OUTPUT_STDERR:
		mp_sys_write_all(STDERR_FILENO, buf, len);
		break;
	case MP_OUTPUT_STDOUT:
		fflush(stdout);
		mp_sys_write_all(STDOUT_FILENO, buf, len);
		break;
	case MP_OUTPUT_FILE:
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
			  (truncate_at_exit ? O_TRUNC : O_APPEND), 0666);
		if (fd < 0) {
			mp_sys_warn("mprof: cannot write the report to '%s': %s",
				    path, strerror(errno));
			return;
		}
		if (mp_sys_write_all(fd, buf, len) < 0)
			mp_sys_warn("mprof: cannot write the report to '%s': %s",
				    path, strerror(errno));
		close(fd);
		break;
	}
}

/*
 * The notes every report ends with: what the runtime could not do.  From
 * a fatal signal (`crashing`) only those formatted without strerror.
 */
void mp_exit_notes(int crashing)
{
	uint64_t dropped = mp_probe_dropped();
	uint32_t version, mismatched = mp_init_abi_mismatches(&version);

	mp_sys_notes_direct(0);
	if (mismatched)
		mp_note("mprof: %u instrumented module%s built for probe ABI version %u, this runtime speaks %u: not profiled (rebuild with the matching plugin)",
			mismatched, mismatched > 1 ? "s" : "", version,
			MPROF_ABI_VERSION);
	if (!crashing)
		mp_rss_report();
	if (dropped)
		mp_note("mprof: %llu probe event%s dropped (a probe re-entered from a signal handler, a function whose entry was not seen, or no memory for the shadow stack); some figures are incomplete",
			(unsigned long long)dropped, dropped > 1 ? "s" : "");
}

/*
 * The summary after the tables: the top lines by Increment
 * (report/top.h), MPROF_TOP lines, or by default MP_TOP_LINES when more
 * than MP_TOP_FUNCS functions ran, a report too long to read through.
 */
static void print_summary(FILE *out, const struct mp_profile *p,
			  const struct mp_report_opts *opts)
{
	size_t i, ran = 0, rows = 0, n = top > 0 ? (size_t)top : MP_TOP_LINES;
	struct mp_top_line *lines;

	for (i = 0; i < p->nfuncs; i++) {
		ran += p->funcs[i].nrows > 0;
		rows += p->funcs[i].nrows;
	}
	if (top == 0 || (top < 0 && ran <= MP_TOP_FUNCS) || !rows)
		return;
	if (n > rows)
		n = rows;
	lines = malloc(n * sizeof *lines);
	if (!lines)
		return;
	/* nothing grew: no summary (the tables say it) */
	n = mp_top_lines(p, MP_BY_INCREMENT, n, 0, lines);
	if (n)
		mp_top_print(out, p, lines, n, MP_BY_INCREMENT, opts);
	free(lines);
}

/*
 * Format the tables into memory, then the summary and the notes after
 * them, so that the whole report leaves in one write.
 */
void mp_exit_report(void)
{
	struct mp_report_opts opts = { .precision = precision };
	unsigned held = mp_probe_hold();
	int saved = errno;
	struct mp_profile p;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	const char *notes;
	size_t notes_len;
	long n;

	mp_sys_notes_direct(0);
	mp_funclog_exit_report();
	if (parent)
		mp_probe_close_open();
	mp_allocs_scan();
	mp_profile_init(&p);
	n = mp_registry_collect(&p);
	if (n > 0)
		mp_profile_merge(&p);
	if (n >= 0 && !parent)
		mp_patterns_note(&p);
	mp_exit_notes(0);
	if (n >= 0)
		mp_jsonout_write(&p, parent);
	if (n > 0 && (mem = open_memstream(&buf, &len))) {
		if (parent)
			fprintf(mem, "Process %ld (child of %ld)\n\n",
				(long)getpid(), (long)parent);
		mp_report_print(mem, &p, &opts);
		print_summary(mem, &p, &opts);
	} else if (n != 0) {
		mp_note("mprof: out of memory: no report");
	}
	notes = mp_notes_pending(&notes_len);
	if (mem) {
		fwrite(notes, 1, notes_len, mem);
		if (fclose(mem) == 0)
			emit(buf, len);
		free(buf);
	} else if (notes_len) {
		emit(notes, notes_len);
	}
	mp_sys_notes_taken();
	mp_profile_free(&p);
	errno = saved;
	mp_probe_release(held);
}
