/* SPDX-License-Identifier: MIT */
/*
 * hmap.c - the recorder's integer map (hmap.h): linear probing, growth by
 * doubling at half load, deletion by shifting the following run back so
 * lookups never need tombstones.
 */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64's finaliser: addresses and page numbers spread well. */
static size_t slot_of(uint64_t k, size_t mask)
{
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k & mask;
}

void mp_hmap_init(struct mp_hmap *m)
{
	memset(m, 0, sizeof *m);
}

void mp_hmap_free(struct mp_hmap *m)
{
	free(m->keys);
	free(m->vals);
	mp_hmap_init(m);
}

uint64_t *mp_hmap_get(const struct mp_hmap *m, uint64_t key)
{
	size_t i;

	if (!m->keys)
		return NULL;
	for (i = slot_of(key, m->mask); m->keys[i]; i = (i + 1) & m->mask)
		if (m->keys[i] == key)
			return &m->vals[i];
	return NULL;
}

static int grow(struct mp_hmap *m)
{
	size_t slots = m->keys ? (m->mask + 1) * 2 : 64, i, j;
	uint64_t *k = calloc(slots, sizeof *k), *v = malloc(slots * sizeof *v);

	if (!k || !v) {
		free(k);
		free(v);
		return -1;
	}
	for (i = 0; m->keys && i <= m->mask; i++) {
		if (!m->keys[i])
			continue;
		for (j = slot_of(m->keys[i], slots - 1); k[j];
		     j = (j + 1) & (slots - 1))
			;
		k[j] = m->keys[i];
		v[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = k;
	m->vals = v;
	m->mask = slots - 1;
	return 0;
}

uint64_t *mp_hmap_put(struct mp_hmap *m, uint64_t key, int *added)
{
	size_t i;

	*added = 0;
	if ((!m->keys || (m->n + 1) * 2 > m->mask + 1) && grow(m))
		return NULL;
	for (i = slot_of(key, m->mask); m->keys[i]; i = (i + 1) & m->mask)
		if (m->keys[i] == key)
			return &m->vals[i];
	m->keys[i] = key;
	m->vals[i] = 0;
	m->n++;
	*added = 1;
	return &m->vals[i];
}

int mp_hmap_del(struct mp_hmap *m, uint64_t key, uint64_t *val)
{
	size_t i, j, h;

	if (!m->keys)
		return 0;
	for (i = slot_of(key, m->mask); m->keys[i] != key; i = (i + 1) & m->mask)
		if (!m->keys[i])
			return 0;
	if (val)
		*val = m->vals[i];
	/* shift back every key of the run that may move into the hole */
	for (j = (i + 1) & m->mask; m->keys[j]; j = (j + 1) & m->mask) {
		h = slot_of(m->keys[j], m->mask);
		if (((j - h) & m->mask) >= ((j - i) & m->mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->n--;
	return 1;
}

int mp_hmap_copy(struct mp_hmap *dst, const struct mp_hmap *src)
{
	size_t slots = src->keys ? src->mask + 1 : 0;

	mp_hmap_init(dst);
	if (!slots)
		return 0;
	dst->keys = malloc(slots * sizeof *dst->keys);
	dst->vals = malloc(slots * sizeof *dst->vals);
	if (!dst->keys || !dst->vals) {
		mp_hmap_free(dst);
		return -1;
	}
	memcpy(dst->keys, src->keys, slots * sizeof *dst->keys);
	memcpy(dst->vals, src->vals, slots * sizeof *dst->vals);
	dst->n = src->n;
	dst->mask = src->mask;
	return 0;
}
