/* SPDX-License-Identifier: MIT */
/*
 * preload.c - libmprof_lines.so, the heap backend of `mprof lines`: the
 * command puts it in LD_PRELOAD and gives it a pipe (MPROF_LINES_FD); it
 * wraps malloc, calloc, realloc, reallocarray, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc, forwards each call to
 * glibc's own (__libc_malloc & co.: no dlsym, which may allocate), and
 * writes one fixed-size event per call into the pipe (record.h): the
 * block, its size, the address that called and the return addresses of
 * the program's own code on the stack, for the recorder to charge the
 * program's line and its callers' lines (unwind.h), tail calls found
 * back (preload_tail.c).
 *
 * Rules: nothing here allocates (events are built on the stack, the text
 * ranges live in static storage; libgcc's unwinder is readied at start);
 * no lock is taken but dl_iterate_phdr's, when new code appears, so fork,
 * threads and signal handlers cannot deadlock on it; a
 * call made while the thread is already inside a wrapper (a signal
 * handler that mallocs, dl_iterate_phdr's own needs) is forwarded
 * unrecorded; errno is what glibc's call left.  Each event is one write()
 * of less than PIPE_BUF bytes, so events of threads and processes sharing
 * the pipe never interleave.  When the pipe is gone (the recorder ended)
 * the program runs on unrecorded: a process mprof does not wait for (a
 * forked child) writes with SIGPIPE blocked (put()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"
#include "record.h"
#include "sysdirs.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* libgcc's unwinder (libgcc_s, which glibc's backtrace() loads too):
   each frame's address and the start of its function, from the CFI. */
struct _Unwind_Context;
typedef int (*unwind_trace_fn)(struct _Unwind_Context *, void *);
extern int _Unwind_Backtrace(unwind_trace_fn, void *);
extern uintptr_t _Unwind_GetIP(struct _Unwind_Context *);
extern uintptr_t _Unwind_GetRegionStart(struct _Unwind_Context *);

/* Frames the unwinder may give, the wrappers' own included. */
#define BACKTRACE_MAX 48
#define MAX_RANGES 512

static int out_fd = -1;
/* Executable ranges of the loaded objects, double-buffered: a rebuild
   fills the other table and publishes it with one store. */
static struct mp_preload_range ranges[2][MAX_RANGES];
static int nranges[2];
static int cur;
static int rebuilding;

static uint32_t last_pid, last_ppid;

static TLS int busy;

/* code.c's rule; "" is the program itself. */
static int is_system(const char *path)
{
	if (!path || !path[0])
		return 0;
	return path[0] != '/' || mp_sysdirs_has(path);	/* linux-vdso.so.1 */
}

static int add_range(struct dl_phdr_info *info, size_t size, void *data)
{
	int *n = data, t = !__atomic_load_n(&cur, __ATOMIC_ACQUIRE), i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum && *n < MAX_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		ranges[t][*n].lo = info->dlpi_addr + ph->p_vaddr;
		ranges[t][*n].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		/* this library's own code is never the program's */
		ranges[t][*n].system = is_system(info->dlpi_name) ||
			((uintptr_t)add_range >= ranges[t][*n].lo &&
			 (uintptr_t)add_range < ranges[t][*n].hi);
		(*n)++;
	}
	return 0;
}

/* Rebuild the ranges (one thread at a time; the others keep the old). */
static void rebuild(void)
{
	int n = 0;

	if (__atomic_exchange_n(&rebuilding, 1, __ATOMIC_ACQUIRE))
		return;
	dl_iterate_phdr(add_range, &n);
	nranges[!cur] = n;
	mp_preload_tail_forget();	/* code may have moved */
	__atomic_store_n(&cur, !cur, __ATOMIC_RELEASE);
	__atomic_store_n(&rebuilding, 0, __ATOMIC_RELEASE);
}

const struct mp_preload_range *mp_preload_in_text(uintptr_t a)
{
	int t = __atomic_load_n(&cur, __ATOMIC_ACQUIRE), i;

	for (i = 0; i < nranges[t]; i++)
		if (a >= ranges[t][i].lo && a < ranges[t][i].hi)
			return &ranges[t][i];
	return NULL;
}

/* This process is the one `mprof lines` started (MPROF_LINES_PID): the
   recorder reads the pipe for as long as it runs. */
static int direct;

