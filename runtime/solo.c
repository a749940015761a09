/* SPDX-License-Identifier: MIT */
/*
 * solo.c - the one-thread / many-threads state of solo.h, which
 * lets the probes and the heap backend update shared counters with plain
 * moves while the process has a single thread.
 *
 * The state only ever goes ONE -> (SWITCHING ->) MANY, except in a forked
 * child, which starts over.  The owner is the thread that started the
 * tracking in a one-thread process; its flags (probe busy, mp_got_busy)
 * tell a stranger when the owner cannot be in the middle of a plain
 * update.  membarrier(PRIVATE_EXPEDITED) makes the owner's next probe see
 * the new state without the owner paying for a fence on every probe: after
 * it returns, any update the owner started with the old state is visible
 * as its busy flag, and any later one reads the new state.
 */
#define _GNU_SOURCE
#include "solo.h"

#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <threads.h>
#include <unistd.h>

#include "got.h"
#include "internal.h"
#include "invariant.h"

uint32_t mp_solo_state = MP_SOLO_MANY;
__thread uint8_t mp_solo_owner __attribute__((tls_model("initial-exec")));

/*
 * How long a stranger waits for the owner to leave a probe or wrapper.  A
 * probe takes nanoseconds; the bound only matters if the owner blocks
 * inside one (a wrapper calling into libc that waits for a lock the
 * stranger holds): past it, a rare lost update beats a deadlock.
 */
#define STRANGER_SPINS	100000

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t owner_key;
static const unsigned *owner_probe_busy;
static const int *owner_got_busy;

static void *next_pthread_create, *next_thrd_create;

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/* Threads of this process, from /proc/self/status; 0 when unknown. */
static long count_threads(void)
{
	char buf[4096];
	uint64_t n = 0;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (mp_sys_pread(fd, buf, sizeof buf) <= 0 ||
	    mp_sys_proc_field(buf, "Threads:", &n) < 0)
		n = 0;
	close(fd);
	return (long)n;
}

/* Make the calling thread the owner of a one-thread process, if it can be. */
static void own(void)
{
	uint32_t state = MP_SOLO_MANY;

	if (count_threads() == 1 &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
		mp_solo_owner = 1;
		__atomic_store_n(&owner_probe_busy, mp_probe_busy_flag(),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&owner_got_busy, &mp_got_busy, __ATOMIC_RELAXED);
		pthread_setspecific(owner_key, &owner_key);
		state = MP_SOLO_ONE;
	}
	__atomic_store_n(&mp_solo_state, state, __ATOMIC_SEQ_CST);
	/* ONE is only ever entered here, with the calling thread as owner */
	MP_ASSERT(state == MP_SOLO_MANY || mp_solo_owner);
}

/* Called before a thread is created: whoever creates it, switch first. */
static void going_many(void)
{
	if (__atomic_load_n(&mp_solo_state, __ATOMIC_ACQUIRE) == MP_SOLO_MANY)
		return;
	if (mp_solo_owner)
		__atomic_store_n(&mp_solo_state, MP_SOLO_MANY,
				 __ATOMIC_RELEASE);
	else
		mp_solo_stranger();
	/* the new thread must find atomic updates in force */
	MP_ASSERT(__atomic_load_n(&mp_solo_state, __ATOMIC_ACQUIRE) ==
		  MP_SOLO_MANY);
}

static int pthread_create_hook(pthread_t *t, const pthread_attr_t *attr,
			       void *(*fn)(void *), void *arg)
{
	int (*next)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
		    void *) = next_pthread_create;

	going_many();
	return next(t, attr, fn, arg);
}

static int thrd_create_hook(thrd_t *t, thrd_start_t fn, void *arg)
{
	int (*next)(thrd_t *, thrd_start_t, void *) = next_thrd_create;

	going_many();
	return next(t, fn, arg);
}

/*
 * The owner thread exits (pthread_exit while threads made behind the
 * runtime's back live on): its flags are about to be freed, so nobody may
 * wait on them any more.
 */
static void owner_gone(void *unused)
{
	uint32_t s;

	(void)unused;
	for (;;) {
		s = MP_SOLO_ONE;
		if (__atomic_compare_exchange_n(&mp_solo_state, &s,
						MP_SOLO_MANY, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST) ||
		    s == MP_SOLO_MANY)
			break;
		sched_yield();
	}
	mp_solo_owner = 0;
}

static void start_once(void)
{
	static const struct mp_got_hook hooks[] = {
		{ "pthread_create", (void *)pthread_create_hook,
		  &next_pthread_create },
		{ "thrd_create", (void *)thrd_create_hook, &next_thrd_create },
	};

	if (pthread_key_create(&owner_key, owner_gone))
		return;
	/* Wrapped first, counted second: a thread made in between is seen. */
	if (mp_got_install(hooks, sizeof hooks / sizeof hooks[0]) < 0)
		return;
	own();
}

void mp_solo_start(void)
{
	pthread_once(&once, start_once);
}

void mp_solo_stranger(void)
{
	const unsigned *pb;
	const int *gb;
	uint32_t s = MP_SOLO_ONE;

	if (mp_solo_owner)
		return;
	if (!__atomic_compare_exchange_n(&mp_solo_state, &s,
					 MP_SOLO_SWITCHING, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		while (__atomic_load_n(&mp_solo_state, __ATOMIC_ACQUIRE) ==
		       MP_SOLO_SWITCHING)
			sched_yield();
		return;
	}
	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	pb = __atomic_load_n(&owner_probe_busy, __ATOMIC_RELAXED);
	gb = __atomic_load_n(&owner_got_busy, __ATOMIC_RELAXED);
	for (int i = 0; i < STRANGER_SPINS &&
			((pb && __atomic_load_n(pb, __ATOMIC_ACQUIRE)) ||
			 (gb && __atomic_load_n(gb, __ATOMIC_ACQUIRE)));
	     i++)
		sched_yield();
	/* only this stranger leaves SWITCHING, and never back to ONE */
	MP_ASSERT(__atomic_load_n(&mp_solo_state, __ATOMIC_ACQUIRE) !=
		  MP_SOLO_ONE);
	__atomic_store_n(&mp_solo_state, MP_SOLO_MANY, __ATOMIC_SEQ_CST);
}

void mp_solo_atfork_child(void)
{
	if (!next_pthread_create)
		return;
	/* The child's mm has no membarrier registration of its own yet. */
	own();
}
