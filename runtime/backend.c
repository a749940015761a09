/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the memory figure the probes read, behind a method table
 * (struct mp_backend): rss and vms from /proc/self/statm, pss and uss from
 * /proc/self/smaps_rollup, heap from the allocation counter of heap.c.
 * What each measure is, its name and how its text is parsed, is sys.c's
 * table (mp_sys_measure), the one the `mprof` command samples with too.
 * Tests install a fake one with mp_backend_set().
 *
 * The /proc files are opened once and read with pread() at offset 0, one
 * syscall per read, on a descriptor the backend owns (O_CLOEXEC).  If the
 * program closed it, the first failed read reopens it; a forked child
 * reopens it because the inherited one still reads the parent's figures.
 * A read that fails returns the last good figure.  Nothing here allocates
 * or locks, and errno is kept: read() runs inside every probe.  The rss
 * backend reads statm only when rss.c says the figure can have changed.
 *
 * MPROF_INCLUDE_CHILDREN puts a /proc backend behind `family`, whose
 * figure adds the same measure of every descendant (kids.h, the
 * enumeration memory_usage() uses) and which gives no watch: a child's
 * memory moves no counter of this process, so every line event calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "internal.h"
#include "kids.h"
#include "invariant.h"
#include "rss.h"

#define STATM		"/proc/self/statm"
#define SMAPS_ROLLUP	"/proc/self/smaps_rollup"

static int64_t read_none(void)
{
	return 0;
}

int64_t (*mp_backend_reader)(void) = read_none;
int64_t (*mp_backend_owner)(void);
int mp_backend_heap;

static const struct mp_backend *active;	/* NULL until one is installed */
static int statm_fd = -1;
static int smaps_fd = -1;
static int64_t page_size;
static int64_t last;			/* last good figure */
static int exact;			/* MPROF_EXACT */
static int children;			/* MPROF_INCLUDE_CHILDREN */
static struct mp_backend family;	/* a /proc backend plus descendants */
static int64_t (*family_own)(void);	/* that backend's own read */
static enum mp_backend_id family_id;

/*
 * Replace the descriptor in `*slot`, which just failed, by a new one.  The
 * failed one is not closed: the program closed it and its number may now
 * be the program's.  Of two threads reopening at once, one wins.
 */
static int reopen(int *slot, int failed, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (!__atomic_compare_exchange_n(slot, &failed, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		return failed;
	}
	return fd;
}

/* Read a whole small /proc file into buf (NUL-terminated); -1 on error. */
static ssize_t slurp(int *slot, const char *path, char *buf, size_t size)
{
	int fd = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	ssize_t n = fd >= 0 ? mp_sys_pread(fd, buf, size) : -1;

	if (n <= 0) {
		fd = reopen(slot, fd, path);
		if (fd < 0)
			return -1;
		n = mp_sys_pread(fd, buf, size);
		if (n <= 0)
			return -1;
	}
	return n;
}

/* statm's size and resident fields, in pages. */
static int read_statm(uint64_t pages[2])
{
	char buf[160];

	if (slurp(&statm_fd, STATM, buf, sizeof(buf)) < 0)
		return -1;
	return mp_sys_statm(buf, &pages[0], &pages[1]);
}

static int64_t keep(int64_t v)
{
	__atomic_store_n(&last, v, __ATOMIC_RELAXED);
	return v;
}

/* statm's size (field 0) or resident set (field 1) in bytes: errno kept. */
static int64_t statm_field(int field)
{
	uint64_t pages[2];
	int saved = errno;
	int64_t v;

	if (read_statm(pages) < 0)
		v = __atomic_load_n(&last, __ATOMIC_RELAXED);
	else
		v = keep((int64_t)pages[field] * page_size);
	MP_ASSERT(v >= 0);
	errno = saved;
	return v;
}

static int64_t read_rss_exact(void)
{
	return statm_field(1);
}

static int64_t read_rss(void)
{
	return mp_rss_read();
}

/* The fast path's counters, when it has some (rss.h); the figure after. */
static bool watch_rss(struct mp_watch *w, int64_t *m)
{
	if (!mp_rss_watch(w))
		return false;
	*m = mp_rss_read();
	return true;
}

static int64_t read_vms(void)
{
	return statm_field(0);
}

int64_t mp_backend_parse(enum mp_backend_id id, const char *text)
{
	const struct mp_measure *m = mp_sys_measure(id);

	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);
	return m && m->parse ? m->parse(text, page_size) : -1;
}

