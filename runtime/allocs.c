/* SPDX-License-Identifier: MIT */
/*
 * allocs.c - the optional columns' bookkeeping (allocs.h): the records
 * of each function's lines, the tree of allocation sites that live
 * blocks are tagged with, the heap wrappers' hook, and the scan that
 * turns the blocks live at the report into Leaked.
 *
 * Records and nodes come from two reservations made at start
 * (MAP_NORESERVE: only what is used becomes resident), handed out with
 * an atomic add; both lookups are open-addressing tables whose slots are
 * filled with a compare-and-swap, so threads never wait for each other.
 * A record or node that loses the race is left unused.  A full table or
 * reservation makes a function go without its columns or a block
 * without its tag (its Leaked is not seen): a note says so at exit.
 */
#define _GNU_SOURCE
#include "allocs.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "heap.h"
#include "internal.h"
#include "profile.h"

__thread struct mp_allocs_tls mp_allocs_tls
	__attribute__((tls_model("initial-exec")));

unsigned mp_allocs_columns;
bool mp_allocs_tsc;
bool mp_allocs_inline;

static uint64_t tick0, ns0;		/* the clocks at set-up */

/* One node of the tree: a line, under the node of the caller's line. */
struct node {
	uintptr_t parent;		/* struct node *, or 0 */
	struct mp_extras *x;		/* the line's function */
	uint32_t idx;			/* the line's site */
	uint32_t reserved;
};

#define FUNC_SLOTS	((size_t)1 << 16)	/* functions with records */
#define NODE_SLOTS	((size_t)1 << 22)	/* distinct allocation sites */
#define RECORD_BYTES	((size_t)256 << 20)
#define NODE_BYTES	(NODE_SLOTS / 2 * sizeof(struct node))
#define PROBES		64			/* steps before giving up */

static struct mp_extras **funcs;	/* FUNC_SLOTS slots */
static struct node **nodes;		/* NODE_SLOTS slots */
static char *records;			/* RECORD_BYTES */
static size_t records_used;
static struct node *node_pool;		/* NODE_BYTES */
static size_t nodes_used;		/* in nodes */
static uint64_t missed;			/* functions or sites not recorded */
static uint64_t scan_stamp;

