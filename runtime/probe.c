/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the probes the plugin's code calls (runtime/mprof_abi.h,
 * ABI 9: entry, line, exit, and the end of an inlined call that moved the
 * figure): the accounting of docs/DESIGN.md, "Accounting", for the events
 * the instrumented code cannot handle inline.
 *
 * Each thread keeps a shadow stack of frame records, one per live
 * activation of a profiled function.  A record starts with the ABI part
 * (struct __mprof_frame) that the plugin's inline line event reads and
 * updates: the backend's change counter and what it held when the
 * figure `before` was read, `cur` (where the line being run is counted:
 * its site plus the thread's `delta`, or right after entry the scratch
 * slot of the thread's stack, "still on the signature line") and
 * `delta`.  A line whose figure cannot have changed is counted inline
 * (one more occurrence, its Mem usage raised to `before`); any other
 * event calls a probe here.  A
 * line event charges the line being left with the change since `before`,
 * so a line that calls another profiled function is charged what the
 * whole call changed, and recursion adds into the same sites.
 *
 * The records are handed to the program, so the stack never moves: each
 * thread reserves STACK_BYTES of address space (MAP_NORESERVE; pages
 * become resident only as the depth reaches them) and entries beyond it
 * are lost (counted; their events are drops).  A record that cannot be
 * kept -- a probe re-entered from a signal handler, no stack, lost depth
 * -- is `dummy`, whose watch never holds: every event of such an activation
 * calls, and is dropped here.
 *
 * An entry below a caller whose watch holds, in a one-thread process,
 * takes the caller's watch and figures rather than reading: nothing can
 * have changed since the caller read them (with more threads the heap's
 * total can, and an entry reads it).
 *
 * The common entry and exit run as short paths of their own, with no
 * stack frame (fast_enter(), fast_exit()): tls.next, which the general
 * paths keep true (refresh()), is the slot of the next record when
 * nothing rare applies -- room, nothing lost, no columns, no limit --
 * so one load finds the record and tests them all; the rest (for the
 * entry: one thread, the owner's counters, a counted function, a caller
 * whose watch holds, or none, whose entry reads the figures) are tested
 * there, and anything else takes the general path before the short one
 * wrote anything.  With the heap backend, a
 * line event of the innermost record that calls has one too
 * (fast_line()).
 *
 * The plugin's code may itself write a record, a local frame, in the slot
 * above the innermost record (runtime/mprof_abi.h, "Local frames"), and
 * mark it in that record's `above`.  Every path that looks at the stack
 * beyond the fast ones first adopts such frames (adopt_above(): depth
 * counts them from then on, as if enter() had pushed them), and the fast
 * paths leave a record with an `above` to the general ones -- but for the
 * short entry, which adopts one frame itself.  An entry keeps room for
 * LOCAL_MAX frames above its record.
 *
 * An entry invalidates its caller's record (seen = MPROF_SEEN_NEVER, the
 * old value kept in the new record) and its exit restores it, so that
 * when longjmp or an exception skips exits, the live caller's next event
 * calls the runtime, which recognises the record by its address in the
 * stack: the records above it are dead and are popped as if they had
 * returned (their current line charged).  See pop_above().
 *
 * Invariants: the stack lives in memory from mmap, never in the program's
 * malloc; only its thread touches it (the report reads the counters it
 * wrote); TLS holds the stack and a busy flag (initial-exec, so a probe
 * never calls into the dynamic linker).  While
 * a probe runs, the busy flag makes any probe reached from a signal
 * handler drop its event (counted) instead of touching a half-updated
 * stack.  Counters have one writer each: the owner thread counts in the
 * sites themselves, every other thread in its own table (counts.h), and a
 * record reaches its counters by adding its `delta` to a site's address.
 * An update is a relaxed load and a relaxed store.  errno is preserved:
 * every path (a backend's read, registration, the first mapping) keeps
 * it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "allocs.h"
#include "counts.h"
#include "heap.h"
#include "internal.h"
#include "invariant.h"
#include "profile.h"
#include "solo.h"

struct frame {
	struct __mprof_frame pub;	/* what the plugin's code reads: first */
	struct __mprof_site *sites;	/* the function's sites (sites->func is
					   the function of this activation),
					   and */
	uintptr_t span;			/* their size in bytes (MPROF_DEBUG
					   builds only: their checks) */
	uint64_t caller_seen;		/* the caller's pub.seen before this
					   entry invalidated it */
	int64_t own;			/* the thread's own figure when
					   pub.before was read (internal.h,
					   struct mp_fig): Increments */
	/* The optional columns (allocs.h), used only when they are on. */
	struct mp_extras *ext;		/* the function's records, or NULL */
	uint64_t t0, a0, b0;		/* clock, allocation calls and bytes
					   when the current line began */
	int64_t high;			/* highest figure in the line so far,
					   callees' lines included */
	uint64_t call_t, call_a, call_b; /* the same when the call began */
	int64_t call_m;			/* the figure at entry */
	int64_t call_high;		/* highest figure in the call so far */
	uint64_t real_seen;		/* the watch's pub.seen, which is kept
					   at MPROF_SEEN_NEVER meanwhile */
	struct __mprof_site *node_cur;	/* `cur` when `node` was found */
	uintptr_t node;			/* allocation-site node of that line */
} __attribute__((aligned(MPROF_FRAME_STRIDE)));

/* The plugin's code finds the slot above a record at this distance. */
_Static_assert(sizeof(struct frame) == MPROF_FRAME_STRIDE,
	       "a record is MPROF_FRAME_STRIDE bytes (runtime/mprof_abi.h)");

/* Local frames that may go above one record (its `quiet`): an entry
   keeps that many slots free above it. */
#define LOCAL_MAX	32

/*
 * One per thread, at the start of its own reservation.  The header fills
 * the slot below f[0], and starts as a record would: `below`, whose watch
 * never holds, is the first record's caller to the short entry, which
 * thus needs no test of its own for the first slot.
 */
struct stack {
	struct __mprof_frame below;	/* f[-1]: change = &still, seen =
					   MPROF_SEEN_NEVER, never written */
	size_t depth;			/* records in use */
	size_t cap;			/* records that fit */
	size_t lost;			/* innermost activations not recorded
					   because the stack is full */
	struct frame *limit;		/* &f[cap - LOCAL_MAX]: a record
					   below it leaves room for the next
					   one and its local frames */
	struct __mprof_site scratch;	/* `cur` on the signature line: the
					   inline event counts here, unread */
	struct frame f[];
};

_Static_assert(offsetof(struct stack, below) == 0 &&
	       offsetof(struct stack, f) == sizeof(struct frame),
	       "the stack's header is the record below f[0]");

enum {
	BUSY_NONE,
	BUSY_PROBE,			/* a probe runs: nested events are drops */
	BUSY_RUNTIME			/* the runtime's own code: ignore events */
};

struct tls {
	struct stack *stack;		/* NULL until the thread's first entry */
	struct frame *next;		/* where the next entry's record goes
					   when the fast paths may run, else
					   NULL (see refresh()) */
	unsigned busy;			/* BUSY_* */
	struct mp_table *table;		/* NULL in the owner (counts.h) */
	uint64_t now;			/* with Time: the clock at this event's
					   charge (one read per event) */
	int limit_abort;		/* MPROF_LIMIT fired: abort once the
					   probe is done */
	uint64_t quiet;			/* a new record's `quiet` where there
					   is room: LOCAL_MAX in the owner
					   with no columns or FUNC records */
	uint64_t general;		/* entries and exits that took the
					   general path */
};

static __thread struct tls tls __attribute__((tls_model("initial-exec")));

/* Address space per thread: 260,000 records.  Only touched pages count. */
#define STACK_BYTES	((size_t)64 << 20)

static pthread_key_t stack_key;		/* unmaps a thread's stack at exit */
static int stack_key_ok;

static uint64_t dropped;		/* events not accounted */

/* A counter that never moves, for watches that never hold. */
static const uint64_t still;

/* The record of every activation the runtime keeps none for. */
static struct frame dummy = {
	.pub = { .change = &still, .seen = MPROF_SEEN_NEVER },
};

/*
 * The busy flag is only ever read by this thread, possibly from a signal
 * handler that interrupted it: signal fences keep the compiler from moving
 * the probe's work across the flag.
 */
static inline void set_busy(unsigned v)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&tls.busy, v, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void drop(void)
{
	__atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
}

/* An event that found the thread busy: only a probe's re-entry counts. */
static void busy_drop(void)
{
	if (__atomic_load_n(&tls.busy, __ATOMIC_RELAXED) == BUSY_PROBE)
		drop();
}

/* A counter's only writer adds: a relaxed load and store, no lock. */
static inline uint64_t add_u64(uint64_t *v, uint64_t d)
{
	uint64_t old = __atomic_load_n(v, __ATOMIC_RELAXED);

	__atomic_store_n(v, old + d, __ATOMIC_RELAXED);
	return old;
}

static inline void raise_peak(int64_t *peak, int64_t m)
{
	if (m > __atomic_load_n(peak, __ATOMIC_RELAXED))
		__atomic_store_n(peak, m, __ATOMIC_RELAXED);
}

/* Where the frame `f` counts site `s`. */
static inline struct __mprof_site *ctr(const struct frame *f,
				       const struct __mprof_site *s)
{
	return (struct __mprof_site *)((uintptr_t)s + f->pub.delta);
}

/* Is there room for a record in slot `f` of `st`, and for the local
   frames that may go above it? */
static inline bool room_at(const struct stack *st, const struct frame *f)
{
	return f < st->limit;
}

/* The calling thread's scratch slot (struct stack). */
static inline struct __mprof_site *scratch(void)
{
	return &tls.stack->scratch;
}

/* Is `cur` where `f` counts one of its sites, or the scratch slot? */
static inline bool cur_ok(const struct frame *f)
{
	uintptr_t c = (uintptr_t)f->pub.cur - f->pub.delta;

	return f->pub.cur == scratch() ||
	       (c - (uintptr_t)f->sites < f->span &&
		(c - (uintptr_t)f->sites) % sizeof(struct __mprof_site) == 0);
}

/*
 * Record that frame `f` left its current line with the figures at `m`:
 * Increment adds the change of the thread's own figure, Mem usage rises
 * to the figure (for the rss backend the two are one; for heap, the
 * thread's net bytes and the process's total).
 * Most lines change nothing: skipping the zero add saves an instruction.
 * A frame still on its signature line (cur: the scratch slot) leaves it
 * with what the statements written there did -- a one-line function, code
 * after the `{`, C++ member initialisers: that goes to the signature row,
 * whose count is the calls, so that a single call's Increment column
 * still sums to the figure at return.
 */
static void extra_charge(struct frame *f, int64_t own);

/* charge() without the columns. */
static inline __attribute__((always_inline)) void charge_lines(struct frame *f,
							       struct mp_fig m)
{
	struct __mprof_site *s = f->pub.cur;

	MP_ASSERT(cur_ok(f));
	if (s == scratch()) {
		if (m.own != f->own || m.mem != f->pub.before) {
			s = ctr(f, f->sites);
			if (m.own != f->own)
				add_u64((uint64_t *)&s->incr,
					(uint64_t)(m.own - f->own));
			raise_peak(&s->peak, m.mem);
		}
		return;
	}
	add_u64(&s->count, 1);
	if (m.own != f->own)
		add_u64((uint64_t *)&s->incr, (uint64_t)(m.own - f->own));
	raise_peak(&s->peak, m.mem);
}

/* Inlined: with Time every line event comes through here. */
static inline __attribute__((always_inline)) void charge(struct frame *f,
							 struct mp_fig m)
{
	if (MP_UNLIKELY(mp_allocs_columns))
		extra_charge(f, m.own);
	charge_lines(f, m);
}

/* `f` starts counting site counter `c` from the figures `m`. */
static inline void restart(struct frame *f, struct __mprof_site *c,
			   struct mp_fig m)
{
	f->pub.cur = c;
	f->pub.before = m.mem;
	f->own = m.own;
}

/* ---- the optional columns (allocs.h) ------------------------------------ */

/* One writer while the process has one thread (`solo`, mp_solo()): a
 * plain add; else an atomic one (threads share a function's records). */
static inline void add_extra(bool solo, uint64_t *v, uint64_t d)
{
	if (solo)
		__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + d,
				 __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(v, d, __ATOMIC_RELAXED);
}

static inline void raise_extra(int64_t *v, int64_t m)
{
	int64_t old = __atomic_load_n(v, __ATOMIC_RELAXED);

	while (m > old && !__atomic_compare_exchange_n(v, &old, m, true,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static inline void raise_i64(int64_t *v, int64_t m)
{
	if (m > *v)
		*v = m;
}

/* The site index `f` is on: 0 on the signature line. */
MP_ALLOCS_HOOK static inline uint32_t cur_index(const struct frame *f)
{
	if (f->pub.cur == scratch())
		return 0;
	return (uint32_t)(((uintptr_t)f->pub.cur - f->pub.delta -
			   (uintptr_t)f->sites) / sizeof(struct __mprof_site));
}

/* The clock, when Time is asked for (else 0: no read). */
static inline uint64_t clock_if(void)
{
	return mp_allocs_columns & MP_COL_TIME ? mp_allocs_now() : 0;
}

/* `f` starts a line at own figure m (struct mp_fig), the clock at t: the
 * running figures it will subtract. */
static void extra_begin(struct frame *f, int64_t m, uint64_t t)
{
	struct mp_allocs_tls *a = &mp_allocs_tls;

	f->t0 = t;
	f->a0 = a->allocs;
	f->b0 = a->bytes;
	f->high = m;
	a->high = m;
}

/*
 * `f` leaves its line at figure m: Time, Allocs, Allocated and Peak of
 * the line, callees included (their lines' highs were folded into
 * f->high).  The signature line's own statements go to the call's
 * totals, which the signature row holds (extra_end).
 */
static void extra_charge(struct frame *f, int64_t m)
{
	struct mp_allocs_tls *a = &mp_allocs_tls;
	uint32_t i = cur_index(f);
	struct mp_extra *x;
	bool solo;

	tls.now = clock_if();
	raise_i64(&f->high, a->high);
	raise_i64(&f->high, m);
	raise_i64(&f->call_high, f->high);
	if (!f->ext || !i)
		return;
	x = &f->ext->site[i];
	solo = mp_solo();
	add_extra(solo, &x->ticks, tls.now - f->t0);
	if (a->allocs != f->a0) {
		add_extra(solo, &x->allocs, a->allocs - f->a0);
		add_extra(solo, &x->allocated, a->bytes - f->b0);
	}
	raise_extra(&x->rise, f->high - f->own);
}

/* Entry of `f` at figure m, below `caller`: the call's starting point. */
static void extra_enter(struct frame *f, struct frame *caller, int64_t m)
{
	struct mp_allocs_tls *a = &mp_allocs_tls;

	if (caller)
		raise_i64(&caller->high, a->high);
	f->node = 0;
	f->node_cur = NULL;
	extra_begin(f, m, clock_if());
	f->call_t = f->t0;
	f->call_a = f->a0;
	f->call_b = f->b0;
	f->call_m = m;
	f->call_high = m;
}

/* The call `f` ends (its last line charged, tls.now read): the signature
 * row's totals, and its highest figure is part of the caller's line. */
static void extra_end(struct frame *f, struct frame *caller)
{
	struct mp_allocs_tls *a = &mp_allocs_tls;
	struct mp_extra *x;
	bool solo;

	if (caller)
		raise_i64(&caller->high, f->call_high);
	if (!f->ext)
		return;
	x = &f->ext->site[0];
	solo = mp_solo();
	add_extra(solo, &x->ticks, tls.now - f->call_t);
	add_extra(solo, &x->allocs, a->allocs - f->call_a);
	add_extra(solo, &x->allocated, a->bytes - f->call_b);
	raise_extra(&x->rise, f->call_high - f->call_m);
}

/*
 * An allocation call was counted (allocs.c's hook, columns without
 * Time): the innermost activation's next event must call, to charge it.
 * Its callers' records already call (an entry invalidates them).
 */
MP_ALLOCS_HOOK void mp_probe_dirty(void)
{
	struct stack *st = tls.stack;

	if (st && st->depth && !st->lost &&
	    !__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))
		st->f[st->depth - 1].pub.seen = MPROF_SEEN_NEVER;
}

/*
 * The allocation-site node of the line the calling thread runs: each
 * frame keeps the node of its current line, so only the frames whose
 * line changed since the last allocation look theirs up.  0 while a probe
 * or the runtime runs (a signal handler's allocation, the report).
 */
MP_ALLOCS_HOOK uintptr_t mp_probe_where(void)
{
	struct stack *st = tls.stack;
	size_t d, lo;
	uintptr_t parent;

	if (!st || !st->depth || st->lost ||
	    __atomic_load_n(&tls.busy, __ATOMIC_RELAXED))
		return 0;
	for (lo = st->depth; lo > 0; lo--) {
		struct frame *f = &st->f[lo - 1];

		if (f->node && f->node_cur == f->pub.cur)
			break;
	}
	parent = lo ? st->f[lo - 1].node : 0;
	for (d = lo; d < st->depth; d++) {
		struct frame *f = &st->f[d];

		if (!f->ext)
			return 0;
		f->node = mp_allocs_node(parent, f->ext, cur_index(f));
		f->node_cur = f->pub.cur;
		if (!(parent = f->node))
			return 0;
	}
	return parent;
}

/* Does f's watch still hold: can the figure not have changed? */
static inline bool unchanged(const struct frame *f)
{
	return *f->pub.change == f->pub.seen;
}

/* With columns: does the watch kept aside still hold?  Then the event
 * needs no read of the figure. */
static inline bool held(const struct frame *f)
{
	return MP_UNLIKELY(mp_allocs_columns) &&
	       *f->pub.change == f->real_seen;
}

/*
 * Take a watch for `f` and read the figures after it (backend.c).  The
 * heap backend's is taken here, in the order its method takes it (the
 * thread's own count, the total, the own count again): no call.
 */
static inline struct mp_fig heap_watch(struct frame *f)
{
	struct mp_fig m;

	f->pub.change = (const volatile uint64_t *)&mp_heap_mine;
	f->pub.seen = (uint64_t)mp_heap_read_mine();
	m.mem = mp_heap_read();
	m.own = mp_heap_read_mine();
	return m;
}

static inline struct mp_fig watch(struct frame *f)
{
	struct mp_watch w;
	struct mp_fig m;

	if (MP_LIKELY(__atomic_load_n(&mp_backend_heap, __ATOMIC_RELAXED))) {
		m = heap_watch(f);
		w.s = f->pub.seen;
	} else {
		m.mem = mp_backend_watch(&w);
		m.own = mp_backend_own(m.mem);
		f->pub.change = w.c;
		f->pub.seen = w.s;
	}
	/*
	 * With Time every event calls, to read the clock, the watch itself
	 * kept aside (held()).  Without it, a line stays inline unless it
	 * made an allocation call (mp_probe_dirty()) or moved the figure.
	 */
	if (MP_UNLIKELY(mp_allocs_columns)) {
		f->real_seen = w.s;
		if (!mp_allocs_inline)
			f->pub.seen = MPROF_SEEN_NEVER;
	}
	return m;
}

/* Both figures now (internal.h's mp_backend_figs), the heap's inline. */
static inline struct mp_fig figs(void)
{
	struct mp_fig m;

	if (MP_LIKELY(__atomic_load_n(&mp_backend_heap, __ATOMIC_RELAXED))) {
		m.mem = mp_heap_read();
		m.own = mp_heap_read_mine();
		return m;
	}
	return mp_backend_figs();
}

/*
 * MPROF_LIMIT: the figure `m` just read is above the limit; `f` was
 * running its current line (the signature line, right after entry), now
 * charged, so the report so far shows it.
 */
static __attribute__((noinline, cold)) void over_limit(const struct frame *f,
							int64_t m)
{
	const struct __mprof_site *s = f->sites;

	if (f->pub.cur != scratch())
		s = (const struct __mprof_site *)((uintptr_t)f->pub.cur -
						  f->pub.delta);
	if (mp_limit_exceeded(f->sites->func,
			      f->sites->func->lines[s - f->sites], m))
		tls.limit_abort = 1;
}

/* Every figure a probe reads is checked: one load and a compare. */
static inline void check_limit(const struct frame *f, int64_t m)
{
	if (MP_UNLIKELY(m > __atomic_load_n(&mp_limit_bytes, __ATOMIC_RELAXED)))
		over_limit(f, m);
}

/*
 * This thread's stack, created on its first entry (which is also where a
 * thread initialises the runtime); NULL when none could be had.
 */
static struct stack *make_stack(void)
{
	struct stack *st;
	void *p;

	mp_init();
	if (mp_solo() && !mp_solo_owner)
		mp_solo_stranger();
	if (!mp_counts_join(&tls.table) && !tls.table)
		return NULL;
	p = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		mp_counts_leave(tls.table);
		tls.table = NULL;
		return NULL;
	}
	st = p;
	st->below.change = &still;
	st->below.seen = MPROF_SEEN_NEVER;
	st->cap = (STACK_BYTES - sizeof(*st)) / sizeof(struct frame);
	st->limit = &st->f[st->cap - LOCAL_MAX];
	tls.stack = st;
	tls.quiet = !tls.table && !mp_allocs_columns && !mp_funclog_active()
		    ? LOCAL_MAX : 0;
	mp_allocs_tls.active = 1;
	if (__atomic_load_n(&stack_key_ok, __ATOMIC_ACQUIRE))
		pthread_setspecific(stack_key, st);
	return st;
}

/* Is `f` a live record of `st`?  (The dummy never is.) */
static inline bool live(const struct stack *st, const struct frame *f)
{
	uintptr_t off = (uintptr_t)f - (uintptr_t)(st ? st->f : 0);

	return st && off < st->depth * sizeof(*f) && off % sizeof(*f) == 0;
}

/*
 * `f` returned: its caller gets its watch back -- unless, with columns
 * inline, the call made allocation calls that the caller's line must be
 * charged at its next event.
 */
static inline void give_back(struct frame *f)
{
	f[-1].pub.seen = f->caller_seen;
	if (MP_UNLIKELY(mp_allocs_inline) && mp_allocs_tls.allocs != f[-1].a0)
		f[-1].pub.seen = MPROF_SEEN_NEVER;
}

/*
 * Keep tls.next true after anything that changed the stack or the
 * thread's state: the slot of the next record when the fast paths may run
 * (room for it and the local frames above it, nothing lost, no columns,
 * no limit armed), else NULL.  Whether the process has one thread, which
 * another thread can change, and whether this thread counts in the
 * sites themselves (delta 0) are the short entry's own tests.
 */
static inline void refresh(void)
{
	struct stack *st = tls.stack;

	tls.next = st && room_at(st, &st->f[st->depth]) &&
		   !st->lost &&
		   !mp_allocs_columns &&
		   __atomic_load_n(&mp_limit_bytes, __ATOMIC_RELAXED) ==
		   INT64_MAX ? &st->f[st->depth] : NULL;
}

/*
 * Pop the records above `f` (live, of `st`): their activations were left
 * by longjmp or an exception, so they end now with the figure `m`, their
 * current line charged as if they had returned.  Entries lost above them
 * are gone too.
 */
static void pop_above(struct stack *st, struct frame *f, struct mp_fig m)
{
	struct frame *g;

	st->lost = 0;
	while ((g = &st->f[st->depth - 1]) != f) {
		charge(g, m);
		if (MP_UNLIKELY(mp_allocs_columns))
			extra_end(g, g - 1);
		st->depth--;
		give_back(g);
	}
	refresh();
}

/* The record on top of `st`, or NULL. */
static inline struct frame *top(const struct stack *st)
{
	return st->depth ? (struct frame *)&st->f[st->depth - 1] : NULL;
}

/*
 * The local frame `l` the plugin's code wrote in the slot above `p`, the
 * innermost record, becomes a record of the stack, as if enter() had
 * pushed it when its entry ran: its watch, figure, `cur` and `quiet` are
 * the frame's (its figure p's, which held from that entry on, so p's own
 * figure goes with it), p's watch kept aside is what the frame copied
 * (p's own now invalid, as the entry left it).  Its `cur` is the
 * signature line's scratch slot until it points at one of its sites.
 */
static inline void adopt(struct stack *st, struct frame *p,
			 struct __mprof_frame *l)
{
	struct frame *r = p + 1;
	struct __mprof_site *s0 = l->s0;
	uintptr_t c = (uintptr_t)r->pub.cur - (uintptr_t)s0;

	MP_ASSERT(&r->pub == l && r == &st->f[st->depth] &&
		  st->depth < st->cap && !st->lost);
	MP_ASSERT(s0 == s0->func->sites && !l->delta);
	p->pub.above = NULL;
	p->pub.seen = MPROF_SEEN_NEVER;
	r->sites = s0;
#ifdef MPROF_DEBUG
	r->span = s0->func->nsites * sizeof(*s0);
#endif
	if (c >= s0->func->nsites * sizeof(*s0) || c % sizeof(*s0))
		r->pub.cur = &st->scratch;
	r->own = p->own;
	r->caller_seen = l->seen;
	r->ext = NULL;
	st->depth++;
}

/* Adopt the local frames above the innermost record, outermost first;
 * then tls.next is true again. */
static void adopt_above(struct stack *st)
{
	struct frame *p;

	if (!st)
		return;
	while ((p = top(st)) != NULL && p->pub.above)
		adopt(st, p, p->pub.above);
	refresh();
}

/* An entry below `caller`, whose watch holds (one thread): `f` takes the
 * caller's watch, and keeps it aside while the caller's is invalid. */
static inline void hand_over(struct frame *f, struct frame *caller)
{
	f->pub.change = caller->pub.change;
	f->pub.seen = caller->pub.seen;
	f->caller_seen = caller->pub.seen;
	caller->pub.seen = MPROF_SEEN_NEVER;
	f->ext = NULL;
}

/*
 * Entry: count the call on the signature row, `c0` being where this
 * thread counts it (Mem usage: the largest figure at entry; Increment: the
 * figure at the function's first entry, which only the thread that claims
 * it adds).
 */
static inline void count_call(struct __mprof_site *c0, struct __mprof_func *fn,
			      int64_t m)
{
	if (MP_UNLIKELY(add_u64(&c0->count, 1) == 0) && mp_registry_first(fn))
		add_u64((uint64_t *)&c0->incr, (uint64_t)m);
	raise_peak(&c0->peak, m);
}

/* The delta of `fn`'s frames in this thread; false when out of memory. */
static inline bool delta_of(struct __mprof_func *fn, uintptr_t *delta)
{
	struct mp_block *b;

	*delta = 0;
	if (!tls.table)
		return true;
	b = mp_counts_find(tls.table, fn);
	if (MP_UNLIKELY(!b))
		b = mp_counts_get(tls.table, fn);
	if (b)
		*delta = b->delta;
	return b != NULL;
}

/*
 * Entry's work before the read, on the paths that can change errno (which
 * it keeps): the thread's first entry makes its stack, the function's
 * first registers it, a thread other than the owner finds its counters.
 * *st is the stack, or NULL when the call cannot be counted.
 */
static __attribute__((noinline)) uintptr_t prepare(struct __mprof_func *fn,
						   struct stack **st)
{
	uintptr_t delta = 0;
	int saved = errno;

	if (!*st)
		*st = make_stack();
	if (!__atomic_load_n(&fn->registered, __ATOMIC_RELAXED))
		mp_registry_add(fn);
	if (*st && !delta_of(fn, &delta)) {
		/* Nowhere to count: the call is lost like a deep one. */
		(*st)->lost++;
		*st = NULL;
	}
	errno = saved;
	return delta;
}

/*
 * Entry: push a record.  Registration and the first mapping happen
 * before the read, so the runtime's own memory is not charged to the
 * function; the watch is taken before the figure is read, so a change in
 * between makes the next check fail.  A caller whose watch still holds
 * in a one-thread process hands it over with its figures: they cannot
 * have changed since the caller read them, so the entry reads nothing.
 */
static struct frame *enter(struct __mprof_site *s0)
{
	struct __mprof_func *fn = s0->func;
	struct stack *st = tls.stack;
	struct frame *f, *caller;
	uintptr_t delta = 0;
	struct mp_fig m;

	/* The owner thread counts calls in s0 itself: a call counted there
	   was registered, and fn's own fields need not be read. */
	if (MP_UNLIKELY(!st || tls.table ||
			!__atomic_load_n(&s0->count, __ATOMIC_RELAXED))) {
		delta = prepare(fn, &st);
		if (!st) {
			drop();
			return &dummy;
		}
	}
	if (MP_UNLIKELY(st->lost || st->depth == st->cap)) {
		/* Deeper entries are lost too, so the lost ones stay innermost. */
		count_call((struct __mprof_site *)((uintptr_t)s0 + delta), fn,
			   mp_backend_read());
		st->lost++;
		drop();
		return &dummy;
	}
	MP_ASSERT(st->depth < st->cap);
	f = &st->f[st->depth];
	caller = top(st);
	if (caller && unchanged(caller) && MP_LIKELY(!mp_allocs_columns) &&
	    mp_solo()) {
		hand_over(f, caller);
		m.mem = caller->pub.before;
		m.own = caller->own;
	} else {
		f->caller_seen = caller ? caller->pub.seen : MPROF_SEEN_NEVER;
		if (caller)
			caller->pub.seen = MPROF_SEEN_NEVER;
		/* The records of the columns, made before the read like the
		   rest. */
		f->ext = MP_UNLIKELY(mp_allocs_columns) ?
			 mp_allocs_extras(fn) : NULL;
		m = watch(f);
	}
	f->pub.delta = delta;
	f->pub.quiet = room_at(st, f) ? tls.quiet : 0;
	f->pub.above = NULL;
	count_call(ctr(f, s0), fn, m.mem);
	f->sites = s0;			/* &sites[0]: the ABI's argument */
#ifdef MPROF_DEBUG
	f->span = fn->nsites * sizeof(*fn->sites);
#endif
	MP_ASSERT(s0 == fn->sites);
	restart(f, &st->scratch, m);
	if (MP_UNLIKELY(mp_allocs_columns))
		extra_enter(f, caller, m.own);
	st->depth++;
	check_limit(caller ? caller : f, m.mem);
	return f;
}

/*
 * The innermost live frame of `fn` in `st`, or NULL: where the events of
 * code that runs outside its own activation go -- an OpenMP region's body,
 * outlined into a function of its own after the plugin ran, whose events
 * carry the unit's idle record (plugin/emit.cc, adopt_orphan).
 */
static struct frame *innermost(struct stack *st, const struct __mprof_func *fn)
{
	size_t d = st ? st->depth : 0;

	while (d > 0 && st->f[d - 1].sites != fn->sites)
		d--;
	return d ? &st->f[d - 1] : NULL;
}

/* Line event whose watch failed: charge the line being left, then start
 * counting `s`, with a new watch. */
static void line(struct __mprof_site *s, struct frame *f)
{
	struct stack *st = tls.stack;
	struct mp_fig m;

	adopt_above(st);
	if (!live(st, f)) {
		if (f == &dummy || !(f = innermost(st, s->func))) {
			drop();
			return;
		}
		/* A record the runtime never gave out (the unit's idle one):
		   counted in the frame found, nothing popped. */
		m = f == top(st) ? watch(f) : figs();
		charge(f, m);
		check_limit(f, m.mem);
		restart(f, ctr(f, s), m);
		if (MP_UNLIKELY(mp_allocs_columns))
			extra_begin(f, m.own, tls.now);
		return;
	}
	MP_ASSERT((uintptr_t)s - (uintptr_t)f->sites < f->span);
	if (f == top(st) && !st->lost && held(f)) {
		m.mem = f->pub.before;
		m.own = f->own;
		if (mp_allocs_inline)
			f->pub.seen = f->real_seen;
	} else {
		m = watch(f);
		if (MP_UNLIKELY(f != top(st) || st->lost))
			pop_above(st, f, m);
	}
	charge(f, m);
	check_limit(f, m.mem);
	restart(f, ctr(f, s), m);
	if (MP_UNLIKELY(mp_allocs_columns))
		extra_begin(f, m.own, tls.now);
}

/* Exit: charge the last line run and pop the record, giving the caller
 * its watch back.  Unchanged since `before`: no read. */
static void leave(struct frame *f)
{
	struct stack *st = tls.stack;
	struct mp_fig m;

	adopt_above(st);
	/* The common case first: the innermost record, nothing lost. */
	if (MP_LIKELY(st && f == top(st) && !st->lost)) {
		if (unchanged(f) || held(f)) {
			m.mem = f->pub.before;
			m.own = f->own;
		} else {
			m = figs();
		}
	} else if (!live(st, f)) {
		MP_ASSERT(f == &dummy);
		if (st && st->lost)
			st->lost--;
		drop();
		return;
	} else {
		m = figs();
		pop_above(st, f, m);
	}
	charge(f, m);
	check_limit(f, m.mem);
	if (MP_UNLIKELY(mp_allocs_columns))
		extra_end(f, st->depth > 1 ? f - 1 : NULL);
	st->depth--;
	if (st->depth) {
		MP_ASSERT(f[-1].pub.seen == MPROF_SEEN_NEVER);
		give_back(f);
	}
}

/* MPROF_LIMIT_ACTION=abort, after the report: the program stops in the
 * probe of the line that crossed the limit. */
static __attribute__((noinline, cold)) void limit_abort(void)
{
	tls.limit_abort = 0;
	mp_limit_abort();
}

/*
 * The common entry as one short path: the thread's record slot `f` is
 * known (tls.next: room, nothing lost, no columns, no limit), the
 * process has one thread (so this one counts in the sites themselves:
 * the owner) and the function was called before (counted, so
 * registered).  Below a caller whose watch holds, the entry is enter()'s
 * hand-over: the new record takes the caller's watch and figures, the
 * caller's watch is kept aside in it, the call is counted.  With no
 * caller (a profiled function called from code that is not: the
 * annotated build's common case) it takes a watch and reads the figures
 * (enter_root()).  Anything else returns NULL, before any write: the
 * general path.  The busy flag is set first, so a signal handler's probe
 * either ran whole before (the stack as it found it) or drops.  A call
 * made from a local frame that is not a record yet finds its caller's
 * watch invalid (the frame's entry made it so): enter_below_frame()
 * adopts the frame, then takes this path again.
 */
static struct frame *enter_below_frame(struct __mprof_site *s0);
static struct frame *enter_root(struct __mprof_site *s0, struct frame *f,
				uint64_t calls);

/* The short entry's writes: `f` pushed with the figures `m`, the call
 * counted (`calls` before it), tls.next moved above it. */
static inline __attribute__((always_inline)) struct frame *
push(struct __mprof_site *s0, struct frame *f, uint64_t calls,
     struct mp_fig m)
{
	struct stack *st = tls.stack;

	f->pub.delta = 0;
	f->pub.quiet = tls.quiet;
	f->pub.above = NULL;
	__atomic_store_n(&s0->count, calls + 1, __ATOMIC_RELAXED);
	raise_peak(&s0->peak, m.mem);
	f->sites = s0;
#ifdef MPROF_DEBUG
	f->span = s0->func->nsites * sizeof(*s0);
#endif
	restart(f, &st->scratch, m);
	st->depth++;
	MP_ASSERT(f == top(st));
	tls.next = room_at(st, f + 1) ? f + 1 : NULL;
	set_busy(BUSY_NONE);
	return f;
}

static inline __attribute__((always_inline)) struct frame *
fast_enter(struct __mprof_site *s0)
{
	struct frame *f, *caller;
	struct mp_fig m;
	uint64_t calls;

	set_busy(BUSY_PROBE);
	f = tls.next;
	calls = __atomic_load_n(&s0->count, __ATOMIC_RELAXED);
	if (MP_UNLIKELY(!f || !mp_solo() || tls.table || !calls))
		goto general;
	/* In the first slot, the caller is the stack's `below`. */
	caller = f - 1;
	if (MP_UNLIKELY(!unchanged(caller))) {
		if (f == tls.stack->f)
			return enter_root(s0, f, calls);
		if (caller->pub.above == &f->pub && !f->pub.above &&
		    room_at(tls.stack, f + 1))
			return enter_below_frame(s0);
		goto general;
	}
	MP_ASSERT(f == tls.next && caller == top(tls.stack));
	hand_over(f, caller);
	m.mem = caller->pub.before;
	m.own = caller->own;
	return push(s0, f, calls, m);
general:
	set_busy(BUSY_NONE);
	return NULL;
}

/* fast_enter() from the local frame in the slot tls.next, the only one
   above the innermost record (busy set): adopted, it is the caller. */
static __attribute__((noinline)) struct frame *
enter_below_frame(struct __mprof_site *s0)
{
	struct frame *f = tls.next;

	adopt(tls.stack, f - 1, &f->pub);
	tls.next = f + 1;
	set_busy(BUSY_NONE);
	return fast_enter(s0);
}

/* fast_enter() with no caller (busy set, `f` the stack's first slot):
   enter()'s own path without a caller, out of line so that the backend's
   read costs the short entry nothing.  A figure over the limit (armed
   after tls.next was last made true) is left to the general path, which
   reads again: the slot written so far is not a record yet. */
static __attribute__((noinline)) struct frame *
enter_root(struct __mprof_site *s0, struct frame *f, uint64_t calls)
{
	struct mp_fig m;

	MP_ASSERT(f == tls.next && !tls.stack->depth && !tls.stack->lost);
	MP_ASSERT(tls.stack->below.change == &still &&
		  tls.stack->below.seen == MPROF_SEEN_NEVER);
	m = watch(f);
	if (MP_UNLIKELY(m.mem > __atomic_load_n(&mp_limit_bytes,
						 __ATOMIC_RELAXED))) {
		set_busy(BUSY_NONE);
		return NULL;
	}
	f->caller_seen = MPROF_SEEN_NEVER;
	f->ext = NULL;
	return push(s0, f, calls, m);
}

/*
 * The common exit: `f` the innermost record (tls.next is the slot above
 * it), its watch still holding.  Its last line is charged with no change
 * (counted, Mem usage raised to `before`), the record popped and the
 * caller's watch, if it has a caller, given back.  False, before any
 * write, for everything else.
 */
static inline bool fast_exit(struct frame *f)
{
	struct stack *st;
	struct __mprof_site *s;

	set_busy(BUSY_PROBE);
	st = tls.stack;
	if (MP_UNLIKELY(f + 1 != tls.next || !unchanged(f))) {
		set_busy(BUSY_NONE);
		return false;
	}
	MP_ASSERT(f == top(st) && !st->lost && cur_ok(f));
	s = f->pub.cur;
	if (s != &st->scratch) {
		add_u64(&s->count, 1);
		raise_peak(&s->peak, f->pub.before);
	}
	tls.next = f;
	if (--st->depth) {
		MP_ASSERT(f[-1].pub.seen == MPROF_SEEN_NEVER);
		f[-1].pub.seen = f->caller_seen;
	}
	set_busy(BUSY_NONE);
	return true;
}

/* The general probes: the busy check around the work; entry and exit
 * end with tls.next made true again (a line event changes the stack only
 * in pop_above(), which does).  Out of line, so that the fast paths need
 * no stack frame. */
static __attribute__((noinline)) struct __mprof_frame *
general_enter(struct __mprof_site *s0)
{
	struct frame *f;

	if (MP_UNLIKELY(__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))) {
		busy_drop();
		return &dummy.pub;
	}
	set_busy(BUSY_PROBE);
	tls.general++;
	adopt_above(tls.stack);
	f = enter(s0);
	refresh();
	set_busy(BUSY_NONE);
	if (MP_UNLIKELY(tls.limit_abort))
		limit_abort();
	return &f->pub;
}

/*
 * The common line event that calls, with the heap backend: `f` the
 * innermost record (tls.next is the slot above it: nothing lost, no
 * columns, no limit), its watch failed.  A new watch and the figures are
 * read, the line left charged, `s` started: line()'s own path for the
 * top record, without its checks.  False, before any write, for
 * everything else.
 */
static inline bool fast_line(struct __mprof_site *s, struct frame *f)
{
	struct mp_fig m;

	set_busy(BUSY_PROBE);
	if (MP_UNLIKELY(f + 1 != tls.next || f->pub.above ||
			!__atomic_load_n(&mp_backend_heap, __ATOMIC_RELAXED))) {
		set_busy(BUSY_NONE);
		return false;
	}
	MP_ASSERT(f == top(tls.stack) && !tls.stack->lost &&
		  !mp_allocs_columns);
	MP_ASSERT((uintptr_t)s - (uintptr_t)f->sites < f->span);
	m = heap_watch(f);
	charge_lines(f, m);
	restart(f, ctr(f, s), m);
	set_busy(BUSY_NONE);
	return true;
}

/*
 * A line event that calls although its record's watch holds: one the
 * plugin left a call (past its bound of inline events in one function,
 * docs/performance.md, "Compile time"; every event at -O0).  It does what
 * the inline event does (runtime/mprof_abi.h): counts the line left,
 * raises its Mem usage to the record's figure, starts `s`; no read.  The
 * watch holds only for the innermost record the runtime gave out, so no
 * other check is needed.  False, before any write, when it does not hold.
 */
static inline bool quiet_line(struct __mprof_site *s, struct frame *f)
{
	struct __mprof_site *c;

	if (MP_UNLIKELY(!unchanged(f)))
		return false;
	set_busy(BUSY_PROBE);
	/* The innermost record, or a local frame not adopted yet. */
	MP_ASSERT((f == top(tls.stack) && cur_ok(f) &&
		   (uintptr_t)s - (uintptr_t)f->sites < f->span) ||
		  (f - 1 == top(tls.stack) && f[-1].pub.above == &f->pub &&
		   s->func->sites == f->pub.s0));
	c = f->pub.cur;
	add_u64(&c->count, 1);
	raise_peak(&c->peak, f->pub.before);
	f->pub.cur = ctr(f, s);
	set_busy(BUSY_NONE);
	return true;
}

static __attribute__((noinline)) void general_line(struct __mprof_site *s,
						   struct __mprof_frame *f)
{
	if (MP_UNLIKELY(__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))) {
		busy_drop();
		return;
	}
	set_busy(BUSY_PROBE);
	line(s, (struct frame *)f);
	set_busy(BUSY_NONE);
	if (MP_UNLIKELY(tls.limit_abort))
		limit_abort();
}

