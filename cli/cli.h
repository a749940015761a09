/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the files of the `mprof` command share: the command table
 * (mprof.c, which also holds every usage text), one cmd_<name>() per
 * subcommand in cmd_<name>.c, the option parser (options.c), the recorder
 * behind `run` and `attach` (record.c) and small helpers (util.c).
 *
 * Conventions, git's: a helper that fails prints one line through error()
 * and returns -1; a command returns its exit status (EXIT_OK, EXIT_FAIL
 * as `return fail(...)`, EXIT_USAGE as `return usage_error(...)`, or with
 * `run -E` the program's); only main() exits.
 * Messages go to stderr as "mprof: <lowercase text, subject quoted>".
 */
#ifndef MP_CLI_H
#define MP_CLI_H

#include <stddef.h>
#include <sys/types.h>

#include "mprof.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command name */
	unsigned flags;				/* CMD_* */
};

/* The command prints its results on stdout: a failed write fails it. */
#define CMD_STDOUT 1u

extern const struct cmd commands[];
extern const size_t ncommands;
const struct cmd *find_command(const char *name);

/* Usage texts, all in mprof.c. */
extern const char usage_main[];
const char *usage_of(const char *name);

int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_lines(int argc, char **argv);
int cmd_help(int argc, char **argv);
/* report_html.c: `mprof report --html DIR`; precision -1: the run's. */
int report_html(const char *dir, const char *json, const char *dat,
		int precision);

/* util.c */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error() for a command's last word: returns EXIT_FAIL. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "mprof: <message>" and the command's usage on stderr; EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* realloc to n elements of size, overflow checked; NULL leaves p as it was. */
void *realloc_array(void *p, size_t n, size_t size);

/* options.c: a small parse-options in git's manner. */
enum opt_type {
	OPT_FLAG,		/* int *: set to 1 */
	OPT_STRING,		/* const char **: the argument */
	OPT_SECONDS		/* double *: a number >= 0 */
};

struct option {
	char short_name;	/* 0: long form only */
	const char *long_name;	/* NULL: short form only */
	enum opt_type type;
	void *value;
};

#define PARSE_STOP_AT_ARG 1u	/* options end at the first argument (run) */
#define PARSE_NEGATIVE_ARGS 2u	/* "-1" is an argument (a profile index) */

enum { PARSE_HELP = -2, PARSE_ERROR = -1 };

/*
 * Parse argv[1..argc) of command argv[0] against opts (ended by an entry
 * with neither name).  The arguments that are not options are moved to
 * argv[0..n) and n is returned.  -h/--help prints the usage on stdout and
 * returns PARSE_HELP; a bad option prints an error and the usage on stderr
 * and returns PARSE_ERROR.  parse_exit() turns those into exit statuses.
 */
int parse_options(int argc, char **argv, const struct option *opts,
		  unsigned flags);
int parse_exit(int rc);

/* Profiles in the current directory: mprofile_<14 digits>.dat, sorted. */
int list_profiles(char ***names, size_t *n);
void free_names(char **names, size_t n);
/*
 * The files named by FILE|INDEX arguments (an index counts in `mprof list`
 * order; negative from the end).  index_first: an argument that parses as
 * an integer is an index even if a file has that name (Python's rm does
 * this; plot and peak try the file first).  Each argument that names
 * nothing gets an error(); their count is returned, the good names (each
 * once, in order) are in *names.  -1 when memory ran out.
 */
int resolve_profiles(int argc, char **argv, int index_first,
		     char ***names, size_t *n);
/* No argument given: the newest profile, or an error. */
int latest_profile(char **name);
/* Add the legacy <stem>_ts<ext> file of each name that has one. */
int add_ts_companions(char ***names, size_t *n);
/* rm and clean: remove names, or with dry_run list them as Python does. */
int remove_profiles(char **names, size_t n, int dry_run);

/* pid -> index (of a child's series), for the readers of CHLD lines. */
struct pidmap {
	struct {
		long pid;
		long index;	/* -1: free slot */
	} *slots;
	size_t n;		/* used slots */
	size_t cap;		/* 2^bits slots, at most half used */
	unsigned bits;
};
long pidmap_get(const struct pidmap *m, long pid);	/* -1: absent */
int pidmap_put(struct pidmap *m, long pid, long index);
/*
 * A child new to m: append a zeroed element of size bytes for it to arr
 * (which holds *n), map pid to its index and count it in *n.  Returns the
 * array, moved or not, like realloc; when memory runs out *n stays as it
 * was, and the array returned still holds those elements.
 */
void *pidmap_add(struct pidmap *m, long pid, void *arr, size_t *n,
		 size_t size);
void pidmap_free(struct pidmap *m);

/* Reports malformed .dat lines, the first few in full. */
struct bad_lines {
	unsigned long shown;
	unsigned long hidden;
	const char *file;
};
void bad_line_report(struct bad_lines *b, const char *file,
		     unsigned long line, const char *msg);
void bad_line_summary(struct bad_lines *b);

/* record.c: what `run` and `attach` share. */
struct record_opts {
	double interval;	/* -T, s */
	double timeout;		/* -t, s; 0: none */
	int include_children;	/* -C */
	int multiprocess;	/* -M */
	enum mprof_backend backend;
	const char *backend_name; /* --backend's canonical name, or NULL */
	const char *output;	/* -o, or NULL for mprofile_<time>.dat */
};

int parse_backend(const char *cmd, const char *s, enum mprof_backend *b);
/*
 * Create the output file (-o, or the next free mprofile_<time>.dat) and
 * write its CMDLINE: the descriptor (O_APPEND), *path being the name made
 * or given (malloc'd); or -1 after an error(), no file left behind.
 * cmdline is malloc'd, and freed; NULL (no memory) is an error.
 */
int record_start(const char *output, char *cmdline, char **path);
/*
 * Sample pid into fd until it ends, the timeout expires, or (when
 * stop_on_signal) SIGINT/SIGTERM/SIGHUP arrive; otherwise SIGTERM and
 * SIGHUP are passed on to pid.  0, or -1 after an error(); *nsamples says
 * how many samples were written either way.
 */
int record_samples(int fd, const char *path, pid_t pid,
		   const struct record_opts *o, int stop_on_signal,
		   size_t *nsamples);

#endif /* MP_CLI_H */
