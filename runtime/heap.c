/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the heap backend (runtime/heap.h): bytes currently allocated
 * through the malloc family, counted by rewriting GOT slots.
 *
 * The runtime is often dlopen()ed by the plugin's constructor, so symbol
 * interposition is out of reach and glibc >= 2.34 has no malloc hooks.
 * Instead mp_heap_start() walks every loaded module (dl_iterate_phdr) and,
 * in its JUMP_SLOT, GLOB_DAT and R_X86_64_64 relocations, replaces the
 * address of malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, dlopen and dlmopen with the
 * wrapper's.  libc.so itself is patched too: glibc calls malloc, free,
 * calloc and realloc through its own GOT, so strdup, getline, fopen,
 * asprintf... are counted once, through those four.  The dlopen wrappers
 * patch modules loaded later.  libmprof.so's own module is left alone, so
 * the runtime's allocations are never counted.  Not counted either: what
 * libc allocates with an internal memalign-like call (not routed through
 * its GOT), what ld.so allocates with its own pointer to malloc (objects
 * dlopen()ed, their TLS, dlerror text), what a module's constructors
 * allocate through its own GOT while dlopen() runs them (calls into libc
 * are counted), and calls through a malloc pointer obtained with dlsym().
 *
 * Invariants: a slot is rewritten only if it holds the very function the
 * wrapper will call (or an unresolved lazy PLT stub), so a block is always
 * freed by the allocator that made it.  The table maps each live block seen
 * allocated to its requested size; `total` is the sum of those sizes.  A
 * block leaves the table before the real free or realloc runs, and enters
 * it after the real allocation returns, so an address reused by another
 * thread is never confused with the old block.  The table lives in mmap'd
 * memory, split into stripes each with its own spinlock; a thread-local
 * flag makes calls made from inside a wrapper (or from a signal handler
 * that interrupts one) go straight to the real function.
 */
#define _GNU_SOURCE
#include "heap.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

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
	H_DLOPEN, H_DLMOPEN,
	NHOOK,
	H_LAST_ALLOC = H_PVALLOC	/* hooks up to here move bytes */
};

struct entry {
	uintptr_t key;			/* block address; 0 marks a free slot */
	size_t size;			/* size the program asked for */
};

struct stripe {
	atomic_int lock;		/* spinlock over the three fields below */
	struct entry *tab;		/* mmap'd, mask + 1 entries, or NULL */
	size_t mask;			/* capacity - 1 (a power of two) */
	size_t used;			/* live entries; < capacity always */
} __attribute__((aligned(64)));

/* What the scan of one module needs from its dynamic section. */
struct module {
	uintptr_t base;			/* load bias, dlpi_addr */
	const ElfW(Phdr) *ph;
	size_t phnum;
	uintptr_t relro_lo, relro_hi;	/* PT_GNU_RELRO, absolute */
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz;
};

struct scan {
	bool write;			/* false: only count what would change */
	unsigned found;			/* allocation slots hooked or hookable */
};

static struct stripe stripes[NSTRIPE];
static _Atomic int64_t total;

static TLS int busy;			/* inside a wrapper on this thread */
static TLS int forking;			/* fork_prepare took the locks */

/* Serialises the scans (start, dlopen) and keeps fork out of them. */
static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;
static bool atfork_done;

static void *real[NHOOK];		/* what each wrapper calls */
static uintptr_t self_addr;		/* an address inside this module */
static uintptr_t ldso_base, vdso_base;
static uintptr_t pagesize;

static void *dlopen_hook(const char *file, int mode);
static void *dlmopen_hook(Lmid_t lmid, const char *file, int mode);

/* ---- the table ---------------------------------------------------------- */

