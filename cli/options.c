/* SPDX-License-Identifier: MIT */
/*
 * options.c - option parsing for every subcommand, so that all of them
 * accept the same forms and reject unknown options the same way:
 * "-T 0.1", "-T0.1", "--interval 0.1", "--interval=0.1", bundled flags
 * ("-CM"), "--" to end the options, and -h/--help.
 *
 * getopt_long is not used: it prints its own messages, permutes argv
 * unless told otherwise, and reads "-1" (a profile index) as an option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option *find_long(const struct option *o,
				      const char *name, size_t len)
{
	for (; o->short_name || o->long_name; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    strncmp(o->long_name, name, len) == 0)
			return o;
	return NULL;
}

static const struct option *find_short(const struct option *o, char c)
{
	for (; o->short_name || o->long_name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

static int is_negative_number(const char *s)
{
	if (s[0] != '-' || !s[1])
		return 0;
	for (s++; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* "-T" or "--interval", as the user wrote it, for messages. */
static void opt_name(char *buf, size_t n, const struct option *o, int lng)
{
	if (lng || !o->short_name)
		snprintf(buf, n, "--%s", o->long_name);
	else
		snprintf(buf, n, "-%c", o->short_name);
}

static int set_value(const char *cmd, const struct option *o, int lng,
		     const char *arg)
{
	char name[64], *end;
	double d;

	opt_name(name, sizeof name, o, lng);
	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->value = 1;
		return 0;
	case OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_SECONDS:
		d = strtod(arg, &end);
		if (end == arg || *end || !(d >= 0) || d > 1e9)
			return usage_error(cmd, "option '%s' takes a number of seconds, not '%s'",
					   name, arg);
		*(double *)o->value = d;
		return 0;
	}
	return 0;
}

int parse_options(int argc, char **argv, const struct option *opts,
		  unsigned flags)
{
	const char *cmd = argv[0];
	int i, n = 0, only_args = 0;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct option *o;

		if (only_args || a[0] != '-' || !a[1] ||
		    ((flags & PARSE_NEGATIVE_ARGS) && is_negative_number(a))) {
			argv[n++] = a;
			if (flags & PARSE_STOP_AT_ARG)
				only_args = 1;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_of(cmd), stdout);
			return PARSE_HELP;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			o = find_long(opts, name, len);
			if (!o) {
				usage_error(cmd, "unknown option '--%.*s'",
					    (int)len, name);
				return PARSE_ERROR;
			}
			if (o->type == OPT_FLAG) {
				if (eq) {
					usage_error(cmd, "option '--%s' takes no value",
						    o->long_name);
					return PARSE_ERROR;
				}
				set_value(cmd, o, 1, NULL);
				continue;
			}
			if (!eq && i + 1 >= argc) {
				usage_error(cmd, "option '--%s' needs a value",
					    o->long_name);
				return PARSE_ERROR;
			}
			if (set_value(cmd, o, 1, eq ? eq + 1 : argv[++i]))
				return PARSE_ERROR;
			continue;
		}
		for (a++; *a; a++) {
			o = find_short(opts, *a);
			if (!o) {
				usage_error(cmd, "unknown option '-%c'", *a);
				return PARSE_ERROR;
			}
			if (o->type == OPT_FLAG) {
				set_value(cmd, o, 0, NULL);
				continue;
			}
			if (!a[1] && i + 1 >= argc) {
				usage_error(cmd, "option '-%c' needs a value",
					    *a);
				return PARSE_ERROR;
			}
			if (set_value(cmd, o, 0, a[1] ? a + 1 : argv[++i]))
				return PARSE_ERROR;
			break;
		}
	}
	argv[n] = NULL;
	return n;
}

int parse_exit(int rc)
{
	return rc == PARSE_HELP ? EXIT_OK : EXIT_USAGE;
}
