/* SPDX-License-Identifier: MIT */
/*
 * dwarf_index.c - one object's DWARF, read once with libdwarf into three
 * sorted arrays the lookups binary-search: the rows of every line table,
 * the functions (out-of-line subprograms and the origins of inlined
 * copies, with their first and last lines) and disjoint address ranges
 * each naming its innermost instance (subprogram or inlined copy, which
 * points at the instance it is inlined into).  The libdwarf handle is
 * closed when the arrays are built, so memory is what the arrays need.
 * DWARF 4 (.debug_ranges) and 5 (.debug_rnglists, DW_FORM_addrx) both
 * work; an error in one compilation unit stops the walk with what was read
 * so far.
 */
#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>

#include "symbolize_internal.h"

enum { MAX_DEPTH = 128, MAX_FILES = 1 << 16 };

/* An address range of an instance, before flattening. */
struct span {
	uint64_t lo, hi;
	int32_t node;
	int depth;
};

/* Function origin DIE offset to index into funcs: open addressing. */
struct funcmap {
	uint64_t *keys;		/* DIE offset + 1, 0 = free */
	uint32_t *vals;
	size_t nslots, used;
};

/* Everything the walk builds, and the unit it is in. */
struct builder {
	Dwarf_Debug dbg;
	Dwarf_Error err;
	struct mp_strs *strs;
	struct mp_dwarf *d;
	size_t caprows, capfuncs, capnodes;
	struct span *spans;
	size_t nspans, capspans;
	struct funcmap fmap;
	/* the current compilation unit */
	Dwarf_Off cu_off;		/* offset of its header in .debug_info */
	int version;			/* its DWARF version */
	uint64_t base;			/* DW_AT_low_pc, base of DWARF 4 ranges */
	const char *comp_dir;
	char **srcfiles;		/* dwarf_srcfiles, for decl_file/call_file */
	Dwarf_Signed nsrcfiles;
	int file_base;			/* file number of srcfiles[0] */
	bool failed;			/* memory ran out */
};

/* Grow *p (of *cap elements of size sz) to hold n + 1. */
static bool reserve(void *p, size_t *cap, size_t n, size_t sz)
{
	void **arr = p, *q;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 256;
	if (!(q = realloc(*arr, c * sz)))
		return false;
	*arr = q;
	*cap = c;
	return true;
}

/* Drop the error libdwarf returned (it is allocated). */
static void clear(struct builder *b)
{
	if (b->err) {
		dwarf_dealloc_error(b->dbg, b->err);
		b->err = NULL;
	}
}

