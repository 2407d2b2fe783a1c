/* A trace of a known workload, written with the real trace writer, for the
 * report tests: what every count must be is known by construction.
 *
 *   fdleak (tgid 4242) keeps N eventfds, one every 0.5 s from 1 s on (stack 1),
 *   and opens-and-closes M more, each freed 10 ms later (also stack 1);
 *   kworker/0:1 (tgid 17) allocates 10 kmalloc-64 in the first 5 s and frees
 *   them all in the last 4 s (grows then shrinks: not a leak) (stack 2);
 *   one kmalloc-64 object allocated before the trace is freed at 2 s (AOFI);
 *   a page whose pfn equals the first eventfd's address is allocated and freed
 *   (stack 3): pages and slab pointers must not collide.
 * The trace lasts 12 s from start_ns = 1000 s. */
#ifndef POOLSCOPE_TEST_REPORT_TRACE_H
#define POOLSCOPE_TEST_REPORT_TRACE_H

#include <stdint.h>
#include <string.h>

#include "util/symtab.h"
#include "trace/trace.h"

#define RT_START 1000000000000ULL
#define RT_SEC 1000000000ULL
#define RT_MS 1000000ULL
#define RT_EVENTFD_PTR 0xffff888004000000ULL
#define RT_TGID_LEAK 4242
#define RT_TGID_KWORKER 17

static const char rt_kallsyms[] =
	"ffffffff81100000 T kmem_cache_alloc\n"
	"ffffffff81100400 T __kmalloc\n"
	"ffffffff81101000 T __alloc_pages\n"
	"ffffffff81200000 T eventfd_create\n"
	"ffffffff81200300 T do_eventfd\n"
	"ffffffff81200600 T __x64_sys_eventfd2\n"
	"ffffffff81300000 T seq_read\n"
	"ffffffff81300800 T vfs_read\n"
	"ffffffff81400000 T pipe_write\n"
	"ffffffff81500000 T do_syscall_64\n"
	"ffffffff81600000 T entry_SYSCALL_64_after_hwframe\n"
	"ffffffffc0001000 t helper_fn\t[demo_mod]\n";

static const uint64_t rt_stack1[] = { 0xffffffff81100021ULL, 0xffffffff81200044ULL,
				      0xffffffff81200310ULL, 0xffffffff81200612ULL,
				      0xffffffff81500033ULL, 0xffffffff81600044ULL };
static const uint64_t rt_stack2[] = { 0xffffffff81100455ULL, 0xffffffff81300066ULL,
				      0xffffffff81300877ULL, 0xffffffffc0001010ULL };
static const uint64_t rt_stack3[] = { 0xffffffff81101088ULL, 0xffffffff81400099ULL,
				      0xffffffff81500033ULL };

