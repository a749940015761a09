/* SPDX-License-Identifier: MIT */
/*
 * test_rss.c - the rss backend's fast path (runtime/rss.c) against the
 * kernel: after each way the resident set can change, the figure the fast
 * path returns must be what /proc/self/statm says at that moment.
 *
 * The static runtime is linked into this program, so the fast path's
 * wrappers are in this program's GOT and its own free(), munmap()... reach
 * them.  Memory a test touches is mapped before the figure is cached, so
 * that only the change under test (a fault, a free) can tell the cache it
 * is stale.  Modes other than the one this machine gives (perf or timed)
 * are tested in forked children: the timed mode with perf_event_open
 * refused by a seccomp filter, as a container would.
 *
 * mp_rss_watch(), the two words the plugin's inline line event compares,
 * is tested in child processes that start over with one thread: the words
 * must move on every change (a fault, a wrapped shrinking call, a thread
 * or process made), read 0 first in a forked child, and while they hold
 * the figure read after the watch must be statm's; where they cannot be
 * exact (timed, exact and perf-user modes, a second thread) there is none.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../fastpath/refuse_perf.h"
#include "internal.h"
#include "rss.h"
#include "solo.h"

#define PAGE	4096
#define MIB	(1024 * 1024)

static void *(*volatile malloc_fn)(size_t) = malloc;

/*
 * The reference: statm opened afresh (right in a forked child too), with
 * bare syscalls -- read() is wrapped, and a wrapper that bumps the epoch
 * would hide the very staleness the tests look for.
 */
static int64_t statm(void)
{
	char buf[128];
	const char *p = buf;
	int64_t pages = 0;
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/statm",
			  O_RDONLY | O_CLOEXEC);
	long n = fd >= 0 ? syscall(SYS_read, fd, buf, sizeof buf - 1) : -1;

	if (fd >= 0)
		syscall(SYS_close, fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		pages = pages * 10 + (*p++ - '0');
	return pages * PAGE;
}

static unsigned long exact_reads;	/* calls of exact_reader */

static int64_t exact_reader(void)
{
	int saved = errno;
	int64_t v = statm();

	exact_reads++;
	errno = saved;
	return v;
}

/*
 * The fast path must agree with statm read just before and just after it.
 * If those two differ, something unrelated moved (a text page of libc
 * faulted in): try again.
 */
static int fresh(void)
{
	for (int i = 0; i < 5; i++) {
		int64_t before = statm(), fast = mp_rss_read(), after = statm();

		if (before == after)
			return fast == before ? 0 : -1;
	}
	return -1;
}

#define assert_fresh() assert_int_equal(fresh(), 0)

/* Fresh anonymous memory, mapped (not touched) before a figure is cached. */
static char *fresh_map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void touch(volatile char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
}

static int perf_mode(void)
{
	return !strncmp(mp_rss_mode(), "perf", 4);
}

/* ---- growth ------------------------------------------------------------- */

/* Pages this thread touches are seen, without any call in between. */
static void test_fault_same_thread(void **state)
{
	char *p = fresh_map(4 * MIB);

	(void)state;
	assert_fresh();
	touch(p, 4 * MIB);
	assert_fresh();
	munmap(p, 4 * MIB);
}

struct toucher {
	char *p;
	size_t len;
	int go, done;
};

static void *toucher(void *arg)
{
	struct toucher *t = arg;

	while (!__atomic_load_n(&t->go, __ATOMIC_ACQUIRE))
		sched_yield();
	touch(t->p, t->len);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&t->go, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
	return NULL;
}

/* Pages another thread touches are seen before it is joined (perf). */
static void test_fault_other_thread(void **state)
{
	struct toucher t = { .len = 4 * MIB };
	pthread_t th;

	(void)state;
	if (!perf_mode())
		skip();
	t.p = fresh_map(t.len);
	assert_int_equal(pthread_create(&th, NULL, toucher, &t), 0);
	assert_fresh();
	__atomic_store_n(&t.go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t.done, __ATOMIC_ACQUIRE))
		sched_yield();
	assert_fresh();
	__atomic_store_n(&t.go, 2, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	munmap(t.p, t.len);
}

