/* SPDX-License-Identifier: MIT */
/*
 * symbolize_internal.h - what the symbolizer's files share: interned
 * strings (symbolize_strs.c), one object's ELF facts (elf_obj.c) and its
 * DWARF index (dwarf_index.c, read in a child process by dwarf_child.c).
 * symbolize.c puts them together behind symbolize.h.
 *
 * Invariant: every string an index holds is interned in the mp_sym's
 * string table, so equal names are equal pointers and live until
 * mp_sym_free.
 */
#ifndef MPROF_LINES_SYMBOLIZE_INTERNAL_H
#define MPROF_LINES_SYMBOLIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interned strings: a hash set over chunks that are never moved. */
struct mp_strs {
	const char **slots;	/* open addressing, NULL = free */
	size_t nslots, used;
	char *chunk;		/* current chunk and what is left of it */
	size_t left;
	void **chunks;		/* every chunk, for freeing */
	size_t nchunks;
};
const char *mp_strs_intern(struct mp_strs *t, const char *str);
void mp_strs_free(struct mp_strs *t);

/* How many elements of the array base[0..n), each size bytes and sorted by
 * the uint64_t each starts with, have that key <= v: the element covering
 * v, if any, is the one before. */
static inline size_t mp_sym_count_le(const void *base, size_t n, size_t size, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (*(const uint64_t *)((const char *)base + mid * size) <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A PT_LOAD segment: file [off, off + filesz) is at [vaddr, ...). */
struct mp_elf_seg {
	uint64_t off, filesz, vaddr;
};

/* An ELF function symbol (lo first: searched with mp_sym_count_le). */
struct mp_elf_sym {
	uint64_t lo, size;
	const char *name;	/* interned */
};

/* What the symbolizer needs of one ELF file. */
struct mp_elf {
	struct mp_elf_seg *segs;	/* PT_LOAD segments */
	size_t nsegs;
	uint8_t build_id[64];		/* NT_GNU_BUILD_ID, build_id_len bytes */
	size_t build_id_len;
	char debuglink[256];		/* .gnu_debuglink name, "" if none */
	bool has_dwarf;			/* .debug_info and .debug_line with data */
	struct mp_elf_sym *syms;	/* .symtab (or .dynsym) functions, by lo */
	size_t nsyms;
	bool syms_from_symtab;		/* syms came from .symtab */
};
/* Read path's ELF headers, notes and function symbols; 0, or -1 when the
 * file cannot be opened or is not a 64-bit ELF file of this byte order. */
int mp_elf_read(const char *path, struct mp_elf *e, struct mp_strs *strs);
void mp_elf_free(struct mp_elf *e);
/* The function symbol covering vaddr, or NULL. */
const struct mp_elf_sym *mp_elf_sym_at(const struct mp_elf *e, uint64_t vaddr);
/* The virtual address of file offset off, via the segment holding it; false
 * when no PT_LOAD segment holds it. */
bool mp_elf_off_to_vaddr(const struct mp_elf *e, uint64_t off, uint64_t *vaddr);

/* A row of the line tables: from addr up to the next row's addr is line of
 * file; an end row (line < 0) ends a sequence.  addr comes first, for
 * mp_sym_count_le. */
struct mp_dw_row {
	uint64_t addr;
	const char *file;
	int line;
};

/* A function: an out-of-line subprogram or the origin of inlined copies. */
struct mp_dw_func {
	const char *name;	/* NULL if the DWARF gives none */
	const char *decl_file;	/* NULL if unknown */
	int decl_line;
	int last_line;		/* highest line in its code, 0 if none */
};

/* A concrete instance: the subprogram or one inlined copy. */
struct mp_dw_node {
	uint32_t func;		/* index into funcs */
	int32_t parent;		/* node it is inlined into, -1 if out of line */
	const char *call_file;	/* inlined: where parent calls it */
	int call_line;
	const char *comp_dir;	/* the CU's DW_AT_comp_dir, "" if none */
};

/* Disjoint address ranges, each with its innermost node (lo first, for
 * mp_sym_count_le). */
struct mp_dw_range {
	uint64_t lo, hi;
	int32_t node;
};

struct mp_dwarf {
	struct mp_dw_row *rows;		/* by addr, end rows first at ties */
	size_t nrows;
	struct mp_dw_func *funcs;
	size_t nfuncs;
	struct mp_dw_node *nodes;
	size_t nnodes;
	struct mp_dw_range *ranges;	/* by lo, disjoint */
	size_t nranges;
};
/* Index the DWARF of path (line tables, subprograms, inlined copies).
 * Returns NULL when the file has no usable DWARF; a partly corrupt file
 * gives what could be read. */
struct mp_dwarf *mp_dwarf_load(const char *path, struct mp_strs *strs);
/* mp_dwarf_load in a child process (dwarf_child.c), so that libdwarf
 * crashing on a corrupt file costs that file's lines, nothing more. */
struct mp_dwarf *mp_dwarf_load_isolated(const char *path, struct mp_strs *strs);
void mp_dwarf_free(struct mp_dwarf *d);
/* The row covering vaddr (NULL if none, or vaddr is past a sequence's
 * end), and the node of the innermost function there (-1 if none). */
const struct mp_dw_row *mp_dwarf_row_at(const struct mp_dwarf *d, uint64_t vaddr);
int32_t mp_dwarf_node_at(const struct mp_dwarf *d, uint64_t vaddr);

#endif
