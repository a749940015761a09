/* SPDX-License-Identifier: MIT */
/*
 * mprof_abi.h - the contract between the plugin (which emits these objects
 * into every instrumented translation unit) and the runtime (which updates
 * and reads them).  plugin/emit.cc includes this file: it takes the version
 * from here and builds the same layouts field by field from tables of
 * offsetof() that a static_assert checks against these structs, so a
 * field changed here without the plugin stops the plugin's build.  A
 * change here must bump MPROF_ABI_VERSION.
 *
 * Per instrumented function the plugin emits, as writable static data:
 *
 *     struct __mprof_func  desc;             -- one per function
 *     struct __mprof_site  sites[nsites];    -- one per source line that has
 *                                               code; sites[0] is the
 *                                               signature line; aligned to
 *                                               MPROF_SITE_ALIGN
 *     const int32_t        lines[nsites];    -- each site's source line
 *
 * and code, in the instrumented function itself:
 *
 *     f = enter(&sites[0]);        at the start of the body (a call through
 *                                  the unit's probe table);
 *     LINE(&sites[i], f);          each time control reaches a new line
 *                                  (docs/DESIGN.md, "Where line events
 *                                  fire");
 *     exit(f);                     before every return (a call).
 *
 * (An inlined call of a function whose body has no line event of its
 * own, its code all on the signature line, can be counted with no call
 * and no record of its own: "Quiet calls" below; a longer inlined call
 * can have its record written by the caller's code: "Local frames".)
 *
 * `f` is the activation's frame record, which lives in the runtime's
 * memory (never in the program's stack, so longjmp cannot overwrite it)
 * and stays at its address until exit(f).  A line event makes no call
 * when nothing can have changed the memory figure since the frame last
 * read it:
 *
 *     if (*f->change == f->seen) {
 *             f->cur->count += 1;                       -- the line left
 *             if (f->cur->peak < f->before)
 *                     f->cur->peak = f->before;
 *             f->cur = (struct __mprof_site *)
 *                      ((char *)&sites[i] + f->delta);  -- the line reached
 *     } else {
 *             line(&sites[i], f);                       -- a call
 *     }
 *
 * with *change read as volatile (the kernel or another thread moves it).
 * That is the whole accounting of a line whose memory did not change
 * (docs/DESIGN.md, "Accounting"): Increment adds 0, Mem usage is the
 * figure the frame already has.  The runtime keeps the rest true:
 *
 *   - `change` points to a counter that moves whenever what the line is
 *     charged can have changed (the heap: the thread's own byte count,
 *     while Mem usage keeps the total read with it; rss: the data_head of
 *     a perf ring of the thread's page faults, which the wrapped calls
 *     that give memory back or fill it without a fault move by taking a
 *     fault of their own: runtime/rss.c), and `seen` is what it held
 *     when `before` was read.  A backend with no such counter, a record
 *     the runtime keeps no frame for (an entry it dropped) and the caller
 *     of a live call have a `seen` the counter never holds
 *     (MPROF_SEEN_NEVER), so every event calls.  The counter's word stays
 *     readable for as long as a record may point at it, in a forked child
 *     too (runtime/rss.c, "The owner's rings").
 *   - `cur` points where this thread counts the line being run: its site
 *     plus `delta` (runtime/counts.h), or right after entry a scratch slot
 *     the runtime reads as "the signature line".
 *
 * When the plugin's code knows which line the event leaves (the one line
 * whose event ran before on every path, docs/DESIGN.md, "Where line
 * events fire"), it counts that line at `&sites[p] + f->delta` instead of
 * loading `cur`: the runtime keeps `cur` equal to the site of the last
 * event it was given plus `delta`, or its scratch slot right after entry,
 * where the plugin's code counts nothing.  Such an event stores `cur`
 * only if a reader of `cur` may come before the next one (a call, an
 * asm, an event that loads `cur`), and its call first stores
 * `&sites[p] + f->delta` in `cur`: so `cur` is true whenever the runtime
 * is called, though not between two events with no call between them
 * (what a signal handler that runs profiled code may find).
 *
 * The call in that event may also be made from inside the event's own
 * code, with no call in the compiler's view (x86-64; "Calls from inside
 * an event" below).
 *
 * Quiet calls.  Where a function whose body has no line event (a
 * one-line function) is inlined below a record `f`, its entry and exit
 * are
 *
 *     if (*f->change == f->seen && f->quiet && sites[0].count != 0) {
 *             sites[0].count += 1;                     -- the call
 *             if (sites[0].peak < f->before)
 *                     sites[0].peak = f->before;
 *             g = NULL;
 *     } else {
 *             g = enter(&sites[0]);
 *     }
 *     ...                                              -- the body
 *     if (g || *f->change != f->seen)
 *             quiet_exit(g, &sites[0], f);
 *
 * which is what a call of enter() and exit() would do when the figure
 * holds from entry to exit: the call counted, its row's Mem usage raised
 * to the figure, nothing charged.  `quiet` is the runtime's to set: nonzero
 * only where that is the whole of an entry (the owner thread counts in the
 * sites themselves, no optional columns, no FUNC records).  When the
 * figure moved during the call (a page fault, an allocation by a callee),
 * quiet_exit() charges the call's row what moved since `f` read its
 * figures, which held at the entry; `f`, which no callee touched, finds
 * the change at its own next event.  Given a record (g), quiet_exit() is
 * the table's exit(g).
 *
 * Local frames.  Where a function with line events of its own is inlined
 * below a record `x` (the plugin does it in loops), its record can be
 * written by the plugin's code itself, in the runtime's stack slot right
 * above x (x is the innermost record whenever its watch holds, and
 * records are MPROF_FRAME_STRIDE bytes apart):
 *
 *     if (*x->change == x->seen && x->quiet && sites[0].count != 0) {
 *             sites[0].count += 1;                     -- the call
 *             if (sites[0].peak < x->before)
 *                     sites[0].peak = x->before;
 *             L = (char *)x + MPROF_FRAME_STRIDE;
 *             *L = x's watch and figure, cur = a scratch site of the
 *                  unit, delta = 0, quiet = x->quiet - 1, above = NULL,
 *                  s0 = &sites[0];
 *             x->above = L;  x->seen = MPROF_SEEN_NEVER;
 *             g = L;
 *     } else {
 *             g = enter(&sites[0]);
 *     }
 *     ...                          -- the body: its events use g as above
 *     if (x->above != g || *g->change != g->seen) {
 *             quiet_exit(g, &sites[0], x);
 *     } else {
 *             g->cur->count += 1;                      -- its last line
 *             if (g->cur->peak < g->before)
 *                     g->cur->peak = g->before;
 *             x->above = NULL;  x->seen = g->seen;
 *     }
 *
 * While its watch holds, such a call costs no call at all.  The runtime
 * does not count L among its records until it must (`x->above` says it
 * is there): whenever it is called with an `above` on its innermost
 * record, it first adopts that chain of frames as records of its own --
 * each as enter() would have pushed it, with the frame's watch, figure and
 * `cur` and the parent's watch kept aside -- so a call that finds the
 * figure moved in L, an entry below it, an exit, or longjmp out of it
 * (its frames adopted, then popped) is accounted for as if L had been
 * entered.  `s0` is written only by the plugin's code, for adoption.
 * `quiet` counts the local frames that may still go above a record (the
 * runtime leaves room for them).
 *
 * Calls from inside an event.  An event's call costs the compiler a
 * block of its own, and blocks are most of what an instrumented function
 * costs to compile; so outside loops (and past the bound of a function's
 * events in loops) the plugin makes the event one asm statement whose
 * rarely taken branch, laid out after the function, calls `line_slow`
 * itself.  That entry takes its arguments on the stack and keeps every
 * register but the flags:
 *
 *     lea -128(%rsp), %rsp        -- below the red zone
 *     push f; push &sites[i]; push <the address the asm resumes at>
 *     call *line_slow             -- line(&sites[i], f), every general and
 *                                    vector register as it was
 *     lea 152(%rsp), %rsp
 *
 * The third word is for unwinders only: the entry's call frame
 * information gives it as its caller's address, so a backtrace from
 * inside the runtime goes through the instrumented function.  `line_slow`
 * is NULL until the table is bound, and the code skips the call then.
 *
 * The plugin reads and writes no other field and holds `f` only between
 * enter() and exit(f).  The table starts out pointing at no-ops in the
 * unit (enter returns a unit-static record whose `seen` never matches); a
 * constructor the plugin emits (priority 100, before any user
 * constructor) finds the runtime -- already loaded
 * (dlsym(RTLD_DEFAULT, "__mprof_bind")) or libmprof.so.0 beside the plugin
 * (dlopen) -- and calls __mprof_bind(), which fills the table.  So
 * `gcc -fplugin=mprof.so x.c` needs no -lmprof, and every module of a
 * process shares one runtime.
 *
 * Fields marked "runtime" are zero in the image and belong to the runtime;
 * counters have one writer each (runtime/counts.h).
 */
