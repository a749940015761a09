/* SPDX-License-Identifier: MIT */
/*
 * plot.h - what `mprof plot` draws, between the pass over the .dat files
 * (plot_data.c) and the drawing (plot_draw.c).
 *
 * A curve never holds its samples: the x range is cut into PLOT_COLS
 * columns, finer than any pixel of the output, and each column keeps its
 * first and last sample and its extremes.  Drawn through first, min, max,
 * last, a column looks exactly like every sample in it would, so a file of
 * ten million samples costs the same memory as one of ten.  This needs the
 * x range before the samples, hence two passes over each file: the first
 * finds the time span, the children, the function calls; the second bins.
 *
 * Times in a plot are seconds from the file's start (its first MEM or FUNC
 * time, as Python's mprof has it); each file of an overlay starts at 0.
 */
#ifndef MP_PLOT_H
#define MP_PLOT_H

#include <stddef.h>

#include "cli.h"

/* Columns per curve: about twice the width of the plot area. */
#define PLOT_COLS 2048
/* Child curves drawn per file; more are counted in the legend. */
#define PLOT_MAX_KIDS 16

struct plot_col {
	double t0, m0;		/* earliest sample of the column */
	double t1, m1;		/* latest */
	double lo, hi;		/* smallest and largest */
	unsigned long n;	/* samples; 0: empty column */
};

struct plot_curve {
	long pid;		/* the child's pid; 0 for the program */
	struct plot_col *cols;	/* PLOT_COLS columns over [x0, x1] */
	unsigned long n;	/* samples inside [x0, x1] */
	int has_before;		/* the latest sample before x0 exists */
	int has_after;		/* the earliest sample after x1 exists */
	double before_t, before_m;
	double after_t, after_m;
	double peak, peak_t;	/* largest sample inside [x0, x1] */
	double lo, hi;		/* extremes inside [x0, x1] */
	double mean_t, mean_m;	/* least squares, Welford's updates */
	double c_tm, c_tt;
};

/* Calls kept for drawing per file; past it the shortest are dropped. */
#define PLOT_MAX_CALLS 65536
/* Spans a function's time union keeps (see plot_data.c). */
#define PLOT_COVER 64

/* A stretch of time covered by calls of one function. */
struct plot_cover {
	double a, b;		/* first start, last end */
	double covered;		/* seconds of calls inside it */
};

struct plot_func {
	char *name;		/* as recorded: "file.function" */
	const char *label;	/* its shortest unambiguous dotted suffix */
	unsigned long calls;	/* calls (a merged record counts its calls) */
	double total;		/* seconds while a call ran: nested calls of
				   the function (recursion) count once */
	int merged;		/* some record merged short calls: total is
				   the time they spread over, not inside */
	struct plot_cover *cover; /* the latest spans, start order */
	size_t ncover;
};

struct plot_call {
	size_t func;		/* index in funcs[] */
	double t0, t1;		/* seconds from the file's start */
	double m0, m1;		/* MiB at entry and exit */
	int level;		/* stack level, 0 when not recorded */
};

struct plot_file {
	const char *path;
	char *cmdline;		/* the first CMDLINE, or NULL */
	double start;		/* unix time of t = 0 */
	double end;		/* latest unix time of any record */
	unsigned long nmem;	/* MEM records */
	double peak_rec;	/* the PEAK record's figure, 0 if none */
	struct plot_curve main;
	struct plot_curve *kids; /* first-appearance order */
	size_t nkids;
	size_t kids_hidden;	/* children past PLOT_MAX_KIDS */
	struct pidmap kidmap;	/* pid -> kids[] */
	struct plot_func *funcs;
	size_t nfuncs;
	size_t func_hint;	/* the function of the last FUNC record */
	struct plot_call *calls;	/* at most PLOT_MAX_CALLS */
	size_t ncalls, calls_cap;
	double min_call;	/* calls shorter than this are not kept */
	unsigned long calls_dropped; /* records not kept for drawing */
	int max_level;
	int oom;
	struct bad_lines bad;
};

struct plot {
	struct plot_file *files;
	size_t nfiles;
	double x0, x1;		/* seconds shown */
	int window;		/* -w: x0, x1 are the user's */
	const char *title;	/* -t, or NULL */
	int show_funcs;		/* brackets: one file, no -n */
	int flame;		/* -f */
	int slope;		/* -s */
};

/* Pass 1 over one file; 0, or -1 after an error() (f is still freeable). */
int plot_scan(struct plot_file *f, const char *path);
/* Choose the x range (unless -w) and run pass 2 over every file. */
int plot_bin(struct plot *p);
void plot_file_free(struct plot_file *f);

/* Least-squares slope (MiB/s) and intercept of a curve; 0 if undefined. */
int plot_trend(const struct plot_curve *c, double *slope, double *icpt);

/* Draw to out (.png, .svg or .pdf); 0, or -1 after an error(). */
int plot_draw(const struct plot *p, const char *out);
/* 1 if out ends in an extension plot_draw knows. */
int plot_format_known(const char *out);

#endif /* MP_PLOT_H */
