/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - addresses of a running (or recorded) process to source
 * lines, for `mprof lines`.  The recorder tells the symbolizer which files
 * each process maps (from /proc/PID/maps or perf MMAP2 records), then asks
 * for the function, file and line of instruction addresses, with the chain
 * of inlined calls.  Each object's ELF symbols and DWARF (its own, or a
 * separate debug file found by build id or .gnu_debuglink) are read once,
 * on first use, into sorted arrays; lookups are binary searches after that.
 * Nothing here prints or aborts: missing or corrupt debug information gives
 * frames with less in them (module only, or function only).  Each object's
 * DWARF is read in a short-lived child process (fork, then waitpid on its
 * pid), so that a libdwarf crash on a corrupt file costs only that file's
 * lines.  Not thread-safe: one thread calls these functions.
 */
#ifndef MPROF_LINES_SYMBOLIZE_H
#define MPROF_LINES_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

struct mp_sym;	/* opaque; mappings of every pid and every object's caches */

struct mp_sym *mp_sym_new(void);
void mp_sym_free(struct mp_sym *s);

/* Where separate debug files are looked for: ROOT/.build-id/xx/yyyy.debug
 * and ROOT/<dir of the object>/<debuglink name>; /usr/lib/debug unless set.
 * Objects already read keep what they found. */
void mp_sym_set_debug_root(struct mp_sym *s, const char *root);

/* A file mapping of process `pid`: [start, end) maps file offset pgoff of
 * `path`.  Anonymous and special mappings (path not starting with '/') are
 * not recorded but still replace what was mapped there before, as does any
 * later mapping over the same range (dlopen, dlclose, exec). */
void mp_sym_map(struct mp_sym *s, uint32_t pid, uint64_t start, uint64_t end,
		uint64_t pgoff, const char *path);
/* All file mappings of /proc/PID/maps; -1 if it cannot be read. */
int mp_sym_read_maps(struct mp_sym *s, uint32_t pid);
/* The child gets a copy of the parent's mappings (its own are dropped;
 * nothing happens when child is parent). */
void mp_sym_fork(struct mp_sym *s, uint32_t parent, uint32_t child);
/* Forget pid's mappings (exec, exit). */
void mp_sym_exec(struct mp_sym *s, uint32_t pid);

struct mp_sym_frame {
	const char *module;	/* object's path, or NULL when no mapping */
	uint64_t offset;	/* address in the object: its ELF virtual address
				 * (what addr2line -e takes), or the file offset
				 * when the ELF headers cannot be read */
	const char *func;	/* function name (inlined: the inlined
				 * function), NULL if unknown */
	const char *file;	/* source file as the line table names it,
				 * NULL if no line info */
	const char *dir;	/* compilation directory, "" if unknown */
	int line;		/* source line, 0 if no line info */
	int func_line;		/* first line of func (DW_AT_decl_line), 0 if
				 * unknown */
	int func_last_line;	/* last line of func's body as far as the line
				 * table tells, 0 if unknown */
};

/* Resolve addr of pid into out[0..n), innermost first: code inlined from
 * helper() into caller() gives out[0] = helper at its line, out[1] = caller
 * at the line of the call, and so on up to the out-of-line function (a
 * chain longer than max is cut: the innermost max frames).
 * Returns n >= 1 when a mapping covers addr (n == 1, file NULL, line 0 when
 * the object has no line info for it: func then comes from .symtab or
 * .dynsym if any), 0 when no mapping covers addr.  Strings live as long as
 * s.  A return address should be looked up as addr - 1 (inside the call). */
int mp_sym_lookup(struct mp_sym *s, uint32_t pid, uint64_t addr,
		  struct mp_sym_frame *out, int max);
/* Same as mp_sym_lookup for an ELF virtual address of the file at path,
 * whether or not any process maps it (for tools and tests). */
int mp_sym_lookup_file(struct mp_sym *s, const char *path, uint64_t vaddr,
		       struct mp_sym_frame *out, int max);

/* True when addr is in an object with line information for it (the
 * program's code, not a library leaf such as memset without debug info). */
bool mp_sym_has_lines(struct mp_sym *s, uint32_t pid, uint64_t addr);

#endif
