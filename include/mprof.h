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
 *
 * The rest is libmprof's API (link -lmprof): memory_usage() for C, and
 * measured regions with memory limits for unit tests (below).
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
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#  define MPROF_API __attribute__((visibility("default")))
#  define MPROF_NORETURN __attribute__((noreturn))
#else
#  define MPROF_API
#  define MPROF_NORETURN
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

/*
 * Memory of a region of code, for tests (docs/testing-api.md).
 *
 *     struct mprof_region r;
 *     char msg[MPROF_MSG_SIZE];
 *
 *     mprof_region_begin(&r);
 *     table = build_table(1000);
 *     mprof_region_end(&r);
 *     if (mprof_limit_check(&r, 1 << 20, msg, sizeof msg))
 *             fail_msg("%s", msg);
 *
 * or, in one line, MPROF_LIMIT_MEMORY(1 << 20, table = build_table(1000)).
 *
 * The figures are heap figures, exact and deterministic whatever
 * MPROF_BACKEND says: bytes asked of malloc, calloc, realloc & co. (as
 * MPROF_BACKEND=heap counts them), by every thread of the process while
 * the region is open.  mprof_region_begin() starts the runtime's
 * allocation wrappers if they are not running yet; blocks allocated before
 * that are unknown to them, and freeing one inside a region changes no
 * figure.  Works in any program linked with libmprof (-lmprof, or
 * pkg-config mprof); in a program built with the plugin the result also
 * names the lines of profiled functions whose Increment grew most during
 * the region (in the backend's figure: run with MPROF_BACKEND=heap for
 * exact bytes there too).
 *
 * Regions may nest and may overlap, in one thread or several; each one is
 * measured on its own.  Every mprof_region_begin() must be followed by an
 * mprof_region_end() of the same region (a region holds runtime memory
 * between the two).  Not async-signal-safe.
 */

/* Lines listed in a region's result, and a message size that fits them. */
#define MPROF_REGION_TOP	5
#define MPROF_MSG_SIZE		2048

/* A line of a profiled function and what it did during the region. */
struct mprof_line {
	const char *file;		/* as given to the compiler */
	const char *function;
	int line;
	int64_t increment;		/* bytes its Increment grew by */
};

struct mprof_region {
	/* The result, set by mprof_region_end(); bytes. */
	int64_t peak;			/* highest figure in the region minus
					   the figure at begin (>= 0) */
	int64_t net;			/* figure at end minus figure at begin */
	uint64_t allocs;		/* allocation calls (realloc included) */
	uint64_t requested;		/* bytes those calls asked for */
	int measured;			/* 1: the figures are real; 0: the heap
					   could not be tracked (see errno of
					   mprof_region_begin), they are 0 */
	size_t nlines;			/* entries in lines[] */
	struct mprof_line lines[MPROF_REGION_TOP]; /* largest increments
					   first, growth > 0 only */

	/* The runtime's, between begin and end. */
	struct {
		int64_t base, high;
		uint64_t allocs, bytes;
		struct mprof_region *prev, *next;
		void *snap;
		size_t snap_bytes, snap_used;
		int open, snap_ok;
	} priv_;
};

/*
 * Open region `r` (any memory: it is reset).  Returns 0; or -1 with errno
 * ENOTSUP when the allocator cannot be tracked (a static program, or one
 * that defines malloc itself): the region still opens and closes, with
 * measured 0; or -1 with errno EBUSY, changing nothing, when `r` is open.
 */
MPROF_API int mprof_region_begin(struct mprof_region *r);

/*
 * Close region `r` and fill in its result.  Returns 0; -1 with errno
 * EINVAL if `r` is not open.
 */
MPROF_API int mprof_region_end(struct mprof_region *r);

/*
 * Check a closed region against `limit` bytes of peak.  Returns 0 when
 * the peak is at most `limit`; otherwise writes a message into `msg` (at
 * most msgsize bytes, NUL-terminated, if msgsize > 0) and returns 1:
 *
 *     memory limit 1.0 MiB exceeded: peak 7.6 MiB (8000000 bytes), net +7.6 MiB, 3 allocations of 7.6 MiB
 *     top lines:
 *       limit_test.c:24 build_table +7.6 MiB
 *
 * Returns -1, with a message saying why, when the region was not
 * measured (so a test that could not measure fails rather than passes).
 */
MPROF_API int mprof_limit_check(const struct mprof_region *r, size_t limit,
				char *msg, size_t msgsize);

/* Print `msg` on stderr and abort(): MPROF_FAIL's fallback. */
MPROF_API MPROF_NORETURN void mprof_fail(const char *msg);

/* Measure `stmt` (a statement or a call) as region *r. */
#define MPROF_MEASURE(r, stmt)						\
	do {								\
		mprof_region_begin(r);					\
		stmt;							\
		mprof_region_end(r);					\
	} while (0)

/*
 * How a test fails with a message: the test framework's, when its header
 * was included before this one (cmocka's fail_msg, Unity's
 * TEST_FAIL_MESSAGE, Check's ck_abort_msg), else mprof_fail().  Define
 * MPROF_FAIL(msg) before including mprof.h to choose another.
 */
#ifndef MPROF_FAIL
#  if defined(fail_msg)
#    define MPROF_FAIL(msg)	fail_msg("%s", (msg))
#  elif defined(TEST_FAIL_MESSAGE)
#    define MPROF_FAIL(msg)	TEST_FAIL_MESSAGE(msg)
#  elif defined(ck_abort_msg)
#    define MPROF_FAIL(msg)	ck_abort_msg("%s", (msg))
#  else
#    define MPROF_FAIL(msg)	mprof_fail(msg)
#  endif
#endif

/* Fail the test unless region *r (closed) peaked at most `limit` bytes. */
#define MPROF_ASSERT_LIMIT(r, limit)					\
	do {								\
		char mprof_msg_[MPROF_MSG_SIZE];			\
		if (mprof_limit_check((r), (limit), mprof_msg_,		\
				      sizeof mprof_msg_))		\
			MPROF_FAIL(mprof_msg_);				\
	} while (0)

/*
 * Run `stmt` and fail the test if the memory it used at its peak exceeds
 * `limit` bytes: pytest-memray's limit_memory for C.
 */
#define MPROF_LIMIT_MEMORY(limit, stmt)					\
	do {								\
		struct mprof_region mprof_r_;				\
		MPROF_MEASURE(&mprof_r_, stmt);				\
		MPROF_ASSERT_LIMIT(&mprof_r_, (limit));			\
	} while (0)

#ifdef __cplusplus
}
#endif

#endif /* MPROF_H */
