/* SPDX-License-Identifier: MIT */
/*
 * preload_tail.c - tail calls, for the heap backend's preload library
 * (preload.c): a frame whose call went to another function than the one
 * running below it had that function jump (a tail call) instead of call;
 * the jump is found by decoding the program's code in place, so that its
 * line is charged as the plugin charges it (docs/lines.md, "Which line an
 * event is charged to").  Nothing here allocates or locks: it runs inside
 * the malloc wrappers.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

/* libgcc's CFI lookup: the FDE holding pc, and the start of its code. */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *b);

/* How far into a function its jump is looked for when its CFI does not
   say where it ends, the most looked at otherwise, and the answers cached
   per return address and callee (mp_preload_tail_jumps()). */
#define TAIL_SCAN 512
#define MAX_FUNC (1 << 20)
#define TAIL_CACHE 4096
static uint64_t tail_cache[TAIL_CACHE];

void mp_preload_tail_forget(void)
{
	memset(tail_cache, 0, sizeof tail_cache);
}

/* The 8 bytes at a, read without risk of a fault (another object's data:
   a GOT slot, a function pointer).  0 when they cannot be read. */
static int peek(uint32_t pid, uintptr_t a, uint64_t *v)
{
	struct iovec l = { v, sizeof *v }, r = { (void *)a, sizeof *v };

	return syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0) ==
	       (long)sizeof *v;
}

/* The rel32 operand at a, in code known to be mapped. */
static intptr_t rel32(uintptr_t a)
{
	int32_t v;

	memcpy(&v, (const void *)a, sizeof v);
	return v;
}

/* Where code at d leads: through its PLT entry (endbr64, bnd, jmp
   *slot(%rip)) when it is one, else d itself. */
static uintptr_t through_plt(uintptr_t d, uint32_t pid)
{
	const struct mp_preload_range *r = mp_preload_in_text(d);
	uintptr_t a = d;
	uint64_t v;

	if (!r || d + 11 > r->hi)
		return d;
	if (!memcmp((const void *)a, "\xf3\x0f\x1e\xfa", 4))
		a += 4;
	if (*(const unsigned char *)a == 0xf2)
		a++;
	if (!memcmp((const void *)a, "\xff\x25", 2) &&
	    peek(pid, a + 6 + rel32(a + 2), &v))
		return (uintptr_t)v;
	return d;
}

/* What the call ending at return address ra (in r) called: a direct call
   (e8 rel32), or call *slot(%rip) (ff 15, the slot read now); else 0. */
static uintptr_t call_target(uintptr_t ra, const struct mp_preload_range *r,
			     uint32_t pid)
{
	uint64_t v;

	if (ra - 5 >= r->lo && *(const unsigned char *)(ra - 5) == 0xe8)
		return ra + rel32(ra - 4);
	if (ra - 6 >= r->lo && !memcmp((const void *)(ra - 6), "\xff\x15", 2) &&
	    peek(pid, ra + rel32(ra - 4), &v))
		return (uintptr_t)v;
	return 0;
}

/*
 * Where the function starting at t ends, from its CFI (the FDE's address
 * range; GCC's .eh_frame encodes both pc-relative, 4 bytes, which is
 * checked), within rt; TAIL_SCAN bytes on when it cannot be told.
 */
static uintptr_t func_end(uintptr_t t, const struct mp_preload_range *rt)
{
	uintptr_t end = t + TAIL_SCAN;
	struct dwarf_eh_bases b;
	const unsigned char *fde = _Unwind_Find_FDE((void *)t, &b);
	int32_t begin;
	uint32_t len;

	if (fde && (uintptr_t)b.func == t) {
		memcpy(&begin, fde + 8, 4);
		memcpy(&len, fde + 12, 4);
		if ((uintptr_t)(fde + 8) + begin == t && len <= MAX_FUNC)
			end = t + len;
	}
	return end < rt->hi ? end : rt->hi;
}

/* The first jump to callee in the function that starts at t (in rt): jmp
   rel32 to it or to its PLT entry, jmp *slot(%rip), then jmp rel8 (two
   bytes match by chance more often: only when no long jump did); the
   jump's address, or 0. */
static uintptr_t find_jump(uintptr_t t, const struct mp_preload_range *rt,
			   uintptr_t callee, uint32_t pid)
{
	uintptr_t a, end = func_end(t, rt);
	uint64_t v;

	for (a = t; a + 5 <= end; a++) {
		const unsigned char *p = (const void *)a;

		if (p[0] == 0xe9 &&
		    through_plt(a + 5 + rel32(a + 1), pid) == callee)
			return a;
		if (p[0] == 0xff && p[1] == 0x25 && a + 6 <= end &&
		    peek(pid, a + 6 + rel32(a + 2), &v) && v == callee)
			return a;
	}
	for (a = t; a + 2 <= end; a++) {
		const unsigned char *p = (const void *)a;

		if (p[0] == 0xeb && a + 2 + (int8_t)p[1] == callee)
			return a;
	}
	return 0;
}

