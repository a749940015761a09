/* SPDX-License-Identifier: MIT */
/*
 * inline.h - always-inline helpers in a header of their own, so an inlined
 * frame's file differs from its caller's.  *_FIRST and *_LAST are the
 * lines of each helper's signature and closing brace.
 */
#ifndef MPROF_TESTS_LINES_INLINE_H
#define MPROF_TESTS_LINES_INLINE_H

#include "probe.h"

enum { INNER_FIRST = __LINE__ + 1 };
static inline __attribute__((always_inline)) void inner(probe_fn *cb, const struct site *up)
{
	PROBE(cb, up);
	PROBE(cb, up);
}
enum { INNER_LAST = __LINE__ - 1 };

static inline __attribute__((always_inline)) void middle(probe_fn *cb, const struct site *up)
{
	PROBE(cb, up);
	CALL(inner, cb, up);
	PROBE(cb, up);
}

#endif