static size_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* The slot of key in the map (free if absent); the map must have room. */
static size_t fslot(const struct funcmap *m, uint64_t key)
{
	size_t i = hash64(key) & (m->nslots - 1);

	while (m->keys[i] && m->keys[i] != key + 1)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

static bool fmap_put(struct funcmap *m, uint64_t key, uint32_t val)
{
	size_t i;

	if ((m->used + 1) * 2 > m->nslots) {
		struct funcmap n = { .nslots = m->nslots ? m->nslots * 2 : 1024 };

		n.keys = calloc(n.nslots, sizeof(*n.keys));
		n.vals = calloc(n.nslots, sizeof(*n.vals));
		if (!n.keys || !n.vals) {
			free(n.keys);
			free(n.vals);
			return false;
		}
		for (size_t j = 0; j < m->nslots; j++) {
			if (!m->keys[j])
				continue;
			i = fslot(&n, m->keys[j] - 1);
			n.keys[i] = m->keys[j];
			n.vals[i] = m->vals[j];
		}
		n.used = m->used;
		free(m->keys);
		free(m->vals);
		*m = n;
	}
	i = fslot(m, key);
	m->keys[i] = key + 1;
	m->vals[i] = val;
	m->used++;
	return true;
}

/* An unsigned constant attribute of die, 0 if absent or not one. */
static uint64_t udata(struct builder *b, Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Attribute attr;
	Dwarf_Unsigned v = 0;
	int res = dwarf_attr(die, at, &attr, &b->err);

	if (res != DW_DLV_OK) {
		clear(b);
		return 0;
	}
	if (dwarf_formudata(attr, &v, &b->err) != DW_DLV_OK) {
		Dwarf_Signed sv;

		/* This libdwarf reads DW_FORM_implicit_const (DWARF 5, gcc's
		 * choice for decl_file) only as signed. */
		clear(b);
		v = dwarf_formsdata(attr, &sv, &b->err) == DW_DLV_OK && sv > 0 ? sv : 0;
		clear(b);
	}
	dwarf_dealloc_attribute(attr);
	return v;
}

/* The file of a decl_file/call_file number of the current unit. */
static const char *file_name(struct builder *b, uint64_t num)
{
	if (num < (uint64_t)b->file_base || num - b->file_base >= (uint64_t)b->nsrcfiles)
		return NULL;
	return mp_strs_intern(b->strs, b->srcfiles[num - b->file_base]);
}

/* The DIE offset an attribute refers to, false if absent. */
static bool ref(struct builder *b, Dwarf_Die die, Dwarf_Half at, Dwarf_Off *off)
{
	Dwarf_Attribute attr;
	int res = dwarf_attr(die, at, &attr, &b->err);

	if (res != DW_DLV_OK) {
		clear(b);
		return false;
	}
	res = dwarf_global_formref(attr, off, &b->err);
	clear(b);
	dwarf_dealloc_attribute(attr);
	return res == DW_DLV_OK;
}

/* The function a subprogram or inlined copy is an instance of: the DIE
 * reached through DW_AT_abstract_origin / DW_AT_specification that has a
 * name, entered once in funcs.  UINT32_MAX when memory runs out. */
static uint32_t func_of(struct builder *b, Dwarf_Die die)
{
	struct mp_dwarf *d = b->d;
	Dwarf_Die cur = die;
	Dwarf_Off key, next, cu;
	struct mp_dw_func *f;
	char *name = NULL;
	size_t i;
	int hops;

	if (dwarf_dieoffset(die, &key, &b->err) != DW_DLV_OK) {
		clear(b);
		key = 0;
	}
	for (hops = 0; hops < 8; hops++) {
		int res = dwarf_diename(cur, &name, &b->err);
		Dwarf_Die up;

		clear(b);
		if (res == DW_DLV_OK)
			break;
		name = NULL;
		if (!ref(b, cur, DW_AT_abstract_origin, &next) &&
		    !ref(b, cur, DW_AT_specification, &next))
			break;
		if (dwarf_offdie_b(b->dbg, next, true, &up, &b->err) != DW_DLV_OK) {
			clear(b);
			break;
		}
		if (cur != die)
			dwarf_dealloc_die(cur);
		cur = up;
		key = next;
	}
	if (b->fmap.nslots && b->fmap.keys[i = fslot(&b->fmap, key)]) {
		if (cur != die)
			dwarf_dealloc_die(cur);
		return b->fmap.vals[i];
	}
	if (!reserve(&d->funcs, &b->capfuncs, d->nfuncs, sizeof(*d->funcs)) ||
	    !fmap_put(&b->fmap, key, d->nfuncs)) {
		if (cur != die)
			dwarf_dealloc_die(cur);
		return UINT32_MAX;
	}
	f = &d->funcs[d->nfuncs];
	memset(f, 0, sizeof(*f));
	f->name = mp_strs_intern(b->strs, name);
	f->decl_line = udata(b, cur, DW_AT_decl_line);
	/* decl_file numbers the files of the unit that holds cur. */
	if (dwarf_CU_dieoffset_given_die(cur, &cu, &b->err) == DW_DLV_OK) {
		Dwarf_Off here;

		if (dwarf_CU_dieoffset_given_die(die, &here, &b->err) == DW_DLV_OK && here == cu)
			f->decl_file = file_name(b, udata(b, cur, DW_AT_decl_file));
	}
	clear(b);
	if (cur != die)
		dwarf_dealloc_die(cur);
	return d->nfuncs++;
}

static void add_span(struct builder *b, uint64_t lo, uint64_t hi, int32_t node, int depth)
{
	/* Code the linker dropped keeps address 0 in the DWARF. */
	if (lo == 0 || lo >= hi)
		return;
	if (!reserve(&b->spans, &b->capspans, b->nspans, sizeof(*b->spans))) {
		b->failed = true;
		return;
	}
	b->spans[b->nspans++] = (struct span){ lo, hi, node, depth };
}

/* DWARF 5 DW_AT_ranges: a .debug_rnglists list. */
static void rnglist(struct builder *b, Dwarf_Attribute attr, int32_t node, int depth)
{
	Dwarf_Rnglists_Head head;
	Dwarf_Unsigned n, goff, val = 0;
	Dwarf_Half form;
	Dwarf_Off off;

	if (dwarf_whatform(attr, &form, &b->err) != DW_DLV_OK)
		return clear(b);
	if (form == DW_FORM_rnglistx) {
		if (dwarf_formudata(attr, &val, &b->err) != DW_DLV_OK)
			return clear(b);
	} else if (dwarf_global_formref(attr, &off, &b->err) == DW_DLV_OK) {
		val = off;
	} else {
		return clear(b);
	}
	if (dwarf_rnglists_get_rle_head(attr, form, val, &head, &n, &goff, &b->err) != DW_DLV_OK)
		return clear(b);
	for (Dwarf_Unsigned i = 0; i < n; i++) {
		unsigned len, code;
		Dwarf_Unsigned r1, r2, c1, c2;
		Dwarf_Bool unavailable = false;

		if (dwarf_get_rnglists_entry_fields_a(head, i, &len, &code, &r1, &r2,
						      &unavailable, &c1, &c2, &b->err) != DW_DLV_OK) {
			clear(b);
			break;
		}
		if (code == DW_RLE_end_of_list || code == DW_RLE_base_address ||
		    code == DW_RLE_base_addressx || unavailable)
			continue;
		add_span(b, c1, c2, node, depth);
	}
	dwarf_dealloc_rnglists_head(head);
}

/* DWARF 2-4 DW_AT_ranges: a .debug_ranges list, relative to the unit's
 * base address unless it sets its own. */
static void ranges(struct builder *b, Dwarf_Die die, Dwarf_Attribute attr, int32_t node, int depth)
{
	Dwarf_Ranges *r;
	Dwarf_Signed n;
	Dwarf_Unsigned bytes;
	Dwarf_Off off, real;
	uint64_t base = b->base;

	if (dwarf_global_formref(attr, &off, &b->err) != DW_DLV_OK)
		return clear(b);
	if (dwarf_get_ranges_b(b->dbg, off, die, &real, &r, &n, &bytes, &b->err) != DW_DLV_OK)
		return clear(b);
	for (Dwarf_Signed i = 0; i < n; i++) {
		if (r[i].dwr_type == DW_RANGES_END)
			break;
		if (r[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
			base = r[i].dwr_addr2;
		else
			add_span(b, base + r[i].dwr_addr1, base + r[i].dwr_addr2, node, depth);
	}
	dwarf_ranges_dealloc(b->dbg, r, n);
}

/* Record die's address ranges for node; false when it has none. */
static bool die_ranges(struct builder *b, Dwarf_Die die, int32_t node, int depth)
{
	Dwarf_Addr lo, hi;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	Dwarf_Attribute attr;
	size_t before = b->nspans;

	if (dwarf_lowpc(die, &lo, &b->err) == DW_DLV_OK) {
		if (dwarf_highpc_b(die, &hi, &form, &cls, &b->err) == DW_DLV_OK) {
			if (cls == DW_FORM_CLASS_CONSTANT)
				hi += lo;
			add_span(b, lo, hi, node, depth);
		}
		clear(b);
		return b->nspans > before;
	}
	clear(b);
	if (dwarf_attr(die, DW_AT_ranges, &attr, &b->err) != DW_DLV_OK) {
		clear(b);
		return false;
	}
	if (b->version >= 5)
		rnglist(b, attr, node, depth);
	else
		ranges(b, die, attr, node, depth);
	dwarf_dealloc_attribute(attr);
	return b->nspans > before;
}

/* A subprogram or inlined copy: a node, its ranges; -2 when it has no
 * code (an abstract instance or a declaration), whose children are
 * skipped. */
static int32_t instance(struct builder *b, Dwarf_Die die, Dwarf_Half tag, int32_t parent, int depth)
{
	struct mp_dwarf *d = b->d;
	struct mp_dw_node *n;
	int32_t id = d->nnodes;
	uint32_t func;

	if (!reserve(&d->nodes, &b->capnodes, d->nnodes, sizeof(*d->nodes))) {
		b->failed = true;
		return -2;
	}
	if (!die_ranges(b, die, id, depth))
		return -2;
	if ((func = func_of(b, die)) == UINT32_MAX) {
		b->failed = true;
		b->nspans = 0;
		return -2;
	}
	n = &d->nodes[d->nnodes++];
	n->func = func;
	n->parent = tag == DW_TAG_inlined_subroutine ? parent : -1;
	n->call_file = NULL;
	n->call_line = 0;
	n->comp_dir = b->comp_dir;
	if (tag == DW_TAG_inlined_subroutine) {
		n->call_file = file_name(b, udata(b, die, DW_AT_call_file));
		n->call_line = udata(b, die, DW_AT_call_line);
	}
	return id;
}

/* Walk die's children: instances become nodes, blocks and namespaces are
 * looked through, everything else (types, variables) is skipped. */
static void walk(struct builder *b, Dwarf_Die parent_die, int32_t parent, int depth)
{
	Dwarf_Die die, next;

	if (depth > MAX_DEPTH || b->failed)
		return;
	if (dwarf_child(parent_die, &die, &b->err) != DW_DLV_OK)
		return clear(b);
	for (;;) {
		Dwarf_Half tag;

		if (dwarf_tag(die, &tag, &b->err) != DW_DLV_OK) {
			clear(b);
			tag = 0;
		}
		switch (tag) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine: {
			int32_t id = instance(b, die, tag, parent, depth);

			if (id != -2)
				walk(b, die, id, depth + 1);
			break;
		}
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			walk(b, die, parent, depth + 1);
			break;
		default:
			break;
		}
		if (dwarf_siblingof_b(b->dbg, die, true, &next, &b->err) != DW_DLV_OK) {
			clear(b);
			dwarf_dealloc_die(die);
			return;
		}
		dwarf_dealloc_die(die);
		die = next;
	}
}

/* The rows of the unit's line table.  Sequences starting at address 0
 * (code the linker dropped) are left out; of rows at one address the last
 * one counts. */
static void line_table(struct builder *b, Dwarf_Die cu, bool gnu)
{
	struct mp_dwarf *d = b->d;
	Dwarf_Unsigned version;
	Dwarf_Small count;
	Dwarf_Line_Context ctx;
	Dwarf_Line *lines;
	Dwarf_Signed n;
	const char **names;
	size_t seq = d->nrows;
	bool drop = false, start = true;

	if (dwarf_srclines_b(cu, &version, &count, &ctx, &b->err) != DW_DLV_OK)
		return clear(b);
	/* decl_file, call_file and the rows number files from 1 up to
	 * DWARF 4, from 0 in DWARF 5. */
	b->file_base = version >= 5 ? 0 : 1;
	names = calloc(b->nsrcfiles + 1, sizeof(*names));
	if (!names || dwarf_srclines_from_linecontext(ctx, &lines, &n, &b->err) != DW_DLV_OK) {
		clear(b);
		n = 0;
	}
	for (Dwarf_Signed i = 0; i < n && !b->failed; i++) {
		Dwarf_Addr addr;
		Dwarf_Unsigned line, fileno;
		Dwarf_Bool end;
		struct mp_dw_row *row;

		if (dwarf_lineaddr(lines[i], &addr, &b->err) != DW_DLV_OK ||
		    dwarf_lineno(lines[i], &line, &b->err) != DW_DLV_OK ||
		    dwarf_lineendsequence(lines[i], &end, &b->err) != DW_DLV_OK ||
		    dwarf_line_srcfileno(lines[i], &fileno, &b->err) != DW_DLV_OK) {
			clear(b);
			break;
		}
		/* This libdwarf starts DWARF 5 sequences with file 0 where the
		 * standard says 1; GCC never selects file 0 itself. */
		if (gnu && version >= 5 && fileno == 0)
			fileno = 1;
		if (start) {
			drop = addr == 0;
			seq = d->nrows;
			start = false;
		}
		if (end)
			start = true;
		if (drop)
			continue;
		if (d->nrows > seq && d->rows[d->nrows - 1].addr == addr && !end)
			row = &d->rows[d->nrows - 1];
		else if (reserve(&d->rows, &b->caprows, d->nrows, sizeof(*d->rows)))
			row = &d->rows[d->nrows++];
		else {
			b->failed = true;
			break;
		}
		row->addr = addr;
		row->line = end ? -1 : (int)line;
		row->file = NULL;
		if (fileno >= (Dwarf_Unsigned)b->file_base && fileno - b->file_base < (Dwarf_Unsigned)b->nsrcfiles) {
			size_t k = fileno - b->file_base;

			if (!names[k])
				names[k] = file_name(b, fileno);
			row->file = names[k];
		}
	}
	free(names);
	dwarf_srclines_dealloc_b(ctx);
}

/* A compilation unit: its line table, then its functions. */
static void unit(struct builder *b, Dwarf_Die cu)
{
	Dwarf_Attribute attr;
	char *dir = NULL, *producer;
	Dwarf_Addr base;
	bool gnu;

	b->comp_dir = "";
	if (dwarf_attr(cu, DW_AT_comp_dir, &attr, &b->err) == DW_DLV_OK) {
		if (dwarf_formstring(attr, &dir, &b->err) == DW_DLV_OK)
			b->comp_dir = mp_strs_intern(b->strs, dir);
		dwarf_dealloc_attribute(attr);
	}
	clear(b);
	if (!b->comp_dir)
		b->comp_dir = "";
	b->base = dwarf_lowpc(cu, &base, &b->err) == DW_DLV_OK ? base : 0;
	clear(b);
	b->file_base = b->version >= 5 ? 0 : 1;
	if (dwarf_srcfiles(cu, &b->srcfiles, &b->nsrcfiles, &b->err) != DW_DLV_OK) {
		clear(b);
		b->srcfiles = NULL;
		b->nsrcfiles = 0;
	}
	gnu = dwarf_attr(cu, DW_AT_producer, &attr, &b->err) == DW_DLV_OK;
	if (gnu) {
		gnu = dwarf_formstring(attr, &producer, &b->err) == DW_DLV_OK &&
		      !strncmp(producer, "GNU ", 4);
		dwarf_dealloc_attribute(attr);
	}
	clear(b);
	line_table(b, cu, gnu);
	walk(b, cu, -1, 0);
	for (Dwarf_Signed i = 0; i < b->nsrcfiles; i++)
		dwarf_dealloc(b->dbg, b->srcfiles[i], DW_DLA_STRING);
	if (b->srcfiles)
		dwarf_dealloc(b->dbg, b->srcfiles, DW_DLA_LIST);
	b->srcfiles = NULL;
	b->nsrcfiles = 0;
}

static int row_order(const void *x, const void *y)
{
	const struct mp_dw_row *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (a->line >= 0) - (b->line >= 0);
}

static int span_order(const void *x, const void *y)
{
	const struct span *a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi > b->hi ? -1 : 1;
	return a->depth - b->depth;
}

/* Append [lo, hi) of node to the flat ranges, merged with its neighbour. */
static void emit(struct builder *b, size_t *cap, uint64_t lo, uint64_t hi, int32_t node)
{
	struct mp_dwarf *d = b->d;
	struct mp_dw_range *last = d->nranges ? &d->ranges[d->nranges - 1] : NULL;

	if (lo >= hi)
		return;
	if (last && last->node == node && last->hi == lo) {
		last->hi = hi;
		return;
	}
	if (!reserve(&d->ranges, cap, d->nranges, sizeof(*d->ranges))) {
		b->failed = true;
		return;
	}
	d->ranges[d->nranges++] = (struct mp_dw_range){ lo, hi, node };
}

/* Nested spans to disjoint ranges, each owned by the innermost span over
 * it: a sweep by start address with the open spans on a stack. */
static void flatten(struct builder *b)
{
	struct span *stack = NULL;
	size_t sp = 0, cap = 0, rcap = 0;
	uint64_t cursor = 0;

	if (b->nspans)
		qsort(b->spans, b->nspans, sizeof(*b->spans), span_order);
	for (size_t i = 0; i <= b->nspans && !b->failed; i++) {
		const struct span *s = i < b->nspans ? &b->spans[i] : NULL;

		while (sp && (!s || stack[sp - 1].hi <= s->lo)) {
			struct span top = stack[--sp];

			emit(b, &rcap, cursor, top.hi, top.node);
			if (top.hi > cursor)
				cursor = top.hi;
		}
		if (!s)
			break;
		if (sp)
			emit(b, &rcap, cursor, s->lo, stack[sp - 1].node);
		if (!reserve(&stack, &cap, sp, sizeof(*stack))) {
			b->failed = true;
			break;
		}
		stack[sp++] = *s;
		cursor = s->lo;
	}
	free(stack);
}

/* Each function's last line: the highest line of its own file among the
 * rows in ranges owned by its instances. */
static void last_lines(struct mp_dwarf *d)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const struct mp_dw_row *r = &d->rows[i];
		struct mp_dw_func *f;
		int32_t node;

		if (r->line <= 0 || (node = mp_dwarf_node_at(d, r->addr)) < 0)
			continue;
		f = &d->funcs[d->nodes[node].func];
		if ((!f->decl_file || f->decl_file == r->file) && r->line > f->last_line)
			f->last_line = r->line;
	}
}

