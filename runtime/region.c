/* SPDX-License-Identifier: MIT */
/*
 * region.c - measured regions for tests (include/mprof.h,
 * docs/testing-api.md): the heap figures of a region of code -- peak,
 * net growth, allocation calls and bytes asked -- and the lines of
 * profiled functions whose Increment grew most in it.
 *
 * The figures come from heap.c's wrappers, started by the first region
 * whatever the backend, and from their tally (heap.h), which runs while
 * any region is open.  The tally has one high-water mark: a region's
 * begin restarts it at the current total, after folding the old mark into
 * every region already open (their `high`), so each region's peak is the
 * larger of its folded mark and the current one at its end, however
 * regions nest or overlap across threads.  The open regions form a list
 * under `lock`; none of this runs in a probe.
 *
 * The lines: at begin, a snapshot of every registered function's
 * Increment per line (all threads), in memory from mmap; at end, the
 * same walk again, and the lines whose Increment grew most (none when the
 * snapshot could not be taken whole).  The
 * signature row is left out: its Increment holds the figure at the
 * function's first entry, not what the line did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"
#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mprof_region *open_list;

/* ---- the snapshot of Increments ----------------------------------------- */

/*
 * The snapshot: for each function, in the registry's order (newest
 * first), one record: the descriptor, its number of sites, then each
 * site's Increment.  Words of 64 bits.
 */
struct snap_walk {
	struct mprof_region *r;
	int failed;
	size_t cursor;			/* words: where the next match should be */
};

static void snap_add(void *ctx, const struct __mprof_func *f,
		     const struct __mprof_site *tot)
{
	struct snap_walk *w = ctx;
	struct mprof_region *r = w->r;
	size_t need = (2 + (size_t)f->nsites) * sizeof(uint64_t);
	uint64_t *v;
	void *p;

	if (w->failed)
		return;
	while (r->priv_.snap_used + need > r->priv_.snap_bytes) {
		p = mp_sys_map_grow(r->priv_.snap, &r->priv_.snap_bytes, 65536);
		if (!p) {
			w->failed = 1;
			return;
		}
		r->priv_.snap = p;
	}
	v = (uint64_t *)((char *)r->priv_.snap + r->priv_.snap_used);
	v[0] = (uint64_t)(uintptr_t)f;
	v[1] = f->nsites;
	for (uint32_t i = 0; i < f->nsites; i++)
		v[2 + i] = (uint64_t)tot[i].incr;
	r->priv_.snap_used += need;
}

/*
 * The snapshot's Increments of `f`, or NULL when it had not run at begin.
 * Both walks go in the registry's order, so `f` is usually where the last
 * match ended; otherwise the whole snapshot is searched.
 */
static const uint64_t *snap_find(struct snap_walk *w,
				 const struct __mprof_func *f)
{
	const uint64_t *v = w->r->priv_.snap;
	size_t n = w->r->priv_.snap_used / sizeof(uint64_t), at = w->cursor;
	uint64_t key = (uint64_t)(uintptr_t)f;

	if (at + 1 >= n || v[at] != key)
		for (at = 0; at + 1 < n && v[at] != key; at += 2 + v[at + 1])
			;
	if (at + 1 >= n)
		return NULL;
	w->cursor = at + 2 + v[at + 1];
	return v + at + 2;
}

/* Keep line `i` of `f` among the region's largest growths. */
static void top_add(struct mprof_region *r, const struct __mprof_func *f,
		    uint32_t i, int64_t grew)
{
	size_t k = r->nlines;

	if (k == MPROF_REGION_TOP) {
		if (grew <= r->lines[k - 1].increment)
			return;
		k--;
	} else {
		r->nlines++;
	}
	for (; k > 0 && r->lines[k - 1].increment < grew; k--)
		r->lines[k] = r->lines[k - 1];
	r->lines[k].file = f->file;
	r->lines[k].function = f->name;
	r->lines[k].line = f->lines[i];
	r->lines[k].increment = grew;
}

static void top_walk(void *ctx, const struct __mprof_func *f,
		     const struct __mprof_site *tot)
{
	struct snap_walk *w = ctx;
	const uint64_t *was = snap_find(w, f);
	int64_t grew;

	for (uint32_t i = 1; i < f->nsites; i++) {
		grew = tot[i].incr - (was ? (int64_t)was[i] : 0);
		if (grew > 0)
			top_add(w->r, f, i, grew);
	}
}

/* ---- begin and end ------------------------------------------------------ */

/* Is `r` in the list of open regions?  Under `lock`. */
static bool is_open(const struct mprof_region *r)
{
	const struct mprof_region *o;

	for (o = open_list; o && o != r; o = o->priv_.next)
		;
	return o != NULL;
}

