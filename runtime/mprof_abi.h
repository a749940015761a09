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
 *                                               signature line
 *
 * and calls, through the unit's probe table (struct __mprof_probes):
 *
 *     enter(&sites[0], cfa)   at the start of the body,
 *     line(&sites[i], cfa)    each time control reaches a new line
 *                             (docs/DESIGN.md, "Where line events fire"),
 *     exit(&sites[0], cfa)    before every return.
 *
 * `cfa` is __builtin_dwarf_cfa() evaluated in the instrumented function:
 * its canonical frame address, which stays the same for every probe of
 * one activation however the compiler moves the stack pointer in between
 * (pushes and late pops of call arguments, alloca, realignment).  An
 * inlined copy gets the CFA of the function it is inlined into.  The
 * runtime tells activations apart, and finds the ones longjmp or an
 * exception skipped, with it.
 *
 * The table starts out pointing at a no-op in the unit; a constructor the
 * plugin emits (priority 100, before any user constructor) finds the
 * runtime -- already loaded (dlsym(RTLD_DEFAULT, "__mprof_bind")) or
 * libmprof.so.0 beside the plugin (dlopen) -- and calls __mprof_bind(),
 * which fills the table.  So `gcc -fplugin=mprof.so x.c` needs no -lmprof,
 * and every module of a process shares one runtime.
 *
 * Fields marked "runtime" are zero in the image and belong to the runtime;
 * it updates them with relaxed atomics (several threads run one site).
 */
#ifndef MPROF_ABI_H
#define MPROF_ABI_H

#include <stdint.h>

#define MPROF_ABI_VERSION 2u

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
	void *dso;			/* &__dso_handle of the module, or NULL */
	struct __mprof_func *next;	/* runtime: registry chain */
	uint32_t registered;		/* runtime: set once linked in the registry */
	uint32_t reserved;		/* zero */
};

struct __mprof_site {
	struct __mprof_func *func;	/* the function this line belongs to */
	int32_t line;			/* source line */
	uint32_t reserved;		/* zero */
	uint64_t count;			/* runtime: Occurrences */
	int64_t incr;			/* runtime: Increment, bytes */
	int64_t peak;			/* runtime: Mem usage, bytes (if count) */
};

/* The probe table: one per translation unit, filled by __mprof_bind(). */
struct __mprof_probes {
	uint32_t version;		/* MPROF_ABI_VERSION expected by the unit */
	uint32_t reserved;
	void (*enter)(struct __mprof_site *, void *cfa);
	void (*line)(struct __mprof_site *, void *cfa);
	void (*exit)(struct __mprof_site *, void *cfa);
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
