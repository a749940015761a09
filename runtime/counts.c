/* SPDX-License-Identifier: MIT */
/*
 * counts.c - the per-thread counter tables of counts.h: the owner, the
 * tables threads take and hand back, their blocks, and the fold that adds
 * them to the sites for the report and for the snapshot of an unloaded
 * module.
 *
 * Everything lives in memory from mmap and stays mapped (a table's hash
 * is the exception: only its thread reads it, and it is remapped when it
 * grows).  The list of tables and each table's list of blocks only ever
 * get a new head, published with a release store, so readers in other
 * threads walk them without a lock.  Reachable from a probe: no lock, no
 * malloc.
 */
#define _GNU_SOURCE
#include "counts.h"

#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "invariant.h"

#define HASH_FIRST	64		/* slots of a new table's hash */
#define ARENA_BYTES	65536		/* blocks are carved from these */

static struct mp_table *tables;		/* every table, newest first */
static uint32_t owned;			/* a live thread is the owner */

static struct mp_table *table_new(void)
{
	struct mp_table *t = mp_sys_map(sizeof(*t));
	struct mp_table *first;

	if (!t)
		return NULL;
	t->hash = mp_sys_map(HASH_FIRST * sizeof(t->hash[0]));
	if (!t->hash) {
		munmap(t, sizeof(*t));
		return NULL;
	}
	t->mask = HASH_FIRST - 1;
	t->in_use = 1;
	first = __atomic_load_n(&tables, __ATOMIC_RELAXED);
	do
		t->next = first;
	while (!__atomic_compare_exchange_n(&tables, &first, t, 1,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return t;
}

bool mp_counts_join(struct mp_table **t)
{
	struct mp_table *p;
	uint32_t no = 0;

	*t = NULL;
	if (__atomic_compare_exchange_n(&owned, &no, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return true;
	for (p = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); p; p = p->next) {
		no = 0;
		if (__atomic_load_n(&p->in_use, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&p->in_use, &no, 1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			*t = p;
			return false;
		}
	}
	*t = table_new();
	return false;
}

void mp_counts_leave(struct mp_table *t)
{
	/* what a thread hands back, it held */
	MP_ASSERT(__atomic_load_n(t ? &t->in_use : &owned, __ATOMIC_RELAXED));
	__atomic_store_n(t ? &t->in_use : &owned, 0, __ATOMIC_RELEASE);
}

/*
 * `bytes` of zeroed memory for a block of `t`, aligned as the plugin's
 * sites are (a block's slots start MPROF_SITE_ALIGN bytes in), already
 * written to: its pages are resident before the probe reads the memory
 * figure, so the rss backend does not charge them to the program's next
 * line.
 */
static void *carve(struct mp_table *t, size_t bytes)
{
	void *p;

	bytes = (bytes + MPROF_SITE_ALIGN - 1) &
		~(size_t)(MPROF_SITE_ALIGN - 1);
	if (bytes > ARENA_BYTES / 4) {
		p = mp_sys_map(bytes);
	} else {
		if (t->arena_left < bytes) {
			t->arena = mp_sys_map(ARENA_BYTES);
			t->arena_left = t->arena ? ARENA_BYTES : 0;
			if (!t->arena)
				return NULL;
		}
		p = t->arena;
		t->arena += bytes;
		t->arena_left -= bytes;
	}
	if (p)
		memset(p, 0, bytes);
	return p;
}

/* Double the hash when half full; live blocks only (disowned ones go). */
static bool grow(struct mp_table *t)
{
	size_t n = (size_t)t->mask + 1, i, j;
	struct mp_block **h, *b;
	struct __mprof_func *fn;

	if (2 * (t->hash_used + 1) <= n)
		return true;
	h = mp_sys_map(2 * n * sizeof(h[0]));
	if (!h)
		return false;
	t->hash_used = 0;
	for (i = 0; i < n; i++) {
		b = t->hash[i];
		fn = b ? __atomic_load_n(&b->func, __ATOMIC_RELAXED) : NULL;
		if (!fn)
			continue;
		for (j = mp_counts_home(fn) & (2 * n - 1); h[j];
		     j = (j + 1) & (2 * n - 1))
			;
		h[j] = b;
		t->hash_used++;
	}
	munmap(t->hash, n * sizeof(h[0]));
	t->hash = h;
	t->mask = (uint32_t)(2 * n - 1);
	return true;
}

/* A block mirrors its function's sites: as many slots, and `delta` leads
 * from each site to its slot. */
static void check_block(const struct mp_block *b, const struct __mprof_func *fn)
{
	MP_ASSERT(b->nsites == fn->nsites);
	MP_ASSERT(b->delta == (uintptr_t)b->slot - (uintptr_t)fn->sites);
}

struct mp_block *mp_counts_get(struct mp_table *t, struct __mprof_func *fn)
{
	struct mp_block *b = mp_counts_find(t, fn);
	size_t i;

	/* single writer: only the thread that holds the table adds to it */
	MP_ASSERT(__atomic_load_n(&t->in_use, __ATOMIC_RELAXED) == 1);
	if (b) {
		check_block(b, fn);
		return b;
	}
	if (!grow(t))
		return NULL;
	b = carve(t, sizeof(*b) + fn->nsites * sizeof(b->slot[0]));
	if (!b)
		return NULL;
	b->func = fn;
	b->nsites = fn->nsites;
	b->delta = (uintptr_t)b->slot - (uintptr_t)fn->sites;
	b->next = t->blocks;
	__atomic_store_n(&t->blocks, b, __ATOMIC_RELEASE);
	for (i = mp_counts_home(fn) & t->mask; t->hash[i];
	     i = (i + 1) & t->mask)
		;
	t->hash[i] = b;
	t->hash_used++;
	/* the probes' lookup stops at an empty slot in one or two steps */
	MP_ASSERT(2 * t->hash_used <= (size_t)t->mask + 1);
	check_block(b, fn);
	return b;
}

static void zero_slots(struct __mprof_site *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		__atomic_store_n(&s[i].count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s[i].incr, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s[i].peak, 0, __ATOMIC_RELAXED);
	}
}

void mp_counts_atfork_child(struct mp_table *mine, bool owner)
{
	struct mp_table *t;
	struct mp_block *b;

	for (t = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); t; t = t->next) {
		for (b = __atomic_load_n(&t->blocks, __ATOMIC_ACQUIRE); b;
		     b = b->next)
			zero_slots(b->slot, b->nsites);
		__atomic_store_n(&t->in_use, t == mine, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&owned, owner, __ATOMIC_RELAXED);
}

/* Add block `b`'s slots to `into`. */
static void add_block(const struct mp_block *b, struct __mprof_site *into)
{
	int64_t peak;

	for (uint32_t i = 0; i < b->nsites; i++) {
		into[i].count += __atomic_load_n(&b->slot[i].count,
						 __ATOMIC_RELAXED);
		into[i].incr += __atomic_load_n(&b->slot[i].incr,
						__ATOMIC_RELAXED);
		peak = __atomic_load_n(&b->slot[i].peak, __ATOMIC_RELAXED);
		if (peak > into[i].peak)
			into[i].peak = peak;
	}
}

static struct __mprof_func *owner_of(const struct mp_block *b)
{
	return __atomic_load_n(&b->func, __ATOMIC_RELAXED);
}

/* Put the live blocks in g->v, up to `cap`; false when there were more. */
static bool fill(struct mp_gather *g, size_t cap)
{
	struct mp_table *t;
	struct mp_block *b;

	g->n = 0;
	for (t = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); t; t = t->next)
		for (b = __atomic_load_n(&t->blocks, __ATOMIC_ACQUIRE); b;
		     b = b->next) {
			if (!owner_of(b))
				continue;
			if (g->n == cap)
				return false;
			g->v[g->n++] = b;
		}
	return true;
}

int mp_counts_gather(struct mp_gather *g)
{
	struct mp_table *t;
	struct mp_block *b, *x;
	size_t n = 0, i, j, gap;

	memset(g, 0, sizeof(*g));
	for (t = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); t; t = t->next)
		for (b = __atomic_load_n(&t->blocks, __ATOMIC_ACQUIRE); b;
		     b = b->next)
			n++;
	if (!n)
		return 0;
	/* Threads still running may add blocks meanwhile: room for some,
	 * and again with twice the room if that was not enough. */
	for (n += n / 4 + 16;; n *= 2) {
		g->bytes = n * sizeof(g->v[0]);
		g->v = mp_sys_map(g->bytes);
		if (!g->v)
			return -1;
		if (fill(g, n))
			break;
		munmap(g->v, g->bytes);
	}
	/* Shell sort by function (no qsort: it may call malloc). */
	for (gap = g->n / 2; gap > 0; gap /= 2)
		for (i = gap; i < g->n; i++) {
			x = g->v[i];
			for (j = i; j >= gap && (uintptr_t)owner_of(g->v[j - gap]) >
						(uintptr_t)owner_of(x); j -= gap)
				g->v[j] = g->v[j - gap];
			g->v[j] = x;
		}
	/* mp_counts_fold's binary search needs the order */
	for (i = 1; i < g->n; i++)
		MP_ASSERT((uintptr_t)owner_of(g->v[i - 1]) <=
			  (uintptr_t)owner_of(g->v[i]));
	return 0;
}

void mp_counts_ungather(struct mp_gather *g)
{
	if (g->v)
		munmap(g->v, g->bytes);
	memset(g, 0, sizeof(*g));
}

void mp_counts_fold(const struct mp_gather *g, const struct __mprof_func *fn,
		    struct __mprof_site *into)
{
	struct mp_table *t;
	struct mp_block *b;
	size_t lo = 0, hi, mid;

	if (!g) {
		for (t = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); t;
		     t = t->next)
			for (b = __atomic_load_n(&t->blocks, __ATOMIC_ACQUIRE);
			     b; b = b->next)
				if (owner_of(b) == fn) {
					if (into)
						add_block(b, into);
					__atomic_store_n(&b->func, NULL,
							 __ATOMIC_RELAXED);
				}
		return;
	}
	hi = g->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((uintptr_t)owner_of(g->v[mid]) < (uintptr_t)fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < g->n && owner_of(g->v[lo]) == fn; lo++)
		add_block(g->v[lo], into);
}
