/* SPDX-License-Identifier: MIT */
/*
 * dwarf_child.c - reads an object's DWARF in a child process.  libdwarf
 * (Debian 12's 20210528) can crash on corrupt input (a damaged
 * .debug_rnglists makes it free memory twice), and the symbolizer must not
 * take `mprof lines` down with it: the child builds the index
 * (dwarf_index.c) and sends it through a pipe as flat records with a table
 * of strings; the parent interns the strings and rebuilds the arrays.  A
 * child that dies, or sends something that does not add up, means no line
 * information for that object, as if it had none; so does one still
 * running after CHILD_SECONDS.  The caller sees a child process come and
 * go per object read (waitpid(-1) would see its pid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libdwarf/libdwarf.h>

#include "symbolize_internal.h"

enum { MAGIC = 0x6d706477u, NONE = UINT32_MAX };

/* The most a child may take: 500 times what 10 MB of DWARF takes. */
enum { CHILD_SECONDS = 120 };

/* The records, all of 32-bit or 64-bit fields, native byte order. */
struct head {
	uint32_t magic, nstrs;
	uint64_t nrows, nfuncs, nnodes, nranges, strbytes;
};
struct rrow {
	uint64_t addr;
	uint32_t file;
	int32_t line;
};
struct rfunc {
	uint32_t name, decl_file;
	int32_t decl_line, last_line;
};
struct rnode {
	uint32_t func;
	int32_t parent;
	uint32_t call_file;
	int32_t call_line;
	uint32_t comp_dir;
	uint32_t pad;
};
struct rrange {
	uint64_t lo, hi;
	int32_t node;
	int32_t pad;
};

/* A growing byte buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

/* Make room for len more bytes; false if memory runs out. */
static bool room(struct buf *b, size_t len)
{
	size_t cap = b->cap ? b->cap : 1 << 16;
	unsigned char *p;

	if (b->failed)
		return false;
	if (b->len + len <= b->cap)
		return true;
	while (cap < b->len + len)
		cap *= 2;
	if (!(p = realloc(b->p, cap))) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct buf *b, const void *data, size_t len)
{
	if (!room(b, len))
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static int by_address(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)*(const char *const *)x, b = (uintptr_t)*(const char *const *)y;

	return (a > b) - (a < b);
}

/* The index of interned string s in the sorted table, NONE for NULL. */
static uint32_t str_index(const char **table, size_t n, const char *s)
{
	const char **hit;

	if (!s)
		return NONE;
	hit = bsearch(&s, table, n, sizeof(*table), by_address);
	return hit ? (uint32_t)(hit - table) : NONE;
}

/* The child's side: the index of path, flattened into b. */
static void encode(const struct mp_dwarf *d, const struct mp_strs *strs, struct buf *b)
{
	struct head h = { .magic = MAGIC };
	const char **table = malloc((strs->used + 1) * sizeof(*table));
	size_t n = 0;

	if (!table) {
		b->failed = true;
		return;
	}
	for (size_t i = 0; i < strs->nslots; i++)
		if (strs->slots[i])
			table[n++] = strs->slots[i];
	qsort(table, n, sizeof(*table), by_address);
	h.nstrs = n;
	h.nrows = d->nrows;
	h.nfuncs = d->nfuncs;
	h.nnodes = d->nnodes;
	h.nranges = d->nranges;
	for (size_t i = 0; i < n; i++)
		h.strbytes += strlen(table[i]) + 1;
	put(b, &h, sizeof(h));
	for (size_t i = 0; i < n; i++)
		put(b, table[i], strlen(table[i]) + 1);
	for (size_t i = 0; i < d->nrows; i++) {
		struct rrow r = { d->rows[i].addr, str_index(table, n, d->rows[i].file), d->rows[i].line };

		put(b, &r, sizeof(r));
	}
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct mp_dw_func *f = &d->funcs[i];
		struct rfunc r = { str_index(table, n, f->name), str_index(table, n, f->decl_file),
				   f->decl_line, f->last_line };

		put(b, &r, sizeof(r));
	}
	for (size_t i = 0; i < d->nnodes; i++) {
		const struct mp_dw_node *nd = &d->nodes[i];
		struct rnode r = { nd->func, nd->parent, str_index(table, n, nd->call_file),
				   nd->call_line, str_index(table, n, nd->comp_dir), 0 };

		put(b, &r, sizeof(r));
	}
	for (size_t i = 0; i < d->nranges; i++) {
		struct rrange r = { d->ranges[i].lo, d->ranges[i].hi, d->ranges[i].node, 0 };

		put(b, &r, sizeof(r));
	}
	free(table);
}

