// SPDX-License-Identifier: GPL-2.0
/* Who holds these files: a task_file iterator visits every open fd of every
 * files table and, for each struct file whose address user space put in the
 * wanted map, notes the process and fd that hold it. This names the holder of
 * a recorded allocation exactly, even when another process allocated it and
 * passed it over a UNIX socket (SCM_RIGHTS). Nothing is written to the
 * seq_file: the work is the walk; user space reads the map afterwards. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "bpf/file_owners_abi.h"
#include "bpf/task_file_once.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* the loader sizes it to the files asked about */
	__type(key, __u64);
	__type(value, struct file_owner_slot);
} wanted SEC(".maps");

SEC("iter/task_file")
int find_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct file_owner_slot *slot;
	__u64 key;

	if (!task || !file)
		return 0;
	/* Threads sharing their leader's files table are visited once, as
	 * the leader; a thread with a table of its own is its own holder. */
	if (task->pid != task->tgid)
		return 0;
	if (task_file_seen_again(task, ctx->fd))
		return 0;
	key = (__u64)(unsigned long)file;
	slot = bpf_map_lookup_elem(&wanted, &key);
	if (!slot)
		return 0;
	if (!slot->holders) {
		slot->tgid = task->tgid;
		slot->fd = ctx->fd;
	}
	slot->holders++;
	return 0;
}