void __mprof_line(struct __mprof_site *s, struct __mprof_frame *f)
{
	if (MP_LIKELY(!__atomic_load_n(&tls.busy, __ATOMIC_RELAXED)) &&
	    (quiet_line(s, (struct frame *)f) ||
	     MP_LIKELY(fast_line(s, (struct frame *)f))))
		return;
	general_line(s, f);
}

static __attribute__((noinline)) void general_exit(struct __mprof_frame *f)
{
	if (MP_UNLIKELY(__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))) {
		busy_drop();
		return;
	}
	set_busy(BUSY_PROBE);
	tls.general++;
	leave((struct frame *)f);
	refresh();
	set_busy(BUSY_NONE);
	if (MP_UNLIKELY(tls.limit_abort))
		limit_abort();
}

/* The probes: the fast path when the thread is not busy, else the
 * general one. */
struct __mprof_frame *__mprof_enter(struct __mprof_site *s0)
{
	struct frame *f;

	if (MP_LIKELY(!__atomic_load_n(&tls.busy, __ATOMIC_RELAXED)) &&
	    MP_LIKELY((f = fast_enter(s0)) != NULL))
		return &f->pub;
	return general_enter(s0);
}

void __mprof_exit(struct __mprof_frame *f)
{
	if (MP_LIKELY(!__atomic_load_n(&tls.busy, __ATOMIC_RELAXED)) &&
	    MP_LIKELY(fast_exit((struct frame *)f)))
		return;
	general_exit(f);
}

