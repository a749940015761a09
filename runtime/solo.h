/* SPDX-License-Identifier: MIT */
/*
 * solo.h - whether the process may have more than one thread
 * (runtime/solo.c), so that shared counters can be updated without
 * locked instructions while it cannot.  The heap backend's total and
 * table and the rss backend's timed mode use it; the probes' line counts
 * do not need it (counts.h: one writer per counter).
 *
 * While mp_solo_state is MP_SOLO_ONE, exactly one thread -- the
 * owner -- runs the runtime's probes and accounting wrappers, so a
 * counter update may be a relaxed load and a relaxed store (plain moves
 * on x86, no lock prefix).  From MP_SOLO_MANY on, updates must be
 * atomic read-modify-writes.  The switch always happens-before a second
 * thread touches shared counters:
 *
 *   - pthread_create and thrd_create are wrapped (got.h) and switch before
 *     the new thread exists;
 *   - any other thread (clone(), libc's own helper threads) that reaches a
 *     slow path of the runtime while the state is still ONE calls
 *     mp_solo_stranger(), which switches and waits, with a membarrier,
 *     until the owner has left the probe or wrapper it may be in;
 *   - a runtime that starts in a process that already has threads, or
 *     without membarrier, starts in MANY.
 *
 * A forked child has one thread again: it starts over in ONE.
 */
#ifndef MP_SOLO_H
#define MP_SOLO_H

#include <stdbool.h>
#include <stdint.h>

enum {
	MP_SOLO_ONE,			/* the owner is the only thread */
	MP_SOLO_SWITCHING,		/* a stranger waits for the owner */
	MP_SOLO_MANY			/* atomic updates everywhere */
};

extern uint32_t mp_solo_state;

/* 1 in the owner thread (initial-exec TLS: cheap to test). */
extern __thread uint8_t mp_solo_owner __attribute__((tls_model("initial-exec")));

/* Whether the process is in the state ONE (the fast-path test): the
 * owner may then update counters with plain moves. */
static inline bool mp_solo(void)
{
	return __atomic_load_n(&mp_solo_state, __ATOMIC_RELAXED) ==
	       MP_SOLO_ONE;
}

/*
 * Start tracking: count the threads, make the calling thread the owner
 * and wrap thread creation.  Idempotent, thread-safe.
 */
void mp_solo_start(void);

/*
 * Called by a thread that found the state ONE in a slow path (first probe
 * entry, an accounting wrapper): if it is not the owner, switch to MANY
 * and return once the owner cannot be in the middle of a plain update.
 */
void mp_solo_stranger(void);

/* Fork child: the calling thread is alone, and the new owner. */
void mp_solo_atfork_child(void);

#endif /* MP_SOLO_H */