/* The kernel filling untouched pages (read into them) is seen. */
static void test_read_into_fresh_pages(void **state)
{
	char *p = fresh_map(MIB);
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_fresh();
	assert_int_equal(read(fd, p, MIB), MIB);
	assert_fresh();
	close(fd);
	munmap(p, MIB);
}

/* Memory populated without a fault (MAP_POPULATE, MADV_POPULATE_WRITE). */
static void test_populate(void **state)
{
	char *p, *q = fresh_map(MIB);

	(void)state;
	assert_fresh();
	p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_fresh();
#ifdef MADV_POPULATE_WRITE
	if (madvise(q, MIB, MADV_POPULATE_WRITE) == 0)
		assert_fresh();
#endif
	munmap(p, MIB);
	munmap(q, MIB);
}

/* ---- shrinking ---------------------------------------------------------- */

/* free() of a large block (glibc unmaps it) is seen at once. */
static void test_free_large_block(void **state)
{
	char *p = malloc_fn(32 * MIB);

	(void)state;
	assert_non_null(p);
	touch(p, 32 * MIB);
	assert_fresh();
	free(p);
	assert_fresh();
}

/* free() that trims the main heap (the break goes down) is seen. */
static void test_free_trims_heap(void **state)
{
	enum { N = 256 };
	static char *blocks[N];

	(void)state;
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	for (int i = 0; i < N; i++) {
		blocks[i] = malloc_fn(60 * 1024);
		assert_non_null(blocks[i]);
		touch(blocks[i], 60 * 1024);
	}
	assert_fresh();
	/* The break through the syscall: sbrk() is wrapped and would bump. */
	long brk0 = syscall(SYS_brk, 0);
	for (int i = N; i-- > 0;)
		free(blocks[i]);
	assert_true(syscall(SYS_brk, 0) < brk0);
	assert_fresh();
}

/* Small frees cannot give memory back: they leave the cache alone. */
static void test_small_free_keeps_cache(void **state)
{
	void *p = malloc_fn(48);
	uint64_t e;

	(void)state;
	assert_fresh();
	e = __atomic_load_n(&mp_rss_rings->epoch, __ATOMIC_RELAXED);
	free(p);
	assert_int_equal(__atomic_load_n(&mp_rss_rings->epoch,
					 __ATOMIC_RELAXED), e);
	assert_fresh();
}

/* madvise(MADV_DONTNEED), munmap and a shrinking mremap are seen. */
static void test_madvise_munmap_mremap(void **state)
{
	char *p = fresh_map(8 * MIB), *q;

	(void)state;
	touch(p, 8 * MIB);
	assert_fresh();
	assert_int_equal(madvise(p, 2 * MIB, MADV_DONTNEED), 0);
	assert_fresh();
	assert_int_equal(munmap(p + 2 * MIB, 2 * MIB), 0);
	assert_fresh();
	q = mremap(p + 4 * MIB, 4 * MIB, MIB, 0);
	assert_true(q != MAP_FAILED);
	assert_fresh();
	munmap(p, 2 * MIB);
	munmap(q, MIB);
}

static void *deep(void *arg)
{
	volatile char big[512 * 1024];

	touch(big, sizeof big);
	return arg;
}

/* A joined thread's stack pages, given back by glibc, are seen. */
static void test_thread_joined(void **state)
{
	pthread_t th;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, deep, NULL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_fresh();
}

/* ---- processes and modes ------------------------------------------------ */

