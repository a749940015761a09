/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - `mprof report [--precision N] [--columns LIST] [--json]
 * [--top N [--by COLUMN] [--signatures]] [--pprof OUT] [FILE]`: the line
 * tables of a
 * profile saved as JSON (MPROF_JSON, report/json.h), printed again exactly
 * as the program printed them at exit: the same formatter, the same
 * merged profile, the source re-read from `file` or `dir`/`file` (rows
 * print with an empty source column and one note when it is gone), and a
 * forked child's "Process N (child of M)" label.  --precision overrides
 * the decimals the run used; --columns keeps only the optional columns of
 * LIST (MPROF_COLUMNS's names; each must be in the profile); --json prints the profile in the writer's
 * normal form instead (sorted, merged, one row per line), for machines
 * and diffs.
 *
 * --top N prints instead one table of the N lines with the largest
 * figure in one column across the whole profile (report/top.h: the
 * ranking the runtime's summary uses); --pprof OUT writes the profile as
 * pprof's profile.proto, gzipped (report/pprof.h), through a temporary
 * file, so an error leaves nothing behind.  --by names the column both
 * rank by (Increment by default), --signatures keeps signature rows.
 *
 * --html DIR writes the HTML report instead (report_html.c); then a
 * second argument ending in ".dat" is the run whose memory curve it shows.
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
#include "pprof.h"
#include "top.h"

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

/* What the command line asked for. */
struct report_args {
	int precision;		/* -1: the run's */
	int json;		/* --json */
	unsigned columns;	/* --columns LIST, 0: all recorded */
	size_t top;		/* --top N, 0: the tables */
	enum mp_top_by by;	/* --by */
	int signatures;		/* --signatures */
	const char *pprof;	/* --pprof OUT, or NULL */
};

/* "1".."1000000" for --top; 0 otherwise. */
static size_t parse_top(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < 1 || v > 1000000)
		return 0;
	return (size_t)v;
}

/* The line tables, or --json's text, of p. */
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

static int print_tables(const char *file, struct mp_profile *p,
			struct mp_json_meta *m, const struct report_args *a)
{
	struct mp_report_opts opts = { .precision = m->precision };

	if (a->json)
		return mp_json_write(stdout, p, m);
	/* As the runtime does: a label only above tables. */
	if (p->nfuncs == 0)
		warning("no profiled function ran in '%s'", file);
	else if (m->parent)
		printf("Process %ld (child of %ld)\n\n", m->pid, m->parent);
	if (a->top)
		return mp_top_report(stdout, p, a->by, a->top, a->signatures,
				     &opts);
	return mp_report_print(stdout, p, &opts);
}

static int report(const char *file, const struct report_args *a)
{
	struct mp_pprof_opts po = { a->by, a->signatures };
	struct mp_json_meta m;
	struct mp_profile p;
	char err[1024];
	int rc = 0;

	if (!strcmp(file, "-"))
		file = "/dev/stdin";
	mp_profile_init(&p);
	if (mp_json_read(file, &p, &m, err, sizeof err)) {
		mp_profile_free(&p);
		return fail("%s", err);
	}
	if (a->columns) {
		unsigned cols = a->columns == MP_COL_ALL ? p.columns : a->columns;

		if (cols & ~p.columns) {
			char want[64], have[64];

			mp_columns_list(want, sizeof want, cols & ~p.columns);
			mp_columns_list(have, sizeof have, p.columns);
			mp_profile_free(&p);
			return fail("'%s' lacks the columns %s (recorded: %s; see MPROF_COLUMNS)",
				    file, want, *have ? have : "none");
		}
		keep_columns(&p, cols);
	}
	if (!mp_top_has(&p, a->by)) {
		mp_profile_free(&p);
		return fail("'%s' has no %s column: the run did not record it",
			    file, mp_top_column(a->by)->title);
	}
	if (a->precision >= 0)
		m.precision = a->precision;
	if (a->pprof) {
		if (mp_pprof_write(a->pprof, &p, &m, &po, err, sizeof err)) {
			mp_profile_free(&p);
			return fail("%s", err);
		}
		if (!a->top)
			printf("pprof profile written to '%s'\n", a->pprof);
	}
	if (!a->pprof || a->top)
		rc = print_tables(file, &p, &m, a);
	mp_profile_free(&p);
	/* A write error is reported by main(), which checks stdout. */
	if (rc && !ferror(stdout))
		return fail("%s", strerror(ENOMEM));
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* A name ending in ".dat": the run given with --html. */
static int is_dat(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && !strcmp(s + n - 4, ".dat");
}

int cmd_report(int argc, char **argv)
{
	const char *precision_arg = NULL, *top_arg = NULL, *by_arg = NULL;
	const char *html = NULL, *dat = NULL, *columns_arg = NULL, *bad;
	size_t badlen;
	struct report_args a = { .precision = -1, .by = MP_BY_INCREMENT };
	const struct option opts[] = {
		{ 0, "precision", OPT_STRING, &precision_arg },
		{ 0, "json", OPT_FLAG, &a.json },
		{ 0, "columns", OPT_STRING, &columns_arg },
		{ 0, "top", OPT_STRING, &top_arg },
		{ 0, "by", OPT_STRING, &by_arg },
		{ 0, "signatures", OPT_FLAG, &a.signatures },
		{ 0, "pprof", OPT_STRING, &a.pprof },
		{ 0, "html", OPT_STRING, &html },
		{ 0, NULL, 0, NULL },
	};
	char *latest;
	int n, rc, by;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (html && n > 0 && is_dat(argv[n - 1]))
		dat = argv[--n];
	if (n > 1)
		return usage_error("report", "one profile at a time, not %d", n);
	if (precision_arg && (a.precision = parse_precision(precision_arg)) < 0)
		return usage_error("report", "option '--precision' takes an integer from 0 to 10, not '%s'",
				   precision_arg);
	if (columns_arg &&
	    (mp_columns_parse(columns_arg, &a.columns, &bad, &badlen) ||
	     !a.columns))
		return usage_error("report", "option '--columns' takes a list of %s, not '%s'",
				   MP_COLUMNS_ACCEPTED, columns_arg);
	if (top_arg && !(a.top = parse_top(top_arg)))
		return usage_error("report", "option '--top' takes a number of lines from 1 to 1000000, not '%s'",
				   top_arg);
	if (by_arg) {
		if ((by = mp_top_by_named(by_arg)) < 0)
			return usage_error("report", "option '--by' takes increment, mem, occurrences, time, allocs, allocated, peak or leaked, not '%s'",
					   by_arg);
		a.by = by;
	}
	if ((by_arg || a.signatures) && !a.top && !a.pprof)
		return usage_error("report", "options '--by' and '--signatures' go with '--top' or '--pprof'");
	if (a.json && (a.top || a.pprof))
		return usage_error("report", "option '--json' does not go with '--top' or '--pprof'");
	if (a.pprof && !*a.pprof)
		return usage_error("report", "option '--pprof' needs a file name");
	if (html && (a.json || a.top || a.pprof || a.columns))
		return usage_error("report", "option '--html' does not go with '--json', '--top', '--pprof' or '--columns'");
	if (html && !*html)
		return usage_error("report", "option '--html' takes a directory");
	if (n == 1)
		return html ? report_html(html, argv[0], dat, a.precision) :
			      report(argv[0], &a);
	if (latest_json(&latest))
		return EXIT_FAIL;
	rc = html ? report_html(html, latest, dat, a.precision) :
		    report(latest, &a);
	free(latest);
	return rc;
}
