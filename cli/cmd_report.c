/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - `mprof report [--precision N] [--columns LIST] [--json]
 * [FILE]`: the line
 * tables of a profile saved as JSON (MPROF_JSON, report/json.h), printed
 * again exactly as the program printed them at exit: the same formatter,
 * the same merged profile, the source re-read from `file` or `dir`/`file`
 * (rows print with an empty source column and one note when it is gone),
 * and a forked child's "Process N (child of M)" label.  --precision
 * overrides the decimals the run used; --columns prints only the optional
 * columns of LIST (MPROF_COLUMNS's names; each must be in the profile);
 * --json prints the profile in the writer's normal form instead (sorted,
 * merged, one row per line), for machines and diffs.
 *
 * Without FILE the newest mprofile_*.json of the current directory is
 * read (by modification time: names made with %p sort by pid, not age),
 * so `MPROF_JSON=mprofile_%p.json ./prog; mprof report` works as
 * `mprof run; mprof plot` does; "-" reads standard input.  A file that
 * cannot be read or is not a valid profile is one line and status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "columns.h"
#include "jsonread.h"

#define JSON_GLOB "mprofile_*.json"

/* The newest JSON_GLOB file here (ties: the last name), or an error(). */
static int latest_json(char **name)
{
	struct timespec best = { 0, 0 };
	struct stat st;
	glob_t g;
	size_t i;
	int rc;

	*name = NULL;
	rc = glob(JSON_GLOB, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return error("no " JSON_GLOB " file in the current directory (write one with MPROF_JSON=mprofile_%%p.json)");
	if (rc)
		return error("cannot list the current directory: %s",
			     rc == GLOB_NOSPACE ? strerror(ENOMEM) :
			     "read error");
	for (i = 0; i < g.gl_pathc; i++) {
		if (stat(g.gl_pathv[i], &st) || !S_ISREG(st.st_mode))
			continue;
		if (*name && (st.st_mtim.tv_sec < best.tv_sec ||
			      (st.st_mtim.tv_sec == best.tv_sec &&
			       st.st_mtim.tv_nsec < best.tv_nsec)))
			continue;
		free(*name);
		*name = strdup(g.gl_pathv[i]);
		if (!*name) {
			globfree(&g);
			return error("%s", strerror(ENOMEM));
		}
		best = st.st_mtim;
	}
	globfree(&g);
	if (!*name)
		return error("no " JSON_GLOB " file in the current directory (write one with MPROF_JSON=mprofile_%%p.json)");
	return 0;
}

/* "0".."10", as MPROF_PRECISION takes them; -1 otherwise. */
static int parse_precision(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v > 10)
		return -1;
	return (int)v;
}

/* Only the optional columns `cols` stay in `p` (the others read 0, as
 * in a profile that never recorded them: --json writes them so). */
static void keep_columns(struct mp_profile *p, unsigned cols)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		struct mp_func *f = &p->funcs[i];

		for (size_t j = 0; j < f->nrows; j++) {
			struct mp_row *r = &f->rows[j];

			if (!(cols & MP_COL_TIME))
				r->time_ns = 0;
			if (!(cols & MP_COL_ALLOCS))
				r->allocs = r->allocated = 0;
			if (!(cols & MP_COL_PEAK))
				r->rise = 0;
			if (!(cols & MP_COL_LEAKED))
				r->leaked = 0;
		}
		if (!(cols & MP_COL_LEAKED))
			f->leaked_blocks = 0;
	}
	p->columns = cols;
}

static int report(const char *file, int precision, unsigned columns,
		  int json)
{
	struct mp_report_opts opts;
	struct mp_json_meta m;
	struct mp_profile p;
	char err[1024];
	int rc;

	if (!strcmp(file, "-"))
		file = "/dev/stdin";
	mp_profile_init(&p);
	if (mp_json_read(file, &p, &m, err, sizeof err)) {
		mp_profile_free(&p);
		return fail("%s", err);
	}
	if (precision >= 0)
		m.precision = precision;
	if (columns == MP_COL_ALL)	/* "all": all that were recorded */
		columns = p.columns;
	if (columns & ~p.columns) {
		char want[64], have[64];

		mp_columns_list(want, sizeof want, columns & ~p.columns);
		mp_columns_list(have, sizeof have, p.columns);
		mp_profile_free(&p);
		return fail("'%s' lacks the columns %s (recorded: %s; see MPROF_COLUMNS)",
			    file, want, *have ? have : "none");
	}
	if (columns)
		keep_columns(&p, columns);
	if (json) {
		rc = mp_json_write(stdout, &p, &m);
	} else {
		/* As the runtime does: a label only above tables. */
		if (p.nfuncs == 0)
			warning("no profiled function ran in '%s'", file);
		else if (m.parent)
			printf("Process %ld (child of %ld)\n\n", m.pid,
			       m.parent);
		opts.precision = m.precision;
		opts.columns = 0;
		rc = mp_report_print(stdout, &p, &opts);
	}
	mp_profile_free(&p);
	/* A write error is reported by main(), which checks stdout. */
	if (rc && !ferror(stdout))
		return fail("%s", strerror(ENOMEM));
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	const char *precision_arg = NULL, *columns_arg = NULL, *bad;
	unsigned columns = 0;
	size_t badlen;
	int json = 0, precision = -1, n, rc;
	const struct option opts[] = {
		{ 0, "precision", OPT_STRING, &precision_arg },
		{ 0, "json", OPT_FLAG, &json },
		{ 0, "columns", OPT_STRING, &columns_arg },
		{ 0, NULL, 0, NULL },
	};
	char *latest;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (n > 1)
		return usage_error("report", "one profile at a time, not %d", n);
	if (precision_arg && (precision = parse_precision(precision_arg)) < 0)
		return usage_error("report", "option '--precision' takes an integer from 0 to 10, not '%s'",
				   precision_arg);
	if (columns_arg &&
	    (mp_columns_parse(columns_arg, &columns, &bad, &badlen) || !columns))
		return usage_error("report", "option '--columns' takes a list of %s, not '%s'",
				   MP_COLUMNS_ACCEPTED, columns_arg);
	if (n == 1)
		return report(argv[0], precision, columns, json);
	if (latest_json(&latest))
		return EXIT_FAIL;
	rc = report(latest, precision, columns, json);
	free(latest);
	return rc;
}
