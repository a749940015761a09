/* SPDX-License-Identifier: MIT */
/*
 * allocs.h - the bookkeeping of the optional columns (MPROF_COLUMNS,
 * docs/columns.md; runtime/allocs.c): Time, Allocs, Allocated, Peak and
 * Leaked per line.
 *
 * The probes (probe.c) charge a line with the difference of running
 * figures between its start and its end -- the clock, this thread's
 * allocation calls and bytes (mp_allocs_tls, moved by the heap wrappers
 * through heap.h's hook), the highest memory figure seen -- so callees
 * are included at no cost per level.  Leaked needs to know, at the
 * report, which lines were running when each live block was allocated:
 * a block carries a tag, a node of a tree of (caller's node, line) pairs
 * interned here, and the report walks each live block's chain once.
 *
 * Counters per line live in one record per function (struct mp_extras),
 * found by the function's descriptor, updated with atomic adds (only
 * when columns are on: the plain probes are unchanged).  Everything is
 * in memory from mmap, reserved once; nothing goes through the
 * program's malloc, nothing takes a lock.
 */
#ifndef MP_ALLOCS_H
#define MP_ALLOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mprof_abi.h"

/*
 * What the allocation wrappers reach (heap.c's HOOK): libc calls them
 * where a sanitizer's runtime is not ready (a new thread's realloc inside
 * pthread_getattr_np, under ThreadSanitizer), so they are not
 * instrumented.
 */
#define MP_ALLOCS_HOOK __attribute__((no_sanitize_thread))

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mp_allocs_clock_ns(void);

/* One line's optional figures (the signature row: the calls' totals). */
struct mp_extra {
	uint64_t ticks;			/* Time, in mp_allocs_now() units */
	uint64_t allocs;		/* Allocs */
	uint64_t allocated;		/* Allocated, bytes */
	int64_t rise;			/* Peak, bytes */
	int64_t leaked;			/* Leaked, bytes (set by the scan) */
	uint64_t stamp;			/* the scan's last block counted */
};

/* A function's records, one per site. */
struct mp_extras {
	const struct __mprof_func *func;
	uint64_t blocks;		/* leaked blocks (set by the scan) */
	uint64_t stamp;			/* the scan's last block counted */
	uint32_t nsites;
	uint32_t reserved;
	struct mp_extra site[];
};

/* What the wrappers move for the calling thread. */
struct mp_allocs_tls {
	uint64_t allocs;		/* allocation calls so far */
	uint64_t bytes;			/* bytes they asked for */
	int64_t high;			/* highest figure since the innermost
					   line began (probe.c resets it) */
	uint64_t active;		/* the thread has a shadow stack */
};

extern __thread struct mp_allocs_tls mp_allocs_tls
	__attribute__((tls_model("initial-exec")));

/* MPROF_COLUMNS's bits (enum mp_column); 0: the plain probes only. */
extern unsigned mp_allocs_columns;

/* Columns without Time: the inline line event stays on for lines that
 * make no allocation call (probe.c's watch()). */
extern bool mp_allocs_inline;

/* Whether the clock is the CPU's invariant time-stamp counter. */
extern bool mp_allocs_tsc;

/*
 * The clock of Time: the time-stamp counter where it runs at a constant
 * rate (one instruction), else CLOCK_MONOTONIC in nanoseconds (the
 * vDSO); mp_allocs_ns() converts a difference of its ticks.
 */
static inline uint64_t mp_allocs_now(void)
{
#if defined(__x86_64__)
	if (__builtin_expect(mp_allocs_tsc, 1))
		return __builtin_ia32_rdtsc();
#endif
	return mp_allocs_clock_ns();
}

/*
 * Turn the columns `bits` on (at initialisation, before any probe): the
 * heap wrappers are installed whatever the backend when Allocs or Leaked
 * is asked for.  A column that cannot be had is dropped with a note.
 */
void mp_allocs_setup(unsigned bits);

/* Ticks of mp_allocs_now() as nanoseconds (the rate measured over the
 * run: from the columns' set-up to now). */
uint64_t mp_allocs_ns(uint64_t ticks);

/* The records of `fn`, made on first use; NULL when no memory is left. */
struct mp_extras *mp_allocs_extras(const struct __mprof_func *fn);

/* The records of `fn` if it has some, else NULL (the report). */
struct mp_extras *mp_allocs_find(const struct __mprof_func *fn);

/*
 * The node for line `idx` of `x` under the caller's node `parent` (0 at
 * the bottom of the stack), interned; 0 when the tree is full.
 */
MP_ALLOCS_HOOK uintptr_t mp_allocs_node(uintptr_t parent,
					struct mp_extras *x, uint32_t idx);

/* Set every record's Leaked from the blocks live now (the report). */
void mp_allocs_scan(void);

/* Fork child: every record back to zero (the child starts empty). */
void mp_allocs_atfork_child(void);

/* probe.c: the node of the line the calling thread runs, or 0. */
MP_ALLOCS_HOOK uintptr_t mp_probe_where(void);

/* probe.c: the calling thread's innermost activation must call at its
 * next event (an allocation call to charge). */
MP_ALLOCS_HOOK void mp_probe_dirty(void);

#endif /* MP_ALLOCS_H */