/* murmur3's finaliser: malloc addresses differ mostly in middle bits. */
HOOK static inline uint64_t mix(uintptr_t p)
{
	uint64_t h = p >> 4;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
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

/*
 * Double the stripe's table (or create it) by rehashing into a fresh
 * mapping.  On failure the old table stays, and keeps working until full.
 */
HOOK static void grow(struct stripe *s)
{
	size_t cap = s->tab ? (s->mask + 1) * 2 : STRIPE_MIN;
	struct entry *t = mmap(NULL, cap * sizeof *t, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED)
		return;
	for (size_t i = 0; s->tab && i <= s->mask; i++) {
		if (!s->tab[i].key)
			continue;
		size_t j = (mix(s->tab[i].key) >> NSTRIPE_BITS) & (cap - 1);
		while (t[j].key)
			j = (j + 1) & (cap - 1);
		t[j] = s->tab[i];
	}
	if (s->tab)
		munmap(s->tab, (s->mask + 1) * sizeof *s->tab);
	s->tab = t;
	s->mask = cap - 1;
}

/*
 * Record `key` with `size`.  An entry already there is a block freed where
 * no wrapper saw it (its address is being handed out again): its size is
 * returned in *stale so the caller can drop it from the total.  Returns
 * false when the table is full and cannot grow: the block goes uncounted.
 */
HOOK static bool insert(uintptr_t key, size_t size, size_t *stale)
{
	uint64_t h = mix(key);
	struct stripe *s = &stripes[h & (NSTRIPE - 1)];
	bool ok = true;

	*stale = 0;
	lock(&s->lock);
	if (!s->tab || (s->used + 1) * 4 > (s->mask + 1) * 3)
		grow(s);
	if (!s->tab) {
		unlock(&s->lock);
		return false;
	}
	size_t i = (h >> NSTRIPE_BITS) & s->mask;
	while (s->tab[i].key && s->tab[i].key != key)
		i = (i + 1) & s->mask;
	if (s->tab[i].key) {
		*stale = s->tab[i].size;
		s->tab[i].size = size;
	} else if (s->used + 2 <= s->mask + 1) {
		s->tab[i].key = key;
		s->tab[i].size = size;
		s->used++;
	} else {
		ok = false;
	}
	unlock(&s->lock);
	return ok;
}

/*
 * Remove `key`, returning its size in *size; false if it was never seen.
 * Linear probing with backward-shift deletion: the entries after the hole
 * move back so that no tombstones accumulate.
 */
HOOK static bool take(uintptr_t key, size_t *size)
{
	uint64_t h = mix(key);
	struct stripe *s = &stripes[h & (NSTRIPE - 1)];
	bool found = false;

	lock(&s->lock);
	for (size_t i = (h >> NSTRIPE_BITS) & s->mask; s->tab && s->tab[i].key;
	     i = (i + 1) & s->mask) {
		if (s->tab[i].key != key)
			continue;
		*size = s->tab[i].size;
		found = true;
		for (size_t j = (i + 1) & s->mask; s->tab[j].key;
		     j = (j + 1) & s->mask) {
			size_t home = (mix(s->tab[j].key) >> NSTRIPE_BITS) &
				      s->mask;
			if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
				s->tab[i] = s->tab[j];
				i = j;
			}
		}
		s->tab[i].key = 0;
		s->used--;
		break;
	}
	unlock(&s->lock);
	return found;
}

HOOK static void add(int64_t delta)
{
	atomic_fetch_add_explicit(&total, delta, memory_order_relaxed);
}

/* A new block p of n bytes, minus `gone` bytes it replaces.  Keeps errno. */
HOOK static void count_new(void *p, size_t n, size_t gone)
{
	int e = errno;
	size_t stale;

	if (insert((uintptr_t)p, n, &stale))
		add((int64_t)n - (int64_t)stale - (int64_t)gone);
	else if (gone)
		add(-(int64_t)gone);
	errno = e;
}

/*
 * After a realloc-like call turned p (`known`, of `old` bytes) into q of n
 * bytes.  glibc's realloc(p, 0) frees p and returns NULL; any other NULL is
 * a failure that left p as it was, so it goes back into the table.
 */
HOOK static void settle(void *p, void *q, size_t n, bool known, size_t old)
{
	size_t stale;
	int e = errno;

	if (q)
		count_new(q, n, known ? old : 0);
	else if (p && n == 0 && known)
		add(-(int64_t)old);
	else if (known)
		insert((uintptr_t)p, old, &stale);
	errno = e;
}

