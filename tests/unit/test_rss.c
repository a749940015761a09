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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../fastpath/refuse_perf.h"
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
	e = __atomic_load_n(&mp_rss_epoch, __ATOMIC_RELAXED);
	free(p);
	assert_int_equal(__atomic_load_n(&mp_rss_epoch, __ATOMIC_RELAXED), e);
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
	volatile char *p;
	unsigned long n;
	int64_t v;

	if (refuse_perf())
		return 20;
	mp_rss_atfork_child();
	if (strcmp(mp_rss_mode(), "timed"))
		return 21;
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
	};
	int exact = argc > 1 && !strcmp(argv[1], "--exact");

	if (mp_rss_start(exact_reader, exact) < 0)
		return 1;
	print_message("rss fast path mode: %s\n", mp_rss_mode());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
