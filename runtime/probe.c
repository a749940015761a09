/* SPDX-License-Identifier: MIT */
/*
 * probe.c - __mprof_bind() and the three probes the plugin's code calls:
 * the hot path of the runtime and the accounting of docs/DESIGN.md,
 * "Accounting".
 *
 * Each thread keeps a shadow stack of frames, one per live activation of a
 * profiled function: the function, the line it is running (`cur`, NULL
 * right after entry: the signature row is charged by the entry probe
 * itself), the memory figure when that line was reached (`before`) and the
 * activation's canonical frame address (`sp`: the `cfa` argument every
 * probe receives, the CFA of the instrumented function, the same for all
 * the probes of one activation -- runtime/mprof_abi.h).  A line event
 * charges the line
 * being left with the change since `before`, so a line that calls another
 * profiled function is charged what the whole call changed, and recursion
 * adds into the same sites.
 *
 * Invariants: the stack lives in memory from mmap (grown with mremap), never
 * in the program's malloc; only its thread touches it; TLS holds just the
 * stack, its innermost usable frame (`top`, which the fast paths use
 * without looking at the stack) and a busy flag (initial-exec, so a probe
 * never calls into the dynamic linker).  While a probe runs, the busy flag makes any probe
 * reached from a signal handler drop its event (counted) instead of
 * touching a half-updated stack.  Counters have one writer each: the
 * owner thread counts in the sites themselves, every other thread in its
 * own table (counts.h), and a frame reaches its counters by adding its
 * `delta` to a site's address.  An update is a relaxed load and a relaxed
 * store, plain moves on x86, however many threads run.  errno is
 * preserved: the fast path makes no call that can change it, and every
 * slow path (a backend's read, stack growth, registration) keeps it.
 *
 * The probes exist in one generic copy, which reads the backend through
 * mp_backend_read(), and copies specialised for the heap and rss backends
 * with the read inlined (one load; a few loads and a compare), which
 * __mprof_bind() hands out when one of those is the backend in use.  A
 * probe's fast path makes no call; whatever it cannot do it hands to a
 * slow function as a tail call.
 *
 * longjmp and exceptions skip exit probes.  Frames are therefore checked
 * against the stack pointer: the stack grows down, so a frame whose `sp` is
 * below the sp of an event from a live function is dead and is popped as if
 * it had returned (its current line charged).  See resync().  A callee's
 * CFA lies below its caller's; a function inlined into another shares the
 * other's CFA, so equal addresses are no proof of a dead frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "counts.h"
#include "heap.h"
#include "internal.h"
#include "rss.h"
#include "solo.h"

struct frame {
	struct __mprof_func *func;	/* function of this activation */
	struct __mprof_site *sites;	/* func->sites, and */
	uintptr_t span;			/* their size in bytes: the fast paths
					   tell a site of this function by its
					   address, never reading the site,
					   whose cache line the thread that
					   counts in the sites may be writing */
	struct __mprof_site *cur;	/* line being run; NULL: just entered */
	int64_t before;			/* memory figure when `cur` was reached */
	uintptr_t sp;			/* the activation's CFA */
	uintptr_t delta;		/* site + delta: where this thread
					   counts the site (counts.h) */
};

/* One per thread, at the start of its own mapping. */
struct stack {
	size_t bytes;			/* size of the mapping */
	size_t depth;			/* frames in use */
	size_t cap;			/* frames that fit in the mapping */
	size_t lost;			/* innermost activations not recorded
					   because the stack could not grow */
	struct frame f[];
};

enum {
	BUSY_NONE,
	BUSY_PROBE,			/* a probe runs: nested events are drops */
	BUSY_RUNTIME			/* the runtime's own code: ignore events */
};

struct tls {
	struct stack *stack;		/* NULL until the thread's first entry */
	struct frame *top;		/* innermost frame, or NULL when the
					   stack is missing, empty or has lost
					   entries: then only slow paths run */
	unsigned busy;			/* BUSY_* */
	struct mp_table *table;		/* NULL in the owner (counts.h) */
};

static __thread struct tls tls __attribute__((tls_model("initial-exec")));

