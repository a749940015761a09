/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the memory figure the probes read, behind a method table
 * (struct mp_backend): rss and vms from /proc/self/statm, pss and uss from
 * /proc/self/smaps_rollup, heap from the allocation counter of heap.c.
 * Tests install a fake one with mp_backend_set().
 *
 * The /proc files are opened once and read with pread() at offset 0, one
 * syscall per read, on a descriptor the backend owns (O_CLOEXEC).  If the
 * program closed it, the first failed read reopens it; a forked child
 * reopens it because the inherited one still reads the parent's figures.
 * A read that fails returns the last good figure.  Nothing here allocates
 * or locks, and errno is kept: read() runs inside every probe.  The rss
 * backend reads statm only when rss.c says the figure can have changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "internal.h"
#include "rss.h"

#define STATM		"/proc/self/statm"
#define SMAPS_ROLLUP	"/proc/self/smaps_rollup"

static int64_t read_none(void)
{
	return 0;
}

int64_t (*mp_backend_reader)(void) = read_none;

static const struct mp_backend *active;	/* NULL until one is installed */
static int statm_fd = -1;
static int smaps_fd = -1;
static int64_t page_size;
static int64_t last;			/* last good figure */
static int exact;			/* MPROF_EXACT */

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
	ssize_t n = fd >= 0 ? pread(fd, buf, size - 1, 0) : -1;

	if (n <= 0) {
		fd = reopen(slot, fd, path);
		if (fd < 0)
			return -1;
		n = pread(fd, buf, size - 1, 0);
		if (n <= 0)
			return -1;
	}
	buf[n] = '\0';
	return n;
}

static int parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	*p = s;
	*v = x;
	return 0;
}

/* Pages of the first `nfields` fields of statm (size, resident, ...). */
static int read_statm(uint64_t *pages, int nfields)
{
	char buf[160];
	const char *p = buf;
	int i;

	if (slurp(&statm_fd, STATM, buf, sizeof(buf)) < 0)
		return -1;
	for (i = 0; i < nfields; i++)
		if (parse_u64(&p, &pages[i]) < 0)
			return -1;
	return 0;
}

static int64_t keep(int64_t v)
{
	__atomic_store_n(&last, v, __ATOMIC_RELAXED);
	return v;
}

/* The figures of statm's first `nfields` fields: errno kept. */
static int64_t statm_field(int nfields)
{
	uint64_t pages[2];
	int saved = errno;
	int64_t v;

	if (read_statm(pages, nfields) < 0)
		v = __atomic_load_n(&last, __ATOMIC_RELAXED);
	else
		v = keep((int64_t)pages[nfields - 1] * page_size);
	errno = saved;
	return v;
}

static int64_t read_rss_exact(void)
{
	return statm_field(2);
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
	return statm_field(1);
}

/* The kB value of the line of `buf` that starts with `key` ("Pss:"). */
static int smaps_field(const char *buf, const char *key, uint64_t *kb)
{
	size_t n = strlen(key);
	const char *p = buf;

	for (;;) {
		if (!strncmp(p, key, n)) {
			p += n;
			return parse_u64(&p, kb);
		}
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
	}
}

static int64_t read_smaps(int uss)
{
	char buf[2048];
	uint64_t a, b = 0;

	if (slurp(&smaps_fd, SMAPS_ROLLUP, buf, sizeof(buf)) < 0)
		return -1;
	if (uss ? smaps_field(buf, "Private_Clean:", &a) < 0 ||
		  smaps_field(buf, "Private_Dirty:", &b) < 0
		: smaps_field(buf, "Pss:", &a) < 0)
		return -1;
	return (int64_t)(a + b) * 1024;
}

static int64_t smaps_figure(int uss)
{
	int saved = errno;
	int64_t v = read_smaps(uss);

	v = v < 0 ? __atomic_load_n(&last, __ATOMIC_RELAXED) : keep(v);
	errno = saved;
	return v;
}

static int64_t read_pss(void)
{
	return smaps_figure(0);
}

