/* SPDX-License-Identifier: MIT */
/*
 * callinsn.c - does a return address follow a call instruction?  The test
 * that tells a return address from any other word of the stack that
 * points into code (unwind.h); shared by the recorder and the preload
 * library, so it depends on nothing.
 */
#include "unwind.h"

/* Length of an ff /2 call from its ModRM byte on (ModRM, SIB, disp). */
static int modrm_len(const unsigned char *m, size_t avail)
{
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	int len = 1;

	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (avail < 2)
			return -1;
		len++;
		if (mod == 0 && (m[1] & 7) == 5)
			return len + 4;
	} else if (mod == 0 && rm == 5) {
		return len + 4;	/* rip-relative */
	}
	return len + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

int mp_unwind_follows_call(const unsigned char b[7])
{
	int k;

	if (b[2] == 0xe8)	/* call rel32: 5 bytes */
		return 1;
	/* ff /2: opcode at b[7-k] for an instruction of k bytes */
	for (k = 2; k <= 7; k++) {
		const unsigned char *op = b + 7 - k;

		if (op[0] != 0xff || ((op[1] >> 3) & 7) != 2)
			continue;
		if (1 + modrm_len(op + 1, (size_t)k - 1) == k)
			return 1;
	}
	return 0;
}