static int rt_write(const char *path, int n_kept, int m_churn)
{
	struct trace_header hdr = { .version = 1, .start_realtime_ns = 1764000000000000000ULL,
				    .start_ns = RT_START, .stacks = true, .sample_every = 1,
				    .options = "--stacks (test workload)" };
	struct trace_writer *w = NULL;
	struct symtab *ks = NULL;
	uint32_t t_eventfd, t_k64, t_page, c_leak, c_kworker;
	int err;

	strcpy(hdr.hostname, "testhost");
	strcpy(hdr.kernel_release, "6.18.44-test");
	strcpy(hdr.boot_id, "00000000-0000-0000-0000-000000000000");
	err = symtab__parse(rt_kallsyms, sizeof(rt_kallsyms) - 1, &ks, NULL);
	if (err)
		return err;
	err = trace_writer__open(path, &hdr, &w);
	if (err)
		goto out;
	t_eventfd = trace_writer__string(w, "eventfd_ctx");
	t_k64 = trace_writer__string(w, "kmalloc-64");
	t_page = trace_writer__string(w, "page-order-0");
	c_leak = trace_writer__string(w, "fdleak");
	c_kworker = trace_writer__string(w, "kworker/0:1");
	err = trace_writer__ksyms(w, ks);
	err = err ?: trace_writer__stack(w, 1, rt_stack1, 6);
	err = err ?: trace_writer__stack(w, 2, rt_stack2, 4);
	err = err ?: trace_writer__stack(w, 3, rt_stack3, 3);
	if (err)
		goto out;
	/* Events in time order, as the recorder writes them. The schedule is
	 * a merge of four streams; each event picks the earliest. */
	{
		struct trace_free pre = { .ts_ns = RT_START + 2 * RT_SEC, .ptr = 0xffff8880dead0000ULL,
					  .call_site = 0xffffffff81300066ULL, .tag_id = t_k64,
					  .tgid = RT_TGID_KWORKER, .tid = RT_TGID_KWORKER,
					  .kind = TK_KMALLOC };
		int kept = 0, churn = 0, kw = 0, kwf = 0;
		bool pre_done = false, page_done = false, page_freed = false;

		for (;;) {
			uint64_t t_kept = kept < n_kept ? RT_START + RT_SEC + (uint64_t)kept * 500 * RT_MS
							: UINT64_MAX;
			/* churn: open at 1.25 s + k*0.1 s, close 10 ms later */
			uint64_t t_open = churn / 2 < m_churn ? RT_START + 1250 * RT_MS +
					  (uint64_t)(churn / 2) * 100 * RT_MS + (churn % 2) * 10 * RT_MS
							      : UINT64_MAX;
			uint64_t t_kw = kw < 10 ? RT_START + 200 * RT_MS + (uint64_t)kw * 480 * RT_MS
						: UINT64_MAX;
			uint64_t t_kwf = kwf < kw && kwf < 10 ? RT_START + 8 * RT_SEC +
						(uint64_t)kwf * 350 * RT_MS : UINT64_MAX;
			uint64_t t_pre = pre_done ? UINT64_MAX : pre.ts_ns;
			uint64_t t_pg = page_done ? (page_freed ? UINT64_MAX : RT_START + 3100 * RT_MS)
						  : RT_START + 3 * RT_SEC;
			uint64_t best = t_kept;

			if (t_open < best) best = t_open;
			if (t_kw < best) best = t_kw;
			if (t_kwf < best) best = t_kwf;
			if (t_pre < best) best = t_pre;
			if (t_pg < best) best = t_pg;
			if (best == UINT64_MAX)
				break;
			if (best == t_kept) {
				struct trace_alloc a = { .ts_ns = best, .ptr = RT_EVENTFD_PTR + (uint64_t)kept * 0x40,
							 .call_site = rt_stack1[1], .bytes_req = 48,
							 .bytes_alloc = 64, .tag_id = t_eventfd, .comm_id = c_leak,
							 .stack_id = 1, .tgid = RT_TGID_LEAK, .tid = RT_TGID_LEAK,
							 .cpu = 1, .kind = TK_SLAB };
				err = trace_writer__alloc(w, &a);
				kept++;
			} else if (best == t_open) {
				uint64_t ptr = RT_EVENTFD_PTR + 0x100000 + (uint64_t)(churn / 2) * 0x40;

				if (churn % 2 == 0) {
					struct trace_alloc a = { .ts_ns = best, .ptr = ptr,
								 .call_site = rt_stack1[1], .bytes_req = 48,
								 .bytes_alloc = 64, .tag_id = t_eventfd,
								 .comm_id = c_leak, .stack_id = 1,
								 .tgid = RT_TGID_LEAK, .tid = RT_TGID_LEAK,
								 .cpu = 1, .kind = TK_SLAB };
					err = trace_writer__alloc(w, &a);
				} else {
					struct trace_free f = { .ts_ns = best, .ptr = ptr,
								.call_site = 0xffffffff81200044ULL,
								.tag_id = t_eventfd, .tgid = RT_TGID_LEAK,
								.tid = RT_TGID_LEAK, .cpu = 1,
								.kind = TK_SLAB };
					err = trace_writer__free(w, &f);
				}
				churn++;
			} else if (best == t_kw) {
				struct trace_alloc a = { .ts_ns = best, .ptr = 0xffff888010000000ULL + (uint64_t)kw * 0x40,
							 .call_site = rt_stack2[1], .bytes_req = 50,
							 .bytes_alloc = 64, .tag_id = t_k64,
							 .comm_id = c_kworker, .stack_id = 2,
							 .tgid = RT_TGID_KWORKER, .tid = RT_TGID_KWORKER,
							 .cpu = 0, .kind = TK_KMALLOC };
				err = trace_writer__alloc(w, &a);
				kw++;
			} else if (best == t_kwf) {
				struct trace_free f = { .ts_ns = best, .ptr = 0xffff888010000000ULL + (uint64_t)kwf * 0x40,
							.call_site = rt_stack2[1], .tgid = RT_TGID_KWORKER,
							.tid = RT_TGID_KWORKER, .kind = TK_KMALLOC };
				err = trace_writer__free(w, &f);
				kwf++;
			} else if (best == t_pre) {
				err = trace_writer__free(w, &pre);
				pre_done = true;
			} else {
				if (!page_done) {
					struct trace_alloc a = { .ts_ns = best, .ptr = RT_EVENTFD_PTR,
								 .call_site = rt_stack3[1], .bytes_req = 4096,
								 .bytes_alloc = 4096, .tag_id = t_page,
								 .comm_id = c_leak, .stack_id = 3,
								 .tgid = RT_TGID_LEAK, .tid = RT_TGID_LEAK,
								 .cpu = 1, .kind = TK_PAGE };
					err = trace_writer__alloc(w, &a);
					page_done = true;
				} else {
					struct trace_free f = { .ts_ns = best, .ptr = RT_EVENTFD_PTR,
								.call_site = rt_stack3[1], .tgid = RT_TGID_LEAK,
								.tid = RT_TGID_LEAK, .cpu = 1,
								.kind = TK_PAGE };
					err = trace_writer__free(w, &f);
					page_freed = true;
				}
			}
			if (err)
				goto out;
		}
	}
	err = trace_writer__close(w, RT_START + 12 * RT_SEC);
	w = NULL;
out:
	if (w)
		trace_writer__close(w, 0);
	symtab__free(ks);
	return err;
}

#endif
