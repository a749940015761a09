/* SPDX-License-Identifier: MIT */
/*
 * acct.c - per-process accounting of `mprof lines` (acct.h): code
 * addresses to interned lines, rows per line, resident pages (rss) and
 * live blocks (heap), and the profile built from them at the end.
 */
#define _GNU_SOURCE
#include "acct.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "hmap.h"
#include "sysdirs.h"
#include "symbolize.h"

#define PAGE_SHIFT 12
/* The most lines a table runs past its last charged row. */
#define LAST_LINE_SLACK 10000

/* A line of a function, or a code address without line information
   (file == NULL: then off is the address's offset in module). */
struct key {
	char *module;		/* "" when unknown */
	char *func;		/* "" when unknown */
	char *file;		/* NULL: no line information */
	char *dir;
	int line, first, last;
	uint64_t off;
};

struct row {
	uint32_t key;		/* index in mp_acct.keys */
	uint64_t count;		/* Occurrences: events charged */
	int64_t incr;		/* Increment, bytes */
	int64_t peak;		/* Mem usage: largest total after an event */
};

struct proc {
	uint32_t pid, parent;
	int64_t current;	/* running total: resident or live bytes */
	struct mp_hmap addrs;	/* code address -> key + 1 */
	struct mp_hmap rowix;	/* key + 1 -> row index + 1 */
	struct mp_hmap pages;	/* rss: page number -> 1 */
	struct mp_hmap blocks;	/* heap: pointer -> size */
	struct mp_hmap chains;	/* code address -> keys + 1 of the lines it is
				   inlined at (two, 32 bits each) */
	struct row *rows;
	size_t nrows, caprows;
};

struct mp_acct {
	struct mp_sym *sym;
	struct mp_code *code;
	struct key *keys;
	size_t nkeys, capkeys;
	struct mp_hmap keyix;	/* hash of a key's fields -> index + 1 */
	struct proc *procs;
	size_t nprocs, capprocs;
	struct mp_hmap procix;	/* pid -> index + 1 */
	int nomem;		/* something was dropped for want of memory */
};

struct mp_acct *mp_acct_new(struct mp_sym *sym, struct mp_code *code)
{
	struct mp_acct *a = calloc(1, sizeof *a);

	if (a) {
		a->sym = sym;
		a->code = code;
	}
	return a;
}

static void free_proc(struct proc *p)
{
	mp_hmap_free(&p->addrs);
	mp_hmap_free(&p->rowix);
	mp_hmap_free(&p->pages);
	mp_hmap_free(&p->blocks);
	mp_hmap_free(&p->chains);
	free(p->rows);
}

void mp_acct_free(struct mp_acct *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nkeys; i++) {
		free(a->keys[i].module);
		free(a->keys[i].func);
		free(a->keys[i].file);
		free(a->keys[i].dir);
	}
	for (i = 0; i < a->nprocs; i++)
		free_proc(&a->procs[i]);
	free(a->keys);
	free(a->procs);
	mp_hmap_free(&a->keyix);
	mp_hmap_free(&a->procix);
	free(a);
}

/* The process pid, created (with no parent) when first seen. */
static struct proc *get_proc(struct mp_acct *a, uint32_t pid)
{
	uint64_t *v;
	int added;

	v = mp_hmap_put(&a->procix, (uint64_t)pid + 1, &added);
	if (!v)
		return NULL;
	if (!added)
		return &a->procs[*v - 1];
	if (a->nprocs == a->capprocs) {
		size_t cap = a->capprocs ? a->capprocs * 2 : 8;
		struct proc *np = realloc(a->procs, cap * sizeof *np);

		if (!np) {
			mp_hmap_del(&a->procix, (uint64_t)pid + 1, NULL);
			return NULL;
		}
		a->procs = np;
		a->capprocs = cap;
	}
	memset(&a->procs[a->nprocs], 0, sizeof a->procs[0]);
	a->procs[a->nprocs].pid = pid;
	*v = ++a->nprocs;
	return &a->procs[a->nprocs - 1];
}

void mp_acct_fork(struct mp_acct *a, uint32_t parent, uint32_t child)
{
	struct proc *c = get_proc(a, child), *p;

	if (!c || !parent)
		return;
	c->parent = parent;
	p = get_proc(a, parent);
	if (!p)
		return;
	c = get_proc(a, child);	/* the array may have moved */
	if (p->blocks.n && !c->blocks.n) {
		mp_hmap_free(&c->blocks);
		if (mp_hmap_copy(&c->blocks, &p->blocks))
			a->nomem = 1;
		c->current = p->current;
	}
}

