/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - `mprof check PROFILE.json [rules]`: a memory gate for CI
 * (docs/gates.md).  The rules: --max-line (no line's Increment above a
 * size), --max-peak (no Mem usage above a size), --max-growth with
 * --baseline (no line's Increment grown by more than a size or a
 * percentage over the baseline profile's, lines matched across edits by
 * match.c), and a budget file that sets any of them per function or per
 * file (budget.c).  Signature rows hold the memory at entry, not what a
 * line did: max-line and max-growth skip them.
 *
 * Each violation is one line in the compiler's format on stderr,
 * "file:line: error: <rule> exceeded (<figures>) in <function>", sorted
 * by file and line, so CI annotations and editors jump to it.  Status 0
 * when every rule holds, 1 when one does not, 2 for a usage error, a
 * profile that cannot be read, or a budget file with bad lines (each
 * reported, the rest still checked).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gates.h"
#include "size.h"

struct violation {
	const char *file;
	int32_t line;
	enum rule rule;
	char *msg;		/* the whole line */
};

struct checker {
	struct limit global[NRULES];
	int has[NRULES];	/* the command line set global[rule] */
	const struct budget *budget;
	const struct mp_profile *base;	/* --baseline, or NULL */
	struct violation *v;
	size_t nv;
	int nomem;
};

/*
 * The limit of `rule` in f and where it comes from (the budget line, for
 * the message); NULL when no rule applies.
 */
static const struct limit *limit_of(const struct checker *c, enum rule rule,
				    const struct mp_func *f,
				    const struct budget_rule **from)
{
	*from = budget_find(c->budget, rule, f);
	if (*from)
		return (*from)->limit.kind == LIMIT_NONE ? NULL :
		       &(*from)->limit;
	return c->has[rule] && c->global[rule].kind != LIMIT_NONE ?
	       &c->global[rule] : NULL;
}

static void __attribute__((format(printf, 6, 7)))
violate(struct checker *c, const struct mp_func *f, int32_t line,
	enum rule rule, const struct budget_rule *from, const char *fmt, ...)
{
	struct violation *nv;
	char *figures = NULL, *msg = NULL;
	char where[512] = "";
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&figures, fmt, ap);
	va_end(ap);
	if (from)
		snprintf(where, sizeof where, ", %s:%lu", c->budget->name,
			 from->line);
	if (rc < 0 || asprintf(&msg, "%s:%" PRId32 ": error: %s exceeded (%s%s) in %s",
			       f->file, line, rule_names[rule], figures,
			       where, f->name) < 0 ||
	    !(nv = realloc_array(c->v, c->nv + 1, sizeof *nv))) {
		if (rc >= 0)
			free(figures);
		c->nomem = 1;
		return;
	}
	free(figures);
	c->v = nv;
	c->v[c->nv].file = f->file;
	c->v[c->nv].line = line;
	c->v[c->nv].rule = rule;
	c->v[c->nv++].msg = msg;
}

/* max-line: each line's Increment, signature rows aside. */
static void check_lines(struct checker *c, const struct mp_func *f)
{
	const struct budget_rule *from;
	const struct limit *l = limit_of(c, RULE_LINE, f, &from);
	char a[32], b[32];
	size_t i;

	for (i = 0; l && i < f->nrows; i++) {
		const struct mp_row *r = &f->rows[i];

		if (r->line == f->first_line || r->incr <= (int64_t)l->value)
			continue;
		violate(c, f, r->line, RULE_LINE, from, "Increment %s > %s",
			mp_size_format(a, sizeof a, r->incr),
			limit_format(b, sizeof b, l));
	}
}

/*
 * max-growth: each line's Increment minus its baseline counterpart's (0
 * for a line or function the baseline does not have).
 */
static int check_growth(struct checker *c, const struct mp_func *f)
{
	const struct budget_rule *from;
	const struct limit *l = limit_of(c, RULE_GROWTH, f, &from);
	const struct mp_func *bf;
	struct line_map m = { 0 };
	char a[32], b[32], d[32], lim[32], allowed_s[32];
	size_t i;

	if (!l || !c->base)
		return 0;
	bf = match_func(c->base, f);
	if (bf && match_lines(bf, f, &m))
		return -1;
	for (i = 0; i < f->nrows; i++) {
		const struct mp_row *r = &f->rows[i], *br = NULL;
		int64_t base = 0, allowed;
		int32_t bl;

		if (r->line == f->first_line)
			continue;
		if (bf && (bl = line_map_base(&m, r->line)) &&
		    (br = find_row(bf, bl)))
			base = br->incr;
		allowed = limit_allowed(l, base);
		if ((__int128)r->incr - base <= allowed)
			continue;
		if (l->kind == LIMIT_PCT)
			snprintf(allowed_s, sizeof allowed_s, " = %s",
				 mp_size_format(d, sizeof d, allowed));
		else
			allowed_s[0] = '\0';
		violate(c, f, r->line, RULE_GROWTH, from,
			"Increment %s -> %s, +%s > %s%s",
			mp_size_format(a, sizeof a, base),
			mp_size_format(b, sizeof b, r->incr),
			mp_size_format(d, sizeof d, r->incr - base),
			limit_format(lim, sizeof lim, l), allowed_s);
	}
	line_map_free(&m);
	return 0;
}

/*
 * max-peak: each rule (the command line's, or one budget line) is checked
 * once, at the highest Mem usage of the functions it covers.
 */
