/* SPDX-License-Identifier: MIT */
/*
 * cmd_help.c - `mprof help [COMMAND]`: the list of commands, or one
 * command's usage, on stdout.
 */
#include <stdio.h>

#include "cli.h"

int cmd_help(int argc, char **argv)
{
	const struct option opts[] = { { 0, NULL, 0, NULL } };
	int n = parse_options(argc, argv, opts, 0);

	if (n < 0)
		return parse_exit(n);
	if (n == 0) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	if (n > 1)
		return usage_error("help", "help takes at most one command");
	if (!find_command(argv[0])) {
		error("'%s' is not an mprof command (see 'mprof help')",
		      argv[0]);
		return EXIT_USAGE;
	}
	fputs(usage_of(argv[0]), stdout);
	return EXIT_OK;
}