/* ---- the wrappers ------------------------------------------------------- */

HOOK static void *malloc_hook(size_t n)
{
	void *(*fn)(size_t) = real[H_MALLOC];

	if (busy)
		return fn(n);
	busy = 1;
	void *p = fn(n);
	if (p)
		count_new(p, n, 0);
	busy = 0;
	return p;
}

HOOK static void free_hook(void *p)
{
	void (*fn)(void *) = real[H_FREE];
	size_t n;

	if (!p || busy) {
		fn(p);
		return;
	}
	busy = 1;
	if (take((uintptr_t)p, &n))
		add(-(int64_t)n);
	fn(p);
	busy = 0;
}

/* An overflowing n * size is left to the real calloc, which fails. */
HOOK static void *calloc_hook(size_t nmemb, size_t size)
{
	void *(*fn)(size_t, size_t) = real[H_CALLOC];
	size_t n;

	if (busy || __builtin_mul_overflow(nmemb, size, &n))
		return fn(nmemb, size);
	busy = 1;
	void *p = fn(nmemb, size);
	if (p)
		count_new(p, n, 0);
	busy = 0;
	return p;
}

HOOK static void *realloc_hook(void *p, size_t n)
{
	void *(*fn)(void *, size_t) = real[H_REALLOC];
	size_t old = 0;

	if (busy)
		return fn(p, n);
	busy = 1;
	bool known = p && take((uintptr_t)p, &old);
	void *q = fn(p, n);
	settle(p, q, n, known, old);
	busy = 0;
	return q;
}

/* glibc's reallocarray calls realloc through its GOT: `busy` stops that. */
HOOK static void *reallocarray_hook(void *p, size_t nmemb, size_t size)
{
	void *(*fn)(void *, size_t, size_t) = real[H_REALLOCARRAY];
	size_t n, old = 0;

	if (busy || __builtin_mul_overflow(nmemb, size, &n))
		return fn(p, nmemb, size);
	busy = 1;
	bool known = p && take((uintptr_t)p, &old);
	void *q = fn(p, nmemb, size);
	settle(p, q, n, known, old);
	busy = 0;
	return q;
}

HOOK static int posix_memalign_hook(void **pp, size_t align, size_t n)
{
	int (*fn)(void **, size_t, size_t) = real[H_POSIX_MEMALIGN];

	if (busy)
		return fn(pp, align, n);
	busy = 1;
	int r = fn(pp, align, n);
	if (r == 0)
		count_new(*pp, n, 0);
	busy = 0;
	return r;
}

/* aligned_alloc and memalign: the same shape, different real function. */
HOOK static void *aligned_common(int h, size_t align, size_t n)
{
	void *(*fn)(size_t, size_t) = real[h];

	if (busy)
		return fn(align, n);
	busy = 1;
	void *p = fn(align, n);
	if (p)
		count_new(p, n, 0);
	busy = 0;
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

/* valloc and pvalloc count the requested size, not the rounded page. */
HOOK static void *page_common(int h, size_t n)
{
	void *(*fn)(size_t) = real[h];

	if (busy)
		return fn(n);
	busy = 1;
	void *p = fn(n);
	if (p)
		count_new(p, n, 0);
	busy = 0;
	return p;
}

HOOK static void *valloc_hook(size_t n)
{
	return page_common(H_VALLOC, n);
}

HOOK static void *pvalloc_hook(size_t n)
{
	return page_common(H_PVALLOC, n);
}

static const struct {
	const char *name;		/* the symbol a relocation names */
	void *wrap;			/* what its slot gets */
} hooks[NHOOK] = {
	[H_MALLOC] = { "malloc", (void *)malloc_hook },
	[H_FREE] = { "free", (void *)free_hook },
	[H_CALLOC] = { "calloc", (void *)calloc_hook },
	[H_REALLOC] = { "realloc", (void *)realloc_hook },
	[H_REALLOCARRAY] = { "reallocarray", (void *)reallocarray_hook },
	[H_POSIX_MEMALIGN] = { "posix_memalign", (void *)posix_memalign_hook },
	[H_ALIGNED_ALLOC] = { "aligned_alloc", (void *)aligned_alloc_hook },
	[H_MEMALIGN] = { "memalign", (void *)memalign_hook },
	[H_VALLOC] = { "valloc", (void *)valloc_hook },
	[H_PVALLOC] = { "pvalloc", (void *)pvalloc_hook },
	[H_DLOPEN] = { "dlopen", (void *)dlopen_hook },
	[H_DLMOPEN] = { "dlmopen", (void *)dlmopen_hook },
};

/* ---- patching ----------------------------------------------------------- */

/* A d_ptr of the dynamic section: ld.so has usually made it absolute. */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) p)
{
	return p < base ? base + p : p;
}

