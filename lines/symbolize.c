/* SPDX-License-Identifier: MIT */
/*
 * symbolize.c - the symbolizer of `mprof lines` (symbolize.h): the file
 * mappings of each process, kept sorted by (pid, start), and one object per
 * path whose ELF facts and DWARF index are read on its first lookup.  An
 * object without DWARF of its own gets it from a separate debug file found
 * by build id or .gnu_debuglink, the way gdb looks: ROOT/.build-id/xx/
 * yyyy.debug, then DIR/name, DIR/.debug/name and ROOT/DIR/name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize.h"
#include "symbolize_internal.h"

/* One file, shared by every mapping of it in every process. */
struct object {
	const char *path;	/* interned */
	bool loaded;		/* elf and dwarf were read (or tried) */
	bool elf_ok;		/* elf holds the file's headers */
	struct mp_elf elf;
	struct mp_dwarf *dwarf;	/* NULL: no line information */
};

struct mapping {
	uint32_t pid;
	uint64_t start, end, pgoff;
	struct object *obj;
};

struct mp_sym {
	struct mapping *maps;	/* by (pid, start), disjoint within a pid */
	size_t nmaps, capmaps;
	struct object **objs;
	size_t nobjs;
	struct mp_strs strs;
	char *debug_root;	/* NULL: /usr/lib/debug */
};

struct mp_sym *mp_sym_new(void)
{
	return calloc(1, sizeof(struct mp_sym));
}

void mp_sym_free(struct mp_sym *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nobjs; i++) {
		mp_elf_free(&s->objs[i]->elf);
		mp_dwarf_free(s->objs[i]->dwarf);
		free(s->objs[i]);
	}
	free(s->objs);
	free(s->maps);
	free(s->debug_root);
	mp_strs_free(&s->strs);
	free(s);
}

void mp_sym_set_debug_root(struct mp_sym *s, const char *root)
{
	free(s->debug_root);
	s->debug_root = root ? strdup(root) : NULL;
}

/* The object of path, made on first mention (NULL if memory runs out). */
static struct object *object(struct mp_sym *s, const char *path)
{
	const char *p = mp_strs_intern(&s->strs, path);
	struct object *o, **objs;

	if (!p)
		return NULL;
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i]->path == p)
			return s->objs[i];
	if (!(objs = realloc(s->objs, (s->nobjs + 1) * sizeof(*objs))))
		return NULL;
	s->objs = objs;
	if (!(o = calloc(1, sizeof(*o))))
		return NULL;
	o->path = p;
	s->objs[s->nobjs++] = o;
	return o;
}

/* True when the debug file at path exists, has DWARF and, if both carry a
 * build id, belongs to e. */
static bool debug_file_fits(struct mp_sym *s, const char *path, const struct mp_elf *e)
{
	struct mp_elf d;
	bool fits;

	if (mp_elf_read(path, &d, &s->strs) < 0)
		return false;
	fits = d.has_dwarf && (!d.build_id_len || !e->build_id_len ||
			       (d.build_id_len == e->build_id_len &&
				!memcmp(d.build_id, e->build_id, d.build_id_len)));
	mp_elf_free(&d);
	return fits;
}

/* The separate debug file of o into buf; false if none is found. */
static bool find_debug_file(struct mp_sym *s, const struct object *o, char *buf, size_t size)
{
	const char *root = s->debug_root ? s->debug_root : "/usr/lib/debug";
	const struct mp_elf *e = &o->elf;
	const char *slash = strrchr(o->path, '/');
	int dirlen = slash ? (int)(slash - o->path) : 0;

	if (e->build_id_len) {
		int n = snprintf(buf, size, "%s/.build-id/%02x/", root, e->build_id[0]);

		for (size_t i = 1; i < e->build_id_len && n > 0 && (size_t)n < size; i++)
			n += snprintf(buf + n, size - n, "%02x", e->build_id[i]);
		if (n > 0 && (size_t)n < size && snprintf(buf + n, size - n, ".debug") < (int)(size - n) &&
		    debug_file_fits(s, buf, e))
			return true;
	}
	if (!e->debuglink[0])
		return false;
	const char *const forms[] = { "%.*s/%s", "%.*s/.debug/%s", "%s%.*s/%s" };
	for (int i = 0; i < 3; i++) {
		int n = i < 2 ? snprintf(buf, size, forms[i], dirlen, o->path, e->debuglink)
			      : snprintf(buf, size, forms[i], root, dirlen, o->path, e->debuglink);

		/* The object itself may carry the link to a stripped copy. */
		if (n > 0 && (size_t)n < size && strcmp(buf, o->path) && debug_file_fits(s, buf, e))
			return true;
	}
	return false;
}

