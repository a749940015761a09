/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the runtime's files share (hidden: nothing here is
 * exported from libmprof.so).
 *
 *   probe.c     the three probes: the per-thread stack of frame records
 *               and the accounting (docs/DESIGN.md, "Accounting");
 *   counts.c    where each thread counts (counts.h): the owner in the
 *               sites, the other threads in tables of their own;
 *   solo.c      one thread or many (solo.h): plain or atomic updates;
 *   rss.c       the rss backend's fast path (rss.h);
 *   registry.c  every descriptor that ran, and the snapshots that keep the
 *               data of dlclose()d modules;
 *   backend.c   the memory figure (rss, vms, pss, uss, heap) behind a
 *               swappable method table;
 *   settings.c  MPROF_* environment variables, parsed by a pure function;
 *   init.c      lazy, thread-safe initialisation, the fork handlers and
 *               __mprof_bind, which fills a unit's probe table;
 *   exit.c      the at-exit report and where it and the notes are written;
 *   crash.c     the report from a fatal signal, after the program's own
 *               handlers (crashenv.c, crashtable.c, crashjson.c: the report
 *               code again, with no malloc and no stdio);
 *   limit.c     MPROF_LIMIT: the report so far, from the probe that first
 *               sees the figure above the limit (crash.c's report code);
 *   jsonout.c   the profile as JSON at exit (MPROF_JSON), called by exit.c;
 *   funclog.c   FUNC records for `mprof run` (MPROF_DAT): the wrapped
 *               entry and exit probes __mprof_bind hands out instead;
 *   sys.c       the leaf layer (sys.h): stderr lines, the notes, whole
 *               writes, mappings, and the /proc measures (their one table
 *               and parser), calling no other file of the runtime.
 *
 * (heap.c behind heap.h, got.c behind got.h, kids.c behind kids.h, and
 * usage.c behind mprof.h and sys.h stand alone; region.c, behind mprof.h,
 * reads heap.h's tally and the registry; allocs.c, the optional columns'
 * bookkeeping, is behind allocs.h.)
 *
 * Rules every file keeps: code reachable from a probe never allocates with
 * the program's malloc, never prints and takes no lock of its own (the one
 * exception: a module's first registration calls __cxa_atexit, which locks
 * inside libc); memory the runtime owns comes from mmap.  The runtime never
 * aborts the program: what it cannot do it counts and reports once at exit.
 */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mprof_abi.h"
#include "sys.h"

#define MP_LIKELY(x)	__builtin_expect(!!(x), 1)
#define MP_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/* ---- probe.c ------------------------------------------------------------ */

struct __mprof_frame *__mprof_enter(struct __mprof_site *s0);
void __mprof_line(struct __mprof_site *s, struct __mprof_frame *f);
void __mprof_exit(struct __mprof_frame *f);
void __mprof_quiet_exit(struct __mprof_frame *g, struct __mprof_site *s0,
			struct __mprof_frame *f);

/* False for the record an entry returns when it keeps no frame (a drop). */
bool mp_probe_recorded(const struct __mprof_frame *f);

/*
 * Make this thread's probes drop their events without counting them, while
 * the runtime itself runs code that may reach a probe (initialisation, the
 * report: the program's malloc may be instrumented).  Returns the previous
 * state, for mp_probe_release().
 */
unsigned mp_probe_hold(void);
void mp_probe_release(unsigned prev);

/* Set up what probe.c needs from the first initialisation (thread exit). */
void mp_probe_init(void);

/* Events dropped so far (re-entered probe, lost shadow stack, no memory). */
uint64_t mp_probe_dropped(void);


/* Charge the calling thread's open calls as if they returned now, and
 * forget them: a forked child's report (exit() inside profiled calls). */
void mp_probe_close_open(void);

/* Fork child: drop the parent's count of drops. */
void mp_probe_atfork_child(void);

/* Shadow-stack depth of the calling thread (for tests). */
size_t mp_probe_depth(void);

/* Entries and exits the calling thread took by the general path, not the
 * short one (for tests). */
uint64_t mp_probe_general(void);

/* The calling thread's busy flag, nonzero while a probe runs (solo.c). */
const unsigned *mp_probe_busy_flag(void);

/* ---- registry.c --------------------------------------------------------- */

/*
 * Link `fn` into the registry unless it already is; called by the entry
 * probe the first time a function runs.  Lock-free.
 */
