/* SPDX-License-Identifier: MIT */
/*
 * counts.h - where a thread counts Occurrences, Increment and Mem usage
 * (runtime/counts.c), so that threads never write the same cache lines.
 *
 * One thread, the owner (the first to run a probe; the next one to start
 * after it exits), counts in the sites the plugin emitted, as a
 * single-threaded program always has.  Every other thread counts in a
 * table of its own: one block per function it ran, whose slots mirror the
 * function's sites (same 32-byte stride and alignment), so that a frame reaches the slot
 * of any of its lines by adding one offset, `delta`, to the site's address
 * -- 0 for the owner.  Each counter has a single writer, which updates it
 * with a relaxed load and store; the report and the snapshot of an
 * unloaded module read them with relaxed loads and add the blocks to the
 * sites (mp_counts_fold).
 *
 * Tables are never freed: a thread that exits hands its table back, and
 * the next thread to start takes it over, adding to what is there.  Memory
 * is therefore bounded by the number of threads alive at once, not by the
 * number that ever ran.  A block whose function's module was unloaded is
 * disowned (func NULL) once a snapshot has taken its counts.
 */
#ifndef MP_COUNTS_H
#define MP_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mprof_abi.h"

/* A function's counters in one thread's table. */
struct mp_block {
	struct __mprof_func *func;	/* atomic; NULL: disowned */
	struct mp_block *next;		/* the table's blocks; set before
					   the block is published */
	uintptr_t delta;		/* slot[0] - func->sites, in bytes */
	uint32_t nsites;
	uint32_t reserved;
	struct __mprof_site slot[];	/* count, incr, peak used */
};

_Static_assert(offsetof(struct mp_block, slot) % MPROF_SITE_ALIGN == 0,
	       "a block's slots are aligned as the plugin's sites");

/* One thread's table at a time. */
struct mp_table {
	struct mp_table *next;		/* every table, newest first */
	uint32_t in_use;		/* a live thread counts in it */
	uint32_t mask;			/* slots in `hash` - 1 */
	struct mp_block *blocks;	/* atomic head, newest first */
	/* Only the thread using the table touches what follows. */
	struct mp_block **hash;		/* open addressing on the function */
	size_t hash_used;
	char *arena;			/* where the next block goes */
	size_t arena_left;
};

static inline size_t mp_counts_home(const struct __mprof_func *fn)
{
	return (size_t)(((uintptr_t)fn * 0x9e3779b97f4a7c15ull) >> 32);
}

/*
 * The block of `fn` in `t`, or NULL when it has none yet (the probes'
 * fast path; mp_counts_get() adds it).  Linear probing from its home
 * slot, at most half the slots in use: one or two steps.
 */
static inline struct mp_block *mp_counts_find(const struct mp_table *t,
					      const struct __mprof_func *fn)
{
	size_t i = mp_counts_home(fn) & t->mask;
	struct mp_block *b;

	while ((b = t->hash[i])) {
		if (__atomic_load_n(&b->func, __ATOMIC_RELAXED) == fn)
			return b;
		i = (i + 1) & t->mask;
	}
	return NULL;
}

/* The block of `fn` in `t`, added if missing; NULL when out of memory. */
struct mp_block *mp_counts_get(struct mp_table *t, struct __mprof_func *fn);

/*
 * For a thread's first probe: true when it became the owner, else a table
 * is claimed into *t (a free one, or a new one); false with *t NULL when
 * none could be had.
 */
bool mp_counts_join(struct mp_table **t);

/* Thread exit: hand back `t`, or the ownership when `t` is NULL. */
void mp_counts_leave(struct mp_table *t);

/*
 * Fork child: zero every table, hand back all but `mine` (the calling
 * thread's, or NULL when it is the owner); the ownership stays taken only
 * when the calling thread had it (owner: whether it did).
 */
void mp_counts_atfork_child(struct mp_table *mine, bool owner);

/* The blocks of every table, sorted by function, for the report. */
struct mp_gather {
	struct mp_block **v;
	size_t n;
	size_t bytes;			/* of the mapping */
};

/* 0, or -1 when no memory could be had. */
int mp_counts_gather(struct mp_gather *g);
void mp_counts_ungather(struct mp_gather *g);

/*
 * Add the counts of `fn` in the blocks of `g` (or, when `g` is NULL, of
 * every table, disowning the blocks: a snapshot) to `into[0..nsites)`:
 * counts and increments added, peaks raised.  `into` NULL: only disown.
 */
void mp_counts_fold(const struct mp_gather *g, const struct __mprof_func *fn,
		    struct __mprof_site *into);

#endif /* MP_COUNTS_H */