struct mp_dwarf *mp_dwarf_load(const char *path, struct mp_strs *strs)
{
	struct builder b = { .strs = strs };
	int res;

	res = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
			      &b.dbg, NULL, 0, NULL, &b.err);
	if (res != DW_DLV_OK) {
		if (res == DW_DLV_ERROR)
			dwarf_dealloc(NULL, b.err, DW_DLA_ERROR);
		return NULL;
	}
	if (!(b.d = calloc(1, sizeof(*b.d)))) {
		dwarf_finish(b.dbg, &b.err);
		return NULL;
	}
	while (!b.failed) {
		Dwarf_Unsigned len, typeoff, next;
		Dwarf_Half version, asize, lsize, esize, type;
		Dwarf_Off abbrev;
		Dwarf_Sig8 sig;
		Dwarf_Die cu;

		res = dwarf_next_cu_header_d(b.dbg, true, &len, &version, &abbrev, &asize, &lsize,
					     &esize, &sig, &typeoff, &next, &type, &b.err);
		if (res != DW_DLV_OK)
			break;
		if (dwarf_siblingof_b(b.dbg, NULL, true, &cu, &b.err) != DW_DLV_OK)
			break;
		b.version = version;
		unit(&b, cu);
		dwarf_dealloc_die(cu);
	}
	clear(&b);
	flatten(&b);
	free(b.spans);
	free(b.fmap.keys);
	free(b.fmap.vals);
	if (b.d->nrows)
		qsort(b.d->rows, b.d->nrows, sizeof(*b.d->rows), row_order);
	last_lines(b.d);
	dwarf_finish(b.dbg, &b.err);
	if (!b.d->nrows && !b.d->nranges) {
		mp_dwarf_free(b.d);
		return NULL;
	}
	return b.d;
}

void mp_dwarf_free(struct mp_dwarf *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d->funcs);
	free(d->nodes);
	free(d->ranges);
	free(d);
}

const struct mp_dw_row *mp_dwarf_row_at(const struct mp_dwarf *d, uint64_t vaddr)
{
	size_t lo = mp_sym_count_le(d->rows, d->nrows, sizeof(*d->rows), vaddr);

	if (!lo || d->rows[lo - 1].line < 0)
		return NULL;
	return &d->rows[lo - 1];
}

int32_t mp_dwarf_node_at(const struct mp_dwarf *d, uint64_t vaddr)
{
	size_t lo = mp_sym_count_le(d->ranges, d->nranges, sizeof(*d->ranges), vaddr);

	if (!lo || vaddr >= d->ranges[lo - 1].hi)
		return -1;
	return d->ranges[lo - 1].node;
}