void mp_registry_add(struct __mprof_func *fn);

/*
 * Claim the signature row's Increment of `fn` for the calling entry: true
 * for the first entry since the process (or the forked child) started.
 */
bool mp_registry_first(struct __mprof_func *fn);

/* Fork child: zero every registered site (the child starts empty). */
void mp_registry_zero(void);

/* fork(): keep the registry lock consistent across it. */
void mp_registry_atfork_prepare(void);
void mp_registry_atfork_parent(void);
void mp_registry_atfork_child(void);

struct mp_profile;
struct mp_gather;

/*
 * The counts of `f` in every thread, into `into[0..nsites)` (count, incr
 * and peak set; the lines are f->lines): its sites plus its blocks in
 * `g` (counts.h).
 */
void mp_registry_totals(const struct mp_gather *g,
			const struct __mprof_func *f, struct __mprof_site *into);

/*
 * Add every registered function that has a row (a site with count > 0) to
 * `p`, with those rows.  A forked child can have rows of a function without
 * its signature row: the call began in the parent.  Returns the number of
 * functions added, or -1 when memory ran out (what was added stays valid).
 */
long mp_registry_collect(struct mp_profile *p);

/* What mp_registry_collect() builds the profile with. */
struct mp_row;
struct mp_collect_env {
	int (*add_func)(struct mp_profile *p, const char *file,
			const char *dir, const char *name, int32_t first_line,
			int32_t last_line, const struct mp_row *rows,
			size_t nrows);
	void *(*grow)(void *p, size_t n);	/* realloc */
	void (*release)(void *p);		/* free */
	int crashing;			/* from a fatal signal: lock only tried */
};

/*
 * Call fn(ctx, f, tot) for every registered function `f`, newest first,
 * with its counts in every thread (tot[0..f->nsites), as
 * mp_registry_totals); memory from mmap.  0, or -1 when it ran out (the
 * walk stops there).  Not from a probe: takes the registry's lock.
 */
int mp_registry_each(void (*fn)(void *ctx, const struct __mprof_func *f,
				const struct __mprof_site *tot),
		     void *ctx);

/* mp_registry_collect() with another allocator (crash.c: crashenv.h's). */
long mp_registry_collect_with(struct mp_profile *p,
			      const struct mp_collect_env *env);

/* ---- backend.c ---------------------------------------------------------- */

/*
 * A watch on the memory figure (runtime/mprof_abi.h): a counter that
 * moves whenever the figure can have changed, and what it held just
 * before it was read.  While *c == s the figure is the one read then.
 * s == MPROF_SEEN_NEVER: a watch that never holds.
 */
struct mp_watch {
	const volatile uint64_t *c;	/* readable for as long as a record
					   may hold it (rss.c) */
	uint64_t s;
};

/*
 * A source of the memory figure, in bytes.  read() runs in every probe: no
 * allocation, no lock, errno kept.
 */
struct mp_backend {
	const char *name;		/* as MPROF_BACKEND spells it */
	int (*init)(void);		/* 0, or -1 with errno set */
	int64_t (*read)(void);
	void (*atfork_child)(void);	/* reopen what the parent cached; or NULL */
	bool (*watch)(struct mp_watch *w, int64_t *m); /* or NULL: none */
	/* The calling thread's own share of the figure, which Increments
	 * are charged from (heap: its net bytes); NULL: the figure itself,
	 * process-wide.  Read after the watch, so a change in between fails
	 * the next check.  No allocation, no lock, errno kept. */
	int64_t (*own)(void);
};


/* The built-in backend `id`. */
const struct mp_backend *mp_backend_get(enum mp_backend_id id);

/*
 * Initialise `b` and make it the one probes read; on failure keep the one
 * in use.  Also the test hook: a fake backend installed before the first
 * probe is kept by the lazy initialisation.  Returns 0 or -1.
 */
int mp_backend_set(const struct mp_backend *b);

/* Install the backend the settings ask for, falling back to rss (one
 * line on stderr) when it cannot start.  Keeps one installed by a test. */
void mp_backend_choose(enum mp_backend_id id);

/* MPROF_EXACT: the rss backend reads on every event.  Before choose. */
void mp_backend_exact(int on);

/* MPROF_INCLUDE_CHILDREN: the /proc backends add the figures of the
 * process's descendants, and give no watch.  Before choose. */