static const ElfW(Phdr) *segment_of(const struct module *m, uintptr_t a,
				    size_t len)
{
	for (size_t i = 0; i < m->phnum; i++) {
		const ElfW(Phdr) *p = &m->ph[i];
		uintptr_t lo = m->base + p->p_vaddr;

		if (p->p_type == PT_LOAD && a >= lo && a + len <= lo + p->p_memsz)
			return p;
	}
	return NULL;
}

/*
 * Whether v, the value of a JUMP_SLOT, is the module's own lazy PLT stub
 * (the slot was never resolved): every x86-64 PLT variant points the
 * unresolved slot at a `push $index` (0x68), possibly after an endbr64;
 * no compiled function starts that way.
 */
static bool lazy_stub(const struct module *m, uintptr_t v)
{
	const ElfW(Phdr) *p = segment_of(m, v, 5);
	const unsigned char *c = (const unsigned char *)v;

	if (!p || !(p->p_flags & PF_X) || !(p->p_flags & PF_R))
		return false;
	return c[0] == 0x68 || !memcmp(c, "\xf3\x0f\x1e\xfa\x68", 5);
}

/*
 * The protection of the page at `addr`, from /proc/self/maps, read with
 * bare syscalls (no stdio, no malloc).  A RELRO page is read-only once
 * its module is relocated, but still writable while ld.so relocates it in
 * another thread: mprotect must put back exactly what was there.
 */
static int page_prot(uintptr_t addr)
{
	char buf[1024];
	uintptr_t lo = 0, hi = 0;
	int field = 0, prot = 0, np = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];

			if (c == '\n') {
				field = prot = np = 0;
				lo = hi = 0;
			} else if (field == 0 || field == 1) {
				uintptr_t *x = field ? &hi : &lo;

				if (c == '-' || c == ' ')
					field++;
				else
					*x = *x * 16 + (c <= '9' ? c - '0' :
							(c | 0x20) - 'a' + 10);
			} else if (field == 2) {
				if (c != ' ') {
					prot |= np == 0 && c == 'r' ? PROT_READ : 0;
					prot |= np == 1 && c == 'w' ? PROT_WRITE : 0;
					prot |= np == 2 && c == 'x' ? PROT_EXEC : 0;
					np++;
					continue;
				}
				field++;
				if (addr >= lo && addr < hi) {
					close(fd);
					return prot;
				}
			}
		}
	}
	close(fd);
	return -1;
}

/* Store `val` in a GOT slot, making a RELRO page writable for the moment. */
static bool write_slot(const struct module *m, void **slot, void *val)
{
	uintptr_t a = (uintptr_t)slot;
	const ElfW(Phdr) *seg = segment_of(m, a, sizeof *slot);

	if (a >= m->relro_lo && a + sizeof *slot <= m->relro_hi) {
		uintptr_t page = a & -pagesize;
		int prot = page_prot(page);

		if (prot < 0)
			return false;
		if (!(prot & PROT_WRITE)) {
			if (mprotect((void *)page, pagesize, prot | PROT_WRITE))
				return false;
			__atomic_store_n(slot, val, __ATOMIC_RELEASE);
			mprotect((void *)page, pagesize, prot);
			return true;
		}
	} else if (!seg || !(seg->p_flags & PF_W)) {
		return false;
	}
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
	return true;
}

