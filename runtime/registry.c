/* SPDX-License-Identifier: MIT */
/*
 * registry.c - every function descriptor that ran, so the at-exit report
 * and the fork handler can find them, and the snapshots that keep the data
 * of modules unloaded with dlclose().
 *
 * The registry is a singly linked list through __mprof_func.next, newest
 * first.  The entry probe pushes a descriptor the first time it runs it
 * (lock-free: bit 0 of func->registered, set atomically, elects one
 * pusher, a CAS on the head publishes it; bit 1 elects the entry whose
 * figure is the signature row's Increment).  The counts of a function are
 * its sites (the owner thread's) plus its blocks in the other threads'
 * tables (counts.h): the report and the snapshots add them up.  Descriptors live in the modules that emitted them,
 * so each module (func->dso != NULL) gets a __cxa_atexit handler for its
 * __dso_handle the first time one of its functions registers: dlclose runs
 * it, and it copies the module's descriptors, sites and strings into
 * memory from mmap and relinks the copies in place of the originals.
 *
 * Only snapshots and walks that must not see a relink take `lock`; pushes
 * only ever change the head, snapshots only the `next` of published nodes,
 * so `next` and the head are always accessed atomically.  Runtime memory
 * never comes from the program's malloc: module records come from a static
 * pool (then from mmap), copies from mmap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "allocs.h"
#include "counts.h"
#include "internal.h"
#include "invariant.h"
#include "profile.h"

/* A module that has (had) profiled functions. */
struct module {
	void *dso;			/* its __dso_handle */
	uint32_t armed;			/* 1 while its snapshot handler waits */
	struct module *next;		/* immutable once published */
};

/* Modules tracked without an mmap: more than most processes load. */
#define MODULE_POOL	256

static struct __mprof_func *head;	/* the registry, newest first */
static struct module *modules;		/* every module seen, newest first */
static struct module module_pool[MODULE_POOL];
static uint32_t module_pool_used;
static uint32_t exiting;		/* exit() has started */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static struct __mprof_func *next_of(struct __mprof_func *f)
{
	return __atomic_load_n(&f->next, __ATOMIC_ACQUIRE);
}

static struct module *module_alloc(void)
{
	uint32_t i = __atomic_fetch_add(&module_pool_used, 1, __ATOMIC_RELAXED);

	if (i < MODULE_POOL)
		return &module_pool[i];
	return mp_sys_map(sizeof(struct module));
}

/*
 * The record of module `dso`, added if new.  Lock-free and unique: a CAS
 * only succeeds on the head this thread searched, so two threads adding
 * the same module cannot both succeed.
 */
static struct module *module_get(void *dso)
{
	struct module *first, *m, *fresh = NULL;

	first = __atomic_load_n(&modules, __ATOMIC_ACQUIRE);
	for (;;) {
		for (m = first; m; m = m->next)
			if (m->dso == dso)
				return m;
		if (!fresh) {
			fresh = module_alloc();
			if (!fresh)
				return NULL;
			fresh->dso = dso;
		}
		fresh->next = first;
		if (__atomic_compare_exchange_n(&modules, &first, fresh, 0,
						__ATOMIC_RELEASE,
						__ATOMIC_ACQUIRE))
			return fresh;
	}
}

/*
 * At exit the modules stay mapped until after the report, and a snapshot
 * then would only lose the events of later exit handlers.  This handler is
 * registered after every snapshot handler, so exit() runs it first.
 */
