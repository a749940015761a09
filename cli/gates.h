/* SPDX-License-Identifier: MIT */
/*
 * gates.h - what `mprof check` and `mprof diff` share (docs/gates.md):
 * limits (a size, a percentage, or none), the budget file of per-function
 * and per-file limits (budget.c), and the matching of a baseline
 * profile's lines to a new profile's across edits (match.c).
 *
 * Library code in the git manner: nothing here exits; budget_parse()
 * prints its "file:line: message" lines to the stream it is given.
 */
#ifndef MP_GATES_H
#define MP_GATES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

/* The rules a limit belongs to. */
enum rule { RULE_LINE, RULE_PEAK, RULE_GROWTH, NRULES };

extern const char *const rule_names[NRULES];	/* "max-line"... */

struct limit {
	enum { LIMIT_NONE, LIMIT_BYTES, LIMIT_PCT } kind;
	uint64_t value;		/* bytes, or hundredths of a percent */
};

/*
 * "512K", "24MiB" (report/size.h), "none", and with allow_pct "10%" or
 * "2.5%" (two decimals at most).  0, or -1 when `s` is none of these.
 */
int limit_parse(const char *s, int allow_pct, struct limit *l);
/* The limit as written back in messages: "5.0 MiB", "10%". */
char *limit_format(char *buf, size_t size, const struct limit *l);
/*
 * The growth a limit allows over a baseline Increment: bytes as they are,
 * a percentage of the baseline when it is positive (0 otherwise);
 * INT64_MAX for none.
 */
int64_t limit_allowed(const struct limit *l, int64_t base);

/* One rule of a budget file: "function GLOB RULE LIMIT". */
struct budget_rule {
	int is_file;		/* "file" (1) or "function" (0) */
	char *glob;		/* fnmatch() pattern */
	enum rule rule;
	struct limit limit;
	unsigned long line;	/* where it is in the budget file */
};

struct budget {
	const char *name;	/* the file, as named on the command line */
	struct budget_rule *rules;
	size_t n;
};

/*
 * Parse `len` bytes of budget text into b (zeroed by the caller, b->name
 * set).  Each bad line is skipped with one "name:line: message" line on
 * errs, and the rest is read.  Returns the number of bad lines, or -1 when
 * memory ran out.
 */
long budget_parse(struct budget *b, const char *text, size_t len,
		  FILE *errs);
/* budget_parse() of the file b->name; -1 after an error() if unreadable. */
long budget_read(struct budget *b, FILE *errs);
void budget_free(struct budget *b);
/*
 * The rule of b for `rule` in function `f`: the last function rule whose
 * glob matches its name, else the last file rule whose glob matches its
 * file (as given to the compiler, or dir/file, or without a '/' in the
 * glob its base name); NULL if none.
 */
const struct budget_rule *budget_find(const struct budget *b, enum rule rule,
				      const struct mp_func *f);

/*
 * Lines of a baseline function matched to a new one's.  map[i] is the new
 * line matched to base line base->first_line + i, or 0 if the line has no
 * counterpart (it was removed or changed); the signature lines always
 * match.  When the baseline's text is known to be the baseline run's
 * (saved in its profile, or a file other than the new run's) lines are
 * matched by text, whitespace at either end ignored, as diff matches
 * them; otherwise by their distance from the signature, which follows a
 * function moved by an edit above it.
 */
struct line_map {
	int32_t *map;
	int32_t base_first;	/* base line of map[0] */
	int32_t n;
	int by_text;		/* 1: matched by source text */
};

/*
 * Read the JSON profile `path` ("-": standard input) into p (through
 * report/jsonread.h, the one reader); -1 after an error() naming the file and line.  p is left
 * initialised either way, for mp_profile_free().
 */
int profile_read(const char *path, struct mp_profile *p);

/*
 * The function of `base` that matches `f` of the new profile: same name
 * and file, else the only function of that name; NULL if none.
 */
const struct mp_func *match_func(const struct mp_profile *base,
				 const struct mp_func *f);
/*
 * Build m for base function bf and new function nf (m zeroed by the
 * caller).  0, or -1 when memory ran out.
 */
int match_lines(const struct mp_func *bf, const struct mp_func *nf,
		struct line_map *m);
void line_map_free(struct line_map *m);
/* The new line matched to base line `line`, or 0. */
int32_t line_map_get(const struct line_map *m, int32_t line);
/* The base line matched to new line `line`, or 0. */
int32_t line_map_base(const struct line_map *m, int32_t line);

/* The recorded row of `line` in f, or NULL. */
const struct mp_row *find_row(const struct mp_func *f, int32_t line);

/*
 * A function's source lines: the text its profile saved (JSON "source"),
 * else its file as the line tables find it, `file` under `dir` first when
 * relative (the run's directory), else as given.  lines is NULL when
 * there is neither.
 */
struct source_text {
	char *buf;
	char **lines;		/* lines[i] is line first + i, no '\n' */
	size_t n;
	int32_t first;		/* 1 for a file */
	int saved;		/* the profile's own copy */
	char *path;		/* the file read (realpath), or NULL */
	int borrowed;		/* buffers belong to the file cache */
};

/* 0, or -1 when memory ran out. */
int source_load(struct source_text *s, const struct mp_func *f);
void source_free(struct source_text *s);
/* Forget the files source_load() read (each is read once until then). */
void source_cache_free(void);
/* Line `line` of s, or "" when past its end or unread. */
const char *source_line(const struct source_text *s, int32_t line);

#endif /* MP_GATES_H */
