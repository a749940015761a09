/* SPDX-License-Identifier: MIT */
/*
 * rss.h - the rss backend's fast path (runtime/rss.c): a line event reads
 * /proc/self/statm only when the resident set can have changed since this
 * thread last read it, and otherwise reuses that figure, without a syscall.
 *
 * RSS grows through page faults and shrinks through munmap, madvise, brk,
 * mremap... (mostly reached from free and realloc).  Faults are seen
 * through perf software events (minor and major page faults, every thread
 * of the process, kernel-mode faults included where permitted), one ring
 * buffer per CPU whose data_head moves on each fault: the probe sums the
 * heads.  The calls that can give memory back, or fill it without a fault
 * perf sees, are wrapped (got.h) and bump the epoch when they return.  A
 * thread's cached figure is valid while the sum of heads and the epoch
 * are what they were just before it was read.
 *
 * A sum over N rings cannot be compared by the plugin's inline line event
 * (mprof_abi.h), which compares one word.  mp_rss_watch() gives it one
 * while the process has one thread: the data_head of a ring of that
 * thread's own (perf_event_open pid 0, cpu -1: every page fault it takes,
 * user or kernel mode, on any CPU), which the kernel also writes a record
 * into whenever the thread creates a thread or a process, and which the
 * thread's bumps of the epoch move with a fault of their own.  A
 * second ring of the thread's gets only those records: when it moved, the
 * threads are counted, and from a second thread on (until a fork) the
 * rings are closed and mp_rss_watch() is false (another thread's faults
 * move no word of this thread's; the probes sum the CPU rings as before).
 * It is false too in the modes that cannot be exact that way (timed,
 * exact, perf-user: kernel-mode faults unseen).
 *
 * Invariants: heads only grow, so their sum changes whenever one does; the
 * epoch takes a value never used before at every bump (a thread number
 * and a per-thread sequence: no read-modify-write on a shared line), and
 * a watch never gives 0; the cache is per thread, so it needs no
 * synchronisation.  The ring table, the epoch and the thread's ring
 * pointers live in a MADV_WIPEONFORK page: a child forked by any means
 * reads `live` = 0, no rings and an epoch of 0, never a parent's ring it
 * does not have (perf mappings are not inherited).  The watch's word, the
 * owner's ring head, is read by inline events wherever a record holds it,
 * so rss.c keeps a page there: zeros once the ring is closed, and in a
 * forked child (from the fork handler, or from the SIGSEGV of the first
 * read: mp_rss_fault()), a head no watch was given.  Modes
 * where the cache must not be trusted (exact, timed, no rings) store
 * MP_RSS_NEVER as the cached epoch, so mp_rss_peek() fails and
 * mp_rss_refresh() decides.
 */
#ifndef MP_RSS_H
#define MP_RSS_H

#include <stdbool.h>
#include <stdint.h>

/* Rings the probe sums: CPUs beyond this use the timed mode. */
#define MP_RSS_MAXRINGS	64

/* An epoch value never stored in the epoch. */
#define MP_RSS_NEVER	UINT64_MAX

struct mp_rss_rings {
	uint64_t epoch;			/* bumped by the wrappers; 0 in a
					   forked child (wiped) */
	uint64_t live;			/* 1; 0 in a forked child (wiped) */
	uint32_t n;			/* rings in use */
	uint32_t reserved;
	const uint64_t *head[MP_RSS_MAXRINGS];	/* &data_head of each ring */
};

/* What a thread last read (initial-exec TLS). */
struct mp_rss_cache {
	uint64_t heads;			/* live + sum of heads before the read */
	uint64_t epoch;			/* mp_rss_epoch before the read */
	int64_t rss;			/* the figure, bytes */
	uint64_t tick;			/* timed mode: last event */
	uint64_t read_tick;		/* timed mode: last read */
	uint64_t read_epoch;		/* timed mode: epoch at the last read */
};

extern const struct mp_rss_rings *mp_rss_rings;
extern __thread struct mp_rss_cache mp_rss_cache
	__attribute__((tls_model("initial-exec")));

/* What a cached figure is checked against: live + the heads, the epoch. */
static inline void mp_rss_stamp(uint64_t *heads, uint64_t *epoch)
{
	const struct mp_rss_rings *r = __atomic_load_n(&mp_rss_rings,
						       __ATOMIC_ACQUIRE);
	uint64_t h = __atomic_load_n(&r->live, __ATOMIC_RELAXED);
	uint32_t n = __atomic_load_n(&r->n, __ATOMIC_RELAXED);

	for (uint32_t i = 0; i < n; i++)
		h += __atomic_load_n(r->head[i], __ATOMIC_ACQUIRE);
	*heads = h;
	*epoch = __atomic_load_n(&r->epoch, __ATOMIC_ACQUIRE);
}

/* The slow path: decide, read statm if needed, update the cache. */
int64_t mp_rss_refresh(void);

/*
 * The cached figure, if it still holds: a few loads and a compare, for the
 * probes' fast path.  False when mp_rss_refresh() must decide.
 */
static inline bool mp_rss_peek(int64_t *rss)
{
	uint64_t h, e;

	mp_rss_stamp(&h, &e);
	if (__builtin_expect(h != mp_rss_cache.heads ||
			     e != mp_rss_cache.epoch, 0))
		return false;
	*rss = mp_rss_cache.rss;
	return true;
}

/*
 * The counters behind mp_rss_peek(), for a frame record's watch
 * (internal.h, struct mp_watch): false when the figure must be read on
 * every event (exact or timed mode, no rings).
 */
struct mp_watch;
bool mp_rss_watch(struct mp_watch *w);

/*
 * The SIGSEGV of a read at `addr` was an inline event's read of the
 * parent's fault ring in a child forked without fork handlers: zeros are
 * mapped there, and true (the read can be restarted).  Async-signal-safe.
 */
bool mp_rss_fault(const void *addr);

/* The current RSS.  Keeps errno. */
static inline int64_t mp_rss_read(void)
{
	int64_t rss;

	return mp_rss_peek(&rss) ? rss : mp_rss_refresh();
}

struct mp_watch;			/* runtime/internal.h */

/*
 * Fill *w so that while *c1 == s1 and *c2 == s2 the rss figure read right
 * after this call (mp_rss_read()) stays valid for this thread; false when
 * the backend cannot (timed, exact or perf-user mode, more than one
 * thread, no ring): the caller then makes every event call.  Called in the
 * probes' slow paths, right before the read.  Keeps errno.
 */
bool mp_rss_watch(struct mp_watch *w);

/*
 * Start the fast path in front of `exact` (a statm reader that keeps
 * errno): wrappers, rings, or the timed fallback.  `exact_mode` (the
 * MPROF_EXACT setting) keeps everything set up the same way -- so the
 * process's memory is the same -- but reads on every event.  0 or -1.
 */
int mp_rss_start(int64_t (*exact)(void), int exact_mode);

/* Fork child: new rings for the child (its parent's are gone). */
void mp_rss_atfork_child(void);

/* At exit: one line on stderr if the figures may have been inexact. */
void mp_rss_report(void);

/* "perf", "perf-user" (kernel-mode faults through wrappers), "timed" or
 * "exact": for tests and benchmarks. */
const char *mp_rss_mode(void);

#endif /* MP_RSS_H */
