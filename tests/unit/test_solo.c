/* SPDX-License-Identifier: MIT */
/*
 * test_solo.c - the one-thread / many-threads state (runtime/solo.c,
 * solo.h): a runtime that starts in a process that already has threads
 * starts in MANY; a forked child starts over in ONE with the calling
 * thread as owner; pthread_create and thrd_create switch to MANY before
 * the new thread runs; a thread made behind the runtime's back (the real
 * pthread_create, called through a pointer from dlsym) leaves the state
 * ONE until it calls mp_solo_stranger(), which switches, waits while the
 * owner is busy, and gives up waiting after a bound rather than deadlock;
 * the owner calling it changes nothing; an owner that exits leaves MANY.
 *
 * The state only goes back to ONE in a forked child, so every scenario
 * but the first runs in a child, which exits with 0 or the number of the
 * check that failed.  sched_yield() is defined here, so the runtime's
 * calls count how long a stranger waited (per thread).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <threads.h>
#include <unistd.h>
#include <cmocka.h>

#include "got.h"
#include "helpers.h"
#include "solo.h"

static __thread unsigned long yields;

/* The runtime's sched_yield (solo.c is linked into this program). */
int sched_yield(void)
{
	yields++;
	return (int)syscall(SYS_sched_yield);
}

static unsigned state(void)
{
	return __atomic_load_n(&mp_solo_state, __ATOMIC_ACQUIRE);
}

/* pthread_create as libc has it, not through this program's GOT slot,
 * which the runtime rewrites: a thread the runtime does not see made. */
static int raw_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
		    void *);

	*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real ? real(t, NULL, fn, arg) : -1;
}

static int (*scenario)(void);

static int start_over(void)
{
	mp_solo_atfork_child();
	return scenario();
}

/* Run `body` in a forked child, where the calling thread is alone and
 * the owner again; its status. */
static int fresh_child(int (*body)(void))
{
	scenario = body;
	return run_child(start_over);
}

/* ---- the first start, in this process -------------------------------- */

static int go;

static void *wait_for_go(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		syscall(SYS_sched_yield);
	return NULL;
}

/* Started with a second thread alive: MANY, and no owner.  Starting again
 * changes nothing. */
static void test_start_with_threads(void **state_)
{
	pthread_t t;

	(void)state_;
	assert_int_equal(state(), MP_SOLO_MANY);
	assert_int_equal(raw_create(&t, wait_for_go, NULL), 0);
	mp_solo_start();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(state(), MP_SOLO_MANY);
	assert_false(mp_solo());
	assert_int_equal(mp_solo_owner, 0);
	mp_solo_start();
	assert_int_equal(state(), MP_SOLO_MANY);
}

/* ---- forked children --------------------------------------------------- */

static int alone(void)
{
	if (state() != MP_SOLO_ONE || !mp_solo())
		return 1;
	if (mp_solo_owner != 1)
		return 2;
	mp_solo_stranger();		/* the owner: nothing happens */
	if (state() != MP_SOLO_ONE)
		return 3;
	return 0;
}

/* A forked child starts over: ONE, the calling thread the owner, which
 * calling mp_solo_stranger() does not switch. */
static void test_child_starts_over(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(alone), 0);
}

static unsigned seen_state;
static uint8_t seen_owner;

static void *record(void *arg)
{
	(void)arg;
	seen_state = state();
	seen_owner = mp_solo_owner;
	return NULL;
}

static int record_thrd(void *arg)
{
	record(arg);
	return 0;
}

static int via_pthread_create(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, record, NULL) || pthread_join(t, NULL))
		return 1;
	if (seen_state != MP_SOLO_MANY)
		return 2;
	if (seen_owner != 0)
		return 3;
	if (mp_solo() || mp_solo_owner != 1)
		return 4;
	return 0;
}

static int via_thrd_create(void)
{
	thrd_t t;

	if (thrd_create(&t, record_thrd, NULL) != thrd_success ||
	    thrd_join(t, NULL) != thrd_success)
		return 1;
	return seen_state == MP_SOLO_MANY ? 0 : 2;
}

/* pthread_create and thrd_create switch to MANY before the new thread
 * runs its first instruction. */
