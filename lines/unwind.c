/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - the charging rule of `mprof lines` (unwind.h): the sampled
 * address if it has lines, else the first return address on the stack
 * into code with lines.
 */
#include "unwind.h"

#include "code.h"
#include "symbolize.h"

uint64_t mp_unwind_pick(struct mp_code *c, struct mp_sym *s, uint32_t pid,
			uint64_t ip, const uint64_t *words, size_t n,
			int (*is_call)(void *ctx, uint32_t pid, uint64_t ra),
			void *ctx, enum mp_unwind_how *how, size_t *next)
{
	uint64_t fallback = 0;
	size_t i;

	*next = 0;
	if (mp_code_kind(c, pid, ip) == MP_CODE_USER) {
		if (mp_sym_has_lines(s, pid, ip)) {
			*how = MP_UNWIND_IP;
			return ip;
		}
		fallback = ip;
	}
	for (i = 0; i < n; i++) {
		uint64_t ra = words[i];

		if (ra < 4096 ||
		    mp_code_kind(c, pid, ra - 1) != MP_CODE_USER)
			continue;
		if (!mp_sym_has_lines(s, pid, ra - 1)) {
			if (!fallback && (!is_call || is_call(ctx, pid, ra)))
				fallback = ra - 1;
			continue;
		}
		if (is_call && !is_call(ctx, pid, ra))
			continue;
		*how = MP_UNWIND_STACK;
		*next = i + 1;
		return ra - 1;
	}
	*how = MP_UNWIND_NONE;
	return fallback ? fallback : ip;
}
