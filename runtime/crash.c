/* SPDX-License-Identifier: MIT */
/*
 * crash.c - the report of a process that dies of SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL or SIGABRT (a failed assert): the tables, headed by the signal,
 * and the JSON profile, written from the signal handler; then the process
 * dies of the same signal as it would have, core dump included.
 *
 * The runtime's handler stays in the kernel's table for these signals.
 * What the program asks of sys_sigaction() and signal() for them goes through
 * (the GOT of every module calls the wrappers below), is kept here as the
 * program's action, and the runtime's handler is put back in front; when
 * one arrives the program's handler runs first, as it would have.
 * Only if the program's disposition is then the default one -- it had
 * none, or its handler reset it to SIG_DFL and re-raised, or returned to
 * a fault that recurs -- is the process about to die: the report is
 * written, SIG_DFL is put back and the signal raised again.  A program
 * that ignores one of them gets SIG_IGN in the kernel's table itself (it
 * then survives exec, as it would have).
 *
 * The report comes from crashenv.h's copy of the report code: no malloc,
 * no stdio, no lock that the stopped thread may hold (the registry's is
 * only tried).  One thread writes it; another thread that crashes
 * meanwhile waits for the end, and a crash inside the report kills the
 * process at once.  The thread that starts the runtime gets an alternate
 * signal stack, so a stack overflow on it still gets its report.
 */
#define _GNU_SOURCE
#define MP_CRASHENV_RENAME
#include "crashenv.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "got.h"
#include "internal.h"
#include "json.h"
#include "profile.h"
#include "rss.h"

#define ALTSTACK_SIZE	(256 * 1024)

static const struct {
	int sig;
	const char *name;
} fatal[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
	{ SIGILL, "SIGILL" }, { SIGABRT, "SIGABRT" },
};
#define NFATAL	(sizeof(fatal) / sizeof(fatal[0]))

static struct sigaction prog[NFATAL];	/* what the program asked for */
static int installed;			/* the handler is in the kernel's table */
static int reporter;			/* the thread writing the report, or 0 */

static int (*next_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*next_signal)(int, sighandler_t);

/*
 * The runtime's own sigaction calls.  Where the runtime is linked into
 * the program (libmprof.a), its calls go through the program's GOT, which
 * the wrappers below now hold: the definition is called directly then.
 */
static int sys_sigaction(int sig, const struct sigaction *act,
			 struct sigaction *old)
{
	int (*fn)(int, const struct sigaction *, struct sigaction *) =
		next_sigaction ? next_sigaction : sigaction;

	return fn(sig, act, old);
}

static int slot_of(int sig)
{
	for (unsigned i = 0; i < NFATAL; i++)
		if (fatal[i].sig == sig)
			return (int)i;
	return -1;
}

/* ---- the report --------------------------------------------------------- */

/*
 * The report so far, allocation-free (crashenv.h): the tables headed by
 * `head` (and, in a forked child, the line naming its parent) where the
 * report goes, and the JSON profile with "signal": `sig` (0: none).  A
 * death (`dying`) adds the notes of the end of a run after the tables; a
 * report written while the program runs on (the memory limit) leaves the
 * notes for the report at exit, and only its JSON profile's notes end
 * with `note` (one line, or NULL).
 */
static void write_report(const char *head, int sig, int dying,
			 const char *note)
{
	static const struct mp_collect_env env = {
		.add_func = mp_crash_profile_add_func,
		.grow = mp_crash_realloc,
		.release = mp_crash_free,
		.crashing = 1,
	};
	struct mp_report_opts opts = { .precision = mp_exit_precision() };
	struct mp_crash_file *out, *json, *notes_json;
	struct mp_json_meta m;
	struct mp_profile p;
	pid_t parent = mp_exit_parent();
	size_t notes_len;
	const char *notes;
	char line[128];
	long n;
	int fd;

	mp_crash_profile_init(&p);
	n = mp_registry_collect_with(&p, &env);
	if (n > 0)
		mp_crash_profile_merge(&p);
	if (dying)
		mp_exit_notes(1);

	fd = mp_jsonout_open();
	if (fd >= 0 && n >= 0 && (json = mp_crash_memfile())) {
		mp_jsonout_meta(&m, parent);
		m.signal = sig;
		if (note && (notes_json = mp_crash_memfile())) {
			mp_crash_fwrite(m.notes, 1, m.notes_len, notes_json);
			mp_crash_fputs(note, notes_json);
			mp_crash_fputs("\n", notes_json);
			m.notes = notes_json->buf;
			m.notes_len = notes_json->len;
		}
		if (mp_crash_json_write(json, &p, &m) == 0)
			mp_sys_write_all(fd, json->buf, json->len);
	}
	if (fd > STDERR_FILENO)
		close(fd);

	if (!(out = mp_crash_memfile()))
		return;
	if (n > 0 || !dying) {
		if (parent) {
			snprintf(line, sizeof(line), "Process %ld (child of %ld)\n\n",
				 (long)getpid(), (long)parent);
			mp_crash_fputs(line, out);
		}
		mp_crash_fputs(head, out);
		if (n > 0)
			mp_crash_report_print(out, &p, &opts);
	}
	if (dying) {
		notes = mp_notes_pending(&notes_len);
		mp_crash_fwrite(notes, 1, notes_len, out);
	}
	if (out->len)
		mp_exit_emit_raw(out->buf, out->len);
}

