/* SPDX-License-Identifier: MIT */
/*
 * pprof.c - the pprof export (pprof.h): a profile.proto encoder and its
 * gzipped file.
 *
 * profile.proto's fields, as used here (numbers are field numbers):
 *
 *   Profile   1 sample_type (ValueType)   2 sample   3 mapping
 *             4 location   5 function   6 string_table
 *             13 comment (string index)
 *             14 default_sample_type (string index)
 *   ValueType 1 type   2 unit (string indices)
 *   Sample    1 location_id (packed)   2 value (packed int64)
 *   Mapping   1 id   7 has_functions   8 has_filenames
 *             9 has_line_numbers
 *   Location  1 id   2 mapping_id   4 line (Line)
 *   Line      1 function_id   2 line
 *   Function  1 id   2 name   3 system_name   4 filename   5 start_line
 *
 * Every location is in the one mapping, which says that its functions,
 * files and lines are known: pprof then never looks for a binary to
 * symbolize them with (nor says that it has none).
 *
 * string_table[0] must be "": strings are interned in a hash table as
 * they are first used and written once, in order, at the end.  A nested
 * message is built in a scratch buffer and then copied after its key and
 * length.  Allocation failure sticks in the buffer (`nomem`) and is
 * checked once at the end.
 */
#define _GNU_SOURCE
#include "pprof.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A growing byte buffer. */
struct pb {
	uint8_t *b;
	size_t n, cap;
	int nomem;		/* an allocation failed: b is incomplete */
};

