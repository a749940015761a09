/* SPDX-License-Identifier: MIT */
/*
 * funclog.c - FUNC records for `mprof run` (docs/mprof-run.md, "Function
 * calls on the memory curve: FUNC records"): when the program runs with
 * MPROF_DAT set, each call of a profiled function appends
 *
 *     FUNC <file>.<function> <MiB start> <t start> <MiB end> <t end> <level>
 *
 * to that .dat (the line made by report/datline.c, without malloc or
 * stdio), as Python's `mprof run` does for @profile functions, so
 * both `mprof plot`s bracket the calls on the memory curve.  Figures are
 * %.4f: MiB from the runtime's backend (MPROF_BACKEND, rss by default
 * like the sampler's) or, when `mprof run --backend` names the measure it
 * samples (MPROF_DAT_BACKEND), from that measure, read from /proc with
 * one syscall per figure; seconds from CLOCK_REALTIME (the sampler's
 * clock).
 * The name is the file as given to the compiler, a dot and the function
 * ("basic.c.my_func": Python writes "module.function"); blanks become '_'
 * so the line keeps its fields.  The stack level is memory_profiler's:
 * the number of profiled calls open below this one when it began, 0 for
 * the outermost, counted per thread.  A record is written when its call
 * returns, so inner calls come first, in one write() on the O_APPEND
 * descriptor opened once at start: lines of the sampler and of other
 * processes never split one.
 *
 * The hot path (probe.c) does not change: when mp_funclog_active(),
 * __mprof_bind() passes the entry and exit probes it picked to
 * mp_funclog_wrap(), which keeps them and hands out mp_funclog_enter/exit
 * instead (the line event stays as it is).  The entry wrapper calls the
 * kept probe, then does its bookkeeping in a function of its own; the exit
 * wrapper does it first.  Calls are told apart by the frame record the
 * entry probe returned (runtime/mprof_abi.h): records of one thread lie
 * in one range that never moves, a callee's above its caller's.
 *
 * Each thread keeps its open calls on a stack of its own, in memory from
 * mmap (never the program's malloc), grown with mremap, freed at thread
 * exit.  longjmp skips exit probes: an exit is matched with the nearest
 * open call of the same record and the calls above it are dropped
 * (counted, no record), and an entry drops the calls whose records lie at
 * or above its own (dead: the probe reuses a record only once its
 * activation has ended).  An entry the probe kept no record for gets the
 * probe's one dummy record, which is never taken for a dead call.  A busy flag makes a
 * wrapper reached from a signal handler while this thread is inside a
 * wrapper skip its bookkeeping (counted) instead of touching a
 * half-updated stack.  At exit the calls the exiting thread still has
 * open (exit() called inside them) get their records, ending then; a
 * thread that ends inside calls gets theirs too.  A forked child writes
 * no records: the .dat's curve is the parent's.  What was lost is said
 * once at exit.
 *
 * Which calls get a record is MPROF_DAT_FUNCS's (settings.c): every one
 * (the default, as Python's mprof), none (no wrappers at all), or, given a
 * duration (`mprof run` passes its sampling interval), what a plot can
 * show: a call at least that long gets its own record; shorter calls of a
 * function at one stack level, each beginning less than that after the
 * previous one ended, make one record from the first entry to the last
 * exit, with the number of calls as a seventh field (Python's mprof reads
 * six); and a call inside an open call of its own function (recursion)
 * gets none: the outermost covers it, so time is not counted twice.  When
 * a record's calls saw a figure larger than its entry and exit ones (at
 * the entry or exit of a merged or inner call), it is an eighth field, so
 * that `mprof peak --func` knows it.  A
 * small per-thread table of functions (struct slot) holds the merged
 * calls and the open counts; a function that finds no room in it gets a
 * record per call.  A program making millions of short calls then writes
 * a few records per interval instead of a line per call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datline.h"
#include "internal.h"

struct call {
	const struct __mprof_func *func;	/* the function called */
	uintptr_t rec;			/* the probe's frame record */
	int64_t mem;			/* backend figure at entry, bytes */
	int64_t t;			/* CLOCK_REALTIME at entry, ns */
	int slot;			/* its function's slot, -1: none */
	int inner;			/* inside a call of the same function */
};