/*
 * Write n bytes of b into the pipe, retrying on EINTR.  A process the
 * recorder may outlive (a child left running when the program ends)
 * writes with SIGPIPE blocked, and takes back the SIGPIPE its write
 * raised: the closed pipe must not kill it (EPIPE then stops the
 * recording).  The process mprof started needs not: mprof waits for it.
 */
static long put(const void *b, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	int was = 1;
	long rc;

	if (!direct) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		if (!sigpending(&pending))
			was = sigismember(&pending, SIGPIPE);
	}
	do
		rc = syscall(SYS_write, out_fd, b, n);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 && errno == EPIPE)
		out_fd = -1;
	if (!direct) {
		if (rc < 0 && errno == EPIPE && !was)
			sigtimedwait(&pipe_set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return rc;
}

/* Write a note (record.h) for this process. */
static void note(uint64_t which)
{
	struct mp_heap_event m;

	memset(&m, 0, sizeof m);
	m.pid = (uint32_t)syscall(SYS_getpid);
	m.ppid = (uint32_t)syscall(SYS_getppid);
	m.size = which;
	put(&m, MP_HEAP_EVENT_SIZE(0));
}

/* The unwinder's frames: each one's address and its function's start. */
struct walk {
	int n;
	uintptr_t ip[BACKTRACE_MAX], func[BACKTRACE_MAX];
};

static int walk_frame(struct _Unwind_Context *ctx, void *data)
{
	struct walk *w = data;

	if (w->n == BACKTRACE_MAX)
		return 5;	/* _URC_END_OF_STACK */
	w->ip[w->n] = _Unwind_GetIP(ctx);
	w->func[w->n] = _Unwind_GetRegionStart(ctx);
	w->n++;
	return 0;
}

/*
 * Fill the event's pid and frames and write it.  The frames are the
 * return addresses of the program's own code on the stack, found by
 * libgcc's unwinder from the CFI (exact: a stale value on the stack
 * never passes for a caller): the line that called, even from inside a
 * system library (strdup, printf's buffer), and the lines that called
 * it, each charged the call as the plugin charges a call line.  Where a
 * frame's call went to a function that is not the one running below it,
 * that function made a tail call, and its jump goes in between
 * (preload_tail.c): at the wrapper (free(p) as a function's last act) or
 * further out (a helper that ends by calling another).
 */
static void send(struct mp_heap_event *e, uintptr_t ra)
{
	int saved = errno, k;
	const struct mp_preload_range *r;
	struct walk w;
	size_t n = 0;

	e->pid = (uint32_t)syscall(SYS_getpid);
	if (e->pid != last_pid) {	/* a fork: say whose child it is */
		last_pid = e->pid;
		last_ppid = (uint32_t)syscall(SYS_getppid);
	}
	e->ppid = last_ppid;
	e->ip = ra;
	if (!mp_preload_in_text(ra)) {
		/* code mapped since the last look: tell the recorder */
		rebuild();
		note(MP_HEAP_NOTE_MAPPED);
	}
	w.n = 0;
	_Unwind_Backtrace(walk_frame, &w);
	for (k = 0; k < w.n && n < MP_HEAP_FRAMES; k++) {
		uintptr_t a = w.ip[k], j[2];
		int nj, i;

		r = mp_preload_in_text(a);
		if (!r || r->system)
			continue;
		nj = k ? mp_preload_tail_jumps(a, w.func[k - 1], e->pid, j) : 0;
		if (nj && a == ra && !n)
			e->ip = j[0];	/* the wrapper's own caller */
		for (i = 0; i < nj && n < MP_HEAP_FRAMES; i++)
			e->frames[n++] = j[i];
		if (n < MP_HEAP_FRAMES)
			e->frames[n++] = a;
	}
	e->nframes = (uint32_t)n;
	put(e, MP_HEAP_EVENT_SIZE(n));	/* the frames used only */
	errno = saved;
}

/* Record an event from a wrapper: its frame and return address. */
#define RECORD(kind_, ptr_, size_, old_) do {				\
	if (out_fd >= 0 && !busy) {					\
		struct mp_heap_event e_;				\
		busy = 1;						\
		memset(&e_, 0, sizeof e_);				\
		e_.kind = (kind_);					\
		e_.ptr = (uintptr_t)(ptr_);				\
		e_.size = (size_);					\
		e_.old = (uintptr_t)(old_);				\
		send(&e_, (uintptr_t)__builtin_return_address(0));	\
		busy = 0;						\
	}								\
} while (0)

