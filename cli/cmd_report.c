/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - `mprof report [--precision N] [--json] [FILE]`: the line
 * tables of a profile saved as JSON (MPROF_JSON, report/json.h), printed
 * again exactly as the program printed them at exit: the same formatter,
 * the same merged profile, the source re-read from `file` or `dir`/`file`
 * (rows print with an empty source column and one note when it is gone),
 * and a forked child's "Process N (child of M)" label.  --precision
 * overrides the decimals the run used; --json prints the profile in the
 * writer's normal form instead (sorted, merged, one row per line), for
 * machines and diffs.
 *
 * Without FILE the newest mprofile_*.json of the current directory is
 * read (by modification time: names made with %p sort by pid, not age),
 * so `MPROF_JSON=mprofile_%p.json ./prog; mprof report` works as
 * `mprof run; mprof plot` does; "-" reads standard input.  A file that
 * cannot be read or is not a valid profile is one line and status 1.
 *
 * --html DIR writes the HTML report instead (report_html.c); then a
 * second argument ending in ".dat" is the run whose memory curve it shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
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

/* A name ending in ".dat": the run given with --html. */
static int is_dat(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && !strcmp(s + n - 4, ".dat");
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

static int report(const char *file, int precision, int json)
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
	const char *precision_arg = NULL, *html = NULL, *dat = NULL;
	int json = 0, precision = -1, n, rc;
	const struct option opts[] = {
		{ 0, "precision", OPT_STRING, &precision_arg },
		{ 0, "json", OPT_FLAG, &json },
		{ 0, "html", OPT_STRING, &html },
		{ 0, NULL, 0, NULL },
	};
	char *latest;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (html && n > 0 && is_dat(argv[n - 1]))
		dat = argv[--n];
	if (n > 1)
		return usage_error("report", "one profile at a time, not %d", n);
	if (precision_arg && (precision = parse_precision(precision_arg)) < 0)
		return usage_error("report", "option '--precision' takes an integer from 0 to 10, not '%s'",
				   precision_arg);
	if (html && json)
		return usage_error("report", "options '--html' and '--json' cannot be used together");
	if (html && !*html)
		return usage_error("report", "option '--html' takes a directory");
	if (n == 1)
		return html ? report_html(html, argv[0], dat, precision) :
			      report(argv[0], precision, json);
	if (latest_json(&latest))
		return EXIT_FAIL;
	rc = html ? report_html(html, latest, dat, precision) :
		    report(latest, precision, json);
	free(latest);
	return rc;
}
