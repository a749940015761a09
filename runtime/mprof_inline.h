/* SPDX-License-Identifier: MIT */
/*
 * mprof_inline.h - the code the plugin emits inline (ABI 9,
 * runtime/mprof_abi.h), written in C, so that the unit tests and the
 * micro benchmark drive the runtime exactly as instrumented code does:
 * the line event (no call while the frame's watch holds, the line probe
 * otherwise), a quiet call's entry and exit, and a local frame's.  The runtime itself never
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
	if (*f->change == f->seen) {
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
	return *f->change == f->seen;
}

/* An inlined call below the record `f` counted inline, if it can be:
   f's watch holds, f allows it, the function was called before. */
static inline __attribute__((always_inline)) int
mp_inline_count_call(struct __mprof_site *s0, const struct __mprof_frame *f)
{
	if (!mp_inline_holds(f) || !f->quiet || !s0->count)
		return 0;
	s0->count += 1;
	if (s0->peak < f->before)
		s0->peak = f->before;
	return 1;
}

/* The entry of a one-line function inlined below the record `f`: NULL
   when counted inline, else the record enter() gave. */
static inline __attribute__((always_inline)) struct __mprof_frame *
mp_inline_quiet_enter(struct __mprof_site *s0, struct __mprof_frame *f,
		      struct __mprof_frame *(*enter)(struct __mprof_site *))
{
	return mp_inline_count_call(s0, f) ? 0 : enter(s0);
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

/* The entry of a longer function inlined below the record `x`, in a
   local frame written in the slot above x: that frame when it runs there,
   else the record enter() gave.  `scratch` is the unit's site where the
   frame's first events count. */
static inline __attribute__((always_inline)) struct __mprof_frame *
mp_inline_frame_enter(struct __mprof_site *s0, struct __mprof_frame *x,
		      struct __mprof_site *scratch,
		      struct __mprof_frame *(*enter)(struct __mprof_site *))
{
	if (mp_inline_count_call(s0, x)) {
		struct __mprof_frame *l = (struct __mprof_frame *)
			((char *)x + MPROF_FRAME_STRIDE);

		l->change = x->change;
		l->seen = x->seen;
		l->cur = scratch;
		l->before = x->before;
		l->delta = 0;
		l->quiet = x->quiet - 1;
		l->above = 0;
		l->s0 = s0;
		x->above = l;
		x->seen = MPROF_SEEN_NEVER;
		return l;
	}
	return enter(s0);
}

/* Its exit, `g` what the entry gave. */
static inline __attribute__((always_inline)) void
mp_inline_frame_exit(struct __mprof_frame *g, struct __mprof_site *s0,
		     struct __mprof_frame *x,
		     void (*quiet_exit)(struct __mprof_frame *,
					struct __mprof_site *,
					struct __mprof_frame *))
{
	uint64_t seen;

	if (x->above != g || !mp_inline_holds(g)) {
		quiet_exit(g, s0, x);
		return;
	}
	g->cur->count += 1;
	if (g->cur->peak < g->before)
		g->cur->peak = g->before;
	seen = g->seen;
	x->above = 0;
	x->seen = seen;
}

/* The events with the runtime's probes (declared by the includer). */
#define LINE(s, f) mp_inline_line((s), (f), __mprof_line)
#define QUIET_ENTER(s0, f) mp_inline_quiet_enter((s0), (f), __mprof_enter)
#define QUIET_EXIT(g, s0, f)						\
	mp_inline_quiet_exit((g), (s0), (f), __mprof_quiet_exit)
#define FRAME_ENTER(s0, x, scratch)					\
	mp_inline_frame_enter((s0), (x), (scratch), __mprof_enter)
#define FRAME_EXIT(g, s0, x)						\
	mp_inline_frame_exit((g), (s0), (x), __mprof_quiet_exit)

#endif /* MPROF_INLINE_H */