/*
 * The end of an inlined call the plugin's code counted below `f` with no
 * record of its own (runtime/mprof_abi.h, "Quiet calls"), called when
 * f's watch failed during it: the figure moved in the call, since f's
 * figures, which held at its entry.  The call's row (the owner's: `quiet`
 * is set only there) is charged that, as an exit on the signature line
 * would; `f` keeps its failed watch and charges its own line at its next
 * event.
 */
static void quiet_exit(struct __mprof_site *s0, struct frame *f)
{
	struct mp_fig m;

	adopt_above(tls.stack);
	if (!live(tls.stack, f) || !f->pub.quiet) {
		drop();
		return;
	}
	MP_ASSERT(!f->pub.delta && s0 == s0->func->sites);
	m = figs();
	if (m.own != f->own)
		add_u64((uint64_t *)&s0->incr, (uint64_t)(m.own - f->own));
	raise_peak(&s0->peak, m.mem);
	check_limit(f, m.mem);
}

void __mprof_quiet_exit(struct __mprof_frame *g, struct __mprof_site *s0,
			struct __mprof_frame *f)
{
	if (g) {
		/* The call was entered by enter(): the bound exit. */
		if (MP_UNLIKELY(mp_funclog_active()))
			mp_funclog_exit(g);
		else
			__mprof_exit(g);
		return;
	}
	if (MP_UNLIKELY(__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))) {
		busy_drop();
		return;
	}
	set_busy(BUSY_PROBE);
	quiet_exit(s0, (struct frame *)f);
	set_busy(BUSY_NONE);
	if (MP_UNLIKELY(tls.limit_abort))
		limit_abort();
}

