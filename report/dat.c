/* SPDX-License-Identifier: MIT */
/*
 * dat.c - the .dat reader and the command's line writer declared in
 * dat.h, linked into the `mprof` command and the tests only.
 *
 * The reader copies each line into one buffer it reuses (a line longer
 * than MP_DAT_MAX_LINE is not kept, only reported), NUL-terminates it and
 * splits it in place, so its memory is bounded by the longest line.  The
 * common number shape (digits, a point, digits: what both writers emit) is
 * converted without strtod; anything else goes through strtod.  Both are
 * correctly rounded.  Library code: nothing here prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dat.h"

#define READ_CHUNK (1u << 20)

/* Powers of ten that doubles hold exactly. */
static const double exact_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * [+-]digits[.digits] with a mantissa below 2^53 and at most 22 decimals
 * is m / 10^k with both operands exact, so one IEEE division gives the
 * correctly rounded result (Clinger's fast path); strtod does the rest.
 */
int mp_dat_number(const char *s, double *v)
{
	const char *p = s;
	uint64_t m = 0;
	int neg = 0, dot = 0, digits = 0, frac = 0, big = 0;
	char *end;
	double d;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (m > (UINT64_MAX - 9) / 10)
				big = 1;
			else
				m = m * 10 + (uint64_t)(*p - '0');
			digits++;
			frac += dot;
		} else if (*p == '.' && !dot) {
			dot = 1;
		} else {
			break;
		}
	}
	if (digits == 0)
		return -1;
	if (*p == '\0' && !big && m < (UINT64_C(1) << 53) && frac <= 22) {
		d = (double)m / exact_pow10[frac];
		*v = neg ? -d : d;
		return 0;
	}
	for (p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return -1;
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return -1;
	*v = d;
	return 0;
}

static void bad(struct mp_dat_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
	p->st.bad++;
	if (p->ops->bad_line)
		p->ops->bad_line(p->ctx, p->name, p->st.lines, p->msg);
}