/*
 * What a thread knows of one function when records are merged: how many
 * of its calls are open (to spot recursion) and the short calls merged so
 * far, not yet written.  Free when no call is open and nothing pending.
 */
struct slot {
	const struct __mprof_func *func;	/* NULL: never used */
	uint64_t open;			/* calls of func open on this thread */
	uint64_t n;			/* calls merged, 0: nothing pending */
	size_t level;			/* the merged calls' stack level */
	int64_t m0, t0, m1, t1;		/* first entry, last exit */
	int64_t hi;			/* largest figure of the merged calls */
	int64_t open_hi;		/* largest figure seen while calls open */
};

/* Slots per thread, and how many a function may use (its hash's set). */
#define SLOTS	64
#define WAYS	4

/* One per thread, at the start of its own mapping. */
struct calls {
	size_t bytes;			/* size of the mapping */
	size_t depth;			/* calls open */
	size_t cap;			/* calls that fit */
	size_t unrecorded;		/* innermost entries not stored: no room */
	struct slot slot[SLOTS];	/* merged mode only */
	struct call c[];
};

struct tls {
	struct calls *st;		/* NULL until the thread's first call */
	unsigned busy;			/* a wrapper's bookkeeping runs */
};

static __thread struct tls tls __attribute__((tls_model("initial-exec")));

#define CALLS_FIRST_BYTES	16384

static int fd = -1;			/* the .dat, O_APPEND; -1: none */
static int logging;			/* records are made (0 in a fork child) */
static char dat[PATH_MAX];		/* its name, for messages */
static enum mp_backend_id measure = MP_BACKEND_COUNT; /* MPROF_DAT_BACKEND,
					   or COUNT: the backend's figure */
static int64_t min_ns = MP_FUNCS_ALL;	/* MPROF_DAT_FUNCS: ALL, or merged
					   mode's shortest call alone, ns */

/* The memory figure of a record. */
static int64_t figure(void)
{
	int64_t v;

	if (measure != MP_BACKEND_COUNT && (v = mp_backend_read_proc(measure)) >= 0)
		return v;
	return mp_backend_read();
}
static uint64_t lost;			/* calls without a record */
static uint64_t failed;			/* records whose write() failed */
static int write_errno;			/* errno of the first such failure */
static pthread_key_t key;		/* unmaps a thread's stack at exit */
static int key_ok;

/* The probes the wrappers hand on to: what __mprof_bind() picked. */
static struct __mprof_frame *(*next_enter)(struct __mprof_site *) =
	__mprof_enter;
static void (*next_exit)(struct __mprof_frame *) = __mprof_exit;

static inline void set_busy(unsigned v)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&tls.busy, v, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void lose(uint64_t n)
{
	__atomic_fetch_add(&lost, n, __ATOMIC_RELAXED);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Format a record of `calls` calls of fn, from (m0, t0) to (m1, t1), and
 * append it in one write().  A short write (a full disk, RLIMIT_FSIZE) is
 * retried once for its errno.
 */
static void emit(const struct __mprof_func *fn, int64_t m0, int64_t t0,
		 int64_t m1, int64_t t1, size_t level, uint64_t calls,
		 int64_t hi)
{
	const struct mp_datline_func r = {
		fn->file, fn->name, m0, t0, m1, t1, hi, level, calls,
	};
	char line[MP_DATLINE_MAX];
	size_t n = mp_datline_func(line, &r);
	ssize_t w;

	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && (size_t)w < n)
		w = write(fd, line + w, n - (size_t)w) < 0 ? -1 : (ssize_t)n;
	if (w != (ssize_t)n &&
	    __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED) == 0)
		write_errno = w < 0 ? errno : ENOSPC;
}

/* ---- the per-thread stack of open calls ---------------------------------- */

static size_t calls_in(size_t bytes)
{
	return (bytes - sizeof(struct calls)) / sizeof(struct call);
}

/* Room for one more call: the stack, made or doubled; full or NULL if not. */
static struct calls *make_room(void)
{
	struct calls *st = tls.st;
	size_t bytes;
	void *p;