bool mp_probe_recorded(const struct __mprof_frame *f)
{
	return f != &dummy.pub;
}

unsigned mp_probe_hold(void)
{
	unsigned prev = __atomic_load_n(&tls.busy, __ATOMIC_RELAXED);

	set_busy(BUSY_RUNTIME);
	return prev;
}

void mp_probe_release(unsigned prev)
{
	set_busy(prev);
}

/* Charge every open activation of `st` as if it returned now. */
static void close_all(struct stack *st)
{
	struct mp_fig m;

	adopt_above(st);
	if (st->depth) {
		m = figs();
		while (st->depth) {
			struct frame *g = &st->f[--st->depth];

			charge(g, m);
			if (MP_UNLIKELY(mp_allocs_columns))
				extra_end(g, st->depth ? g - 1 : NULL);
		}
	}
	st->lost = 0;
}

/*
 * Thread exit: the activations still open (pthread_exit from a profiled
 * function) are charged as if they returned, then the stack is unmapped.
 */
static void thread_gone(void *p)
{
	struct stack *st = p;

	set_busy(BUSY_RUNTIME);
	close_all(st);
	if (tls.stack == st) {
		tls.stack = NULL;
		mp_allocs_tls.active = 0;
		mp_counts_leave(tls.table);
		tls.table = NULL;
	}
	munmap(st, STACK_BYTES);
	refresh();
	set_busy(BUSY_NONE);
}

/*
 * A forked child's exit: the calls it is still in (exit() called in the
 * line that holds the child's work, and that line's callers) are charged
 * as if they returned now, as at thread exit.  The stack stays mapped;
 * records the program still holds are no longer live, so their events
 * are drops.
 */
void mp_probe_close_open(void)
{
	if (tls.stack)
		close_all(tls.stack);
	refresh();
}

void mp_probe_init(void)
{
	if (pthread_key_create(&stack_key, thread_gone) == 0)
		__atomic_store_n(&stack_key_ok, 1, __ATOMIC_RELEASE);
}

const unsigned *mp_probe_busy_flag(void)
{
	return &tls.busy;
}

uint64_t mp_probe_dropped(void)
{
	return __atomic_load_n(&dropped, __ATOMIC_RELAXED);
}

void mp_probe_atfork_child(void)
{
	mp_counts_atfork_child(tls.table, tls.stack && !tls.table);
	__atomic_store_n(&dropped, 0, __ATOMIC_RELAXED);
	refresh();
}

size_t mp_probe_depth(void)
{
	return tls.stack ? tls.stack->depth : 0;
}

uint64_t mp_probe_general(void)
{
	return tls.general;
}