static void test_create_switches_first(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(via_pthread_create), 0);
	assert_int_equal(fresh_child(via_thrd_create), 0);
}

/* A child of a process in MANY starts over in ONE too. */
static int many_then_fork(void)
{
	int rc = via_pthread_create();

	if (rc)
		return rc;
	return fresh_child(alone) == 0 ? 0 : 10;
}

static void test_grandchild_starts_over(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(many_then_fork), 0);
}

/* What the stranger thread found. */
struct stranger {
	unsigned before;		/* the state when it started */
	unsigned after;			/* when mp_solo_stranger() returned */
	int released_then;		/* the owner had left its work by then */
	unsigned long yields;		/* how long it waited */
	uint8_t owner;			/* its mp_solo_owner */
};

static struct stranger st;
static int released;

static void *stranger(void *arg)
{
	(void)arg;
	st.before = state();
	st.owner = mp_solo_owner;
	mp_solo_stranger();
	st.after = state();
	st.released_then = __atomic_load_n(&released, __ATOMIC_ACQUIRE);
	st.yields = yields;
	return NULL;
}

/* A thread the runtime did not see made: ONE until it calls
 * mp_solo_stranger(), MANY after. */
static int stranger_switches(void)
{
	pthread_t t;

	if (raw_create(&t, stranger, NULL) || pthread_join(t, NULL))
		return 1;
	if (st.before != MP_SOLO_ONE || st.owner != 0)
		return 2;
	if (st.after != MP_SOLO_MANY || state() != MP_SOLO_MANY)
		return 3;
	return 0;
}

static void test_stranger_switches(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(stranger_switches), 0);
}

/*
 * The owner is inside the runtime (mp_got_busy): the stranger switches to
 * SWITCHING and waits until the owner has left before it makes the state
 * MANY -- unless it spun so long that it gave up, which its yields show.
 */
static int stranger_waits(void)
{
	pthread_t t;

	mp_got_busy = 1;
	if (raw_create(&t, stranger, NULL))
		return 1;
	while (state() == MP_SOLO_ONE)
		syscall(SYS_sched_yield);
	__atomic_store_n(&released, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&mp_got_busy, 0, __ATOMIC_RELEASE);
	if (pthread_join(t, NULL))
		return 3;
	if (st.after != MP_SOLO_MANY)
		return 4;
	if (!st.released_then && st.yields < 1000)
		return 5;
	return 0;
}

static void test_stranger_waits_for_owner(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(stranger_waits), 0);
}

/* An owner that never leaves: the stranger still returns, MANY. */
static int owner_stuck(void)
{
	pthread_t t;

	mp_got_busy = 1;
	if (raw_create(&t, stranger, NULL) || pthread_join(t, NULL))
		return 1;
	if (st.after != MP_SOLO_MANY || st.released_then)
		return 2;
	return st.yields > 0 ? 0 : 3;
}

static void test_stranger_gives_up(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(owner_stuck), 0);
}

/* The owner exits while a thread made behind the runtime's back lives on:
 * nobody may wait on its flags any more, so MANY. */
static pthread_t owner_thread;

static void *outlive_owner(void *arg)
{
	(void)arg;
	if (pthread_join(owner_thread, NULL))
		_exit(1);
	_exit(state() == MP_SOLO_MANY ? 0 : 2);
}

static int owner_exits(void)
{
	pthread_t t;

	owner_thread = pthread_self();
	if (raw_create(&t, outlive_owner, NULL))
		return 3;
	if (state() != MP_SOLO_ONE)
		return 4;
	pthread_exit(NULL);
}

static void test_owner_exits(void **state_)
{
	(void)state_;
	assert_int_equal(fresh_child(owner_exits), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_with_threads),
		cmocka_unit_test(test_child_starts_over),
		cmocka_unit_test(test_create_switches_first),
		cmocka_unit_test(test_grandchild_starts_over),
		cmocka_unit_test(test_stranger_switches),
		cmocka_unit_test(test_stranger_waits_for_owner),
		cmocka_unit_test(test_stranger_gives_up),
		cmocka_unit_test(test_owner_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
