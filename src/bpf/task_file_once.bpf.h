/* Count each (task, fd) of a task_file iterator once, across read()s.
 *
 * The kernel stops a bpf_iter read after 1,000,000 objects; when nothing was
 * written to the seq_file by then (our iterators write nothing: they fill a
 * map), read() fails with EAGAIN, and the next read() resumes by showing the
 * last object again (task_file's start() looks up the fd it stopped at).
 * A machine with a million open fds hit this on every scan. User space
 * reads on after EAGAIN (bpf_iter_read_all); this guard drops the one
 * object shown twice. Within one pass a task's fds come in ascending order,
 * so a repeat of the previous (task, fd) can only be that resume. */
#ifndef POOLSCOPE_BPF_TASK_FILE_ONCE_H
#define POOLSCOPE_BPF_TASK_FILE_ONCE_H

struct task_struct *task_file_last_task = NULL;
__u32 task_file_last_fd = ~0u;

static __always_inline bool task_file_seen_again(struct task_struct *task, __u32 fd)
{
	if (task == task_file_last_task && fd == task_file_last_fd)
		return true;
	task_file_last_task = task;
	task_file_last_fd = fd;
	return false;
}

#endif
