/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the runtime's files share (hidden: nothing here is
 * exported from libmprof.so).
 *
 *   probe.c     __mprof_bind and the three probes: the per-thread shadow
 *               stack and the accounting of SPEC §4;
 *   registry.c  every descriptor that ran, and the snapshots that keep the
 *               data of dlclose()d modules;
 *   backend.c   the memory figure (rss, vms, pss, uss, heap) behind a
 *               swappable method table;
 *   settings.c  MPROF_* environment variables, parsed by a pure function;
 *   init.c      lazy, thread-safe initialisation and the fork handlers;
 *   exit.c      the at-exit report and where it is written.
 *
 * (heap.c, behind heap.h, and usage.c, behind mprof.h, stand alone.)
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
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mprof_abi.h"

#define MP_LIKELY(x)	__builtin_expect(!!(x), 1)
#define MP_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/* ---- probe.c ------------------------------------------------------------ */

void __mprof_enter(struct __mprof_site *s0);
void __mprof_line(struct __mprof_site *s);
void __mprof_exit(struct __mprof_site *s0);

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

/* Probe tables refused for their ABI version: how many, and the last one. */
uint32_t mp_probe_abi_mismatches(uint32_t *version);

/* Fork child: drop the parent's counts of drops and mismatches. */
void mp_probe_atfork_child(void);

/* Shadow-stack depth of the calling thread (for tests). */
size_t mp_probe_depth(void);

/* ---- registry.c --------------------------------------------------------- */

/*
 * Link `fn` into the registry unless it already is; called by the entry
 * probe the first time a function runs.  Lock-free.
 */
void mp_registry_add(struct __mprof_func *fn);

/* Fork child: zero every registered site (the child starts empty). */
void mp_registry_zero(void);

/* fork(): keep the registry lock consistent across it. */
void mp_registry_atfork_prepare(void);
void mp_registry_atfork_parent(void);
void mp_registry_atfork_child(void);

struct mp_profile;

/*
 * Add every registered function that has a row (a site with count > 0) to
 * `p`, with those rows.  A forked child can have rows of a function without
 * its signature row: the call began in the parent.  Returns the number of
 * functions added, or -1 when memory ran out (what was added stays valid).
 */
long mp_registry_collect(struct mp_profile *p);

/* ---- backend.c ---------------------------------------------------------- */

/*
 * A source of the memory figure, in bytes.  read() runs in every probe: no
 * allocation, no lock, may clobber errno (the probe restores it).
 */
struct mp_backend {
	const char *name;		/* as MPROF_BACKEND spells it */
	int (*init)(void);		/* 0, or -1 with errno set */
	int64_t (*read)(void);
	void (*atfork_child)(void);	/* reopen what the parent cached; or NULL */
};

enum mp_backend_id {
	MP_BACKEND_RSS,
	MP_BACKEND_PSS,
	MP_BACKEND_USS,
	MP_BACKEND_VMS,
	MP_BACKEND_HEAP,
	MP_BACKEND_COUNT
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

/*
 * The current figure from the backend in use (0 before initialisation):
 * one load and an indirect call, inlined into the probes.
 */
extern int64_t (*mp_backend_reader)(void);

static inline int64_t mp_backend_read(void)
{
	return __atomic_load_n(&mp_backend_reader, __ATOMIC_ACQUIRE)();
}

/* Fork child: let the backend reopen its cached descriptors. */
void mp_backend_atfork_child(void);

/* ---- settings.c --------------------------------------------------------- */

#define MP_SETTINGS_MAXWARN	4
#define MP_SETTINGS_WARNLEN	256

enum mp_output_kind {
	MP_OUTPUT_STDERR,
	MP_OUTPUT_STDOUT,
	MP_OUTPUT_FILE
};

struct mp_settings {
	enum mp_backend_id backend;	/* MPROF_BACKEND */
	enum mp_output_kind output_kind; /* MPROF_OUTPUT */
	char output[PATH_MAX];		/* file name, %p not expanded yet */
	int precision;			/* MPROF_PRECISION, 0..10 */
	int nwarn;			/* lines to print on stderr */
	char warn[MP_SETTINGS_MAXWARN][MP_SETTINGS_WARNLEN];
};

/*
 * Fill `s` from the variables `get` returns (secure_getenv in the runtime,
 * a fake in tests).  Never fails: a bad value keeps the default and adds
 * one line (no newline) to s->warn.
 */
void mp_settings_parse(struct mp_settings *s,
		       char *(*get)(const char *name));

/*
 * Expand `tmpl` into `buf`: %p is the pid, %% a percent sign, any other
 * % stays as it is.  Returns 0, or -1 when the result does not fit.
 */
int mp_settings_expand(char *buf, size_t size, const char *tmpl, pid_t pid);

/* ---- init.c ------------------------------------------------------------- */

/* Initialise the runtime once; every entry point calls it.  Thread-safe. */
void mp_init(void);

/* Print one line (a newline is added) on stderr with a single write(). */
void mp_init_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

#endif /* MP_INTERNAL_H */