#ifndef MPROF_ABI_H
#define MPROF_ABI_H

#include <stdint.h>

#define MPROF_ABI_VERSION 9u

/* A value no change counter ever holds: a record with it always calls. */
#define MPROF_SEEN_NEVER UINT64_MAX

struct __mprof_site;

struct __mprof_func {
	uint32_t version;		/* MPROF_ABI_VERSION of the emitting plugin */
	uint32_t nsites;		/* entries in sites[] (>= 1) */
	const char *file;		/* source file as given to the compiler */
	const char *dir;		/* compilation directory, to find `file` */
	const char *name;		/* function name as written in the source */
	int32_t first_line;		/* line of the signature */
	int32_t last_line;		/* line of the closing brace */
	struct __mprof_site *sites;	/* the function's line sites */
	const int32_t *lines;		/* the source line of each site */
	void *dso;			/* &__dso_handle of the module, or NULL */
	struct __mprof_func *next;	/* runtime: registry chain */
	uint32_t registered;		/* runtime: set once linked in the registry */
	uint32_t reserved;		/* zero */
};

/* A line's counters: 32 bytes, in arrays the plugin aligns to
   MPROF_SITE_ALIGN, so that a site never straddles two cache lines and
   two share one; the line numbers, which only the report reads, are
   apart (`lines`; docs/performance.md, "Caches"). */
