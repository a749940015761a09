/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c - the probes' accounting (runtime/probe.c;
 * docs/DESIGN.md, "Accounting"), driven directly: hand-built descriptors
 * stand for what the plugin emits, and a fake backend returns the figure
 * each test scripts in `mem` (per thread, so threads script their own).
 * `mem` is also the fake's change counter, as the heap's byte count is the
 * heap backend's: a line whose figure did not change is counted inline.
 *
 * Profiled functions are simulated by noinline helpers that run the
 * events as instrumented code would: a call to the entry probe, the
 * inline line event of runtime/mprof_inline.h (LINE), a call to the exit
 * probe.  Each test uses descriptors of its own: counters are never reset
 * between tests.
 */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "counts.h"
#include "internal.h"
#include "mprof_inline.h"
#include "profile.h"
#include "solo.h"

#define NOINLINE __attribute__((noinline))

/* Keeps the call before it from becoming a sibling call. */
#define NO_TAIL() __asm__ volatile("" ::: "memory")

static __thread int64_t mem;

static __thread unsigned long reads;	/* fake_read() calls */

/* Set to take a backtrace at the next watch (test_line_slow). */
static __thread bool backtrace_wanted;
static void *backtrace_got[32];
static int backtrace_n;

static int64_t fake_read(void)
{
	reads++;
	return mem;
}

/* A watch on `counter` alone, then the figure `mem`. */
static bool watch_on(int64_t *counter, struct mp_watch *w, int64_t *m)
{
	if (backtrace_wanted) {
		backtrace_wanted = false;
		backtrace_n = backtrace(backtrace_got, 32);
	}
	w->c = (const volatile uint64_t *)counter;
	w->s = (uint64_t)*counter;
	*m = mem;
	return true;
}

/* The figure is its own change counter. */
static bool fake_watch(struct mp_watch *w, int64_t *m)
{
	return watch_on(&mem, w, m);
}

static const struct mp_backend fake = { "fake", NULL, fake_read, NULL,
					fake_watch, NULL };

/* The same figure without a watch: every line event calls. */
static const struct mp_backend unwatched = { "unwatched", NULL, fake_read,
					     NULL, NULL, NULL };

/* A function descriptor with n sites on lines first, first+1, ... */
#define FUNC(id, first, n)						\
	static struct __mprof_func id;					\
	static struct __mprof_site id##_s[n]				\
		__attribute__((aligned(MPROF_SITE_ALIGN)));		\
	static int32_t id##_l[n];					\
	static struct __mprof_func id = {				\
		.version = MPROF_ABI_VERSION, .nsites = n,		\
		.file = #id ".c", .dir = "/src", .name = #id,		\
		.first_line = first, .last_line = first + n,		\
		.sites = id##_s, .lines = id##_l }

static void setup_func(struct __mprof_func *f)
{
	int32_t *lines = (int32_t *)f->lines;
	uint32_t i;

	for (i = 0; i < f->nsites; i++) {
		f->sites[i].func = f;
		lines[i] = f->first_line + (int32_t)i;
	}
}

#define S(id, i) (&id##_s[i])

/* What the report would show for site `s`: its counts in every thread. */
static struct __mprof_site total(const struct __mprof_site *s)
{
	const struct __mprof_func *f = s->func;
	struct __mprof_site into[16];
	struct mp_gather g;

	assert_true(f->nsites <= 16);
	assert_int_equal(mp_counts_gather(&g), 0);
	mp_registry_totals(&g, f, into);
	mp_counts_ungather(&g);
	return into[s - f->sites];
}

static void assert_site(const struct __mprof_site *s, uint64_t count,
			int64_t incr, int64_t peak)
{
	struct __mprof_site t = total(s);

	assert_int_equal(t.count, count);
	assert_int_equal(t.incr, incr);
	assert_int_equal(t.peak, peak);
}

/* ---- signature row ----------------------------------------------------- */

FUNC(sig, 10, 2);

static NOINLINE void run_sig(int64_t at_entry)
{
	struct __mprof_frame *mpf;

	mem = at_entry;
	mpf = __mprof_enter(S(sig, 0));
	LINE(S(sig, 1), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/* The signature row counts calls, keeps the largest entry figure and the
 * first entry's figure as its increment. */
static void test_signature_row(void **state)
{
	(void)state;
	setup_func(&sig);
	run_sig(100);
	run_sig(300);
	run_sig(200);
	assert_site(S(sig, 0), 3, 100, 300);
	assert_site(S(sig, 1), 3, 0, 300);
}

/* Statements on the signature line (a one-line function, code after the
 * `{`): what they do goes to the signature row, not its count, so one
 * call's Increment column still sums to the figure at return. */
FUNC(oneline, 12, 2);

static NOINLINE void run_oneline(void)
{
	struct __mprof_frame *mpf;

	mem = 100;
	mpf = __mprof_enter(S(oneline, 0));
	mem = 700;			/* the signature line's own statement */
	LINE(S(oneline, 1), mpf);
	mem = 900;
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_oneline_only(void)
{
	struct __mprof_frame *mpf;

	mem = 900;
	mpf = __mprof_enter(S(oneline, 0));
	mem = 1000;			/* a one-line function: no line event */
	__mprof_exit(mpf);
	NO_TAIL();
}

static void test_signature_line_statements(void **state)
{
	(void)state;
	setup_func(&oneline);
	run_oneline();
	assert_site(S(oneline, 0), 1, 100 + 600, 700);
	assert_site(S(oneline, 1), 1, 200, 900);
	assert_int_equal(oneline_s[0].incr + oneline_s[1].incr, 900);
	run_oneline_only();
	assert_site(S(oneline, 0), 2, 700 + 100, 1000);
}

/* ---- straight-line function --------------------------------------------- */

FUNC(straight, 20, 4);

static NOINLINE void run_straight(void)
{
	struct __mprof_frame *mpf;

	mem = 1000;
	mpf = __mprof_enter(S(straight, 0));
	LINE(S(straight, 1), mpf);
	mem = 1500;
	LINE(S(straight, 2), mpf);
	mem = 1200;
	LINE(S(straight, 3), mpf);
	mem = 4000;
	__mprof_exit(mpf);
	NO_TAIL();
}

/* Each line is charged its own change; for one call the increments sum to
 * the figure at return. */
static void test_straight_line(void **state)
{
	int64_t sum = 0;
	uint32_t i;

	(void)state;
	setup_func(&straight);
	run_straight();
	assert_site(S(straight, 0), 1, 1000, 1000);
	assert_site(S(straight, 1), 1, 500, 1500);
	assert_site(S(straight, 2), 1, -300, 1200);
	assert_site(S(straight, 3), 1, 2800, 4000);
	for (i = 0; i < straight.nsites; i++)
		sum += straight_s[i].incr;
	assert_int_equal(sum, 4000);
}

/* ---- loop ------------------------------------------------------------------ */

FUNC(loop, 30, 4);		/* 31: for header, 32: body, 33: after */

static NOINLINE void run_loop(int n)
{
	struct __mprof_frame *mpf;
	int i;

	mem = 0;
	mpf = __mprof_enter(S(loop, 0));
	LINE(S(loop, 1), mpf);
	for (i = 0; i < n; i++) {
		LINE(S(loop, 2), mpf);
		mem += 10;
		LINE(S(loop, 1), mpf);
	}
	LINE(S(loop, 3), mpf);
	mem += 5;
	__mprof_exit(mpf);
	NO_TAIL();
}

/* A loop run n times: header n+1, body n; the body is charged exactly its
 * own growth each time, never a previous line's maximum. */
static void test_loop(void **state)
{
	(void)state;
	setup_func(&loop);
	run_loop(7);
	assert_site(S(loop, 0), 1, 0, 0);
	assert_site(S(loop, 1), 8, 0, 70);
	assert_site(S(loop, 2), 7, 70, 70);
	assert_site(S(loop, 3), 1, 5, 75);
}

/* ---- nested calls ------------------------------------------------------ */

FUNC(caller, 40, 3);
FUNC(callee, 50, 3);

static NOINLINE void run_callee(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(callee, 0));
	LINE(S(callee, 1), mpf);
	mem += 700;
	LINE(S(callee, 2), mpf);
	mem -= 200;
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_caller(void)
{
	struct __mprof_frame *mpf;

	mem = 100;
	mpf = __mprof_enter(S(caller, 0));
	LINE(S(caller, 1), mpf);
	run_callee();
	LINE(S(caller, 2), mpf);
	mem += 1;
	__mprof_exit(mpf);
	NO_TAIL();
}

/* A line that calls a profiled function is charged what the whole call
 * changed; the callee keeps its own rows. */
static void test_nested_call(void **state)
{
	(void)state;
	setup_func(&caller);
	setup_func(&callee);
	run_caller();
	assert_site(S(caller, 1), 1, 500, 600);
	assert_site(S(caller, 2), 1, 1, 601);
	assert_site(S(callee, 0), 1, 100, 100);
	assert_site(S(callee, 1), 1, 700, 800);
	assert_site(S(callee, 2), 1, -200, 600);
	assert_int_equal(mp_probe_depth(), 0);
}

FUNC(plain, 220, 2);

static NOINLINE void run_callee_plain(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(plain, 0));
	LINE(S(plain, 1), mpf);
	mem += 2;
	__mprof_exit(mpf);
	NO_TAIL();
}

/* ---- recursion ------------------------------------------------------------ */

FUNC(rec, 60, 4);		/* 61: test, 62: recurse, 63: return */

static NOINLINE void run_rec(int n)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(rec, 0));
	LINE(S(rec, 1), mpf);
	if (n > 0) {
		LINE(S(rec, 2), mpf);
		mem += 100;
		run_rec(n - 1);
	}
	LINE(S(rec, 3), mpf);
	__mprof_exit(mpf);
}

/* Recursive activations add into one table; each recursing line is
 * charged what its whole inner call changed. */
static void test_recursion(void **state)
{
	(void)state;
	setup_func(&rec);
	mem = 1000;
	run_rec(3);
	assert_site(S(rec, 0), 4, 1000, 1300);
	assert_site(S(rec, 1), 4, 0, 1300);
	assert_site(S(rec, 2), 3, 300 + 200 + 100, 1300);
	assert_site(S(rec, 3), 4, 0, 1300);
	assert_int_equal(mp_probe_depth(), 0);
}

/* ---- longjmp ---------------------------------------------------------------- */

FUNC(outer, 70, 4);		/* 71: setjmp, 72: call, 73: after longjmp */
FUNC(middle, 80, 2);
FUNC(inner, 90, 2);

static jmp_buf jump;
static size_t depth_in_inner;

static NOINLINE void run_inner(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(inner, 0));
	LINE(S(inner, 1), mpf);
	mem += 50;
	depth_in_inner = mp_probe_depth();
	longjmp(jump, 1);
}

