/* One queue per CPU, in the CPU's own order: a CPU's batches arrive in the
 * order it staged them, so each queue is sorted by ts but for the rare
 * record a program staged after an interrupting one, which sinks into place
 * as it is added (and the records an interrupting program put in the ring
 * itself, which join their CPU's queue the same way). Emitting merges the
 * queues' heads through a small heap: each record is copied in once and out
 * once, never sorted again while it waits for the watermark. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "bpf/record_abi.h"
#include "bpf/record_order.h"

_Static_assert(sizeof(struct rec_alloc_event) <= RECORD_ORDER_MAX, "an event fits a slot");

struct slot {
	uint64_t ts;
	uint64_t seq; /* arrival, for equal timestamps */
	_Alignas(8) uint8_t rec[RECORD_ORDER_MAX]; /* read as the event it holds */
	uint32_t size;
};

struct queue {
	struct slot *slots; /* a ring of cap slots, head first */
	size_t head, n, cap;
};

struct record_order {
	struct queue *q;
	size_t nq;
	size_t held;
	uint64_t seq;
	size_t *heap; /* queue indices by head slot, emit's scratch */
};

struct record_order *record_order__new(void)
{
	return calloc(1, sizeof(struct record_order));
}

void record_order__free(struct record_order *ro)
{
	if (!ro)
		return;
	for (size_t i = 0; i < ro->nq; i++)
		free(ro->q[i].slots);
	free(ro->q);
	free(ro->heap);
	free(ro);
}

static struct slot *at(const struct queue *q, size_t i)
{
	return &q->slots[(q->head + i) % q->cap];
}

static int queue_grow(struct queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 1024;
	struct slot *s = malloc(cap * sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < q->n; i++)
		s[i] = *at(q, i);
	free(q->slots);
	q->slots = s;
	q->head = 0;
	q->cap = cap;
	return 0;
}

static int queues_for(struct record_order *ro, size_t cpu)
{
	struct queue *q;
	size_t *heap;
	size_t n = cpu + 1;

	if (n <= ro->nq)
		return 0;
	q = realloc(ro->q, n * sizeof(*q));
	if (!q)
		return -ENOMEM;
	ro->q = q;
	memset(q + ro->nq, 0, (n - ro->nq) * sizeof(*q));
	ro->nq = n;
	heap = realloc(ro->heap, n * sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	ro->heap = heap;
	return 0;
}

int record_order__add(struct record_order *ro, const void *rec, size_t size)
{
	const struct rec_event *ev = rec;
	struct queue *q;
	size_t i;

	if (size < sizeof(*ev))
		return 0;
	if (size > RECORD_ORDER_MAX)
		return -EINVAL;
	if (queues_for(ro, ev->cpu))
		return -ENOMEM;
	q = &ro->q[ev->cpu];
	if (q->n == q->cap && queue_grow(q))
		return -ENOMEM;
	/* Sink below the later ones already queued (rare, and never far). */
	for (i = q->n; i > 0 && at(q, i - 1)->ts > ev->ts; i--)
		*at(q, i) = *at(q, i - 1);
	struct slot *s = at(q, i);

	s->ts = ev->ts;
	s->seq = ro->seq++;
	s->size = (uint32_t)size;
	memcpy(s->rec, rec, size);
	q->n++;
	ro->held++;
	return 0;
}

static bool before(const struct record_order *ro, size_t a, size_t b)
{
	const struct slot *x = at(&ro->q[a], 0), *y = at(&ro->q[b], 0);

	return x->ts != y->ts ? x->ts < y->ts : x->seq < y->seq;
}

static void sift_down(struct record_order *ro, size_t n, size_t i)
{
	size_t *h = ro->heap;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < n && before(ro, h[l], h[m]))
			m = l;
		if (l + 1 < n && before(ro, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = h[i];

		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int record_order__emit(struct record_order *ro, uint64_t watermark,
		       int (*fn)(void *ctx, const void *rec, size_t size), void *ctx)
{
	size_t n = 0;
	int handed = 0;

	for (size_t i = 0; i < ro->nq; i++)
		if (ro->q[i].n)
			ro->heap[n++] = i;
	for (size_t i = n; i-- > 0;)
		sift_down(ro, n, i);
	while (n) {
		struct queue *q = &ro->q[ro->heap[0]];
		struct slot *s = at(q, 0);
		int stop;

		if (s->ts >= watermark)
			break;
		stop = fn(ctx, s->rec, s->size);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		ro->held--;
		handed++;
		if (stop)
			break;
		if (!q->n)
			ro->heap[0] = ro->heap[--n];
		sift_down(ro, n, 0);
	}
	return handed;
}

size_t record_order__held(const struct record_order *ro)
{
	return ro->held;
}
