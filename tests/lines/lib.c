/* SPDX-License-Identifier: MIT */
/*
 * lib.c - the shared libraries of the symbolizer's tests, one source built
 * as several: LIBFN (a -D option) names the exported function, which
 * probes two lines of its own and one of an inlined helper; LIBMARK
 * returns the address of this library's mark() (probe.h), the first code
 * of the file, which libdwarf numbers wrong in DWARF 5.
 */
#include "probe.h"
#include "inline.h"

void LIBFN(probe_fn *cb);

void LIBFN(probe_fn *cb)
{
	PROBE(cb, 0);
	CALL(middle, cb, 0);
	PROBE(cb, 0);
}

void *LIBMARK(void);

void *LIBMARK(void)
{
	return (void *)mark;
}