static void *reserve(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

MP_ALLOCS_HOOK static inline size_t mix(uintptr_t a, uintptr_t b)
{
	return (size_t)(((a * 0x9e3779b97f4a7c15ull) ^ (b + (b << 17))) *
			0xbf58476d1ce4e5b9ull >> 20);
}

/* The wrappers' hook: one more allocation call of n bytes, and its tag. */
MP_ALLOCS_HOOK static uintptr_t on_alloc(size_t n)
{
	struct mp_allocs_tls *t = &mp_allocs_tls;

	t->allocs++;
	t->bytes += n;
	if (mp_allocs_inline)
		mp_probe_dirty();
	return mp_allocs_columns & MP_COL_LEAKED ? mp_probe_where() : 0;
}

/* After the heap figure moved up: the highest seen in the line, of the
 * thread's own bytes (the figure its Increments and Peak are made of). */
MP_ALLOCS_HOOK static void on_grown(void)
{
	int64_t m = __atomic_load_n(&mp_heap_mine, __ATOMIC_RELAXED);

	if (m > mp_allocs_tls.high)
		mp_allocs_tls.high = m;
}

/* Before a free, with another backend: its figure may be about to fall. */
MP_ALLOCS_HOOK static void on_freeing(void)
{
	int64_t m;

	/* a thread that runs no profiled code has no line to raise (and may
	   be one a sanitizer is still setting up: no backend call then) */
	if (!mp_allocs_tls.active)
		return;
	m = mp_backend_read();
	if (m > mp_allocs_tls.high)
		mp_allocs_tls.high = m;
}

uint64_t mp_allocs_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An invariant TSC (CPUID 0x80000007, EDX bit 8) ticks at one rate on
 * every CPU, in every power state. */
static bool invariant_tsc(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;

	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
#else
	return false;
#endif
}

uint64_t mp_allocs_ns(uint64_t ticks)
{
	uint64_t dt, dn;

	if (!mp_allocs_tsc)
		return ticks;
	dt = mp_allocs_now() - tick0;
	dn = mp_allocs_clock_ns() - ns0;
	return dt ? (uint64_t)((unsigned __int128)ticks * dn / dt) : 0;
}

void mp_allocs_setup(unsigned bits)
{
	int e = errno;

	bits &= MP_COL_ALL;
	if (!bits)
		return;
	mp_allocs_tsc = invariant_tsc();
	ns0 = mp_allocs_clock_ns();
	tick0 = mp_allocs_now();
	funcs = reserve(FUNC_SLOTS * sizeof *funcs);
	records = reserve(RECORD_BYTES);
	if (bits & MP_COL_LEAKED) {
		nodes = reserve(NODE_SLOTS * sizeof *nodes);
		node_pool = reserve(NODE_BYTES);
	}
	if (!funcs || !records ||
	    ((bits & MP_COL_LEAKED) && (!nodes || !node_pool))) {
		mp_note("mprof: MPROF_COLUMNS: no memory for the columns; left out");
		errno = e;
		return;
	}
	if ((bits & (MP_COL_ALLOCS | MP_COL_LEAKED)) && mp_heap_start() < 0) {
		mp_note("mprof: MPROF_COLUMNS: allocs and leaked left out: %s",
			mp_heap_refusal());
		bits &= ~(unsigned)(MP_COL_ALLOCS | MP_COL_LEAKED);
	}
	/* The wrappers count the calls, tag the blocks and mark the lines
	   that allocate (a block freed in the line that allocated it leaves
	   the figure as it was: Peak needs the mark too). */
	if ((bits & (MP_COL_ALLOCS | MP_COL_LEAKED | MP_COL_PEAK)) &&
	    mp_heap_start() == 0)
		__atomic_store_n(&mp_heap_tag, on_alloc, __ATOMIC_RELEASE);
	/* The heap's figure moves only in the wrappers: Peak sees every
	   rise.  Another backend's figure is read at the line events and
	   before each free, where it may be about to fall. */
	if ((bits & MP_COL_PEAK) && mp_backend_fast() == MP_BACKEND_HEAP) {
		__atomic_store_n(&mp_heap_grown, on_grown, __ATOMIC_RELEASE);
	} else if ((bits & MP_COL_PEAK) && mp_heap_start() == 0) {
		__atomic_store_n(&mp_heap_freeing, on_freeing,
				 __ATOMIC_RELEASE);
	}
	mp_allocs_inline = !(bits & MP_COL_TIME);
	mp_allocs_columns = bits;
	errno = e;
}

/* A zeroed block of `bytes` from the records' reservation, or NULL. */
static void *take_record(size_t bytes)
{
	size_t off;

	bytes = (bytes + 63) & ~(size_t)63;
	off = __atomic_fetch_add(&records_used, bytes, __ATOMIC_RELAXED);
	if (off + bytes > RECORD_BYTES || off + bytes < off)
		return NULL;
	return records + off;
}

struct mp_extras *mp_allocs_extras(const struct __mprof_func *fn)
{
	size_t i = mix((uintptr_t)fn, 0);
	struct mp_extras *x, *mine = NULL;

	if (!funcs)
		return NULL;
	for (unsigned step = 0; step < PROBES; step++, i++) {
		struct mp_extras **slot = &funcs[i & (FUNC_SLOTS - 1)];

		x = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
		if (!x) {
			if (!mine) {
				mine = take_record(sizeof *mine + fn->nsites *
						   sizeof mine->site[0]);
				if (!mine)
					break;
				mine->func = fn;
				mine->nsites = fn->nsites;
			}
			if (__atomic_compare_exchange_n(slot, &x, mine, false,
							__ATOMIC_RELEASE,
							__ATOMIC_ACQUIRE))
				return mine;
		}
		if (x->func == fn)
			return x;
	}
	__atomic_fetch_add(&missed, 1, __ATOMIC_RELAXED);
	return NULL;
}

struct mp_extras *mp_allocs_find(const struct __mprof_func *fn)
{
	size_t i = mix((uintptr_t)fn, 0);
	struct mp_extras *x;

	if (!funcs)
		return NULL;
	for (unsigned step = 0; step < PROBES; step++, i++) {
		x = __atomic_load_n(&funcs[i & (FUNC_SLOTS - 1)],
				    __ATOMIC_ACQUIRE);
		if (!x)
			return NULL;
		if (x->func == fn)
			return x;
	}
	return NULL;
}

MP_ALLOCS_HOOK uintptr_t mp_allocs_node(uintptr_t parent,
					struct mp_extras *x, uint32_t idx)
{
	size_t i = mix(parent ^ ((uintptr_t)idx << 48), (uintptr_t)x);
	struct node *n, *mine = NULL;
	size_t k;

	if (!nodes)
		return 0;
	for (unsigned step = 0; step < PROBES; step++, i++) {
		struct node **slot = &nodes[i & (NODE_SLOTS - 1)];

		n = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
		if (!n) {
			if (!mine) {
				k = __atomic_fetch_add(&nodes_used, 1,
						       __ATOMIC_RELAXED);
				if (k >= NODE_BYTES / sizeof *mine)
					break;
				mine = &node_pool[k];
				mine->parent = parent;
				mine->x = x;
				mine->idx = idx;
			}
			if (__atomic_compare_exchange_n(slot, &n, mine, false,
							__ATOMIC_RELEASE,
							__ATOMIC_ACQUIRE))
				return (uintptr_t)mine;
		}
		if (n->parent == parent && n->x == x && n->idx == idx)
			return (uintptr_t)n;
	}
	__atomic_fetch_add(&missed, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Every record, for the scan and the fork child. */
static void each_record(void (*fn)(struct mp_extras *x))
{
	for (size_t i = 0; funcs && i < FUNC_SLOTS; i++) {
		struct mp_extras *x = __atomic_load_n(&funcs[i],
						      __ATOMIC_ACQUIRE);
		if (x)
			fn(x);
	}
}

static void clear_leaks(struct mp_extras *x)
{
	x->blocks = 0;
	x->stamp = 0;
	for (uint32_t i = 0; i < x->nsites; i++) {
		x->site[i].leaked = 0;
		x->site[i].stamp = 0;
	}
}

/*
 * One live block: each line of its chain once (recursion puts a line
 * there several times), and each function once, on its signature row,
 * with the block counted.
 */
static void leak(uintptr_t tag, size_t size, void *ctx)
{
	uint64_t stamp = ++scan_stamp;

	(void)ctx;
	for (struct node *n = (struct node *)tag; n;
	     n = (struct node *)n->parent) {
		struct mp_extras *x = n->x;

		if (x->stamp != stamp) {
			x->stamp = stamp;
			x->blocks++;
			x->site[0].leaked += (int64_t)size;
		}
		if (n->idx && x->site[n->idx].stamp != stamp) {
			x->site[n->idx].stamp = stamp;
			x->site[n->idx].leaked += (int64_t)size;
		}
	}
}

void mp_allocs_scan(void)
{
	if (!(mp_allocs_columns & MP_COL_LEAKED))
		return;
	each_record(clear_leaks);
	mp_heap_each(leak, NULL);
	if (__atomic_load_n(&missed, __ATOMIC_RELAXED))
		mp_note("mprof: MPROF_COLUMNS: %llu functions or allocation sites had no room; their columns are incomplete",
			(unsigned long long)missed);
}

static void clear(struct mp_extras *x)
{
	x->blocks = 0;
	x->stamp = 0;
	memset(x->site, 0, x->nsites * sizeof x->site[0]);
}

void mp_allocs_atfork_child(void)
{
	each_record(clear);
	__atomic_store_n(&missed, 0, __ATOMIC_RELAXED);
}
