/* SPDX-License-Identifier: MIT */
/*
 * patterns.c - the -fplugin-arg-mprof-functions patterns the program's
 * units were compiled with, and the note at exit for a pattern that no
 * profiled function matched.  A mistyped pattern otherwise gives a run
 * with no table and no word why.
 *
 * Each unit's probe table carries its patterns as one string, the
 * plugin argument as given (runtime/mprof_abi.h); __mprof_bind hands it
 * here.  Units of one build share a handful of distinct strings: the
 * first MAX_SETS are kept (pointers into the units' read-only data,
 * which stays mapped while the module is loaded), the rest ignored.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <string.h>

#include "internal.h"
#include "profile.h"

#define MAX_SETS 16
#define MAX_PATTERN 256

static const char *sets[MAX_SETS];	/* distinct argument strings */

void mp_patterns_bind(const char *functions)
{
	const char *seen;
	int i;

	if (!functions || !*functions)
		return;
	for (i = 0; i < MAX_SETS; i++) {
		seen = NULL;
		if (__atomic_compare_exchange_n(&sets[i], &seen, functions, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    strcmp(seen, functions) == 0)
			return;
	}
}

/* Copy the pattern at *s (up to a comma) into buf; advance *s past it. */
static const char *next_pattern(const char **s, char *buf)
{
	size_t n = strcspn(*s, ",");

	if (n >= MAX_PATTERN)
		n = MAX_PATTERN - 1;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s += strcspn(*s, ",");
	if (**s == ',')
		(*s)++;
	return buf;
}

/* Is `pat` one of the patterns of sets[0..upto)? */
static int listed_before(const char *pat, int upto)
{
	char buf[MAX_PATTERN];
	const char *s;
	int i;

	for (i = 0; i < upto; i++)
		for (s = sets[i]; *s;)
			if (strcmp(next_pattern(&s, buf), pat) == 0)
				return 1;
	return 0;
}

static int matched(const char *pat, const struct mp_profile *p)
{
	size_t k;

	for (k = 0; k < p->nfuncs; k++)
		if (fnmatch(pat, p->funcs[k].name, 0) == 0)
			return 1;
	return 0;
}

void mp_patterns_note(const struct mp_profile *p)
{
	char buf[MAX_PATTERN];
	const char *s, *pat;
	int i;

	for (i = 0; i < MAX_SETS; i++) {
		const char *set = __atomic_load_n(&sets[i], __ATOMIC_ACQUIRE);

		if (!set)
			break;
		for (s = set; *s;) {
			pat = next_pattern(&s, buf);
			if (*pat && !listed_before(pat, i) && !matched(pat, p))
				mp_note("mprof: no profiled function matching '%s' ran (-fplugin-arg-mprof-functions=%s; patterns are shell globs matched against function names as the tables print them)",
					pat, set);
		}
	}
}
