/* SPDX-License-Identifier: MIT */
/*
 * sys.h - the runtime's leaf layer (sys.c): what every other file may call
 * and that calls nothing of the runtime back.  One line on stderr, the
 * run's notes, a whole buffer written, an anonymous mapping, and the /proc measures: their
 * names, their ids, and one parser of statm, smaps_rollup and status text.
 *
 * Everything here is free of allocation and locks, and keeps errno unless
 * it says otherwise, so that a probe may call it.  The `mprof` command
 * compiles sys.c in too (its sampler, usage.c, reads /proc with it), so a
 * measure means the same in the runtime, in memory_usage() and in
 * `mprof run --backend`.
 *
 * This header includes nothing of the runtime: the include graph of
 * runtime/ points down to it, never back up.
 */
#ifndef MP_SYS_H
#define MP_SYS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mprof.h"

/*
 * The measures, one enum for the runtime and the public API: the /proc
 * ones are enum mprof_backend's values (include/mprof.h), heap is the
 * runtime's own (bytes asked of malloc, runtime/heap.c).
 */
enum mp_backend_id {
	MP_BACKEND_RSS = MPROF_RSS,
	MP_BACKEND_PSS = MPROF_PSS,
	MP_BACKEND_USS = MPROF_USS,
	MP_BACKEND_VMS = MPROF_VMS,
	MP_BACKEND_HEAP,
	MP_BACKEND_COUNT
};

/* Which /proc/PID file a measure is read from. */
enum mp_proc_file {
	MP_PROC_NONE,			/* not from /proc (heap) */
	MP_PROC_STATM,			/* statm: one short line, in pages */
	MP_PROC_ROLLUP			/* smaps_rollup: "Key:  N kB" lines */
};

/* One measure: the table in sys.c is the only list of names. */
struct mp_measure {
	const char *name;		/* as MPROF_BACKEND and --backend spell it */
	enum mp_backend_id id;
	enum mp_proc_file file;
	/* The figure in bytes from the text of `file` (NUL-terminated) and
	 * the page size, or -1 when the text lacks it.  NULL for heap. */
	int64_t (*parse)(const char *text, int64_t page);
};

/* The measure `id`, or NULL when there is none. */
const struct mp_measure *mp_sys_measure(enum mp_backend_id id);

/* The measure called `name` ("rss", "uss"...), or NULL. */
const struct mp_measure *mp_sys_measure_named(const char *name);

/* "/proc/self/statm" or "/proc/self/smaps_rollup"; NULL for MP_PROC_NONE. */
const char *mp_sys_proc_self(enum mp_proc_file file);

/* "statm" or "smaps_rollup": the file name under /proc/PID. */
const char *mp_sys_proc_name(enum mp_proc_file file);

/*
 * statm's first two fields, in pages: size (0 for a process that has no
 * memory map any more, a zombie) and resident.  0, or -1 when `text` is
 * not a statm line.
 */
int mp_sys_statm(const char *text, uint64_t *size, uint64_t *resident);

/*
 * The number on the line of `text` that starts with `key`: "Pss:" of
 * smaps_rollup (kB), "Threads:" of status.  0, or -1 when there is no such
 * line.
 */
int mp_sys_proc_field(const char *text, const char *key, uint64_t *v);

/*
 * Read a small /proc file whole with one pread() at offset 0 into `buf`,
 * NUL-terminated; again after EINTR.  Returns the length, or -1 (errno
 * set).
 */
ssize_t mp_sys_pread(int fd, char *buf, size_t size);

/*
 * Print one line (a newline is added) on stderr with a single write():
 * only for a bad MPROF_* setting or an output that cannot be opened, which
 * are said on stderr wherever the report goes.  Everything else the
 * runtime has to say is a note (mp_note).
 */
void mp_sys_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A diagnostic of the run (dropped events, a backend fallback...): one
 * line, a newline is added, that goes with the report -- after the tables
 * where MPROF_OUTPUT says, and into the JSON profile.  Kept in a static
 * buffer, never allocated.  mp_note_line takes text as it is (safe in a
 * signal handler); mp_notes gives the lines kept so far, mp_notes_pending
 * those not yet printed.
 */
void mp_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mp_note_line(const char *text, size_t len);
const char *mp_notes(size_t *len);
const char *mp_notes_pending(size_t *len);

/*
 * For the report (exit.c): on, print the pending notes on stderr now and
 * each new one as it comes (the report goes to stderr); off, keep them for
 * the report.  mp_sys_notes_taken: the report printed the pending ones.
 * mp_sys_notes_forget: a forked child starts with none.
 */
void mp_sys_notes_direct(int on);
void mp_sys_notes_taken(void);
void mp_sys_notes_forget(void);

/* write() all of buf, again after EINTR; 0, or -1 on an error. */
int mp_sys_write_all(int fd, const char *buf, size_t len);

/* `bytes` of zeroed anonymous memory, private to the process, or NULL;
 * keeps errno. */
void *mp_sys_map(size_t bytes);

/*
 * A growing anonymous mapping (funclog.c's per-thread stack): `first`
 * bytes when `p` is NULL, else the mapping of *bytes bytes doubled (it may
 * move).  Returns the mapping and updates *bytes, or NULL when it could
 * not (p is then still valid).
 */
void *mp_sys_map_grow(void *p, size_t *bytes, size_t first);

#endif /* MP_SYS_H */