static NOINLINE void run_middle(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(middle, 0));
	LINE(S(middle, 1), mpf);
	mem += 20;
	run_inner();
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_outer(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(outer, 0));
	LINE(S(outer, 1), mpf);
	if (!setjmp(jump)) {
		LINE(S(outer, 2), mpf);
		run_middle();
	}
	LINE(S(outer, 3), mpf);
	mem += 5;
	__mprof_exit(mpf);
	NO_TAIL();
}

/* longjmp skips two exit probes: the next line event of the frame that
 * remains pops them, charging their last lines as if they had returned,
 * and the stack is back to the right depth. */
static void test_longjmp_resync(void **state)
{
	size_t base = mp_probe_depth();

	(void)state;
	setup_func(&outer);
	setup_func(&middle);
	setup_func(&inner);
	mem = 0;
	run_outer();
	assert_int_equal(depth_in_inner, base + 3);
	assert_int_equal(mp_probe_depth(), base);
	assert_site(S(inner, 1), 1, 50, 70);
	assert_site(S(middle, 1), 1, 70, 70);
	assert_site(S(middle, 0), 1, 0, 0);
	assert_site(S(outer, 2), 1, 70, 70);
	assert_site(S(outer, 3), 1, 5, 75);
}

/* ---- longjmp out of recursion -------------------------------------------------- */

FUNC(rj, 200, 4);		/* 201: test, 202: recurse, 203: after */
static jmp_buf jump_rec;

static NOINLINE void run_rj(int n)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(rj, 0));
	LINE(S(rj, 1), mpf);
	if (n == 2 && setjmp(jump_rec)) {
		LINE(S(rj, 3), mpf);
		__mprof_exit(mpf);
		NO_TAIL();
		return;
	}
	if (n == 0) {
		mem += 7;
		longjmp(jump_rec, 1);
	}
	LINE(S(rj, 2), mpf);
	mem += 10;
	run_rj(n - 1);
	LINE(S(rj, 3), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/* longjmp from a recursive function to an outer activation of itself:
 * the deeper activations are told apart by their records. */
static void test_longjmp_recursion(void **state)
{
	size_t base = mp_probe_depth();
	uint64_t dropped = mp_probe_dropped();

	(void)state;
	setup_func(&rj);
	mem = 0;
	run_rj(2);
	assert_int_equal(mp_probe_depth(), base);
	assert_int_equal(mp_probe_dropped(), dropped);
	assert_site(S(rj, 0), 3, 0, 20);
	assert_site(S(rj, 1), 3, 7, 27);
	assert_site(S(rj, 2), 2, 17 + 27, 27);
	assert_site(S(rj, 3), 1, 0, 27);
}

/* ---- exit as a sibling call ------------------------------------------------- */

FUNC(tail, 100, 2);

static NOINLINE void run_tail(int n)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(tail, 0));
	LINE(S(tail, 1), mpf);
	mem += 1;
	if (n > 0) {
		run_tail(n - 1);
		mem += 10;
	}
	__mprof_exit(mpf);	/* a jmp at -O2 */
}

/* An exit probe reached by a jump pops its own frame, not the caller's,
 * even when the caller is the same function. */
static void test_tail_exit(void **state)
{
	size_t base = mp_probe_depth();
	uint64_t dropped = mp_probe_dropped();

	(void)state;
	setup_func(&tail);
	mem = 0;
	run_tail(4);
	assert_int_equal(mp_probe_depth(), base);
	assert_int_equal(mp_probe_dropped(), dropped);
	assert_site(S(tail, 0), 5, 0, 4);
	assert_site(S(tail, 1), 5, 1 + 12 + 23 + 34 + 45, 45);
}

/* ---- alloca ----------------------------------------------------------------- */

FUNC(dynamic, 210, 3);

static NOINLINE void run_dynamic(size_t n)
{
	struct __mprof_frame *mpf;
	char *volatile p;

	mpf = __mprof_enter(S(dynamic, 0));
	LINE(S(dynamic, 1), mpf);
	p = __builtin_alloca(n);
	p[0] = 1;
	mem += 3;
	LINE(S(dynamic, 2), mpf);
	run_callee_plain();
	__mprof_exit(mpf);
	NO_TAIL();
}

/* A function whose stack pointer moves down (alloca, VLA) after entry
 * keeps its frame: its later events are still its own. */
static void test_alloca_frame(void **state)
{
	size_t base = mp_probe_depth();
	uint64_t dropped = mp_probe_dropped();

	(void)state;
	setup_func(&dynamic);
	setup_func(&plain);
	mem = 0;
	run_dynamic(4096);
	assert_int_equal(mp_probe_depth(), base);
	assert_int_equal(mp_probe_dropped(), dropped);
	assert_site(S(dynamic, 1), 1, 3, 3);
	assert_site(S(dynamic, 2), 1, 2, 5);
	assert_site(S(plain, 0), 1, 3, 3);
}

/* ---- the inline line event (ABI 4) ------------------------------------------ */

static unsigned long line_calls;	/* line events that called the runtime */

static void counted_line(struct __mprof_site *s, struct __mprof_frame *f)
{
	line_calls++;
	__mprof_line(s, f);
}

/* The plugin's line event, counting the calls it makes. */
#define CLINE(s, f) mp_inline_line((s), (f), counted_line)

FUNC(quiet, 300, 3);		/* 301: loop, 302: body */
FUNC(loud, 305, 3);		/* the same, under a backend with no watch */

static NOINLINE void run_quiet(struct __mprof_site *q, int n, int64_t grow_at)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(&q[0]);
	for (int i = 0; i < n; i++) {
		CLINE(&q[1], mpf);
		CLINE(&q[2], mpf);
		if (i == grow_at)
			mem += 50;
	}
	__mprof_exit(mpf);
	NO_TAIL();
}

/* While the figure does not change, line events make no call and still
 * count every occurrence and raise Mem usage to the frame's figure; the
 * first event after a change calls and charges the increment to the line
 * left; the signature row counts calls only (the first line event is
 * counted in the scratch slot). */
static void test_quiet_events(void **state)
{
	(void)state;
	setup_func(&quiet);
	mem = 100;
	line_calls = 0;
	run_quiet(quiet_s, 10, -1);
	assert_int_equal(line_calls, 0);
	assert_site(S(quiet, 0), 1, 100, 100);
	assert_site(S(quiet, 1), 10, 0, 100);
	assert_site(S(quiet, 2), 10, 0, 100);
	run_quiet(quiet_s, 10, 3);
	assert_int_equal(line_calls, 1);
	assert_site(S(quiet, 0), 2, 100, 100);
	assert_site(S(quiet, 1), 20, 0, 150);
	assert_site(S(quiet, 2), 20, 50, 150);
	assert_int_equal(mp_probe_depth(), 0);
}

/* ---- quiet calls (ABI 4) -------------------------------------------------- */

FUNC(qcaller, 310, 3);		/* 311: loop, 312: the call */
FUNC(qleaf, 315, 1);		/* a one-line function */
FUNC(rcaller, 320, 3);		/* the same with real calls */
FUNC(rleaf, 325, 1);

static unsigned long quiet_exits;

static void counted_quiet_exit(struct __mprof_frame *g, struct __mprof_site *s0,
			       struct __mprof_frame *f)
{
	quiet_exits += !g;
	__mprof_quiet_exit(g, s0, f);
}

/* The caller's loop calls the leaf n times; on iteration grow_at the
 * leaf's body adds 30 to the figure, on shrink_at its caller's line
 * takes 20 back before the call.  quiet: the leaf is entered and left as
 * the plugin's code does for an inlined one-line function, else with
 * enter() and exit() as a call would. */
static NOINLINE void run_leaf(struct __mprof_site *c, struct __mprof_site *l,
			      bool quiet, int n, int grow_at, int shrink_at)
{
	struct __mprof_frame *mpf, *g;

	mpf = __mprof_enter(&c[0]);
	for (int i = 0; i < n; i++) {
		CLINE(&c[1], mpf);
		CLINE(&c[2], mpf);
		if (i == shrink_at)
			mem -= 20;
		g = quiet ? mp_inline_quiet_enter(&l[0], mpf, __mprof_enter)
			  : __mprof_enter(&l[0]);
		if (i == grow_at)
			mem += 30;
		if (quiet)
			mp_inline_quiet_exit(g, &l[0], mpf,
					     counted_quiet_exit);
		else
			__mprof_exit(g);
	}
	__mprof_exit(mpf);
	NO_TAIL();
}

/* A quiet call gives every row what the real call gives: the call
 * counted, Mem usage raised, nothing charged while the figure holds; a
 * change inside it charged to its row by quiet_exit() and to the
 * caller's line at the caller's next event; a change just before it
 * makes it a real call.  And it calls the runtime only then. */