static void mark_exiting(void *unused)
{
	(void)unused;
	__atomic_store_n(&exiting, 1, __ATOMIC_RELEASE);
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *str_copy(char **mem, const char *s)
{
	size_t n = str_size(s);
	char *d = *mem;

	if (!s)
		return NULL;
	memcpy(d, s, n);
	*mem += n;
	return d;
}

static size_t func_size(const struct __mprof_func *f)
{
	return sizeof(*f) + f->nsites * sizeof(f->sites[0]) +
	       f->nsites * sizeof(f->lines[0]) + str_size(f->file) +
	       str_size(f->dir) + str_size(f->name);
}

/* Copy `f` and its sites, lines and strings to `*mem` (suitably
   aligned). */
static struct __mprof_func *func_copy(char **mem, struct __mprof_func *f)
{
	struct __mprof_func *c = (struct __mprof_func *)*mem;
	struct __mprof_site *s;
	int32_t *lines;
	uint32_t i;

	*c = *f;
	s = (struct __mprof_site *)(c + 1);
	for (i = 0; i < f->nsites; i++) {
		s[i] = f->sites[i];
		s[i].func = c;
		s[i].count = __atomic_load_n(&f->sites[i].count, __ATOMIC_RELAXED);
		s[i].incr = __atomic_load_n(&f->sites[i].incr, __ATOMIC_RELAXED);
		s[i].peak = __atomic_load_n(&f->sites[i].peak, __ATOMIC_RELAXED);
	}
	mp_counts_fold(NULL, f, s);
	c->sites = s;
	lines = (int32_t *)(s + f->nsites);
	memcpy(lines, f->lines, f->nsites * sizeof(*lines));
	c->lines = lines;
	c->dso = NULL;
	*mem = (char *)(lines + f->nsites);
	c->file = str_copy(mem, f->file);
	c->dir = str_copy(mem, f->dir);
	c->name = str_copy(mem, f->name);
	*mem += -(uintptr_t)*mem & (_Alignof(struct __mprof_func) - 1);
	return c;
}

/* Make whatever points at `old` point at `c`; called with `lock` held. */
static void relink(struct __mprof_func *old, struct __mprof_func *c)
{
	struct __mprof_func *expect = old, *f;

	if (__atomic_compare_exchange_n(&head, &expect, c, 0, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f))
		if (next_of(f) == old) {
			__atomic_store_n(&f->next, c, __ATOMIC_RELEASE);
			return;
		}
}

/*
 * Runs when the module `arg` describes is unloaded (its __cxa_finalize).
 * Its descriptors are about to disappear: copy them, with their data so
 * far, into one mapping and put the copies in their place.  If no memory
 * can be had (or a descriptor registered between the two walks does not
 * fit), unlink them instead: their data is lost, but nothing dangles.
 */
static void snapshot(void *arg)
{
	struct module *mod = arg;
	struct __mprof_func *f, *next, *c;
	unsigned held;
	size_t size = 0;
	char *mem = NULL, *end = NULL;
	void *p;

	if (__atomic_load_n(&exiting, __ATOMIC_ACQUIRE))
		return;
	held = mp_probe_hold();
	pthread_mutex_lock(&lock);
	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f))
		if (f->dso == mod->dso)
			size += func_size(f) + _Alignof(struct __mprof_func);
	if (size) {
		p = mp_sys_map(size);
		if (p) {
			mem = p;
			end = mem + size;
		}
	}
	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next) {
		next = next_of(f);
		if (f->dso != mod->dso)
			continue;
		if (mem && (size_t)(end - mem) >= func_size(f) +
						     _Alignof(struct __mprof_func)) {
			c = func_copy(&mem, f);
			__atomic_store_n(&c->next, next, __ATOMIC_RELAXED);
		} else {
			c = next;
			mp_counts_fold(NULL, f, NULL);
		}
		relink(f, c);
	}
	__atomic_store_n(&mod->armed, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
	mp_probe_release(held);
}

/*
 * A function of a module that is not armed: register the module's snapshot
 * handler.  "Not armed" is either a module never seen, or one whose handler
 * already ran: dlopen()ed again at the same address, or code of the module
 * still running in its own destructors, in which case __cxa_finalize runs
 * the new handler too before it returns.
 */
