/* SPDX-License-Identifier: MIT */
/*
 * jsonout.c - MPROF_JSON: at exit the runtime also writes the profile it
 * printed as JSON (report/json.h), for `mprof report` and CI gates.
 *
 * The value takes MPROF_OUTPUT's forms: a file name, where %p is the pid,
 * or "-" for stdout.  The name is made absolute when the runtime starts
 * (a chdir() in the program does not move it) and the file is truncated
 * then, so a program that dies without a report (_exit, SIGKILL) leaves an
 * empty file, which readers refuse, never the profile of an earlier run.
 * At exit the whole document is formatted in memory and leaves in one
 * write(), replacing the file's contents; each function carries the text
 * of its table's lines ("source"), read from its source file then.  It is written even when no
 * profiled function ran (an empty "functions" list): its presence says
 * the program reached its exit handlers, or died of a fatal signal
 * (crash.c writes it then, with "signal").
 *
 * Fork: one JSON document per file.  A forked child writes a profile of
 * its own only if the name has %p (then its file is its own, and carries
 * "parent"); otherwise the file belongs to the process that started the
 * runtime and the child writes nothing, as it does for "-".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "json.h"

enum { OFF, TO_STDOUT, TO_FILE };

static int mode = OFF;
static char tmpl[PATH_MAX];		/* absolute MPROF_JSON, %p unexpanded */
static char path[PATH_MAX];		/* tmpl expanded for this process */
static int precision = 1;

void mp_jsonout_setup(const struct mp_settings *s)
{
	int fd;

	precision = s->precision;
	if (!s->json[0])
		return;
	if (!strcmp(s->json, "-")) {
		mode = TO_STDOUT;
		return;
	}
	if (mp_settings_absolute(tmpl, sizeof(tmpl), s->json) < 0 ||
	    mp_settings_expand(path, sizeof(path), tmpl, getpid()) < 0) {
		mp_sys_warn("mprof: MPROF_JSON: file name too long '%.64s'; no JSON profile",
			    s->json);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		mp_sys_warn("mprof: MPROF_JSON: cannot open '%s': %s; no JSON profile",
			    path, strerror(errno));
		return;
	}
	close(fd);
	mode = TO_FILE;
}

void mp_jsonout_atfork_child(void)
{
	char mine[PATH_MAX];

	if (mode == TO_STDOUT) {
		mode = OFF;
	} else if (mode == TO_FILE) {
		if (mp_settings_expand(mine, sizeof(mine), tmpl, getpid()) < 0 ||
		    !strcmp(mine, path))
			mode = OFF;
		else
			memcpy(path, mine, sizeof(path));
	}
}

/*
 * The name of the backend in use: the one whose reader the probes call.
 * Settings are not enough, since an unavailable backend falls back to
 * rss; a reader the runtime does not know (a test's) gives "".
 */
static void backend_name(char *buf, size_t size)
{
	int64_t (*reader)(void) = __atomic_load_n(&mp_backend_reader,
						  __ATOMIC_ACQUIRE);
	int i;

	buf[0] = '\0';
	for (i = 0; i < MP_BACKEND_COUNT; i++)
		if (mp_backend_get(i)->read == reader) {
			snprintf(buf, size, "%s", mp_sys_measure(i)->name);
			return;
		}
}

int mp_jsonout_open(void)
{
	if (mode == TO_STDOUT)
		return STDOUT_FILENO;
	if (mode == TO_FILE)
		return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	return -1;
}

void mp_jsonout_meta(struct mp_json_meta *m, pid_t parent)
{
	mp_json_meta_init(m);
	backend_name(m->backend, sizeof(m->backend));
	m->precision = precision;
	m->pid = (long)getpid();
	m->parent = (long)parent;
	m->notes = mp_notes(&m->notes_len);
}

void mp_jsonout_write(struct mp_profile *p, pid_t parent)
{
	struct mp_json_meta m;
	const char *where = mode == TO_FILE ? path : "stdout";
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int fd, rc;

	if (mode == OFF)
		return;
	/* the lines' text, for `mprof diff` once the source is edited */
	if (mp_report_attach_source(p))
		mp_note("mprof: out of memory: the JSON profile has no source text");
	mp_jsonout_meta(&m, parent);
	mem = open_memstream(&buf, &len);
	if (!mem) {
		mp_note("mprof: out of memory: no JSON profile");
		return;
	}
	rc = mp_json_write(mem, p, &m);
	if (fclose(mem) || rc) {
		mp_note("mprof: out of memory: no JSON profile");
		free(buf);
		return;
	}
	if (mode == TO_STDOUT)
		fflush(stdout);
	fd = mp_jsonout_open();
	rc = fd < 0 ? -1 : mp_sys_write_all(fd, buf, len);
	if (fd > STDERR_FILENO && close(fd) && !rc)
		rc = -1;
	if (rc)
		mp_note("mprof: cannot write the JSON profile to '%s': %s",
			where, strerror(errno));
	free(buf);
}