/* Run `fn` in a child process; its exit status is the result. */
static int in_child(int (*fn)(void), int raw)
{
	int status;
	pid_t pid = raw ? (pid_t)syscall(SYS_fork) : fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child checks that its figures are its own and keep up with it. */
static int child_checks(void)
{
	char *p = fresh_map(4 * MIB);

	if (fresh())
		return 1;
	touch(p, 4 * MIB);
	if (fresh())
		return 2;
	munmap(p, 4 * MIB);
	return fresh() ? 3 : 0;
}

/* What the runtime's fork handler does, then the checks. */
static int forked_child(void)
{
	mp_rss_atfork_child();
	return child_checks();
}

/* A forked child gets rings of its own and reads its own RSS. */
static void test_fork_child(void **state)
{
	char *p = fresh_map(16 * MIB);

	(void)state;
	touch(p, 16 * MIB);
	assert_fresh();
	assert_int_equal(in_child(forked_child, 0), 0);
	assert_fresh();
	munmap(p, 16 * MIB);
}

static int raw_child(void)
{
	if (__atomic_load_n(&mp_rss_rings->live, __ATOMIC_RELAXED))
		return 10;
	return child_checks();
}

/* A child made without fork handlers (raw syscall) never reads the
 * parent's rings, which it does not have: it falls back to exact reads. */
static void test_raw_fork_child(void **state)
{
	(void)state;
	assert_int_equal(in_child(raw_child, 1), 0);
}


static int timed_child(void)
{
	struct mp_watch w;
	volatile char *p;
	unsigned long n;
	int64_t v;

	if (refuse_perf())
		return 20;
	mp_rss_atfork_child();
	if (strcmp(mp_rss_mode(), "timed"))
		return 21;
	if (mp_rss_watch(&w))
		return 26;			/* no watch when timed */
	p = fresh_map(MIB);
	v = mp_rss_read();
	for (int i = 0; i < 8; i++)
		mp_rss_read();
	n = exact_reads;
	for (int i = 0; i < 1000; i++)
		if (mp_rss_read() != v)
			return 22;
	/* Fast events use the cache (a preemption may force a few reads). */
	if (exact_reads > n + 10)
		return 23;
	p[0] = 1;
	if (mp_rss_read() != v + PAGE)
		return 24;			/* a fault is slower than `slow` */
	if (fresh())
		return 25;
	return child_checks();
}

/* Without perf events: the timed mode reads after slow events only, and
 * is exact for one thread. */
static void test_timed_mode(void **state)
{
	(void)state;
	assert_int_equal(in_child(timed_child, 0), 0);
}

/* Threads that exist when the rings are made get events of their own. */
static int threads_child(void)
{
	struct toucher t = { .len = 4 * MIB };
	pthread_t th;
	int rc = 0;

	t.p = fresh_map(t.len);
	if (pthread_create(&th, NULL, toucher, &t))
		return 30;
	mp_rss_atfork_child();
	if (strcmp(mp_rss_mode(), "perf") && strcmp(mp_rss_mode(), "perf-user"))
		rc = 31;
	else if (fresh())
		rc = 32;
	__atomic_store_n(&t.go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t.done, __ATOMIC_ACQUIRE))
		sched_yield();
	if (!rc && fresh())
		rc = 33;
	__atomic_store_n(&t.go, 2, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	return rc;
}

static void test_threads_before_start(void **state)
{
	(void)state;
	if (!perf_mode())
		skip();
	assert_int_equal(in_child(threads_child, 0), 0);
}

/* errno survives a read that goes to statm. */
static void test_errno_kept(void **state)
{
	char *p = fresh_map(MIB);

	(void)state;
	mp_rss_read();
	touch(p, MIB);
	errno = 1234;
	mp_rss_read();
	assert_int_equal(errno, 1234);
	munmap(p, MIB);
}

/* ---- the watch of inline line events ------------------------------------ */

/* What the plugin's inline line event tests (mprof_abi.h). */
static bool holds(const struct mp_watch *w)
{
	return *w->c == w->s;
}

/* Whether this process should get watches: perf mode, one thread. */
static int watchable(void)
{
	return !strcmp(mp_rss_mode(), "perf") && mp_solo();
}

/* Mappings of perf rings in this process (/proc/self/maps). */
static int perf_maps(void)
{
	static char buf[1 << 18];
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
			  O_RDONLY | O_CLOEXEC);
	long n, len = 0;
	int k = 0;

	if (fd < 0)
		return -1;
	while ((n = syscall(SYS_read, fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += n;
	syscall(SYS_close, fd);
	buf[len] = '\0';
	for (const char *p = buf; (p = strstr(p, "[perf_event]")); p++)
		k++;
	return k;
}

/*
 * A watch and the figure read right after it, as a probe's slow path
 * takes them; while the watch holds, the figure must be statm's (read
 * twice around, as in fresh(), against unrelated changes).
 */
static int watched_fresh(struct mp_watch *w)
{
	for (int i = 0; i < 5; i++) {
		int64_t fig, before, after;

		if (!mp_rss_watch(w))
			return -2;
		fig = mp_rss_read();
		before = statm();
		after = statm();
		if (before == after && holds(w))
			return fig == before ? 0 : -1;
	}
	return -1;
}

/* Run `fn` in a child process that starts over as a one-thread process
 * (what the runtime's fork handlers do), whatever threads this one made. */
static int (*solo_fn)(void);

static int solo_start(void)
{
	mp_solo_atfork_child();
	mp_rss_atfork_child();
	return solo_fn();
}

static int in_solo_child(int (*fn)(void))
{
	solo_fn = fn;
	return in_child(solo_start, 0);
}

/* Nothing changes: the word holds.  A fault moves it. */
static int watch_fault_child(void)
{
	struct mp_watch w;
	volatile char *p = fresh_map(MIB);
	volatile unsigned long sum = 0;

	if (!watchable())
		return mp_rss_watch(&w) ? 1 : 0;
	if (watched_fresh(&w))
		return 2;
	for (int i = 0; i < 100000; i++)
		sum += (unsigned long)i;
	if (!holds(&w))
		return 3;
	p[0] = 1;
	if (holds(&w))
		return 4;
	if (watched_fresh(&w))
		return 5;
	/* The kernel faulting pages in for read() moves it too (perf mode). */
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || watched_fresh(&w))
		return 6;
	if (read(fd, (char *)p + PAGE, 16 * PAGE) != 16 * PAGE)
		return 7;
	close(fd);
	if (holds(&w))
		return 8;
	return watched_fresh(&w) ? 9 : 0;
}

static void test_watch_fault(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_fault_child), 0);
}