	if (!st) {
		p = mp_sys_map_grow(NULL, &bytes, CALLS_FIRST_BYTES);
		if (!p)
			return NULL;
	} else if (st->depth < st->cap) {
		return st;
	} else {
		bytes = st->bytes;
		p = mp_sys_map_grow(st, &bytes, 0);
		if (!p)
			return st;
	}
	st = p;
	st->bytes = bytes;
	st->cap = calls_in(bytes);
	tls.st = st;
	if (__atomic_load_n(&key_ok, __ATOMIC_ACQUIRE))
		pthread_setspecific(key, st);
	return st;
}

/* ---- merged mode: which calls get a record of their own --------------- */

static void flush_slot(struct slot *sl)
{
	if (sl->n)
		emit(sl->func, sl->m0, sl->t0, sl->m1, sl->t1, sl->level,
		     sl->n, sl->hi);
	sl->n = 0;
}

/*
 * The slot of fn in this thread's table, claimed if need be: a free one
 * of its set, else one with no open call (its merged calls written first).
 * -1 when WAYS functions of the set all have calls open.
 */
static int slot_of(struct calls *st, const struct __mprof_func *fn)
{
	unsigned set = (unsigned)(((uintptr_t)fn >> 4) * 0x9e3779b1u >> 16) %
		       (SLOTS / WAYS) * WAYS;
	int i, spare = -1;

	for (i = (int)set; i < (int)set + WAYS; i++) {
		struct slot *sl = &st->slot[i];

		if (sl->func == fn)
			return i;
		if (!sl->open && (spare < 0 || !sl->n))
			spare = i;
	}
	if (spare >= 0) {
		flush_slot(&st->slot[spare]);
		st->slot[spare].func = fn;
	}
	return spare;
}

/*
 * Merged mode (min_ns > 0): the call at entry.  A call made inside an
 * open call of its own function (recursion) gets no record: the outermost
 * covers it, and takes the largest figure seen inside it.
 */
static void note_entry(struct calls *st, struct call *c)
{
	c->slot = -1;
	c->inner = 0;
	if (min_ns <= 0)
		return;
	/* direct recursion, the common case: the caller's slot */
	if (c > st->c && c[-1].func == c->func)
		c->slot = c[-1].slot;
	else
		c->slot = slot_of(st, c->func);
	if (c->slot >= 0)
		c->inner = st->slot[c->slot].open++ > 0;
}

/*
 * Merged mode: figure m was seen at the entry (entry = 1) or exit of call
 * c; the outermost call's entry starts the count.
 */
static void seen(struct calls *st, const struct call *c, int64_t m,
		 int entry)
{
	struct slot *sl;

	if (c->slot < 0)
		return;
	sl = &st->slot[c->slot];
	if ((entry && !c->inner) || m > sl->open_hi)
		sl->open_hi = m;
}

/* A call that ends without a record (dropped, or inner): its slot forgets it. */
static void forget(struct calls *st, const struct call *c)
{
	if (c->slot >= 0)
		st->slot[c->slot].open--;
}

/*
 * Call c at stack level `level` ends at (m, t).  Every call gets its
 * record in "all" mode; in merged mode a call of at least min_ns does,
 * and a shorter one is merged with the short calls of its function at its
 * level that ended less than min_ns before it began: one record from the
 * first entry to the last exit, with the number of calls and the largest
 * figure.  A plot cannot show more: samples are min_ns apart.
 */
static void finish(struct calls *st, const struct call *c, int64_t m,
		   int64_t t, size_t level)
{
	struct slot *sl;
	int64_t hi = m > c->mem ? m : c->mem;

	if (min_ns <= 0 || c->slot < 0) {
		emit(c->func, c->mem, c->t, m, t, level, 1, hi);
		return;
	}
	sl = &st->slot[c->slot];
	if (sl->open_hi > hi)
		hi = sl->open_hi;
	if (t - c->t >= min_ns) {
		flush_slot(sl);
		emit(c->func, c->mem, c->t, m, t, level, 1, hi);
	} else if (sl->n && sl->level == level && c->t - sl->t1 < min_ns) {
		sl->n++;
		sl->m1 = m;
		sl->t1 = t;
		if (hi > sl->hi)
			sl->hi = hi;
	} else {
		flush_slot(sl);
		sl->n = 1;
		sl->level = level;
		sl->m0 = c->mem;
		sl->t0 = c->t;
		sl->m1 = m;
		sl->t1 = t;
		sl->hi = hi;
	}
}

