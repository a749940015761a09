/* SPDX-License-Identifier: MIT */
/*
 * cmd_plot.c - `mprof plot [options] [FILE|INDEX...]`: options, inputs and
 * output name; plot_data.c reads, plot_draw.c draws.
 *
 * As in Python's mprof: no file means the newest mprofile_*.dat here; an
 * integer that is not a file is an index in `mprof list` order; several
 * files are overlaid without function brackets, each curve labelled by its
 * command.  Python shows a window when -o is not given; here the plot is
 * written beside the first file (its name with .png for .dat).  Where it
 * was written is printed either way.  A file that
 * cannot be read is reported and left out; the others are still drawn,
 * and the status is then 1.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

static int parse_window(const char *s, double *a, double *b)
{
	char *end;

	*a = strtod(s, &end);
	if (end == s || *end != ',')
		return -1;
	s = end + 1;
	*b = strtod(s, &end);
	if (end == s || *end || !isfinite(*a) || !isfinite(*b) || !(*a < *b))
		return -1;
	return 0;
}

/* "<file minus .dat>.png" */
static char *default_output(const char *dat)
{
	size_t n = strlen(dat);
	char *out;

	if (n > 4 && strcmp(dat + n - 4, ".dat") == 0)
		n -= 4;
	out = malloc(n + 5);
	if (out) {
		memcpy(out, dat, n);
		strcpy(out + n, ".png");
	}
	return out;
}

static int plot(struct plot *p, char **names, size_t count, const char *out)
{
	char *made = NULL;
	size_t i;
	int rc = EXIT_OK;

	p->files = calloc(count, sizeof *p->files);
	if (!p->files)
		return fail("out of memory");
	for (i = 0; i < count; i++) {
		if (plot_scan(&p->files[p->nfiles], names[i])) {
			plot_file_free(&p->files[p->nfiles]);
			rc = EXIT_FAIL;
			continue;
		}
		p->nfiles++;
	}
	if (p->nfiles == 0)
		goto out;
	p->show_funcs = p->show_funcs && p->nfiles == 1;
	if (!out) {
		out = made = default_output(p->files[0].path);
		if (!made) {
			error("out of memory");
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (plot_bin(p) || plot_draw(p, out)) {
		rc = EXIT_FAIL;
		goto out;
	}
	printf("plot written to '%s'\n", out);
out:
	for (i = 0; i < p->nfiles; i++)
		plot_file_free(&p->files[i]);
	free(p->files);
	free(made);
	return rc;
}

int cmd_plot(int argc, char **argv)
{
	const char *out = NULL, *window = NULL;
	int no_funcs = 0, n, rc = EXIT_OK;
	struct plot p;
	const struct option opts[] = {
		{ 'o', "output", OPT_STRING, &out },
		{ 't', "title", OPT_STRING, &p.title },
		{ 'n', "no-function-ts", OPT_FLAG, &no_funcs },
		{ 'w', "window", OPT_STRING, &window },
		{ 'f', "flame", OPT_FLAG, &p.flame },
		{ 's', "slope", OPT_FLAG, &p.slope },
		{ 0, NULL, 0, NULL },
	};
	char **names = NULL;
	size_t count = 0;

	memset(&p, 0, sizeof p);
	n = parse_options(argc, argv, opts, PARSE_NEGATIVE_ARGS);
	if (n < 0)
		return parse_exit(n);
	if (window) {
		if (parse_window(window, &p.x0, &p.x1))
			return usage_error("plot", "option '--window' takes A,B (seconds, A < B), not '%s'",
					   window);
		p.window = 1;
	}
	if (out && !plot_format_known(out))
		return usage_error("plot", "cannot write '%s': use .png, .svg or .pdf",
				   out);
	p.show_funcs = !no_funcs;
	if (n == 0) {
		names = calloc(2, sizeof *names);
		if (!names || latest_profile(&names[0])) {
			free(names);
			return EXIT_FAIL;
		}
		count = 1;
	} else if (resolve_profiles(n, argv, 0, &names, &count)) {
		rc = EXIT_FAIL;
	}
	if (count && plot(&p, names, count, out) != EXIT_OK)
		rc = EXIT_FAIL;
	free_names(names, count);
	return rc;
}
