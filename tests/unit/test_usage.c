/* SPDX-License-Identifier: MIT */
/*
 * test_usage.c - memory_usage() for C (include/mprof.h, runtime/usage.c):
 * a function runs exactly once with its return value passed back, a
 * 50 MiB function is measured within tolerance, and the options
 * (max_usage, timestamps, timeout, children, streaming, backends) and
 * errors behave as the header says.  Nothing is timed: durations are only
 * bounded from below (a timeout is not cut short), and sample counts ask
 * only for what a busy machine still gives: one before and one after a
 * call, one while a call sleeps, one in a child alive 0.3 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kids.h"
#include "mprof.h"

#define MIB (1024 * 1024)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (long)s) * 1e9) };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static int calls;

static void *count_call(void *arg)
{
	calls++;
	return arg;
}

/* A 1 µs function runs once (memory_profiler would re-run it), and is
 * still sampled before and after; its return value comes back. */
static void test_runs_exactly_once(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	int tag;

	(void)state;
	calls = 0;
	assert_int_equal(mprof_memory_usage_call(count_call, &tag, &o, &u), 0);
	assert_int_equal(calls, 1);
	assert_ptr_equal(u.retval, &tag);
	assert_true(u.n >= 2);
	assert_int_equal(u.n, u.nsamples);
	assert_null(u.time);
	mprof_usage_free(&u);
	assert_null(u.mem);
}

/* Touches 50 MiB a page at a time over ~0.2 s and returns it. */
static void *alloc_50(void *arg)
{
	volatile char *p = malloc(50 * MIB);
	size_t i;

	(void)arg;
	assert_non_null(p);
	for (i = 0; i < 50 * MIB; i += 4096) {
		p[i] = 1;
		if (i % (5 * MIB) == 0)
			sleep_s(0.02);
	}
	return (void *)p;
}

/* The peak is the 50 MiB over the baseline, within 3 MiB; the samples
 * are taken before, during and after the call, at wall-clock times in
 * order within the call's. */
static void test_peak_50_mib(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	double t0;
	size_t i;

	(void)state;
	o.interval = 0.01;
	o.timestamps = 1;
	t0 = now();
	assert_int_equal(mprof_memory_usage_call(alloc_50, NULL, &o, &u), 0);
	assert_non_null(u.retval);
	assert_non_null(u.time);
	assert_true(u.n >= 3);
	assert_true(u.peak - u.mem[0] > 47 && u.peak - u.mem[0] < 53);
	for (i = 1; i < u.n; i++)
		assert_true(u.time[i] >= u.time[i - 1]);
	assert_true(u.time[0] >= t0 - 0.001 && u.time[u.n - 1] <= now() + 0.001);
	free(u.retval);
	mprof_usage_free(&u);
}

/* max_usage keeps the peak only. */
static void test_max_usage(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;

	(void)state;
	o.interval = 0.01;
	o.max_usage = 1;
	o.timestamps = 1;
	assert_int_equal(mprof_memory_usage_call(alloc_50, NULL, &o, &u), 0);
	assert_int_equal(u.n, 1);
	assert_true(u.nsamples >= 3);
	assert_true(u.mem[0] == u.peak);
	assert_true(u.time[0] == u.peak_time);
	assert_true(u.peak > 50);
	free(u.retval);
	mprof_usage_free(&u);
}

/* The current process without a timeout: one sample; with one: samples
 * for at least that long, never more often than the interval. */
static void test_self(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	double t0;

	(void)state;
	assert_int_equal(mprof_memory_usage_pid(0, NULL, &u), 0);
	assert_int_equal(u.n, 1);
	assert_true(u.mem[0] > 0.1);
	mprof_usage_free(&u);

	o.interval = 0.05;
	o.timeout = 0.3;
	t0 = now();
	assert_int_equal(mprof_memory_usage_pid(getpid(), &o, &u), 0);
	assert_true(u.n >= 2 && u.n <= 7);
	assert_true(now() - t0 >= 0.24);
	mprof_usage_free(&u);
}

/* Another process is sampled until it exits, then the call returns. */
static void test_pid_until_exit(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	pid_t pid = fork();
	double t0;

	(void)state;
	if (pid == 0) {
		sleep_s(0.4);
		_exit(0);
	}
	o.interval = 0.02;
	t0 = now();
	assert_int_equal(mprof_memory_usage_pid(pid, &o, &u), 0);
	assert_true(now() - t0 >= 0.3);
	assert_true(u.n >= 2);
	mprof_usage_free(&u);
	waitpid(pid, NULL, 0);
}

/* A pid that does not exist is ESRCH; bad options are EINVAL and the
 * function is not called. */
