/* The batched path's merge. record.bpf.c stages records per CPU and hands
 * them to the ring a CPU's batch at a time, so the allocation of an object on
 * one CPU can reach user space after its free on another. Records are held
 * here and handed on in ts order (ties in arrival order), each once every
 * record with an earlier ts has surely arrived: the loader says up to where
 * (the watermark, from the staging buffers' state). */
#ifndef POOLSCOPE_BPF_RECORD_ORDER_H
#define POOLSCOPE_BPF_RECORD_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct record_order;

struct record_order *record_order__new(void);
void record_order__free(struct record_order *ro);
/* The largest record held: an allocation event (raw user stacks are not
 * batched). */
#define RECORD_ORDER_MAX 96
/* Holds a copy of one record (it starts with a struct rec_event; ev.cpu says
 * whose order it is in). -ENOMEM, or -EINVAL past RECORD_ORDER_MAX. */
int record_order__add(struct record_order *ro, const void *rec, size_t size);
/* Hands on every held record with ts < watermark, in order, to fn, and
 * returns how many (a record fn returned non-zero for counts: fn keeps its
 * own error, as with libbpf's ring buffer). A non-zero return of fn stops
 * there; the records after it stay held. UINT64_MAX hands on all. */
int record_order__emit(struct record_order *ro, uint64_t watermark,
		       int (*fn)(void *ctx, const void *rec, size_t size), void *ctx);
size_t record_order__held(const struct record_order *ro);

#endif