/*
 * Close every open call of `st` at the present moment, innermost first,
 * and write what merged calls wait.
 */
static void close_all(struct calls *st)
{
	int64_t m, t;
	int i;

	if (st->depth) {
		m = figure();
		t = now_ns();
		while (st->depth) {
			const struct call *c = &st->c[--st->depth];

			forget(st, c);
			seen(st, c, m, 0);
			if (!c->inner)
				finish(st, c, m, t, st->depth);
		}
	}
	for (i = 0; i < SLOTS; i++)
		flush_slot(&st->slot[i]);
}

/* Thread exit: its open calls end now (pthread_exit inside them). */
static void thread_gone(void *p)
{
	struct calls *st = p;
	int saved = errno;

	set_busy(1);
	if (__atomic_load_n(&logging, __ATOMIC_ACQUIRE))
		close_all(st);
	if (tls.st == st)
		tls.st = NULL;
	munmap(st, st->bytes);
	set_busy(0);
	errno = saved;
}

/* ---- the wrappers ------------------------------------------------------- */

/*
 * Push a call of `fn` whose frame record is `f`.  Open calls whose records
 * lie at or above `f` were left by longjmp: live ones lie below (the
 * dummy record says nothing either way).  An entry that finds no room is
 * counted in `unrecorded` so that its exit is not matched with an outer
 * call.
 */
__attribute__((noinline))
static void record_entry(const struct __mprof_func *fn,
			 const struct __mprof_frame *f)
{
	uintptr_t rec = (uintptr_t)f;
	bool kept = mp_probe_recorded(f);
	struct calls *st;
	struct call *c;
	int saved;

	if (__atomic_load_n(&tls.busy, __ATOMIC_RELAXED)) {
		lose(1);
		return;
	}
	set_busy(1);
	saved = errno;
	st = tls.st;
	if (st && st->unrecorded) {
		st->unrecorded++;
		lose(1);
		goto out;
	}
	while (kept && st && st->depth && st->c[st->depth - 1].rec >= rec &&
	       mp_probe_recorded((const void *)st->c[st->depth - 1].rec)) {
		forget(st, &st->c[--st->depth]);
		lose(1);
	}
	if (!st || st->depth == st->cap)
		st = make_room();
	if (!st || st->depth == st->cap) {
		if (st)
			st->unrecorded++;
		lose(1);
		goto out;
	}
	c = &st->c[st->depth];
	c->func = fn;
	c->rec = rec;
	note_entry(st, c);
	c->mem = figure();
	c->t = c->inner ? 0 : now_ns();	/* an inner call's time is unused */
	seen(st, c, c->mem, 1);
	st->depth++;
out:
	errno = saved;
	set_busy(0);
}

/*
 * Pop the nearest open call of record `f` and write its record.  An exit
 * that matches nothing belongs to a call already counted as lost (skipped
 * while busy, not stored, or dropped as dead), so it is not counted again.
 */
__attribute__((noinline))
static void record_exit(const struct __mprof_frame *f)
{
	uintptr_t rec = (uintptr_t)f;
	struct calls *st;
	int64_t m, t;
	size_t i;
	int saved;

	if (__atomic_load_n(&tls.busy, __ATOMIC_RELAXED))
		return;
	set_busy(1);
	saved = errno;
	st = tls.st;
	if (st && st->unrecorded) {
		st->unrecorded--;
		goto out;
	}
	for (i = st ? st->depth : 0; i > 0 && st->c[i - 1].rec != rec; i--)
		;
	if (i == 0)
		goto out;
	if (st->depth > i)
		lose(st->depth - i);
	while (st->depth >= i)
		forget(st, &st->c[--st->depth]);
	m = figure();
	seen(st, &st->c[i - 1], m, 0);
	if (!st->c[i - 1].inner) {
		t = now_ns();
		finish(st, &st->c[i - 1], m, t, i - 1);
	}
out:
	errno = saved;
	set_busy(0);
}

/* The probe first: the record it returns names the call. */
struct __mprof_frame *mp_funclog_enter(struct __mprof_site *s0)
{
	struct __mprof_frame *f =
		__atomic_load_n(&next_enter, __ATOMIC_RELAXED)(s0);

