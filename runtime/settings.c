/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the MPROF_* environment variables (docs/settings.md) that
 * the runtime reads: MPROF_BACKEND, MPROF_OUTPUT, MPROF_PRECISION and
 * MPROF_JSON, MPROF_DAT, MPROF_DAT_BACKEND and MPROF_DAT_FUNCS, which
 * `mprof run` sets for FUNC records (the file, the measure of its samples,
 * which calls get a record), and
 * MPROF_EXACT (1: the rss backend reads RSS on every line event, the
 * reference its fast path is tested against), MPROF_INCLUDE_CHILDREN
 * (1: the /proc backends add the memory of the process's descendants),
 * MPROF_LIMIT and MPROF_LIMIT_ACTION (the report written when memory
 * first exceeds a size, limit.c), MPROF_TOP (the lines of the summary
 * after the tables) and MPROF_COLUMNS (the optional columns,
 * docs/columns.md: a bad item is left out).
 *
 * mp_settings_parse() is pure: it reads through the getter it is given
 * (secure_getenv in init.c, so a setuid or setgid program ignores the
 * variables; a fake in the unit tests) and prints nothing.  A bad value
 * never stops the program: the default is kept and one line for stderr,
 * naming the variable, the value and what is accepted, is left in
 * s->warn.  An empty variable counts as unset.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "internal.h"
#include "invariant.h"
#include "size.h"

#define SHOWN	64			/* bytes of a bad value quoted back */

/* Leave "mprof: VAR: <problem> '<value>' (accepted: ...); using X". */
static void warn(struct mp_settings *s, const char *var, const char *problem,
		 const char *value, const char *accepted, const char *fallback)
{
	if (s->nwarn >= MP_SETTINGS_MAXWARN)
		return;
	snprintf(s->warn[s->nwarn++], MP_SETTINGS_WARNLEN,
		 "mprof: %s: %s '%.*s%s' (accepted: %s); using %s", var,
		 problem, SHOWN, value, strlen(value) > SHOWN ? "..." : "",
		 accepted, fallback);
}

/*
 * The measure `v` names, among those `proc_only` allows (the /proc ones
 * only, or heap too), into *id; else a warning listing the accepted names.
 */
static void parse_measure(struct mp_settings *s, const char *var,
			  const char *v, bool proc_only,
			  enum mp_backend_id *id, const char *fallback)
{
	const struct mp_measure *m = mp_sys_measure_named(v);
	char accepted[64] = "";
	int i;

	if (m && !(proc_only && m->file == MP_PROC_NONE)) {
		*id = m->id;
		return;
	}
	for (i = 0; i < MP_BACKEND_COUNT; i++) {
		m = mp_sys_measure(i);
		if (proc_only && m->file == MP_PROC_NONE)
			continue;
		if (*accepted)
			strcat(accepted, ", ");
		strcat(accepted, m->name);
	}
	MP_ASSERT(strlen(accepted) < sizeof(accepted) - 1);
	warn(s, var, "unknown value", v, accepted, fallback);
}

/*
 * MPROF_DAT_FUNCS: "all", "none", or a duration in seconds (`mprof run`
 * passes its interval): calls at least that long get a record each,
 * shorter ones are merged.  At most a day, at least a nanosecond.
 */
static void parse_dat_funcs(struct mp_settings *s, const char *v)
{
	int64_t ns = 0, scale = 1000000000;
	const char *p = v;
	int digits = 0;

	if (!strcmp(v, "all")) {
		s->dat_funcs = MP_FUNCS_ALL;
		return;
	}
	if (!strcmp(v, "none")) {
		s->dat_funcs = MP_FUNCS_NONE;
		return;
	}
	for (; *p >= '0' && *p <= '9' && ns <= 86400000000000; p++, digits++)
		ns = ns * 10 + (int64_t)(*p - '0') * scale;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if ((scale /= 10) > 0)
				ns += (int64_t)(*p - '0') * scale;
	if (*p || !digits || ns < 1 || ns > 86400000000000) {
		warn(s, "MPROF_DAT_FUNCS", "invalid value", v,
		     "all, none, seconds from 1e-9 to 86400", "all");
		return;
	}
	s->dat_funcs = ns;
}

static void parse_output(struct mp_settings *s, const char *v)
{
	if (!strcmp(v, "-")) {
		s->output_kind = MP_OUTPUT_STDOUT;
	} else if (strlen(v) >= sizeof(s->output)) {
		warn(s, "MPROF_OUTPUT", "file name too long", v,
		     "a file name shorter than PATH_MAX, %p for the pid, - for stdout",
		     "stderr");
	} else {
		s->output_kind = MP_OUTPUT_FILE;
		strcpy(s->output, v);
	}
}

/* MPROF_JSON takes MPROF_OUTPUT's values: a file (%p: the pid) or "-". */
static void parse_json(struct mp_settings *s, const char *v)
{
	if (strlen(v) >= sizeof(s->json))
		warn(s, "MPROF_JSON", "file name too long", v,
		     "a file name shorter than PATH_MAX, %p for the pid, - for stdout",
		     "no JSON profile");
	else
		strcpy(s->json, v);
}

static void parse_dat(struct mp_settings *s, const char *v)
{
	if (strlen(v) >= sizeof(s->dat))
		warn(s, "MPROF_DAT", "file name too long", v,
		     "a file name shorter than PATH_MAX", "no FUNC records");
	else
		strcpy(s->dat, v);
}

static void parse_precision(struct mp_settings *s, const char *v)
{
	int n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9' && n <= 10; p++)
		n = n * 10 + (*p - '0');
	if (*p || n > 10) {
		warn(s, "MPROF_PRECISION", "invalid value", v,
		     "an integer from 0 to 10", "1");
		return;
	}
	s->precision = n;
}

int mp_settings_size(const char *text, int64_t *bytes)
{
	uint64_t v;

	if (mp_size_parse(text, &v) || v == 0 || v >= MP_SIZE_MAX)
		return -1;
	*bytes = (int64_t)v;
	return 0;
}

static void parse_limit(struct mp_settings *s, const char *v)
{
	if (strlen(v) >= sizeof(s->limit_text) ||
	    mp_settings_size(v, &s->limit) < 0) {
		s->limit = 0;
		warn(s, "MPROF_LIMIT", "invalid value", v,
		     "a size: 512K, 24MiB, 1.5G, 100MB, bytes", "no limit");
		return;
	}
	strcpy(s->limit_text, v);
}

static void parse_limit_action(struct mp_settings *s, const char *v)
{
	if (!strcmp(v, "abort") || !strcmp(v, "continue"))
		s->limit_abort = v[0] == 'a';
	else
		warn(s, "MPROF_LIMIT_ACTION", "unknown value", v,
		     "continue, abort", "continue");
}

/* MPROF_TOP: the summary's number of lines, 0 for none. */
static void parse_top(struct mp_settings *s, const char *v)
{
	long n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9' && n <= MP_TOP_MAX; p++)
		n = n * 10 + (*p - '0');
	if (*p || n > MP_TOP_MAX) {
		warn(s, "MPROF_TOP", "invalid value", v,
		     "0 (no summary) or a number of lines up to 1000000",
		     "the default");
		return;
	}
	s->top = (int)n;
}

/* A switch: "0" or "1" into *on, else one line and *on stays 0. */
static void parse_switch(struct mp_settings *s, const char *var,
			 const char *v, int *on)
{
	if (!strcmp(v, "0") || !strcmp(v, "1"))
		*on = v[0] == '1';
	else
		warn(s, var, "invalid value", v, "0, 1", "0");
}

/* MPROF_COLUMNS: the valid items are kept, the first bad one named. */
static void parse_columns(struct mp_settings *s, const char *v)
{
	char item[SHOWN + 1], kept[64];
	const char *bad;
	size_t len;

	if (mp_columns_parse(v, &s->columns, &bad, &len) == 0)
		return;
	snprintf(item, sizeof item, "%.*s", (int)(len < SHOWN ? len : SHOWN),
		 bad);
	mp_columns_list(kept, sizeof kept, s->columns);
	warn(s, "MPROF_COLUMNS", "unknown column", item, MP_COLUMNS_ACCEPTED,
	     *kept ? kept : "none");
}

void mp_settings_parse(struct mp_settings *s,
		       char *(*get)(const char *name))
{
	const char *v;

	memset(s, 0, sizeof(*s));
	s->backend = MP_BACKEND_RSS;
	s->dat_backend = MP_BACKEND_COUNT;
	s->dat_funcs = MP_FUNCS_ALL;
	s->output_kind = MP_OUTPUT_STDERR;
	s->precision = 1;
	s->top = -1;
	if ((v = get("MPROF_BACKEND")) && *v)
		parse_measure(s, "MPROF_BACKEND", v, false, &s->backend,
			      mp_sys_measure(s->backend)->name);
	if ((v = get("MPROF_OUTPUT")) && *v)
		parse_output(s, v);
	if ((v = get("MPROF_PRECISION")) && *v)
		parse_precision(s, v);
	if ((v = get("MPROF_JSON")) && *v)
		parse_json(s, v);
	if ((v = get("MPROF_DAT")) && *v)
		parse_dat(s, v);
	/* a /proc measure, as `mprof run --backend` samples */
	if ((v = get("MPROF_DAT_BACKEND")) && *v)
		parse_measure(s, "MPROF_DAT_BACKEND", v, true, &s->dat_backend,
			      "MPROF_BACKEND's");
	if ((v = get("MPROF_DAT_FUNCS")) && *v)
		parse_dat_funcs(s, v);
	if ((v = get("MPROF_EXACT")) && *v)
		parse_switch(s, "MPROF_EXACT", v, &s->exact);
	if ((v = get("MPROF_INCLUDE_CHILDREN")) && *v)
		parse_switch(s, "MPROF_INCLUDE_CHILDREN", v,
			     &s->include_children);
	if ((v = get("MPROF_LIMIT")) && *v)
		parse_limit(s, v);
	if ((v = get("MPROF_LIMIT_ACTION")) && *v)
		parse_limit_action(s, v);
	if ((v = get("MPROF_TOP")) && *v)
		parse_top(s, v);
	if ((v = get("MPROF_COLUMNS")) && *v)
		parse_columns(s, v);
	/* whatever the environment held, the result is one the runtime runs */
	MP_ASSERT((unsigned)s->backend < MP_BACKEND_COUNT);
	MP_ASSERT(s->dat_backend == MP_BACKEND_COUNT ||
		  mp_sys_measure(s->dat_backend)->file != MP_PROC_NONE);
	MP_ASSERT(s->precision >= 0 && s->precision <= 10);
	MP_ASSERT(s->limit >= 0);
	MP_ASSERT(s->top >= -1 && s->top <= MP_TOP_MAX);
	MP_ASSERT(s->nwarn >= 0 && s->nwarn <= MP_SETTINGS_MAXWARN);
	MP_ASSERT(s->dat_funcs == MP_FUNCS_ALL || s->dat_funcs == MP_FUNCS_NONE ||
		  s->dat_funcs > 0);
}

int mp_settings_expand(char *buf, size_t size, const char *tmpl, pid_t pid)
{
	char num[24];
	const char *add;
	size_t n = 0, len;
	int addlen;

	for (; *tmpl; tmpl += len) {
		len = 1;
		add = tmpl;
		addlen = 1;
		if (tmpl[0] == '%' && tmpl[1] == 'p') {
			addlen = snprintf(num, sizeof(num), "%ld", (long)pid);
			add = num;
			len = 2;
		} else if (tmpl[0] == '%' && tmpl[1] == '%') {
			len = 2;
		}
		if (n + (size_t)addlen >= size)
			return -1;
		memcpy(buf + n, add, (size_t)addlen);
		n += (size_t)addlen;
	}
	if (n >= size)
		return -1;
	buf[n] = '\0';
	return 0;
}

int mp_settings_absolute(char *buf, size_t size, const char *name)
{
	size_t n;

	if (name[0] == '/') {
		n = strlen(name);
		if (n >= size)
			return -1;
		memcpy(buf, name, n + 1);
		return 0;
	}
	if (!getcwd(buf, size))
		return -1;
	n = strlen(buf);
	if (n + 1 + strlen(name) >= size)
		return -1;
	buf[n] = '/';
	memcpy(buf + n + 1, name, strlen(name) + 1);
	return 0;
}