/* First mapping: a page holds 101 frames, plenty for most programs. */
#define STACK_FIRST_BYTES	4096

static pthread_key_t stack_key;		/* unmaps a thread's stack at exit */
static int stack_key_ok;

static uint64_t dropped;		/* events not accounted */
static uint32_t abi_mismatches;		/* probe tables refused */
static uint32_t abi_seen;		/* version of the last one refused */

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
static inline void set_func(struct frame *f, struct __mprof_func *fn)
{
	f->func = fn;
	f->sites = fn->sites;
	f->span = fn->nsites * sizeof(*fn->sites);
}

/* Is `s` a site of the frame's function?  (Without reading *s.) */
static inline bool of_frame(const struct frame *f,
			    const struct __mprof_site *s)
{
	return (uintptr_t)s - (uintptr_t)f->sites < f->span;
}

static inline struct __mprof_site *ctr(const struct frame *f,
				       const struct __mprof_site *s)
{
	return (struct __mprof_site *)((uintptr_t)s + f->delta);
}

/*
 * Record that frame `f` left its current line with the figure at `m`
 * (charge_line: the line `s` it is on, the fast bodies' case).  Most
 * lines change nothing: skipping the zero add saves an instruction, a
 * locked one when threads share the site.  A frame still on its signature
 * line (cur NULL) leaves it with what the statements written there did --
 * a one-line function, code after the `{`, C++ member initialisers: that
 * goes to the signature row, whose count is the calls, so that a single
 * call's Increment column still sums to the figure at return.
 */
static inline void charge_line(struct __mprof_site *s, const struct frame *f,
			       int64_t m)
{
	s = ctr(f, s);
	add_u64(&s->count, 1);
	if (m != f->before)
		add_u64((uint64_t *)&s->incr, (uint64_t)(m - f->before));
	raise_peak(&s->peak, m);
}

static void charge(const struct frame *f, int64_t m)
{
	struct __mprof_site *s = f->cur;

	if (!s) {
		if (m != f->before) {
			s = ctr(f, f->func->sites);
			add_u64((uint64_t *)&s->incr, (uint64_t)(m - f->before));
			raise_peak(&s->peak, m);
		}
		return;
	}
	charge_line(s, f, m);
}