void mp_backend_children(int on);

/* The id of the backend in use if it is the built-in heap or rss, else -1
 * (probes with its read inlined exist for those two). */
enum mp_backend_id mp_backend_fast(void);

/*
 * The current figure from the backend in use (0 before initialisation):
 * one load and an indirect call, inlined into the probes.
 */
extern int64_t (*mp_backend_reader)(void);

static inline int64_t mp_backend_read(void)
{
	return __atomic_load_n(&mp_backend_reader, __ATOMIC_ACQUIRE)();
}

/* The backend's `own` method, or NULL (set with mp_backend_reader). */
extern int64_t (*mp_backend_owner)(void);

/*
 * Nonzero while the heap backend is the one in use: the probes then take
 * its watch and figures inline (heap.h's counters) rather than through
 * mp_backend_watch() and the method table.  Set with mp_backend_reader.
 */
extern int mp_backend_heap;

/*
 * What a probe reads: `mem`, the figure (Mem usage: process-wide), and
 * `own`, what Increments are charged from: the calling thread's share
 * where the backend knows it (heap), else `mem`.
 */
struct mp_fig {
	int64_t mem;
	int64_t own;
};

/* The `own` that goes with the figure `mem` just read. */
static inline int64_t mp_backend_own(int64_t mem)
{
	int64_t (*own)(void) = __atomic_load_n(&mp_backend_owner,
					       __ATOMIC_ACQUIRE);

	return own ? own() : mem;
}

/* Both figures now. */
static inline struct mp_fig mp_backend_figs(void)
{
	struct mp_fig f;

	f.mem = mp_backend_read();
	f.own = mp_backend_own(f.mem);
	return f;
}

/*
 * Take a watch on the figure of the backend in use, then read the figure:
 * the backend's own watch (its `watch` method: heap, rss when its fast
 * path runs), or one that never holds.  Keeps errno.
 */
int64_t mp_backend_watch(struct mp_watch *w);

/* Fork child: let the backend reopen its cached descriptors. */
void mp_backend_atfork_child(void);

/*
 * A /proc figure (rss, pss, uss or vms) read now with one syscall, apart
 * from the backend in use: what FUNC records show when `mprof run` samples
 * another measure.  mp_backend_open_proc() opens the file once (0, or -1
 * with errno set); the read returns -1 when the figure cannot be had, and
 * keeps errno.
 */
int mp_backend_open_proc(enum mp_backend_id id);
int64_t mp_backend_read_proc(enum mp_backend_id id);

/*
 * backend.c: the figure of /proc measure `id` in `text` (that measure's
 * file), as the backends read it; -1 when the text lacks it.
 */
int64_t mp_backend_parse(enum mp_backend_id id, const char *text);

/*
 * usage.c: the figure, in MiB, a sample of memory_usage() and of `mprof
 * run` takes from statm's text and smaps_rollup's (NULL for statm
 * measures): 0, or 1 when the process is gone or the text lacks it.
 */
int mp_usage_figure(const char *statm, const char *rollup,
		    enum mprof_backend b, int64_t page, double *mib);

/* ---- settings.c --------------------------------------------------------- */

#define MP_SETTINGS_MAXWARN	8
#define MP_SETTINGS_WARNLEN	256

enum mp_output_kind {
	MP_OUTPUT_STDERR,
	MP_OUTPUT_STDOUT,
	MP_OUTPUT_FILE
};

/* mp_settings.dat_funcs besides a duration */
#define MP_FUNCS_ALL	(-1)
#define MP_FUNCS_NONE	(-2)