static void test_quiet_calls(void **state)
{
	uint64_t dropped = mp_probe_dropped();

	(void)state;
	setup_func(&qcaller);
	setup_func(&qleaf);
	setup_func(&rcaller);
	setup_func(&rleaf);
	for (int round = 0; round < 2; round++) {
		mem = 100;
		run_leaf(rcaller_s, rleaf_s, false, 6, 2, 4);
		mem = 100;
		line_calls = 0;
		quiet_exits = 0;
		run_leaf(qcaller_s, qleaf_s, true, 6, 2, 4);
		/* The first call of the leaf registers it (enter()), then:
		   the growth's quiet_exit, the caller's next line, the line
		   after the shrink; the call after the shrink is real. */
		assert_int_equal(quiet_exits, 1);
		assert_int_equal(line_calls, 2);
		for (int i = 0; i < 3; i++) {
			struct __mprof_site q = total(S(qcaller, i));
			struct __mprof_site r = total(S(rcaller, i));

			assert_int_equal(q.count, r.count);
			assert_int_equal(q.incr, r.incr);
			assert_int_equal(q.peak, r.peak);
		}
		struct __mprof_site q = total(S(qleaf, 0));
		struct __mprof_site r = total(S(rleaf, 0));

		assert_int_equal(q.count, r.count);
		assert_int_equal(q.incr, r.incr);
		assert_int_equal(q.peak, r.peak);
		assert_int_equal(q.count, 6 * (round + 1));
	}
	assert_site(S(qleaf, 0), 12, 100 + 30 + 30, 130);
	assert_site(S(qcaller, 2), 12, 2 * (30 - 20), 130);
	assert_int_equal(mp_probe_depth(), 0);
	assert_int_equal(mp_probe_dropped(), dropped);
}

/* ---- local frames (ABI 5) ------------------------------------------------- */

FUNC(fcaller, 330, 3);		/* 331: loop, 332: the call */
FUNC(fmid, 335, 4);		/* 336, 337: the nested call, 338: a real one */
FUNC(finner, 340, 3);		/* 341, 342 */
FUNC(fleaf, 345, 2);		/* 346 */
FUNC(rcaller2, 350, 3);		/* the same, every call entered */
FUNC(rmid, 355, 4);
FUNC(rinner, 360, 3);
FUNC(rleaf2, 365, 2);

static struct __mprof_site frame_scratch;	/* the unit's, in the plugin */

static unsigned long frame_calls;	/* quiet_exit() calls of a frame */

static void counted_frame_exit(struct __mprof_frame *g, struct __mprof_site *s0,
			       struct __mprof_frame *x)
{
	frame_calls++;
	__mprof_quiet_exit(g, s0, x);
}

/* When the figure moves, by how much (0: never). */
struct moves {
	int at;				/* on this iteration */
	int64_t mid, inner, last, leaf, caller;
};

/*
 * The caller's loop calls `mid`, inlined, which calls `inner`, inlined
 * below it, then `leaf`, a real call.  local: the inlined calls run in
 * local frames as the plugin's code runs them, else they are entered and
 * left with enter() and exit(); the figure moves on iteration mv->at:
 * in mid's first line, inner's first line, inner's last line (found by
 * its exit), the leaf, and the caller's line before the call.
 */
static NOINLINE void run_frames(struct __mprof_site *c, struct __mprof_site *m,
				struct __mprof_site *in, struct __mprof_site *lf,
				bool local, int n, const struct moves *mv)
{
	struct __mprof_frame *mpf, *g, *h, *k;

	mpf = __mprof_enter(&c[0]);
	for (int i = 0; i < n; i++) {
		bool now = i == mv->at;

		CLINE(&c[1], mpf);
		CLINE(&c[2], mpf);
		if (now)
			mem += mv->caller;
		g = local ? mp_inline_frame_enter(&m[0], mpf, &frame_scratch,
						  __mprof_enter)
			  : __mprof_enter(&m[0]);
		CLINE(&m[1], g);
		if (now)
			mem += mv->mid;
		CLINE(&m[2], g);
		h = local ? mp_inline_frame_enter(&in[0], g, &frame_scratch,
						  __mprof_enter)
			  : __mprof_enter(&in[0]);
		CLINE(&in[1], h);
		if (now)
			mem += mv->inner;
		CLINE(&in[2], h);
		if (now)
			mem += mv->last;
		if (local)
			mp_inline_frame_exit(h, &in[0], g, counted_frame_exit);
		else
			__mprof_exit(h);
		CLINE(&m[3], g);
		k = __mprof_enter(&lf[0]);
		CLINE(&lf[1], k);
		if (now)
			mem += mv->leaf;
		__mprof_exit(k);
		if (local)
			mp_inline_frame_exit(g, &m[0], mpf, counted_frame_exit);
		else
			__mprof_exit(g);
	}
	__mprof_exit(mpf);
	NO_TAIL();
}

static void assert_same_rows(const struct __mprof_func *a,
			     const struct __mprof_func *b)
{
	assert_int_equal(a->nsites, b->nsites);
	for (uint32_t i = 0; i < a->nsites; i++) {
		struct __mprof_site x = total(&a->sites[i]);
		struct __mprof_site y = total(&b->sites[i]);

		if (x.count != y.count || x.incr != y.incr || x.peak != y.peak)
			print_error("%s line %d: %llu %lld %lld against %s's "
				    "%llu %lld %lld\n", a->name,
				    a->lines[i],
				    (unsigned long long)x.count,
				    (long long)x.incr, (long long)x.peak,
				    b->name, (unsigned long long)y.count,
				    (long long)y.incr, (long long)y.peak);
		assert_int_equal(x.count, y.count);
		assert_int_equal(x.incr, y.incr);
		assert_int_equal(x.peak, y.peak);
	}
}

/* Calls in local frames give every row what entered calls give, wherever
 * the figure moves: in a frame's line (found by its next inline event,
 * which has the runtime adopt the frames), in a nested frame's last line
 * (found by its exit), below a frame in a real call, or before the call
 * (then the frame's entry calls enter()).  And they call the runtime only
 * then, or when a real call below adopted the frame. */
static void test_local_frames(void **state)
{
	static const struct moves moves[] = {
		{ -1, 0, 0, 0, 0, 0 },	/* nothing moves */
		{ 2, 7, 0, 0, 0, 0 },	{ 3, 0, 11, 0, 0, 0 },
		{ 1, 0, 0, 13, 0, 0 },	{ 4, 0, 0, 0, 17, 0 },
		{ 2, 0, 0, 0, 0, 19 },	{ 3, 5, -3, 2, 40, -9 },
	};
	uint64_t dropped = mp_probe_dropped();
	size_t depth = mp_probe_depth();

	(void)state;
	setup_func(&fcaller);
	setup_func(&fmid);
	setup_func(&finner);
	setup_func(&fleaf);
	setup_func(&rcaller2);
	setup_func(&rmid);
	setup_func(&rinner);
	setup_func(&rleaf2);
	for (size_t t = 0; t < sizeof(moves) / sizeof(moves[0]); t++) {
		mem = 100;
		run_frames(rcaller2_s, rmid_s, rinner_s, rleaf2_s, false, 6,
			   &moves[t]);
		mem = 100;
		line_calls = 0;
		frame_calls = 0;
		run_frames(fcaller_s, fmid_s, finner_s, fleaf_s, true, 6,
			   &moves[t]);
		assert_same_rows(&fcaller, &rcaller2);
		assert_same_rows(&fmid, &rmid);
		assert_same_rows(&finner, &rinner);
		assert_same_rows(&fleaf, &rleaf2);
		assert_int_equal(mp_probe_depth(), depth);
	}
	/* A round where nothing moves, after the first (which registers
	   the functions: their first entries call): no line event calls;
	   inner's exit is inline, mid's calls (the leaf's entry adopted its
	   frame: it is a record of the runtime by then). */
	mem = 100;
	line_calls = 0;
	frame_calls = 0;
	run_frames(fcaller_s, fmid_s, finner_s, fleaf_s, true, 6, &moves[0]);
	assert_int_equal(line_calls, 0);
	assert_int_equal(frame_calls, 6);
	/* 8 runs of 6 iterations, each entering mid and inner once. */
	assert_int_equal(total(S(fmid, 0)).count, 48);
	assert_int_equal(total(S(finner, 2)).count, 48);
	assert_int_equal(mp_probe_dropped(), dropped);
}

FUNC(lfcaller, 370, 4);		/* 371: setjmp, 372: the call, 373: after */
FUNC(lfmid, 375, 3);		/* 376, 377: the call that jumps */
FUNC(lfleaf, 380, 2);		/* 381: longjmp */
FUNC(rlfcaller, 385, 4);		/* the same, every call entered */
FUNC(rlfmid, 390, 3);
FUNC(rlfleaf, 395, 2);

static jmp_buf frame_jump;

static NOINLINE void run_lfleaf(struct __mprof_site *j, int64_t grow)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(&j[0]);
	LINE(&j[1], mpf);
	mem += grow;
	longjmp(frame_jump, 1);
}

/* longjmp from below a local frame (mid, inlined into the caller) back
 * into the caller's function: the caller's next event finds the frame
 * still marked above it, adopts it and pops it with the leaf, charging
 * their lines as entered calls' would be.  With `grow` 0 nothing moved:
 * the frame's watch held to the jump. */