/* pss or uss from smaps_rollup; -1 on error. */
static int64_t read_smaps(enum mp_backend_id id)
{
	char buf[2048];

	if (slurp(&smaps_fd, SMAPS_ROLLUP, buf, sizeof(buf)) < 0)
		return -1;
	return mp_backend_parse(id, buf);
}

static int64_t smaps_figure(enum mp_backend_id id)
{
	int saved = errno;
	int64_t v = read_smaps(id);

	v = v < 0 ? __atomic_load_n(&last, __ATOMIC_RELAXED) : keep(v);
	MP_ASSERT(v >= 0);
	errno = saved;
	return v;
}

static int64_t read_pss(void)
{
	return smaps_figure(MP_BACKEND_PSS);
}

static int64_t read_uss(void)
{
	return smaps_figure(MP_BACKEND_USS);
}

static int64_t read_heap(void)
{
	return mp_heap_current();
}

/* A word that stays 0: the counter of a watch that never holds. */
static const uint64_t zero;

/*
 * The calling thread's byte count is its change counter: one load, and
 * other threads' allocations do not move it.  The figure is the total.
 */
static bool watch_heap(struct mp_watch *w, int64_t *m)
{
	w->c = (const volatile uint64_t *)&mp_heap_mine;
	w->s = (uint64_t)mp_heap_read_mine();
	*m = mp_heap_read();
	return true;
}

static int64_t own_heap(void)
{
	return mp_heap_read_mine();
}

/* The process's figure plus its descendants' (read anew every time). */
static int64_t read_family(void)
{
	int saved = errno;
	int64_t v = family_own() +
		    mp_kids_total(getpid(), (enum mprof_backend)family_id,
				  page_size);

	errno = saved;
	return v;
}

/*
 * The backend to install for `b` (measure `id`): under
 * MPROF_INCLUDE_CHILDREN a /proc one becomes `family`, its read adding
 * the descendants and its watch gone.
 */
static const struct mp_backend *maybe_family(const struct mp_backend *b,
					     enum mp_backend_id id)
{
	if (!b || !children || mp_sys_measure(id)->file == MP_PROC_NONE)
		return b;
	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);
	family = *b;
	family.read = read_family;
	family.watch = NULL;
	family_own = b->read;
	family_id = id;
	return &family;
}

/* Open `path` into `*slot` once; 0 or -1 with errno set. */
static int open_proc(int *slot, const char *path)
{
	int fd;

	if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) >= 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	__atomic_store_n(slot, fd, __ATOMIC_RELEASE);
	return 0;
}