/* Every wrapped call that may give memory back moves the word (a fault
 * of the runtime's own), and leaves the resident set as it was. */
static int watch_shrink_child(void)
{
	struct mp_watch w;
	char *big = malloc_fn(32 * MIB), *p = fresh_map(4 * MIB), *q;

	if (!watchable())
		return 0;
	touch(big, 32 * MIB);
	touch(p, 4 * MIB);
	if (watched_fresh(&w))
		return 1;
	free(big);
	if (holds(&w))
		return 2;
	if (watched_fresh(&w))
		return 3;
	madvise(p, MIB, MADV_DONTNEED);
	if (holds(&w) || watched_fresh(&w))
		return 4;
	munmap(p + MIB, MIB);
	if (holds(&w) || watched_fresh(&w))
		return 5;
	q = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q == MAP_FAILED || holds(&w))
		return 6;
	return watched_fresh(&w) ? 7 : 0;
}

static void test_watch_shrink(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_shrink_child), 0);
}

static struct mp_watch parent_watch;

/* Whether the page at `p` is mapped in this process. */
static bool mapped(const volatile uint64_t *p)
{
	unsigned char v;
	uintptr_t pg = (uintptr_t)p & ~(uintptr_t)(PAGE - 1);

	return mincore((void *)pg, PAGE, &v) == 0;
}

/* A child forked with no handler run has no page where the parent's
 * frames read the word: the SIGSEGV of the first read (mp_rss_fault(),
 * from crash.c's handler) puts zeros there, a value no watch holds. */
static int raw_watch_child(void)
{
	struct mp_watch w;

	if (mapped(parent_watch.c))
		return 10;
	if (mp_rss_fault((const char *)parent_watch.c - PAGE * 4))
		return 11;			/* not the ring's address */
	if (!mp_rss_fault((const void *)parent_watch.c) || *parent_watch.c != 0 ||
	    parent_watch.s == 0)
		return 12;
	/* Its own rings, opened at its first watch. */
	if (!mp_rss_watch(&w) || w.s == 0 || w.c == parent_watch.c)
		return 13;
	return child_checks() || watched_fresh(&w) ? 14 : 0;
}