static int hook_of(const char *name)
{
	for (int h = 0; h < NHOOK; h++)
		if (name[0] == hooks[h].name[0] && !strcmp(name, hooks[h].name))
			return real[h] ? h : -1;
	return -1;
}

static void scan_relocs(const struct module *m, const ElfW(Rela) *r,
			size_t bytes, struct scan *sc)
{
	for (size_t i = 0; r && i < bytes / sizeof *r; i++) {
		unsigned type = ELF64_R_TYPE(r[i].r_info);
		size_t sym = ELF64_R_SYM(r[i].r_info);

		if (!sym || !(type == R_X86_64_JUMP_SLOT ||
			      type == R_X86_64_GLOB_DAT ||
			      (type == R_X86_64_64 && r[i].r_addend == 0)))
			continue;
		if (m->symtab[sym].st_name >= m->strsz)
			continue;
		int h = hook_of(m->strtab + m->symtab[sym].st_name);
		if (h < 0)
			continue;
		void **slot = (void **)(m->base + r[i].r_offset);
		uintptr_t v = (uintptr_t)__atomic_load_n(slot, __ATOMIC_RELAXED);
		if (v != (uintptr_t)hooks[h].wrap) {
			if (v != (uintptr_t)real[h] &&
			    !(type == R_X86_64_JUMP_SLOT && lazy_stub(m, v)))
				continue;
			if (sc->write && !write_slot(m, slot, hooks[h].wrap))
				continue;
		}
		if (h <= H_LAST_ALLOC)
			sc->found++;
	}
}

/*
 * dl_iterate_phdr callback: hook one module.  It runs under ld.so's
 * dl_load_write_lock, which also keeps the module from being unmapped;
 * nothing here may take dl_load_lock (dladdr, dlopen), which dlopen holds
 * while it waits for the write lock.
 */