static void arm(void *dso)
{
	struct module *mod = module_get(dso);
	uint32_t no = 0;

	if (!mod || !__atomic_compare_exchange_n(&mod->armed, &no, 1, 0,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
		return;
	__cxa_atexit(snapshot, mod, dso);
	__cxa_atexit(mark_exiting, NULL, NULL);
}

/* Whether `fn` is in the registry (a walk: for MP_ASSERT only). */
__attribute__((unused)) static bool listed(const struct __mprof_func *fn)
{
	struct __mprof_func *f;

	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f))
		if (f == fn)
			return true;
	return false;
}

void mp_registry_add(struct __mprof_func *fn)
{
	struct __mprof_func *first;

	if (__atomic_fetch_or(&fn->registered, 1, __ATOMIC_ACQ_REL) & 1)
		return;
	/* bit 0 elects one pusher: a function is in the chain once */
	MP_ASSERT(!listed(fn));
	if (fn->dso)
		arm(fn->dso);
	first = __atomic_load_n(&head, __ATOMIC_RELAXED);
	do
		__atomic_store_n(&fn->next, first, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&head, &first, fn, 1,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

bool mp_registry_first(struct __mprof_func *fn)
{
	/* the entry probe registers a function before it claims the row */
	MP_ASSERT(__atomic_load_n(&fn->registered, __ATOMIC_RELAXED) & 1);
	return !(__atomic_fetch_or(&fn->registered, 2, __ATOMIC_RELAXED) & 2);
}

void mp_registry_zero(void)
{
	struct __mprof_func *f;
	uint32_t i;

	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f)) {
		__atomic_fetch_and(&f->registered, ~2u, __ATOMIC_RELAXED);
		for (i = 0; i < f->nsites; i++) {
			__atomic_store_n(&f->sites[i].count, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&f->sites[i].incr, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&f->sites[i].peak, 0, __ATOMIC_RELAXED);
		}
	}
}

void mp_registry_atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void mp_registry_atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

void mp_registry_atfork_child(void)
{
	pthread_mutex_unlock(&lock);
}

void mp_registry_totals(const struct mp_gather *g,
			const struct __mprof_func *f, struct __mprof_site *into)
{
	uint32_t i;

	for (i = 0; i < f->nsites; i++) {
		into[i].count = __atomic_load_n(&f->sites[i].count,
						__ATOMIC_RELAXED);
		into[i].incr = __atomic_load_n(&f->sites[i].incr,
					       __ATOMIC_RELAXED);
		into[i].peak = __atomic_load_n(&f->sites[i].peak,
					       __ATOMIC_RELAXED);
	}
	mp_counts_fold(g, f, into);
}

/*
 * The chain, walked from the head, holds registered functions (copies of
 * unloaded ones included: they keep the bit), each with its signature
 * site, and ends: `slow` follows at half speed, and a cycle would make the
 * walk meet it.
 */
static void check_chain(const struct __mprof_func *f,
			const struct __mprof_func **slow, unsigned long *step)
{
#ifdef MPROF_DEBUG
	MP_ASSERT(__atomic_load_n(&f->registered, __ATOMIC_RELAXED) & 1);
	MP_ASSERT(f->nsites >= 1 && f->sites);
	if ((*step)++ % 2 == 0)
		*slow = *slow ? next_of((struct __mprof_func *)*slow) : f;
	MP_ASSERT(*step == 1 || f != *slow);
#else
	(void)f;
	(void)slow;
	(void)step;
#endif
}

/* The optional columns of a site into its row (allocs.h): those asked
 * for; the probes record them all. */
static void extras_row(struct mp_row *r, const struct mp_extra *e)
{
	unsigned c = mp_allocs_columns;

	if (c & MP_COL_TIME)
		r->time_ns = mp_allocs_ns(__atomic_load_n(&e->ticks,
							  __ATOMIC_RELAXED));
	if (c & MP_COL_ALLOCS) {
		r->allocs = __atomic_load_n(&e->allocs, __ATOMIC_RELAXED);
		r->allocated = __atomic_load_n(&e->allocated,
					       __ATOMIC_RELAXED);
	}
	if (c & MP_COL_PEAK)
		r->rise = __atomic_load_n(&e->rise, __ATOMIC_RELAXED);
	if (c & MP_COL_LEAKED)
		r->leaked = e->leaked;
}

