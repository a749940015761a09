/* SPDX-License-Identifier: MIT */
/*
 * mprof_inline.h - the code the plugin emits inline (ABI 4,
 * runtime/mprof_abi.h), written in C, so that the unit tests and the
 * micro benchmark drive the runtime exactly as instrumented code does:
 * the line event (no call while the frame's watch holds, the line probe
 * otherwise) and a quiet call's entry and exit.  The runtime itself never
 * includes it.
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

static inline __attribute__((always_inline)) int
mp_inline_holds(const struct __mprof_frame *f)
{
	return *f->change == f->seen && *f->change2 == f->seen2;
}

/* The entry of a one-line function inlined below the record `f`: NULL
   when counted inline, else the record enter() gave. */
static inline __attribute__((always_inline)) struct __mprof_frame *
mp_inline_quiet_enter(struct __mprof_site *s0, struct __mprof_frame *f,
		      struct __mprof_frame *(*enter)(struct __mprof_site *))
{
	if (mp_inline_holds(f) && f->quiet && s0->count) {
		s0->count += 1;
		if (s0->peak < f->before)
			s0->peak = f->before;
		return 0;
	}
	return enter(s0);
}

/* Its exit, `g` what the entry gave. */
static inline __attribute__((always_inline)) void
mp_inline_quiet_exit(struct __mprof_frame *g, struct __mprof_site *s0,
		     struct __mprof_frame *f,
		     void (*quiet_exit)(struct __mprof_frame *,
					struct __mprof_site *,
					struct __mprof_frame *))
{
	if (g || !mp_inline_holds(f))
		quiet_exit(g, s0, f);
}

/* The events with the runtime's probes (declared by the includer). */
#define LINE(s, f) mp_inline_line((s), (f), __mprof_line)
#define QUIET_ENTER(s0, f) mp_inline_quiet_enter((s0), (f), __mprof_enter)
#define QUIET_EXIT(g, s0, f)						\
	mp_inline_quiet_exit((g), (s0), (f), __mprof_quiet_exit)

#endif /* MPROF_INLINE_H */
