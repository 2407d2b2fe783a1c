/* Open-addressing hash map from a 64-bit key to a 64-bit value (which may be
 * a pointer cast to uintptr_t). Keys are any u64; the map grows as needed. */
#ifndef POOLSCOPE_UTIL_HASHMAP_H
#define POOLSCOPE_UTIL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map;

struct u64map *u64map_new(size_t expected);
void u64map_free(struct u64map *m);
/* Insert or overwrite. 0 or -ENOMEM. */
int u64map_set(struct u64map *m, uint64_t key, uint64_t value);
/* Pointer to the stored value, valid until the next insert; NULL if absent. */
uint64_t *u64map_find(const struct u64map *m, uint64_t key);
/* Pointer to the value for key, inserting `init` first if absent. */
uint64_t *u64map_findnew(struct u64map *m, uint64_t key, uint64_t init);
bool u64map_remove(struct u64map *m, uint64_t key, uint64_t *old_value);
size_t u64map_count(const struct u64map *m);

/* Iteration: `pos` starts at 0; returns false at the end. Do not insert or
 * remove while iterating (collect keys first). */
bool u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, uint64_t *value);

uint64_t hash_u64(uint64_t x);
uint64_t hash_bytes(const void *p, size_t n);

#endif
