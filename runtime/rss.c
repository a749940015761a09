/* SPDX-License-Identifier: MIT */
/*
 * rss.c - the rss backend's fast path (rss.h): when a line event must read
 * /proc/self/statm, and when the figure this thread read last still holds.
 *
 * Modes, chosen once at start (and again in a forked child):
 *
 *   perf   page-fault events (minor and major, sample_period 1) on every
 *          CPU the process may run on, inherited by every thread it
 *          creates, each CPU's two events writing into one ring buffer
 *          mapped read-only (overwrite mode: data_head never stops).  The
 *          minor/major events fire after the fault's page is accounted, so
 *          a head that moved means the RSS already changed.  Where the
 *          kernel refuses to count faults taken in kernel mode
 *          (perf_event_paranoid 2), read() and its kin are wrapped too.
 *   timed  no perf events (paranoid 3, seccomp, container): a thread
 *          re-reads after any event that came later than `slow` after its
 *          previous one -- no page fault is that fast, and `slow` is
 *          calibrated at start to half the fastest fault seen -- and at
 *          least every PERIOD_US.  Exact for one thread; faults of other
 *          threads can be seen up to PERIOD_US late (said once at exit).
 *   exact  MPROF_EXACT=1: statm on every event, with everything else set
 *          up as in the other modes so the process's memory is the same.
 *
 * In every mode, calls that give memory back or fill it without a fault
 * the events see are wrapped (got.h) and bump the epoch when they return:
 * free and realloc (which reach munmap, brk and madvise inside libc),
 * munmap, madvise, mremap, brk, sbrk, malloc_trim, shmdt, the thread joins
 * (glibc frees a dead thread's stack pages), mmap, mlock and kin (which
 * populate without faults).  For glibc's allocator, free and realloc bump
 * only when the chunk was mmapped or belongs to a thread arena, or the
 * program break moved: other frees cannot change the resident set.
 *
 * Inline line events (mp_rss_watch): while the process has one thread,
 * that thread also has two rings of its own (pid 0, cpu -1, not
 * inherited), both with PERF_RECORD_FORK records (attr.task): one for its
 * page faults, whose data_head is the one counter the inline event
 * compares, one with nothing else, which tells the slow path that the
 * thread made a thread or a process, so it counts the threads.  They are
 * opened at start (and in a forked child) for the thread that starts the
 * runtime, at its first watch for a child made without fork handlers, and
 * closed when a second thread appears, the mode becomes timed, or the
 * thread exits.  Their descriptors are closed once mapped: they hold no
 * file descriptor.
 *
 * The owner's rings.  So that one word says "the figure may have moved",
 * the epoch's bumps move the fault ring's head too: a bump in the owner
 * takes a page fault of its own, a read of a fresh page of a reserved
 * region (the zero page: no resident memory).  An inline event may read
 * the head at any time, so its page never goes away while a record can
 * point at it: closing the rings maps a page of zeros in its place (a
 * head no watch saw: the ring takes a fault before it is used), and a
 * forked child, which has no perf mapping, gets the same page from the
 * fork handler -- or, made without fork handlers, from the SIGSEGV of its
 * first read (crash.c calls mp_rss_fault()) or from the opening of its own
 * rings, whichever comes first.
 *
 * The perf rings themselves are not in RSS (statm counts no page of
 * theirs), and the wrappers allocate nothing.
 */
#define _GNU_SOURCE
#include "rss.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "got.h"
#include "internal.h"
#include "solo.h"

/* Wrappers run where a sanitizer's runtime may not be ready (heap.c). */
#define HOOK __attribute__((no_sanitize_thread))

/*
 * The timed mode's bound on how stale another thread's faults can leave
 * a figure: one statm read (~1 us) per period costs about 1%.
 */
#define PERIOD_US	100

/* Faults timed at start; the fastest, halved, is `slow`. */
#define CALIBRATE_PAGES	32

/* Event descriptors kept for threads that existed before the start. */
#define MAXFDS		256

enum mode { MODE_PERF, MODE_TIMED, MODE_EXACT };

/* Before the ring page exists (or without one): no rings, an epoch. */
static struct mp_rss_rings early;

const struct mp_rss_rings *mp_rss_rings = &early;
__thread struct mp_rss_cache mp_rss_cache
	__attribute__((tls_model("initial-exec")));

static int64_t (*exact_read)(void);
static enum mode mode = MODE_EXACT;
static int exact_wanted;		/* MPROF_EXACT */
static struct mp_rss_rings *rings;	/* the WIPEONFORK page, or NULL */
static struct mp_rss_rings *home = &early;	/* where the epoch is */
static int keep_fd[MAXFDS];		/* events without a mapping of their own */
static int nkeep;
/*
 * Set at start (and by leave_perf(), from any thread), read by wrappers and
 * refreshes in every thread: always accessed atomically.
 */
static uint32_t user_only;		/* faults in kernel mode not counted */
static int perf_errno;			/* why there are no rings */
static uint64_t slow, period;		/* timed mode, in ticks */
static uint32_t timed_many;		/* timed mode met a second thread */

static __thread uint64_t epoch_next __attribute__((tls_model("initial-exec")));
static uint64_t epoch_threads;

/*
 * The owner's fault ring while it is mapped (not wiped in a child: there
 * it says where the parent's was), and the region whose pages a bump
 * reads to move its head.
 */
#define OWN_RING_PAGES	2
#define POKE_PAGES	64
static char *ring_at;
static char *poke_at;
static uint32_t poke_next;

