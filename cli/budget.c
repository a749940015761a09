/* SPDX-License-Identifier: MIT */
/*
 * budget.c - limits and budget files for `mprof check` (docs/gates.md,
 * "Budget files").  A budget file is lines of
 *
 *     function GLOB RULE LIMIT [RULE LIMIT...]
 *     file GLOB RULE LIMIT [RULE LIMIT...]
 *
 * with RULE max-line, max-peak or max-growth, LIMIT a size, "none", or
 * for max-growth a percentage; '#' starts a comment, blank lines are
 * skipped.  A bad line is reported as "file:line: message" and skipped
 * whole, so one typo neither hides the rest of the file nor half-applies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gates.h"
#include "size.h"

const char *const rule_names[NRULES] = { "max-line", "max-peak",
					 "max-growth" };

/* "10", "2.5", "0.25" percent as hundredths; -1 if not such a number. */
static int parse_pct(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i = 0, frac = 0;
	int point = 0;

	if (!len)
		return -1;
	for (; i < len; i++) {
		if (s[i] == '.' && !point) {
			point = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || frac == 2 ||
		    n > 100000000000ull)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
		frac += (size_t)point;
	}
	if (len == (size_t)point)
		return -1;
	for (; frac < 2; frac++)
		n *= 10;
	*v = n;
	return 0;
}

int limit_parse(const char *s, int allow_pct, struct limit *l)
{
	size_t len = strlen(s);

	if (!strcmp(s, "none")) {
		l->kind = LIMIT_NONE;
		l->value = 0;
		return 0;
	}
	if (allow_pct && len > 1 && s[len - 1] == '%') {
		if (parse_pct(s, len - 1, &l->value))
			return -1;
		l->kind = LIMIT_PCT;
		return 0;
	}
	if (mp_size_parse(s, &l->value))
		return -1;
	l->kind = LIMIT_BYTES;
	return 0;
}

char *limit_format(char *buf, size_t size, const struct limit *l)
{
	if (l->kind == LIMIT_NONE)
		snprintf(buf, size, "none");
	else if (l->kind == LIMIT_PCT && l->value % 100)
		snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 "%%",
			 l->value / 100, l->value % 100);
	else if (l->kind == LIMIT_PCT)
		snprintf(buf, size, "%" PRIu64 "%%", l->value / 100);
	else
		mp_size_format(buf, size, (int64_t)l->value);
	return buf;
}

int64_t limit_allowed(const struct limit *l, int64_t base)
{
	if (l->kind == LIMIT_NONE)
		return INT64_MAX;
	if (l->kind == LIMIT_BYTES)
		return (int64_t)l->value;
	if (base <= 0)
		return 0;
	return (int64_t)((__int128)base * (__int128)l->value / 10000);
}

/* The next word of a line (spaces and tabs between), or NULL at its end. */
static char *word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#')
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static int add_rule(struct budget *b, const struct budget_rule *r)
{
	struct budget_rule *nr = realloc_array(b->rules, b->n + 1, sizeof *nr);

	if (!nr)
		return -1;
	b->rules = nr;
	b->rules[b->n] = *r;
	b->rules[b->n].glob = strdup(r->glob);
	if (!b->rules[b->n].glob)
		return -1;
	b->n++;
	return 0;
}

/*
 * One line (NUL-terminated, modifiable).  0 when it was good or empty, 1
 * after a message on errs, -1 when memory ran out.
 */
