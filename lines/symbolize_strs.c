/* SPDX-License-Identifier: MIT */
/*
 * symbolize_strs.c - interned strings for the symbolizer: every file,
 * function and directory name is stored once, so frames can point at them
 * for as long as the mp_sym lives and equal names compare as pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "symbolize_internal.h"

enum { CHUNK = 64 * 1024 };

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* Copy str into the chunks; NULL when memory runs out. */
static const char *store(struct mp_strs *t, const char *str)
{
	size_t len = strlen(str) + 1;
	char *p;

	if (len > t->left) {
		size_t size = len > CHUNK / 4 ? len : CHUNK;
		void **chunks = realloc(t->chunks, (t->nchunks + 1) * sizeof(*chunks));

		if (!chunks)
			return NULL;
		t->chunks = chunks;
		if (!(t->chunks[t->nchunks] = malloc(size)))
			return NULL;
		p = t->chunks[t->nchunks++];
		memcpy(p, str, len);
		if (size == CHUNK) {
			t->chunk = p + len;
			t->left = size - len;
		}
		return p;
	}
	p = t->chunk;
	memcpy(p, str, len);
	t->chunk += len;
	t->left -= len;
	return p;
}

/* Double the hash set, keeping its strings. */
static int grow(struct mp_strs *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024;
	const char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < t->nslots; i++) {
		size_t j;

		if (!t->slots[i])
			continue;
		for (j = hash(t->slots[i]) & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

/* The one copy of str (NULL for NULL, or when memory runs out). */
const char *mp_strs_intern(struct mp_strs *t, const char *str)
{
	size_t i;

	if (!str)
		return NULL;
	if ((t->used + 1) * 2 > t->nslots && grow(t) < 0)
		return NULL;
	for (i = hash(str) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		if (!strcmp(t->slots[i], str))
			return t->slots[i];
	if (!(t->slots[i] = store(t, str)))
		return NULL;
	t->used++;
	return t->slots[i];
}

void mp_strs_free(struct mp_strs *t)
{
	for (size_t i = 0; i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