static NOINLINE void run_jump(struct __mprof_site *c, struct __mprof_site *m,
			      struct __mprof_site *j, bool local, int64_t grow,
			      int64_t in_mid)
{
	struct __mprof_frame *mpf, *g;

	mpf = __mprof_enter(&c[0]);
	LINE(&c[1], mpf);
	if (!setjmp(frame_jump)) {
		LINE(&c[2], mpf);
		g = local ? mp_inline_frame_enter(&m[0], mpf, &frame_scratch,
						  __mprof_enter)
			  : __mprof_enter(&m[0]);
		LINE(&m[1], g);
		mem += in_mid;
		LINE(&m[2], g);
		run_lfleaf(j, grow);
	}
	LINE(&c[3], mpf);
	mem += 1;
	__mprof_exit(mpf);
	NO_TAIL();
}

static void test_local_frame_longjmp(void **state)
{
	static const int64_t grows[][2] = { { 0, 0 }, { 0, 0 }, { 30, 0 },
					    { 0, 12 }, { 8, 4 } };
	uint64_t dropped = mp_probe_dropped();
	size_t depth = mp_probe_depth();

	(void)state;
	setup_func(&lfcaller);
	setup_func(&lfmid);
	setup_func(&lfleaf);
	setup_func(&rlfcaller);
	setup_func(&rlfmid);
	setup_func(&rlfleaf);
	for (size_t t = 0; t < sizeof(grows) / sizeof(grows[0]); t++) {
		mem = 100;
		run_jump(rlfcaller_s, rlfmid_s, rlfleaf_s, false, grows[t][0],
			 grows[t][1]);
		mem = 100;
		run_jump(lfcaller_s, lfmid_s, lfleaf_s, true, grows[t][0],
			 grows[t][1]);
		assert_same_rows(&lfcaller, &rlfcaller);
		assert_same_rows(&lfmid, &rlfmid);
		assert_same_rows(&lfleaf, &rlfleaf);
		assert_int_equal(mp_probe_depth(), depth);
	}
	assert_int_equal(total(S(lfmid, 2)).count, 5);
	assert_int_equal(mp_probe_dropped(), dropped);
}

/* Without a watch (a backend with no change counter) every line event
 * calls, and the counts are the same. */
static void test_unwatched_backend(void **state)
{
	(void)state;
	setup_func(&loud);
	assert_int_equal(mp_backend_set(&unwatched), 0);
	mem = 100;
	line_calls = 0;
	run_quiet(loud_s, 10, 3);
	assert_int_equal(mp_backend_set(&fake), 0);
	assert_int_equal(line_calls, 20);
	assert_site(S(loud, 1), 10, 0, 150);
	assert_site(S(loud, 2), 10, 50, 150);
}

/* An exit whose watch still holds charges its line without reading the
 * figure: with the figure unchanged, a call reads nothing but its watch. */
static void test_exit_without_read(void **state)
{
	(void)state;
	mem = 100;
	reads = 0;
	line_calls = 0;
	run_quiet(quiet_s, 3, -1);
	assert_int_equal(reads, 0);
	assert_int_equal(line_calls, 0);
	assert_site(S(quiet, 0), 3, 100, 100);
	assert_site(S(quiet, 2), 23, 50, 150);
}

/*
 * A backend whose lines are charged from the thread's own figure (as the
 * heap's net bytes per thread): `own` is the change counter and what
 * Increments take, `mem` the process-wide figure Mem usage shows.
 */
static __thread int64_t own;

static int64_t split_own(void)
{
	return own;
}

static bool split_watch(struct mp_watch *w, int64_t *m)
{
	return watch_on(&own, w, m);
}

static const struct mp_backend split = { "split", NULL, fake_read, NULL,
					 split_watch, split_own };

FUNC(mine, 330, 5);		/* 331..334: four lines */