struct mp_settings {
	enum mp_backend_id backend;	/* MPROF_BACKEND */
	enum mp_output_kind output_kind; /* MPROF_OUTPUT */
	char output[PATH_MAX];		/* file name, %p not expanded yet */
	int precision;			/* MPROF_PRECISION, 0..10 */
	int exact;			/* MPROF_EXACT: rss read on every event */
	int include_children;		/* MPROF_INCLUDE_CHILDREN: descendants'
					   memory added (/proc backends) */
	char json[PATH_MAX];		/* MPROF_JSON: "" off, "-" stdout, or a
					   file name, %p not expanded yet */
	char dat[PATH_MAX];		/* MPROF_DAT (set by `mprof run`), or "" */
	enum mp_backend_id dat_backend;	/* MPROF_DAT_BACKEND: FUNC records'
					   measure, MP_BACKEND_COUNT: backend's */
	int64_t dat_funcs;		/* MPROF_DAT_FUNCS: which calls get a
					   FUNC record: MP_FUNCS_ALL, _NONE, or
					   the shortest call recorded alone, ns */
	int64_t limit;			/* MPROF_LIMIT in bytes, 0: none */
	char limit_text[32];		/* its value as written */
	int limit_abort;		/* MPROF_LIMIT_ACTION=abort */
	int top;			/* MPROF_TOP: lines of the summary after
					   the tables; 0 none, -1 (unset) the
					   default, MP_TOP_LINES lines when more
					   than MP_TOP_FUNCS functions ran */
	unsigned columns;		/* MPROF_COLUMNS: enum mp_column bits */
	int nwarn;			/* lines to print on stderr */
	char warn[MP_SETTINGS_MAXWARN][MP_SETTINGS_WARNLEN];
};

/* MPROF_TOP unset: a summary of this many lines, when more than
 * MP_TOP_FUNCS functions ran (a report too long to read through). */
#define MP_TOP_LINES	10
#define MP_TOP_FUNCS	20
#define MP_TOP_MAX	1000000

/*
 * Fill `s` from the variables `get` returns (secure_getenv in the runtime,
 * a fake in tests).  Never fails: a bad value keeps the default and adds
 * one line (no newline) to s->warn.
 */
void mp_settings_parse(struct mp_settings *s,
		       char *(*get)(const char *name));

/*
 * A size as MPROF_LIMIT takes it (docs/settings.md): report/size.c's
 * mp_size_parse, the one parser of sizes, which also refuses 0 bytes here.
 * Into *bytes; 0, or -1 when `text` is not such a size.
 */
int mp_settings_size(const char *text, int64_t *bytes);

/*
 * Expand `tmpl` into `buf`: %p is the pid, %% a percent sign, any other
 * % stays as it is.  Returns 0, or -1 when the result does not fit.
 */
int mp_settings_expand(char *buf, size_t size, const char *tmpl, pid_t pid);
/* `name` made absolute (relative to the current directory) into buf, so a
 * later chdir() of the program does not move the file; -1 if too long. */
int mp_settings_absolute(char *buf, size_t size, const char *name);

/* ---- init.c ------------------------------------------------------------- */

/* Initialise the runtime once; every entry point calls it.  Thread-safe. */
void mp_init(void);

/* Probe tables __mprof_bind() refused for their ABI version: how many, and
 * the last one's version. */
uint32_t mp_init_abi_mismatches(uint32_t *version);

/* ---- slow.c ------------------------------------------------------------- */

/* The table's `line_slow` for this CPU (runtime/mprof_abi.h, "Calls from
 * inside an event"), or NULL where the plugin never calls it. */
void (*mp_line_slow_entry(void))(void);

/* ---- prefault.c --------------------------------------------------------- */

/* Make the code pages of the module holding addr resident, once per module
 * (before any of its lines runs).  errno is kept. */
void mp_prefault_module(const void *addr);

/* ---- exit.c ------------------------------------------------------------- */

/*
 * Remember where and how the report goes, and truncate the report file now
 * so that processes forked later only ever append to it.
 */
void mp_exit_setup(const struct mp_settings *s);

/* The at-exit handler: print the tables and the runtime's notes. */
void mp_exit_report(void);

/* Fork child: label the child's report, give it its own %p file. */
void mp_exit_atfork_child(pid_t parent);

/* The notes (mp_note) are sys.c's, declared in sys.h. */

/*
 * The -fplugin-arg-mprof-functions patterns of the units bound
 * (patterns.c): mp_patterns_bind keeps a unit's argument string (NULL:
 * none); mp_patterns_note notes each pattern that no function of `p`, the
 * profile of the run, matches.
 */
struct mp_profile;
void mp_patterns_bind(const char *functions);
void mp_patterns_note(const struct mp_profile *p);

/*
 * Add the notes of the end of a run (dropped events, ABI mismatches...)
 * and stop printing notes as they come: they now wait for the report.
 * `crashing`: from a fatal signal, only what needs no allocation.
 */
void mp_exit_notes(int crashing);

/* For the report from a fatal signal (crash.c): write buf where the report
 * goes with system calls only; the child's parent (0 if none); the
 * decimals. */