/* Interned strings: the index of each in the string table. */
struct strtab {
	const char **s;		/* by index; borrowed (the profile's, or
				   literals, or `owned`) */
	size_t n, cap;
	size_t *slot;		/* hash slots: index + 1, 0 free */
	size_t nslot;		/* a power of 2, at least twice n */
	char **owned;		/* strings made here (file paths) */
	size_t nowned;
	int nomem;
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

size_t mp_pb_varint(uint8_t *buf, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		buf[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (uint8_t)v;
	return n;
}

static void put(struct pb *b, const void *p, size_t len)
{
	if (b->nomem)
		return;
	if (len > b->cap - b->n) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *nb;

		while (len > cap - b->n)
			cap *= 2;
		nb = realloc(b->b, cap);
		if (!nb) {
			b->nomem = 1;
			return;
		}
		b->b = nb;
		b->cap = cap;
	}
	memcpy(b->b + b->n, p, len);
	b->n += len;
}

static void put_varint(struct pb *b, uint64_t v)
{
	uint8_t buf[10];

	put(b, buf, mp_pb_varint(buf, v));
}

static void put_key(struct pb *b, unsigned field, unsigned wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

/* An integer field; proto3 leaves zero out. */
static void put_int(struct pb *b, unsigned field, int64_t v)
{
	if (!v)
		return;
	put_key(b, field, WIRE_VARINT);
	put_varint(b, (uint64_t)v);
}

static void put_bytes(struct pb *b, unsigned field, const void *p,
		      size_t len)
{
	put_key(b, field, WIRE_LEN);
	put_varint(b, len);
	put(b, p, len);
}

/* A nested message: what `sub` holds, after its key; sub is emptied. */
static void put_msg(struct pb *b, unsigned field, struct pb *sub)
{
	if (sub->nomem)
		b->nomem = 1;
	put_bytes(b, field, sub->b, sub->n);
	sub->n = 0;
}

/* A packed repeated int64 field of n values. */
static void put_packed(struct pb *b, unsigned field, const int64_t *v,
		       size_t n, struct pb *scratch)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_varint(scratch, (uint64_t)v[i]);
	put_msg(b, field, scratch);
}

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Double the hash slots (and make the first ones). */
static int grow_slots(struct strtab *t)
{
	size_t nslot = t->nslot ? t->nslot * 2 : 256, i, h;
	size_t *slot = calloc(nslot, sizeof *slot);

	if (!slot)
		return -1;
	for (i = 0; i < t->n; i++) {
		for (h = hash(t->s[i]) & (nslot - 1); slot[h];
		     h = (h + 1) & (nslot - 1))
			;
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

/* The string table index of s, added at the end when new. */
static int64_t intern(struct strtab *t, const char *s)
{
	size_t h;

	if (t->nomem)
		return 0;
	if (2 * (t->n + 1) > t->nslot && grow_slots(t) < 0)
		goto nomem;
	for (h = hash(s) & (t->nslot - 1); t->slot[h];
	     h = (h + 1) & (t->nslot - 1))
		if (!strcmp(t->s[t->slot[h] - 1], s))
			return (int64_t)(t->slot[h] - 1);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		const char **ns = realloc(t->s, cap * sizeof *ns);

		if (!ns)
			goto nomem;
		t->s = ns;
		t->cap = cap;
	}
	t->s[t->n] = s;
	t->slot[h] = ++t->n;
	return (int64_t)(t->n - 1);
nomem:
	t->nomem = 1;
	return 0;
}

/* Intern a string made here: t keeps it until strtab_free(). */
static int64_t intern_owned(struct strtab *t, char *s)
{
	char **no;

	if (!s || t->nomem) {
		free(s);
		t->nomem = 1;
		return 0;
	}
	no = realloc(t->owned, (t->nowned + 1) * sizeof *no);
	if (!no) {
		free(s);
		t->nomem = 1;
		return 0;
	}
	t->owned = no;
	t->owned[t->nowned++] = s;
	return intern(t, s);
}

static void strtab_free(struct strtab *t)
{
	size_t i;

	for (i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	free(t->owned);
	free(t->s);
	free(t->slot);
}

/* f's file as pprof's source views need it: absolute when dir says how. */
static char *file_path(const struct mp_func *f)
{
	char *path;

	if (f->file[0] == '/' || !f->dir[0])
		return strdup(f->file);
	if (asprintf(&path, "%s/%s", f->dir, f->file) < 0)
		return NULL;
	return path;
}

/* The sample types: the three columns of every table, then the optional
 * ones p has (top.h's order). */
static size_t sample_types(const struct mp_profile *p, enum mp_top_by *types)
{
	size_t n = 0;
	int by;

	for (by = 0; by < MP_BY_COUNT; by++)
		if (mp_top_has(p, by))
			types[n++] = by;
	return n;
}

/* Profile fields 1, 13, 14 and 3: what the samples' values are, and
 * the mapping. */
static void put_header(struct pb *out, struct pb *sub, struct strtab *t,
		       const struct mp_profile *p,
		       const struct mp_json_meta *m,
		       const struct mp_pprof_opts *o)
{
	enum mp_top_by types[MP_BY_COUNT];
	size_t i, n = sample_types(p, types);
	char *c;

	for (i = 0; i < n; i++) {
		put_int(sub, 1, intern(t, mp_top_column(types[i])->name));
		put_int(sub, 2, intern(t, mp_top_column(types[i])->unit));
		put_msg(out, 1, sub);
	}
	if (m && m->backend[0] &&
	    asprintf(&c, "mprof: backend %s, pid %ld", m->backend, m->pid) >= 0)
		put_int(out, 13, intern_owned(t, c));
	put_int(out, 14, intern(t, mp_top_column(o->by)->name));
	/* the mapping: symbolized already */
	put_int(sub, 1, 1);
	put_int(sub, 7, 1);
	put_int(sub, 8, 1);
	put_int(sub, 9, 1);
	put_msg(out, 3, sub);
}

int mp_pprof_encode(const struct mp_profile *p, const struct mp_json_meta *m,
		    const struct mp_pprof_opts *o, uint8_t **out,
		    size_t *len)
{
	struct pb b = { 0 }, sub = { 0 }, scratch = { 0 };
	struct strtab t = { 0 };
	enum mp_top_by types[MP_BY_COUNT];
	int64_t values[MP_BY_COUNT];
	uint64_t loc = 0;
	size_t i, j, k, ntypes = sample_types(p, types);

	intern(&t, "");
	put_header(&b, &sub, &t, p, m, o);
	for (i = 0; i < p->nfuncs; i++) {
		const struct mp_func *f = &p->funcs[i];
		uint64_t fid = i + 1;
		int any = 0;

		for (j = 0; j < f->nrows; j++) {
			const struct mp_row *r = &f->rows[j];

			if (!o->include_signature && mp_top_is_signature(f, r))
				continue;
			any = 1;
			/* the location: the row's line */
			put_int(&sub, 1, (int64_t)++loc);
			put_int(&sub, 2, 1);
			put_int(&scratch, 1, (int64_t)fid);
			put_int(&scratch, 2, r->line);
			put_msg(&sub, 4, &scratch);
			put_msg(&b, 4, &sub);
			/* the sample: that location, the row's figures */
			for (k = 0; k < ntypes; k++)
				values[k] = mp_top_value(r, types[k]);
			put_packed(&sub, 1, (const int64_t *)&loc, 1,
				   &scratch);
			put_packed(&sub, 2, values, ntypes, &scratch);
			put_msg(&b, 2, &sub);
		}
		if (!any)
			continue;
		put_int(&sub, 1, (int64_t)fid);
		put_int(&sub, 2, intern(&t, f->name));
		put_int(&sub, 3, intern(&t, f->name));
		put_int(&sub, 4, intern_owned(&t, file_path(f)));
		put_int(&sub, 5, f->first_line);
		put_msg(&b, 5, &sub);
	}
	for (i = 0; i < t.n && !t.nomem; i++)
		put_bytes(&b, 6, t.s[i], strlen(t.s[i]));
	free(sub.b);
	free(scratch.b);
	if (b.nomem || sub.nomem || scratch.nomem || t.nomem) {
		strtab_free(&t);
		free(b.b);
		return -1;
	}
	strtab_free(&t);
	*out = b.b;
	*len = b.n;
	return 0;
}

/* data gzipped into fd; 0, or -1 with errno set. */
static int write_gzip(int fd, const uint8_t *data, size_t len)
{
	uint8_t buf[65536];
	z_stream z;
	int zrc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	z.next_in = (Bytef *)data;
	do {
		size_t chunk = len > (1u << 30) ? (1u << 30) : len;
		size_t have, off;

		z.avail_in = (uInt)chunk;
		len -= chunk;
		do {
			z.next_out = buf;
			z.avail_out = sizeof buf;
			zrc = deflate(&z, len ? Z_NO_FLUSH : Z_FINISH);
			have = sizeof buf - z.avail_out;
			for (off = 0; off < have;) {
				ssize_t w = write(fd, buf + off, have - off);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					if (w == 0)
						errno = EIO;
					deflateEnd(&z);
					return -1;
				}
				off += (size_t)w;
			}
		} while (z.avail_out == 0);
	} while (len);
	deflateEnd(&z);
	if (zrc != Z_STREAM_END) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int mp_pprof_write(const char *path, const struct mp_profile *p,
		   const struct mp_json_meta *m, const struct mp_pprof_opts *o,
		   char *err, size_t errlen)
{
	uint8_t *data;
	size_t len;
	char *tmp;
	mode_t mask;
	int fd, e;

	if (mp_pprof_encode(p, m, o, &data, &len) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		free(data);
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	/* the mode a new file would get, not mkstemp's 0600 */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || write_gzip(fd, data, len) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		e = errno;
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	free(data);
	return 0;
fail:
	snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
	free(tmp);
	free(data);
	return -1;
}
