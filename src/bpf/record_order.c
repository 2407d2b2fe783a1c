/* Held records live in one arena in arrival order, with an index of (ts,
 * offset) sorted at each emit: sorting by offset second keeps arrival order
 * among equal timestamps. After an emit the records still held (those past
 * the watermark: the last few milliseconds) move to the arena's front. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "bpf/record_abi.h"
#include "bpf/record_order.h"

struct held {
	uint64_t ts;
	size_t off;
	size_t size;
};

struct record_order {
	uint8_t *arena;
	size_t len, cap;
	struct held *idx;
	size_t n, ncap;
};

struct record_order *record_order__new(void)
{
	return calloc(1, sizeof(struct record_order));
}

void record_order__free(struct record_order *ro)
{
	if (!ro)
		return;
	free(ro->arena);
	free(ro->idx);
	free(ro);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t cap2 = *cap ? *cap : 4096;
	void *q;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	q = realloc(*p, cap2 * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = cap2;
	return 0;
}

int record_order__add(struct record_order *ro, const void *rec, size_t size)
{
	const struct rec_event *ev = rec;

	if (size < sizeof(*ev))
		return 0;
	if (grow((void **)&ro->arena, &ro->cap, ro->len + size, 1) ||
	    grow((void **)&ro->idx, &ro->ncap, ro->n + 1, sizeof(*ro->idx)))
		return -ENOMEM;
	memcpy(ro->arena + ro->len, rec, size);
	ro->idx[ro->n++] = (struct held){ .ts = ev->ts, .off = ro->len, .size = size };
	ro->len += size;
	return 0;
}

static int by_ts(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int by_off(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int record_order__emit(struct record_order *ro, uint64_t watermark,
		       int (*fn)(void *ctx, const void *rec, size_t size), void *ctx)
{
	size_t i, keep, len = 0;
	int ret = 0;

	if (!ro->n)
		return 0;
	qsort(ro->idx, ro->n, sizeof(*ro->idx), by_ts);
	for (i = 0; i < ro->n && ro->idx[i].ts < watermark;) {
		int stop = fn(ctx, ro->arena + ro->idx[i].off, ro->idx[i].size);

		i++;
		if (stop)
			break;
	}
	ret = (int)i;
	if (i == ro->n) {
		ro->n = ro->len = 0;
		return ret;
	}
	/* Compact what stays held, in arrival order (its index is re-sorted
	 * by the next emit). The front of the arena holds only records
	 * already handed on, so moving forward never overwrites a kept one
	 * that has not moved yet when they go in offset order. */
	keep = ro->n - i;
	memmove(ro->idx, ro->idx + i, keep * sizeof(*ro->idx));
	ro->n = keep;
	qsort(ro->idx, keep, sizeof(*ro->idx), by_off);
	for (i = 0; i < keep; i++) {
		memmove(ro->arena + len, ro->arena + ro->idx[i].off, ro->idx[i].size);
		ro->idx[i].off = len;
		len += ro->idx[i].size;
	}
	ro->len = len;
	return ret;
}

size_t record_order__held(const struct record_order *ro)
{
	return ro->n;
}