/* The same child, its first watch before any read of the parent's
 * ring: opening its own rings puts the zeros there. */
static int raw_open_child(void)
{
	struct mp_watch w;

	if (mapped(parent_watch.c))
		return 30;
	if (!mp_rss_watch(&w) || w.c == parent_watch.c)
		return 31;
	if (!mapped(parent_watch.c) || *parent_watch.c != 0)
		return 32;
	return watched_fresh(&w) ? 33 : 0;
}

/* The fork handlers put the zeros there before any event can read. */
static int forked_watch_child(void)
{
	struct mp_watch w;

	if (mapped(parent_watch.c))
		return 20;
	mp_solo_atfork_child();
	mp_rss_atfork_child();
	if (!mapped(parent_watch.c) || holds(&parent_watch))
		return 21;
	if (!mp_rss_watch(&w) || w.c == parent_watch.c)
		return 22;
	return child_checks() || watched_fresh(&w) ? 23 : 0;
}

static int watch_fork_child(void)
{
	if (!watchable())
		return 0;
	if (watched_fresh(&parent_watch))
		return 1;
	if (in_child(raw_watch_child, 1))
		return 2;
	if (in_child(raw_open_child, 1))
		return 7;
	/* The fork is a record in the parent's ring: it calls again, and
	 * stays watchable (a child process is no thread of ours). */
	if (holds(&parent_watch))
		return 3;
	if (watched_fresh(&parent_watch))
		return 4;
	if (in_child(forked_watch_child, 0))
		return 5;
	return watched_fresh(&parent_watch) ? 6 : 0;
}

static void test_watch_fork(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_fork_child), 0);
}

static void *idle(void *arg)
{
	return arg;
}

/* A second thread (pthread_create): no more watches, the rings closed. */
static int watch_thread_child(void)
{
	struct mp_watch w, v;
	pthread_t th;
	int maps;

	if (!watchable())
		return 0;
	if (watched_fresh(&w))
		return 1;
	maps = perf_maps();
	if (pthread_create(&th, NULL, idle, NULL))
		return 2;
	if (holds(&w))
		return 3;
	if (mp_rss_watch(&v))
		return 4;
	if (!mapped(w.c) || *w.c != 0)
		return 5;			/* zeros in its place */
	if (perf_maps() != maps - 2)
		return 6;
	pthread_join(th, NULL);
	return mp_rss_watch(&v) ? 7 : 0;
}

static void test_watch_thread(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_thread_child), 0);
}

struct raw_thread {
	char *p;
	size_t len;
	int done;
};

