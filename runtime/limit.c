/* SPDX-License-Identifier: MIT */
/*
 * limit.c - MPROF_LIMIT (docs/settings.md): the first probe that reads a
 * memory figure above the limit writes one line naming the line that
 * crossed it, and the report so far, where the report goes; then the
 * program runs on (the report at exit comes as usual) or, with
 * MPROF_LIMIT_ACTION=abort, aborts right there.  The answer to a program
 * that is killed for its memory before its report is written.
 *
 * The check costs the inline line event nothing: the plugin's code only
 * calls a probe when the figure can have changed, which is the only time
 * it can have crossed the limit, and the probe compares the figure it
 * read anyway with mp_limit_bytes.  The report is the crash report's
 * (crash.c), allocation-free and lock-free, since a probe may run inside
 * the program's malloc or with its locks held.  One thread wins the
 * report; mp_limit_bytes then goes back to "no limit".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int64_t mp_limit_bytes = INT64_MAX;

static char text[32];			/* the limit as MPROF_LIMIT wrote it */
static int abort_after;			/* MPROF_LIMIT_ACTION=abort */
static int fired;			/* a probe claimed the report */

void mp_limit_setup(const struct mp_settings *s)
{
	if (!s->limit)
		return;
	snprintf(text, sizeof(text), "%s", s->limit_text);
	abort_after = s->limit_abort;
	__atomic_store_n(&mp_limit_bytes, s->limit, __ATOMIC_RELEASE);
}

/*
 * "file:line: memory limit SIZE exceeded (figure) in function", then the
 * report so far.  `line` is the line that was running when the figure
 * crossed the limit (the one the probe charges).
 */
bool mp_limit_exceeded(const struct __mprof_func *fn, int32_t line, int64_t m)
{
	char msg[512];
	int expected = 0;

	if (!__atomic_compare_exchange_n(&fired, &expected, 1, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&mp_limit_bytes, INT64_MAX, __ATOMIC_RELAXED);
	snprintf(msg, sizeof(msg),
		 "%s:%ld: memory limit %s exceeded (%.*f MiB) in %s",
		 fn->file, (long)line, text, mp_exit_precision(),
		 (double)m / (1024.0 * 1024.0), fn->name);
	mp_crash_report_now(msg, abort_after);
	return abort_after;
}

void mp_limit_abort(void)
{
	abort();
}
