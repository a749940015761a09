/* SPDX-License-Identifier: MIT */
/*
 * acct.h - the accounting of `mprof lines`: what each process did to its
 * memory, charged to source lines.  The recorders (perf.c for rss,
 * heap.c for the preload library's events) call it with code addresses
 * already chosen by unwind.c; it turns them into lines through the
 * symbolizer (symbolize.h) and keeps, per process:
 *
 *   - a cache from code address to line (cleared at exec), so each
 *     address is symbolized once;
 *   - one row per line: Occurrences (events charged), Increment (bytes),
 *     Mem usage (the largest running total right after an event on it);
 *   - rss: the set of resident pages it has seen fault in, so a page is
 *     counted once and a munmap/madvise/brk gives back what was counted;
 *     heap: its live blocks and their sizes.
 *
 * Memory is bounded by the code touched (lines and addresses) plus the
 * program's own resident pages or live blocks: nothing grows per event.
 * Addresses without line information are kept by function and offset
 * ("tables by function and address only").
 */
#ifndef MP_ACCT_H
#define MP_ACCT_H

#include <stdint.h>
#include <stdio.h>

#include "profile.h"

struct mp_sym;
struct mp_code;
struct mp_acct;

/* Lines of code that code.h calls a system library's are not used. */
struct mp_acct *mp_acct_new(struct mp_sym *sym, struct mp_code *code);
void mp_acct_free(struct mp_acct *a);

/* A process begins: the first one (parent 0), or a fork of parent (heap:
   it inherits the parent's live blocks and running total). */
void mp_acct_fork(struct mp_acct *a, uint32_t parent, uint32_t child);
/* pid ran exec: its code addresses mean something else from now on. */
void mp_acct_exec(struct mp_acct *a, uint32_t pid);

/*
 * Charge `bytes` and `count` occurrences to the line of code address
 * `addr` of pid (an instruction address: a sampled ip, or a return
 * address minus one).
 */
void mp_acct_charge(struct mp_acct *a, uint32_t pid, uint64_t addr,
		    int64_t bytes, unsigned count);

/*
 * The same, and also to the line of each caller: callers[0..n) are the
 * return addresses of the calls that led to addr, innermost first (each
 * charged as the instruction before it).  Code inlined into a line is
 * charged to the helper's line and to each line it was inlined at, from
 * the debug information: a line is charged what happened while it ran,
 * calls included, as the plugin charges it.
 */
void mp_acct_charge_stack(struct mp_acct *a, uint32_t pid, uint64_t addr,
			  const uint64_t *callers, size_t n, int64_t bytes,
			  unsigned count);

/* rss: the page holding addr faulted; 1 if it is new to pid. */
int mp_acct_page_in(struct mp_acct *a, uint32_t pid, uint64_t addr);
/* rss: [start, start+len) given back; the pages that were counted. */
uint64_t mp_acct_release(struct mp_acct *a, uint32_t pid, uint64_t start,
			 uint64_t len);

/* heap: a block of size bytes at ptr is live. */
void mp_acct_block_new(struct mp_acct *a, uint32_t pid, uint64_t ptr,
		       uint64_t size);
/* heap: ptr was freed; its size, or -1 when the block was never seen. */
int64_t mp_acct_block_free(struct mp_acct *a, uint32_t pid, uint64_t ptr);

/* The processes seen, in order of appearance (pid, parent: 0 for the
   first). */
size_t mp_acct_nprocs(const struct mp_acct *a);
void mp_acct_proc(const struct mp_acct *a, size_t i, uint32_t *pid,
		  uint32_t *parent);

/*
 * The profile of process i, or of every process when i == (size_t)-1
 * (merged as `mprof run -C` merges: rows of one line add up), keeping the
 * nfuncs functions whose lines grew memory most (0: all).  Functions with
 * line information only; 0 or -1 when out of memory.
 */
int mp_acct_profile(const struct mp_acct *a, size_t i, size_t nfuncs,
		    struct mp_profile *p);
/*
 * Print what was charged to code without line information, by module,
 * function and offset, largest first (at most max rows), for process i
 * or all; returns the rows printed.
 */
size_t mp_acct_print_nolines(const struct mp_acct *a, size_t i, size_t max,
			     FILE *out);
/* Bytes charged to lines and to code without lines, over everything. */
void mp_acct_totals(const struct mp_acct *a, int64_t *with_lines,
		    int64_t *without);

#endif /* MP_ACCT_H */
