/* SPDX-License-Identifier: MIT */
/*
 * sys.c - the runtime's leaf layer (sys.h): messages on stderr, the
 * run's notes, whole writes, anonymous mappings, and the one table and
 * parser of the /proc measures, shared by the backends (backend.c), memory_usage() and the
 * `mprof` command's sampler (usage.c).
 *
 * uss is what psutil's uss is: Private_Clean + Private_Dirty +
 * Private_Hugetlb (a huge page mapped by this process alone is unique to
 * it).  Nothing here allocates, takes a lock or calls another file of the
 * runtime.
 */
#define _GNU_SOURCE
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Skip blanks, then read a decimal number; 0, or -1 when there is none. */
static int parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	*p = s;
	*v = x;
	return 0;
}

int mp_sys_statm(const char *text, uint64_t *size, uint64_t *resident)
{
	const char *p = text;

	if (parse_u64(&p, size) < 0 || parse_u64(&p, resident) < 0)
		return -1;
	return 0;
}

int mp_sys_proc_field(const char *text, const char *key, uint64_t *v)
{
	size_t n = strlen(key);
	const char *p = text;

	for (;;) {
		if (!strncmp(p, key, n)) {
			p += n;
			return parse_u64(&p, v);
		}
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
	}
}

static int64_t parse_rss(const char *text, int64_t page)
{
	uint64_t size, resident;

	if (mp_sys_statm(text, &size, &resident) < 0)
		return -1;
	return (int64_t)resident * page;
}

static int64_t parse_vms(const char *text, int64_t page)
{
	uint64_t size, resident;

	if (mp_sys_statm(text, &size, &resident) < 0)
		return -1;
	return (int64_t)size * page;
}

static int64_t parse_pss(const char *text, int64_t page)
{
	uint64_t kb;

	(void)page;
	if (mp_sys_proc_field(text, "Pss:", &kb) < 0)
		return -1;
	return (int64_t)kb * 1024;
}

/* Private_Hugetlb is optional: kernels before 4.15 do not print it. */
static int64_t parse_uss(const char *text, int64_t page)
{
	uint64_t clean, dirty, huge = 0;

	(void)page;
	if (mp_sys_proc_field(text, "Private_Clean:", &clean) < 0 ||
	    mp_sys_proc_field(text, "Private_Dirty:", &dirty) < 0)
		return -1;
	mp_sys_proc_field(text, "Private_Hugetlb:", &huge);
	return (int64_t)(clean + dirty + huge) * 1024;
}

static const struct mp_measure measures[MP_BACKEND_COUNT] = {
	[MP_BACKEND_RSS] = { "rss", MP_BACKEND_RSS, MP_PROC_STATM, parse_rss },
	[MP_BACKEND_PSS] = { "pss", MP_BACKEND_PSS, MP_PROC_ROLLUP, parse_pss },
	[MP_BACKEND_USS] = { "uss", MP_BACKEND_USS, MP_PROC_ROLLUP, parse_uss },
	[MP_BACKEND_VMS] = { "vms", MP_BACKEND_VMS, MP_PROC_STATM, parse_vms },
	[MP_BACKEND_HEAP] = { "heap", MP_BACKEND_HEAP, MP_PROC_NONE, NULL },
};

const struct mp_measure *mp_sys_measure(enum mp_backend_id id)
{
	return (unsigned)id < MP_BACKEND_COUNT ? &measures[id] : NULL;
}

const struct mp_measure *mp_sys_measure_named(const char *name)
{
	size_t i;

	for (i = 0; i < MP_BACKEND_COUNT; i++)
		if (!strcmp(name, measures[i].name))
			return &measures[i];
	return NULL;
}

const char *mp_sys_proc_self(enum mp_proc_file file)
{
	return file == MP_PROC_STATM ? "/proc/self/statm"
	     : file == MP_PROC_ROLLUP ? "/proc/self/smaps_rollup" : NULL;
}

const char *mp_sys_proc_name(enum mp_proc_file file)
{
	return file == MP_PROC_STATM ? "statm"
	     : file == MP_PROC_ROLLUP ? "smaps_rollup" : NULL;
}

ssize_t mp_sys_pread(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

void mp_sys_warn(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

int mp_sys_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void *mp_sys_map(size_t bytes)
{
	int saved = errno;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	errno = saved;
	return p == MAP_FAILED ? NULL : p;
}

void *mp_sys_map_grow(void *p, size_t *bytes, size_t first)
{
	size_t n = p ? *bytes * 2 : first;

	p = p ? mremap(p, *bytes, n, MREMAP_MAYMOVE)
	      : mmap(NULL, n, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*bytes = n;
	return p;
}

/* ---- notes -------------------------------------------------------------- */

/*
 * The run's notes, all kept (the JSON profile lists them); the first
 * `printed` bytes are already on stderr.  `direct`: print each now.
 */
static char notes[8192];
static size_t notes_len, printed;
static int direct;

/*
 * Keep one line (text without its newline) for the report, and print it
 * now on stderr when that is where the report goes and exit has not
 * begun.  A line that does not fit is cut; notes past the buffer are lost.
 */
void mp_note_line(const char *text, size_t len)
{
	size_t room = sizeof(notes) - notes_len;

	if (room < 2)
		return;
	if (len > room - 1)
		len = room - 1;
	memcpy(notes + notes_len, text, len);
	notes[notes_len + len] = '\n';
	notes_len += len + 1;
	if (direct) {
		mp_sys_write_all(STDERR_FILENO, notes + printed, notes_len - printed);
		printed = notes_len;
	}
}

void mp_note(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	mp_note_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

const char *mp_notes(size_t *len)
{
	*len = notes_len;
	return notes;
}

const char *mp_notes_pending(size_t *len)
{
	*len = notes_len - printed;
	return notes + printed;
}

void mp_sys_notes_direct(int on)
{
	if (on) {
		mp_sys_write_all(STDERR_FILENO, notes + printed,
				 notes_len - printed);
		printed = notes_len;
	}
	direct = on;
}

void mp_sys_notes_taken(void)
{
	printed = notes_len;
}

void mp_sys_notes_forget(void)
{
	notes_len = printed = 0;
}
