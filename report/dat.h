/* SPDX-License-Identifier: MIT */
/*
 * dat.h - the one reader of mprof's .dat files, and the buffered writer
 * of the `mprof` command's lines.  Every command that looks at a .dat
 * (plot, peak) or records one (run, attach) goes through here; the
 * runtime's FUNC records are formatted by datline.h, and this code is not
 * linked into the runtime.  The format is Python mprof's
 * (docs/mprof-run.md, "The .dat format"), so files go both ways:
 *
 *     CMDLINE <command line; \n \r \t and \\ escaped>
 *     MEM <MiB %.6f> <unix time %.4f>
 *     CHLD <pid> <MiB %.6f> <unix time %.4f>
 *     FUNC <name> <MiB start> <t start> <MiB end> <t end> [<stack level> [<calls> [<MiB peak>]]]
 *     PEAK <MiB %.6f> <unix time %.4f>
 *
 * PEAK is mprof's own: `mprof run` writes it once, when the program has
 * ended, with the largest resident set the kernel saw (wait4's ru_maxrss),
 * so a run shorter than the sampling interval still has its true peak.
 * Python's mprof skips lines with a tag it does not know.  A FUNC record
 * with a count stands for that many short calls of the function, merged
 * by the runtime (`mprof run --funcs long`), and a peak the largest
 * figure its calls saw, when larger than the entry and exit ones; Python
 * reads the first six fields.
 *
 * Reading is a push parser: mp_dat_feed() takes the input in chunks of any
 * size (a line may straddle chunks) and calls back once per record, so a
 * reader's memory does not grow with the file: 10 million samples stream
 * through in a few seconds.  Blank lines and lines with an unknown tag are
 * skipped (counted in stats.unknown); a malformed line goes to the bad_line
 * callback with its number and the rest is still read.  A NUL byte makes the
 * input binary: the parser stops and every later feed fails.  Numbers are
 * decimal (no nan, inf or hex) and converted with correct rounding, so a
 * value read here prints exactly as Python's float() prints it.
 *
 * Writing: mp_dat_writer buffers whole lines and hands the kernel whole
 * lines only, so a program that appends FUNC records to the same file
 * (MPROF_DAT, opened O_APPEND, one write() per line) never splits one of
 * the sampler's lines, nor the sampler one of its.  FUNC lines have one
 * formatter, mp_datline_func() (datline.h), whichever process writes them.
 */
#ifndef MP_DAT_H
#define MP_DAT_H

#include <stddef.h>

/* Longest line read; a longer one is reported as malformed and skipped. */
#define MP_DAT_MAX_LINE (1u << 20)

/* A FUNC record as read: one call of a profiled function, or a run of them. */
struct mp_dat_func {
	const char *name;	/* "file.function" (Python: "module.function") */
	double mem_start;	/* MiB at entry */
	double t_start;		/* unix time at entry */
	double mem_end;		/* MiB at exit */
	double t_end;		/* unix time at exit */
	int level;		/* stack level, -1 when the record has none */
	unsigned long calls;	/* calls merged into the record, >= 1 */
	double mem_peak;	/* the largest figure seen: at least the
				   larger of start and end */
};

/* What a reader wants to hear; any callback may be NULL. */
struct mp_dat_ops {
	void (*cmdline)(void *ctx, const char *cmdline);	/* unescaped */
	void (*mem)(void *ctx, double mib, double t);
	void (*chld)(void *ctx, long pid, double mib, double t);
	void (*func)(void *ctx, const struct mp_dat_func *f);
	void (*bad_line)(void *ctx, const char *file, unsigned long line,
			 const char *msg);
	void (*peak)(void *ctx, double mib, double t);
};

struct mp_dat_stats {
	unsigned long lines;	/* lines read (the last one may lack '\n') */
	unsigned long mem;	/* records delivered, per kind */
	unsigned long chld;
	unsigned long func;
	unsigned long cmdline;
	unsigned long peak;
	unsigned long unknown;	/* blank lines and unknown tags, skipped */
	unsigned long bad;	/* malformed lines reported */
};

struct mp_dat_parser {
	const struct mp_dat_ops *ops;
	void *ctx;
	const char *name;	/* file name in messages (not copied) */
	struct mp_dat_stats st;
	char *line;		/* the current line, NUL-terminated copy */
	size_t len;		/* bytes of a line not yet ended */
	size_t cap;		/* allocated bytes in line */
	int too_long;		/* the pending line passed MP_DAT_MAX_LINE */
	int binary;		/* a NUL byte was seen: input rejected */
	int nomem;		/* a line could not be buffered */
	char msg[160];		/* the last bad_line message */
};

void mp_dat_init(struct mp_dat_parser *p, const char *name,
		 const struct mp_dat_ops *ops, void *ctx);
/* 0, or -1 once the input is binary (or memory ran out): stop feeding. */
int mp_dat_feed(struct mp_dat_parser *p, const char *buf, size_t n);
/* Parse a last line that has no newline.  0 or -1 as mp_dat_feed. */
int mp_dat_finish(struct mp_dat_parser *p);
void mp_dat_release(struct mp_dat_parser *p);

/*
 * Read a whole file.  0 when it was read (malformed lines included: see
 * st->bad), -1 when it could not be: it cannot be opened or read, is a
 * directory, is empty, or holds binary data.  Then err holds one line,
 * lowercase with the file name quoted ("'x.dat' is a directory").
 * st may be NULL.
 */
int mp_dat_read(const char *path, const struct mp_dat_ops *ops, void *ctx,
		struct mp_dat_stats *st, char *err, size_t errlen);

/* Parse a number as the reader does: 0 and *v, or -1. */
int mp_dat_number(const char *s, double *v);

/* Line-buffered writer over a file descriptor the caller owns. */
#define MP_DAT_WBUF 8192

struct mp_dat_writer {
	int fd;
	int err;		/* errno of the first failed write, or 0 */
	size_t len;		/* bytes pending in buf, whole lines only */
	char buf[MP_DAT_WBUF];
};

void mp_dat_writer_init(struct mp_dat_writer *w, int fd);
/*
 * Each put appends one whole line; it returns 0, or -1 when a write failed
 * (w->err says why; later lines are still attempted).
 */
int mp_dat_put_cmdline(struct mp_dat_writer *w, const char *cmdline);
int mp_dat_put_mem(struct mp_dat_writer *w, double mib, double t);
int mp_dat_put_chld(struct mp_dat_writer *w, long pid, double mib, double t);
int mp_dat_put_peak(struct mp_dat_writer *w, double mib, double t);
int mp_dat_flush(struct mp_dat_writer *w);

/*
 * argv joined as Python mprof's get_cmd_line does: an argument holding a
 * blank or a tab is wrapped in single quotes.  Escaping is the writer's
 * job.  malloc'd; NULL when out of memory.
 */
char *mp_dat_join_argv(int argc, char *const argv[]);

#endif /* MP_DAT_H */