static int check_peaks(struct checker *c, const struct mp_profile *p)
{
	struct group {
		const struct budget_rule *from;
		const struct limit *limit;
		const struct mp_func *f;
		const struct mp_row *r;
	} *g = NULL, *ng;
	size_t ng_n = 0, i, j, k;
	char a[32], b[32];

	for (i = 0; i < p->nfuncs; i++) {
		const struct mp_func *f = &p->funcs[i];
		const struct budget_rule *from;
		const struct limit *l = limit_of(c, RULE_PEAK, f, &from);

		if (!l)
			continue;
		for (k = 0; k < ng_n && g[k].from != from; k++)
			;
		if (k == ng_n) {
			ng = realloc_array(g, ng_n + 1, sizeof *g);
			if (!ng) {
				free(g);
				return -1;
			}
			g = ng;
			g[ng_n].from = from;
			g[ng_n].limit = l;
			g[ng_n].f = NULL;
			g[ng_n++].r = NULL;
		}
		for (j = 0; j < f->nrows; j++)
			if (!g[k].r || f->rows[j].peak > g[k].r->peak) {
				g[k].f = f;
				g[k].r = &f->rows[j];
			}
	}
	for (k = 0; k < ng_n; k++)
		if (g[k].r && g[k].r->peak > (int64_t)g[k].limit->value)
			violate(c, g[k].f, g[k].r->line, RULE_PEAK, g[k].from,
				"Mem usage %s > %s",
				mp_size_format(a, sizeof a, g[k].r->peak),
				limit_format(b, sizeof b, g[k].limit));
	free(g);
	return 0;
}

static int by_place(const void *pa, const void *pb)
{
	const struct violation *a = pa, *b = pb;
	int d = strcmp(a->file, b->file);

	if (d)
		return d;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return (int)a->rule - (int)b->rule;
}

/* Parse --max-* options into c; a usage error's status, or 0. */
static int set_limit(struct checker *c, enum rule rule, const char *arg)
{
	if (!arg)
		return 0;
	if (limit_parse(arg, rule == RULE_GROWTH, &c->global[rule]))
		return usage_error("check", "option '--%s' takes a size (512K, 24MiB, 1.5G)%s, not '%s'",
				   rule_names[rule], rule == RULE_GROWTH ?
				   " or a percentage (10%)" : "", arg);
	c->has[rule] = 1;
	return 0;
}

static int check(struct checker *c, const char *path, long bad_budget)
{
	struct mp_profile p;
	size_t i;
	int rc = EXIT_OK;

	if (profile_read(path, &p)) {
		mp_profile_free(&p);
		return EXIT_USAGE;
	}
	for (i = 0; i < p.nfuncs && !c->nomem; i++) {
		check_lines(c, &p.funcs[i]);
		if (check_growth(c, &p.funcs[i]))
			c->nomem = 1;
	}
	if (!c->nomem && check_peaks(c, &p))
		c->nomem = 1;
	qsort(c->v, c->nv, sizeof *c->v, by_place);
	fflush(stdout);
	for (i = 0; i < c->nv; i++) {
		fprintf(stderr, "%s\n", c->v[i].msg);
		free(c->v[i].msg);
	}
	free(c->v);
	mp_profile_free(&p);
	if (c->nomem)
		rc = fail("%s", strerror(ENOMEM));
	else if (c->nv)
		rc = EXIT_FAIL;
	if (bad_budget)
		rc = EXIT_USAGE;
	return rc;
}

int cmd_check(int argc, char **argv)
{
	const char *args[NRULES] = { NULL }, *budget_arg = NULL,
		   *base_arg = NULL;
	struct checker c = { 0 };
	struct budget b = { 0 };
	struct mp_profile base;
	const struct option opts[] = {
		{ 0, "max-line", OPT_STRING, &args[RULE_LINE] },
		{ 0, "max-peak", OPT_STRING, &args[RULE_PEAK] },
		{ 0, "max-growth", OPT_STRING, &args[RULE_GROWTH] },
		{ 0, "baseline", OPT_STRING, &base_arg },
		{ 0, "budget", OPT_STRING, &budget_arg },
		{ 0, NULL, 0, NULL },
	};
	long bad = 0;
	int n, rc, r;

	n = parse_options(argc, argv, opts, 0);
	if (n < 0)
		return parse_exit(n);
	if (n != 1)
		return usage_error("check", n ? "one profile at a time, not %d" :
				   "which profile? (PROFILE.json)", n);
	for (r = 0; r < NRULES; r++)
		if ((rc = set_limit(&c, (enum rule)r, args[r])))
			return rc;
	if (c.has[RULE_GROWTH] && !base_arg)
		return usage_error("check", "option '--max-growth' needs '--baseline BASE.json'");
	if (!args[RULE_LINE] && !args[RULE_PEAK] && !budget_arg &&
	    !base_arg)
		return usage_error("check", "no rule to check (--max-line, --max-peak, --budget or --baseline)");
	if (base_arg && !c.has[RULE_GROWTH] && !budget_arg)
		return usage_error("check", "option '--baseline' needs '--max-growth' or a budget file with max-growth rules");
	if (budget_arg) {
		b.name = budget_arg;
		bad = budget_read(&b, stderr);
		if (bad < 0) {
			budget_free(&b);
			return EXIT_USAGE;
		}
		c.budget = &b;
	}
	if (base_arg) {
		if (profile_read(base_arg, &base)) {
			mp_profile_free(&base);
			budget_free(&b);
			return EXIT_USAGE;
		}
		c.base = &base;
	}
	rc = check(&c, argv[0], bad);
	source_cache_free();
	if (base_arg)
		mp_profile_free(&base);
	budget_free(&b);
	return rc;
}
