/* SPDX-License-Identifier: MIT */
/*
 * cfi.c - unwinding rules from .eh_frame (cfi.h).  A file offset becomes
 * an ELF virtual address through the PT_LOAD segment holding it; libdwarf
 * finds the FDE and the CFA and %rbp rules at that address.  Only the
 * forms GCC emits for x86-64 are taken (CFA = register + offset, %rbp
 * saved at CFA + offset); anything else gives no step.
 */
#define _GNU_SOURCE
#include "cfi.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>

#include "hmap.h"

#define MAX_LOADS 16
#define REG_BP 6
#define REG_SP 7

struct obj {
	char *path;
	int ok;			/* FDEs were read */
	Dwarf_Debug dbg;
	Dwarf_Cie *cies;
	Dwarf_Signed ncies;
	Dwarf_Fde *fdes;
	Dwarf_Signed nfdes;
	Elf64_Phdr loads[MAX_LOADS];
	int nloads;
};

struct mp_cfi {
	struct obj *o;
	size_t n, cap;
	struct mp_hmap rules;	/* (object, offset) -> packed rule, or NONE */
};

/* A cached "no rule here". */
#define NONE 1ull

struct mp_cfi *mp_cfi_new(void)
{
	return calloc(1, sizeof(struct mp_cfi));
}

void mp_cfi_free(struct mp_cfi *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		struct obj *o = &c->o[i];

		if (o->ok) {
			dwarf_fde_cie_list_dealloc(o->dbg, o->cies, o->ncies,
						   o->fdes, o->nfdes);
		}
		if (o->dbg)
			dwarf_finish(o->dbg, NULL);
		free(o->path);
	}
	free(c->o);
	mp_hmap_free(&c->rules);
	free(c);
}

/* The PT_LOAD segments of an ELF64 file. */
static int read_loads(const char *path, struct obj *o)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		close(fd);
		return -1;
	}
	for (i = 0; i < eh.e_phnum && o->nloads < MAX_LOADS; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof ph,
			  (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) !=
		    (ssize_t)sizeof ph)
			break;
		if (ph.p_type == PT_LOAD)
			o->loads[o->nloads++] = ph;
	}
	close(fd);
	return 0;
}

static struct obj *get(struct mp_cfi *c, const char *path)
{
	Dwarf_Error err = NULL;
	struct obj *o;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->o[i].path, path))
			return &c->o[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		o = realloc(c->o, cap * sizeof *o);
		if (!o)
			return NULL;
		c->o = o;
		c->cap = cap;
	}
	o = &c->o[c->n];
	memset(o, 0, sizeof *o);
	o->path = strdup(path);
	if (!o->path)
		return NULL;
	c->n++;
	if (read_loads(path, o))
		return o;
	if (dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY,
			    NULL, NULL, &o->dbg, NULL, 0, NULL, &err) !=
	    DW_DLV_OK) {
		o->dbg = NULL;
		return o;
	}
	if (dwarf_get_fde_list_eh(o->dbg, &o->cies, &o->ncies, &o->fdes,
				  &o->nfdes, &err) == DW_DLV_OK)
		o->ok = 1;
	return o;
}

static int find_rule(struct mp_cfi *c, const char *path, uint64_t off,
		     struct mp_cfi_rule *r);

/*
 * Rules are cached by object and offset, packed in 64 bits: bit 63 set,
 * bit 62 the CFA register (1: %rbp), bit 61 %rbp saved, bits 30..59 the
 * CFA offset and 0..29 the %rbp offset, both biased by 2^29 (GCC's offsets
 * are small).
 */
int mp_cfi_rule(struct mp_cfi *c, const char *path, uint64_t off,
		struct mp_cfi_rule *r)
{
	const int64_t bias = (int64_t)1 << 29;
	uint64_t key = off * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)path;
	uint64_t *v = key ? mp_hmap_get(&c->rules, key) : NULL, packed;
	int added;

	if (v && *v == NONE)
		return -1;
	if (v) {
		r->cfa_reg = (*v >> 62) & 1 ? 6 : 7;
		r->bp_saved = (int)((*v >> 61) & 1);
		r->cfa_off = (int64_t)((*v >> 30) & ((1u << 30) - 1)) - bias;
		r->bp_off = (int64_t)(*v & ((1u << 30) - 1)) - bias;
		return 0;
	}
	if (find_rule(c, path, off, r)) {
		packed = NONE;
	} else if (r->cfa_off < -bias || r->cfa_off >= bias ||
		   r->bp_off < -bias || r->bp_off >= bias) {
		return 0;	/* not cacheable, but a rule */
	} else {
		packed = 1ull << 63 | (uint64_t)(r->cfa_reg == 6) << 62 |
			 (uint64_t)(r->bp_saved != 0) << 61 |
			 (uint64_t)(r->cfa_off + bias) << 30 |
			 (uint64_t)((r->bp_saved ? r->bp_off : 0) + bias);
	}
	v = key ? mp_hmap_put(&c->rules, key, &added) : NULL;
	if (v)
		*v = packed;
	return packed == NONE ? -1 : 0;
}

/* The rule from the object's .eh_frame. */
static int find_rule(struct mp_cfi *c, const char *path, uint64_t off,
		     struct mp_cfi_rule *r)
{
	Dwarf_Signed offrel, reg, value;
	Dwarf_Addr lo, hi, row, next, pc = 0;
	Dwarf_Error err = NULL;
	Dwarf_Small type;
	Dwarf_Bool more;
	Dwarf_Ptr block;
	Dwarf_Fde fde;
	struct obj *o = get(c, path);
	int i, found = 0;

	if (!o || !o->ok)
		return -1;
	for (i = 0; i < o->nloads; i++) {
		const Elf64_Phdr *ph = &o->loads[i];

		if (off >= ph->p_offset && off < ph->p_offset + ph->p_filesz) {
			pc = off - ph->p_offset + ph->p_vaddr;
			found = 1;
			break;
		}
	}
	if (!found ||
	    dwarf_get_fde_at_pc(o->fdes, pc, &fde, &lo, &hi, &err) != DW_DLV_OK)
		return -1;
	if (dwarf_get_fde_info_for_cfa_reg3_b(fde, pc, &type, &offrel, &reg,
					      &value, &block, &row, &more,
					      &next, &err) != DW_DLV_OK ||
	    type != DW_EXPR_OFFSET || (reg != REG_SP && reg != REG_BP))
		return -1;
	r->cfa_reg = (int)reg;
	r->cfa_off = value;
	r->bp_saved = 0;
	r->bp_off = 0;
	if (dwarf_get_fde_info_for_reg3_b(fde, REG_BP, pc, &type, &offrel, &reg,
					  &value, &block, &row, &more, &next,
					  &err) == DW_DLV_OK &&
	    type == DW_EXPR_OFFSET && offrel && reg == DW_FRAME_CFA_COL3) {
		r->bp_saved = 1;
		r->bp_off = value;
	}
	return 0;
}
