/* SPDX-License-Identifier: MIT */
/*
 * got.c - wrapping library functions by rewriting GOT slots (got.h), for
 * the heap backend, the rss fast path and the thread tracking.
 *
 * glibc >= 2.34 has no malloc hooks and a dlopen()ed runtime cannot
 * interpose symbols, so mp_got_install() walks every loaded module
 * (dl_iterate_phdr) and, in its JUMP_SLOT, GLOB_DAT and R_X86_64_64
 * relocations, replaces the address of each wrapped function with the
 * wrapper's.  libc.so itself is patched too: glibc calls malloc, free,
 * calloc and realloc through its own GOT, so strdup, fopen, fclose... reach
 * the wrappers.  Its internal calls (free -> munmap, start_thread ->
 * madvise) do not: clients wrap the entry point that leads to them.  The
 * dlopen and dlmopen wrappers, installed with the first set, patch modules
 * loaded later.  libmprof.so's own module is left alone, so the runtime's
 * own calls never reach a wrapper.  Not reached either: what ld.so calls
 * with its own pointers, what a module's constructors call through its own
 * GOT while dlopen() runs them, calls through a pointer from dlsym().
 *
 * Invariants: per symbol, `chain` lists the wrappers installed, oldest
 * first; the outermost one is the "top".  A slot is rewritten only if it
 * holds the definition, a wrapper of the chain below the top, or an
 * unresolved lazy PLT stub: a slot some other tool redirected is left
 * alone, and a call always ends in the definition it would have reached.
 * Every wrapper's *next is stored before the first slot pointing to it.
 * Scans are serialised by `patch_lock`, which fork also takes.
 */
#define _GNU_SOURCE
#include "got.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

__thread int mp_got_busy __attribute__((tls_model("initial-exec")));

/* Symbols wrapped, and wrappers per symbol: well above what clients use. */
#define MAXSYM		64
#define MAXCHAIN	4

struct sym {
	const char *name;
	void *def;			/* the definition ld.so binds name to */
	void *chain[MAXCHAIN];		/* wrappers, oldest first */
	unsigned nchain;
};

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
	bool write;			/* false: only count */
	const struct sym *only[MAXSYM];	/* symbols whose slots are counted */
	size_t nonly;
	unsigned found;			/* slots of those that call their top */
};

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sym syms[MAXSYM];
static unsigned nsyms;
static int prepared;			/* 1 ready, -1 unsupported */

static uintptr_t ldso_base, vdso_base;
static uintptr_t pagesize;

static void *next_dlopen, *next_dlmopen;

static void *dlopen_hook(const char *file, int mode);
static void *dlmopen_hook(Lmid_t lmid, const char *file, int mode);

static void *top(const struct sym *s)
{
	return s->nchain ? s->chain[s->nchain - 1] : s->def;
}

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

static struct sym *sym_of(const char *name)
{
	for (unsigned i = 0; i < nsyms; i++)
		if (name[0] == syms[i].name[0] && !strcmp(name, syms[i].name))
			return &syms[i];
	return NULL;
}

/* Whether a slot holding v should call the top of s instead. */
static bool below_top(const struct sym *s, uintptr_t v)
{
	if (v == (uintptr_t)s->def)
		return true;
	for (unsigned i = 0; i + 1 < s->nchain; i++)
		if (v == (uintptr_t)s->chain[i])
			return true;
	return false;
}

static bool counted(const struct scan *sc, const struct sym *s)
{
	for (size_t i = 0; i < sc->nonly; i++)
		if (sc->only[i] == s)
			return true;
	return false;
}

static void scan_relocs(const struct module *m, const ElfW(Rela) *r,
			size_t bytes, struct scan *sc)
{
	for (size_t i = 0; r && i < bytes / sizeof *r; i++) {
		unsigned type = ELF64_R_TYPE(r[i].r_info);
		size_t symi = ELF64_R_SYM(r[i].r_info);

		if (!symi || !(type == R_X86_64_JUMP_SLOT ||
			       type == R_X86_64_GLOB_DAT ||
			       (type == R_X86_64_64 && r[i].r_addend == 0)))
			continue;
		if (m->symtab[symi].st_name >= m->strsz)
			continue;
		struct sym *s = sym_of(m->strtab + m->symtab[symi].st_name);
		if (!s || !s->def)
			continue;
		void **slot = (void **)(m->base + r[i].r_offset);
		uintptr_t v = (uintptr_t)__atomic_load_n(slot, __ATOMIC_RELAXED);
		if (v != (uintptr_t)top(s)) {
			if (!below_top(s, v) &&
			    !(type == R_X86_64_JUMP_SLOT && lazy_stub(m, v)))
				continue;
			if (sc->write && !write_slot(m, slot, top(s)))
				continue;
		}
		if (counted(sc, s))
			sc->found++;
	}
}