/* The child: never returns. */
static void child(const char *path, int fd)
{
	struct rlimit none = { 0, 0 };
	struct mp_strs strs = { 0 };
	sigset_t alrm;
	struct buf b = { 0 };
	struct mp_dwarf *d;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* a crash stays quiet: no message, no core file */
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	setrlimit(RLIMIT_CORE, &none);
	/* nor a hang: libdwarf looping on a corrupt file ends here, whatever
	 * the parent did with SIGALRM */
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	alarm(CHILD_SECONDS);
	/* Without libdwarf's record of every allocation (freed at exit
	 * anyway), line tables read three times faster. */
	dwarf_set_de_alloc_flag(0);
	d = mp_dwarf_load(path, &strs);
	if (!d)
		_exit(1);
	encode(d, &strs, &b);
	mp_dwarf_free(d);
	mp_strs_free(&strs);
	for (size_t off = 0; off < b.len && !b.failed;) {
		ssize_t n = write(fd, b.p + off, b.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			b.failed = true;
		else
			off += n;
	}
	free(b.p);
	_exit(b.failed);
}

/* Take len bytes at *at of b into dst; false past the end. */
static bool take(const struct buf *b, size_t *at, void *dst, size_t len)
{
	if (len > b->len - *at)
		return false;
	memcpy(dst, b->p + *at, len);
	*at += len;
	return true;
}

/* String i of the table, or NULL (NONE or out of range: bad input). */
static bool str_at(const char **strs, uint32_t n, uint32_t i, const char **out)
{
	if (i == NONE) {
		*out = NULL;
		return true;
	}
	if (i >= n)
		return false;
	*out = strs[i];
	return true;
}

/* The parent's side: rebuild the index from the child's bytes. */
static struct mp_dwarf *decode(const struct buf *b, struct mp_strs *strs)
{
	struct mp_dwarf *d = calloc(1, sizeof(*d));
	const char **table = NULL;
	size_t at = 0;
	struct head h;
	bool ok = false;

	if (!d || !take(b, &at, &h, sizeof(h)) || h.magic != MAGIC || h.strbytes > b->len - at ||
	    h.nrows > b->len / sizeof(struct rrow) || h.nfuncs > b->len / sizeof(struct rfunc) ||
	    h.nnodes > b->len / sizeof(struct rnode) || h.nranges > b->len / sizeof(struct rrange) ||
	    h.nstrs > h.strbytes)
		goto out;
	table = malloc((h.nstrs + 1) * sizeof(*table));
	d->rows = malloc((h.nrows + 1) * sizeof(*d->rows));
	d->funcs = malloc((h.nfuncs + 1) * sizeof(*d->funcs));
	d->nodes = malloc((h.nnodes + 1) * sizeof(*d->nodes));
	d->ranges = malloc((h.nranges + 1) * sizeof(*d->ranges));
	if (!table || !d->rows || !d->funcs || !d->nodes || !d->ranges)
		goto out;
	for (uint32_t i = 0; i < h.nstrs; i++) {
		const char *s = (const char *)b->p + at;
		const char *end = memchr(s, 0, b->len - at);

		if (!end || !(table[i] = mp_strs_intern(strs, s)))
			goto out;
		at += end - s + 1;
	}
	for (d->nrows = 0; d->nrows < h.nrows; d->nrows++) {
		struct rrow r;

		if (!take(b, &at, &r, sizeof(r)) || !str_at(table, h.nstrs, r.file, &d->rows[d->nrows].file))
			goto out;
		d->rows[d->nrows].addr = r.addr;
		d->rows[d->nrows].line = r.line;
	}
	for (d->nfuncs = 0; d->nfuncs < h.nfuncs; d->nfuncs++) {
		struct mp_dw_func *f = &d->funcs[d->nfuncs];
		struct rfunc r;

		if (!take(b, &at, &r, sizeof(r)) || !str_at(table, h.nstrs, r.name, &f->name) ||
		    !str_at(table, h.nstrs, r.decl_file, &f->decl_file))
			goto out;
		f->decl_line = r.decl_line;
		f->last_line = r.last_line;
	}
	for (d->nnodes = 0; d->nnodes < h.nnodes; d->nnodes++) {
		struct mp_dw_node *nd = &d->nodes[d->nnodes];
		struct rnode r;

		if (!take(b, &at, &r, sizeof(r)) || r.func >= h.nfuncs || r.parent < -1 ||
		    r.parent >= (int64_t)h.nnodes || !str_at(table, h.nstrs, r.call_file, &nd->call_file) ||
		    !str_at(table, h.nstrs, r.comp_dir, &nd->comp_dir))
			goto out;
		nd->func = r.func;
		nd->parent = r.parent;
		nd->call_line = r.call_line;
		if (!nd->comp_dir)
			nd->comp_dir = "";
	}
	for (d->nranges = 0; d->nranges < h.nranges; d->nranges++) {
		struct rrange r;

		if (!take(b, &at, &r, sizeof(r)) || r.node < 0 || r.node >= (int64_t)h.nnodes)
			goto out;
		d->ranges[d->nranges] = (struct mp_dw_range){ r.lo, r.hi, r.node };
	}
	ok = at == b->len;
out:
	free(table);
	if (!ok) {
		mp_dwarf_free(d);
		return NULL;
	}
	return d;
}

struct mp_dwarf *mp_dwarf_load_isolated(const char *path, struct mp_strs *strs)
{
	struct buf b = { 0 };
	struct mp_dwarf *d = NULL;
	int fds[2], status = -1;
	pid_t pid, res;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fds[0]);
		child(path, fds[1]);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n;

		if (!room(&b, 1 << 16))
			break;
		n = read(fds[0], b.p + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += n;
	}
	close(fds[0]);
	/* With SIGCHLD ignored or reaped elsewhere there is no status: the
	 * records, complete or not, are the only judge. */
	while ((res = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (!b.failed && (res < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0)))
		d = decode(&b, strs);
	free(b.p);
	return d;
}
