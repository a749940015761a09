/* SPDX-License-Identifier: MIT */
/* The unit with the function tests/plugin/run.sh's `patterns` case asks
   for by name (parse_*). */
#include <stdlib.h>

int parse_line(int n)
{
	int *p = malloc(n * sizeof *p);
	int ok = p != NULL;

	free(p);
	return ok;
}