/*
 * The rings of the thread that watches (mp_rss_watch), in the WIPEONFORK
 * page: a child forked by any means has none.  Only that thread -- the
 * owner of a one-thread process (solo.h) -- reads or writes them.
 */
enum { OWN_NONE, OWN_OPEN, OWN_OFF };

struct own {
	const volatile uint64_t *faults;	/* data_head: its page faults
						   and the tasks it makes */
	const volatile uint64_t *tasks;	/* data_head: tasks it makes */
	uint64_t tasks_seen;		/* *tasks when it was last alone */
	void *map[2];			/* the rings' mappings */
	uint32_t state;			/* OWN_*; OFF: until a fork */
	uint32_t counted;		/* threads counted since the rings
					   opened (a thread made before is
					   in no record) */
};

/* The WIPEONFORK page: what the probes read, and the watching rings. */
struct page {
	struct mp_rss_rings rings;
	struct own own;
};

static struct own *own;			/* in the page, or NULL */
static pthread_key_t own_key;		/* closes them at thread exit */
static bool own_keyed;

static bool wrapped;			/* the wrappers are in place */
static const size_t *curbrk;		/* glibc's __curbrk, or NULL */
static bool glibc_malloc;		/* free and realloc are glibc's */

/* ---- the epoch ---------------------------------------------------------- */

static void poke(void);

/*
 * A value never stored before: this thread's number in the high bits, its
 * own sequence in the low ones.  A plain store, so concurrent frees in
 * several threads never wait for each other; any store changes the value
 * every cached copy was compared against.
 */
HOOK static void bump(void)
{
	uint64_t v = epoch_next;

	if (__builtin_expect(!v, 0))
		v = __atomic_add_fetch(&epoch_threads, 1, __ATOMIC_RELAXED) << 40;
	epoch_next = ++v;
	__atomic_store_n(&__atomic_load_n(&home, __ATOMIC_RELAXED)->epoch, v,
			 __ATOMIC_RELEASE);
	poke();
}

/* glibc's chunk header: the size field's low bits. */
#define CHUNK_IS_MMAPPED	0x2
#define CHUNK_NON_MAIN_ARENA	0x4

HOOK static size_t brk_now(void)
{
	return curbrk ? __atomic_load_n(curbrk, __ATOMIC_RELAXED) : 0;
}

/*
 * Whether freeing the glibc chunk at p (header `hdr`, break `brk` before)
 * may have given pages back: only an mmapped chunk is unmapped, only a
 * thread arena's heap is trimmed with madvise, and the main arena is only
 * trimmed by lowering the break.
 */
HOOK static bool gave_back(size_t hdr, size_t brk)
{
	return !glibc_malloc ||
	       (hdr & (CHUNK_IS_MMAPPED | CHUNK_NON_MAIN_ARENA)) ||
	       brk_now() != brk;
}

HOOK static size_t header(const void *p)
{
	return glibc_malloc && p ? ((const size_t *)p)[-1] : 0;
}

/* ---- the wrappers ------------------------------------------------------- */

enum {
	W_FREE, W_REALLOC, W_REALLOCARRAY, W_MALLOC_TRIM, W_MUNMAP, W_MADVISE,
	W_POSIX_MADVISE, W_MREMAP, W_BRK, W_SBRK, W_SHMDT, W_MMAP, W_MMAP64,
	W_MLOCK, W_MLOCK2, W_MLOCKALL, W_PTHREAD_JOIN, W_PTHREAD_TRYJOIN,
	W_PTHREAD_TIMEDJOIN, W_PTHREAD_CLOCKJOIN, W_THRD_JOIN,
	W_SETAFFINITY, W_PTHREAD_SETAFFINITY,
	W_READ, W_PREAD, W_PREAD64, W_READV, W_PREADV, W_PREADV64, W_PREADV2,
	W_PREADV64V2, W_RECV, W_RECVFROM, W_RECVMSG, W_RECVMMSG, W_FREAD,
	W_FREAD_UNLOCKED,
	NWRAP,
};

static void *next[NWRAP];

HOOK static void free_hook(void *p)
{
	void (*fn)(void *) = next[W_FREE];
	size_t hdr = header(p), brk = brk_now();

	fn(p);
	if (p && gave_back(hdr, brk))
		bump();
}

HOOK static void *realloc_hook(void *p, size_t n)
{
	void *(*fn)(void *, size_t) = next[W_REALLOC];
	size_t hdr = header(p), brk = brk_now();
	void *q = fn(p, n);

	if (p && gave_back(hdr, brk))
		bump();
	return q;
}

HOOK static void *reallocarray_hook(void *p, size_t nmemb, size_t size)
{
	void *(*fn)(void *, size_t, size_t) = next[W_REALLOCARRAY];
	size_t hdr = header(p), brk = brk_now();
	void *q = fn(p, nmemb, size);

	if (p && gave_back(hdr, brk))
		bump();
	return q;
}

/* Wrappers that bump when `cond` holds after the call, by signature. */
#define WRAPPER(name, idx, cond, type, params, args)			\
	HOOK static type name params					\
	{								\
		type (*fn) params = next[idx];				\
		type ret_ = fn args;					\
		if (cond)						\
			bump();						\
		return ret_;						\
	}

#define BUMPING(name, idx, type, params, args)				\
	WRAPPER(name, idx, 1, type, params, args)

