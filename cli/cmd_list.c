/* SPDX-License-Identifier: MIT */
/*
 * cmd_list.c - `mprof list`: the mprofile_*.dat files of the current
 * directory, oldest first, each with the index that plot, peak and rm
 * accept, and the start time its name encodes, in Python mprof's format:
 * "{index} {file} {hh}:{mm}:{ss} {dd}/{mm}/{yyyy}".
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_list(int argc, char **argv)
{
	const struct option opts[] = { { 0, NULL, 0, NULL } };
	char **names;
	size_t n, i;
	int nargs;

	nargs = parse_options(argc, argv, opts, 0);
	if (nargs < 0)
		return parse_exit(nargs);
	if (nargs > 0)
		return usage_error("list", "list takes no argument");
	if (list_profiles(&names, &n))
		return EXIT_FAIL;
	for (i = 0; i < n; i++) {
		/* mprofile_YYYYMMDDhhmmss.dat: the glob fixed the length */
		const char *ts = names[i] + sizeof "mprofile_" - 1;

		printf("%zu %s %.2s:%.2s:%.2s %.2s/%.2s/%.4s\n", i, names[i],
		       ts + 8, ts + 10, ts + 12, ts + 6, ts + 4, ts);
	}
	free_names(names, n);
	return EXIT_OK;
}
