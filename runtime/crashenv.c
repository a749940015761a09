/* SPDX-License-Identifier: MIT */
/*
 * crashenv.c - the allocator, FILE and sort the report code uses when it
 * runs from a fatal signal (crashenv.h): system calls only.
 *
 * The arena is a chain of anonymous mappings, bumped and never freed;
 * each block is preceded by its size so realloc can copy.  Nothing here
 * takes a lock: the report from a fatal signal is written by one thread
 * (crash.c elects it).
 */
#include "crashenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK		((size_t)1 << 20)
#define ALIGN		16

static char *cur, *end;			/* the free part of the current chunk */

void *mp_crash_malloc(size_t n)
{
	size_t need = ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + ALIGN, size;
	char *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	if ((size_t)(end - cur) < need) {
		size = need > CHUNK ? need : CHUNK;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		cur = p;
		end = p + size;
	}
	p = cur;
	cur += need;
	*(size_t *)p = n;
	return p + ALIGN;
}

void *mp_crash_calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return mp_crash_malloc(total);	/* fresh mappings are zero */
}

void *mp_crash_realloc(void *p, size_t n)
{
	size_t old;
	char *q;

	if (!p)
		return mp_crash_malloc(n);
	old = *(size_t *)((char *)p - ALIGN);
	if (n <= old)
		return p;
	q = mp_crash_malloc(n);
	if (q)
		memcpy(q, p, old);
	return q;
}

void mp_crash_free(void *p)
{
	(void)p;
}

char *mp_crash_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = mp_crash_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* A stable bottom-up merge sort through one scratch array. */
void mp_crash_qsort(void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *))
{
	char *a = base, *b, *src, *dst, *t;
	size_t width, lo, mid, hi, i, j, k;

	if (n < 2 || !(b = mp_crash_malloc(n * size)))
		return;
	src = a;
	dst = b;
	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			for (i = lo, j = mid, k = lo; k < hi; k++) {
				if (i < mid && (j >= hi ||
						cmp(src + i * size, src + j * size) <= 0))
					memcpy(dst + k * size, src + i++ * size, size);
				else
					memcpy(dst + k * size, src + j++ * size, size);
			}
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * size);
}

struct mp_crash_file *mp_crash_memfile(void)
{
	struct mp_crash_file *f = mp_crash_calloc(1, sizeof *f);

	if (f)
		f->fd = -1;
	return f;
}

/* Only what table.c asks for: a file opened for reading. */
struct mp_crash_file *mp_crash_fopen(const char *path, const char *mode)
{
	struct mp_crash_file *f;
	int fd;

	(void)mode;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	f = mp_crash_memfile();
	if (!f) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	f->fd = fd;
	return f;
}

int mp_crash_fclose(struct mp_crash_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	return f->err ? EOF : 0;
}

size_t mp_crash_fread(void *buf, size_t size, size_t n,
		      struct mp_crash_file *f)
{
	size_t want = size * n, got = 0;
	ssize_t r;

	while (f->fd >= 0 && got < want) {
		r = read(f->fd, (char *)buf + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			f->err = 1;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return size ? got / size : 0;
}

size_t mp_crash_fwrite(const void *buf, size_t size, size_t n,
		       struct mp_crash_file *f)
{
	size_t len = size * n, cap;
	char *nb;

	if (f->err)
		return 0;
	if (f->cap - f->len < len) {
		cap = f->cap ? f->cap : 4096;
		while (cap - f->len < len)
			cap *= 2;
		nb = mp_crash_realloc(f->buf, cap);
		if (!nb) {
			f->err = 1;
			return 0;
		}
		f->buf = nb;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, buf, len);
	f->len += len;
	return n;
}

int mp_crash_ferror(struct mp_crash_file *f)
{
	return f->err;
}

int mp_crash_fflush(struct mp_crash_file *f)
{
	return f->err ? EOF : 0;
}

int mp_crash_fputs(const char *s, struct mp_crash_file *f)
{
	size_t n = strlen(s);

	return mp_crash_fwrite(s, 1, n, f) == n ? 0 : EOF;
}

int mp_crash_putc(int c, struct mp_crash_file *f)
{
	char ch = (char)c;

	return mp_crash_fwrite(&ch, 1, 1, f) == 1 ? (unsigned char)c : EOF;
}

/* The report's fprintf calls are short: one stack buffer is enough. */
int mp_crash_fprintf(struct mp_crash_file *f, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		f->err = 1;
		return -1;
	}
	return mp_crash_fwrite(tmp, 1, (size_t)n, f) == (size_t)n ? n : -1;
}
