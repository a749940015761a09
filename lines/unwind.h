/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - which line an event of `mprof lines` is charged to.
 *
 * An event (a page fault, a munmap, a malloc call) happens at an
 * instruction address, often inside a library without line information
 * (memset, memcpy, strdup, malloc itself).  The rule: charge the sampled
 * address if it has line information; otherwise the first return address
 * on the user stack, read upward from the stack pointer, that follows a
 * call instruction and lies in code with line information.  libc's string
 * functions are leaves, so their caller's return address is the first
 * word of the stack; a word that merely looks like a code address is
 * ruled out by the call-instruction test.  No CFI is needed, so it works
 * on -O2 code without frame pointers; the heap recorder gives it exact
 * frames from backtrace(), and the rss recorder uses it only where its
 * CFI unwinding (cfi.h) finds no line.  Code of system libraries (code.h)
 * is never charged, even with its debug information installed.  When no
 * line is found, the event goes to the program's own code nearest to it
 * (by function and address: a program built without -g), else to its
 * own address.
 */
#ifndef MP_UNWIND_H
#define MP_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct mp_sym;
struct mp_code;

/* How the address was found. */
enum mp_unwind_how {
	MP_UNWIND_IP,		/* the event's own address has lines */
	MP_UNWIND_STACK,	/* a caller's, found on the stack */
	MP_UNWIND_NONE		/* no line anywhere: by address */
};

/*
 * 1 if the 7 bytes before a return address end with a call instruction
 * (e8 rel32, or ff /2 with any addressing form, REX prefix allowed).
 */
int mp_unwind_follows_call(const unsigned char before[7]);

/*
 * The code address to charge (an instruction address: a return address
 * is turned into ret - 1) for an event at ip with the stack words
 * words[0..n) (words[0] at the stack pointer).  is_call(ctx, pid, ra)
 * checks a candidate return address; NULL means every word given already
 * passed that test.  *next is the index of the first word above the
 * one picked (0 when the event's own address was), where its callers'
 * return addresses are.
 */
uint64_t mp_unwind_pick(struct mp_code *c, struct mp_sym *s, uint32_t pid, uint64_t ip,
			const uint64_t *words, size_t n,
			int (*is_call)(void *ctx, uint32_t pid, uint64_t ra),
			void *ctx, enum mp_unwind_how *how, size_t *next);

#endif /* MP_UNWIND_H */
