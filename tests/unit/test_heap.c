/* SPDX-License-Identifier: MIT */
/*
 * test_heap.c - the heap backend (runtime/heap.c): exact byte counts for
 * each hooked allocator, libc's own allocations through its GOT, blocks
 * from before the start, threads and each thread's own count, fork, modules dlopen()ed later, and the
 * runtime itself living in a dlopen()ed module.
 *
 * The group setup starts tracking in this process (the static runtime is
 * linked into it).  The dlopen()ed-runtime tests run this program again
 * with --dlopened-runtime SCENARIO, a mode in which only the copy of the
 * runtime inside heap_fixture_rt is started (see child_main).  Every
 * allocation goes through keep() so that GCC cannot drop a malloc/free
 * pair or fold it into another call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "heap.h"

extern char **environ;

#ifdef __SANITIZE_THREAD__
/* The failure tests need NULL from an impossible malloc, not an abort. */
const char *__tsan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

static void *_Atomic sink;
static void *before_start;	/* allocated before mp_heap_start() */
static void *before_start2;

/* Through strdup's address: GCC must not turn it into malloc + memcpy. */
static char *(*volatile strdup_fn)(const char *) = strdup;

static void *keep(void *p)
{
	atomic_store_explicit(&sink, p, memory_order_relaxed);
	return p;
}

static int64_t now(void)
{
	return mp_heap_current();
}

/* A fork handler registered before the start, so run after ours. */
static void prepare_allocates(void)
{
	free(keep(malloc(32)));
}

static int group_setup(void **state)
{
	(void)state;
	if (pthread_atfork(prepare_allocates, NULL, NULL))
		return -1;
	before_start = keep(malloc(777));
	before_start2 = keep(malloc(555));
	return mp_heap_start();
}

/* malloc(1000) adds exactly 1000 bytes and free takes them back. */
static void test_malloc_free(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(malloc(1000));

	assert_non_null(p);
	assert_int_equal(now() - base, 1000);
	free(p);
	assert_int_equal(now(), base);
}

/* A second mp_heap_start() succeeds and hooks nothing twice. */
static void test_start_idempotent(void **state)
{
	(void)state;
	assert_int_equal(mp_heap_start(), 0);
	int64_t base = now();
	void *p = keep(malloc(64));
	assert_int_equal(now() - base, 64);
	free(p);
	assert_int_equal(now(), base);
}

/* calloc counts nmemb * size. */
static void test_calloc_product(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(calloc(10, 123));

	assert_int_equal(now() - base, 1230);
	free(p);
	assert_int_equal(now(), base);
}

/* A calloc whose nmemb * size overflows fails and counts nothing. */
static void test_calloc_overflow(void **state)
{
	(void)state;
	volatile size_t big = SIZE_MAX / 2;
	int64_t base = now();

	errno = 0;
	assert_null(keep(calloc(big, 4)));
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(now(), base);
}

/* realloc growing then shrinking leaves exactly the last size counted. */
static void test_realloc_grow_shrink(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(malloc(100));

	p = keep(realloc(p, 100000));
	assert_int_equal(now() - base, 100000);
	p = keep(realloc(p, 10));
	assert_int_equal(now() - base, 10);
	free(p);
	assert_int_equal(now(), base);
}

/* realloc(NULL, n) counts n, like malloc. */
static void test_realloc_null(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(realloc(NULL, 300));

	assert_int_equal(now() - base, 300);
	free(p);
	assert_int_equal(now(), base);
}

/* realloc(p, 0) frees p (glibc) and takes its bytes back. */
static void test_realloc_zero(void **state)
{
	(void)state;
	volatile size_t zero = 0;
	int64_t base = now();
	void *p = keep(malloc(400));

	assert_null(keep(realloc(p, zero)));
	assert_int_equal(now(), base);
}

/* A failed realloc leaves the old block counted. */
static void test_realloc_fail(void **state)
{
	(void)state;
	volatile size_t huge = PTRDIFF_MAX;
	int64_t base = now();
	void *volatile p = keep(malloc(200));

	assert_null(keep(realloc(p, huge)));
	assert_int_equal(now() - base, 200);
	free(p);
	assert_int_equal(now(), base);
}

/* reallocarray counts nmemb * size once (not again for libc's realloc). */
static void test_reallocarray(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(reallocarray(NULL, 7, 11));

	assert_int_equal(now() - base, 77);
	p = keep(reallocarray(p, 70, 11));
	assert_int_equal(now() - base, 770);
	free(p);
	assert_int_equal(now(), base);
}

/* posix_memalign counts the requested size. */
static void test_posix_memalign(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 256, 1001), 0);
	keep(p);
	assert_int_equal(now() - base, 1001);
	free(p);
	assert_int_equal(now(), base);
}

