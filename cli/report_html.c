/* SPDX-License-Identifier: MIT */
/*
 * report_html.c - `mprof report --html DIR [PROFILE.json] [RUN.dat]`: the
 * HTML report of a saved profile (report/html.h, docs/html.md), with the
 * run's memory curve when a .dat is given, drawn as `mprof plot` draws it
 * (plot_data.c, plot_draw.c) into DIR/memory.svg.
 *
 * Every input is read before anything is written; then every file goes
 * to a temporary name in DIR and is renamed at the end, so a failure
 * leaves DIR as it was (and removes it if this command created it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "html.h"
#include "jsonread.h"
#include "plot.h"

#define CURVE_NAME "memory.svg"

/* Draw the curve of the scanned file into the staged SVG. */
static int draw_curve(struct plot *pl, struct mp_html_dir *d)
{
	char err[1024];
	const char *svg = mp_html_stage(d, CURVE_NAME, err, sizeof err);

	if (!svg)
		return error("%s", err);
	return plot_bin(pl) || plot_draw(pl, svg) ? -1 : 0;
}

int report_html(const char *dir, const char *json, const char *dat,
		int precision)
{
	struct plot_file pf;
	struct plot pl;
	struct mp_html_opts o;
	struct mp_json_meta m;
	struct mp_profile p;
	struct mp_html_dir *d = NULL;
	size_t n = strlen(dir);
	char err[1024];
	int rc = EXIT_FAIL;

	if (!strcmp(json, "-"))
		json = "/dev/stdin";
	memset(&pf, 0, sizeof pf);
	memset(&pl, 0, sizeof pl);
	mp_profile_init(&p);
	if (mp_json_read(json, &p, &m, err, sizeof err)) {
		error("%s", err);
		goto out;
	}
	if (dat && plot_scan(&pf, dat))
		goto out;
	d = mp_html_open(dir, err, sizeof err);
	if (!d) {
		error("%s", err);
		goto out;
	}
	if (dat) {
		pl.files = &pf;
		pl.nfiles = 1;
		pl.show_funcs = 1;
		if (draw_curve(&pl, d))
			goto out;
	}
	memset(&o, 0, sizeof o);
	o.precision = precision >= 0 ? precision : m.precision;
	o.title = json;
	o.backend = m.backend;
	o.pid = m.pid;
	o.parent = m.parent;
	o.curve = dat ? CURVE_NAME : NULL;
	if (mp_html_write(d, &p, &o, err, sizeof err)) {
		error("%s", err);
		goto out;
	}
	rc = mp_html_commit(d, err, sizeof err);	/* frees d either way */
	d = NULL;
	if (rc) {
		error("%s", err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (p.nfuncs == 0)
		warning("no profiled function ran in '%s'", json);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	printf("report written to '%.*s/index.html'\n", (int)n, dir);
	rc = EXIT_OK;
out:
	mp_html_abort(d);
	plot_file_free(&pf);
	mp_profile_free(&p);
	return rc;
}