/* Read o's ELF and DWARF, once. */
static void load(struct mp_sym *s, struct object *o)
{
	char debug[4096];

	if (o->loaded)
		return;
	o->loaded = true;
	o->elf_ok = mp_elf_read(o->path, &o->elf, &s->strs) == 0;
	if (!o->elf_ok)
		return;
	if (o->elf.has_dwarf) {
		o->dwarf = mp_dwarf_load_isolated(o->path, &s->strs);
	} else if (find_debug_file(s, o, debug, sizeof(debug))) {
		o->dwarf = mp_dwarf_load_isolated(debug, &s->strs);
		/* A stripped object's full symbol table is in its debug file. */
		if (!o->elf.syms_from_symtab) {
			struct mp_elf d;

			if (mp_elf_read(debug, &d, &s->strs) == 0 && d.syms_from_symtab) {
				free(o->elf.syms);
				o->elf.syms = d.syms;
				o->elf.nsyms = d.nsyms;
				o->elf.syms_from_symtab = true;
				d.syms = NULL;
			}
			mp_elf_free(&d);
		}
	}
}

/* Index of the first mapping at or after (pid, start). */
static size_t lower_bound(const struct mp_sym *s, uint32_t pid, uint64_t start)
{
	size_t lo = 0, hi = s->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mapping *m = &s->maps[mid];

		if (m->pid < pid || (m->pid == pid && m->start < start))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert m at its place; false if memory runs out. */
static bool insert(struct mp_sym *s, const struct mapping *m)
{
	size_t at;

	if (s->nmaps == s->capmaps) {
		size_t cap = s->capmaps ? s->capmaps * 2 : 64;
		struct mapping *maps = realloc(s->maps, cap * sizeof(*maps));

		if (!maps)
			return false;
		s->maps = maps;
		s->capmaps = cap;
	}
	at = lower_bound(s, m->pid, m->start);
	memmove(&s->maps[at + 1], &s->maps[at], (s->nmaps - at) * sizeof(*s->maps));
	s->maps[at] = *m;
	s->nmaps++;
	return true;
}

/* Remove [start, end) from pid's mappings, keeping the parts of partly
 * covered mappings outside it. */
static void unmap(struct mp_sym *s, uint32_t pid, uint64_t start, uint64_t end)
{
	size_t i = lower_bound(s, pid, 0);

	while (i < s->nmaps && s->maps[i].pid == pid && s->maps[i].start < end) {
		struct mapping m = s->maps[i];

		if (m.end <= start) {
			i++;
			continue;
		}
		memmove(&s->maps[i], &s->maps[i + 1], (s->nmaps - i - 1) * sizeof(*s->maps));
		s->nmaps--;
		if (m.start < start) {
			struct mapping left = m;

			left.end = start;
			insert(s, &left);
			i++;
		}
		if (m.end > end) {
			struct mapping right = m;

			right.pgoff += end - m.start;
			right.start = end;
			insert(s, &right);
			i++;
		}
	}
}

void mp_sym_map(struct mp_sym *s, uint32_t pid, uint64_t start, uint64_t end,
		uint64_t pgoff, const char *path)
{
	struct mapping m = { pid, start, end, pgoff, NULL };

	if (start >= end)
		return;
	unmap(s, pid, start, end);
	if (!path || path[0] != '/')
		return;
	if ((m.obj = object(s, path)))
		insert(s, &m);
}

int mp_sym_read_maps(struct mp_sym *s, uint32_t pid)
{
	char name[64], line[4096 + 256];
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%u/maps", (unsigned)pid);
	if (!(f = fopen(name, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		int path = 0;
		size_t len;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff, &path) < 3 ||
		    !path)
			continue;
		len = strlen(line + path);
		if (len && line[path + len - 1] == '\n')
			line[path + len - 1] = 0;
		mp_sym_map(s, pid, start, end, pgoff, line + path);
	}
	fclose(f);
	return 0;
}

void mp_sym_fork(struct mp_sym *s, uint32_t parent, uint32_t child)
{
	size_t i;

	if (parent == child)
		return;
	mp_sym_exec(s, child);
	for (i = lower_bound(s, parent, 0); i < s->nmaps && s->maps[i].pid == parent; i++) {
		struct mapping m = s->maps[i];

		m.pid = child;
		if (!insert(s, &m))
			return;
		if (child < parent)
			i++;	/* the copy went in before the parent's */
	}
}

void mp_sym_exec(struct mp_sym *s, uint32_t pid)
{
	size_t from = lower_bound(s, pid, 0), to = from;

	while (to < s->nmaps && s->maps[to].pid == pid)
		to++;
	memmove(&s->maps[from], &s->maps[to], (s->nmaps - to) * sizeof(*s->maps));
	s->nmaps -= to - from;
}

/* The mapping of pid covering addr, or NULL. */
static const struct mapping *mapping_at(const struct mp_sym *s, uint32_t pid, uint64_t addr)
{
	size_t i = lower_bound(s, pid, addr + 1);

	if (addr == UINT64_MAX || !i || s->maps[i - 1].pid != pid || addr >= s->maps[i - 1].end)
		return NULL;
	return &s->maps[i - 1];
}

/* Fill out[0..n) for vaddr of the loaded object o; offset is what the
 * frames give as the object's address. */
static int frames(const struct object *o, uint64_t vaddr, uint64_t offset,
		  struct mp_sym_frame *out, int max)
{
	const struct mp_dw_row *row = o->dwarf ? mp_dwarf_row_at(o->dwarf, vaddr) : NULL;
	int32_t node = o->dwarf ? mp_dwarf_node_at(o->dwarf, vaddr) : -1;
	struct mp_sym_frame *f = &out[0];
	int n = 1;

	memset(f, 0, sizeof(*f));
	f->module = o->path;
	f->offset = offset;
	f->dir = "";
	if (row) {
		f->file = row->file;
		f->line = row->line;
	}
	if (node < 0) {
		const struct mp_elf_sym *sym = o->elf_ok ? mp_elf_sym_at(&o->elf, vaddr) : NULL;

		f->func = sym ? sym->name : NULL;
		return 1;
	}
	for (;;) {
		const struct mp_dw_node *nd = &o->dwarf->nodes[node];
		const struct mp_dw_func *fn = &o->dwarf->funcs[nd->func];

		f->func = fn->name;
		f->dir = nd->comp_dir;
		f->func_line = fn->decl_line;
		f->func_last_line = fn->last_line;
		if (nd->parent < 0 || n >= max)
			break;
		f = &out[n++];
		memset(f, 0, sizeof(*f));
		f->module = o->path;
		f->offset = offset;
		f->file = nd->call_file;
		f->line = nd->call_line;
		node = nd->parent;
	}
	return n;
}

int mp_sym_lookup(struct mp_sym *s, uint32_t pid, uint64_t addr,
		  struct mp_sym_frame *out, int max)
{
	const struct mapping *m = mapping_at(s, pid, addr);
	uint64_t off, vaddr;

	if (!m || max < 1)
		return 0;
	load(s, m->obj);
	off = addr - m->start + m->pgoff;
	if (!m->obj->elf_ok || !mp_elf_off_to_vaddr(&m->obj->elf, off, &vaddr)) {
		memset(out, 0, sizeof(*out));
		out->module = m->obj->path;
		out->offset = off;
		out->dir = "";
		return 1;
	}
	return frames(m->obj, vaddr, vaddr, out, max);
}

int mp_sym_lookup_file(struct mp_sym *s, const char *path, uint64_t vaddr,
		       struct mp_sym_frame *out, int max)
{
	struct object *o = object(s, path);

	if (!o || max < 1)
		return 0;
	load(s, o);
	return frames(o, vaddr, vaddr, out, max);
}

bool mp_sym_has_lines(struct mp_sym *s, uint32_t pid, uint64_t addr)
{
	const struct mapping *m = mapping_at(s, pid, addr);
	uint64_t vaddr;

	if (!m)
		return false;
	load(s, m->obj);
	return m->obj->dwarf && m->obj->elf_ok &&
	       mp_elf_off_to_vaddr(&m->obj->elf, addr - m->start + m->pgoff, &vaddr) &&
	       mp_dwarf_row_at(m->obj->dwarf, vaddr);
}
