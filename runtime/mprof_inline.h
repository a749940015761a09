/* SPDX-License-Identifier: MIT */
/*
 * mprof_inline.h - the line event the plugin emits inline (ABI 3,
 * runtime/mprof_abi.h), written in C, so that the unit tests and the
 * micro benchmark drive the runtime exactly as instrumented code does:
 * no call while the frame's watch holds, the line probe otherwise.  The
 * runtime itself never includes it.
 */
#ifndef MPROF_INLINE_H
#define MPROF_INLINE_H

#include "mprof_abi.h"

/* LINE(&sites[i], f): control reached the line of site `s`. */
static inline __attribute__((always_inline)) void
mp_inline_line(struct __mprof_site *s, struct __mprof_frame *f,
	       void (*line)(struct __mprof_site *, struct __mprof_frame *))
{
	if (*f->change == f->seen && *f->change2 == f->seen2) {
		f->cur->count += 1;
		if (f->cur->peak < f->before)
			f->cur->peak = f->before;
		f->cur = (struct __mprof_site *)((char *)s + f->delta);
	} else {
		line(s, f);
	}
}

/* The event with the runtime's line probe (declared by the includer). */
#define LINE(s, f) mp_inline_line((s), (f), __mprof_line)

#endif /* MPROF_INLINE_H */