void mp_exit_emit_raw(const char *buf, size_t len);
pid_t mp_exit_parent(void);
int mp_exit_precision(void);

/* ---- crash.c ------------------------------------------------------------ */

/*
 * Report a death by SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT from the
 * signal, after the program's own handler: install the handler and the
 * sigaction()/signal() wrappers.  Called once, at initialisation.
 */
void mp_crash_setup(void);

/*
 * The report so far, written now from wherever the program is (a probe),
 * with the crash report's allocation-free code: `line` heads the tables
 * where the report goes and ends the JSON profile's notes.  The notes
 * stay for the report at exit.  `then_abort`: the caller aborts next, so
 * the JSON profile has "signal": 6 and the SIGABRT writes no second report.
 */
void mp_crash_report_now(const char *line, int then_abort);

/* ---- limit.c ------------------------------------------------------------ */

/*
 * MPROF_LIMIT: the probes compare each figure they read with
 * mp_limit_bytes (INT64_MAX: no limit, or the limit already fired) and
 * call mp_limit_exceeded() when it is above: the report so far, once per
 * process.  It returns true when MPROF_LIMIT_ACTION=abort: the probe then
 * calls mp_limit_abort() once it is no longer busy.
 */
extern int64_t mp_limit_bytes;

void mp_limit_setup(const struct mp_settings *s);
bool mp_limit_exceeded(const struct __mprof_func *fn, int32_t line, int64_t m);
void mp_limit_abort(void) __attribute__((noreturn));

/* ---- jsonout.c ---------------------------------------------------------- */

/*
 * MPROF_JSON, called from mp_exit_setup(): make the name absolute, expand
 * %p and truncate the file now (a crash leaves it empty, never a stale
 * profile of an earlier run).
 */
void mp_jsonout_setup(const struct mp_settings *s);

/*
 * Write `p` (merged) as JSON where MPROF_JSON says, in one write(); called
 * by the at-exit report even when no profiled function ran.  `parent` is
 * nonzero in a forked child.  Does nothing when MPROF_JSON is unset, or in
 * a child whose MPROF_JSON has no %p (the file is the parent's).  Gives
 * p's functions their source text first (mp_report_attach_source).
 */
void mp_jsonout_write(struct mp_profile *p, pid_t parent);

/* Fork child: use the child's own %p file, or write nothing. */
void mp_jsonout_atfork_child(void);

/*
 * The two halves of mp_jsonout_write() that the report from a fatal
 * signal shares, both free of allocation: the descriptor to write the
 * document to (stdout, or the file opened and truncated), -1 when there
 * is none; and the document's metadata.
 */
struct mp_json_meta;
int mp_jsonout_open(void);
void mp_jsonout_meta(struct mp_json_meta *m, pid_t parent);

/* ---- funclog.c ---------------------------------------------------------- */

/*
 * FUNC records (docs/mprof-run.md): when MPROF_DAT names a .dat (`mprof
 * run` sets it), every call of a profiled function appends one line to
 * it.  The wrapped probes call the probe they wrap (__mprof_enter/
 * __mprof_exit until mp_funclog_wrap()) and record what the FUNC line
 * needs, keyed by the frame record.
 */
struct __mprof_frame *mp_funclog_enter(struct __mprof_site *s0);
void mp_funclog_exit(struct __mprof_frame *f);

/* Nonzero once the .dat of MPROF_DAT is open for FUNC records. */
int mp_funclog_active(void);

/*
 * For __mprof_bind(), when mp_funclog_active(): keep the entry and exit
 * probes it picked as the ones the wrappers call, and put the wrappers in
 * their place.  Idempotent.
 */
void mp_funclog_wrap(struct __mprof_frame *(**enter)(struct __mprof_site *),
		     void (**exit)(struct __mprof_frame *));

/* Called from mp_exit_setup(): open MPROF_DAT (O_APPEND), or stay off. */
void mp_funclog_setup(const struct mp_settings *s);

/*
 * At exit: write the records of the calls the exiting thread still has
 * open (exit() called inside them), then say once on stderr how many
 * records were lost.
 */
void mp_funclog_exit_report(void);

/* Fork child: no FUNC records (the .dat is the parent's curve). */
void mp_funclog_atfork_child(void);

/* Events lost so far: calls left by longjmp, re-entered, or not stored. */
uint64_t mp_funclog_lost(void);

#endif /* MP_INTERNAL_H */
