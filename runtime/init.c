/* SPDX-License-Identifier: MIT */
/*
 * init.c - lazy initialisation of the runtime, its fork handlers, and
 * __mprof_bind(), through which every instrumented unit starts it.
 *
 * The first call of any entry point (__mprof_bind from a module's
 * constructor, or a probe) initialises the runtime: settings, backend,
 * report destination, the at-exit report and the fork handlers.  Nothing
 * relies on a constructor of the runtime's own having run: the plugin's
 * constructors, and user constructors with a low priority, can run first.
 * pthread_once makes it thread-safe; the thread's probes are held while it
 * runs, so an instrumented malloc reached from here cannot re-enter it.
 *
 * A forked child starts with empty tables and its own labelled report; its
 * one thread keeps its shadow stack, whose frames are still live.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "allocs.h"
#include "internal.h"
#include "solo.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;			/* init_once() has completed */
static pid_t self;			/* this process, as last seen */
static uint32_t abi_mismatches;		/* probe tables refused */
static uint32_t abi_seen;		/* version of the last one refused */

static void atfork_child(void)
{
	pid_t parent = self;

	self = getpid();
	mp_solo_atfork_child();
	mp_registry_atfork_child();
	mp_registry_zero();
	mp_backend_atfork_child();
	mp_probe_atfork_child();
	mp_allocs_atfork_child();
	__atomic_store_n(&abi_mismatches, 0, __ATOMIC_RELAXED);
	mp_exit_atfork_child(parent);
}

static void init_once(void)
{
	static struct mp_settings s;
	int i;

	mp_settings_parse(&s, secure_getenv);
	for (i = 0; i < s.nwarn; i++)
		mp_sys_warn("%s", s.warn[i]);
	self = getpid();
	mp_prefault_module((const void *)mp_init);	/* the runtime's own */
	mp_probe_init();
	mp_solo_start();
	mp_backend_exact(s.exact);
	mp_backend_children(s.include_children);
	mp_backend_choose(s.backend);
	mp_allocs_setup(s.columns);
	mp_exit_setup(&s);
	mp_crash_setup();
	mp_limit_setup(&s);
	pthread_atfork(mp_registry_atfork_prepare, mp_registry_atfork_parent,
		       atfork_child);
	atexit(mp_exit_report);
}

void mp_init(void)
{
	unsigned held;
	int saved;

	if (MP_LIKELY(__atomic_load_n(&ready, __ATOMIC_ACQUIRE)))
		return;
	held = mp_probe_hold();
	saved = errno;
	pthread_once(&once, init_once);
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	errno = saved;
	mp_probe_release(held);
}

/*
 * A unit's constructor hands its probe table here (runtime/mprof_abi.h):
 * the probes go in, or, for a table of another ABI version, nothing does
 * and the mismatch is a note at exit.
 */
__attribute__((visibility("default")))
void __mprof_bind(struct __mprof_probes *tab)
{
	int saved = errno;

	mp_init();
	if (!tab) {
		errno = saved;
		return;
	}
	mp_prefault_module(tab);	/* the unit's module: prefault.c */
	if (tab->version != MPROF_ABI_VERSION) {
		__atomic_store_n(&abi_seen, tab->version, __ATOMIC_RELAXED);
		__atomic_fetch_add(&abi_mismatches, 1, __ATOMIC_RELAXED);
	} else {
		tab->enter = __mprof_enter;
		tab->line = __mprof_line;
		tab->exit = __mprof_exit;
		tab->quiet_exit = __mprof_quiet_exit;
		tab->line_slow = mp_line_slow_entry();
		mp_patterns_bind(tab->functions);
		if (mp_funclog_active())
			mp_funclog_wrap(&tab->enter, &tab->exit);
	}
	errno = saved;
}

uint32_t mp_init_abi_mismatches(uint32_t *version)
{
	if (version)
		*version = __atomic_load_n(&abi_seen, __ATOMIC_RELAXED);
	return __atomic_load_n(&abi_mismatches, __ATOMIC_RELAXED);
}
