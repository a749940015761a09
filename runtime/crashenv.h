/* SPDX-License-Identifier: MIT */
/*
 * crashenv.h - what the report code (report/profile.c, table.c, json.c)
 * is compiled against a second time, for the report written from a fatal
 * signal (crash.c): no malloc, no stdio, only system calls.
 *
 * A signal can arrive anywhere, inside malloc or stdio with their locks
 * held and their state half-changed, so the report written from it may
 * use neither.  Rather than a second formatter that could drift from the
 * first, crashtable.c and crashjson.c include the report sources after
 * this header, which renames what they call: malloc & co. take memory
 * from an mmap'd arena that is never given back (the process is about to
 * die), a FILE is a buffer in that arena (writes) or a descriptor
 * (reads), qsort is a merge sort, and the report functions get mp_crash_
 * names so the two copies live side by side.  snprintf and vsnprintf stay
 * libc's: with the integer and string conversions the report uses they
 * format on the stack and touch no lock or allocator.
 */
#ifndef MP_CRASHENV_H
#define MP_CRASHENV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp_crash_file {
	int fd;			/* a file opened for reading, or -1 */
	int err;		/* an error stuck (out of memory, read error) */
	char *buf;		/* written bytes (arena) */
	size_t len, cap;
};

void *mp_crash_malloc(size_t n);
void *mp_crash_calloc(size_t n, size_t size);
void *mp_crash_realloc(void *p, size_t n);
void mp_crash_free(void *p);
char *mp_crash_strdup(const char *s);
void mp_crash_qsort(void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *));

/* A FILE in memory, for writing; NULL when the arena is exhausted. */
struct mp_crash_file *mp_crash_memfile(void);

struct mp_crash_file *mp_crash_fopen(const char *path, const char *mode);
int mp_crash_fclose(struct mp_crash_file *f);
size_t mp_crash_fread(void *buf, size_t size, size_t n,
		      struct mp_crash_file *f);
size_t mp_crash_fwrite(const void *buf, size_t size, size_t n,
		       struct mp_crash_file *f);
int mp_crash_ferror(struct mp_crash_file *f);
int mp_crash_fflush(struct mp_crash_file *f);
int mp_crash_fputs(const char *s, struct mp_crash_file *f);
int mp_crash_putc(int c, struct mp_crash_file *f);
int mp_crash_fprintf(struct mp_crash_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef MP_CRASHENV_RENAME
#define FILE		struct mp_crash_file
#define malloc		mp_crash_malloc
#define calloc		mp_crash_calloc
#define realloc		mp_crash_realloc
#define free		mp_crash_free
#define strdup		mp_crash_strdup
#define qsort		mp_crash_qsort
#define fopen		mp_crash_fopen
#define fclose		mp_crash_fclose
#define fread		mp_crash_fread
#define fwrite		mp_crash_fwrite
#define ferror		mp_crash_ferror
#define fflush		mp_crash_fflush
#define fputs		mp_crash_fputs
#undef putc
#define putc		mp_crash_putc
#define fprintf		mp_crash_fprintf

#define mp_profile_init		mp_crash_profile_init
#define mp_profile_add_func	mp_crash_profile_add_func
#define mp_profile_merge	mp_crash_profile_merge
#define mp_profile_free		mp_crash_profile_free
#define mp_report_print		mp_crash_report_print
#define mp_report_format_mib	mp_crash_report_format_mib
#define mp_source_get		mp_crash_source_get
#define mp_source_line		mp_crash_source_line
#define mp_source_free		mp_crash_source_free
#define mp_json_meta_init	mp_crash_json_meta_init
#define mp_json_write		mp_crash_json_write
#endif

#endif /* MP_CRASHENV_H */