static int64_t read_uss(void)
{
	return smaps_figure(1);
}

static int64_t read_heap(void)
{
	return mp_heap_current();
}

/* A word that stays 0: the second counter of a watch that needs one. */
static const uint64_t zero;

/* The heap's byte count is its own change counter: one load. */
static bool watch_heap(struct mp_watch *w, int64_t *m)
{
	w->c1 = (const volatile uint64_t *)&mp_heap_total;
	w->s1 = (uint64_t)mp_heap_read();
	w->c2 = &zero;
	w->s2 = 0;
	*m = (int64_t)w->s1;
	return true;
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
	if (read_statm(pages, 2) < 0) {
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
	if (read_smaps(0) < 0 || read_smaps(1) < 0) {
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
	int saved = errno, rc = -1;

	if (id == MP_BACKEND_RSS || id == MP_BACKEND_VMS)
		rc = init_statm();
	else if (id == MP_BACKEND_PSS || id == MP_BACKEND_USS)
		rc = init_smaps();
	else
		errno = EINVAL;
	if (rc == 0)
		errno = saved;
	return rc;
}

int64_t mp_backend_read_proc(enum mp_backend_id id)
{
	uint64_t pages[2];
	int saved = errno;
	int64_t v = -1;

	if (id == MP_BACKEND_RSS || id == MP_BACKEND_VMS) {
		if (read_statm(pages, 2) == 0)
			v = (int64_t)pages[id == MP_BACKEND_RSS] * page_size;
	} else if (id == MP_BACKEND_PSS || id == MP_BACKEND_USS) {
		v = read_smaps(id == MP_BACKEND_USS);
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

static const struct mp_backend backends[MP_BACKEND_COUNT] = {
	[MP_BACKEND_RSS] = { "rss", init_rss, read_rss, rss_atfork_child,
			     watch_rss },
	[MP_BACKEND_PSS] = { "pss", init_smaps, read_pss, reopen_all },
	[MP_BACKEND_USS] = { "uss", init_smaps, read_uss, reopen_all },
	[MP_BACKEND_VMS] = { "vms", init_statm, read_vms, reopen_all },
	[MP_BACKEND_HEAP] = { "heap", init_heap, read_heap, NULL, watch_heap },
};

const struct mp_backend *mp_backend_get(enum mp_backend_id id)
{
	return (unsigned)id < MP_BACKEND_COUNT ? &backends[id] : NULL;
}

int mp_backend_set(const struct mp_backend *b)
{
	if (b->init && b->init() < 0)
		return -1;
	__atomic_store_n(&active, b, __ATOMIC_RELEASE);
	__atomic_store_n(&mp_backend_reader, b->read, __ATOMIC_RELEASE);
	return 0;
}

void mp_backend_choose(enum mp_backend_id id)
{
	const struct mp_backend *b = mp_backend_get(id);
	const char *why;

	if (__atomic_load_n(&active, __ATOMIC_ACQUIRE))
		return;
	if (b && mp_backend_set(b) == 0)
		return;
	why = id == MP_BACKEND_HEAP ? mp_heap_refusal() : strerror(errno);
	if (id != MP_BACKEND_RSS)
		mp_note("mprof: MPROF_BACKEND: %s unavailable (%s); using rss",
			b ? b->name : "?", why);
	if (id == MP_BACKEND_RSS || mp_backend_set(&backends[MP_BACKEND_RSS]))
		mp_note("mprof: cannot read " STATM " (%s); memory figures will be 0",
			strerror(errno));
}

void mp_backend_exact(int on)
{
	exact = on;
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
	w->c1 = &zero;
	w->s1 = MPROF_SEEN_NEVER;
	w->c2 = &zero;
	w->s2 = 0;
	return mp_backend_read();
}

void mp_backend_atfork_child(void)
{
	const struct mp_backend *b = __atomic_load_n(&active, __ATOMIC_ACQUIRE);

	if (b && b->atfork_child)
		b->atfork_child();
}