int mprof_region_begin(struct mprof_region *r)
{
	struct snap_walk w = { .r = r };
	struct mprof_region *o;
	struct mp_heap_tally t;
	int saved = errno, rc = 0;
	int64_t old;

	pthread_mutex_lock(&lock);
	rc = is_open(r) ? -1 : 0;
	pthread_mutex_unlock(&lock);
	if (rc) {
		errno = EBUSY;
		return -1;
	}
	memset(r, 0, sizeof(*r));
	if (mp_heap_start() < 0) {
		saved = ENOTSUP;
		rc = -1;
	}
	r->measured = rc == 0;
	/* snapshot first: its own work is the runtime's, not the region's */
	r->priv_.snap_ok = mp_registry_each(snap_add, &w) == 0 && !w.failed;
	pthread_mutex_lock(&lock);
	__atomic_store_n(&mp_heap_tally_on, 1, __ATOMIC_RELAXED);
	old = mp_heap_tally_restart();
	for (o = open_list; o; o = o->priv_.next)
		if (old > o->priv_.high)
			o->priv_.high = old;
	mp_heap_tally(&t);
	r->priv_.base = t.now;
	r->priv_.high = t.now;
	r->priv_.allocs = t.allocs;
	r->priv_.bytes = t.bytes;
	r->priv_.next = open_list;
	if (open_list)
		open_list->priv_.prev = r;
	open_list = r;
	r->priv_.open = 1;
	pthread_mutex_unlock(&lock);
	errno = saved;
	return rc;
}

int mprof_region_end(struct mprof_region *r)
{
	struct snap_walk w = { .r = r };
	struct mp_heap_tally t;
	int saved = errno;

	pthread_mutex_lock(&lock);
	if (!r->priv_.open || !is_open(r)) {
		pthread_mutex_unlock(&lock);
		errno = EINVAL;
		return -1;
	}
	mp_heap_tally(&t);
	if (t.high > r->priv_.high)
		r->priv_.high = t.high;
	if (r->priv_.prev)
		r->priv_.prev->priv_.next = r->priv_.next;
	else
		open_list = r->priv_.next;
	if (r->priv_.next)
		r->priv_.next->priv_.prev = r->priv_.prev;
	if (!open_list)
		__atomic_store_n(&mp_heap_tally_on, 0, __ATOMIC_RELAXED);
	r->priv_.open = 0;
	pthread_mutex_unlock(&lock);

	if (r->measured) {
		r->peak = r->priv_.high - r->priv_.base;
		r->net = t.now - r->priv_.base;
		r->allocs = t.allocs - r->priv_.allocs;
		r->requested = t.bytes - r->priv_.bytes;
	}
	r->nlines = 0;
	if (r->priv_.snap_ok)
		mp_registry_each(top_walk, &w);
	if (r->priv_.snap)
		munmap(r->priv_.snap, r->priv_.snap_bytes);
	r->priv_.snap = NULL;
	r->priv_.snap_bytes = r->priv_.snap_used = 0;
	errno = saved;
	return 0;
}

/* ---- the check ---------------------------------------------------------- */

/* `bytes` for a person: B below 1 KiB, KiB below 1 MiB, else MiB. */
static const char *size_text(char *buf, size_t size, int64_t bytes,
			     const char *sign)
{
	double a = (double)(bytes < 0 ? -bytes : bytes);
	const char *s = bytes < 0 ? "-" : sign;

	if (a < 1024)
		snprintf(buf, size, "%s%lld B", s, (long long)a);
	else if (a < 1024 * 1024)
		snprintf(buf, size, "%s%.1f KiB", s, a / 1024);
	else
		snprintf(buf, size, "%s%.1f MiB", s, a / (1024 * 1024));
	return buf;
}

/* Append to msg what fits (snprintf's truncation, kept NUL-terminated). */
static void append(char *msg, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *msg, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

int mprof_limit_check(const struct mprof_region *r, size_t limit,
		      char *msg, size_t msgsize)
{
	char a[32], b[32], c[32], d[32];
	size_t len = 0, i;

	if (msgsize)
		msg[0] = '\0';
	if (!r->measured) {
		if (msgsize)
			append(msg, msgsize, &len,
			       "mprof: memory not measured: %s",
			       mp_heap_refusal());
		return -1;
	}
	if ((uint64_t)limit >= (uint64_t)INT64_MAX || r->peak <= (int64_t)limit)
		return 0;
	if (!msgsize)
		return 1;
	append(msg, msgsize, &len,
	       "memory limit %s exceeded: peak %s (%lld bytes), net %s, %llu allocation%s of %s",
	       size_text(a, sizeof(a), (int64_t)limit, ""),
	       size_text(b, sizeof(b), r->peak, ""), (long long)r->peak,
	       size_text(c, sizeof(c), r->net, "+"),
	       (unsigned long long)r->allocs, r->allocs == 1 ? "" : "s",
	       size_text(d, sizeof(d), (int64_t)r->requested, ""));
	if (!r->nlines) {
		append(msg, msgsize, &len,
		       "\n(no lines: no profiled function's Increment grew in the region)");
		return 1;
	}
	append(msg, msgsize, &len, "\ntop lines:");
	for (i = 0; i < r->nlines; i++)
		append(msg, msgsize, &len, "\n  %s:%d %s %s", r->lines[i].file,
		       r->lines[i].line, r->lines[i].function,
		       size_text(a, sizeof(a), r->lines[i].increment, "+"));
	return 1;
}

void mprof_fail(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	abort();
}
