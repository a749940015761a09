/* SPDX-License-Identifier: MIT */
/*
 * cmd_clean.c - `mprof clean [--dry-run]`: remove every
 * mprofile_??????????????.dat of the current directory and the legacy
 * _ts companions, as Python mprof's clean does.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

int cmd_clean(int argc, char **argv)
{
	int dry_run = 0, n, rc;
	const struct option opts[] = {
		{ 0, "dry-run", OPT_FLAG, &dry_run },
		{ 0, NULL, 0, NULL },
	};
	char **names;
	size_t count;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (n > 0)
		return usage_error("clean", "clean takes no argument");
	if (list_profiles(&names, &count))
		return EXIT_FAIL;
	if (add_ts_companions(&names, &count)) {
		free_names(names, count);
		return fail("%s", strerror(ENOMEM));
	}
	rc = remove_profiles(names, count, dry_run);
	free_names(names, count);
	return rc;
}