/* aligned_alloc counts the requested size. */
static void test_aligned_alloc(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(aligned_alloc(64, 640));

	assert_int_equal(now() - base, 640);
	free(p);
	assert_int_equal(now(), base);
}

/* memalign, valloc and pvalloc count the requested size, not pages. */
static void test_obsolete_aligned(void **state)
{
	(void)state;
	int64_t base = now();
	void *a = keep(memalign(32, 33));
	void *b = keep(valloc(10));
	void *c = keep(pvalloc(20));

	assert_int_equal(now() - base, 63);
	free(a);
	free(b);
	free(c);
	assert_int_equal(now(), base);
}

/* strdup, which is not hooked, is counted once through libc's GOT. */
static void test_strdup_via_libc(void **state)
{
	(void)state;
	char src[] = "a string of 27 characters..";
	int64_t base = now();
	char *s = keep(strdup_fn(src));

	assert_int_equal(now() - base, strlen(src) + 1);
	free(s);
	assert_int_equal(now(), base);
}

/* Freeing a block allocated before the start changes nothing. */
static void test_free_unknown(void **state)
{
	(void)state;
	int64_t base = now();

	free(before_start);
	assert_int_equal(now(), base);
}

/* realloc of a block from before the start counts the new block in full. */
static void test_realloc_unknown(void **state)
{
	(void)state;
	int64_t base = now();
	void *p = keep(realloc(before_start2, 5000));

	assert_int_equal(now() - base, 5000);
	free(p);
	assert_int_equal(now(), base);
}

/* A block freed behind the hooks' back stops counting once its address
 * is handed out again. */
static void test_unseen_free_reused(void **state)
{
	(void)state;
	void (*real_free)(void *) = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	int64_t base = now();
	void *p = keep(malloc(1000));

	assert_non_null(real_free);
	real_free(p);
	assert_int_equal(now() - base, 1000);
	void *q = keep(malloc(1000));
	assert_ptr_equal(q, p);		/* glibc's tcache hands it back */
	assert_int_equal(now() - base, 1000);
	free(q);
	assert_int_equal(now(), base);
}

/* free(NULL) changes nothing. */
static void test_free_null(void **state)
{
	(void)state;
	int64_t base = now();

	free(keep(NULL));
	assert_int_equal(now(), base);
}

/* A failed malloc counts nothing and sets ENOMEM. */
static void test_malloc_fail(void **state)
{
	(void)state;
	volatile size_t huge = PTRDIFF_MAX;
	int64_t base = now();

	errno = 0;
	assert_null(keep(malloc(huge)));
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(now(), base);
}

/* A successful malloc and free leave errno as it was. */
static void test_errno_kept(void **state)
{
	(void)state;
	errno = 12345;
	void *p = keep(malloc(10));
	assert_int_equal(errno, 12345);
	free(p);
	assert_int_equal(errno, 12345);
}

static void *alloc_4321(void *arg)
{
	(void)arg;
	return keep(malloc(4321));
}

/* A block allocated in one thread and freed in another is taken back. */
static void test_cross_thread_free(void **state)
{
	(void)state;
	int64_t base = now();
	pthread_t t;
	void *p;

	assert_int_equal(pthread_create(&t, NULL, alloc_4321, NULL), 0);
	assert_int_equal(pthread_join(t, &p), 0);
	assert_int_equal(now() - base, 4321);
	free(p);
	assert_int_equal(now(), base);
}

/* What a thread saw of its own count around its allocations. */
struct own_seen {
	int64_t start;			/* mp_heap_thread() on arrival */
	int64_t after_alloc;		/* after malloc(4000) + calloc(3, 100) */
	int64_t after_free;		/* after freeing the calloc'd block */
	void *block;			/* the 4000 bytes, left to the caller */
};

static void *own_counts(void *arg)
{
	struct own_seen *o = arg;
	void *q;

	o->start = mp_heap_thread();
	o->block = keep(malloc(4000));
	q = keep(calloc(3, 100));
	o->after_alloc = mp_heap_thread();
	free(q);
	o->after_free = mp_heap_thread();
	return NULL;
}

/*
 * Each thread has its own count, from 0: what it allocated minus what it
 * freed.  Another thread's allocations leave it alone; a block freed by
 * another thread is taken from that thread's count; a thread that exits
 * leaves its live blocks in the total.
 */
static void test_thread_own_count(void **state)
{
	(void)state;
	int64_t base = now(), mine = mp_heap_thread();
	struct own_seen o;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, own_counts, &o), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(o.start, 0);
	assert_int_equal(o.after_alloc, 4300);
	assert_int_equal(o.after_free, 4000);
	assert_int_equal(mp_heap_thread(), mine);
	assert_int_equal(now() - base, 4000);
	free(o.block);
	assert_int_equal(mp_heap_thread(), mine - 4000);
	assert_int_equal(now(), base);
}