struct __mprof_site {
	struct __mprof_func *func;	/* the function this line belongs to */
	uint64_t count;			/* runtime: Occurrences */
	int64_t peak;			/* runtime: Mem usage, bytes (if count) */
	int64_t incr;			/* runtime: Increment, bytes */
};

/* The alignment of the plugin's sites arrays, in bytes: a site's size. */
#define MPROF_SITE_ALIGN 32

/* The part of an activation's frame record the plugin's code touches. */
struct __mprof_frame {
	const volatile uint64_t *change;	/* the backend's change counter */
	uint64_t seen;			/* *change when `before` was read */
	struct __mprof_site *cur;	/* where the line being run is counted */
	int64_t before;			/* memory figure when `cur` was reached */
	uintptr_t delta;		/* a site + delta: where this thread
					   counts it; set by enter() and
					   constant until exit(f), so the
					   plugin's code may read it once */
	uint64_t quiet;			/* nonzero: an inlined call of a
					   one-line function below this record
					   may be counted inline (Quiet calls);
					   so many local frames may still go
					   above it (Local frames) */
	struct __mprof_frame *above;	/* the local frame the plugin's code
					   wrote above this record and the
					   runtime has not adopted, or NULL */
	struct __mprof_site *s0;	/* a local frame's &sites[0], written
					   by the plugin's code only */
};

/* Bytes from one record of a thread's stack to the next: where a local
   frame goes above its parent. */
#define MPROF_FRAME_STRIDE 256

/* The probe table: one per translation unit, filled by __mprof_bind(). */
struct __mprof_probes {
	uint32_t version;		/* MPROF_ABI_VERSION expected by the unit */
	uint32_t reserved;
	struct __mprof_frame *(*enter)(struct __mprof_site *s0);
	void (*line)(struct __mprof_site *s, struct __mprof_frame *f);
	void (*exit)(struct __mprof_frame *f);
	void (*quiet_exit)(struct __mprof_frame *g, struct __mprof_site *s0,
			   struct __mprof_frame *f);
	void (*line_slow)(void);	/* line() for code that makes no call:
					   arguments on the stack, every
					   register kept (Calls from inside
					   an event); NULL until bound */
	const char *functions;		/* -fplugin-arg-mprof-functions the
					   unit was compiled with, or NULL:
					   the runtime says when no profiled
					   function matching one of its
					   patterns ran */
};

/*
 * Fill `tab` with the runtime's probes.  A table whose version the runtime
 * does not speak is left as it is (its probes stay no-ops) and the mismatch
 * is reported once at exit.  Safe to call from any constructor, any number
 * of times.
 */
void __mprof_bind(struct __mprof_probes *tab);

#endif /* MPROF_ABI_H */
