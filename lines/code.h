/* SPDX-License-Identifier: MIT */
/*
 * code.h - the executable mappings of each process `mprof lines` records,
 * and which of them are system libraries.  unwind.c asks it first, for
 * every word of a sampled stack: a word outside executable code is
 * dismissed without the symbolizer, and code of a system library (a path
 * under /lib, /usr/lib, /lib64, /usr/lib64, /usr/libexec, or no path) is
 * never charged, even when its debug information is installed: a fault
 * in memset belongs to the line that called memset.  Fed like the
 * symbolizer: perf's MMAP2/FORK/COMM records, or /proc/PID/maps.
 */
#ifndef MP_CODE_H
#define MP_CODE_H

#include <stdint.h>

struct mp_code;

struct mp_code *mp_code_new(void);
void mp_code_free(struct mp_code *c);
/* [start, end) of pid maps file offset pgoff of path (executable
   mappings; any other mapping is passed as an empty range at start, which
   only drops what it replaces). */
void mp_code_map(struct mp_code *c, uint32_t pid, uint64_t start,
		 uint64_t end, uint64_t pgoff, const char *path);
void mp_code_fork(struct mp_code *c, uint32_t parent, uint32_t child);
void mp_code_exec(struct mp_code *c, uint32_t pid);
/* The executable mappings of /proc/PID/maps; -1 if unreadable. */
int mp_code_read_maps(struct mp_code *c, uint32_t pid);

enum mp_code_kind { MP_CODE_NONE, MP_CODE_SYSTEM, MP_CODE_USER };
enum mp_code_kind mp_code_kind(const struct mp_code *c, uint32_t pid,
			       uint64_t addr);
/* The path of the object mapped at addr ("" when none or anonymous) and
   addr's offset in the file. */
const char *mp_code_module(const struct mp_code *c, uint32_t pid,
			   uint64_t addr, uint64_t *off);

#endif /* MP_CODE_H */
