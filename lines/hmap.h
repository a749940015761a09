/* SPDX-License-Identifier: MIT */
/*
 * hmap.h - a map from 64-bit keys to 64-bit values for the recorder of
 * `mprof lines` (lines/acct.c): code addresses to lines, resident pages,
 * live heap blocks.  Open addressing with linear probing and backward-shift
 * deletion (no tombstones), at most half full.  Key 0 is never stored (the
 * callers' keys are addresses and page numbers, never 0).
 */
#ifndef MP_HMAP_H
#define MP_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct mp_hmap {
	uint64_t *keys;		/* 0: free slot */
	uint64_t *vals;
	size_t n;		/* keys stored */
	size_t mask;		/* slots - 1; slots a power of two, or 0 */
};

void mp_hmap_init(struct mp_hmap *m);
void mp_hmap_free(struct mp_hmap *m);
/* The value of key, or NULL when absent; valid until the next put/del. */
uint64_t *mp_hmap_get(const struct mp_hmap *m, uint64_t key);
/* The value of key, added as 0 when absent (*added says so); NULL if no memory. */
uint64_t *mp_hmap_put(struct mp_hmap *m, uint64_t key, int *added);
/* Remove key: 1 if it was there (*val gets its value when val != NULL). */
int mp_hmap_del(struct mp_hmap *m, uint64_t key, uint64_t *val);
/* Copy of src into dst (initialised, empty): 0, or -1 when out of memory. */
int mp_hmap_copy(struct mp_hmap *dst, const struct mp_hmap *src);

#endif /* MP_HMAP_H */
