/* SPDX-License-Identifier: MIT */
/*
 * record.h - the two recorders of `mprof lines`, which feed acct.h:
 *
 *   rss (perf.c): the kernel's page-fault events of the program, its
 *     threads and children (perf_event_open, one ring per CPU), each a +1
 *     page on the line that caused it the first time a page faults in,
 *     and the munmap/madvise/brk system calls (syscall tracepoints, when
 *     tracefs is readable) as the pages they give back;
 *   heap (heap.c): the events the preload library (preload.c) writes
 *     into a pipe, one per malloc/free call.
 *
 * Both are driven by cmd_lines.c's loop: poll the descriptors, drain,
 * until the program has exited, then drain once more.
 */
#ifndef MP_LINES_RECORD_H
#define MP_LINES_RECORD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mp_sym;
struct mp_code;
struct mp_acct;

/* What a recorder counted, for the notes under the tables. */
struct mp_rec_stats {
	uint64_t events;	/* faults or calls received */
	uint64_t at_ip;		/* charged to the event's own address */
	uint64_t on_stack;	/* charged to a caller found on the stack */
	uint64_t no_line;	/* no line found: charged by address */
	uint64_t by_cfi;	/* rss: unwound with the CFI (the rest: by
				   the stack scan of unwind.h) */
	uint64_t lost;		/* lost by the kernel (ring full) */
	uint64_t throttled;	/* times the kernel throttled the sampling */
	int releases;		/* rss: munmap & co. are seen */
	int in_kernel;		/* rss: faults inside system calls are seen */
};

struct mp_perf;

/*
 * Open the page-fault events (and the release tracepoints) on pid, which
 * has not yet run exec: they start at its exec (enable_on_exec).  0, or
 * -errno of perf_event_open (EACCES, EPERM, ENOSYS: perf is refused;
 * MPROF_LINES_PERF_REFUSE=1 in the environment acts as EACCES, a test
 * hook).
 */
int mp_perf_open(struct mp_perf **out, pid_t pid);
/* Process every record gathered so far. */
void mp_perf_drain(struct mp_perf *p, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a);
/* Stop gathering in the background: the next drain empties the rings. */
void mp_perf_stop(struct mp_perf *p);
void mp_perf_close(struct mp_perf *p, struct mp_rec_stats *st);

/* Events of the preload library, one write() each, of the frames it has
   (MP_HEAP_EVENT_SIZE); kind 0 is
   a note, size saying which: the process starts (its exec), calls
   come from code mapped since the last note, or the process is exiting
   (written once the recorder has read every event before it, so that its
   mappings are still there to read: see preload.c's fini()). */
enum mp_heap_kind { MP_HEAP_ALLOC = 1, MP_HEAP_FREE, MP_HEAP_REALLOC };
enum { MP_HEAP_NOTE_MAPPED = 0, MP_HEAP_NOTE_EXEC = 1, MP_HEAP_NOTE_EXIT = 2 };

#define MP_HEAP_FRAMES 32

struct mp_heap_event {
	uint32_t kind;		/* enum mp_heap_kind */
	uint32_t pid;		/* the process (getpid) */
	uint32_t ppid;		/* its parent, for the first event after a fork */
	uint32_t nframes;	/* candidates in frames[] */
	uint64_t ptr;		/* block returned (ALLOC, REALLOC) or freed */
	uint64_t size;		/* bytes asked */
	uint64_t old;		/* REALLOC: the block given */
	uint64_t ip;		/* the address that called malloc & co. */
	/* the return addresses of the program's own code on the stack,
	   innermost first (backtrace(): the first is ip itself when the
	   program called malloc & co.) */
	uint64_t frames[MP_HEAP_FRAMES];
};

/* Bytes of an event with n frames: only those are written. */
#define MP_HEAP_EVENT_SIZE(n) \
	(offsetof(struct mp_heap_event, frames) + (size_t)(n) * sizeof(uint64_t))

/* heap.c: read events from fd (non-blocking) and account them. */
struct mp_heap;
struct mp_heap *mp_heap_new(int fd);
void mp_heap_drain(struct mp_heap *h, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a);
void mp_heap_close(struct mp_heap *h, struct mp_rec_stats *st);

#endif /* MP_LINES_RECORD_H */