/* Where the direct jump at a (jmp rel32, jmp rel8) goes, or 0; the
   instruction ends by end. */
static uintptr_t jump_target(uintptr_t a, uintptr_t end)
{
	const unsigned char *p = (const void *)a;

	if (p[0] == 0xe9 && a + 5 <= end)
		return a + 5 + rel32(a + 1);
	if (p[0] == 0xeb && a + 2 <= end)
		return a + 2 + (int8_t)p[1];
	return 0;
}

/* Whether a is the entry of a function of the program (where its CFI
   starts), not a place inside one. */
static int is_entry(uintptr_t a)
{
	const struct mp_preload_range *r = mp_preload_in_text(a);
	struct dwarf_eh_bases b;

	return r && !r->system && _Unwind_Find_FDE((void *)a, &b) &&
	       (uintptr_t)b.func == a;
}

/*
 * A tail call (docs/lines.md, "Which line an event is charged to"): the
 * frame at return address ra, in the program's own code, is below (calls)
 * a frame in the function that starts at `callee` (a wrapper, or any
 * function of the program further out), but the call at ra went to
 * another function of the program's own, t, which jumped to `callee`
 * (find_jump()) instead of calling it: t's frame is gone, and that jump's
 * line is the one that ran.  Or t jumped to a function u of the program
 * (jmp rel32 or rel8 to a function's entry) that jumped to `callee`: two
 * frames gone (taken only when no other function t jumps to leads to
 * `callee`).  Fills jumps[] with the jumps' addresses + 1 (read as a
 * return address is: its line is the byte before), innermost first, and
 * returns how many (0 to 2).  Answers are cached per ra and callee, in
 * one word so that threads racing on a slot never mix two answers: 22
 * bits of ra and callee as a tag, u's jump as 1 + its offset from u (10
 * bits, so u's jump must lie within 1 KiB of its entry; u is read back
 * from t's jump), t's jump as a distance from ra.
 */
int mp_preload_tail_jumps(uintptr_t ra, uintptr_t callee, uint32_t pid,
			  uintptr_t jumps[2])
{
	uintptr_t h = ra ^ (callee * 0x9e3779b97f4a7c15u);
	uint64_t *slot = &tail_cache[(h ^ (h >> 12) ^ (h >> 32)) % TAIL_CACHE];
	uint64_t w = __atomic_load_n(slot, __ATOMIC_RELAXED);
	uint32_t tag = ((uint32_t)(ra ^ (callee << 7)) | 1) & 0x3fffff;
	const struct mp_preload_range *r, *rt, *ru;
	uintptr_t t, a, u, end, u2 = 0, j = 0, j2 = 0;
	int32_t d;

	if (w && (uint32_t)(w >> 42) == tag) {
		d = (int32_t)(uint32_t)w;
		if (!d)
			return 0;
		jumps[0] = ra + d;
		if (!((w >> 32) & 0x3ff))
			return 1;
		jumps[1] = jumps[0];
		jumps[0] = jump_target(jumps[1] - 1, jumps[1] + 4) +
			   ((w >> 32) & 0x3ff);
		return 2;
	}
	r = mp_preload_in_text(ra);
	if (!r || r->system)
		return 0;
	t = call_target(ra, r, pid);
	rt = t ? mp_preload_in_text(t) : NULL;
	if (rt && !rt->system && t != callee &&
	    through_plt(t, pid) != callee) {
		j = find_jump(t, rt, callee, pid);
		/* two tail calls: t's jumps to a function's entry; taken
		   only when one such jump leads to callee (which t took is
		   not known) */
		for (a = t, end = func_end(t, rt); !j && a + 2 <= end; a++) {
			uintptr_t k;

			u = jump_target(a, end);
			ru = u && u != t && u != callee ? mp_preload_in_text(u) : NULL;
			if (!ru || ru->system || !is_entry(u))
				continue;
			k = find_jump(u, ru, callee, pid);
			if (k && k - u >= 0x3ff)
				k = 0;	/* beyond what the cache holds */
			if (k && j2) {
				j2 = 0;	/* two ways: none */
				break;
			}
			if (k)
				j2 = k;
			if (k)
				u2 = a;
		}
		if (j2)
			j = u2;
	}
	if (j && (intptr_t)(j + 1 - ra) != (int32_t)(j + 1 - ra))
		j = j2 = 0;	/* too far to cache: not the program's jump */
	__atomic_store_n(slot, (uint64_t)tag << 42 |
			 (uint64_t)(j2 ? j2 - jump_target(j, j + 5) + 1 : 0) << 32 |
			 (uint32_t)(j ? j + 1 - ra : 0), __ATOMIC_RELAXED);
	if (!j)
		return 0;
	if (!j2) {
		jumps[0] = j + 1;
		return 1;
	}
	jumps[0] = j2 + 1;
	jumps[1] = j + 1;
	return 2;
}
