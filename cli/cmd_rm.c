/* SPDX-License-Identifier: MIT */
/*
 * cmd_rm.c - `mprof rm [--dry-run] FILE|INDEX...`: Python mprof's rm,
 * which also takes away the legacy <name>_ts<ext> companion of each file.
 * Every argument is resolved before anything is removed, so one bad
 * argument removes nothing (Python raises before removing too).  An
 * argument that reads as an integer is an index even if a file has that
 * name, as in Python's rm.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

int cmd_rm(int argc, char **argv)
{
	int dry_run = 0, n, bad, rc;
	const struct option opts[] = {
		{ 0, "dry-run", OPT_FLAG, &dry_run },
		{ 0, NULL, 0, NULL },
	};
	char **names;
	size_t count;

	n = parse_options(argc, argv, opts, PARSE_NEGATIVE_ARGS);
	if (n < 0)
		return parse_exit(n);
	if (n == 0)
		return usage_error("rm", "a profile to remove must be provided (number or filename)");
	bad = resolve_profiles(n, argv, 1, &names, &count);
	if (bad == 0 && add_ts_companions(&names, &count)) {
		error("%s", strerror(ENOMEM));
		bad = -1;
	}
	rc = bad ? EXIT_FAIL : remove_profiles(names, count, dry_run);
	free_names(names, count);
	return rc;
}
