/* SPDX-License-Identifier: MIT */
/*
 * cfi.h - one unwinding step of x86-64 code, from its object's .eh_frame
 * (libdwarf), for the rss recorder of `mprof lines`: at an instruction,
 * where the caller's frame starts (the CFA: a register plus an offset)
 * and where the caller's %rbp was saved.  The return address is at CFA-8
 * on x86-64.  Objects are read once, on first use, and rules are cached
 * per instruction; an object without .eh_frame, or an instruction without
 * an FDE, gives no step.
 */
#ifndef MP_CFI_H
#define MP_CFI_H

#include <stdint.h>

struct mp_cfi;

/* The rule at an instruction: CFA = (reg 7 %rsp or 6 %rbp) + cfa_off;
   the caller's %rbp at CFA + bp_off when bp_saved, else unchanged. */
struct mp_cfi_rule {
	int cfa_reg;
	int64_t cfa_off;
	int bp_saved;
	int64_t bp_off;
};

struct mp_cfi *mp_cfi_new(void);
void mp_cfi_free(struct mp_cfi *c);
/* The rule at file offset off of the object at path: 0, or -1. */
int mp_cfi_rule(struct mp_cfi *c, const char *path, uint64_t off,
		struct mp_cfi_rule *r);

#endif /* MP_CFI_H */
