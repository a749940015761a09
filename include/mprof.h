/* SPDX-License-Identifier: MIT */
/*
 * mprof.h - the public header of mprof, the per-line memory profiler for C.
 *
 * MPROF marks a function for line-by-line memory profiling:
 *
 *     MPROF static int *build(void) { ... }
 *
 * With the plugin loaded (gcc -fplugin=mprof.so) it expands to
 * __attribute__((mprof)); without it, to nothing, so annotated code still
 * builds warning-free with any compiler.  The test is __has_attribute, not a
 * macro defined by the plugin, so -E, -save-temps and ccache flows agree.
 */
#ifndef MPROF_H
#define MPROF_H

#if defined(__has_attribute)
#  if __has_attribute(mprof)
#    define MPROF __attribute__((mprof))
#  endif
#endif
#ifndef MPROF
#  define MPROF
#endif

/*
 * memory_usage() for C -- memory_profiler's (docs/memory_usage.md).
 *
 * Samples the memory of a function call, of the current process or of
 * another process every `interval` seconds and hands back plain arrays:
 *
 *     struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
 *     struct mprof_usage u;
 *     o.interval = 0.01;
 *     if (mprof_memory_usage_call(build, NULL, &o, &u) == 0) {
 *             printf("peak %.1f MiB over %zu samples\n", u.peak, u.n);
 *             result = u.retval;
 *             mprof_usage_free(&u);
 *     }
 *
 * mprof_memory_usage_call(fn, arg) runs fn(arg) exactly once, in the
 * caller's thread, while a sampler thread of the library's own samples the
 * process: one sample before fn starts, one per interval, one after it
 * returns (so even a 1 µs function yields two samples; memory_profiler
 * re-runs short functions instead).  fn's return value is u.retval.  The
 * sampler thread blocks every signal.
 *
 * mprof_memory_usage_pid(pid) samples in the caller's thread.  pid 0 (or
 * getpid()) is the current process: one sample, or samples for `timeout`
 * seconds when a timeout is set (as Python's memory_usage(-1)).  Any other
 * pid is sampled until the process exits or `timeout` expires (Python
 * takes a single sample of an int pid without a timeout; it samples a
 * process it launched until it exits, and that is what this does).
 *
 * Figures are MiB (2^20 bytes), times are unix time in seconds.  Both
 * functions return 0, or -1 with errno set (EINVAL bad option, ESRCH no
 * such process, EACCES not allowed to read it, ENOENT backend file absent
 * from /proc, ENOMEM, or pthread_create's error); on -1 nothing needs
 * freeing and mprof_memory_usage_call has not called fn.  Memory the
 * sampler could not get later on does not fail the call: the samples are
 * counted in u.dropped, and u.peak still covers them.
 */
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#  define MPROF_API __attribute__((visibility("default")))
#else
#  define MPROF_API
#endif

/* The memory figure sampled (MPROF_BACKEND of docs/settings.md). */
enum mprof_backend {
	MPROF_RSS = 0,	/* resident set, /proc/PID/statm (psutil's rss) */
	MPROF_PSS,	/* proportional set, /proc/PID/smaps_rollup */
	MPROF_USS,	/* unique set: Private_Clean + Private_Dirty (+ hugetlb) */
	MPROF_VMS	/* virtual size, /proc/PID/statm */
};

/* One child's figure in a sample. */
struct mprof_child_sample {
	pid_t pid;
	double mem;			/* MiB */
};

/* One sample as the stream callback sees it. */
struct mprof_sample {
	double mem;			/* MiB; children added with include_children */
	double time;			/* unix time, s */
	const struct mprof_child_sample *children; /* multiprocess: every descendant */
	size_t nchildren;
};

/*
 * Options.  All-zero is the default too: interval 0 means 0.1 s, timeout 0
 * means none.
 */
struct mprof_usage_opts {
	double interval;		/* seconds between samples (0: 0.1) */
	double timeout;			/* stop sampling after this many s (0: none) */
	int include_children;		/* add descendants' memory into mem */
	int multiprocess;		/* a series per descendant (children[]) */
	int max_usage;			/* keep only the peak: n == 1 */
	int timestamps;			/* fill time[] beside mem[] */
	enum mprof_backend backend;
	/*
	 * Streaming (Python's `stream`): when set, each sample is passed to
	 * stream(stream_ctx, s) as it is taken and not stored (n stays 0;
	 * peak and nsamples are still kept), so memory stays constant however
	 * long the run.  A non-zero return stops the sampling.  Called from
	 * the sampler thread in mprof_memory_usage_call.
	 */
	int (*stream)(void *ctx, const struct mprof_sample *s);
	void *stream_ctx;
};

#define MPROF_USAGE_OPTS_INIT { 0.1, 0.0, 0, 0, 0, 0, MPROF_RSS, 0, 0 }

/* One child's samples (multiprocess). */
struct mprof_series {
	pid_t pid;
	size_t n;			/* entries in mem[] and time[] */
	double *mem;			/* MiB */
	double *time;			/* unix time of each sample (always kept) */
};

/* What was measured; every pointer is released by mprof_usage_free(). */
struct mprof_usage {
	size_t n;			/* samples in mem[] (1 with max_usage) */
	double *mem;			/* MiB */
	double *time;			/* NULL unless opts.timestamps */
	struct mprof_series *children;	/* multiprocess: one per descendant seen */
	size_t nchildren;
	double peak;			/* largest sample, MiB */
	double peak_time;		/* unix time of that sample */
	size_t nsamples;		/* samples taken (stored or streamed) */
	size_t dropped;			/* samples not stored for lack of memory */
	void *retval;			/* fn's return value (call form) */
};

MPROF_API int mprof_memory_usage_call(void *(*fn)(void *), void *arg,
				      const struct mprof_usage_opts *opts,
				      struct mprof_usage *out);
MPROF_API int mprof_memory_usage_pid(pid_t pid,
				     const struct mprof_usage_opts *opts,
				     struct mprof_usage *out);
MPROF_API void mprof_usage_free(struct mprof_usage *u);

#ifdef __cplusplus
}
#endif

#endif /* MPROF_H */
