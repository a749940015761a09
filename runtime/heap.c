/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the heap backend (runtime/heap.h): bytes currently allocated
 * through the malloc family, counted by wrappers that got.c puts in every
 * module's GOT slots for malloc, free, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc and pvalloc.
 *
 * glibc calls malloc, free, calloc and realloc through its own GOT, so
 * strdup, getline, fopen, asprintf... are counted once, through those four.
 * libmprof.so's own module is left alone, so the runtime's allocations are
 * never counted.  Not counted either: what libc allocates with an internal
 * memalign-like call (not routed through its GOT), what ld.so allocates
 * with its own pointer to malloc (objects dlopen()ed, their TLS, dlerror
 * text), what a module's constructors allocate through its own GOT while
 * dlopen() runs them (calls into libc are counted), and calls through a
 * malloc pointer obtained with dlsym().
 *
 * Invariants: a block is always freed by the allocator that made it (got.c
 * only rewrites slots that held it).  The table maps each live block seen
 * allocated to its requested size; mp_heap_total is the sum of those
 * sizes.  Each thread also keeps its own net count, mp_heap_mine (TLS,
 * initial-exec, one writer: the thread itself): what it allocated minus
 * what it freed, whoever allocated the block.  The probes charge a line
 * with its thread's count and show the total as Mem usage; a thread that
 * exits leaves its blocks in the total.  A block leaves the table before
 * the real free or realloc runs, and enters it after the real allocation
 * returns, so an address reused by another thread is never confused with
 * the old block (while the process has one thread, free takes it out
 * after the real free, whose work hides the table's cache miss: a
 * stranger thread waits for the owner's section to end, solo.h).  The table lives in
 * mmap'd memory, split into stripes each with its own spinlock.  While the
 * process has one thread (solo.h) the locks are skipped and the total
 * is updated with plain moves; the wrappers raise mp_got_busy for the
 * owner's plain section, which also makes calls made from inside a wrapper
 * (or from a signal handler that interrupts one) go straight to the real
 * function.
 */
#define _GNU_SOURCE
#include "heap.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "got.h"
#include "solo.h"

#define TLS __thread __attribute__((tls_model("initial-exec")))

/*
 * For what the allocation wrappers reach.  libc calls them where a
 * sanitizer's runtime is not ready: a new thread's realloc inside
 * pthread_getattr_np, which ThreadSanitizer calls while it sets the thread
 * up.  Instrumented code crashes there, so in a -fsanitize=thread build of
 * the runtime (tests) the table is left unchecked.
 */
#define HOOK __attribute__((no_sanitize_thread))

#if defined(__x86_64__)
#define CPU_RELAX()	__builtin_ia32_pause()
#else
#define CPU_RELAX()	((void)0)
#endif

/* Stripes of the table: enough that threads rarely meet on one lock. */
#define NSTRIPE_BITS	6
#define NSTRIPE		(1u << NSTRIPE_BITS)

/* First capacity of a stripe's table: one page of entries. */
#define STRIPE_MIN	256

enum {
	H_MALLOC, H_FREE, H_CALLOC, H_REALLOC, H_REALLOCARRAY,
	H_POSIX_MEMALIGN, H_ALIGNED_ALLOC, H_MEMALIGN, H_VALLOC, H_PVALLOC,
	NHOOK
};

struct entry {
	uintptr_t key;			/* block address; 0 marks a free slot */
	size_t size;			/* size the program asked for */
	uintptr_t tag;			/* mp_heap_tag's answer, or 0 */
};

struct stripe {
	atomic_int lock;		/* spinlock over the fields below */
	unsigned shift;			/* 64 - log2(capacity) */
	struct entry *tab;		/* mmap'd, mask + 1 entries, or NULL */
	size_t mask;			/* capacity - 1 (a power of two) */
	size_t used;			/* live entries; at most half the
					   capacity, so probe runs stay short */
} __attribute__((aligned(64)));

static struct stripe stripes[NSTRIPE];
int64_t mp_heap_total;
TLS int64_t mp_heap_mine;
uintptr_t (*mp_heap_tag)(size_t n);
void (*mp_heap_grown)(void);
void (*mp_heap_freeing)(void);

static TLS int forking;			/* fork_prepare took the locks */

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;
static bool sanitizer;			/* a sanitizer's hooks count too */
static const char *refusal;		/* why the last start failed */

static void *real[NHOOK];		/* what each wrapper calls */

/* ---- the table ---------------------------------------------------------- */

/*
 * Fibonacci hashing: block addresses are nearby multiples of 16, which one
 * multiplication by 2^64/phi spreads over the top bits.  The top
 * NSTRIPE_BITS pick the stripe, the bits below them the slot.
 */
HOOK static inline uint64_t hash(uintptr_t p)
{
	return (uint64_t)(p >> 4) * 0x9e3779b97f4a7c15ull;
}

HOOK static inline struct stripe *stripe_of(uint64_t h)
{
	return &stripes[h >> (64 - NSTRIPE_BITS)];
}

HOOK static inline size_t home(const struct stripe *s, uint64_t h)
{
	return (size_t)((h << NSTRIPE_BITS) >> s->shift);
}

HOOK static void lock(atomic_int *l)
{
	for (unsigned spins = 0;; spins++) {
		if (!atomic_load_explicit(l, memory_order_relaxed) &&
		    !atomic_exchange_explicit(l, 1, memory_order_acquire))
			return;
		if (spins < 100)
			CPU_RELAX();
		else
			sched_yield();
	}
}

HOOK static void unlock(atomic_int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

/* The stripe locks are only needed once other threads may exist. */
HOOK static inline void lock_if(bool solo, atomic_int *l)
{
	if (!solo)
		lock(l);
}

HOOK static inline void unlock_if(bool solo, atomic_int *l)
{
	if (!solo)
		unlock(l);
}

/*
 * Double the stripe's table (or create it) by rehashing into a fresh
 * mapping.  On failure the old table stays, and keeps working until full.
 */
HOOK static void grow(struct stripe *s)
{
	size_t cap = s->tab ? (s->mask + 1) * 2 : STRIPE_MIN;
	unsigned shift = 64 - (unsigned)__builtin_ctzll(cap);
	int e = errno;
	struct entry *t = mmap(NULL, cap * sizeof *t, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED) {
		errno = e;
		return;
	}
	for (size_t i = 0; s->tab && i <= s->mask; i++) {
		if (!s->tab[i].key)
			continue;
		size_t j = (size_t)((hash(s->tab[i].key) << NSTRIPE_BITS) >> shift);
		while (t[j].key)
			j = (j + 1) & (cap - 1);
		t[j] = s->tab[i];
	}
	if (s->tab)
		munmap(s->tab, (s->mask + 1) * sizeof *s->tab);
	s->tab = t;
	s->mask = cap - 1;
	s->shift = shift;
	errno = e;
}

/*
 * Start loading the slot where `key` lives or goes, so that the lookup
 * after the work in between (the real allocator, the columns' hooks)
 * finds it in cache.  A hint only: it never faults, so the stripe's
 * fields may be read without its lock (a table replaced meanwhile is
 * just a wasted hint).
 */
HOOK static inline void prefetch(uintptr_t key)
{
	uint64_t h = hash(key);
	const struct stripe *s = stripe_of(h);
	struct entry *t = __atomic_load_n(&s->tab, __ATOMIC_RELAXED);
	unsigned shift = __atomic_load_n(&s->shift, __ATOMIC_RELAXED);

	if (t)
		__builtin_prefetch(&t[(size_t)((h << NSTRIPE_BITS) >> shift)], 1);
}

/*
 * Record `key` with `size`.  An entry already there is a block freed where
 * no wrapper saw it (its address is being handed out again): its size is
 * returned in *stale so the caller can drop it from the total.  Returns
 * false when the table is full and cannot grow: the block goes uncounted.
 */
HOOK static bool insert(bool solo, uintptr_t key, size_t size, uintptr_t tag,
		       size_t *stale)
{
	uint64_t h = hash(key);
	struct stripe *s = stripe_of(h);
	bool ok = true;

	*stale = 0;
	lock_if(solo, &s->lock);
	if (!s->tab || (s->used + 1) * 2 > s->mask + 1)
		grow(s);
	if (!s->tab) {
		unlock_if(solo, &s->lock);
		return false;
	}
	size_t i = home(s, h);
	while (s->tab[i].key && s->tab[i].key != key)
		i = (i + 1) & s->mask;
	if (s->tab[i].key) {
		*stale = s->tab[i].size;
		s->tab[i].size = size;
		s->tab[i].tag = tag;
	} else if (s->used + 2 <= s->mask + 1) {
		s->tab[i].key = key;
		s->tab[i].size = size;
		s->tab[i].tag = tag;
		s->used++;
	} else {
		ok = false;
	}
	unlock_if(solo, &s->lock);
	return ok;
}

/*
 * Remove `key`, returning its size in *size; false if it was never seen.
 * Linear probing with backward-shift deletion: the entries after the hole
 * move back so that no tombstones accumulate.
 */
HOOK static bool take(bool solo, uintptr_t key, size_t *size)
{
	uint64_t h = hash(key);
	struct stripe *s = stripe_of(h);
	bool found = false;

	lock_if(solo, &s->lock);
	for (size_t i = s->tab ? home(s, h) : 0; s->tab && s->tab[i].key;
	     i = (i + 1) & s->mask) {
		if (s->tab[i].key != key)
			continue;
		*size = s->tab[i].size;
		found = true;
		for (size_t j = (i + 1) & s->mask; s->tab[j].key;
		     j = (j + 1) & s->mask) {
			size_t k = home(s, hash(s->tab[j].key));
			if (((j - k) & s->mask) >= ((j - i) & s->mask)) {
				s->tab[i] = s->tab[j];
				i = j;
			}
		}
		s->tab[i].key = 0;
		s->used--;
		break;
	}
	unlock_if(solo, &s->lock);
	return found;
}

/*
 * Whether this wrapper may skip locks: the process has one thread and it
 * is this one.  A thread the runtime did not see being created makes the
 * switch to many here, before it touches the table.
 */
HOOK static inline bool alone(void)
{
	if (!mp_solo())
		return false;
	if (__builtin_expect(mp_solo_owner, 1))
		return true;
	mp_solo_stranger();
	return false;
}

/*
 * The total and the calling thread's own count move by `delta`; the total
 * after it.  Only this thread writes its count, and a wrapper reached
 * from a signal handler inside this one passes straight through
 * (enter()), so a load and a store suffice; leave()'s release store keeps
 * them inside the wrapper's section.
 */
HOOK static inline int64_t add(bool solo, int64_t delta)
{
	int64_t mine = __atomic_load_n(&mp_heap_mine, __ATOMIC_RELAXED);
	int64_t now;

	__atomic_store_n(&mp_heap_mine, mine + delta, __ATOMIC_RELAXED);
	if (solo) {
		now = __atomic_load_n(&mp_heap_total, __ATOMIC_RELAXED) + delta;
		__atomic_store_n(&mp_heap_total, now, __ATOMIC_RELAXED);
		return now;
	}
	return __atomic_fetch_add(&mp_heap_total, delta, __ATOMIC_RELAXED) +
	       delta;
}

/* ---- the allocation tally (mprof_region, region.c) ---------------------- */

/*
 * While a measured region is open (mp_heap_tally_on), every allocation
 * the wrappers count adds to three figures: calls, bytes asked, and the
 * high-water mark of the total.  All of the tally is here, in tally(),
 * called from count_new(): a region reads differences of these.  Off, it
 * costs a wrapper one load.
 */
uint32_t mp_heap_tally_on;
static uint64_t tally_allocs;
static uint64_t tally_bytes;
static int64_t tally_high;

HOOK static void tally(bool solo, size_t n, int64_t now)
{
	int64_t high;

	if (solo) {
		__atomic_store_n(&tally_allocs,
				 __atomic_load_n(&tally_allocs, __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&tally_bytes,
				 __atomic_load_n(&tally_bytes, __ATOMIC_RELAXED) + n,
				 __ATOMIC_RELAXED);
		if (now > __atomic_load_n(&tally_high, __ATOMIC_RELAXED))
			__atomic_store_n(&tally_high, now, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&tally_allocs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tally_bytes, n, __ATOMIC_RELAXED);
	high = __atomic_load_n(&tally_high, __ATOMIC_RELAXED);
	while (now > high &&
	       !__atomic_compare_exchange_n(&tally_high, &high, now, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void mp_heap_tally(struct mp_heap_tally *t)
{
	t->allocs = __atomic_load_n(&tally_allocs, __ATOMIC_RELAXED);
	t->bytes = __atomic_load_n(&tally_bytes, __ATOMIC_RELAXED);
	t->high = __atomic_load_n(&tally_high, __ATOMIC_RELAXED);
	t->now = mp_heap_current();
}

int64_t mp_heap_tally_restart(void)
{
	int64_t old = __atomic_exchange_n(&tally_high, INT64_MIN,
					  __ATOMIC_RELAXED);
	int64_t now = mp_heap_current(), high;

	high = __atomic_load_n(&tally_high, __ATOMIC_RELAXED);
	while (now > high &&
	       !__atomic_compare_exchange_n(&tally_high, &high, now, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return old;
}

/*
 * Enter a wrapper's accounting section: false if this thread is already
 * inside one (the call then goes straight through).  The signal fences
 * keep the section's plain updates between the two stores of the flag,
 * which is what a stranger waiting for the owner relies on (solo.h).
 */
HOOK static inline bool enter(void)
{
	if (__atomic_load_n(&mp_got_busy, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&mp_got_busy, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return true;
}

HOOK static inline void leave(void)
{
	__atomic_store_n(&mp_got_busy, 0, __ATOMIC_RELEASE);
}

/* A new block p of n bytes, minus `gone` bytes it replaces.  Keeps errno
 * (only grow() makes system calls, and it keeps errno itself).  The
 * optional columns' hooks, when set, see the call and the figure after
 * it. */
HOOK static void count_new(bool solo, void *p, size_t n, size_t gone)
{
	uintptr_t (*tag)(size_t) = __atomic_load_n(&mp_heap_tag,
						   __ATOMIC_RELAXED);
	void (*grown)(void) = __atomic_load_n(&mp_heap_grown,
					      __ATOMIC_RELAXED);
	size_t stale;
	int64_t now;

	if (tag)
		prefetch((uintptr_t)p);
	if (insert(solo, (uintptr_t)p, n, tag ? tag(n) : 0, &stale))
		now = add(solo, (int64_t)n - (int64_t)stale - (int64_t)gone);
	else
		now = add(solo, -(int64_t)gone);
	if (__builtin_expect(__atomic_load_n(&mp_heap_tally_on,
					     __ATOMIC_RELAXED), 0))
		tally(solo, n, now);
	if (grown)
		grown();
}

/*
 * After a realloc-like call turned p (`known`, of `old` bytes) into q of n
 * bytes.  glibc's realloc(p, 0) frees p and returns NULL; any other NULL is
 * a failure that left p as it was, so it goes back into the table.
 */
HOOK static void settle(bool solo, void *p, void *q, size_t n, bool known,
			size_t old)
{
	size_t stale;

	if (q)
		count_new(solo, q, n, known ? old : 0);
	else if (p && n == 0 && known)
		add(solo, -(int64_t)old);
	else if (known)
		insert(solo, (uintptr_t)p, old, 0, &stale);
}

/* ---- the wrappers ------------------------------------------------------- */

/*
 * malloc, valloc and pvalloc: one size, counted as asked (valloc and
 * pvalloc round it up to a page, which the count does not see).
 */
HOOK __attribute__((always_inline)) static inline void *
sized_common(int h, size_t n)
{
	void *(*fn)(size_t) = real[h];

	if (!enter())
		return fn(n);
	void *p = fn(n);
	if (p)
		count_new(alone(), p, n, 0);
	leave();
	return p;
}

HOOK static void *malloc_hook(size_t n)
{
	return sized_common(H_MALLOC, n);
}

HOOK static void free_hook(void *p)
{
	void (*fn)(void *) = real[H_FREE];
	size_t n;
	bool solo;

	void (*freeing)(void) = __atomic_load_n(&mp_heap_freeing,
						__ATOMIC_RELAXED);

	if (!p || !enter()) {
		fn(p);
		return;
	}
	solo = alone();
	if (solo) {
		/* One thread: no other can be handed p's address before it
		   leaves the table, so the real free runs while its slot
		   loads. */
		prefetch((uintptr_t)p);
		if (freeing)
			freeing();
		fn(p);
		if (take(solo, (uintptr_t)p, &n))
			add(solo, -(int64_t)n);
		leave();
		return;
	}
	if (freeing)
		freeing();
	if (take(solo, (uintptr_t)p, &n))
		add(solo, -(int64_t)n);
	fn(p);
	leave();
}

/* An overflowing n * size is left to the real calloc, which fails. */
HOOK static void *calloc_hook(size_t nmemb, size_t size)
{
	void *(*fn)(size_t, size_t) = real[H_CALLOC];
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n) || !enter())
		return fn(nmemb, size);
	void *p = fn(nmemb, size);
	if (p)
		count_new(alone(), p, n, 0);
	leave();
	return p;
}

HOOK static void *realloc_hook(void *p, size_t n)
{
	void *(*fn)(void *, size_t) = real[H_REALLOC];
	size_t old = 0;

	if (!enter())
		return fn(p, n);
	bool solo = alone();
	bool known = p && take(solo, (uintptr_t)p, &old);
	void *q = fn(p, n);
	settle(solo, p, q, n, known, old);
	leave();
	return q;
}

/* glibc's reallocarray calls realloc through its GOT: mp_got_busy stops that. */
HOOK static void *reallocarray_hook(void *p, size_t nmemb, size_t size)
{
	void *(*fn)(void *, size_t, size_t) = real[H_REALLOCARRAY];
	size_t n, old = 0;

	if (__builtin_mul_overflow(nmemb, size, &n) || !enter())
		return fn(p, nmemb, size);
	bool solo = alone();
	bool known = p && take(solo, (uintptr_t)p, &old);
	void *q = fn(p, nmemb, size);
	settle(solo, p, q, n, known, old);
	leave();
	return q;
}

HOOK static int posix_memalign_hook(void **pp, size_t align, size_t n)
{
	int (*fn)(void **, size_t, size_t) = real[H_POSIX_MEMALIGN];

	if (!enter())
		return fn(pp, align, n);
	int r = fn(pp, align, n);
	if (r == 0)
		count_new(alone(), *pp, n, 0);
	leave();
	return r;
}

/* aligned_alloc and memalign: the same shape, different real function. */
HOOK static void *aligned_common(int h, size_t align, size_t n)
{
	void *(*fn)(size_t, size_t) = real[h];

	if (!enter())
		return fn(align, n);
	void *p = fn(align, n);
	if (p)
		count_new(alone(), p, n, 0);
	leave();
	return p;
}

HOOK static void *aligned_alloc_hook(size_t align, size_t n)
{
	return aligned_common(H_ALIGNED_ALLOC, align, n);
}

HOOK static void *memalign_hook(size_t align, size_t n)
{
	return aligned_common(H_MEMALIGN, align, n);
}

HOOK static void *valloc_hook(size_t n)
{
	return sized_common(H_VALLOC, n);
}

HOOK static void *pvalloc_hook(size_t n)
{
	return sized_common(H_PVALLOC, n);
}

static const struct mp_got_hook hooks[NHOOK] = {
	[H_MALLOC] = { "malloc", (void *)malloc_hook, &real[H_MALLOC] },
	[H_FREE] = { "free", (void *)free_hook, &real[H_FREE] },
	[H_CALLOC] = { "calloc", (void *)calloc_hook, &real[H_CALLOC] },
	[H_REALLOC] = { "realloc", (void *)realloc_hook, &real[H_REALLOC] },
	[H_REALLOCARRAY] = { "reallocarray", (void *)reallocarray_hook,
			     &real[H_REALLOCARRAY] },
	[H_POSIX_MEMALIGN] = { "posix_memalign", (void *)posix_memalign_hook,
			       &real[H_POSIX_MEMALIGN] },
	[H_ALIGNED_ALLOC] = { "aligned_alloc", (void *)aligned_alloc_hook,
			      &real[H_ALIGNED_ALLOC] },
	[H_MEMALIGN] = { "memalign", (void *)memalign_hook, &real[H_MEMALIGN] },
	[H_VALLOC] = { "valloc", (void *)valloc_hook, &real[H_VALLOC] },
	[H_PVALLOC] = { "pvalloc", (void *)pvalloc_hook, &real[H_PVALLOC] },
};

/* ---- start -------------------------------------------------------------- */

/*
 * fork() while another thread holds a stripe lock would leave it held in
 * the child forever: take them all around fork.  Not when this thread is
 * itself inside a wrapper (a signal handler that forks): it would wait
 * for itself.  Until they are released, allocations by the other fork
 * handlers pass straight through, uncounted, instead of waiting for us.
 */
static void fork_prepare(void)
{
	if (mp_got_busy)
		return;
	mp_got_busy = 1;
	for (unsigned i = 0; i < NSTRIPE; i++)
		lock(&stripes[i].lock);
	forking = 1;
}

static void fork_release(void)
{
	if (!forking)
		return;
	forking = 0;
	for (unsigned i = NSTRIPE; i-- > 0;)
		unlock(&stripes[i].lock);
	mp_got_busy = 0;
}

/* ---- sanitizers ---------------------------------------------------------- */

/*
 * Under AddressSanitizer (or ThreadSanitizer, MemorySanitizer,
 * LeakSanitizer) the allocator is the sanitizer's, and some of its
 * interceptors (strdup, strndup, realpath...) allocate with it directly,
 * through no GOT slot.  Its own hooks see those blocks, with the
 * requested size, after the allocation and before the free: the same
 * invariants as the wrappers.  Both run, because ThreadSanitizer's hooks
 * miss posix_memalign and its kin: a block seen by both is one entry of
 * the table (a wrapper's section makes the hooks inside it step aside,
 * and inserting a known address replaces it), so nothing counts twice.
 * The runtime's own blocks reach the hooks too, but it allocates only
 * for the report at exit, when the probes are held.
 */
HOOK static void san_malloc_hook(const volatile void *p, size_t n)
{
	if (!p || !enter())
		return;
	count_new(alone(), (void *)p, n, 0);
	leave();
}

HOOK static void san_free_hook(const volatile void *p)
{
	size_t n;
	bool solo;

	if (!p || !enter())
		return;
	solo = alone();
	if (take(solo, (uintptr_t)p, &n))
		add(solo, -(int64_t)n);
	leave();
}

typedef int (*install_hooks_fn)(void (*)(const volatile void *, size_t),
				void (*)(const volatile void *));

/*
 * Use a sanitizer's allocation hooks when its runtime is the process's
 * allocator: the module that defines malloc also defines the function
 * that installs them (UBSan's runtime has that function but leaves malloc
 * to libc, whose blocks would then go unseen).  0 when the hooks are in,
 * -1 otherwise.
 */
static int start_sanitizer(void)
{
	void *def = dlsym(RTLD_DEFAULT, "malloc");
	install_hooks_fn install = (install_hooks_fn)dlsym(RTLD_DEFAULT,
		"__sanitizer_install_malloc_and_free_hooks");
	Dl_info a, b;

	if (!def || !install || !dladdr(def, &a) ||
	    !dladdr((void *)install, &b) || a.dli_fbase != b.dli_fbase ||
	    !install(san_malloc_hook, san_free_hook))
		return -1;
	sanitizer = true;
	return 0;
}

/*
 * Whether malloc is defined in the program itself (its own allocator, or
 * one linked statically): the program's own calls to it are direct, with
 * no GOT slot to wrap, so its blocks could not be counted.  The main
 * program's link map is the one with an empty name.  An undefined symbol
 * with a value (the canonical PLT entry of a non-PIE program that takes
 * malloc's address) is not a definition.
 */
static bool malloc_in_program(void)
{
	void *def = dlsym(RTLD_DEFAULT, "malloc");
	const ElfW(Sym) *sym = NULL;
	struct link_map *lm = NULL;
	Dl_info di;

	return def &&
	       dladdr1(def, &di, (void **)&sym, RTLD_DL_SYMENT) && sym &&
	       sym->st_shndx != SHN_UNDEF &&
	       dladdr1(def, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm &&
	       lm->l_name && !lm->l_name[0];
}

/*
 * Thread tracking first, so that the wrappers know from their first call
 * whether they may skip the locks.  Start fails when no module has a slot
 * for the allocator (a static program) or libc lacks one of the four
 * functions everything else is built on.
 */
int mp_heap_start(void)
{
	const char *why = "cannot hook the allocator";
	int e = errno, rc = 0;

	pthread_mutex_lock(&start_lock);
	if (!started) {
		mp_solo_start();
		if (pthread_atfork(fork_prepare, fork_release, fork_release)) {
			rc = -1;
		} else if (start_sanitizer() == 0) {
			mp_got_install(hooks, NHOOK);
		} else if (malloc_in_program()) {
			rc = -1;
			why = "malloc is defined in the program itself, whose own calls to it cannot be wrapped";
		} else if (mp_got_install(hooks, NHOOK) <= 0) {
			rc = -1;
		}
		for (int h = H_MALLOC; h <= H_REALLOC && !rc && !sanitizer; h++)
			if (!real[h])
				rc = -1;
		started = rc == 0;
	}
	refusal = started ? NULL : why;
	pthread_mutex_unlock(&start_lock);
	errno = e;
	return rc;
}

const char *mp_heap_refusal(void)
{
	return refusal ? refusal : "cannot hook the allocator";
}

void mp_heap_each(void (*fn)(uintptr_t tag, size_t size, void *ctx),
		  void *ctx)
{
	for (unsigned i = 0; i < NSTRIPE; i++) {
		struct stripe *s = &stripes[i];

		lock(&s->lock);
		for (size_t j = 0; s->tab && j <= s->mask; j++)
			if (s->tab[j].key && s->tab[j].tag)
				fn(s->tab[j].tag, s->tab[j].size, ctx);
		unlock(&s->lock);
	}
}

int64_t mp_heap_current(void)
{
	return __atomic_load_n(&mp_heap_total, __ATOMIC_RELAXED);
}

int64_t mp_heap_thread(void)
{
	return __atomic_load_n(&mp_heap_mine, __ATOMIC_RELAXED);
}
