/* SPDX-License-Identifier: MIT */
/*
 * mprof_abi.h - the contract between the plugin (which emits these objects
 * into every instrumented translation unit) and the runtime (which updates
 * and reads them).  plugin/mprof_plugin.cc builds the same layouts field by
 * field; a change here must bump MPROF_ABI_VERSION and change the plugin.
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
 *     enter(&sites[0])   at the start of the body,
 *     line(&sites[i])    each time control reaches a new line (SPEC §3),
 *     exit(&sites[0])    before every return.
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

#define MPROF_ABI_VERSION 1u

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
	void (*enter)(struct __mprof_site *);
	void (*line)(struct __mprof_site *);
	void (*exit)(struct __mprof_site *);
};

/*
 * Fill `tab` with the runtime's probes.  A table whose version the runtime
 * does not speak is left as it is (its probes stay no-ops) and the mismatch
 * is reported once at exit.  Safe to call from any constructor, any number
 * of times.
 */
void __mprof_bind(struct __mprof_probes *tab);

#endif /* MPROF_ABI_H */