static NOINLINE void run_mine(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(mine, 0));
	CLINE(S(mine, 1), mpf);
	own += 10;			/* this thread allocates */
	mem += 60;			/* and another one 50 */
	CLINE(S(mine, 2), mpf);
	mem += 40;			/* another thread only */
	CLINE(S(mine, 3), mpf);
	own -= 10;
	mem -= 10;
	CLINE(S(mine, 4), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * Increments come from the thread's own figure, Mem usage from the
 * process-wide one as the thread last read it: another thread's change
 * sends no event to the runtime and charges no line of this thread.
 */
static void test_own_figure(void **state)
{
	(void)state;
	setup_func(&mine);
	assert_int_equal(mp_backend_set(&split), 0);
	mem = 100;
	own = 0;
	line_calls = 0;
	run_mine();
	assert_int_equal(mp_backend_set(&fake), 0);
	assert_int_equal(line_calls, 2);
	assert_site(S(mine, 0), 1, 100, 100);
	assert_site(S(mine, 1), 1, 10, 160);
	assert_site(S(mine, 2), 1, 0, 160);
	assert_site(S(mine, 3), 1, -10, 190);
	assert_site(S(mine, 4), 1, 0, 190);
}

FUNC(host, 310, 3);
FUNC(guest, 320, 2);

static uint64_t host_seen_in_guest;

static NOINLINE void run_guest(struct __mprof_frame *host_rec)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(guest, 0));
	host_seen_in_guest = host_rec->seen;
	CLINE(S(guest, 1), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_host(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(host, 0));
	CLINE(S(host, 1), mpf);
	run_guest(mpf);
	CLINE(S(host, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/* A call invalidates its caller's record (its next event would call) and
 * the callee's exit restores it: with no change, no event calls. */
static void test_caller_invalidated(void **state)
{
	(void)state;
	setup_func(&host);
	setup_func(&guest);
	mem = 7;
	line_calls = 0;
	run_host();
	assert_int_equal(host_seen_in_guest, MPROF_SEEN_NEVER);
	assert_int_equal(line_calls, 0);
	assert_site(S(host, 1), 1, 0, 7);
	assert_site(S(host, 2), 1, 0, 7);
	assert_site(S(guest, 1), 1, 0, 7);
	assert_int_equal(mp_probe_depth(), 0);
}

static unsigned long watches;		/* counted_watch() calls */

static bool counted_watch(struct mp_watch *w, int64_t *m)
{
	watches++;
	return watch_on(&mem, w, m);
}

/* The fake, counting the watches the probes take. */
static const struct mp_backend counting = { "counting", NULL, fake_read,
					    NULL, counted_watch, NULL };

FUNC(lender, 350, 3);		/* 351: may grow, 352: after the call */
FUNC(borrower, 360, 2);

static NOINLINE void run_borrower(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(borrower, 0));
	CLINE(S(borrower, 1), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_lender(int64_t grow)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(lender, 0));
	CLINE(S(lender, 1), mpf);
	mem += grow;
	run_borrower();
	CLINE(S(lender, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * In a one-thread process, an entry below a caller whose watch still
 * holds takes the caller's watch and figures instead of reading: the
 * call reads nothing, and its rows are what a read would have given.
 * After a change the entry reads the new figure.
 */
static void test_entry_borrows_watch(void **state)
{
	(void)state;
	if (!mp_solo())
		skip();
	setup_func(&lender);
	setup_func(&borrower);
	assert_int_equal(mp_backend_set(&counting), 0);
	mem = 100;
	watches = 0;
	line_calls = 0;
	run_lender(0);
	assert_int_equal(watches, 1);
	assert_int_equal(line_calls, 0);
	run_lender(30);
	assert_int_equal(watches, 4);
	assert_int_equal(line_calls, 1);
	assert_int_equal(mp_backend_set(&fake), 0);
	assert_site(S(lender, 0), 2, 100, 100);
	assert_site(S(lender, 1), 2, 30, 130);
	assert_site(S(lender, 2), 2, 0, 130);
	assert_site(S(borrower, 0), 2, 100, 130);
	assert_site(S(borrower, 1), 2, 0, 130);
	assert_int_equal(mp_probe_depth(), 0);
}

FUNC(called, 365, 3);		/* 366: loop, 367: body; every event a call */

static NOINLINE void run_called(int n, int64_t grow_at)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(called, 0));
	for (int i = 0; i < n; i++) {
		__mprof_line(S(called, 1), mpf);
		__mprof_line(S(called, 2), mpf);
		if (i == grow_at)
			mem += 50;
	}
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * Line events the plugin leaves calls (every event at -O0, the events of
 * a function past the plugin's bound of inline ones) do in the runtime
 * what the inline event does while the watch holds: no watch, no read.
 * The first event after a change takes a watch and charges the line left.
 * The rows are test_quiet_events', whose events are inline.
 */
/* ---- line_slow: the call from inside an event -------------------------- */

#if defined(__x86_64__)
void mp_line_slow_sse(void);
void mp_line_slow_avx(void);

/* What the event's branch gives line_slow, and what the registers held
   after it. */
struct slow_call {
	void (*slow)(void);		/* 0 */
	struct __mprof_site *site;	/* 8 */
	struct __mprof_frame *f;	/* 16 */
	void *resume;			/* 24 */
	uint64_t gpr[9];		/* 32: rax rcx rdx rsi rdi r8-r11 */
	uint64_t xmm[16][2];		/* 104 */
	uint64_t ymm_high[16][2];	/* 360: with AVX */
};

#define XMM_SET(i)							\
	"movq $" #i "*0x100000000000000+0x0f0f0f0f0f0f0f, %%rax\n\t"	\
	"movq %%rax, %%xmm" #i "\n\t"					\
	"punpcklqdq %%xmm" #i ", %%xmm" #i "\n\t"
#define XMM_GET(i)							\
	"movdqu %%xmm" #i ", 104+16*" #i "(%%rbx)\n\t"
#define YMM_SET(i)							\
	"vinsertf128 $1, %%xmm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
#define YMM_GET(i)							\
	"vextractf128 $1, %%ymm" #i ", 360+16*" #i "(%%rbx)\n\t"
#define ALL16(m)							\
	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11)	\
	m(12) m(13) m(14) m(15)
#define SLOW_CLOBBERS							\
	"rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",	\
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",	\
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",	\
	"xmm15", "memory"

/* The event's branch as the plugin writes it, with a pattern in every
   register line_slow must keep; the resume word is a label other than
   the return address, so a backtrace that names it went by the CFI. */
#define SLOW_CALL(c, set_high, get_high)				\
	__asm__ volatile("leaq 2f(%%rip), %%rax\n\t"			\
			 "movq %%rax, 24(%%rbx)\n\t"			\
			 ALL16(XMM_SET) set_high			\
			 "movq $0x1010101010101010, %%rax\n\t"		\
			 "movq $0x2020202020202020, %%rcx\n\t"		\
			 "movq $0x3030303030303030, %%rdx\n\t"		\
			 "movq $0x4040404040404040, %%rsi\n\t"		\
			 "movq $0x5050505050505050, %%rdi\n\t"		\
			 "movq $0x6060606060606060, %%r8\n\t"		\
			 "movq $0x7070707070707070, %%r9\n\t"		\
			 "movq $0x8080808080808080, %%r10\n\t"		\
			 "movq $0x9090909090909090, %%r11\n\t"		\
			 "leaq -128(%%rsp), %%rsp\n\t"			\
			 "pushq 16(%%rbx)\n\t"				\
			 "pushq 8(%%rbx)\n\t"				\
			 "pushq 24(%%rbx)\n\t"				\
			 "call *(%%rbx)\n\t"				\
			 "leaq 152(%%rsp), %%rsp\n\t"			\
			 "movq %%rax, 32(%%rbx)\n\t"			\
			 "movq %%rcx, 40(%%rbx)\n\t"			\
			 "movq %%rdx, 48(%%rbx)\n\t"			\
			 "movq %%rsi, 56(%%rbx)\n\t"			\
			 "movq %%rdi, 64(%%rbx)\n\t"			\
			 "movq %%r8, 72(%%rbx)\n\t"			\
			 "movq %%r9, 80(%%rbx)\n\t"			\
			 "movq %%r10, 88(%%rbx)\n\t"			\
			 "movq %%r11, 96(%%rbx)\n\t"			\
			 ALL16(XMM_GET) get_high			\
			 "2:"						\
			 : : "b"(c) : SLOW_CLOBBERS)

FUNC(slowcall, 60, 3);

static NOINLINE void run_slow_call(void (*slow)(void), bool avx,
				   struct slow_call *c)
{
	struct __mprof_frame *mpf;

	mem = 100;
	mpf = __mprof_enter(S(slowcall, 0));
	LINE(S(slowcall, 1), mpf);
	mem = 150;			/* the figure moved: a call */
	c->slow = slow;
	c->site = S(slowcall, 2);
	c->f = mpf;
	backtrace_wanted = true;
	if (avx)
		SLOW_CALL(c, ALL16(YMM_SET), ALL16(YMM_GET));
	else
		SLOW_CALL(c, "", "");
	__mprof_exit(mpf);
	NO_TAIL();
}

static void check_slow_call(void (*slow)(void), bool avx, int calls)
{
	static const uint64_t gpr[9] = {
		0x1010101010101010, 0x2020202020202020, 0x3030303030303030,
		0x4040404040404040, 0x5050505050505050, 0x6060606060606060,
		0x7070707070707070, 0x8080808080808080, 0x9090909090909090
	};
	struct slow_call c;
	bool resumed_there = false;
	int i;

	memset(&c, 0, sizeof c);
	backtrace_n = 0;
	run_slow_call(slow, avx, &c);
	for (i = 0; i < 9; i++)
		assert_int_equal(c.gpr[i], gpr[i]);
	for (i = 0; i < 16; i++) {
		uint64_t want = 0x0f0f0f0f0f0f0fULL | (uint64_t)i << 56;

		assert_int_equal(c.xmm[i][0], want);
		assert_int_equal(c.xmm[i][1], want);
		if (avx) {
			assert_int_equal(c.ymm_high[i][0], want);
			assert_int_equal(c.ymm_high[i][1], want);
		}
	}
	/* line 62 reached once per call, charged the 50 bytes of line 61 */
	assert_site(S(slowcall, 1), (uint64_t)calls, 50 * calls, 150);
	assert_site(S(slowcall, 2), (uint64_t)calls, 0, 150);
	assert_true(backtrace_n > 0);
	for (i = 0; i < backtrace_n; i++)
		resumed_there |= backtrace_got[i] == c.resume;
	assert_true(resumed_there);
}
#endif

/* line_slow (runtime/slow.c), called as the plugin's one-asm event calls
 * it: it is line(), every general and vector register (AVX's upper halves
 * too) is kept, and a backtrace from inside the runtime goes through the
 * event's function. */
static void test_line_slow(void **state)
{
	(void)state;
#if defined(__x86_64__)
	struct __mprof_probes tab = { MPROF_ABI_VERSION, 0, NULL, NULL, NULL,
				      NULL, NULL, NULL };
	int calls = 0;

	void *warm[2];

	backtrace(warm, 2);		/* loads the unwinder before the probe */
	setup_func(&slowcall);
	__mprof_bind(&tab);
	assert_true(tab.line_slow == mp_line_slow_sse ||
		    tab.line_slow == mp_line_slow_avx);
	check_slow_call(mp_line_slow_sse, false, ++calls);
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx")) {
		check_slow_call(mp_line_slow_avx, false, ++calls);
		check_slow_call(mp_line_slow_avx, true, ++calls);
	}
#else
	skip();
#endif
}

static void test_called_events(void **state)
{
	(void)state;
	setup_func(&called);
	assert_int_equal(mp_backend_set(&counting), 0);
	mem = 100;
	watches = 0;
	reads = 0;
	run_called(10, -1);
	assert_int_equal(watches, 1);		/* the entry's */
	assert_int_equal(reads, 0);
	run_called(10, 3);
	assert_int_equal(watches, 3);		/* the entry's, the change's */
	assert_int_equal(reads, 0);
	assert_int_equal(mp_backend_set(&fake), 0);
	assert_site(S(called, 0), 2, 100, 100);
	assert_site(S(called, 1), 20, 0, 150);
	assert_site(S(called, 2), 20, 50, 150);
	assert_int_equal(mp_probe_depth(), 0);
}

FUNC(keeper, 390, 2);		/* entered first by a new thread */

static NOINLINE int run_keeper(void)
{
	struct __mprof_frame *mpf;
	int kept;

	errno = 4321;
	mpf = __mprof_enter(S(keeper, 0));
	kept = errno == 4321;
	CLINE(S(keeper, 1), mpf);
	mem += 8;
	CLINE(S(keeper, 1), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
	return kept && errno == 4321;
}

static void *keeper_thread(void *arg)
{
	(void)arg;
	mem = 10;
	return (void *)(intptr_t)run_keeper();
}

/* errno is the program's: a thread's first entry (its stack made, the
 * function registered) and the events after it leave it as they found
 * it. */
static void test_errno_kept(void **state)
{
	pthread_t t;
	void *ok;

	(void)state;
	setup_func(&keeper);
	assert_int_equal(pthread_create(&t, NULL, keeper_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_true(ok != NULL);
	assert_true(run_keeper());
	assert_int_equal(total(S(keeper, 0)).count, 2);
	assert_int_equal(total(S(keeper, 1)).count, 4);
}

FUNC(jhost, 330, 3);		/* 331: setjmp, 332: after */
FUNC(jguest, 340, 2);
static jmp_buf jump_quiet;

static NOINLINE void run_jguest(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(jguest, 0));
	CLINE(S(jguest, 1), mpf);
	longjmp(jump_quiet, 1);
}

static NOINLINE void run_jhost(size_t *depth_after)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(jhost, 0));
	CLINE(S(jhost, 1), mpf);
	if (!setjmp(jump_quiet))
		run_jguest();
	CLINE(S(jhost, 2), mpf);
	*depth_after = mp_probe_depth();
	__mprof_exit(mpf);
	NO_TAIL();
}

/* longjmp with no memory change: the skipped exit left the caller's
 * record invalid, so its next line event calls and pops the dead frame,
 * charging its line as if it had returned. */
static void test_longjmp_quiet(void **state)
{
	size_t base = mp_probe_depth(), after = 0;

	(void)state;
	setup_func(&jhost);
	setup_func(&jguest);
	mem = 11;
	line_calls = 0;
	run_jhost(&after);
	assert_int_equal(line_calls, 1);
	assert_int_equal(after, base + 1);
	assert_int_equal(mp_probe_depth(), base);
	assert_site(S(jguest, 1), 1, 0, 11);
	assert_site(S(jhost, 1), 1, 0, 11);
	assert_site(S(jhost, 2), 1, 0, 11);
}

FUNC(fhost, 370, 3);		/* 371: the call, 372: after */
FUNC(fguest, 380, 3);		/* 381: raises, 382: after */
FUNC(fhandler, 390, 2);

static void on_fast_signal(int sig)
{
	struct __mprof_frame *mpf;

	(void)sig;
	mpf = __mprof_enter(S(fhandler, 0));
	CLINE(S(fhandler, 1), mpf);
	__mprof_exit(mpf);
}

static NOINLINE void run_fguest(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(fguest, 0));
	raise(SIGUSR2);
	CLINE(S(fguest, 1), mpf);
	CLINE(S(fguest, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_fhost(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(fhost, 0));
	CLINE(S(fhost, 1), mpf);
	run_fguest();
	CLINE(S(fhost, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * The short paths of entry and exit (a counted function below a caller
 * whose watch holds, the innermost record leaving unchanged), with a
 * signal handler's profiled call between an entry and its line events:
 * the handler's call stacks on the interrupted one and gives its watch
 * back, so nothing is dropped and no line event calls.
 */
static void test_fast_calls_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_fast_signal }, old;
	uint64_t dropped = mp_probe_dropped();
	size_t base = mp_probe_depth();

	(void)state;
	if (!mp_solo())
		skip();
	setup_func(&fhost);
	setup_func(&fguest);
	setup_func(&fhandler);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	mem = 300;
	run_fhost();			/* first calls: counted, registered */
	line_calls = 0;
	for (int i = 0; i < 3; i++)
		run_fhost();
	sigaction(SIGUSR2, &old, NULL);
	assert_int_equal(line_calls, 0);
	assert_int_equal(mp_probe_dropped(), dropped);
	assert_int_equal(mp_probe_depth(), base);
	assert_site(S(fhost, 0), 4, 300, 300);
	assert_site(S(fhost, 1), 4, 0, 300);
	assert_site(S(fhost, 2), 4, 0, 300);
	assert_site(S(fguest, 0), 4, 300, 300);
	assert_site(S(fguest, 1), 4, 0, 300);
	assert_site(S(fguest, 2), 4, 0, 300);
	assert_site(S(fhandler, 0), 4, 300, 300);
	assert_site(S(fhandler, 1), 4, 0, 300);
}

FUNC(root, 430, 3);		/* 431, 432: two lines */

static NOINLINE void run_root(int64_t at_end)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(root, 0));
	CLINE(S(root, 1), mpf);
	CLINE(S(root, 2), mpf);
	mem += at_end;
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * A profiled function called from code that is not (an annotated
 * build's common case) takes the short paths once counted: the entry
 * reads the figure, the exit, its watch holding, reads nothing; the rows
 * are the general paths' rows.  An exit whose watch failed takes the
 * general path, and the entry after it the short one again.
 */
static void test_fast_root_calls(void **state)
{
	uint64_t general;

	(void)state;
	if (!mp_solo())
		skip();
	assert_int_equal(mp_probe_depth(), 0);
	setup_func(&root);
	mem = 700;
	run_root(0);			/* first call: counted, registered */
	general = mp_probe_general();
	line_calls = 0;
	for (int i = 0; i < 3; i++)
		run_root(0);
	assert_int_equal(mp_probe_general(), general);
	assert_int_equal(line_calls, 0);
	run_root(50);			/* line 432 moves the figure */
	assert_int_equal(mp_probe_general(), general + 1);
	run_root(0);
	assert_int_equal(mp_probe_general(), general + 1);
	assert_int_equal(mp_probe_depth(), 0);
	assert_site(S(root, 0), 6, 700, 750);
	assert_site(S(root, 1), 6, 0, 750);
	assert_site(S(root, 2), 6, 50, 750);
}

FUNC(jtop, 400, 4);		/* 401: setjmp, 402: a call, 403: after */
FUNC(jmid, 410, 2);
FUNC(jleaf, 420, 2);
static jmp_buf jump_fast;

static NOINLINE void run_jleaf(int jump)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(jleaf, 0));
	CLINE(S(jleaf, 1), mpf);
	if (jump)
		longjmp(jump_fast, 1);
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_jmid(int jump)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(jmid, 0));
	CLINE(S(jmid, 1), mpf);
	run_jleaf(jump);
	__mprof_exit(mpf);
	NO_TAIL();
}

static NOINLINE void run_jtop(size_t *depth_after)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(jtop, 0));
	CLINE(S(jtop, 1), mpf);
	if (!setjmp(jump_fast))
		run_jmid(1);
	run_jleaf(0);
	*depth_after = mp_probe_depth();
	CLINE(S(jtop, 3), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/*
 * longjmp over two records entered by the short path, then a call by the
 * same short path: it stacks above the dead records, as any entry does,
 * and returns; the live caller's next line event pops the dead ones,
 * their lines charged as if they had returned.
 */
static void test_fast_calls_longjmp(void **state)
{
	size_t base = mp_probe_depth(), after = 0;

	(void)state;
	if (!mp_solo())
		skip();
	setup_func(&jtop);
	setup_func(&jmid);
	setup_func(&jleaf);
	mem = 500;
	run_jmid(0);			/* first calls: counted, registered */
	line_calls = 0;
	run_jtop(&after);
	assert_int_equal(after, base + 3);
	assert_int_equal(line_calls, 1);
	assert_int_equal(mp_probe_depth(), base);
	assert_site(S(jmid, 0), 2, 500, 500);
	assert_site(S(jmid, 1), 2, 0, 500);
	assert_site(S(jleaf, 0), 3, 500, 500);
	assert_site(S(jleaf, 1), 3, 0, 500);
	assert_site(S(jtop, 1), 1, 0, 500);
	assert_site(S(jtop, 3), 1, 0, 500);
}

FUNC(deep, 350, 3);		/* 351: recurse, 352: after */

#define DEEP	5000

static struct __mprof_frame *deep_rec[DEEP];

static NOINLINE void run_deep(int n)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(deep, 0));
	deep_rec[n] = mpf;
	CLINE(S(deep, 1), mpf);
	if (n + 1 < DEEP) {
		mem += 1;
		run_deep(n + 1);
	}
	/* Every outer record is where its entry put it, and still its own. */
	if (n == DEEP - 1)
		for (int i = 0; i < DEEP; i++)
			assert_int_equal(deep_rec[i]->before, 2000 + i);
	CLINE(S(deep, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

/* Thousands of frames deep, records never move: the program's pointers
 * to them stay valid, and every exit finds its frame. */
static void test_deep_records(void **state)
{
	uint64_t dropped = mp_probe_dropped();

	(void)state;
	setup_func(&deep);
	mem = 2000;
	run_deep(0);
	assert_int_equal(mp_probe_dropped(), dropped);
	assert_int_equal(mp_probe_depth(), 0);
	assert_site(S(deep, 0), DEEP, 2000, 2000 + DEEP - 1);
	assert_site(S(deep, 1), DEEP, (int64_t)DEEP * (DEEP - 1) / 2,
		    2000 + DEEP - 1);
	assert_site(S(deep, 2), DEEP, 0, 2000 + DEEP - 1);
}

/* ---- threads ---------------------------------------------------------------- */

FUNC(shared, 110, 3);

#define CALLS	20000

static NOINLINE void run_shared(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(shared, 0));
	LINE(S(shared, 1), mpf);
	mem += 8;
	LINE(S(shared, 2), mpf);
	mem -= 8;
	__mprof_exit(mpf);
	NO_TAIL();
}

static void *shared_thread(void *arg)
{
	int i;

	(void)arg;
	mem = 4096;
	for (i = 0; i < CALLS; i++)
		run_shared();
	return NULL;
}

/* Two threads run one function: frames are per thread, the table is
 * shared and no update is lost. */
static void test_two_threads(void **state)
{
	pthread_t t[2];
	int i;

	(void)state;
	setup_func(&shared);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, shared_thread, NULL), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_site(S(shared, 0), 2 * CALLS, 4096, 4096);
	assert_site(S(shared, 1), 2 * CALLS, 8 * 2 * CALLS, 4104);
	assert_site(S(shared, 2), 2 * CALLS, -8 * 2 * CALLS, 4096);
}

FUNC(stranger, 125, 3);

static NOINLINE void run_stranger(void)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(S(stranger, 0));
	LINE(S(stranger, 1), mpf);
	LINE(S(stranger, 2), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
}

static int stranger_done;

/* Runs in a thread glibc makes itself (SIGEV_THREAD), not through the
 * pthread_create the runtime wraps. */
static void stranger_thread(union sigval v)
{
	(void)v;
	mem = 64;
	for (int i = 0; i < CALLS; i++)
		run_stranger();
	__atomic_store_n(&stranger_done, 1, __ATOMIC_RELEASE);
}

/* In a forked child (one thread: plain updates), a thread the runtime did
 * not see being created runs the same function as the owner: the switch to
 * atomic updates happens before its first update, and none is lost. */
static int stranger_child(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = stranger_thread };
	struct itimerspec when = { .it_value = { 0, 1000 * 1000 } };
	timer_t timer;
	uint64_t mine = 0;

	if (__atomic_load_n(&mp_solo_state, __ATOMIC_RELAXED) != MP_SOLO_ONE)
		return 1;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) ||
	    timer_settime(timer, 0, &when, NULL))
		return 2;
	mem = 64;
	while (!__atomic_load_n(&stranger_done, __ATOMIC_ACQUIRE) ||
	       mine < CALLS) {
		run_stranger();
		mine++;
	}
	if (__atomic_load_n(&mp_solo_state, __ATOMIC_RELAXED) != MP_SOLO_MANY)
		return 3;
	for (int i = 0; i < 3; i++)
		if (total(&stranger_s[i]).count != CALLS + mine)
			return 10 + i;
	return 0;
}

