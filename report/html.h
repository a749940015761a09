/* SPDX-License-Identifier: MIT */
/*
 * html.h - the HTML report of a profile (`mprof report --html DIR`,
 * docs/html.md): a static, self-contained set of pages written into a
 * directory.  index.html ranks the lines with the largest Increment and
 * every function that ran, and links to the pages of each source file
 * (one, or several for a long file: MP_HTML_PAGE_LINES), where the source
 * is annotated with each line's figures (anchors #L<line>).
 *
 * Nothing is left half-written: every file is written under a temporary
 * name in DIR and renamed into place by mp_html_commit(), or removed by
 * mp_html_abort(), which also removes DIR if mp_html_open() created it.
 * A caller with files of its own to add (the memory curve's SVG, drawn by
 * the `mprof` command) writes them to the paths mp_html_stage() gives.
 *
 * Library code: nothing here prints; a failure returns -1 with one line
 * in err, lowercase with the file name quoted.
 */
#ifndef MP_HTML_H
#define MP_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/* Lines listed in the index's "Top lines" table. */
#define MP_HTML_TOP 25
/*
 * A file page shows each function that ran with MP_HTML_CONTEXT lines of
 * source around it; a stretch of more than MP_HTML_FOLD lines between
 * them is folded into one "lines a-b not shown" row.
 */
#define MP_HTML_CONTEXT 5
#define MP_HTML_FOLD 20
/*
 * A file's page holds about this many lines at most (more when one
 * function is longer): past it, pages of one file are cut where a
 * function starts, so a browser opens any page in well under a second.
 */
#define MP_HTML_PAGE_LINES 4000

struct mp_html_opts {
	int precision;		/* decimals of the MiB figures (0..10) */
	const char *title;	/* what the profile is (its file name), or NULL */
	const char *backend;	/* "rss", "heap"...; NULL or "" if unknown */
	long pid, parent;	/* the measured process and its parent; 0: unknown */
	const char *curve;	/* name in DIR of the memory curve (SVG), or NULL */
};

struct mp_html_dir;

/* Start a report in `dir`, created (one level) if missing; NULL on error. */
struct mp_html_dir *mp_html_open(const char *dir, char *err, size_t errlen);

/*
 * The temporary path of the file that mp_html_commit() will rename to
 * DIR/name, created empty; it keeps the name's extension.  NULL on error.
 * The path lives as long as `d`.
 */
const char *mp_html_stage(struct mp_html_dir *d, const char *name,
			  char *err, size_t errlen);

/* Write index.html and the file pages of `p`.  0, or -1. */
int mp_html_write(struct mp_html_dir *d, const struct mp_profile *p,
		  const struct mp_html_opts *o, char *err, size_t errlen);

/* Rename every staged file into place and free `d`.  0, or -1 (then as
 * mp_html_abort: nothing of this report is left). */
int mp_html_commit(struct mp_html_dir *d, char *err, size_t errlen);

/* Remove what was written and free `d`; d may be NULL. */
void mp_html_abort(struct mp_html_dir *d);

/*
 * Write len bytes of s to out as HTML text, safe in element content and
 * in quoted attributes: & < > " ' become entities, and control characters
 * other than tab and newline become their visible Unicode pictures
 * (U+2400..U+2421), so a form feed shows as a symbol.  Other bytes, UTF-8
 * or not, pass as they are.  Returns 0, or -1 on a write error.
 */
int mp_html_escape(FILE *out, const char *s, size_t len);

#endif /* MP_HTML_H */