static void test_errors(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	pid_t pid = fork();

	(void)state;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	errno = 0;
	assert_int_equal(mprof_memory_usage_pid(pid, &o, &u), -1);
	assert_int_equal(errno, ESRCH);

	calls = 0;
	o.interval = -1;
	assert_int_equal(mprof_memory_usage_call(count_call, NULL, &o, &u), -1);
	assert_int_equal(errno, EINVAL);
	o.interval = 0.1;
	o.backend = (enum mprof_backend)42;
	assert_int_equal(mprof_memory_usage_call(count_call, NULL, &o, &u), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(mprof_memory_usage_call(NULL, NULL, NULL, &u), -1);
	assert_int_equal(calls, 0);
	mprof_usage_free(NULL);
}

/* Forks two children holding 20 MiB each for 0.3 s, and waits. */
static void *two_children(void *arg)
{
	pid_t kids[2];
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			volatile char *p = malloc(20 * MIB);
			size_t k;

			for (k = 0; k < 20 * MIB; k += 4096)
				p[k] = 1;
			sleep_s(0.3);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	return NULL;
}

/* multiprocess: a series per child with its own peak; include_children:
 * the children's memory is in the total. */
static void test_children(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u, solo;
	size_t i;

	(void)state;
	o.interval = 0.02;
	o.multiprocess = 1;
	o.include_children = 1;
	assert_int_equal(mprof_memory_usage_call(two_children, NULL, &o, &u), 0);
	assert_int_equal(u.nchildren, 2);
	for (i = 0; i < u.nchildren; i++) {
		double top = 0;
		size_t k;

		assert_true(u.children[i].pid > 0);
		assert_true(u.children[i].n >= 1);
		for (k = 0; k < u.children[i].n; k++)
			if (u.children[i].mem[k] > top)
				top = u.children[i].mem[k];
		if (!(top > 19 && top < 30))
			fail_msg("child %d peaked at %.1f MiB", (int)u.children[i].pid, top);
	}
	assert_int_equal(mprof_memory_usage_pid(0, NULL, &solo), 0);
	assert_true(u.peak > solo.mem[0] + 38);
	mprof_usage_free(&solo);
	mprof_usage_free(&u);
}

/*
 * A child that holds 20 MiB (touched) and has a child of its own, both
 * blocked until `go` is closed: their pids come back through `ready`.
 */
static pid_t hold_family(const int ready[2], const int go[2],
			 pid_t *grandchild)
{
	pid_t pids[2];
	char c;

	pids[0] = fork();
	if (pids[0] == 0) {
		close(go[1]);
		pid_t g = fork();

		if (g == 0) {
			(void)!read(go[0], &c, 1);
			_exit(0);
		}
		volatile char *p = malloc((size_t)20 << 20);
		for (size_t i = 0; p && i < (size_t)20 << 20; i += 4096)
			p[i] = 1;
		pids[1] = g;
		(void)!write(ready[1], &pids[1], sizeof pids[1]);
		(void)!read(go[0], &c, 1);
		waitpid(g, NULL, 0);
		_exit(p ? 0 : 1);
	}
	assert_true(pids[0] > 0);
	assert_int_equal(read(ready[0], grandchild, sizeof *grandchild),
			 sizeof *grandchild);
	return pids[0];
}

/* Whether `pid` is among the `n` pids found. */
static int found(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/*
 * kids.h: children and grandchildren are found from the children files
 * and by scanning /proc, into a fixed array with no grow function; their
 * figures add up to what mp_kids_total() gives: the child's 20 MiB and
 * more.
 */
static void test_kids(void **state)
{
	int ready[2], go[2];
	pid_t child, grandchild, pids[16];
	struct mp_kids k = { pids, 0, 16, NULL, 0 };
	int64_t page = sysconf(_SC_PAGESIZE), v, total;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	child = hold_family(ready, go, &grandchild);
	for (int files = 0; files < 2; files++) {
		k.child_files = files;
		if (files && !mp_kids_child_files(getpid()))
			continue;
		mp_kids_find(&k, getpid());
		assert_int_equal(k.n, 2);
		assert_true(found(pids, k.n, child));
		assert_true(found(pids, k.n, grandchild));
		assert_int_equal(pids[0], child);
	}
	k.cap = 1;
	mp_kids_find(&k, getpid());
	assert_int_equal(k.n, 1);
	assert_int_equal(mp_kids_figure(child, MPROF_RSS, page, &v), 0);
	assert_true(v >= (int64_t)20 << 20);
	total = mp_kids_total(getpid(), MPROF_RSS, page);
	assert_true(total >= v);
	close(go[1]);
	waitpid(child, NULL, 0);
	assert_int_equal(mp_kids_figure(child, MPROF_RSS, page, &v), 1);
	assert_int_equal(mp_kids_total(getpid(), MPROF_RSS, page), 0);
	close(go[0]);
	close(ready[0]);
	close(ready[1]);
}

static int streamed;

static int stop_after_3(void *ctx, const struct mprof_sample *s)
{
	(void)ctx;
	assert_true(s->mem > 0 && s->time > 1e9);
	return ++streamed == 3;
}

/* A stream callback sees every sample, nothing is stored, and a non-zero
 * return stops the sampling. */
static void test_stream(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;

	(void)state;
	streamed = 0;
	o.interval = 0.01;
	o.timeout = 5;
	o.stream = stop_after_3;
	assert_int_equal(mprof_memory_usage_pid(0, &o, &u), 0);
	assert_int_equal(streamed, 3);
	assert_int_equal(u.nsamples, 3);
	assert_int_equal(u.n, 0);
	assert_null(u.mem);
	assert_true(u.peak > 0);
	mprof_usage_free(&u);
}

/* pss, uss and vms read, and relate to rss as they should. */
static void test_backends(void **state)
{
	struct mprof_usage_opts o = MPROF_USAGE_OPTS_INIT;
	struct mprof_usage u;
	double v[4];
	int b;

	(void)state;
	for (b = MPROF_RSS; b <= MPROF_VMS; b++) {
		o.backend = (enum mprof_backend)b;
		assert_int_equal(mprof_memory_usage_pid(0, &o, &u), 0);
		v[b] = u.mem[0];
		mprof_usage_free(&u);
	}
	assert_true(v[MPROF_RSS] > 0);
	assert_true(v[MPROF_PSS] > 0 && v[MPROF_PSS] <= v[MPROF_RSS] + 1);
	assert_true(v[MPROF_USS] > 0 && v[MPROF_USS] <= v[MPROF_PSS] + 1);
	assert_true(v[MPROF_VMS] >= v[MPROF_RSS]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_exactly_once),
		cmocka_unit_test(test_peak_50_mib),
		cmocka_unit_test(test_max_usage),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_pid_until_exit),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_kids),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_backends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