static void test_stranger_thread(void **state)
{
	int status;
	pid_t pid;

	(void)state;
#ifdef __SANITIZE_THREAD__
	skip();			/* ThreadSanitizer does not see libc's own threads */
#endif
	setup_func(&stranger);
	pid = fork();
	if (pid == 0)
		_exit(stranger_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

FUNC(quitter, 120, 2);

static void *quitter_thread(void *arg)
{
	struct __mprof_frame *mpf;

	(void)arg;
	mem = 10;
	mpf = __mprof_enter(S(quitter, 0));
	LINE(S(quitter, 1), mpf);
	mem = 510;
	pthread_exit(NULL);
}

/* A thread that exits inside a profiled function has its open line
 * charged as if the function returned. */
static void test_thread_exit(void **state)
{
	pthread_t t;

	(void)state;
	setup_func(&quitter);
	assert_int_equal(pthread_create(&t, NULL, quitter_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_site(S(quitter, 1), 1, 500, 510);
}

FUNC(firsts, 200, 2);

static void *firsts_thread(void *arg)
{
	struct __mprof_frame *mpf;

	mem = *(int64_t *)arg;
	mpf = __mprof_enter(S(firsts, 0));
	LINE(S(firsts, 1), mpf);
	mem += 1;
	__mprof_exit(mpf);
	return NULL;
}

/* Threads that count in tables of their own still give the signature row
 * one Increment, the figure at the function's first entry. */
static void test_first_entry_once(void **state)
{
	int64_t at[3] = { 100, 300, 200 };
	pthread_t t;

	(void)state;
	setup_func(&firsts);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&t, NULL, firsts_thread, &at[i]), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	assert_site(S(firsts, 0), 3, 100, 300);
	assert_site(S(firsts, 1), 3, 3, 301);
}

FUNC(brief, 210, 2);

#define BRIEF_THREADS	40

static void *brief_thread(void *arg)
{
	struct __mprof_frame *mpf;

	(void)arg;
	mem = 8;
	mpf = __mprof_enter(S(brief, 0));
	LINE(S(brief, 1), mpf);
	__mprof_exit(mpf);
	return NULL;
}

/* Blocks of `fn` in all the tables. */
static size_t blocks_of(const struct __mprof_func *fn)
{
	struct mp_gather g;
	size_t n = 0;

	assert_int_equal(mp_counts_gather(&g), 0);
	for (size_t i = 0; i < g.n; i++)
		n += __atomic_load_n(&g.v[i]->func, __ATOMIC_RELAXED) == fn;
	mp_counts_ungather(&g);
	return n;
}

/* Many short-lived threads: each exiting thread hands its table to the
 * next one, so memory stays bounded, and no count is lost. */
static void test_short_lived_threads(void **state)
{
	pthread_t t;

	(void)state;
	setup_func(&brief);
	for (int i = 0; i < BRIEF_THREADS; i++) {
		assert_int_equal(pthread_create(&t, NULL, brief_thread, NULL), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	assert_int_equal(blocks_of(&brief), 1);
	assert_site(S(brief, 0), BRIEF_THREADS, 8, 8);
	assert_site(S(brief, 1), BRIEF_THREADS, 0, 8);
}

FUNC(busy, 220, 2);

static int busy_stop;
static int busy_ready;

static void *busy_thread(void *arg)
{
	struct __mprof_frame *mpf;

	(void)arg;
	mem = 16;
	mpf = __mprof_enter(S(busy, 0));
	LINE(S(busy, 1), mpf);
	__mprof_exit(mpf);
	__atomic_store_n(&busy_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&busy_stop, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

/* The counts of a thread still alive (it never returns to the runtime)
 * are in the report, and its table is not handed to another thread. */
static void test_live_thread(void **state)
{
	pthread_t t, u;

	(void)state;
	setup_func(&busy);
	assert_int_equal(pthread_create(&t, NULL, busy_thread, NULL), 0);
	while (!__atomic_load_n(&busy_ready, __ATOMIC_ACQUIRE))
		sched_yield();
	assert_site(S(busy, 1), 1, 0, 16);
	__atomic_store_n(&busy_ready, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&u, NULL, busy_thread, NULL), 0);
	while (!__atomic_load_n(&busy_ready, __ATOMIC_ACQUIRE))
		sched_yield();
	assert_int_equal(blocks_of(&busy), 2);
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(pthread_join(u, NULL), 0);
	assert_site(S(busy, 0), 2, 16, 16);
	assert_site(S(busy, 1), 2, 0, 16);
}

#define MANY_FUNCS	200

static struct __mprof_func many[MANY_FUNCS];
static struct __mprof_site many_s[MANY_FUNCS][2]
	__attribute__((aligned(MPROF_SITE_ALIGN)));
static int32_t many_l[MANY_FUNCS][2];

static NOINLINE void run_many(int k)
{
	struct __mprof_frame *mpf;

	mpf = __mprof_enter(&many_s[k][0]);
	LINE(&many_s[k][1], mpf);
	mem += k;
	__mprof_exit(mpf);
	NO_TAIL();
}

static void *many_thread(void *arg)
{
	(void)arg;
	mem = 0;
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < MANY_FUNCS; k++)
			run_many(k);
	return NULL;
}

/* A thread that runs many functions: its table grows, and every count of
 * every function is kept. */
static void test_many_functions(void **state)
{
	pthread_t t;
	int64_t at = 0;

	(void)state;
	for (int k = 0; k < MANY_FUNCS; k++) {
		many[k] = (struct __mprof_func){
			.version = MPROF_ABI_VERSION, .nsites = 2,
			.file = "many.c", .dir = "/src", .name = "many",
			.first_line = 1000 + 10 * k, .last_line = 1002 + 10 * k,
			.sites = many_s[k], .lines = many_l[k] };
		setup_func(&many[k]);
	}
	assert_int_equal(pthread_create(&t, NULL, many_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int k = 0; k < MANY_FUNCS; k++) {
		/* Mem usage: the entry of the third round. */
		assert_site(&many_s[k][0], 3, at,
			    MANY_FUNCS * (MANY_FUNCS - 1) + at);
		at += k;
	}
	for (int k = 0; k < MANY_FUNCS; k++)
		assert_int_equal(total(&many_s[k][1]).count, 3);
	assert_int_equal(blocks_of(&many[0]), 1);
}

FUNC(tforker, 230, 3);

static void *tforker_thread(void *arg)
{
	struct __mprof_frame *mpf;
	int status, bad;
	pid_t pid;

	(void)arg;
	mem = 64;
	mpf = __mprof_enter(S(tforker, 0));
	LINE(S(tforker, 1), mpf);
	pid = fork();
	if (pid == 0) {
		/* The child's tables start empty too; its frame is live. */
		bad = total(S(tforker, 0)).count != 0 ||
		      total(S(tforker, 1)).count != 0;
		LINE(S(tforker, 2), mpf);
		__mprof_exit(mpf);
		bad |= total(S(tforker, 1)).count != 1 ||
		       total(S(tforker, 2)).count != 1 ||
		       total(S(tforker, 0)).count != 0;
		_exit(bad);
	}
	LINE(S(tforker, 2), mpf);
	__mprof_exit(mpf);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return (void *)1;
	return (void *)(intptr_t)WEXITSTATUS(status);
}

/* A thread that is not the owner forks: the child counts from zero in
 * the table the thread had, the parent keeps its counts. */
static void test_fork_in_thread(void **state)
{
	pthread_t t;
	void *ret;

	(void)state;
	setup_func(&tforker);
	assert_int_equal(pthread_create(&t, NULL, tforker_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_site(S(tforker, 0), 1, 64, 64);
	assert_site(S(tforker, 1), 1, 0, 64);
	assert_site(S(tforker, 2), 1, 0, 64);
}

/* ---- ABI version ------------------------------------------------------------ */

static struct __mprof_frame *not_entered(struct __mprof_site *s)
{
	(void)s;
	return NULL;
}

static void not_called(struct __mprof_site *s, struct __mprof_frame *f)
{
	(void)s;
	(void)f;
}

static void not_left(struct __mprof_frame *f)
{
	(void)f;
}

/* A probe table of another ABI version is left untouched and counted; one
 * of this version gets the runtime's probes. */
static void test_bind_version(void **state)
{
	struct __mprof_probes bad = { MPROF_ABI_VERSION + 41, 0, not_entered,
				      not_called, not_left, NULL, NULL, NULL };
	struct __mprof_probes good = { MPROF_ABI_VERSION, 0, not_entered,
				       not_called, not_left, NULL, NULL, NULL };
	uint32_t version = 0, before = mp_init_abi_mismatches(NULL);

	(void)state;
	__mprof_bind(&bad);
	assert_ptr_equal(bad.enter, not_entered);
	assert_ptr_equal(bad.line, not_called);
	assert_ptr_equal(bad.exit, not_left);
	assert_int_equal(mp_init_abi_mismatches(&version), before + 1);
	assert_int_equal(version, MPROF_ABI_VERSION + 41);

	/* The version whose probes took the CFA: its code has no frame
	 * record, so its tables must keep their no-ops. */
	bad.version = 2;
	__mprof_bind(&bad);
	assert_ptr_equal(bad.line, not_called);
	assert_int_equal(mp_init_abi_mismatches(&version), before + 2);
	assert_int_equal(version, 2);

	__mprof_bind(&good);
	assert_ptr_equal(good.enter, __mprof_enter);
	assert_ptr_equal(good.line, __mprof_line);
	assert_ptr_equal(good.exit, __mprof_exit);
	assert_int_equal(mp_init_abi_mismatches(NULL), before + 2);
}

/* ---- dropped events ----------------------------------------------------------- */

FUNC(orphan, 130, 2);

/* An entry made while the runtime held the probes (its own code ran) gets
 * the dummy record: its events are dropped, counted, and change nothing,
 * even with the figure unchanged. */
static void test_orphan_dropped(void **state)
{
	struct __mprof_frame *mpf;
	uint64_t before = mp_probe_dropped();
	size_t base = mp_probe_depth();
	unsigned held;

	(void)state;
	setup_func(&orphan);
	held = mp_probe_hold();
	mpf = __mprof_enter(S(orphan, 0));
	mp_probe_release(held);
	assert_false(mp_probe_recorded(mpf));
	assert_int_equal(mp_probe_depth(), base);
	LINE(S(orphan, 1), mpf);
	LINE(S(orphan, 1), mpf);
	__mprof_exit(mpf);
	assert_int_equal(mp_probe_dropped(), before + 3);
	assert_site(S(orphan, 1), 0, 0, 0);
	assert_site(S(orphan, 0), 0, 0, 0);
}

FUNC(victim, 140, 2);
FUNC(handler, 150, 2);

static volatile sig_atomic_t raise_in_read;

static void on_signal(int sig)
{
	struct __mprof_frame *mpf;

	(void)sig;
	mpf = __mprof_enter(S(handler, 0));
	LINE(S(handler, 1), mpf);
	__mprof_exit(mpf);
}

static int64_t raising_read(void)
{
	if (raise_in_read) {
		raise_in_read = 0;
		raise(SIGUSR1);
	}
	return mem;
}

static const struct mp_backend raising = { "raising", NULL, raising_read,
					   NULL, NULL, NULL };

/* A signal handler that runs probes while a probe is busy has its events
 * dropped (and counted); the interrupted accounting is intact. */
static void test_signal_in_probe(void **state)
{
	struct __mprof_frame *mpf;
	struct sigaction sa = { .sa_handler = on_signal }, old;
	uint64_t before = mp_probe_dropped();

	(void)state;
	setup_func(&victim);
	setup_func(&handler);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(mp_backend_set(&raising), 0);
	mem = 30;
	mpf = __mprof_enter(S(victim, 0));
	raise_in_read = 1;
	LINE(S(victim, 1), mpf);
	mem = 40;
	__mprof_exit(mpf);
	assert_int_equal(mp_backend_set(&fake), 0);
	sigaction(SIGUSR1, &old, NULL);
	assert_int_equal(mp_probe_dropped(), before + 3);
	assert_site(S(handler, 0), 0, 0, 0);
	assert_site(S(victim, 0), 1, 30, 30);
	assert_site(S(victim, 1), 1, 10, 40);
}

/* ---- fork --------------------------------------------------------------------- */

FUNC(forker, 160, 3);

/* A forked child starts with empty tables but keeps its live frames; the
 * parent's counts are untouched. */
static void test_fork_child_starts_empty(void **state)
{
	struct __mprof_frame *mpf;
	size_t base = mp_probe_depth();
	int status;
	pid_t pid;

	(void)state;
	setup_func(&forker);
	mem = 64;
	mpf = __mprof_enter(S(forker, 0));
	LINE(S(forker, 1), mpf);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = forker_s[0].count != 0 || forker_s[1].count != 0 ||
			  mp_probe_depth() != base + 1;
		LINE(S(forker, 2), mpf);
		bad |= forker_s[1].count != 1 || forker_s[0].count != 0;
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	__mprof_exit(mpf);
	NO_TAIL();
	assert_site(S(forker, 0), 1, 64, 64);
	assert_site(S(forker, 1), 1, 0, 64);
	assert_int_equal(mp_probe_depth(), base);
}

/* ---- registry ------------------------------------------------------------------- */

FUNC(listed, 170, 4);		/* line 172 never runs */
FUNC(idle, 180, 2);		/* never runs */

static const struct mp_func *find(const struct mp_profile *p,
				  const char *name)
{
	size_t i;

	for (i = 0; i < p->nfuncs; i++)
		if (!strcmp(p->funcs[i].name, name))
			return &p->funcs[i];
	return NULL;
}

/* The report gets each function that ran, with a row per line that ran. */
static void test_collect(void **state)
{
	struct __mprof_frame *mpf;
	struct mp_profile p;
	const struct mp_func *f;

	(void)state;
	setup_func(&listed);
	setup_func(&idle);
	mem = 2048;
	mpf = __mprof_enter(S(listed, 0));
	LINE(S(listed, 1), mpf);
	mem = 4096;
	LINE(S(listed, 3), mpf);
	__mprof_exit(mpf);
	NO_TAIL();
	mp_registry_add(&idle);

	mp_profile_init(&p);
	assert_true(mp_registry_collect(&p) > 0);
	assert_null(find(&p, "idle"));
	f = find(&p, "listed");
	assert_non_null(f);
	assert_string_equal(f->file, "listed.c");
	assert_string_equal(f->dir, "/src");
	assert_int_equal(f->first_line, 170);
	assert_int_equal(f->last_line, 174);
	assert_int_equal(f->nrows, 3);
	assert_int_equal(f->rows[0].line, 170);
	assert_int_equal(f->rows[0].incr, 2048);
	assert_int_equal(f->rows[1].line, 171);
	assert_int_equal(f->rows[1].incr, 2048);
	assert_int_equal(f->rows[1].peak, 4096);
	assert_int_equal(f->rows[2].line, 173);
	assert_int_equal(f->rows[2].count, 1);
	mp_profile_free(&p);
}

FUNC(unloaded, 190, 2);
static char module_handle;	/* stands for the module's __dso_handle */

extern void __cxa_finalize(void *dso);

/* dlclose of a module (its __cxa_finalize) leaves the report a copy of
 * its functions' data, no pointer into the module. */
static void test_module_snapshot(void **state)
{
	struct __mprof_frame *mpf;
	struct mp_profile p;
	const struct mp_func *f;

	(void)state;
	setup_func(&unloaded);
	unloaded.dso = &module_handle;
	mem = 300;
	mpf = __mprof_enter(S(unloaded, 0));
	LINE(S(unloaded, 1), mpf);
	mem = 900;
	__mprof_exit(mpf);
	NO_TAIL();

	__cxa_finalize(&module_handle);
	/* What an unmapped module would leave: garbage. */
	memset(unloaded_s, 0x5a, sizeof(unloaded_s));
	unloaded.name = "garbage";

	mp_profile_init(&p);
	assert_true(mp_registry_collect(&p) > 0);
	assert_null(find(&p, "garbage"));
	f = find(&p, "unloaded");
	assert_non_null(f);
	assert_int_equal(f->nrows, 2);
	assert_int_equal(f->rows[0].count, 1);
	assert_int_equal(f->rows[0].incr, 300);
	assert_int_equal(f->rows[1].incr, 600);
	assert_int_equal(f->rows[1].peak, 900);
	mp_profile_free(&p);
}

FUNC(plugged, 240, 2);
static char plugged_handle;

static void *plugged_thread(void *arg)
{
	struct __mprof_frame *mpf;

	(void)arg;
	mem = 300;
	mpf = __mprof_enter(S(plugged, 0));
	LINE(S(plugged, 1), mpf);
	mem = 900;
	__mprof_exit(mpf);
	return NULL;
}

/* Counts in `p` of the function named `name`: rows and calls summed over
 * its entries (a module loaded twice has two). */
static void sum_of(const struct mp_profile *p, const char *name,
		   size_t *entries, uint64_t *calls)
{
	*entries = 0;
	*calls = 0;
	for (size_t i = 0; i < p->nfuncs; i++)
		if (!strcmp(p->funcs[i].name, name)) {
			(*entries)++;
			*calls += p->funcs[i].rows[0].count;
		}
}

/* dlclose of a module whose functions another thread ran: the snapshot
 * takes that thread's counts too, and a module loaded again at the same
 * address starts from zero in that thread's table. */
static void test_module_snapshot_threads(void **state)
{
	struct mp_profile p;
	pthread_t t;
	size_t entries;
	uint64_t calls;

	(void)state;
	setup_func(&plugged);
	plugged.dso = &plugged_handle;
	assert_int_equal(pthread_create(&t, NULL, plugged_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	__cxa_finalize(&plugged_handle);

	/* The module again, at the same address: a fresh image. */
	memset(plugged_s, 0, sizeof(plugged_s));
	plugged.registered = 0;
	plugged.next = NULL;
	setup_func(&plugged);
	assert_int_equal(pthread_create(&t, NULL, plugged_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);

	mp_profile_init(&p);
	assert_true(mp_registry_collect(&p) > 0);
	sum_of(&p, "plugged", &entries, &calls);
	assert_int_equal(entries, 2);
	assert_int_equal(calls, 2);
	mp_profile_free(&p);
	assert_site(S(plugged, 1), 1, 600, 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_row),
		cmocka_unit_test(test_signature_line_statements),
		cmocka_unit_test(test_straight_line),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_nested_call),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_longjmp_resync),
		cmocka_unit_test(test_longjmp_recursion),
		cmocka_unit_test(test_tail_exit),
		cmocka_unit_test(test_alloca_frame),
		cmocka_unit_test(test_quiet_events),
		cmocka_unit_test(test_quiet_calls),
		cmocka_unit_test(test_local_frames),
		cmocka_unit_test(test_local_frame_longjmp),
		cmocka_unit_test(test_unwatched_backend),
		cmocka_unit_test(test_own_figure),
		cmocka_unit_test(test_exit_without_read),
		cmocka_unit_test(test_caller_invalidated),
		cmocka_unit_test(test_entry_borrows_watch),
		cmocka_unit_test(test_called_events),
		cmocka_unit_test(test_line_slow),
		cmocka_unit_test(test_longjmp_quiet),
		cmocka_unit_test(test_fast_calls_signal),
		cmocka_unit_test(test_fast_calls_longjmp),
		cmocka_unit_test(test_fast_root_calls),
		cmocka_unit_test(test_deep_records),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_thread_exit),
		cmocka_unit_test(test_stranger_thread),
		cmocka_unit_test(test_errno_kept),
		cmocka_unit_test(test_first_entry_once),
		cmocka_unit_test(test_short_lived_threads),
		cmocka_unit_test(test_live_thread),
		cmocka_unit_test(test_fork_in_thread),
		cmocka_unit_test(test_many_functions),
		cmocka_unit_test(test_bind_version),
		cmocka_unit_test(test_orphan_dropped),
		cmocka_unit_test(test_signal_in_probe),
		cmocka_unit_test(test_fork_child_starts_empty),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_module_snapshot),
		cmocka_unit_test(test_module_snapshot_threads),
	};

	/* The at-exit report of these fake functions is not wanted here. */
	setenv("MPROF_OUTPUT", "/dev/null", 1);
	if (mp_backend_set(&fake) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