static int init_statm(void)
{
	uint64_t pages[2];

	page_size = sysconf(_SC_PAGESIZE);
	if (open_proc(&statm_fd, STATM) < 0)
		return -1;
	if (read_statm(pages) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* statm, then the fast path in front of it. */
static int init_rss(void)
{
	if (init_statm() < 0)
		return -1;
	return mp_rss_start(read_rss_exact, exact);
}

static int init_smaps(void)
{
	if (open_proc(&smaps_fd, SMAPS_ROLLUP) < 0)
		return -1;
	if (read_smaps(MP_BACKEND_PSS) < 0 || read_smaps(MP_BACKEND_USS) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int init_heap(void)
{
	if (mp_heap_start() < 0) {
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}

int mp_backend_open_proc(enum mp_backend_id id)
{
	const struct mp_measure *m = mp_sys_measure(id);
	int saved = errno, rc = -1;

	if (m && m->file == MP_PROC_STATM)
		rc = init_statm();
	else if (m && m->file == MP_PROC_ROLLUP)
		rc = init_smaps();
	else
		errno = EINVAL;
	if (rc == 0)
		errno = saved;
	return rc;
}

int64_t mp_backend_read_proc(enum mp_backend_id id)
{
	const struct mp_measure *m = mp_sys_measure(id);
	int saved = errno;
	int64_t v = -1;
	char buf[2048];

	if (m && m->file == MP_PROC_STATM) {
		if (slurp(&statm_fd, STATM, buf, sizeof(buf)) >= 0)
			v = mp_backend_parse(id, buf);
	} else if (m && m->file == MP_PROC_ROLLUP) {
		v = read_smaps(id);
	}
	errno = saved;
	return v;
}

/* A child's inherited descriptors read its parent: replace them. */
static void reopen_all(void)
{
	int *slots[] = { &statm_fd, &smaps_fd };
	const char *paths[] = { STATM, SMAPS_ROLLUP };
	int old, fd;
	size_t i;

	for (i = 0; i < 2; i++) {
		old = __atomic_load_n(slots[i], __ATOMIC_ACQUIRE);
		if (old < 0)
			continue;
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		__atomic_store_n(slots[i], fd, __ATOMIC_RELEASE);
		close(old);
	}
}

static void rss_atfork_child(void)
{
	reopen_all();
	mp_rss_atfork_child();
}

/* Each backend's name is its measure's (sys.c), set by mp_backend_get(). */
static struct mp_backend backends[MP_BACKEND_COUNT] = {
	[MP_BACKEND_RSS] = { NULL, init_rss, read_rss, rss_atfork_child,
			     watch_rss },
	[MP_BACKEND_PSS] = { NULL, init_smaps, read_pss, reopen_all },
	[MP_BACKEND_USS] = { NULL, init_smaps, read_uss, reopen_all },
	[MP_BACKEND_VMS] = { NULL, init_statm, read_vms, reopen_all },
	[MP_BACKEND_HEAP] = { NULL, init_heap, read_heap, NULL, watch_heap,
			      own_heap },
};

const struct mp_backend *mp_backend_get(enum mp_backend_id id)
{
	struct mp_backend *b;

	if ((unsigned)id >= MP_BACKEND_COUNT)
		return NULL;
	b = &backends[id];
	/* every thread stores the same pointer: a benign race */
	if (!__atomic_load_n(&b->name, __ATOMIC_RELAXED))
		__atomic_store_n(&b->name, mp_sys_measure(id)->name,
				 __ATOMIC_RELAXED);
	MP_ASSERT(mp_sys_measure(id)->id == id);
	return b;
}

int mp_backend_set(const struct mp_backend *b)
{
	/* the probes call read() unchecked */
	MP_ASSERT(b && b->read);
	if (b->init && b->init() < 0)
		return -1;
	__atomic_store_n(&active, b, __ATOMIC_RELEASE);
	__atomic_store_n(&mp_backend_heap, b == &backends[MP_BACKEND_HEAP],
			 __ATOMIC_RELEASE);
	__atomic_store_n(&mp_backend_owner, b->own, __ATOMIC_RELEASE);
	__atomic_store_n(&mp_backend_reader, b->read, __ATOMIC_RELEASE);
	return 0;
}

void mp_backend_choose(enum mp_backend_id id)
{
	const struct mp_backend *b = mp_backend_get(id);
	const char *why;

	if (__atomic_load_n(&active, __ATOMIC_ACQUIRE))
		return;
	if (b && mp_backend_set(maybe_family(b, id)) == 0) {
		if (children && id == MP_BACKEND_HEAP)
			mp_note("mprof: MPROF_INCLUDE_CHILDREN: the heap "
				"backend counts this process's allocations "
				"only");
		return;
	}
	why = id == MP_BACKEND_HEAP ? mp_heap_refusal() : strerror(errno);
	if (id != MP_BACKEND_RSS)
		mp_note("mprof: MPROF_BACKEND: %s unavailable (%s); using rss",
			b ? b->name : "?", why);
	if (id == MP_BACKEND_RSS ||
	    mp_backend_set(maybe_family(&backends[MP_BACKEND_RSS],
					MP_BACKEND_RSS)))
		mp_note("mprof: cannot read " STATM " (%s); memory figures will be 0",
			strerror(errno));
}

void mp_backend_exact(int on)
{
	exact = on;
}

void mp_backend_children(int on)
{
	children = on;
}

enum mp_backend_id mp_backend_fast(void)
{
	const struct mp_backend *b = __atomic_load_n(&active, __ATOMIC_ACQUIRE);

	if (b == &backends[MP_BACKEND_HEAP])
		return MP_BACKEND_HEAP;
	if (b == &backends[MP_BACKEND_RSS])
		return MP_BACKEND_RSS;
	return (enum mp_backend_id)-1;
}

int64_t mp_backend_watch(struct mp_watch *w)
{
	const struct mp_backend *b = __atomic_load_n(&active, __ATOMIC_ACQUIRE);
	int64_t m;

	if (b && b->watch && b->watch(w, &m))
		return m;
	w->c = &zero;
	w->s = MPROF_SEEN_NEVER;
	return mp_backend_read();
}

void mp_backend_atfork_child(void)
{
	const struct mp_backend *b = __atomic_load_n(&active, __ATOMIC_ACQUIRE);

	if (b && b->atfork_child)
		b->atfork_child();
}
