/* SPDX-License-Identifier: MIT */
/*
 * got.h - wrap library functions in every loaded module by rewriting GOT
 * slots (runtime/got.c).  The heap backend (malloc & co.), the rss fast
 * path (calls that give memory back) and the thread tracking
 * (pthread_create) are its clients.
 *
 * The runtime is often dlopen()ed by the plugin's constructor, so symbol
 * interposition is out of reach.  A client describes its wrappers in an
 * array of struct mp_got_hook and installs it once; from then on every
 * JUMP_SLOT, GLOB_DAT and R_X86_64_64 slot naming one of those symbols, in
 * every module loaded now or later (through dlopen), calls the wrapper,
 * and the wrapper calls *next.  libmprof.so's own slots are left alone.
 *
 * Two clients may wrap the same symbol: the later wrapper is outermost and
 * its *next is the earlier wrapper, so both run.  Wrappers are never
 * removed.
 */
#ifndef MP_GOT_H
#define MP_GOT_H

#include <stddef.h>

struct mp_got_hook {
	const char *name;		/* symbol whose slots get `wrap` */
	void *wrap;			/* the wrapper */
	void **next;			/* where the wrapper finds what to call:
					   the definition ld.so binds `name`
					   to, or the wrapper installed before;
					   NULL if the symbol does not exist */
};

/*
 * Install `n` hooks.  Thread-safe, serialised with dlopen and fork.  Each
 * *next is set before any slot is rewritten.  Returns the number of slots
 * that now call a wrapper of the set, 0 when none was found (nothing is
 * written then), or -1 when patching is unsupported (static program,
 * architecture other than x86-64).  Installing a set twice changes nothing.
 */
int mp_got_install(const struct mp_got_hook *hooks, size_t n);

/*
 * Nonzero while this thread runs a wrapper or the runtime's own work that
 * may call wrapped functions: wrappers that account (heap) then call
 * through without accounting.  Initial-exec TLS: wrappers read it without
 * entering the dynamic linker.
 */
extern __thread int mp_got_busy __attribute__((tls_model("initial-exec")));

#endif /* MP_GOT_H */
