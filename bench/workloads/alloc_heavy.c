/* SPDX-License-Identifier: MIT */
/*
 * alloc_heavy.c - the allocation-heavy workload of bench/run: millions of
 * small heap nodes in linked lists and a chained hash table that rehashes as
 * it grows, plus arrays grown by realloc.  It is the worst case for heap
 * profilers (every malloc and free is an event) and a busy case for mprof
 * (many short lines that change memory).
 *
 *     alloc_heavy [N]        N nodes per phase, default 2000000
 *
 * Prints one checksum line per phase; bench/run compares them with the
 * plain build's.  The three phase functions are marked MPROF: built with
 * the plugin and no -fplugin-arg-mprof-all, only they are instrumented (the
 * "annotated" variant); the helpers they call are not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

static uint64_t rng_state = 88172645463325252u;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "alloc_heavy: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n);

	if (!p) {
		fprintf(stderr, "alloc_heavy: out of memory\n");
		exit(1);
	}
	return p;
}

struct lnode {
	struct lnode *next;
	uint64_t value;
};

static struct lnode *list_push(struct lnode *head, uint64_t value)
{
	struct lnode *n = xmalloc(sizeof *n);

	n->next = head;
	n->value = value;
	return n;
}

static uint64_t list_sum(const struct lnode *n)
{
	uint64_t s = 0;

	for (; n; n = n->next)
		s = s * 31 + n->value;
	return s;
}

static struct lnode *list_drop_odd(struct lnode *head)
{
	struct lnode **pp = &head;

	while (*pp) {
		struct lnode *n = *pp;

		if (n->value & 1) {
			*pp = n->next;
			free(n);
		} else {
			pp = &n->next;
		}
	}
	return head;
}

static void list_free(struct lnode *n)
{
	while (n) {
		struct lnode *next = n->next;

		free(n);
		n = next;
	}
}

MPROF static uint64_t list_phase(size_t n)
{
	struct lnode *lists[8] = { 0 };
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		lists[i % 8] = list_push(lists[i % 8], rng() >> 32);
	for (int k = 0; k < 8; k++)
		lists[k] = list_drop_odd(lists[k]);
	for (size_t i = 0; i < n / 2; i++)
		lists[i % 8] = list_push(lists[i % 8], i);
	for (int k = 0; k < 8; k++)
		sum ^= list_sum(lists[k]) + (uint64_t)k;
	for (int k = 0; k < 8; k++)
		list_free(lists[k]);
	return sum;
}

struct hnode {
	struct hnode *next;
	uint64_t hash;
	uint64_t value;
	char key[];
};

struct table {
	struct hnode **slots;
	size_t mask;
	size_t count;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static void table_grow(struct table *t)
{
	size_t size = (t->mask + 1) * 2;
	struct hnode **slots = calloc(size, sizeof *slots);

	if (!slots) {
		fprintf(stderr, "alloc_heavy: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode *n = t->slots[i];

		while (n) {
			struct hnode *next = n->next;

			n->next = slots[n->hash & (size - 1)];
			slots[n->hash & (size - 1)] = n;
			n = next;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->mask = size - 1;
}

static struct hnode *table_find(struct table *t, const char *key, uint64_t h)
{
	struct hnode *n = t->slots[h & t->mask];

	while (n && (n->hash != h || strcmp(n->key, key)))
		n = n->next;
	return n;
}

static void table_put(struct table *t, const char *key, uint64_t value)
{
	uint64_t h = hash_str(key);
	struct hnode *n = table_find(t, key, h);
	size_t len;

	if (n) {
		n->value += value;
		return;
	}
	if (t->count >= t->mask + 1)
		table_grow(t);
	len = strlen(key) + 1;
	n = xmalloc(sizeof *n + len);
	memcpy(n->key, key, len);
	n->hash = h;
	n->value = value;
	n->next = t->slots[h & t->mask];
	t->slots[h & t->mask] = n;
	t->count++;
}

static int table_del(struct table *t, const char *key)
{
	uint64_t h = hash_str(key);
	struct hnode **pp = &t->slots[h & t->mask];

	for (; *pp; pp = &(*pp)->next) {
		struct hnode *n = *pp;

		if (n->hash == h && !strcmp(n->key, key)) {
			*pp = n->next;
			free(n);
			t->count--;
			return 1;
		}
	}
	return 0;
}

static uint64_t table_sum(const struct table *t)
{
	uint64_t s = 0;

	for (size_t i = 0; i <= t->mask; i++)
		for (const struct hnode *n = t->slots[i]; n; n = n->next)
			s += n->hash ^ n->value;
	return s;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode *n = t->slots[i];

		while (n) {
			struct hnode *next = n->next;

			free(n);
			n = next;
		}
	}
	free(t->slots);
}

MPROF static uint64_t hash_phase(size_t n)
{
	struct table t = { calloc(16, sizeof(struct hnode *)), 15, 0 };
	char key[32];
	uint64_t sum, removed = 0;

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%llx", (unsigned long long)(rng() % (n * 2)));
		table_put(&t, key, i);
	}
	for (size_t i = 0; i < n / 2; i++) {
		snprintf(key, sizeof key, "k%llx", (unsigned long long)(rng() % (n * 2)));
		removed += (uint64_t)table_del(&t, key);
	}
	sum = table_sum(&t) ^ (t.count << 32) ^ removed;
	table_free(&t);
	return sum;
}

struct vec {
	uint32_t *v;
	size_t len, cap;
};

static void vec_push(struct vec *a, uint32_t x)
{
	if (a->len == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->len++] = x;
}

MPROF static uint64_t array_phase(size_t n)
{
	size_t nvec = n / 64 + 1;
	struct vec *vecs = calloc(nvec, sizeof *vecs);
	struct vec big = { 0 };
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		vec_push(&vecs[rng() % nvec], (uint32_t)i);
	for (size_t i = 0; i < 4 * n; i++)
		vec_push(&big, (uint32_t)(i * 2654435761u));
	for (size_t k = 0; k < nvec; k++) {
		for (size_t i = 0; i < vecs[k].len; i++)
			sum = sum * 131 + vecs[k].v[i];
		free(vecs[k].v);
	}
	for (size_t i = 0; i < big.len; i += 4096)
		sum ^= big.v[i];
	free(big.v);
	free(vecs);
	return sum;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;

	if (n == 0) {
		fprintf(stderr, "usage: alloc_heavy [N]\n");
		return 2;
	}
	printf("list  %016llx\n", (unsigned long long)list_phase(n));
	printf("hash  %016llx\n", (unsigned long long)hash_phase(n));
	printf("array %016llx\n", (unsigned long long)array_phase(n));
	return 0;
}
