#include "util/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Linear probing with tombstones-free backward-shift deletion; the occupied
 * flag is kept apart so every u64 is a valid key. */
struct u64map {
	uint64_t *keys;
	uint64_t *values;
	uint8_t *used;
	size_t cap; /* power of two */
	size_t count;
};

uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int alloc_slots(struct u64map *m, size_t cap)
{
	m->keys = calloc(cap, sizeof(*m->keys));
	m->values = calloc(cap, sizeof(*m->values));
	m->used = calloc(cap, 1);
	if (!m->keys || !m->values || !m->used) {
		free(m->keys);
		free(m->values);
		free(m->used);
		return -ENOMEM;
	}
	m->cap = cap;
	return 0;
}

struct u64map *u64map_new(size_t expected)
{
	struct u64map *m = calloc(1, sizeof(*m));
	size_t cap = 16;

	if (!m)
		return NULL;
	while (cap < expected * 2)
		cap *= 2;
	if (alloc_slots(m, cap)) {
		free(m);
		return NULL;
	}
	return m;
}

void u64map_free(struct u64map *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->values);
	free(m->used);
	free(m);
}

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	size_t i = hash_u64(key) & (m->cap - 1);

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;
	size_t i;

	if (alloc_slots(m, old.cap * 2)) {
		*m = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++) {
		if (old.used[i]) {
			size_t s = slot_of(m, old.keys[i]);

			m->used[s] = 1;
			m->keys[s] = old.keys[i];
			m->values[s] = old.values[i];
		}
	}
	free(old.keys);
	free(old.values);
	free(old.used);
	return 0;
}

uint64_t *u64map_findnew(struct u64map *m, uint64_t key, uint64_t init)
{
	size_t s;

	if ((m->count + 1) * 10 > m->cap * 7 && grow(m))
		return NULL;
	s = slot_of(m, key);
	if (!m->used[s]) {
		m->used[s] = 1;
		m->keys[s] = key;
		m->values[s] = init;
		m->count++;
	}
	return &m->values[s];
}

int u64map_set(struct u64map *m, uint64_t key, uint64_t value)
{
	uint64_t *v = u64map_findnew(m, key, value);

	if (!v)
		return -ENOMEM;
	*v = value;
	return 0;
}

uint64_t *u64map_find(const struct u64map *m, uint64_t key)
{
	size_t s = slot_of(m, key);

	return m->used[s] ? &m->values[s] : NULL;
}

bool u64map_remove(struct u64map *m, uint64_t key, uint64_t *old_value)
{
	size_t i = slot_of(m, key), j;

	if (!m->used[i])
		return false;
	if (old_value)
		*old_value = m->values[i];
	m->used[i] = 0;
	m->count--;
	/* Backward-shift the following cluster so probes never stop early. */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & (m->cap - 1);
		if (!m->used[j])
			break;
		home = hash_u64(m->keys[j]) & (m->cap - 1);
		/* Move j to i if its home is not cyclically within (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->keys[i] = m->keys[j];
			m->values[i] = m->values[j];
			m->used[i] = 1;
			m->used[j] = 0;
			i = j;
		}
	}
	return true;
}

size_t u64map_count(const struct u64map *m)
{
	return m->count;
}

bool u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, uint64_t *value)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->used[i]) {
			if (key)
				*key = m->keys[i];
			if (value)
				*value = m->values[i];
			return true;
		}
	}
	return false;
}