/* Touches its pages and spins: no libc call (it shares our TLS). */
static int raw_thread_fn(void *arg)
{
	struct raw_thread *t = arg;

	touch(t->p, t->len);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

#define RAW_STACK	(256 * 1024)

/* A thread made with clone() on `stack`, once it has touched its pages. */
static int raw_thread_start(struct raw_thread *t, char *stack)
{
	if (clone(raw_thread_fn, stack + RAW_STACK,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		  CLONE_THREAD | CLONE_SYSVSEM, t) < 0)
		return -1;
	while (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}

/* A thread made with clone(), which solo.c does not see: its creation
 * moves the second word, and the watch counts the threads. */
static int watch_raw_thread_child(void)
{
	static struct raw_thread t = { .len = 4 * MIB };
	struct mp_watch w;
	char *stack = fresh_map(RAW_STACK);

	if (!watchable())
		return 0;
	t.p = fresh_map(t.len);
	/*
	 * Only the creation may move the words: clone() writes on the new
	 * stack, and its code and sched_yield's are paged in (a clone that
	 * fails: CLONE_THREAD without CLONE_SIGHAND).
	 */
	touch(stack + RAW_STACK - PAGE, PAGE);
	sched_yield();
	if (clone(raw_thread_fn, stack + RAW_STACK, CLONE_VM | CLONE_THREAD,
		  &t) >= 0)
		return 7;
	if (watched_fresh(&w))
		return 1;
	if (raw_thread_start(&t, stack))
		return 2;
	if (holds(&w))
		return 3;
	if (!mp_solo())
		return 4;			/* the test's premise */
	if (mp_rss_watch(&w))
		return 5;
	return fresh() ? 6 : 0;		/* the CPU rings saw it */
}

/* A child forked without handlers made a thread before its first watch:
 * no record tells, the count at the rings' opening does. */
static int thread_then_watch(void)
{
	static struct raw_thread t = { .len = PAGE };
	struct mp_watch w;

	t.p = fresh_map(t.len);
	if (raw_thread_start(&t, fresh_map(RAW_STACK)))
		return 1;
	return mp_rss_watch(&w) ? 2 : 0;
}

static int watch_raw_thread_first(void)
{
	return watchable() ? in_child(thread_then_watch, 1) : 0;
}

static void test_watch_raw_thread(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_raw_thread_child), 0);
	assert_int_equal(in_solo_child(watch_raw_thread_first), 0);
}

/* No descriptor left for the rings: no watch, and the figures still right. */
static int watch_nofile_child(void)
{
	struct rlimit lim, none = { 0, 0 };
	struct mp_watch w;
	int saved;

	if (getrlimit(RLIMIT_NOFILE, &lim) || setrlimit(RLIMIT_NOFILE, &none))
		return 1;
	errno = 4321;
	if (mp_rss_watch(&w))
		return 2;
	saved = errno;
	setrlimit(RLIMIT_NOFILE, &lim);
	if (saved != 4321)
		return 3;
	return mp_rss_watch(&w) || child_checks() ? 4 : 0;
}

/* In a child forked with no handler, the rings are opened at its first
 * watch: where that fails, the child goes on without. */
static void test_watch_nofile(void **state)
{
	(void)state;
	assert_int_equal(in_child(watch_nofile_child, 1), 0);
}

/* Unprivileged perf (kernel-mode faults unseen): no watch. */
static int watch_user_child(void)
{
	struct mp_watch w;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 1;
	prctl(PR_SET_DUMPABLE, 1);
	mp_solo_atfork_child();
	mp_rss_atfork_child();
	if (strcmp(mp_rss_mode(), "perf-user"))
		return 77;		/* nobody may count them here */
	return mp_rss_watch(&w) || child_checks() ? 2 : 0;
}

static void test_watch_user_mode(void **state)
{
	int rc;

	(void)state;
	if (geteuid() != 0)
		skip();
	rc = in_child(watch_user_child, 0);
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
}

/*
 * This program run again (--maps, --maps --exact): the mode's watch must
 * be given or not as it should; the exit status is the number of perf
 * mappings, 100 on a wrong watch.
 */
static int maps_run(int exact)
{
	struct mp_watch w;

	if (mp_rss_start(exact_reader, exact) < 0)
		return 101;
	if (mp_rss_watch(&w) != (!exact && watchable()))
		return 100;
	return perf_maps();
}