void *mp_map_grow(void *p, size_t *bytes, size_t first)
{
	size_t n = p ? *bytes * 2 : first;

	p = p ? mremap(p, *bytes, n, MREMAP_MAYMOVE)
	      : mmap(NULL, n, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*bytes = n;
	return p;
}

static size_t frames_in(size_t bytes)
{
	return (bytes - sizeof(struct stack)) / sizeof(struct frame);
}

/*
 * Make room for one more frame on this thread's stack, creating it on the
 * thread's first entry (which is also where a thread initialises the
 * runtime) and doubling it with mremap when full.  Returns the stack, full
 * if it could not grow, or NULL when none could be mapped.
 */
static struct stack *make_room(void)
{
	struct stack *st = tls.stack;
	size_t bytes;
	void *p;

	if (!st) {
		mp_init();
		if (mp_solo() && !mp_solo_owner)
			mp_solo_stranger();
		if (!mp_counts_join(&tls.table) && !tls.table)
			return NULL;
		p = mp_map_grow(NULL, &bytes, STACK_FIRST_BYTES);
		if (!p) {
			mp_counts_leave(tls.table);
			tls.table = NULL;
			return NULL;
		}
	} else if (st->depth < st->cap || st->lost) {
		return st;
	} else {
		bytes = st->bytes;
		p = mp_map_grow(st, &bytes, 0);
		if (!p)
			return st;
	}
	st = p;
	st->bytes = bytes;
	st->cap = frames_in(bytes);
	tls.stack = st;
	if (__atomic_load_n(&stack_key_ok, __ATOMIC_ACQUIRE))
		pthread_setspecific(stack_key, st);
	return st;
}

/* Point tls.top at the innermost frame after `st` changed. */
static void retop(const struct stack *st)
{
	tls.top = st && st->depth && !st->lost ?
		  (struct frame *)&st->f[st->depth - 1] : NULL;
}

/*
 * Find the frame an event of `fn` at stack address `sp` belongs to, popping
 * the frames that longjmp or an exception left behind; NULL when `fn` has
 * no frame (its entry was dropped): the event is then dropped too.
 *
 * Frames deeper than the event (sp below it) are dead.  For an exit event
 * frames of `fn` itself are exempt (an exit ends a frame of `fn`; the one
 * found is the innermost).  Then, since a signal handler on an
 * alternate stack can sit anywhere, frames of other functions above the
 * nearest frame of `fn` are popped too, but only if such a frame exists.
 * Each popped frame's current line is charged as if it had returned.
 */
static struct frame *resync(struct stack *st, const struct __mprof_func *fn,
			    uintptr_t sp, int64_t m, int leaving)
{
	size_t d = st->depth, i;

	while (d > 0 && st->f[d - 1].sp < sp &&
	       !(leaving && st->f[d - 1].func == fn))
		charge(&st->f[--d], m);
	for (i = d; i > 0 && st->f[i - 1].func != fn; i--)
		;
	if (i == 0) {
		st->depth = d;
		return NULL;
	}
	while (d > i)
		charge(&st->f[--d], m);
	st->depth = d;
	return &st->f[d - 1];
}

/*
 * The probes in two layers.  The slow functions do everything, for any
 * backend: first entries, registration, stack growth, resynchronisation,
 * drops, and a figure from mp_backend_read().  The fast bodies below them
 * handle the common case -- the thread's innermost frame belongs to the
 * probing function and the backend has its figure at hand -- with no call,
 * so they need no callee-saved register; anything else goes to the slow
 * function.  Both run with the busy flag set by the fast body.
 */

/* Entry: count the call on the signature row, `c0` being where this
 * thread counts it (Mem usage: the largest figure at entry; Increment: the
 * figure at the function's first entry, which only the thread that claims
 * it adds) and push a frame.  Registration and stack growth happen before
 * the read, so the runtime's own memory is not charged to the function. */
static inline void count_call(struct __mprof_site *c0, struct __mprof_func *fn,
			      int64_t m)
{
	if (MP_UNLIKELY(add_u64(&c0->count, 1) == 0) && mp_registry_first(fn))
		add_u64((uint64_t *)&c0->incr, (uint64_t)m);
	raise_peak(&c0->peak, m);
}

/* The delta of `fn`'s frames in this thread; false when out of memory. */
static bool delta_of(struct __mprof_func *fn, uintptr_t *delta)
{
	struct mp_block *b;

	*delta = 0;
	if (!tls.table)
		return true;
	b = mp_counts_get(tls.table, fn);
	if (b)
		*delta = b->delta;
	return b != NULL;
}

__attribute__((noinline))
static void enter_slow(struct __mprof_site *s0, uintptr_t sp)
{
	struct __mprof_func *fn = s0->func;
	struct stack *st = tls.stack;
	struct frame *f;
	uintptr_t delta;
	int64_t m;
	int saved = errno;

	if (!st || st->depth == st->cap || st->lost)
		st = make_room();
	if (!__atomic_load_n(&fn->registered, __ATOMIC_RELAXED))
		mp_registry_add(fn);
	if (!st || !delta_of(fn, &delta)) {
		/* Nowhere to count: the call is lost like a deep one. */
		errno = saved;
		if (st)
			st->lost++;
		drop();
		goto out;
	}
	errno = saved;
	m = mp_backend_read();
	count_call((struct __mprof_site *)((uintptr_t)s0 + delta), fn, m);
	if (MP_LIKELY(!st->lost && st->depth < st->cap)) {
		f = &st->f[st->depth++];
		set_func(f, fn);
		f->cur = NULL;
		f->before = m;
		f->sp = sp;
		f->delta = delta;
	} else {
		/* Deeper entries are lost too, so the lost ones stay innermost. */
		st->lost++;
		drop();
	}
out:
	retop(st);
	set_busy(BUSY_NONE);
}

/* Line event: charge the line being left, then start charging `s`. */
__attribute__((noinline))
static void line_slow(struct __mprof_site *s, uintptr_t sp)
{
	struct stack *st = tls.stack;
	struct frame *f;
	int64_t m;

	if (!st || !st->depth || st->lost) {
		drop();
		goto out;
	}
	m = mp_backend_read();
	f = &st->f[st->depth - 1];
	if (f->func != s->func || f->sp != sp) {
		f = resync(st, s->func, sp, m, 0);
		if (!f) {
			drop();
			goto out;
		}
	}
	charge(f, m);
	f->cur = s;
	f->before = m;
out:
	retop(st);
	set_busy(BUSY_NONE);
}

/* Exit: charge the last line run and pop the frame. */
__attribute__((noinline))
static void exit_slow(struct __mprof_site *s0, uintptr_t sp)
{
	struct stack *st = tls.stack;
	struct frame *f;
	int64_t m;

	if (!st || !st->depth || st->lost) {
		if (st && st->lost)
			st->lost--;
		drop();
		goto out;
	}
	m = mp_backend_read();
	f = &st->f[st->depth - 1];
	if (f->func != s0->func || f->sp != sp) {
		f = resync(st, s0->func, sp, m, 1);
		if (!f) {
			drop();
			goto out;
		}
	}
	charge(f, m);
	st->depth--;
out:
	retop(st);
	set_busy(BUSY_NONE);
}

/*
 * The fast bodies, instantiated per backend with `peek`, which yields the
 * figure without a call, or says the slow path must get it.
 */
#define PROBE_BODY static inline __attribute__((always_inline))

PROBE_BODY bool enter_fast(struct __mprof_site *s0, uintptr_t sp,
			   bool (*peek)(int64_t *))
{
	struct __mprof_func *fn = s0->func;
	struct stack *st = tls.stack;
	struct mp_table *t = tls.table;
	struct mp_block *b = NULL;
	struct frame *f;
	int64_t m;

	if (MP_UNLIKELY(!st || st->depth == st->cap || st->lost ||
			!__atomic_load_n(&fn->registered, __ATOMIC_RELAXED) ||
			(t && !(b = mp_counts_find(t, fn))) || !peek(&m)))
		return false;
	f = &st->f[st->depth++];
	f->delta = b ? b->delta : 0;
	count_call(ctr(f, s0), fn, m);
	set_func(f, fn);
	f->cur = NULL;
	f->before = m;
	f->sp = sp;
	tls.top = f;
	return true;
}

/* A frame still on its signature line (cur NULL) takes the slow path. */
PROBE_BODY bool line_fast(struct __mprof_site *s, uintptr_t sp,
			  bool (*peek)(int64_t *))
{
	struct frame *f = tls.top;
	int64_t m;

	if (MP_UNLIKELY(!f || !of_frame(f, s) || f->sp != sp || !f->cur ||
			!peek(&m)))
		return false;
	charge_line(f->cur, f, m);
	f->cur = s;
	f->before = m;
	return true;
}

PROBE_BODY bool exit_fast(struct __mprof_site *s0, uintptr_t sp,
			  bool (*peek)(int64_t *))
{
	struct frame *f = tls.top;
	struct stack *st;
	int64_t m;

	if (MP_UNLIKELY(!f || s0 != f->sites || f->sp != sp || !f->cur ||
			!peek(&m)))
		return false;
	charge_line(f->cur, f, m);
	st = tls.stack;
	st->depth--;
	tls.top = st->depth ? f - 1 : NULL;
	return true;
}

/* Busy check, fast body, else the slow function (a tail call). */
#define PROBE(name, site, fast, slow, peek)				\
	void name(struct __mprof_site *site, void *cfa)			\
	{								\
		uintptr_t sp = (uintptr_t)cfa;				\
									\
		if (MP_UNLIKELY(__atomic_load_n(&tls.busy,		\
						__ATOMIC_RELAXED))) {	\
			busy_drop();					\
			return;						\
		}							\
		set_busy(BUSY_PROBE);					\
		if (MP_LIKELY(fast(site, sp, peek))) {			\
			set_busy(BUSY_NONE);				\
			return;						\
		}							\
		slow(site, sp);						\
	}

/* The generic probes: every event takes the slow path's read. */
static inline bool peek_none(int64_t *m)
{
	(void)m;
	return false;
}

static inline bool peek_heap(int64_t *m)
{
	*m = mp_heap_read();
	return true;
}

PROBE(__mprof_enter, s0, enter_fast, enter_slow, peek_none)
PROBE(__mprof_line, s, line_fast, line_slow, peek_none)
PROBE(__mprof_exit, s0, exit_fast, exit_slow, peek_none)
static PROBE(enter_heap, s0, enter_fast, enter_slow, peek_heap)
static PROBE(line_heap, s, line_fast, line_slow, peek_heap)
static PROBE(exit_heap, s0, exit_fast, exit_slow, peek_heap)
static PROBE(enter_rss, s0, enter_fast, enter_slow, mp_rss_peek)
static PROBE(line_rss, s, line_fast, line_slow, mp_rss_peek)
static PROBE(exit_rss, s0, exit_fast, exit_slow, mp_rss_peek)

void mp_probe_pick(enum mp_backend_id id,
		   void (**enter_fn)(struct __mprof_site *, void *),
		   void (**line_fn)(struct __mprof_site *, void *),
		   void (**exit_fn)(struct __mprof_site *, void *))
{
	*enter_fn = id == MP_BACKEND_HEAP ? enter_heap :
		    id == MP_BACKEND_RSS ? enter_rss : __mprof_enter;
	*line_fn = id == MP_BACKEND_HEAP ? line_heap :
		   id == MP_BACKEND_RSS ? line_rss : __mprof_line;
	*exit_fn = id == MP_BACKEND_HEAP ? exit_heap :
		   id == MP_BACKEND_RSS ? exit_rss : __mprof_exit;
}

__attribute__((visibility("default")))
void __mprof_bind(struct __mprof_probes *tab)
{
	int saved = errno;

	mp_init();
	if (!tab) {
		errno = saved;
		return;
	}
	if (tab->version != MPROF_ABI_VERSION) {
		__atomic_store_n(&abi_seen, tab->version, __ATOMIC_RELAXED);
		__atomic_fetch_add(&abi_mismatches, 1, __ATOMIC_RELAXED);
	} else {
		mp_probe_pick(mp_backend_fast(), &tab->enter, &tab->line,
			      &tab->exit);
		mp_patterns_bind(tab->functions);
		if (mp_funclog_active())
			mp_funclog_wrap(&tab->enter, &tab->exit);
	}
	errno = saved;
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

/*
 * Thread exit: the activations still open (pthread_exit from a profiled
 * function) are charged as if they returned, then the stack is unmapped.
 */
static void thread_gone(void *p)
{
	struct stack *st = p;
	int64_t m;

	set_busy(BUSY_RUNTIME);
	if (st->depth) {
		m = mp_backend_read();
		while (st->depth)
			charge(&st->f[--st->depth], m);
	}
	if (tls.stack == st) {
		tls.stack = NULL;
		tls.top = NULL;
		mp_counts_leave(tls.table);
		tls.table = NULL;
	}
	munmap(st, st->bytes);
	set_busy(BUSY_NONE);
}

/*
 * A forked child's exit: the calls it is still in (exit() called in the
 * line that holds the child's work, and that line's callers) are charged
 * as if they returned now, as at thread exit.  The stack stays mapped.
 */
void mp_probe_close_open(void)
{
	struct stack *st = tls.stack;
	int64_t m;

	if (!st || !st->depth)
		return;
	m = mp_backend_read();
	while (st->depth)
		charge(&st->f[--st->depth], m);
	retop(st);
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

uint32_t mp_probe_abi_mismatches(uint32_t *version)
{
	if (version)
		*version = __atomic_load_n(&abi_seen, __ATOMIC_RELAXED);
	return __atomic_load_n(&abi_mismatches, __ATOMIC_RELAXED);
}

void mp_probe_atfork_child(void)
{
	mp_counts_atfork_child(tls.table, tls.stack && !tls.table);
	__atomic_store_n(&dropped, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&abi_mismatches, 0, __ATOMIC_RELAXED);
}

size_t mp_probe_depth(void)
{
	return tls.stack ? tls.stack->depth : 0;
}