/*
 * mp_registry_collect() with its allocator and profile builder as
 * parameters, so that the report from a fatal signal (crash.c) can run it
 * with crashenv.h's.  `crashing`: the lock may be held by the thread the
 * signal stopped, so it is only tried; the walk then goes on without it
 * (pushes are lock-free; only a relink by dlclose could be seen half
 * done).  Other threads' counts are gathered from their tables
 * (counts.c, through mmap, never malloc) and added to the sites'.
 */
long mp_registry_collect_with(struct mp_profile *p,
			      const struct mp_collect_env *env)
{
	struct __mprof_func *f;
	struct __mprof_site *tot = NULL, *t;
	struct mp_row *rows = NULL, *r;
	struct mp_gather g;
	struct mp_extras *x;
	size_t cap = 0, n;
	uint32_t i;
	long added = 0;
	int locked = 1;
	const struct __mprof_func *slow = NULL;
	unsigned long step = 0;

	p->columns = mp_allocs_columns;
	if (env->crashing)
		locked = pthread_mutex_trylock(&lock) == 0;
	else
		pthread_mutex_lock(&lock);
	if (mp_counts_gather(&g) < 0) {
		added = -1;
		goto out;
	}
	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f)) {
		check_chain(f, &slow, &step);
		if (f->nsites > cap) {
			r = env->grow(rows, f->nsites * sizeof(*rows));
			if (!r) {
				added = -1;
				break;
			}
			rows = r;
			t = env->grow(tot, f->nsites * sizeof(*tot));
			if (!t) {
				added = -1;
				break;
			}
			tot = t;
			cap = f->nsites;
		}
		mp_registry_totals(&g, f, tot);
		x = mp_allocs_columns ? mp_allocs_find(f) : NULL;
		for (i = 0, n = 0; i < f->nsites; i++) {
			if (!tot[i].count)
				continue;
			rows[n] = (struct mp_row){
				.line = f->lines[i],
				.count = tot[i].count,
				.incr = tot[i].incr,
				.peak = tot[i].peak,
			};
			if (x && i < x->nsites)
				extras_row(&rows[n], &x->site[i]);
			n++;
		}
		if (!n)
			continue;
		if (env->add_func(p, f->file, f->dir, f->name, f->first_line,
				  f->last_line, rows, n)) {
			added = -1;
			break;
		}
		if (x)
			p->funcs[p->nfuncs - 1].leaked_blocks = x->blocks;
		added++;
	}
	mp_counts_ungather(&g);
out:
	if (locked)
		pthread_mutex_unlock(&lock);
	env->release(rows);
	env->release(tot);
	return added;
}

int mp_registry_each(void (*fn)(void *ctx, const struct __mprof_func *f,
				const struct __mprof_site *tot),
		     void *ctx)
{
	struct __mprof_func *f;
	struct __mprof_site *tot = NULL;
	size_t bytes = 0;
	struct mp_gather g;
	int rc = 0;

	pthread_mutex_lock(&lock);
	if (mp_counts_gather(&g) < 0) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	for (f = __atomic_load_n(&head, __ATOMIC_ACQUIRE); f; f = next_of(f)) {
		while (f->nsites * sizeof(*tot) > bytes) {
			void *t = mp_sys_map_grow(tot, &bytes, 4096);

			if (!t) {
				rc = -1;
				goto out;
			}
			tot = t;
		}
		mp_registry_totals(&g, f, tot);
		fn(ctx, f, tot);
	}
out:
	mp_counts_ungather(&g);
	pthread_mutex_unlock(&lock);
	if (tot)
		munmap(tot, bytes);
	return rc;
}

long mp_registry_collect(struct mp_profile *p)
{
	static const struct mp_collect_env env = {
		.add_func = mp_profile_add_func,
		.grow = realloc,
		.release = free,
	};

	return mp_registry_collect_with(p, &env);
}
