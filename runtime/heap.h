/* SPDX-License-Identifier: MIT */
/*
 * heap.h - the heap backend's allocation tracking (runtime/heap.c).
 *
 * Counts the bytes currently allocated through the malloc family, exactly
 * and deterministically (requested sizes, as Python's tracemalloc does).
 * It works whatever way the runtime reached the process -- linked with
 * -lmprof or dlopen()ed by the plugin's constructor -- because it does not
 * rely on symbol interposition: it rewrites the GOT slots of malloc & co. in
 * every loaded module (and in modules loaded later through dlopen), through
 * got.h.  The figure is one variable, so a probe reads it with one load.
 * Each thread's own share, what it allocated minus what it freed (blocks
 * of other threads included), is one thread-local variable: the probes
 * charge lines with it, so a line is charged only what its thread did.
 *
 * Blocks allocated before mp_heap_start() are unknown to it: freeing them
 * changes nothing; realloc of one counts the new block in full.
 */
#ifndef MP_HEAP_H
#define MP_HEAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Start tracking.  Idempotent and thread-safe.  Returns 0, or -1 when the
 * hooks could not be installed or could not count every block (nothing
 * is changed then).  Under a sanitizer's allocator (ASan, TSan, MSan,
 * LSan) its own hooks count, since its interceptors allocate through no
 * GOT slot.
 */
int mp_heap_start(void);

/* Why mp_heap_start() failed, for the note that says so. */
const char *mp_heap_refusal(void);

/* Bytes currently allocated through tracked calls since mp_heap_start(). */
int64_t mp_heap_current(void);

/*
 * Bytes the calling thread allocated minus bytes it freed, through
 * tracked calls since mp_heap_start(): a block freed by another thread
 * counts in that thread's.  In a one-thread process, mp_heap_current().
 * A forked child's thread goes on from its parent thread's count.
 */
int64_t mp_heap_thread(void);

extern int64_t mp_heap_total;
extern __thread int64_t mp_heap_mine __attribute__((tls_model("initial-exec")));

/*
 * The allocation tally for measured regions (region.c): kept only while
 * mp_heap_tally_on is nonzero.  allocs and bytes are the allocation calls
 * counted and the bytes they asked for; high is the largest total reached
 * since mp_heap_tally_restart(), now the total.
 */
struct mp_heap_tally {
	uint64_t allocs;
	uint64_t bytes;
	int64_t high;
	int64_t now;
};

extern uint32_t mp_heap_tally_on;
void mp_heap_tally(struct mp_heap_tally *t);

/* Restart the high-water mark at the current total; the old mark. */
int64_t mp_heap_tally_restart(void);

/*
 * The optional columns' hooks (runtime/allocs.c), NULL when off: every
 * allocation the wrappers count calls mp_heap_tag(n) first, and the
 * block keeps the tag it returns (0: none); then mp_heap_grown() once the
 * total has moved.
 */
extern uintptr_t (*mp_heap_tag)(size_t n);
extern void (*mp_heap_grown)(void);
/* And before a block is freed (another backend's figure may then fall). */
extern void (*mp_heap_freeing)(void);

/* Call fn for each live block that has a tag (the report). */
void mp_heap_each(void (*fn)(uintptr_t tag, size_t size, void *ctx),
		  void *ctx);

/* mp_heap_current(), inlined into the probes. */
static inline int64_t mp_heap_read(void)
{
	return __atomic_load_n(&mp_heap_total, __ATOMIC_RELAXED);
}

/* mp_heap_thread(), inlined into the probes. */
static inline int64_t mp_heap_read_mine(void)
{
	return __atomic_load_n(&mp_heap_mine, __ATOMIC_RELAXED);
}

#endif /* MP_HEAP_H */