/* The tables, headed by the signal, then the notes; the JSON profile with
 * "signal". */
static void report(int sig)
{
	char head[64];

	snprintf(head, sizeof(head), "Process died of signal %d (%s)\n\n",
		 sig, fatal[slot_of(sig)].name);
	write_report(head, sig, 1, NULL);
}

/*
 * Make thread `me` the one writing a report (the arena is not shared):
 * 1 when it now is, 0 when it already was (a crash inside the report),
 * -1 when another thread is.
 */
static int claim(pid_t me)
{
	int expected = 0;

	if (__atomic_compare_exchange_n(&reporter, &expected, me, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 1;
	return expected == me ? 0 : -1;
}

/* The next SIGABRT's report was written already (mp_crash_report_now). */
static int abort_reported;

/* The report of MPROF_LIMIT (limit.c): skipped while a crash is being
 * reported; another thread's crash meanwhile waits for its end. */
void mp_crash_report_now(const char *line, int then_abort)
{
	struct mp_crash_file *head;

	if (claim((pid_t)syscall(SYS_gettid)) != 1)
		return;
	head = mp_crash_memfile();
	if (head) {
		mp_crash_fputs(line, head);
		mp_crash_fputs("\n\n", head);
		if (mp_crash_putc('\0', head) != EOF)
			write_report(head->buf, then_abort ? SIGABRT : 0, 0,
				     line);
	}
	if (then_abort)
		__atomic_store_n(&abort_reported, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&reporter, 0, __ATOMIC_RELEASE);
}

/*
 * The process dies of `sig`: write the report (one thread, once), put the
 * default action back and raise the signal again; it is delivered when
 * the handler unblocks it, before the faulting instruction could run
 * again.
 */
static void die(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct timespec ms = { 0, 1000000 };
	pid_t me = (pid_t)syscall(SYS_gettid);
	sigset_t set;
	int c;

	/* Another thread's crash report ends the process; a limit report
	   ends and lets this one go on. */
	while ((c = claim(me)) < 0)
		nanosleep(&ms, NULL);
	if (c == 1) {
		mp_probe_hold();
		if (sig != SIGABRT ||
		    !__atomic_exchange_n(&abort_reported, 0, __ATOMIC_ACQ_REL))
			report(sig);
	}
	sigemptyset(&dfl.sa_mask);
	sys_sigaction(sig, &dfl, NULL);
	syscall(SYS_tgkill, getpid(), me, sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- the handler -------------------------------------------------------- */

/* Run the program's handler for `sig` as the kernel would have. */
static void run_program_handler(int k, int sig, siginfo_t *info, void *uc)
{
	struct sigaction a = prog[k];
	sigset_t mask = a.sa_mask, old, self;

	if (a.sa_flags & SA_RESETHAND) {
		prog[k].sa_handler = SIG_DFL;
		prog[k].sa_flags &= ~SA_SIGINFO;
	}
	sigemptyset(&self);
	sigaddset(&self, sig);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	if (a.sa_flags & SA_NODEFER)
		pthread_sigmask(SIG_UNBLOCK, &self, NULL);
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, info, uc);
	else
		a.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void on_fatal(int sig, siginfo_t *info, void *uc)
{
	int saved = errno, k = slot_of(sig);
	sighandler_t h;

	if (k < 0)
		return;
	/* An inline event's read of a parent's ring in a forked child. */
	if (sig == SIGSEGV && info && info->si_code == SEGV_MAPERR &&
	    mp_rss_fault(info->si_addr)) {
		errno = saved;
		return;
	}
	h = prog[k].sa_handler;
	if (h != SIG_DFL && h != SIG_IGN) {
		run_program_handler(k, sig, info, uc);
		h = prog[k].sa_handler;
	}
	if (h == SIG_DFL || (h == SIG_IGN && info && info->si_code > 0))
		die(sig);
	errno = saved;
}

/* ---- sys_sigaction() and signal() of the program ---------------------------- */

static int install_one(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_fatal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	return sys_sigaction(sig, &sa, NULL);
}

/*
 * After the program's sys_sigaction() or signal() call went through to libc
 * (or to a sanitizer's interceptor, which may refuse it): what the
 * kernel's table now holds for slot k's signal is the program's action;
 * the runtime's handler goes back in front of it unless it is SIG_IGN.
 * If the table still holds the runtime's handler, the call changed
 * nothing.  Passing the call through keeps its checks and its refusals.
 */
static void take_back(int k)
{
	struct sigaction cur;
	int sig = fatal[k].sig;

	if (sys_sigaction(sig, NULL, &cur) < 0 ||
	    ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fatal))
		return;
	prog[k] = cur;
	if (cur.sa_handler != SIG_IGN)
		install_one(sig);
}

static int sigaction_hook(int sig, const struct sigaction *act,
			  struct sigaction *old)
{
	int k = slot_of(sig);
	struct sigaction prev;

	if (k < 0 || !__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return next_sigaction(sig, act, old);
	prev = prog[k];
	if (act) {
		if (next_sigaction(sig, act, NULL) < 0)
			return -1;
		take_back(k);
	}
	if (old)
		*old = prev;
	return 0;
}

/* signal() and its variants: the same, through the function called. */
static sighandler_t signal_common(sighandler_t (*fn)(int, sighandler_t),
				  int sig, sighandler_t h)
{
	int k = slot_of(sig);
	sighandler_t prev;

	if (k < 0 || !__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return fn(sig, h);
	prev = prog[k].sa_handler;
	if (fn(sig, h) == SIG_ERR)
		return SIG_ERR;
	take_back(k);
	return prev;
}

static sighandler_t (*next_sysv_signal)(int, sighandler_t);
static sighandler_t (*next_bsd_signal)(int, sighandler_t);
static sighandler_t (*next_sysv_signal_)(int, sighandler_t);

static sighandler_t signal_hook(int sig, sighandler_t h)
{
	return signal_common(next_signal, sig, h);
}

static sighandler_t sysv_signal_hook(int sig, sighandler_t h)
{
	return signal_common(next_sysv_signal, sig, h);
}

static sighandler_t sysv_signal__hook(int sig, sighandler_t h)
{
	return signal_common(next_sysv_signal_, sig, h);
}

static sighandler_t bsd_signal_hook(int sig, sighandler_t h)
{
	return signal_common(next_bsd_signal, sig, h);
}

/* __sysv_signal is what signal() becomes under strict X/Open. */
static const struct mp_got_hook hooks[] = {
	{ "sigaction", (void *)sigaction_hook, (void **)&next_sigaction },
	{ "signal", (void *)signal_hook, (void **)&next_signal },
	{ "sysv_signal", (void *)sysv_signal_hook, (void **)&next_sysv_signal },
	{ "__sysv_signal", (void *)sysv_signal__hook,
	  (void **)&next_sysv_signal_ },
	{ "bsd_signal", (void *)bsd_signal_hook, (void **)&next_bsd_signal },
};

/* An alternate stack for this thread, unless it has one. */
static void altstack(void)
{
	stack_t ss, cur;

	if (sigaltstack(NULL, &cur) < 0 || !(cur.ss_flags & SS_DISABLE))
		return;
	ss.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
}

/*
 * Take over the fatal signals: what the program installed so far becomes
 * its recorded action, and the wrappers keep the later ones (no module
 * calling sigaction or signal now: none to wrap).  Where GOT slots cannot
 * be wrapped (a static program) nothing is installed: a handler the
 * program set later would silently replace the runtime's anyway.
 */
void mp_crash_setup(void)
{
	struct sigaction cur;

	if (mp_got_install(hooks, sizeof(hooks) / sizeof(hooks[0])) < 0)
		return;
	altstack();
	for (unsigned i = 0; i < NFATAL; i++) {
		if (sys_sigaction(fatal[i].sig, NULL, &cur) < 0)
			continue;
		prog[i] = cur;
		if (cur.sa_handler != SIG_IGN)
			install_one(fatal[i].sig);
	}
	__atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
}