static int parse_line(struct budget *b, char *s, unsigned long lineno,
		      FILE *errs)
{
	struct budget_rule rules[NRULES];
	char *scope, *glob, *name, *value;
	size_t n = 0, i;
	int r;

	scope = word(&s);
	if (!scope)
		return 0;
	if (strcmp(scope, "function") && strcmp(scope, "file")) {
		fprintf(errs, "%s:%lu: expected 'function' or 'file', not '%s'\n",
			b->name, lineno, scope);
		return 1;
	}
	glob = word(&s);
	if (!glob) {
		fprintf(errs, "%s:%lu: '%s' without a name or glob\n",
			b->name, lineno, scope);
		return 1;
	}
	while ((name = word(&s))) {
		for (r = 0; r < NRULES && strcmp(name, rule_names[r]); r++)
			;
		if (r == NRULES) {
			fprintf(errs, "%s:%lu: unknown rule '%s' (max-line, max-peak or max-growth)\n",
				b->name, lineno, name);
			return 1;
		}
		value = word(&s);
		if (!value) {
			fprintf(errs, "%s:%lu: '%s' without a limit\n",
				b->name, lineno, name);
			return 1;
		}
		if (n == NRULES ||
		    limit_parse(value, r == RULE_GROWTH, &rules[n].limit)) {
			fprintf(errs, n == NRULES ?
				"%s:%lu: too many rules on one line ('%s %s')\n" :
				r == RULE_GROWTH ?
				"%s:%lu: '%s' takes a size (512K, 24MiB, 1.5G), a percentage or 'none', not '%s'\n" :
				"%s:%lu: '%s' takes a size (512K, 24MiB, 1.5G) or 'none', not '%s'\n",
				b->name, lineno, name, value);
			return 1;
		}
		rules[n].is_file = scope[1] == 'i';
		rules[n].glob = glob;
		rules[n].rule = (enum rule)r;
		rules[n].line = lineno;
		n++;
	}
	if (!n) {
		fprintf(errs, "%s:%lu: '%s %s' without a rule (max-line, max-peak or max-growth)\n",
			b->name, lineno, scope, glob);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (add_rule(b, &rules[i]))
			return -1;
	return 0;
}

long budget_parse(struct budget *b, const char *text, size_t len,
		  FILE *errs)
{
	const char *end = text + len, *nl;
	unsigned long lineno = 0;
	long bad = 0;
	char *copy;
	int rc;

	for (; text < end; text = nl + 1) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (!nl)
			nl = end;
		lineno++;
		copy = strndup(text, (size_t)(nl - text));
		if (!copy)
			return -1;
		if (strlen(copy) != (size_t)(nl - text)) {
			fprintf(errs, "%s:%lu: NUL byte in the line\n", b->name,
				lineno);
			rc = 1;
		} else {
			copy[strcspn(copy, "\r")] = '\0';
			rc = parse_line(b, copy, lineno, errs);
		}
		free(copy);
		if (rc < 0)
			return -1;
		bad += rc;
	}
	return bad;
}

long budget_read(struct budget *b, FILE *errs)
{
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(b->name, "rb");
	long rc;

	if (!f)
		return error("cannot open '%s': %s", b->name, strerror(errno));
	for (;;) {
		if (n == cap) {
			char *nb = realloc_array(buf, cap ? cap * 2 : 4096, 1);

			if (!nb) {
				free(buf);
				fclose(f);
				return error("%s", strerror(ENOMEM));
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		got = fread(buf + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return error("cannot read '%s'", b->name);
	}
	fclose(f);
	rc = budget_parse(b, buf, n, errs);
	free(buf);
	if (rc < 0)
		return error("%s", strerror(ENOMEM));
	return rc;
}

void budget_free(struct budget *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->rules[i].glob);
	free(b->rules);
	b->rules = NULL;
	b->n = 0;
}

/* Whether a file rule's glob names f's file (see gates.h). */
static int file_matches(const char *glob, const struct mp_func *f)
{
	const char *base = strrchr(f->file, '/');
	char *full;
	int hit;

	if (!fnmatch(glob, f->file, 0))
		return 1;
	if (!strchr(glob, '/') && base && !fnmatch(glob, base + 1, 0))
		return 1;
	if (f->file[0] == '/' || !f->dir[0] ||
	    asprintf(&full, "%s/%s", f->dir, f->file) < 0)
		return 0;
	hit = !fnmatch(glob, full, 0);
	free(full);
	return hit;
}

const struct budget_rule *budget_find(const struct budget *b, enum rule rule,
				      const struct mp_func *f)
{
	const struct budget_rule *by_file = NULL;
	size_t i;

	if (!b)
		return NULL;
	for (i = b->n; i-- > 0;) {
		const struct budget_rule *r = &b->rules[i];

		if (r->rule != rule)
			continue;
		if (!r->is_file && !fnmatch(r->glob, f->name, 0))
			return r;
		if (r->is_file && !by_file && file_matches(r->glob, f))
			by_file = r;
	}
	return by_file;
}
