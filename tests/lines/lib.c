/* SPDX-License-Identifier: MIT */
/*
 * lib.c - the shared libraries of the symbolizer's tests, one source built
 * as several: LIBFN (a -D option) names the exported function, which
 * probes two lines of its own and one of an inlined helper.
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