void mp_acct_exec(struct mp_acct *a, uint32_t pid)
{
	struct proc *p = get_proc(a, pid);

	if (p) {
		mp_hmap_free(&p->addrs);
		mp_hmap_free(&p->chains);
	}
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static int same_str(const char *x, const char *y)
{
	if (!x || !y)
		return x == y;
	return !strcmp(x, y);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* The index of key k, interned (its strings copied); -1 when no memory. */
static long intern(struct mp_acct *a, const struct key *k)
{
	uint64_t h = 0xcbf29ce484222325ull, *v;
	struct key *n;
	int added;

	h = hash_str(h, k->module);
	h = hash_str(h, k->func);
	h = hash_str(h, k->file ? k->file : "\x01");
	h = hash_str(h, k->dir);
	h = (h ^ (uint64_t)k->line) * 0x100000001b3ull;
	h = (h ^ (uint64_t)k->first) * 0x100000001b3ull;
	h = (h ^ k->off) * 0x100000001b3ull;
	for (;; h++) {
		if (!h)
			continue;
		v = mp_hmap_put(&a->keyix, h, &added);
		if (!v)
			return -1;
		if (added)
			break;
		n = &a->keys[*v - 1];
		if (same_str(n->module, k->module) &&
		    same_str(n->func, k->func) && same_str(n->file, k->file) &&
		    same_str(n->dir, k->dir) && n->line == k->line &&
		    n->first == k->first && n->off == k->off)
			return (long)*v - 1;
	}
	if (a->nkeys == a->capkeys) {
		size_t cap = a->capkeys ? a->capkeys * 2 : 256;

		n = realloc(a->keys, cap * sizeof *n);
		if (!n)
			goto nomem;
		a->keys = n;
		a->capkeys = cap;
	}
	n = &a->keys[a->nkeys];
	*n = *k;
	n->module = dup_or_empty(k->module);
	n->func = dup_or_empty(k->func);
	n->dir = dup_or_empty(k->dir);
	n->file = k->file ? strdup(k->file) : NULL;
	if (!n->module || !n->func || !n->dir || (k->file && !n->file)) {
		free(n->module);
		free(n->func);
		free(n->dir);
		free(n->file);
		goto nomem;
	}
	*v = ++a->nkeys;
	return (long)a->nkeys - 1;
nomem:
	mp_hmap_del(&a->keyix, h, NULL);
	return -1;
}

/* The key of code address addr in pid, from the symbolizer. */
static long key_of(struct mp_acct *a, uint32_t pid, uint64_t addr)
{
	struct mp_sym_frame f[8];
	struct key k;
	int n;

	memset(&k, 0, sizeof k);
	if (mp_code_kind(a->code, pid, addr) != MP_CODE_USER) {
		/* a system library's: by address only, without reading its
		   (large) debug information */
		k.module = (char *)mp_code_module(a->code, pid, addr, &k.off);
		if (!k.module[0])
			k.module = "[unknown]";
		return intern(a, &k);
	}
	n = mp_sym_lookup(a->sym, pid, addr, f, 8);
	if (n <= 0) {
		k.module = "[unknown]";
		k.off = addr;
		return intern(a, &k);
	}
	k.module = (char *)f[0].module;
	k.func = (char *)f[0].func;
	/* a line with no function around it (the padding after a function's
	   last instruction, which its last line row covers: a stale return
	   address) is no row of a table: charged by address */
	if (f[0].file && f[0].line > 0 && f[0].func) {
		k.file = (char *)f[0].file;
		k.dir = (char *)f[0].dir;
		k.line = f[0].line;
		k.first = f[0].func_line;
		k.last = f[0].func_last_line;
	} else {
		k.off = f[0].offset;
	}
	return intern(a, &k);
}

/* The key of code address addr in p, symbolized once; -1: no memory. */
static long cached_key(struct mp_acct *a, struct proc *p, uint64_t addr)
{
	uint64_t *v = mp_hmap_get(&p->addrs, addr);
	long k;
	int added;

	if (v)
		return (long)*v - 1;
	k = key_of(a, p->pid, addr);
	if (k < 0)
		return -1;
	v = mp_hmap_put(&p->addrs, addr, &added);
	if (v)
		*v = (uint64_t)k + 1;
	return k;
}

static void charge_key(struct mp_acct *a, struct proc *p, uint32_t k,
		       int64_t bytes, unsigned count);

void mp_acct_charge(struct mp_acct *a, uint32_t pid, uint64_t addr,
		    int64_t bytes, unsigned count)
{
	struct proc *p = get_proc(a, pid);
	long k;

	if (!p) {
		a->nomem = 1;
		return;
	}
	p->current += bytes;
	k = cached_key(a, p, addr);
	if (k < 0) {
		a->nomem = 1;
		return;
	}
	charge_key(a, p, (uint32_t)k, bytes, count);
}

int mp_acct_page_in(struct mp_acct *a, uint32_t pid, uint64_t addr)
{
	struct proc *p = get_proc(a, pid);
	uint64_t *v;
	int added = 0;

	if (!p)
		return 0;
	v = mp_hmap_put(&p->pages, (addr >> PAGE_SHIFT) + 1, &added);
	if (v)
		*v = 1;
	else
		a->nomem = 1;
	return added;
}

uint64_t mp_acct_release(struct mp_acct *a, uint32_t pid, uint64_t start,
			 uint64_t len)
{
	struct proc *p = get_proc(a, pid);
	uint64_t first, end, pg, n = 0;
	size_t i;

	if (!p || !len || !p->pages.n)
		return 0;
	first = (start >> PAGE_SHIFT) + 1;
	end = ((start + len + (1u << PAGE_SHIFT) - 1) >> PAGE_SHIFT) + 1;
	if (end - first <= p->pages.n * 4) {
		for (pg = first; pg < end; pg++)
			n += (uint64_t)mp_hmap_del(&p->pages, pg, NULL);
		return n;
	}
	/* a large range with few pages in it: walk the set instead */
	for (i = 0; i <= p->pages.mask;) {
		pg = p->pages.keys[i];
		if (pg && pg >= first && pg < end) {
			mp_hmap_del(&p->pages, pg, NULL);
			n++;
			continue;	/* slot i may now hold a shifted key */
		}
		i++;
	}
	return n;
}

void mp_acct_block_new(struct mp_acct *a, uint32_t pid, uint64_t ptr,
		       uint64_t size)
{
	struct proc *p = get_proc(a, pid);
	uint64_t *v;
	int added;

	if (!p || !ptr)
		return;
	v = mp_hmap_put(&p->blocks, ptr, &added);
	if (v)
		*v = size;
	else
		a->nomem = 1;
}

int64_t mp_acct_block_free(struct mp_acct *a, uint32_t pid, uint64_t ptr)
{
	struct proc *p = get_proc(a, pid);
	uint64_t size;

	if (!p || !ptr || !mp_hmap_del(&p->blocks, ptr, &size))
		return -1;
	return (int64_t)size;
}

size_t mp_acct_nprocs(const struct mp_acct *a)
{
	return a->nprocs;
}

void mp_acct_proc(const struct mp_acct *a, size_t i, uint32_t *pid,
		  uint32_t *parent)
{
	*pid = a->procs[i].pid;
	*parent = a->procs[i].parent;
}

/* A row with its key, for sorting rows into functions. */
struct ref {
	const struct key *k;
	const struct row *r;
};

static int cmp_str(const char *x, const char *y)
{
	return strcmp(x ? x : "", y ? y : "");
}

/* Function identity, then line: the rows of a function are adjacent. */
static int cmp_ref(const void *x, const void *y)
{
	const struct key *a = ((const struct ref *)x)->k;
	const struct key *b = ((const struct ref *)y)->k;
	int c;

	if ((c = cmp_str(a->file, b->file)) || (c = cmp_str(a->dir, b->dir)) ||
	    (c = cmp_str(a->func, b->func)))
		return c;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int same_func(const struct key *a, const struct key *b)
{
	return !cmp_str(a->file, b->file) && !cmp_str(a->dir, b->dir) &&
	       !cmp_str(a->func, b->func) && a->first == b->first;
}

/* The rows of process i (or all) whose key has lines (want_lines) or not. */
static struct ref *collect(const struct mp_acct *a, size_t i, int want_lines,
			   size_t *n)
{
	size_t lo = i == (size_t)-1 ? 0 : i, hi = i == (size_t)-1 ? a->nprocs : i + 1;
	size_t j, total = 0, m = 0;
	struct ref *refs;

	for (j = lo; j < hi; j++)
		total += a->procs[j].nrows;
	refs = malloc((total ? total : 1) * sizeof *refs);
	if (!refs)
		return NULL;
	for (j = lo; j < hi; j++) {
		const struct proc *p = &a->procs[j];
		size_t r;

		for (r = 0; r < p->nrows; r++) {
			const struct key *k = &a->keys[p->rows[r].key];

			if (!k->file == !want_lines) {
				refs[m].k = k;
				refs[m].r = &p->rows[r];
				m++;
			}
		}
	}
	*n = m;
	return refs;
}

struct group {
	size_t start, end;	/* refs[start..end) */
	int64_t grew;		/* sum of the positive row increments */
};

static int cmp_group(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	if (a->grew != b->grew)
		return a->grew > b->grew ? -1 : 1;
	return a->start < b->start ? -1 : 1;
}

int mp_acct_profile(const struct mp_acct *a, size_t i, size_t nfuncs,
		    struct mp_profile *p)
{
	struct group *g = NULL;
	struct mp_row *rows = NULL;
	size_t n, j, ng = 0, gi;
	struct ref *refs = collect(a, i, 1, &n);
	int rc = -1;

	if (!refs)
		return -1;
	qsort(refs, n, sizeof *refs, cmp_ref);
	g = malloc((n ? n : 1) * sizeof *g);
	rows = malloc((n ? n : 1) * sizeof *rows);
	if (!g || !rows)
		goto out;
	for (j = 0; j < n; j++) {
		if (!ng || !same_func(refs[g[ng - 1].start].k, refs[j].k)) {
			g[ng].start = j;
			g[ng].grew = 0;
			ng++;
		}
		g[ng - 1].end = j + 1;
		if (refs[j].r->incr > 0)
			g[ng - 1].grew += refs[j].r->incr;
	}
	/* no table for code from system headers (inlined std::vector...),
	   as the plugin does not instrument it; its callers' lines have
	   what it did */
	for (gi = j = 0; gi < ng; gi++) {
		const char *f = refs[g[gi].start].k->file;

		if (strncmp(f, "/usr/include/", 13) && !mp_sysdirs_has(f))
			g[j++] = g[gi];
	}
	ng = j;
	qsort(g, ng, sizeof *g, cmp_group);
	if (nfuncs && ng > nfuncs)
		ng = nfuncs;
	for (gi = 0; gi < ng; gi++) {
		const struct key *k = refs[g[gi].start].k;
		size_t nr = 0;
		int first, last = k->last;

		for (j = g[gi].start; j < g[gi].end; j++) {
			rows[nr].line = refs[j].k->line;
			rows[nr].count = refs[j].r->count;
			rows[nr].incr = refs[j].r->incr;
			rows[nr].peak = refs[j].r->peak;
			if (refs[j].k->last > last)
				last = refs[j].k->last;
			nr++;
		}
		/* a last line far past every row comes from code inlined from
		   elsewhere in the file: end the table at the last row */
		if (last > rows[nr - 1].line + LAST_LINE_SLACK)
			last = rows[nr - 1].line;
		/* no declaration line or no line table for the function (code
		   without its DW_AT_decl_line, a body seen only inlined): the
		   rows bound the table, so the profile stays one that
		   mprof report reads (lines from 1) */
		first = k->first >= 1 ? k->first : rows[0].line;
		if (last < first)
			last = rows[nr - 1].line > first ? rows[nr - 1].line : first;
		if (mp_profile_add_func(p, k->file, k->dir, k->func, first,
					last, rows, nr))
			goto out;
	}
	rc = mp_profile_merge(p);
out:
	free(refs);
	free(g);
	free(rows);
	return rc;
}

static int cmp_incr(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	int64_t ia = a->r->incr, ib = b->r->incr;

	if (ia != ib)
		return ia > ib ? -1 : 1;
	return 0;
}

size_t mp_acct_print_nolines(const struct mp_acct *a, size_t i, size_t max,
			     FILE *out)
{
	size_t n, j, shown = 0;
	struct ref *refs = collect(a, i, 0, &n);

	if (!refs)
		return 0;
	qsort(refs, n, sizeof *refs, cmp_incr);
	for (j = 0; j < n && shown < max; j++) {
		const struct key *k = refs[j].k;
		const char *base = strrchr(k->module, '/');

		if (!refs[j].r->incr)
			continue;
		base = base ? base + 1 : k->module;
		if (base[0] == '[')	/* [unknown], [vdso] */
			fprintf(out, "%12.1f MiB  %10" PRIu64 "   %s+0x%" PRIx64 "\n",
				(double)refs[j].r->incr / 1048576.0,
				refs[j].r->count, base, k->off);
		else
			fprintf(out, "%12.1f MiB  %10" PRIu64 "   %s [%s+0x%" PRIx64 "]\n",
				(double)refs[j].r->incr / 1048576.0,
				refs[j].r->count, k->func[0] ? k->func : "??",
				base, k->off);
		shown++;
	}
	free(refs);
	return shown;
}

void mp_acct_totals(const struct mp_acct *a, int64_t *with_lines,
		    int64_t *without)
{
	size_t i, r;

	*with_lines = *without = 0;
	for (i = 0; i < a->nprocs; i++)
		for (r = 0; r < a->procs[i].nrows; r++) {
			const struct row *row = &a->procs[i].rows[r];

			if (a->keys[row->key].file)
				*with_lines += row->incr;
			else
				*without += row->incr;
		}
}

/* The keys of the inline chain at addr (outer frames of inlined code,
   innermost excluded), at most max; cached per process. */
static size_t inline_chain(struct mp_acct *a, struct proc *p, uint64_t addr,
			   uint32_t *out, size_t max)
{
	struct mp_sym_frame f[8];
	uint64_t *v, packed = 0;
	size_t n = 0;
	int i, nf, added;

	v = mp_hmap_get(&p->chains, addr);
	if (v) {
		for (; n < max && n < 2 && (*v >> (32 * n)) & 0xffffffffu; n++)
			out[n] = (uint32_t)((*v >> (32 * n)) & 0xffffffffu) - 1;
		return n;
	}
	if (mp_code_kind(a->code, p->pid, addr) == MP_CODE_USER) {
		nf = mp_sym_lookup(a->sym, p->pid, addr, f, 8);
		for (i = 1; i < nf && n < 2; i++) {
			struct key k;
			long ki;

			if (!f[i].file || f[i].line <= 0)
				continue;
			memset(&k, 0, sizeof k);
			k.module = (char *)f[i].module;
			k.func = (char *)f[i].func;
			k.file = (char *)f[i].file;
			k.dir = (char *)f[i].dir;
			k.line = f[i].line;
			k.first = f[i].func_line;
			k.last = f[i].func_last_line;
			ki = intern(a, &k);
			if (ki < 0)
				break;
			packed |= ((uint64_t)ki + 1) << (32 * n);
			n++;
		}
	}
	v = mp_hmap_put(&p->chains, addr, &added);
	if (v)
		*v = packed;
	for (i = 0; (size_t)i < n && (size_t)i < max; i++)
		out[i] = (uint32_t)((packed >> (32 * i)) & 0xffffffffu) - 1;
	return n < max ? n : max;
}

/* Charge the row of key k (one more event, bytes) in p. */
static void charge_key(struct mp_acct *a, struct proc *p, uint32_t k,
		       int64_t bytes, unsigned count)
{
	uint64_t *v;
	int added;
	struct row *r;

	v = mp_hmap_put(&p->rowix, (uint64_t)k + 1, &added);
	if (!v) {
		a->nomem = 1;
		return;
	}
	if (added) {
		if (p->nrows == p->caprows) {
			size_t cap = p->caprows ? p->caprows * 2 : 64;
			struct row *nr = realloc(p->rows, cap * sizeof *nr);

			if (!nr) {
				mp_hmap_del(&p->rowix, (uint64_t)k + 1, NULL);
				a->nomem = 1;
				return;
			}
			p->rows = nr;
			p->caprows = cap;
		}
		memset(&p->rows[p->nrows], 0, sizeof p->rows[0]);
		p->rows[p->nrows].key = k;
		*v = ++p->nrows;
	}
	r = &p->rows[*v - 1];
	r->count += count;
	r->incr += bytes;
	if (r->peak < p->current)
		r->peak = p->current;
}

void mp_acct_charge_stack(struct mp_acct *a, uint32_t pid, uint64_t addr,
			  const uint64_t *callers, size_t n, int64_t bytes,
			  unsigned count)
{
	struct proc *p;
	uint32_t chain[2];
	size_t i, j, m;

	mp_acct_charge(a, pid, addr, bytes, count);
	p = get_proc(a, pid);
	if (!p)
		return;
	m = inline_chain(a, p, addr, chain, 2);
	for (j = 0; j < m; j++)
		charge_key(a, p, chain[j], bytes, count);
	for (i = 0; i < n; i++) {
		uint64_t ra = callers[i] - 1;
		long k;

		if (callers[i] < 4096 ||
		    mp_code_kind(a->code, pid, ra) != MP_CODE_USER)
			continue;
		k = cached_key(a, p, ra);
		if (k < 0 || !a->keys[k].file)
			continue;	/* a caller without lines: nothing to show */
		charge_key(a, p, (uint32_t)k, bytes, count);
		m = inline_chain(a, p, ra, chain, 2);
		for (j = 0; j < m; j++)
			charge_key(a, p, chain[j], bytes, count);
	}
}