/* read() and kin: only when perf misses the faults taken in kernel mode. */
#define READING(name, idx, type, params, args)				\
	WRAPPER(name, idx, __atomic_load_n(&user_only, __ATOMIC_RELAXED),	\
		type, params, args)

BUMPING(malloc_trim_hook, W_MALLOC_TRIM, int, (size_t pad), (pad))
BUMPING(munmap_hook, W_MUNMAP, int, (void *a, size_t n), (a, n))
BUMPING(madvise_hook, W_MADVISE, int, (void *a, size_t n, int adv), (a, n, adv))
BUMPING(posix_madvise_hook, W_POSIX_MADVISE, int, (void *a, size_t n, int adv),
	(a, n, adv))
BUMPING(brk_hook, W_BRK, int, (void *a), (a))
BUMPING(sbrk_hook, W_SBRK, void *, (intptr_t d), (d))
BUMPING(shmdt_hook, W_SHMDT, int, (const void *a), (a))
BUMPING(mmap_hook, W_MMAP, void *,
	(void *a, size_t n, int prot, int flags, int fd, off_t off),
	(a, n, prot, flags, fd, off))
BUMPING(mmap64_hook, W_MMAP64, void *,
	(void *a, size_t n, int prot, int flags, int fd, off_t off),
	(a, n, prot, flags, fd, off))
BUMPING(mlock_hook, W_MLOCK, int, (const void *a, size_t n), (a, n))
BUMPING(mlock2_hook, W_MLOCK2, int, (const void *a, size_t n, unsigned f),
	(a, n, f))
BUMPING(mlockall_hook, W_MLOCKALL, int, (int f), (f))
BUMPING(pthread_join_hook, W_PTHREAD_JOIN, int, (pthread_t t, void **v), (t, v))
BUMPING(pthread_tryjoin_hook, W_PTHREAD_TRYJOIN, int, (pthread_t t, void **v),
	(t, v))
BUMPING(pthread_timedjoin_hook, W_PTHREAD_TIMEDJOIN, int,
	(pthread_t t, void **v, const struct timespec *ts), (t, v, ts))
BUMPING(pthread_clockjoin_hook, W_PTHREAD_CLOCKJOIN, int,
	(pthread_t t, void **v, clockid_t c, const struct timespec *ts),
	(t, v, c, ts))
BUMPING(thrd_join_hook, W_THRD_JOIN, int, (thrd_t t, int *v), (t, v))
READING(read_hook, W_READ, ssize_t, (int fd, void *b, size_t n), (fd, b, n))
READING(pread_hook, W_PREAD, ssize_t, (int fd, void *b, size_t n, off_t o),
	(fd, b, n, o))
READING(pread64_hook, W_PREAD64, ssize_t, (int fd, void *b, size_t n, off_t o),
	(fd, b, n, o))
READING(readv_hook, W_READV, ssize_t, (int fd, const struct iovec *v, int n),
	(fd, v, n))