	if (__atomic_load_n(&logging, __ATOMIC_RELAXED))
		record_entry(s0->func, f);
	return f;
}

void mp_funclog_exit(struct __mprof_frame *f)
{
	if (__atomic_load_n(&logging, __ATOMIC_RELAXED))
		record_exit(f);
	__atomic_load_n(&next_exit, __ATOMIC_RELAXED)(f);
}

/*
 * Every module gets the same probes (they depend on the backend, fixed
 * once the runtime is initialised), so one pair of kept probes serves all.
 * A pointer that already is a wrapper is left alone: binding twice must
 * not make a wrapper call itself.
 */
void mp_funclog_wrap(struct __mprof_frame *(**enter)(struct __mprof_site *),
		     void (**exit)(struct __mprof_frame *))
{
	if (*enter != mp_funclog_enter) {
		__atomic_store_n(&next_enter, *enter, __ATOMIC_RELAXED);
		*enter = mp_funclog_enter;
	}
	if (*exit != mp_funclog_exit) {
		__atomic_store_n(&next_exit, *exit, __ATOMIC_RELAXED);
		*exit = mp_funclog_exit;
	}
}

/* ---- set-up, fork, exit ------------------------------------------------- */

int mp_funclog_active(void)
{
	return __atomic_load_n(&logging, __ATOMIC_ACQUIRE);
}

/*
 * The .dat must exist (`mprof run` made it) and be a regular file:
 * O_NONBLOCK keeps a FIFO given by mistake from blocking the program.
 */
void mp_funclog_setup(const struct mp_settings *s)
{
	struct stat st;
	int f;

	if (!s->dat[0] || s->dat_funcs == MP_FUNCS_NONE)
		return;
	min_ns = s->dat_funcs;
	f = open(s->dat, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
	if (f < 0) {
		mp_sys_warn("mprof: MPROF_DAT: cannot open '%s': %s; no FUNC records",
			     s->dat, strerror(errno));
		return;
	}
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		mp_sys_warn("mprof: MPROF_DAT: '%s' is not a regular file; no FUNC records",
			     s->dat);
		close(f);
		return;
	}
	fcntl(f, F_SETFL, O_APPEND);
	memcpy(dat, s->dat, sizeof(dat));
	if (s->dat_backend != MP_BACKEND_COUNT && s->dat_backend != s->backend) {
		if (mp_backend_open_proc(s->dat_backend) == 0)
			measure = s->dat_backend;
		else
			mp_sys_warn("mprof: MPROF_DAT_BACKEND: cannot read %s (%s); FUNC records use MPROF_BACKEND's figures",
				     mp_backend_get(s->dat_backend)->name,
				     strerror(errno));
	}
	if (pthread_key_create(&key, thread_gone) == 0)
		__atomic_store_n(&key_ok, 1, __ATOMIC_RELEASE);
	fd = f;
	__atomic_store_n(&logging, 1, __ATOMIC_RELEASE);
}

void mp_funclog_atfork_child(void)
{
	__atomic_store_n(&logging, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&lost, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&failed, 0, __ATOMIC_RELAXED);
	if (fd >= 0)
		close(fd);
	fd = -1;
}

void mp_funclog_exit_report(void)
{
	uint64_t n;

	if (__atomic_load_n(&logging, __ATOMIC_ACQUIRE) && tls.st &&
	    !__atomic_load_n(&tls.busy, __ATOMIC_RELAXED)) {
		set_busy(1);
		close_all(tls.st);
		set_busy(0);
	}
	if ((n = __atomic_load_n(&failed, __ATOMIC_RELAXED)))
		mp_note("mprof: %llu FUNC record%s not written to '%s': %s",
			(unsigned long long)n, n > 1 ? "s" : "", dat,
			strerror(write_errno));
	if ((n = __atomic_load_n(&lost, __ATOMIC_RELAXED)))
		mp_note("mprof: %llu call%s without a FUNC record (left by longjmp, made while a signal interrupted the runtime, or no memory for the call stack)",
			(unsigned long long)n, n > 1 ? "s" : "");
}

uint64_t mp_funclog_lost(void)
{
	return __atomic_load_n(&lost, __ATOMIC_RELAXED);
}
