/* SPDX-License-Identifier: MIT */
/*
 * util.c - helpers every subcommand uses: messages, finding profiles in
 * the current directory the way Python's mprof does (the glob
 * mprofile_??????????????.dat, sorted; an index counts in that order), and
 * the report of malformed .dat lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define PROFILE_GLOB "mprofile_??????????????.dat"

/* Malformed lines printed per file before the rest are only counted. */
#define BAD_LINES_SHOWN 10

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof msg, fmt, ap);
	fflush(stdout);
	fprintf(stderr, "mprof: %s%s\n", prefix, msg);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return -1;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_of(cmd), stderr);
	return EXIT_USAGE;
}

void *realloc_array(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, n && size ? n * size : 1);
}

void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int list_profiles(char ***names, size_t *n)
{
	glob_t g;
	size_t i;
	int rc;

	*names = NULL;
	*n = 0;
	rc = glob(PROFILE_GLOB, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return error("cannot list the current directory: %s",
			     rc == GLOB_NOSPACE ? strerror(ENOMEM) :
			     "read error");
	*names = calloc(g.gl_pathc + 1, sizeof **names);
	if (!*names) {
		globfree(&g);
		return error("%s", strerror(ENOMEM));
	}
	/* glob sorts with strcoll; profiles are ASCII: strcmp order */
	for (i = 0; i < g.gl_pathc; i++) {
		(*names)[i] = strdup(g.gl_pathv[i]);
		if (!(*names)[i]) {
			free_names(*names, i);
			globfree(&g);
			return error("%s", strerror(ENOMEM));
		}
	}
	*n = g.gl_pathc;
	globfree(&g);
	return 0;
}

static int add_name(char ***names, size_t *n, const char *name)
{
	char **nn;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return 0;
	nn = realloc_array(*names, *n + 2, sizeof *nn);
	if (!nn)
		return -1;
	*names = nn;
	nn[*n] = strdup(name);
	if (!nn[*n])
		return -1;
	(*n)++;
	nn[*n] = NULL;
	return 0;
}

static int parse_index(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return end != s && !*end && !errno;
}

int resolve_profiles(int argc, char **argv, int index_first,
		     char ***names, size_t *n)
{
	char **profiles;
	size_t nprof;
	int i, bad = 0;

	*names = NULL;
	*n = 0;
	if (list_profiles(&profiles, &nprof))
		return 1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct stat st;
		int exists = stat(a, &st) == 0, e = errno;
		long idx;

		if ((index_first || !exists) && parse_index(a, &idx)) {
			long k = idx < 0 ? (long)nprof + idx : idx;

			if (k < 0 || k >= (long)nprof) {
				error("no profile with index %s (see 'mprof list')",
				      a);
				bad++;
				continue;
			}
			if (add_name(names, n, profiles[k]))
				goto nomem;
			continue;
		}
		if (!exists) {
			error("'%s': %s", a, strerror(e));
			bad++;
		} else if (S_ISDIR(st.st_mode)) {
			error("'%s' is a directory", a);
			bad++;
		} else if (add_name(names, n, a)) {
			goto nomem;
		}
	}
	free_names(profiles, nprof);
	return bad;
nomem:
	free_names(profiles, nprof);
	error("%s", strerror(ENOMEM));
	return -1;
}

int latest_profile(char **name)
{
	char **profiles;
	size_t n;

	if (list_profiles(&profiles, &n))
		return -1;
	if (n == 0) {
		free(profiles);
		return error("no mprofile_*.dat file in the current directory (make one with 'mprof run')");
	}
	*name = profiles[n - 1];
	free_names(profiles, n - 1);
	return 0;
}

void bad_line_report(struct bad_lines *b, const char *file,
		     unsigned long line, const char *msg)
{
	b->file = file;
	if (b->shown >= BAD_LINES_SHOWN) {
		b->hidden++;
		return;
	}
	b->shown++;
	fflush(stdout);
	fprintf(stderr, "%s:%lu: %s\n", file, line, msg);
}

void bad_line_summary(struct bad_lines *b)
{
	if (b->hidden)
		fprintf(stderr, "%s: %lu more malformed line%s not shown\n",
			b->file, b->hidden, b->hidden == 1 ? "" : "s");
}

/* Append the <stem>_ts<ext> files that exist (Python's timestamp files). */
int add_ts_companions(char ***names, size_t *n)
{
	size_t i, count = *n;

	for (i = count; i-- > 0;) {
		const char *name = (*names)[i];
		const char *slash = strrchr(name, '/');
		const char *dot = strrchr(slash ? slash + 1 : name, '.');
		size_t stem = dot && dot != (slash ? slash + 1 : name) ?
			      (size_t)(dot - name) : strlen(name);
		struct stat st;
		char *ts, **nn;
		size_t j;
		int dup = 0;

		if (asprintf(&ts, "%.*s_ts%s", (int)stem, name,
			     name + stem) < 0)
			return -1;
		for (j = 0; j < *n; j++)
			dup |= strcmp((*names)[j], ts) == 0;
		if (dup || stat(ts, &st) || !S_ISREG(st.st_mode)) {
			free(ts);
			continue;
		}
		nn = realloc_array(*names, *n + 2, sizeof *nn);
		if (!nn) {
			free(ts);
			return -1;
		}
		*names = nn;
		nn[(*n)++] = ts;
		nn[*n] = NULL;
	}
	return 0;
}

int remove_profiles(char **names, size_t n, int dry_run)
{
	int rc = EXIT_OK;
	size_t i;

	if (dry_run) {
		printf("Files to be removed: \n");
		for (i = 0; i < n; i++)
			printf("%s\n", names[i]);
		return EXIT_OK;
	}
	for (i = 0; i < n; i++) {
		if (unlink(names[i])) {
			error("cannot remove '%s': %s", names[i],
			      strerror(errno));
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

/* Fibonacci hashing of a pid into a table of 2^bits slots. */
static size_t pid_slot(long pid, unsigned bits)
{
	return (size_t)(((uint64_t)pid * UINT64_C(11400714819323198485)) >>
			(64 - bits));
}

long pidmap_get(const struct pidmap *m, long pid)
{
	size_t i;

	if (!m->cap)
		return -1;
	for (i = pid_slot(pid, m->bits);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].index < 0)
			return -1;
		if (m->slots[i].pid == pid)
			return m->slots[i].index;
	}
}

int pidmap_put(struct pidmap *m, long pid, long index)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct pidmap nm = { NULL, 0, 0, m->bits ? m->bits + 1 : 6 };

		nm.cap = (size_t)1 << nm.bits;
		nm.slots = malloc(nm.cap * sizeof *nm.slots);
		if (!nm.slots)
			return -1;
		for (i = 0; i < nm.cap; i++)
			nm.slots[i].index = -1;
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].index >= 0)
				pidmap_put(&nm, m->slots[i].pid,
					   m->slots[i].index);
		free(m->slots);
		*m = nm;
	}
	for (i = pid_slot(pid, m->bits); m->slots[i].index >= 0;
	     i = (i + 1) & (m->cap - 1))
		if (m->slots[i].pid == pid)
			break;
	if (m->slots[i].index < 0)
		m->n++;
	m->slots[i].pid = pid;
	m->slots[i].index = index;
	return 0;
}

void *pidmap_add(struct pidmap *m, long pid, void *arr, size_t *n,
		 size_t size)
{
	char *na = realloc_array(arr, *n + 1, size);

	if (!na)
		return arr;
	if (pidmap_put(m, pid, (long)*n))
		return na;
	memset(na + *n * size, 0, size);
	(*n)++;
	return na;
}

void pidmap_free(struct pidmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}