/* Split s in place at blanks; returns the number of tokens (at most max). */
static int split(char *s, char **tok, int max)
{
	int n = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		if (n == max)
			return n + 1;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

/* Undo the writer's escapes in place; an unknown escape stays as it is. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			char c = s[1];

			if (c == 'n' || c == 'r' || c == 't' || c == '\\') {
				*o++ = c == 'n' ? '\n' : c == 'r' ? '\r' :
				       c == 't' ? '\t' : '\\';
				s++;
				continue;
			}
		}
		*o++ = *s;
	}
	*o = '\0';
}

static int numbers(struct mp_dat_parser *p, const char *what, char **tok,
		   int n, double *v)
{
	int i;

	for (i = 0; i < n; i++) {
		if (mp_dat_number(tok[i], &v[i])) {
			bad(p, "bad %s record: '%.40s' is not a number", what,
			    tok[i]);
			return -1;
		}
	}
	return 0;
}

static int integer(const char *s, long lo, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (end == s || *end || errno || x < lo || x > INT_MAX)
		return -1;
	*v = x;
	return 0;
}

static void parse_line(struct mp_dat_parser *p, char *s, size_t n)
{
	const struct mp_dat_ops *ops = p->ops;
	char *tok[9];
	double v[4];
	long pid, level;
	int nt;

	p->st.lines++;
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	if (strncmp(s, "CMDLINE", 7) == 0 && (s[7] == ' ' || s[7] == '\0')) {
		char *c = s[7] ? s + 8 : s + 7;

		unescape(c);
		p->st.cmdline++;
		if (ops->cmdline)
			ops->cmdline(p->ctx, c);
		return;
	}
	nt = split(s, tok, 9);
	if (nt == 0) {
		p->st.unknown++;
		return;
	}
	if (strcmp(tok[0], "MEM") == 0) {
		if (nt < 3) {
			bad(p, "bad MEM record: expected 'MEM <MiB> <time>'");
			return;
		}
		if (numbers(p, "MEM", tok + 1, 2, v))
			return;
		p->st.mem++;
		if (ops->mem)
			ops->mem(p->ctx, v[0], v[1]);
	} else if (strcmp(tok[0], "CHLD") == 0) {
		if (nt < 4) {
			bad(p, "bad CHLD record: expected 'CHLD <pid> <MiB> <time>'");
			return;
		}
		if (integer(tok[1], 0, &pid)) {
			bad(p, "bad CHLD record: '%.40s' is not a pid", tok[1]);
			return;
		}
		if (numbers(p, "CHLD", tok + 2, 2, v))
			return;
		p->st.chld++;
		if (ops->chld)
			ops->chld(p->ctx, pid, v[0], v[1]);
	} else if (strcmp(tok[0], "FUNC") == 0) {
		struct mp_dat_func f;

		if (nt < 6) {
			bad(p, "bad FUNC record: expected 'FUNC <name> <MiB> <time> <MiB> <time> [<level>]'");
			return;
		}
		if (numbers(p, "FUNC", tok + 2, 4, v))
			return;
		level = -1;
		if (nt >= 7 && integer(tok[6], 0, &level)) {
			bad(p, "bad FUNC record: '%.40s' is not a stack level",
			    tok[6]);
			return;
		}
		f.calls = 1;
		if (nt >= 8) {
			if (integer(tok[7], 1, &pid)) {
				bad(p, "bad FUNC record: '%.40s' is not a number of calls",
				    tok[7]);
				return;
			}
			f.calls = (unsigned long)pid;
		}
		f.mem_peak = v[0] > v[2] ? v[0] : v[2];
		if (nt >= 9) {
			double pk;

			if (numbers(p, "FUNC", tok + 8, 1, &pk))
				return;
			if (pk > f.mem_peak)
				f.mem_peak = pk;
		}
		f.name = tok[1];
		f.mem_start = v[0];
		f.t_start = v[1];
		f.mem_end = v[2];
		f.t_end = v[3];
		f.level = (int)level;
		p->st.func++;
		if (ops->func)
			ops->func(p->ctx, &f);
	} else if (strcmp(tok[0], "PEAK") == 0) {
		if (nt < 3) {
			bad(p, "bad PEAK record: expected 'PEAK <MiB> <time>'");
			return;
		}
		if (numbers(p, "PEAK", tok + 1, 2, v))
			return;
		p->st.peak++;
		if (ops->peak)
			ops->peak(p->ctx, v[0], v[1]);
	} else {
		p->st.unknown++;
	}
}

void mp_dat_init(struct mp_dat_parser *p, const char *name,
		 const struct mp_dat_ops *ops, void *ctx)
{
	static const struct mp_dat_ops none;

	memset(p, 0, sizeof *p);
	p->name = name ? name : "";
	p->ops = ops ? ops : &none;
	p->ctx = ctx;
}

/* Add k bytes to the pending line; past MP_DAT_MAX_LINE they are dropped. */
static int append(struct mp_dat_parser *p, const char *s, size_t k)
{
	if (p->too_long)
		return 0;
	if (p->len + k > MP_DAT_MAX_LINE) {
		p->too_long = 1;
		return 0;
	}
	if (p->len + k + 1 > p->cap) {
		size_t n = p->cap ? p->cap : 256;
		char *nl;

		while (n < p->len + k + 1)
			n *= 2;
		if (n > MP_DAT_MAX_LINE + 1)
			n = MP_DAT_MAX_LINE + 1;
		nl = realloc(p->line, n);
		if (!nl) {
			p->nomem = 1;
			return -1;
		}
		p->line = nl;
		p->cap = n;
	}
	memcpy(p->line + p->len, s, k);
	p->len += k;
	return 0;
}

static void end_line(struct mp_dat_parser *p)
{
	if (p->too_long) {
		p->st.lines++;
		bad(p, "line longer than %u bytes", MP_DAT_MAX_LINE);
	} else if (p->line) {
		p->line[p->len] = '\0';
		parse_line(p, p->line, p->len);
	} else {
		p->st.lines++;
		p->st.unknown++;
	}
	p->len = 0;
	p->too_long = 0;
}

int mp_dat_feed(struct mp_dat_parser *p, const char *buf, size_t n)
{
	if (p->binary || p->nomem)
		return -1;
	if (n && memchr(buf, '\0', n)) {
		p->binary = 1;
		return -1;
	}
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t k = nl ? (size_t)(nl - buf) : n;

		if (append(p, buf, k))
			return -1;
		if (!nl)
			break;
		end_line(p);
		buf += k + 1;
		n -= k + 1;
	}
	return 0;
}

int mp_dat_finish(struct mp_dat_parser *p)
{
	if (p->binary || p->nomem)
		return -1;
	if (p->len || p->too_long)
		end_line(p);
	return 0;
}