/* realloc by another thread: the old size leaves its count, the new
 * size enters it. */
static void test_thread_own_realloc(void **state)
{
	(void)state;
	int64_t mine = mp_heap_thread();
	struct own_seen o;
	pthread_t t;
	void *p;

	assert_int_equal(pthread_create(&t, NULL, own_counts, &o), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	p = keep(realloc(o.block, 10000));
	assert_non_null(p);
	assert_int_equal(mp_heap_thread() - mine, 10000 - 4000);
	free(p);
	assert_int_equal(mp_heap_thread() - mine, -4000);
}

#define NTHREAD	8
#define NALLOC	6000

static void *kept[NTHREAD][NALLOC];

/* Block i of thread t has t * NALLOC + i + 1 bytes; odd ones are freed. */
static void *churn(void *arg)
{
	uintptr_t t = (uintptr_t)arg;

	for (size_t i = 0; i < NALLOC; i++) {
		size_t n = t * NALLOC + i + 1;
		void *p = i % 3 ? malloc(n) : realloc(malloc(1), n);

		if (i % 2)
			free(p);
		else
			kept[t][i] = p;
	}
	return NULL;
}

/* Threads allocating at once end at the exact expected total. */
static void test_concurrent_threads(void **state)
{
	(void)state;
	pthread_t t[NTHREAD];
	int64_t base = now(), want = 0;

	for (uintptr_t i = 0; i < NTHREAD; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)i), 0);
	for (size_t i = 0; i < NTHREAD; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (size_t i = 0; i < NTHREAD; i++)
		for (size_t j = 0; j < NALLOC; j += 2)
			want += i * NALLOC + j + 1;
	assert_int_equal(now() - base, want);
	for (size_t i = 0; i < NTHREAD; i++)
		for (size_t j = 0; j < NALLOC; j += 2)
			free(kept[i][j]);
	assert_int_equal(now(), base);
}

/* Forks per run: enough to catch a lock held across fork most times; a
 * child under ThreadSanitizer takes long to unmap its shadow at exit. */
#ifdef __SANITIZE_THREAD__
#define NFORK	20
#else
#define NFORK	200
#endif

static atomic_int stop;

static void *hammer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		free(keep(malloc(48)));
	return NULL;
}

/* In a forked child: allocate enough blocks to touch every stripe. */
static int child_allocates(void)
{
	static void *p[1000];
	int64_t base = now(), want = 0;

	for (size_t i = 0; i < 1000; i++) {
		p[i] = keep(malloc(i + 1));
		want += i + 1;
	}
	if (now() - base != want)
		return 1;
	for (size_t i = 0; i < 1000; i++)
		free(p[i]);
	return now() == base ? 0 : 1;
}

/* fork while other threads allocate: no table lock is left held in the
 * child (a deadlock ends in SIGALRM), and its counts stay exact. */
