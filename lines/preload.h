/* SPDX-License-Identifier: MIT */
/*
 * preload.h - what the two files of libmprof_lines.so, the heap backend's
 * preload library, share: preload.c (the malloc wrappers, the events)
 * asks preload_tail.c for the jumps of tail calls, which needs to know
 * the loaded objects' code ranges.
 */
#ifndef MP_PRELOAD_H
#define MP_PRELOAD_H

#include <stdint.h>

/* An executable range of a loaded object. */
struct mp_preload_range {
	uintptr_t lo, hi;
	int system;		/* a system library's code (code.h) */
};

/* The range holding a, or NULL (preload.c). */
const struct mp_preload_range *mp_preload_in_text(uintptr_t a);

/*
 * The tail calls between the frame at return address ra (the program's
 * own code) and the frame below it, in the function starting at callee:
 * the jumps' addresses + 1 in jumps[], innermost first; 0 to 2 of them.
 */
int mp_preload_tail_jumps(uintptr_t ra, uintptr_t callee, uint32_t pid,
			  uintptr_t jumps[2]);
/* Forget the answers cached (code was mapped or unmapped). */
void mp_preload_tail_forget(void);

#endif /* MP_PRELOAD_H */