void mp_dat_release(struct mp_dat_parser *p)
{
	free(p->line);
	p->line = NULL;
	p->len = p->cap = 0;
}

int mp_dat_read(const char *path, const struct mp_dat_ops *ops, void *ctx,
		struct mp_dat_stats *st, char *err, size_t errlen)
{
	struct mp_dat_parser p;
	struct stat sb;
	size_t total = 0;
	char *buf;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "'%s' is a directory", path);
		close(fd);
		return -1;
	}
	buf = malloc(READ_CHUNK);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading '%s'", path);
		close(fd);
		return -1;
	}
	mp_dat_init(&p, path, ops, ctx);
	for (;;) {
		ssize_t r = read(fd, buf, READ_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == EISDIR)
				snprintf(err, errlen, "'%s' is a directory",
					 path);
			else
				snprintf(err, errlen, "cannot read '%s': %s",
					 path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		total += (size_t)r;
		if (mp_dat_feed(&p, buf, (size_t)r))
			break;
	}
	if (p.binary) {
		snprintf(err, errlen, "'%s' is a binary file, not an mprof .dat",
			 path);
	} else if (p.nomem) {
		snprintf(err, errlen, "out of memory reading '%s'", path);
	} else if (total == 0) {
		snprintf(err, errlen, "'%s' is empty", path);
	} else {
		mp_dat_finish(&p);
		rc = 0;
	}
out:
	if (st)
		*st = p.st;
	mp_dat_release(&p);
	free(buf);
	close(fd);
	return rc;
}

void mp_dat_writer_init(struct mp_dat_writer *w, int fd)
{
	w->fd = fd;
	w->err = 0;
	w->len = 0;
}

static int write_all(struct mp_dat_writer *w, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t r = write(w->fd, s, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!w->err)
				w->err = r < 0 ? errno : EIO;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int mp_dat_flush(struct mp_dat_writer *w)
{
	int rc;

	if (w->len == 0)
		return 0;
	rc = write_all(w, w->buf, w->len);
	w->len = 0;
	return rc;
}

static int put(struct mp_dat_writer *w, const char *s, size_t n)
{
	int rc = 0;

	if (w->len + n > sizeof w->buf)
		rc = mp_dat_flush(w);
	if (n > sizeof w->buf)
		return write_all(w, s, n) ? -1 : rc;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	return rc;
}

static int putf(struct mp_dat_writer *w, const char *fmt, ...)
{
	char small[512], *line = small;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof small) {
		line = malloc((size_t)n + 1);
		if (!line)
			return -1;
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = put(w, line, (size_t)n);
	if (line != small)
		free(line);
	return rc;
}

int mp_dat_put_cmdline(struct mp_dat_writer *w, const char *cmdline)
{
	size_t n = strlen(cmdline);
	char *line = malloc(2 * n + 10), *o;
	int rc;

	if (!line)
		return -1;
	o = stpcpy(line, "CMDLINE ");
	for (; *cmdline; cmdline++) {
		char c = *cmdline;

		if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\r' ? 'r' :
			       c == '\t' ? 't' : '\\';
		} else {
			*o++ = c;
		}
	}
	*o++ = '\n';
	rc = put(w, line, (size_t)(o - line));
	free(line);
	return rc;
}

int mp_dat_put_mem(struct mp_dat_writer *w, double mib, double t)
{
	return putf(w, "MEM %.6f %.4f\n", mib, t);
}

int mp_dat_put_chld(struct mp_dat_writer *w, long pid, double mib, double t)
{
	return putf(w, "CHLD %ld %.6f %.4f\n", pid, mib, t);
}

int mp_dat_put_peak(struct mp_dat_writer *w, double mib, double t)
{
	return putf(w, "PEAK %.6f %.4f\n", mib, t);
}

char *mp_dat_join_argv(int argc, char *const argv[])
{
	size_t n = 1;
	char *s, *o;
	int i;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 3;
	s = malloc(n);
	if (!s)
		return NULL;
	o = s;
	for (i = 0; i < argc; i++) {
		int q = strpbrk(argv[i], " \t") != NULL;

		if (i)
			*o++ = ' ';
		if (q)
			*o++ = '\'';
		o = stpcpy(o, argv[i]);
		if (q)
			*o++ = '\'';
	}
	*o = '\0';
	return s;
}
