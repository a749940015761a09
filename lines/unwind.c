/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - the charging rule of `mprof lines` (unwind.h): the sampled
 * address if it has lines, else the first return address on the stack
 * into code with lines.
 */
#include "unwind.h"

#include "code.h"
#include "symbolize.h"

/* addr is in the program's code (not a system library's) with lines. */
static int has_lines(struct mp_code *c, struct mp_sym *s, uint32_t pid,
		     uint64_t addr)
{
	return mp_code_kind(c, pid, addr) == MP_CODE_USER &&
	       mp_sym_has_lines(s, pid, addr);
}

uint64_t mp_unwind_pick(struct mp_code *c, struct mp_sym *s, uint32_t pid, uint64_t ip,
			const uint64_t *words, size_t n,
			int (*is_call)(void *ctx, uint32_t pid, uint64_t ra),
			void *ctx, enum mp_unwind_how *how)
{
	size_t i;

	if (has_lines(c, s, pid, ip)) {
		*how = MP_UNWIND_IP;
		return ip;
	}
	for (i = 0; i < n; i++) {
		uint64_t ra = words[i];

		if (ra < 4096 || !has_lines(c, s, pid, ra - 1))
			continue;
		if (is_call && !is_call(ctx, pid, ra))
			continue;
		*how = MP_UNWIND_STACK;
		return ra - 1;
	}
	*how = MP_UNWIND_NONE;
	return ip;
}
