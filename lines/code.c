/* SPDX-License-Identifier: MIT */
/*
 * code.c - executable mappings per process (code.h): a short array per
 * process (a program maps a few dozen executable ranges), searched
 * linearly; a new mapping replaces what it overlaps.
 */
#define _GNU_SOURCE
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysdirs.h"

struct range {
	uint64_t start, end, pgoff;
	int system;		/* a system library */
	const char *path;	/* interned in mp_code.paths */
};

struct proc {
	uint32_t pid;
	struct range *r;
	size_t n, cap;
	size_t last;		/* the range found last: stacks repeat */
};

struct mp_code {
	struct proc *p;
	size_t n, cap;
	char **paths;		/* every path seen, each once */
	size_t npaths, cappaths;
};

struct mp_code *mp_code_new(void)
{
	return calloc(1, sizeof(struct mp_code));
}

void mp_code_free(struct mp_code *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->p[i].r);
	for (i = 0; i < c->npaths; i++)
		free(c->paths[i]);
	free(c->paths);
	free(c->p);
	free(c);
}

static struct proc *find(const struct mp_code *c, uint32_t pid)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (c->p[i].pid == pid)
			return &c->p[i];
	return NULL;
}

static struct proc *get(struct mp_code *c, uint32_t pid)
{
	struct proc *p = find(c, pid);

	if (p)
		return p;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;

		p = realloc(c->p, cap * sizeof *p);
		if (!p)
			return NULL;
		c->p = p;
		c->cap = cap;
	}
	p = &c->p[c->n++];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	return p;
}

static int is_system(const char *path)
{
	/* [vdso], anonymous code: not the program's either */
	return !path || path[0] != '/' || mp_sysdirs_has(path);
}

/* path, interned ("" when NULL or out of memory). */
static const char *intern(struct mp_code *c, const char *path)
{
	size_t i;
	char *d;

	if (!path)
		return "";
	for (i = c->npaths; i-- > 0;)
		if (!strcmp(c->paths[i], path))
			return c->paths[i];
	if (c->npaths == c->cappaths) {
		size_t cap = c->cappaths ? c->cappaths * 2 : 32;
		char **np = realloc(c->paths, cap * sizeof *np);

		if (!np)
			return "";
		c->paths = np;
		c->cappaths = cap;
	}
	d = strdup(path);
	if (!d)
		return "";
	c->paths[c->npaths++] = d;
	return d;
}

void mp_code_map(struct mp_code *c, uint32_t pid, uint64_t start,
		 uint64_t end, uint64_t pgoff, const char *path)
{
	struct proc *p = get(c, pid);
	size_t i, k = 0;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)	/* drop what the new one covers */
		if (p->r[i].end <= start || p->r[i].start >= end)
			p->r[k++] = p->r[i];
	p->n = k;
	p->last = 0;
	if (end <= start)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct range *r = realloc(p->r, cap * sizeof *r);

		if (!r)
			return;
		p->r = r;
		p->cap = cap;
	}
	p->r[p->n].start = start;
	p->r[p->n].end = end;
	p->r[p->n].system = is_system(path);
	p->r[p->n].pgoff = pgoff;
	p->r[p->n].path = intern(c, path);
	p->n++;
}

void mp_code_fork(struct mp_code *c, uint32_t parent, uint32_t child)
{
	struct proc *ch = get(c, child), *pa;

	if (!ch)
		return;
	pa = find(c, parent);
	if (!pa || !pa->n)
		return;
	ch = find(c, child);
	free(ch->r);
	ch->r = malloc(pa->n * sizeof *ch->r);
	ch->n = ch->cap = 0;
	if (!ch->r)
		return;
	memcpy(ch->r, pa->r, pa->n * sizeof *ch->r);
	ch->n = ch->cap = pa->n;
	ch->last = 0;
}

void mp_code_exec(struct mp_code *c, uint32_t pid)
{
	struct proc *p = find(c, pid);

	if (p) {
		p->n = 0;
		p->last = 0;
	}
}

int mp_code_read_maps(struct mp_code *c, uint32_t pid)
{
	char name[64], line[4096 + 128], perms[8], path[4096];
	unsigned long long lo, hi, off;
	FILE *f;

	snprintf(name, sizeof name, "/proc/%u/maps", pid);
	f = fopen(name, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo,
			   &hi, perms, &off, path) < 4 || perms[2] != 'x')
			continue;
		mp_code_map(c, pid, lo, hi, off, path[0] ? path : NULL);
	}
	fclose(f);
	return 0;
}

enum mp_code_kind mp_code_kind(const struct mp_code *c, uint32_t pid,
			       uint64_t addr)
{
	struct proc *p = find(c, pid);
	size_t i;

	if (!p || !p->n)
		return MP_CODE_NONE;
	if (p->last < p->n && addr >= p->r[p->last].start &&
	    addr < p->r[p->last].end)
		return p->r[p->last].system ? MP_CODE_SYSTEM : MP_CODE_USER;
	for (i = 0; i < p->n; i++)
		if (addr >= p->r[i].start && addr < p->r[i].end) {
			p->last = i;
			return p->r[i].system ? MP_CODE_SYSTEM : MP_CODE_USER;
		}
	return MP_CODE_NONE;
}

const char *mp_code_module(const struct mp_code *c, uint32_t pid,
			   uint64_t addr, uint64_t *off)
{
	struct proc *p = find(c, pid);
	size_t i;

	*off = addr;
	if (!p)
		return "";
	for (i = 0; i < p->n; i++)
		if (addr >= p->r[i].start && addr < p->r[i].end) {
			*off = addr - p->r[i].start + p->r[i].pgoff;
			return p->r[i].path;
		}
	return "";
}