static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct module m = { .base = info->dlpi_addr, .ph = info->dlpi_phdr,
			    .phnum = info->dlpi_phnum };
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	size_t pltrelsz = 0, relasz = 0, soname = SIZE_MAX;
	bool self;

	(void)size;
	if ((ldso_base && m.base == ldso_base) ||
	    (vdso_base && m.base == vdso_base))
		return 0;
	for (size_t i = 0; i < m.phnum; i++) {
		if (m.ph[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(m.base + m.ph[i].p_vaddr);
		if (m.ph[i].p_type == PT_GNU_RELRO) {
			m.relro_lo = m.base + m.ph[i].p_vaddr;
			m.relro_hi = m.relro_lo + m.ph[i].p_memsz;
		}
	}
	if (!dyn)
		return 0;
	self = segment_of(&m, self_addr, 1) != NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			m.symtab = (const void *)dyn_ptr(m.base, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			m.strtab = (const void *)dyn_ptr(m.base, dyn->d_un.d_ptr);
			break;
		case DT_STRSZ:
			m.strsz = dyn->d_un.d_val;
			break;
		case DT_JMPREL:
			jmprel = (const void *)dyn_ptr(m.base, dyn->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			pltrelsz = dyn->d_un.d_val;
			break;
		case DT_RELA:
			rela = (const void *)dyn_ptr(m.base, dyn->d_un.d_ptr);
			break;
		case DT_RELASZ:
			relasz = dyn->d_un.d_val;
			break;
		case DT_SONAME:
			soname = dyn->d_un.d_val;
			break;
		}
	}
	if (!m.symtab || !m.strtab)
		return 0;
	if (self && soname < m.strsz &&
	    !strncmp(m.strtab + soname, "libmprof.", 9))
		return 0;
	scan_relocs(&m, jmprel, pltrelsz, arg);
	scan_relocs(&m, rela, relasz, arg);
	return 0;
}

static unsigned scan_all(bool write)
{
	struct scan sc = { .write = write };

	dl_iterate_phdr(scan_module, &sc);
	return sc.found;
}

/* ---- dlopen ------------------------------------------------------------- */

/*
 * Try `dir/file` for each dir of the colon-separated `list`, with $ORIGIN
 * replaced by `origin`.  Directories using other substitutions are passed
 * over (the real dlopen still searches the usual places afterwards).
 */
static void *open_along(const char *list, const char *origin,
			const char *file, int mode)
{
	void *(*fn)(const char *, int) = real[H_DLOPEN];
	char path[PATH_MAX];

	for (const char *d = list; d && *d;) {
		const char *end = strchrnul(d, ':');
		size_t len = 0;
		bool ok = end > d;

		while (ok && d < end) {
			const char *s = d;
			size_t n = 1;

			if (!strncmp(d, "$ORIGIN", 7) || !strncmp(d, "${ORIGIN}", 9)) {
				s = origin;
				n = origin ? strlen(origin) : 0;
				d += d[1] == '{' ? 9 : 7;
				ok = origin != NULL;
			} else {
				ok = *d != '$';
				d++;
			}
			if (len + n >= sizeof path)
				ok = false;
			if (ok)
				memcpy(path + len, s, n);
			len += n;
		}
		d = *end ? end + 1 : end;
		if (!ok || len + 1 + strlen(file) >= sizeof path)
			continue;
		path[len] = '/';
		strcpy(path + len + 1, file);
		if (access(path, F_OK) == 0) {
			void *h = fn(path, mode);
			if (h)
				return h;
		}
	}
	return NULL;
}

/*
 * dlopen() searches a bare name along the DT_RPATH or DT_RUNPATH of its
 * caller, found from its return address -- and for the real dlopen the
 * caller is this wrapper.  So for a caller that has such a path, search it
 * here first, in ld.so's order: an object already loaded under that name,
 * then DT_RPATH, or LD_LIBRARY_PATH and DT_RUNPATH.  Everything else (the
 * cache, the default directories) the real dlopen does as usual.  The
 * probe for a loaded object is not the program's: the error state libc
 * allocates when it fails is not counted.
 */
static void *dlopen_as(const void *caller, const char *file, int mode)
{
	void *(*fn)(const char *, int) = real[H_DLOPEN];
	const char *rpath = NULL, *runpath = NULL, *strtab = NULL;
	char origin[PATH_MAX];
	struct link_map *lm = NULL;
	Dl_info di;
	void *h;

	if (!file || strchr(file, '/') || getauxval(AT_SECURE) ||
	    !dladdr1(caller, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return fn(file, mode);
	for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_STRTAB)
			strtab = (const char *)dyn_ptr(lm->l_addr, d->d_un.d_ptr);
	for (const ElfW(Dyn) *d = lm->l_ld; strtab && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RPATH)
			rpath = strtab + d->d_un.d_val;
		if (d->d_tag == DT_RUNPATH)
			runpath = strtab + d->d_un.d_val;
	}
	if (!rpath && !runpath)
		return fn(file, mode);
	busy = 1;
	h = fn(file, mode | RTLD_NOLOAD);
	busy = 0;
	if (h)
		return h;
	if (lm->l_name && lm->l_name[0]) {
		size_t n = strnlen(lm->l_name, sizeof origin - 1);
		memcpy(origin, lm->l_name, n);
		origin[n] = '\0';
	} else {
		ssize_t n = readlink("/proc/self/exe", origin, sizeof origin - 1);
		origin[n > 0 ? n : 0] = '\0';
	}
	char *slash = strrchr(origin, '/');
	if (slash)
		*(slash == origin ? slash + 1 : slash) = '\0';
	const char *dir = slash ? origin : NULL;
	if (runpath)
		h = open_along(getenv("LD_LIBRARY_PATH"), NULL, file, mode);
	if (!h)
		h = open_along(runpath ? runpath : rpath, dir, file, mode);
	return h ? h : fn(file, mode);
}

/* Hook what a successful dlopen brought in.  Keeps errno. */
static void after_open(void *h)
{
	int e = errno;

	if (!h)
		return;
	pthread_mutex_lock(&patch_lock);
	scan_all(true);
	pthread_mutex_unlock(&patch_lock);
	errno = e;
}

__attribute__((noinline))
static void *dlopen_hook(const char *file, int mode)
{
	void *h = dlopen_as(__builtin_return_address(0), file, mode);

	after_open(h);
	return h;
}

/* Objects of other namespaces have their own libc: never hooked. */
static void *dlmopen_hook(Lmid_t lmid, const char *file, int mode)
{
	void *(*fn)(Lmid_t, const char *, int) = real[H_DLMOPEN];
	void *h = fn(lmid, file, mode);

	after_open(h);
	return h;
}

/* ---- start -------------------------------------------------------------- */

/*
 * The function a wrapper calls: the definition ld.so binds `name` to.
 * dlsym(RTLD_DEFAULT) can return the canonical PLT entry of a non-PIE
 * executable that takes the function's address -- an undefined symbol
 * with a value, which would jump straight back into the hooked GOT -- so
 * only a defined symbol is accepted.
 */
static void *resolve(const char *name)
{
	void *cand[2] = { dlsym(RTLD_DEFAULT, name), dlsym(RTLD_NEXT, name) };

	for (int i = 0; i < 2; i++) {
		const ElfW(Sym) *sym = NULL;
		Dl_info di;

		if (cand[i] && dladdr1(cand[i], &di, (void **)&sym,
				       RTLD_DL_SYMENT) &&
		    sym && sym->st_shndx != SHN_UNDEF)
			return cand[i];
	}
	return NULL;
}

/*
 * fork() while another thread holds a stripe lock would leave it held in
 * the child forever: take them all around fork.  Not when this thread is
 * itself inside a wrapper (a signal handler that forks): it would wait
 * for itself.  Until they are released, allocations by the other fork
 * handlers pass straight through, uncounted, instead of waiting for us.
 */
static void fork_prepare(void)
{
	if (busy)
		return;
	busy = 1;
	pthread_mutex_lock(&patch_lock);
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
	pthread_mutex_unlock(&patch_lock);
	busy = 0;
}

/*
 * Everything start needs before it changes anything: the real functions,
 * the fork handlers, and which modules to leave alone.  Other modules' GOTs
 * will point into this one, so it is made undeletable.
 */
static int prepare(void)
{
	struct link_map *lm = NULL;
	Dl_info di;

	for (int h = 0; h < NHOOK; h++)
		real[h] = resolve(hooks[h].name);
	for (int h = H_MALLOC; h <= H_REALLOC; h++)
		if (!real[h])
			return -1;
	if (!atfork_done) {
		if (pthread_atfork(fork_prepare, fork_release, fork_release))
			return -1;
		atfork_done = true;
	}
	self_addr = (uintptr_t)mp_heap_start;
	ldso_base = getauxval(AT_BASE);
	vdso_base = getauxval(AT_SYSINFO_EHDR);
	pagesize = getauxval(AT_PAGESZ);
	if (!pagesize)
		pagesize = 4096;
	if (real[H_DLOPEN] &&
	    dladdr1((void *)mp_heap_start, &di, (void **)&lm, RTLD_DL_LINKMAP) &&
	    lm && lm->l_name && lm->l_name[0]) {
		void *(*fn)(const char *, int) = real[H_DLOPEN];
		fn(lm->l_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	}
	return 0;
}

/*
 * A dry run first: if no module has a slot to hook, nothing is written and
 * start fails (a static program, an unknown architecture).
 */
int mp_heap_start(void)
{
	int e = errno, rc = 0;

	pthread_mutex_lock(&patch_lock);
	if (!started) {
#if defined(__x86_64__)
		rc = prepare() == 0 && scan_all(false) && scan_all(true) ? 0 : -1;
#else
		rc = -1;
#endif
		started = rc == 0;
	}
	pthread_mutex_unlock(&patch_lock);
	errno = e;
	return rc;
}

int64_t mp_heap_current(void)
{
	return atomic_load_explicit(&total, memory_order_relaxed);
}