/*
 * dl_iterate_phdr callback: patch one module.  It runs under ld.so's
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
	self = segment_of(&m, (uintptr_t)mp_got_install, 1) != NULL;
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

static unsigned scan_all(struct scan *sc)
{
	sc->found = 0;
	dl_iterate_phdr(scan_module, sc);
	return sc->found;
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
	void *(*fn)(const char *, int) = next_dlopen;
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
 * probe for a loaded object is the runtime's work: the error state libc
 * allocates when it fails is not counted.
 */
static void *dlopen_as(const void *caller, const char *file, int mode)
{
	void *(*fn)(const char *, int) = next_dlopen;
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
	mp_got_busy = 1;
	h = fn(file, mode | RTLD_NOLOAD);
	mp_got_busy = 0;
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

/* Patch what a successful dlopen brought in.  Keeps errno. */
static void after_open(void *h)
{
	struct scan sc = { .write = true };
	int e = errno;

	if (!h)
		return;
	pthread_mutex_lock(&patch_lock);
	scan_all(&sc);
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

/* Objects of other namespaces have their own libc: never patched. */
static void *dlmopen_hook(Lmid_t lmid, const char *file, int mode)
{
	void *(*fn)(Lmid_t, const char *, int) = next_dlmopen;
	void *h = fn(lmid, file, mode);

	after_open(h);
	return h;
}

/* ---- installing --------------------------------------------------------- */

/*
 * The definition ld.so binds `name` to.  dlsym(RTLD_DEFAULT) can return
 * the canonical PLT entry of a non-PIE executable that takes the
 * function's address -- an undefined symbol with a value, which would jump
 * straight back into the patched GOT -- so only a defined symbol is
 * accepted.
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

static void fork_prepare(void)
{
	pthread_mutex_lock(&patch_lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&patch_lock);
}

/* The entry of `name`, made on first use; NULL when the table is full. */
static struct sym *sym_get(const char *name)
{
	struct sym *s = sym_of(name);

	if (s || nsyms == MAXSYM)
		return s;
	s = &syms[nsyms++];
	s->name = name;
	s->def = resolve(name);
	return s;
}

/* Put `h` on top of its symbol's chain (once); false if it cannot be. */
static bool push(const struct mp_got_hook *h, struct sym *s)
{
	for (unsigned i = 0; i < s->nchain; i++)
		if (s->chain[i] == h->wrap)
			return true;
	if (!s->def || s->nchain == MAXCHAIN) {
		*h->next = NULL;
		return false;
	}
	__atomic_store_n(h->next, top(s), __ATOMIC_RELEASE);
	s->chain[s->nchain++] = h->wrap;
	return true;
}

/*
 * Everything patching needs before it changes anything: the fork handler,
 * the modules to leave alone, the dlopen wrappers.  Other modules' GOTs
 * will point into this one, so it is made undeletable.
 */
static int prepare(void)
{
	static const struct mp_got_hook own[] = {
		{ "dlopen", (void *)dlopen_hook, &next_dlopen },
		{ "dlmopen", (void *)dlmopen_hook, &next_dlmopen },
	};
	struct link_map *lm = NULL;
	Dl_info di;

#if !defined(__x86_64__)
	return -1;
#endif
	if (pthread_atfork(fork_prepare, fork_release, fork_release))
		return -1;
	ldso_base = getauxval(AT_BASE);
	vdso_base = getauxval(AT_SYSINFO_EHDR);
	pagesize = getauxval(AT_PAGESZ);
	if (!pagesize)
		pagesize = 4096;
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		push(&own[i], sym_get(own[i].name));
	if (next_dlopen &&
	    dladdr1((void *)mp_got_install, &di, (void **)&lm, RTLD_DL_LINKMAP) &&
	    lm && lm->l_name && lm->l_name[0]) {
		void *(*fn)(const char *, int) = next_dlopen;
		fn(lm->l_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	}
	return 0;
}

/*
 * A dry run first: if no module has a slot for the set, nothing is pushed
 * or written (a static program).  The hooks are pushed before the scan
 * that writes, so *next is set before any slot calls the wrapper.
 */
int mp_got_install(const struct mp_got_hook *hooks, size_t n)
{
	struct scan sc = { .write = false };
	struct sym *s;
	int e = errno, rc;

	pthread_mutex_lock(&patch_lock);
	mp_got_busy++;
	if (!prepared)
		prepared = prepare() == 0 ? 1 : -1;
	rc = -1;
	if (prepared < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		s = sym_get(hooks[i].name);
		if (s && s->def && sc.nonly < MAXSYM)
			sc.only[sc.nonly++] = s;
	}
	rc = 0;
	if (!sc.nonly || !scan_all(&sc))
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((s = sym_get(hooks[i].name)))
			push(&hooks[i], s);
		else
			*hooks[i].next = NULL;
	sc.write = true;
	rc = (int)scan_all(&sc);
out:
	mp_got_busy--;
	pthread_mutex_unlock(&patch_lock);
	errno = e;
	return rc;
}