static int run_self(const char *arg, const char *arg2)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execl("/proc/self/exe", "test_rss", arg, arg2, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* MPROF_EXACT=1: no watch, but the rings of the perf mode, so that the
 * process looks the same. */
static void test_watch_exact_mode(void **state)
{
	int perf = run_self("--maps", NULL);

	(void)state;
	assert_true(perf >= 0 && perf < 100);
	assert_int_equal(run_self("--maps", "--exact"), perf);
}

/*
 * The inline line event, run against the kernel: after each of a random
 * series of changes (faults, frees, unmaps, reads into fresh pages, nothing
 * at all), an event that finds the watch holding keeps the figure it has,
 * any other calls (watch, then read); the figure must be statm's.
 */
static int watch_inline_child(void)
{
	enum { STEPS = 400, SLOTS = 8 };
	static char *blocks[SLOTS], *maps[SLOTS];
	static size_t sizes[SLOTS];
	unsigned seed = 12345, inline_events = 0, calls = 0;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	struct mp_watch w;
	int64_t fig;

	if (!watchable())
		return 0;
	if (fd < 0 || watched_fresh(&w))
		return 1;
	fig = mp_rss_read();
	for (int i = 0; i < STEPS; i++) {
		unsigned r = rand_r(&seed), k = r % SLOTS;
		size_t n = (size_t)(1 + rand_r(&seed) % 64) * PAGE;

		switch (r / SLOTS % 6) {
		case 0:		/* allocate and touch, or free */
			if (blocks[k]) {
				free(blocks[k]);
				blocks[k] = NULL;
			} else {
				n *= r % 3 ? 1 : 64;
				if ((blocks[k] = malloc_fn(n)))
					touch(blocks[k], n);
			}
			break;
		case 1:		/* touch more of a block */
			if (blocks[k])
				touch(blocks[k], 64);
			break;
		case 2:		/* map and touch, or unmap */
			if (maps[k]) {
				munmap(maps[k], sizes[k]);
				maps[k] = NULL;
			} else {
				maps[k] = fresh_map(n);
				sizes[k] = n;
				touch(maps[k], n / 2 + 1);
			}
			break;
		case 3:		/* the kernel fills fresh pages */
		{
			char *p = fresh_map(n);

			if (read(fd, p, n) != (ssize_t)n)
				return 2;
			if (r & 1)
				munmap(p, n);
			break;
		}
		case 4:		/* give some back */
			if (maps[k])
				madvise(maps[k], sizes[k] / 2, MADV_DONTNEED);
			break;
		default:	/* nothing */
			break;
		}
		/* The event. */
		if (holds(&w)) {
			inline_events++;
		} else {
			calls++;
			if (!mp_rss_watch(&w))
				return 3;
			fig = mp_rss_read();
		}
		/* The figure it has must be right: compare while it holds. */
		for (int t = 0;; t++) {
			int64_t before = statm(), after = statm();

			if (before == after && holds(&w)) {
				if (fig != before)
					return 4;
				break;
			}
			if (t == 5)
				return 5;
			if (!mp_rss_watch(&w))
				return 3;
			fig = mp_rss_read();
		}
	}
	close(fd);
	/* Both kinds of events happened. */
	return inline_events && calls ? 0 : 6;
}

static void test_watch_inline(void **state)
{
	(void)state;
	assert_int_equal(in_solo_child(watch_inline_child), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_same_thread),
		cmocka_unit_test(test_fault_other_thread),
		cmocka_unit_test(test_read_into_fresh_pages),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_free_large_block),
		cmocka_unit_test(test_free_trims_heap),
		cmocka_unit_test(test_small_free_keeps_cache),
		cmocka_unit_test(test_madvise_munmap_mremap),
		cmocka_unit_test(test_thread_joined),
		cmocka_unit_test(test_fork_child),
		cmocka_unit_test(test_raw_fork_child),
		cmocka_unit_test(test_timed_mode),
		cmocka_unit_test(test_threads_before_start),
		cmocka_unit_test(test_errno_kept),
		cmocka_unit_test(test_watch_fault),
		cmocka_unit_test(test_watch_shrink),
		cmocka_unit_test(test_watch_fork),
		cmocka_unit_test(test_watch_thread),
		cmocka_unit_test(test_watch_raw_thread),
		cmocka_unit_test(test_watch_nofile),
		cmocka_unit_test(test_watch_user_mode),
		cmocka_unit_test(test_watch_exact_mode),
		cmocka_unit_test(test_watch_inline),
	};
	int exact = argc > 1 && !strcmp(argv[1], "--exact");

	if (argc > 1 && !strcmp(argv[1], "--maps"))
		return maps_run(argc > 2 && !strcmp(argv[2], "--exact"));

	if (mp_rss_start(exact_reader, exact) < 0)
		return 1;
	print_message("rss fast path mode: %s\n", mp_rss_mode());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