READING(preadv_hook, W_PREADV, ssize_t,
	(int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
READING(preadv64_hook, W_PREADV64, ssize_t,
	(int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
READING(preadv2_hook, W_PREADV2, ssize_t,
	(int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
READING(preadv64v2_hook, W_PREADV64V2, ssize_t,
	(int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
READING(recv_hook, W_RECV, ssize_t, (int fd, void *b, size_t n, int f),
	(fd, b, n, f))
READING(recvfrom_hook, W_RECVFROM, ssize_t,
	(int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l),
	(fd, b, n, f, a, l))
READING(recvmsg_hook, W_RECVMSG, ssize_t, (int fd, struct msghdr *m, int f),
	(fd, m, f))
READING(recvmmsg_hook, W_RECVMMSG, int,
	(int fd, struct mmsghdr *m, unsigned n, int f, struct timespec *t),
	(fd, m, n, f, t))
READING(fread_hook, W_FREAD, size_t, (void *b, size_t s, size_t n, FILE *f),
	(b, s, n, f))
READING(fread_unlocked_hook, W_FREAD_UNLOCKED, size_t,
	(void *b, size_t s, size_t n, FILE *f), (b, s, n, f))

/* new_address is only passed, and only read, with MREMAP_FIXED. */
HOOK static void *mremap_hook(void *a, size_t old, size_t n, int flags, ...)
{
	void *(*fn)(void *, size_t, size_t, int, ...) = next[W_MREMAP];
	void *to = NULL, *r;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		to = va_arg(ap, void *);
		va_end(ap);
	}
	r = fn(a, old, n, flags, to);
	bump();
	return r;
}

/* A thread moved where no ring watches: faults there would go unseen. */
HOOK static void check_cpus(const cpu_set_t *set, size_t size);

HOOK static int setaffinity_hook(pid_t pid, size_t size, const cpu_set_t *set)
{
	int (*fn)(pid_t, size_t, const cpu_set_t *) = next[W_SETAFFINITY];
	int r = fn(pid, size, set);

	if (r == 0)
		check_cpus(set, size);
	return r;
}

HOOK static int pthread_setaffinity_hook(pthread_t t, size_t size,
					 const cpu_set_t *set)
{
	int (*fn)(pthread_t, size_t, const cpu_set_t *) =
		next[W_PTHREAD_SETAFFINITY];
	int r = fn(t, size, set);

	if (r == 0)
		check_cpus(set, size);
	return r;
}

#define WRAP(idx, name, fn) [idx] = { name, (void *)fn, &next[idx] }

static const struct mp_got_hook wraps[NWRAP] = {
	WRAP(W_FREE, "free", free_hook),
	WRAP(W_REALLOC, "realloc", realloc_hook),
	WRAP(W_REALLOCARRAY, "reallocarray", reallocarray_hook),
	WRAP(W_MALLOC_TRIM, "malloc_trim", malloc_trim_hook),
	WRAP(W_MUNMAP, "munmap", munmap_hook),
	WRAP(W_MADVISE, "madvise", madvise_hook),
	WRAP(W_POSIX_MADVISE, "posix_madvise", posix_madvise_hook),
	WRAP(W_MREMAP, "mremap", mremap_hook),
	WRAP(W_BRK, "brk", brk_hook),
	WRAP(W_SBRK, "sbrk", sbrk_hook),
	WRAP(W_SHMDT, "shmdt", shmdt_hook),
	WRAP(W_MMAP, "mmap", mmap_hook),
	WRAP(W_MMAP64, "mmap64", mmap64_hook),
	WRAP(W_MLOCK, "mlock", mlock_hook),
	WRAP(W_MLOCK2, "mlock2", mlock2_hook),
	WRAP(W_MLOCKALL, "mlockall", mlockall_hook),
	WRAP(W_PTHREAD_JOIN, "pthread_join", pthread_join_hook),
	WRAP(W_PTHREAD_TRYJOIN, "pthread_tryjoin_np", pthread_tryjoin_hook),
	WRAP(W_PTHREAD_TIMEDJOIN, "pthread_timedjoin_np", pthread_timedjoin_hook),
	WRAP(W_PTHREAD_CLOCKJOIN, "pthread_clockjoin_np", pthread_clockjoin_hook),
	WRAP(W_THRD_JOIN, "thrd_join", thrd_join_hook),
	WRAP(W_SETAFFINITY, "sched_setaffinity", setaffinity_hook),
	WRAP(W_PTHREAD_SETAFFINITY, "pthread_setaffinity_np",
	     pthread_setaffinity_hook),
	WRAP(W_READ, "read", read_hook),
	WRAP(W_PREAD, "pread", pread_hook),
	WRAP(W_PREAD64, "pread64", pread64_hook),
	WRAP(W_READV, "readv", readv_hook),
	WRAP(W_PREADV, "preadv", preadv_hook),
	WRAP(W_PREADV64, "preadv64", preadv64_hook),
	WRAP(W_PREADV2, "preadv2", preadv2_hook),
	WRAP(W_PREADV64V2, "preadv64v2", preadv64v2_hook),
	WRAP(W_RECV, "recv", recv_hook),
	WRAP(W_RECVFROM, "recvfrom", recvfrom_hook),
	WRAP(W_RECVMSG, "recvmsg", recvmsg_hook),
	WRAP(W_RECVMMSG, "recvmmsg", recvmmsg_hook),
	WRAP(W_FREAD, "fread", fread_hook),
	WRAP(W_FREAD_UNLOCKED, "fread_unlocked", fread_unlocked_hook),
};

/* ---- perf rings --------------------------------------------------------- */

static cpu_set_t watched;		/* CPUs that have a ring */
static cpu_set_t online;		/* CPUs online at start */

/* A software event, one record per occurrence. */
static void attr_init(struct perf_event_attr *a, uint64_t config, bool kernel)
{
	memset(a, 0, sizeof *a);
	a->size = sizeof *a;
	a->type = PERF_TYPE_SOFTWARE;
	a->config = config;
	a->sample_period = 1;
	a->exclude_kernel = !kernel;
	a->exclude_hv = 1;
}

static int perf_open(uint64_t config, pid_t pid, int cpu, bool kernel,
		     bool threads_only)
{
	struct perf_event_attr a;

	attr_init(&a, config, kernel);
	a.inherit = 1;
	a.inherit_thread = threads_only;
	return (int)syscall(SYS_perf_event_open, &a, pid, cpu, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

static bool kernel_ok = true, threads_only_ok = true;

/*
 * One event, adapting to the kernel: faults in kernel mode need
 * perf_event_paranoid <= 1 (or CAP_PERFMON); inherit_thread, which keeps a
 * forked child's faults out of our rings, needs Linux 5.13.
 */
static int open_adapting(uint64_t config, pid_t pid, int cpu)
{
	int fd;

	for (;;) {
		fd = perf_open(config, pid, cpu, kernel_ok, threads_only_ok);
		if (fd >= 0)
			return fd;
		if ((errno == EACCES || errno == EPERM) && kernel_ok)
			kernel_ok = false;
		else if (errno == EINVAL && threads_only_ok)
			threads_only_ok = false;
		else
			return -1;
	}
}

static void close_kept(void)
{
	while (nkeep > 0)
		close(keep_fd[--nkeep]);
}

/*
 * Events for thread `tid` on every watched CPU, written into the rings
 * that exist (SET_OUTPUT: same CPU, any task).  The major-fault event,
 * and every event of a thread other than the first, has no mapping of its
 * own, so its descriptor is kept.
 */
static int watch_thread(pid_t tid, int first)
{
	uint32_t i = 0;
	int fd, ring_fd;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &watched))
			continue;
		ring_fd = -1;
		if (first) {
			void *m;

			if ((fd = open_adapting(PERF_COUNT_SW_PAGE_FAULTS_MIN,
						tid, cpu)) < 0)
				return -1;
			m = mmap(NULL, 2 * (size_t)sysconf(_SC_PAGESIZE),
				 PROT_READ, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED) {
				close(fd);
				return -1;
			}
			rings->head[i] = (const uint64_t *)
				&((struct perf_event_mmap_page *)m)->data_head;
			ring_fd = fd;
		}
		if (nkeep + 2 > MAXFDS)
			return -1;
		if (!first) {
			/* The ring's own event is gone: point at its mapping's. */
			ring_fd = keep_fd[i];
			if ((fd = open_adapting(PERF_COUNT_SW_PAGE_FAULTS_MIN,
						tid, cpu)) < 0)
				return errno == ESRCH ? 0 : -1;
			keep_fd[nkeep++] = fd;
			if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring_fd))
				return -1;
		}
		if ((fd = open_adapting(PERF_COUNT_SW_PAGE_FAULTS_MAJ, tid, cpu)) < 0)
			return errno == ESRCH && !first ? 0 : -1;
		keep_fd[nkeep++] = fd;
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring_fd))
			return -1;
		if (first)
			close(ring_fd);
		i++;
	}
	return 0;
}

/* The CPUs of "0-3,8" (/sys/devices/system/cpu/online). */
static int online_cpus(cpu_set_t *set)
{
	char buf[512], *p = buf, *end;
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	long lo, hi;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	CPU_ZERO(set);
	while (*p >= '0' && *p <= '9') {
		lo = hi = strtol(p, &end, 10);
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long c = lo; c <= hi && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/*
 * Which CPUs get a ring: all online ones, or, when they are more than a
 * probe should sum, the ones this process may run on (a container's
 * cpuset); a later move elsewhere ends the perf mode (check_cpus).
 */
static int choose_cpus(void)
{
	cpu_set_t mine;

	if (online_cpus(&online) < 0)
		return -1;
	watched = online;
	if (CPU_COUNT(&watched) <= MP_RSS_MAXRINGS)
		return 0;
	if (sched_getaffinity(0, sizeof mine, &mine) < 0)
		return -1;
	CPU_AND(&watched, &watched, &mine);
	return CPU_COUNT(&watched) <= MP_RSS_MAXRINGS ? 0 : -1;
}

/* Thread ids of this process other than the caller, from /proc/self/task. */
static int other_tids(pid_t *tids, int max)
{
	char buf[4096];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t self = (pid_t)syscall(SYS_gettid);
	long n;
	int k = 0;

	if (fd < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen;
				 unsigned char type; char name[]; } *d =
				(void *)(buf + off);
			pid_t t = (pid_t)atoi(d->name);

			off += d->reclen;
			if (t <= 0 || t == self)
				continue;
			if (k == max) {
				close(fd);
				return -1;
			}
			tids[k++] = t;
		}
	}
	close(fd);
	return k;
}

/*
 * Threads that exist already cannot inherit the calling thread's events:
 * each gets its own.  A thread they create meanwhile inherits theirs once
 * they have them, so passes repeat until one finds no new thread.
 */
static int watch_others(void)
{
	pid_t seen[MAXFDS], now[MAXFDS];
	int nseen = 0, n, fresh;

	do {
		fresh = 0;
		if ((n = other_tids(now, MAXFDS)) < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			int j;

			for (j = 0; j < nseen && seen[j] != now[i]; j++)
				;
			if (j < nseen)
				continue;
			if (nseen == MAXFDS || watch_thread(now[i], 0) < 0)
				return -1;
			seen[nseen++] = now[i];
			fresh = 1;
		}
	} while (fresh);
	return 0;
}

/*
 * The ring page: wiped in any forked child, so it never sees our rings.
 * Without MADV_WIPEONFORK (Linux < 4.14) a child made without fork
 * handlers would read rings it does not have: no page, no rings then.
 * From here on the wrappers bump the page's epoch.
 */
static struct mp_rss_rings *ring_page(void)
{
	struct page *p = mmap(NULL, sizeof(struct page), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, sizeof(struct page), MADV_WIPEONFORK)) {
		munmap(p, sizeof(struct page));
		return NULL;
	}
	own = &p->own;
	__atomic_store_n(&home, &p->rings, __ATOMIC_RELEASE);
	return &p->rings;
}

/*
 * Rings for every watched CPU, fed by every thread.  The ring of a CPU is
 * the calling thread's minor-fault event's; its descriptor is closed once
 * mapped (the mapping keeps the event), so a program that closes all
 * descriptors loses at most the major faults of its threads.
 */
static int perf_start(void)
{
	uint32_t n;

	if (!rings && !(rings = ring_page()))
		return -1;
	memset(rings, 0, sizeof *rings);
	if (choose_cpus() < 0) {
		errno = E2BIG;
		return -1;
	}
	n = (uint32_t)CPU_COUNT(&watched);
	if (watch_thread(0, 1) < 0) {
		close_kept();
		return -1;
	}
	/* Keep the rings' MAJ descriptors first: watch_thread(tid, 0) needs them. */
	if (!mp_solo() && watch_others() < 0) {
		close_kept();
		return -1;
	}
	__atomic_store_n(&user_only, !kernel_ok, __ATOMIC_RELAXED);
	rings->n = n;
	__atomic_store_n(&rings->live, 1, __ATOMIC_RELEASE);
	return 0;
}

static void calibrate(void);

/* Give up the rings for the timed mode (a watched-CPU escape). */
static void leave_perf(void)
{
	if (__atomic_load_n(&mode, __ATOMIC_ACQUIRE) != MODE_PERF)
		return;
	calibrate();
	__atomic_store_n(&perf_errno, EXDEV, __ATOMIC_RELAXED);
	__atomic_store_n(&mode, MODE_TIMED, __ATOMIC_RELEASE);
	bump();
}

HOOK static void check_cpus(const cpu_set_t *set, size_t size)
{
	cpu_set_t out;

	if (__atomic_load_n(&mode, __ATOMIC_RELAXED) != MODE_PERF ||
	    size > sizeof out)
		return;
	CPU_ZERO(&out);
	memcpy(&out, set, size);
	CPU_AND(&out, &out, &online);
	CPU_OR(&out, &out, &watched);
	if (!CPU_EQUAL(&out, &watched))
		leave_perf();
}

/* ---- the watching thread's own rings ------------------------------------ */

/* The reserved region a bump reads fresh pages of: no memory, no huge
   pages (one fault would map 2 MiB of zeros, and the next reads none). */
static char *poke_region(void)
{
	size_t len = POKE_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	void *p = (void *)syscall(SYS_mmap, NULL, len, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	syscall(SYS_madvise, p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Move the owner's fault head: a read of the next fresh page of the
 * region takes a fault (the zero page is mapped: the resident set does
 * not change), the region given back with one madvise when all were read.
 * Only in the owner, while its rings are open: other threads' figures
 * have no watch.  Checked, and done again once if the head did not move
 * (a page found mapped).
 */
HOOK static void poke(void)
{
	struct own *o = own;
	size_t pg;
	uint64_t h;

	if (!o || !mp_solo_owner || o->state != OWN_OPEN || !poke_at)
		return;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	h = __atomic_load_n(o->faults, __ATOMIC_ACQUIRE);
	for (int i = 0; i < 2; i++) {
		if (poke_next == POKE_PAGES) {
			syscall(SYS_madvise, poke_at, POKE_PAGES * pg,
				MADV_DONTNEED);
			poke_next = 0;
		}
		(void)*(const volatile char *)(poke_at + poke_next++ * pg);
		if (__atomic_load_n(o->faults, __ATOMIC_ACQUIRE) != h)
			return;
	}
}

/*
 * Put a page of zeros where the owner's fault ring was (or is: MAP_FIXED
 * replaces the mapping, and with it the event).  Async-signal-safe.
 */
static void zero_ring(void *at)
{
	size_t len = OWN_RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);

	syscall(SYS_mmap, at, len, PROT_READ,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	__atomic_store_n(&ring_at, NULL, __ATOMIC_RELEASE);
}

bool mp_rss_fault(const void *addr)
{
	char *at = __atomic_load_n(&ring_at, __ATOMIC_ACQUIRE);
	size_t len = OWN_RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);

	if (!at || (const char *)addr < at || (const char *)addr >= at + len)
		return false;
	zero_ring(at);
	return true;
}

/*
 * A ring of the calling thread's own for `config` (pid 0, cpu -1, not
 * inherited) with the tasks it makes (attr.task), mapped read-only (so
 * data_head never stops); the descriptor is closed once mapped.
 */
static void *own_map(uint64_t config, const volatile uint64_t **head)
{
	size_t len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	struct perf_event_attr a;
	void *m;
	int fd;

	attr_init(&a, config, true);
	a.task = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
			  PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return NULL;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	*head = (const volatile uint64_t *)
		&((struct perf_event_mmap_page *)m)->data_head;
	return m;
}

/*
 * The fault ring counts every page fault of the thread (PAGE_FAULTS, taken
 * on entry to the fault handler, so a superset of the minor and major
 * faults), its FORK records every task it makes.  0, or -1.
 */
static int own_open(struct own *o)
{
	size_t len = 2 * (size_t)sysconf(_SC_PAGESIZE);

	if (!poke_at && !(poke_at = poke_region()))
		return -1;
	/* A parent's ring, in a child made without fork handlers: its
	   frames' events read there. */
	if (ring_at)
		zero_ring(ring_at);
	if (!(o->map[0] = own_map(PERF_COUNT_SW_PAGE_FAULTS, &o->faults)))
		return -1;
	if (!(o->map[1] = own_map(PERF_COUNT_SW_DUMMY, &o->tasks))) {
		munmap(o->map[0], len);
		return -1;
	}
	o->tasks_seen = __atomic_load_n(o->tasks, __ATOMIC_ACQUIRE);
	__atomic_store_n(&ring_at, (char *)o->map[0], __ATOMIC_RELEASE);
	o->state = OWN_OPEN;
	/* A head the zero page never shows. */
	poke();
	if (own_keyed)
		pthread_setspecific(own_key, o);
	return 0;
}

/*
 * Give the rings up for good.  The fault ring's pages become zeros
 * (zero_ring()), which inline events may still read: the head they find
 * there is one no watch holds.  munmap through the syscall: the
 * runtime's own unmapping is no call of the program's to wrap.
 */
static void own_close(struct own *o)
{
	size_t len = 2 * (size_t)sysconf(_SC_PAGESIZE);

	if (o->state == OWN_OPEN) {
		zero_ring(o->map[0]);
		syscall(SYS_munmap, o->map[1], len);
	}
	o->state = OWN_OFF;
}

/* Thread exit (a pthread key's destructor): the owner's rings go. */
static void own_exit(void *o)
{
	own_close(o);
}

/*
 * The calling thread's rings, if it is the owner of a one-thread process
 * and the mode can be exact with them: opened on first use, closed once
 * that stops being so.  The threads are counted once the rings are open
 * (a child forked without handlers may have made some already) and again
 * whenever the task ring moved: the thread made a thread or a process (a
 * clone solo.c may not know of).
 */
static struct own *own_ring(enum mode m)
{
	struct own *o = own;
	uint64_t t;
	pid_t tid;

	if (!o || !mp_solo_owner || o->state == OWN_OFF)
		return NULL;
	if (m == MODE_TIMED || !mp_solo() ||
	    __atomic_load_n(&user_only, __ATOMIC_RELAXED)) {
		own_close(o);
		return NULL;
	}
	if (o->state == OWN_NONE && own_open(o) < 0) {
		o->state = OWN_OFF;
		return NULL;
	}
	t = __atomic_load_n(o->tasks, __ATOMIC_ACQUIRE);
	if (t != o->tasks_seen || !o->counted) {
		if (other_tids(&tid, 1) != 0) {
			own_close(o);
			return NULL;
		}
		o->tasks_seen = t;
		o->counted = 1;
	}
	return o;
}

/* ---- the timed mode ----------------------------------------------------- */

static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Time the first touch of fresh anonymous pages, and read faults on a
 * file mapping (the runtime's own file): `slow` is half the fastest.  The
 * pages are unmapped afterwards, so the resident set is as it was.
 */
static void calibrate(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = CALIBRATE_PAGES * pg;
	uint64_t best = UINT64_MAX, t0, t1, n0, n1, per;
	volatile char *p;
	Dl_info di;
	int fd;

	n0 = ns_now();
	t0 = ticks();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p != MAP_FAILED) {
		for (size_t i = 0; i < CALIBRATE_PAGES; i++) {
			uint64_t a = ticks();
			p[i * pg] = 1;
			uint64_t b = ticks();
			if (b - a < best)
				best = b - a;
		}
		munmap((void *)p, len);
	}
	fd = dladdr((void *)calibrate, &di) && di.dli_fname ?
		open(di.dli_fname, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		/* 64 KiB apart: fault-around maps up to 16 pages per fault. */
		size_t stride = 16 * pg, flen = CALIBRATE_PAGES * stride;
		off_t size = lseek(fd, 0, SEEK_END);

		if (size > 0 && (size_t)size < flen)
			flen = (size_t)size & ~(stride - 1);
		p = flen ? mmap(NULL, flen, PROT_READ, MAP_PRIVATE, fd, 0)
			 : MAP_FAILED;
		if (p != MAP_FAILED) {
			for (size_t off = 0; off < flen; off += stride) {
				uint64_t a = ticks();
				(void)p[off];
				uint64_t b = ticks();
				if (b - a < best)
					best = b - a;
			}
			munmap((void *)p, flen);
		}
		close(fd);
	}
	t1 = ticks();
	n1 = ns_now();
	per = n1 > n0 ? (t1 - t0) * PERIOD_US * 1000 / (n1 - n0) : 0;
	__atomic_store_n(&slow, best == UINT64_MAX ? 0 : best / 2,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&period, per ? per : PERIOD_US * 1000,
			 __ATOMIC_RELAXED);
}

/*
 * Whether the timed mode can keep this thread's figure: the epoch did not
 * move, this event follows the previous one faster than any fault, and
 * the last read is recent (another thread may have faulted since).
 */
static bool timed_keep(struct mp_rss_cache *c, uint64_t e, uint64_t now)
{
	bool one = mp_solo();

	if (!one && !timed_many)
		__atomic_store_n(&timed_many, 1, __ATOMIC_RELAXED);
	return c->read_tick && e == c->read_epoch &&
	       now - c->tick < __atomic_load_n(&slow, __ATOMIC_RELAXED) &&
	       now - c->read_tick < __atomic_load_n(&period, __ATOMIC_RELAXED);
}

/* ---- reading ------------------------------------------------------------ */

/*
 * The stamp is taken before statm is read: a change after it moves the
 * stamp, so the figure is never cached with a stamp newer than itself.
 */
int64_t mp_rss_refresh(void)
{
	struct mp_rss_cache *c = &mp_rss_cache;
	enum mode m = __atomic_load_n(&mode, __ATOMIC_ACQUIRE);
	uint64_t heads, epoch, now;

	mp_rss_stamp(&heads, &epoch);
	if (m == MODE_PERF && heads != 0) {
		c->rss = exact_read();
		c->heads = heads;
		c->epoch = epoch;
		return c->rss;
	}
	c->epoch = MP_RSS_NEVER;
	if (m != MODE_TIMED) {
		c->rss = exact_read();
		return c->rss;
	}
	now = ticks();
	if (timed_keep(c, epoch, now)) {
		c->tick = now;
		return c->rss;
	}
	c->rss = exact_read();
	c->read_epoch = epoch;
	c->tick = c->read_tick = ticks();
	return c->rss;
}

/*
 * The fault ring's head, before the caller reads the figure: a change
 * after this moves it (bumps too: poke()).  The exact mode keeps the rings
 * too, so that the process looks the same, but gives no watch.
 */
/*
 * own_ring()'s answer when it has nothing to do -- the thread's rings
 * open and it still alone -- or NULL: then own_ring() decides, and may
 * open or close them.
 */
static inline struct own *own_ready(enum mode m)
{
	struct own *o = own;

	if (o && m == MODE_PERF && mp_solo_owner && o->state == OWN_OPEN &&
	    mp_solo() && !__atomic_load_n(&user_only, __ATOMIC_RELAXED) &&
	    o->counted &&
	    __atomic_load_n(o->tasks, __ATOMIC_ACQUIRE) == o->tasks_seen)
		return o;
	return NULL;
}

bool mp_rss_watch(struct mp_watch *w)
{
	enum mode m = __atomic_load_n(&mode, __ATOMIC_ACQUIRE);
	struct own *o = own_ready(m);
	struct mp_rss_rings *h;

	if (!o) {
		/* Only the slow path makes calls that can change errno. */
		int saved = errno;

		o = own_ring(m);
		errno = saved;
	}
	h = __atomic_load_n(&home, __ATOMIC_ACQUIRE);
	if (!o || m != MODE_PERF)
		return false;
	/* The epoch is never 0 once given: a child's wiped page is. */
	if (!__atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE))
		bump();
	w->c = o->faults;
	w->s = __atomic_load_n(o->faults, __ATOMIC_ACQUIRE);
	return true;
}

/* ---- start -------------------------------------------------------------- */

/* dl_iterate_phdr callback: a module of valgrind's is loaded. */
static int valgrind_module(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	return info->dlpi_name && strstr(info->dlpi_name, "/vgpreload_") != NULL;
}

/*
 * Whether free and realloc are glibc's, whose chunk headers we can read.
 * An allocator put in through LD_PRELOAD or linked in (jemalloc, tcmalloc,
 * a sanitizer's) has definitions of its own, which the comparison with
 * libc's catches; valgrind's tools replace libc's malloc under the same
 * addresses, so their preloaded modules are looked for too.  A replaced
 * allocator's blocks have no glibc header: every free is then taken as
 * one that may give memory back.
 *
 * dlopen is called through dlsym: a static program links libc.a's dlopen
 * anyway, and any reference to it makes the linker warn (which fails
 * libtool's "-static works" check); there the lookup finds nothing and
 * libc.so.6 is not loaded either.
 */
static void find_allocator(void)
{
	void *(*dl_open)(const char *, int) =
		(void *(*)(const char *, int))dlsym(RTLD_DEFAULT, "dlopen");
	void *libc = dl_open ?
		dl_open("libc.so.6", RTLD_LAZY | RTLD_NOLOAD) : NULL;

	curbrk = libc ? dlsym(libc, "__curbrk") : NULL;
	glibc_malloc = curbrk && next[W_FREE] == dlsym(libc, "free") &&
		       next[W_REALLOC] == dlsym(libc, "realloc") &&
		       next[W_REALLOCARRAY] == dlsym(libc, "reallocarray") &&
		       !dl_iterate_phdr(valgrind_module, NULL);
	if (libc)
		dlclose(libc);
}

/*
 * Without the wrappers (a static program) nothing tells that memory was
 * given back: only the exact mode is right then.
 */
static void choose_mode(void)
{
	enum mode m = MODE_TIMED;

	if (!wrapped)
		m = MODE_EXACT;
	else if (perf_start() == 0)
		m = MODE_PERF;
	else
		__atomic_store_n(&perf_errno, errno, __ATOMIC_RELAXED);
	if (m == MODE_TIMED)
		calibrate();
	if (exact_wanted)
		m = MODE_EXACT;
	__atomic_store_n(&mode, m, __ATOMIC_RELEASE);
	if (rings)
		__atomic_store_n(&mp_rss_rings, rings, __ATOMIC_RELEASE);
	/* The watching rings now, before the first figure is read. */
	own_ring(m);
}

/*
 * The wrappers go in before the rings exist and the first figure is read:
 * a change between the two would otherwise be missed.  Those for read()
 * and its kin are only needed when perf cannot count kernel-mode faults,
 * but are installed in every mode so that the process looks the same.
 */
int mp_rss_start(int64_t (*exact)(void), int exact_mode)
{
	exact_read = exact;
	exact_wanted = exact_mode;
	own_keyed = pthread_key_create(&own_key, own_exit) == 0;
	mp_solo_start();
	wrapped = mp_got_install(wraps, NWRAP) > 0 && next[W_FREE];
	if (wrapped)
		find_allocator();
	choose_mode();
	bump();
	return 0;
}

void mp_rss_atfork_child(void)
{
	char *at = __atomic_load_n(&ring_at, __ATOMIC_ACQUIRE);

	/* The parent's fault ring is not ours: zeros where records read it. */
	if (at)
		zero_ring(at);
	if (!exact_read)
		return;
	close_kept();
	choose_mode();
	bump();
}

const char *mp_rss_mode(void)
{
	switch (__atomic_load_n(&mode, __ATOMIC_ACQUIRE)) {
	case MODE_PERF:
		return __atomic_load_n(&user_only, __ATOMIC_RELAXED) ?
		       "perf-user" : "perf";
	case MODE_TIMED:
		return "timed";
	default:
		return "exact";
	}
}

void mp_rss_report(void)
{
	int e = __atomic_load_n(&perf_errno, __ATOMIC_RELAXED);

	if (!__atomic_load_n(&timed_many, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&mode, __ATOMIC_RELAXED) != MODE_TIMED)
		return;
	mp_note("mprof: rss: no perf events (%s%s); lines are re-read after frees, slow lines and every %d us, so memory another thread faulted can show on a later line (MPROF_EXACT=1 reads RSS on every line)",
		strerror(e), e == EACCES || e == EPERM ?
		", see kernel.perf_event_paranoid" : "",
		PERIOD_US);
}