static void test_fork_child(void **state)
{
	(void)state;
	pthread_t t[2];

	alarm(60);
	atomic_store(&stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < NFORK; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			alarm(5);
			_exit(child_allocates());
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	alarm(0);
}

/* fork() works while ours holds the table and another fork handler
 * allocates (a deadlock ends in SIGALRM). */
static void test_fork_handler_allocates(void **state)
{
	(void)state;
	int status;

	alarm(10);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	alarm(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#if defined(HEAP_FIXTURE_PLT) || defined(HEAP_FIXTURE_NOW)
/* A fixture module dlopen()ed now: its malloc and free, direct and through
 * its function-pointer table, are counted exactly. */
static void check_module(const char *path, int mode)
{
	void *h = dlopen(path, mode);

	assert_non_null(h);
	void *(*alloc)(size_t) = (void *(*)(size_t))dlsym(h, "fixture_alloc");
	void *(*indirect)(size_t) =
		(void *(*)(size_t))dlsym(h, "fixture_alloc_indirect");
	void (*release)(void *) = (void (*)(void *))dlsym(h, "fixture_release");
	assert_non_null(alloc);
	assert_non_null(indirect);
	assert_non_null(release);

	int64_t base = now();
	void *a = keep(alloc(1234));
	assert_int_equal(now() - base, 1234);
	void *b = keep(indirect(99));
	assert_int_equal(now() - base, 1333);
	release(a);
	release(b);
	assert_int_equal(now(), base);
}
#endif

/* A lazily bound module dlopen()ed after the start is tracked. */
static void test_dlopen_lazy_module(void **state)
{
	(void)state;
#ifdef HEAP_FIXTURE_PLT
	check_module(HEAP_FIXTURE_PLT, RTLD_LAZY | RTLD_LOCAL);
#else
	skip();
#endif
}

/* A -fno-plt -z now module (GOT in read-only RELRO) dlopen()ed later is
 * tracked. */
static void test_dlopen_relro_module(void **state)
{
	(void)state;
#ifdef HEAP_FIXTURE_NOW
	check_module(HEAP_FIXTURE_NOW, RTLD_NOW | RTLD_LOCAL);
#else
	skip();
#endif
}

#ifdef HEAP_FIXTURE_RT
/*
 * The child: only heap_fixture_rt's copy of the runtime is started.
 * Returns 0, or the number of the first check that failed.
 */
static int child_main(const char *scenario)
{
	void *rt = dlopen(HEAP_FIXTURE_RT, RTLD_NOW | RTLD_LOCAL);
	if (!rt)
		return 10;
	int (*start)(void) = (int (*)(void))dlsym(rt, "fixture_rt_start");
	int64_t (*cur)(void) = (int64_t (*)(void))dlsym(rt, "fixture_rt_current");
	if (!start || !cur || start() != 0)
		return 11;

	int64_t base = cur();
	if (!strcmp(scenario, "malloc")) {
		void *p = keep(malloc(1000));
		if (cur() - base != 1000)
			return 12;
		free(p);
		return cur() == base ? 0 : 13;
	}
	if (!strcmp(scenario, "strdup")) {
		char src[] = "twelve chars";
		char *s = keep(strdup_fn(src));
		if (cur() - base != 13)
			return 14;
		free(s);
		return cur() == base ? 0 : 15;
	}
	if (!strcmp(scenario, "runpath")) {
		void *h = dlopen(HEAP_FIXTURE_PLT_NAME, RTLD_NOW);
		if (!h)
			return 16;
		void *(*alloc)(size_t) =
			(void *(*)(size_t))dlsym(h, "fixture_alloc");
		if (!alloc)
			return 17;
		base = cur();
		void *p = keep(alloc(321));
		if (cur() - base != 321)
			return 18;
		free(p);
		return cur() == base ? 0 : 19;
	}
	return 2;
}
#endif

#ifdef HEAP_FIXTURE_RT
static void run_child(const char *scenario)
{
	char *argv[] = { "test_heap", "--dlopened-runtime", (char *)scenario,
			 NULL };
	int status;
	pid_t pid;

	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv,
				     environ), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}
#endif

/* The runtime inside a dlopen()ed module counts the program's malloc. */
static void test_dlopened_runtime_malloc(void **state)
{
	(void)state;
#ifdef HEAP_FIXTURE_RT
	run_child("malloc");
#else
	skip();
#endif
}

/* The runtime inside a dlopen()ed module counts libc's strdup. */
static void test_dlopened_runtime_strdup(void **state)
{
	(void)state;
#ifdef HEAP_FIXTURE_RT
	run_child("strdup");
#else
	skip();
#endif
}

/* Through the hooked dlopen, a bare name is still found along the
 * caller's RUNPATH (the runtime's module has none), and tracked. */
static void test_dlopened_runtime_runpath(void **state)
{
	(void)state;
#ifdef HEAP_FIXTURE_RT
	run_child("runpath");
#else
	skip();
#endif
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_free),
		cmocka_unit_test(test_start_idempotent),
		cmocka_unit_test(test_calloc_product),
		cmocka_unit_test(test_calloc_overflow),
		cmocka_unit_test(test_realloc_grow_shrink),
		cmocka_unit_test(test_realloc_null),
		cmocka_unit_test(test_realloc_zero),
		cmocka_unit_test(test_realloc_fail),
		cmocka_unit_test(test_reallocarray),
		cmocka_unit_test(test_posix_memalign),
		cmocka_unit_test(test_aligned_alloc),
		cmocka_unit_test(test_obsolete_aligned),
		cmocka_unit_test(test_strdup_via_libc),
		cmocka_unit_test(test_free_unknown),
		cmocka_unit_test(test_realloc_unknown),
		cmocka_unit_test(test_unseen_free_reused),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_malloc_fail),
		cmocka_unit_test(test_errno_kept),
		cmocka_unit_test(test_cross_thread_free),
		cmocka_unit_test(test_thread_own_count),
		cmocka_unit_test(test_thread_own_realloc),
		cmocka_unit_test(test_concurrent_threads),
		cmocka_unit_test(test_fork_child),
		cmocka_unit_test(test_fork_handler_allocates),
		cmocka_unit_test(test_dlopen_lazy_module),
		cmocka_unit_test(test_dlopen_relro_module),
		cmocka_unit_test(test_dlopened_runtime_malloc),
		cmocka_unit_test(test_dlopened_runtime_strdup),
		cmocka_unit_test(test_dlopened_runtime_runpath),
	};

#ifdef HEAP_FIXTURE_RT
	if (argc == 3 && !strcmp(argv[1], "--dlopened-runtime"))
		return child_main(argv[2]);
#endif
	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