EXPORT void *malloc(size_t n)
{
	void *p = __libc_malloc(n);

	RECORD(MP_HEAP_ALLOC, p, n, 0);
	return p;
}

EXPORT void *calloc(size_t k, size_t n)
{
	void *p = __libc_calloc(k, n);

	RECORD(MP_HEAP_ALLOC, p, (uint64_t)k * n, 0);
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	void *p = __libc_realloc(old, n);

	RECORD(MP_HEAP_REALLOC, p, n, old);
	return p;
}

EXPORT void *reallocarray(void *old, size_t k, size_t n)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(k, n, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = __libc_realloc(old, bytes);
	RECORD(MP_HEAP_REALLOC, p, bytes, old);
	return p;
}

EXPORT void free(void *p)
{
	if (!p)
		return;
	RECORD(MP_HEAP_FREE, p, 0, 0);
	__libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	RECORD(MP_HEAP_ALLOC, p, n, 0);
	return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	p = __libc_memalign(align, n);
	RECORD(MP_HEAP_ALLOC, p, n, 0);
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	int saved = errno;
	void *p;

	if (!align || align % sizeof(void *) ||
	    ((align / sizeof(void *)) & (align / sizeof(void *) - 1)))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	RECORD(MP_HEAP_ALLOC, p, n, 0);
	errno = saved;
	return 0;
}

EXPORT void *valloc(size_t n)
{
	void *p = __libc_valloc(n);

	RECORD(MP_HEAP_ALLOC, p, n, 0);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);

	RECORD(MP_HEAP_ALLOC, p, n, 0);
	return p;
}

static void after_fork(void)
{
	__atomic_store_n(&rebuilding, 0, __ATOMIC_RELAXED);
	direct = 0;	/* the child may outlive the recorder */
}

/* Whether the recorder has read everything written so far (it drains
   the pipe as it goes: at most ms milliseconds are waited for it). */
static int drained(int ms)
{
	struct timespec t = { 0, 1000 * 1000 };
	struct pollfd pf = { out_fd, 0, 0 };
	int left = 0;

	if (poll(&pf, 1, 0) > 0 && (pf.revents & POLLERR))
		return 0;	/* the recorder has gone */
	for (; ms > 0; ms--) {
		if (ioctl(out_fd, FIONREAD, &left) < 0 || !left)
			return 1;
		nanosleep(&t, NULL);
	}
	return 0;
}

/*
 * At exit: the recorder reads a process's mappings (/proc/PID/maps) when
 * its first event arrives, which it can no longer do once the process is
 * gone, and a short program can end before the recorder has got to it.
 * So wait until the pipe is empty (every event read), then write a note
 * and wait until that is read too: the recorder handles what it read
 * before reading again, so every earlier event has then been handled.
 */
__attribute__((destructor)) static void fini(void)
{
	int saved = errno;

	if (out_fd < 0 || busy)
		return;
	busy = 1;
	if (drained(2000)) {
		note(MP_HEAP_NOTE_EXIT);
		drained(2000);
	}
	busy = 0;
	errno = saved;
}

/* Take the pipe from the environment; without it, record nothing. */
__attribute__((constructor)) static void init(void)
{
	const char *s = getenv("MPROF_LINES_FD"), *pid = getenv("MPROF_LINES_PID");
	long fd = 0, me = 0;

	if (!s || !*s)
		return;
	for (; *s >= '0' && *s <= '9'; s++)
		fd = fd * 10 + (*s - '0');
	if (*s || fd < 3 || syscall(SYS_fcntl, fd, F_GETFD) < 0)
		return;
	for (; pid && *pid >= '0' && *pid <= '9'; pid++)
		me = me * 10 + (*pid - '0');
	direct = me == (long)syscall(SYS_getpid);
	busy = 1;
	rebuild();
	{	/* the unwinder's first walk initialises it: now */
		struct walk w;

		w.n = 0;
		_Unwind_Backtrace(walk_frame, &w);
	}
	pthread_atfork(NULL, NULL, after_fork);
	busy = 0;
	out_fd = (int)fd;
	note(MP_HEAP_NOTE_EXEC);
}
