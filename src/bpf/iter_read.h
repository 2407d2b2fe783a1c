/* Run a BPF iterator to its end: one reader for every iterator of ours. */
#ifndef POOLSCOPE_BPF_ITER_READ_H
#define POOLSCOPE_BPF_ITER_READ_H

/* Create an iterator from the link and read it to the end, discarding its
 * output (ours fill maps). Reads on after EAGAIN: the kernel's cap of a
 * million objects per read() when nothing was written (see
 * task_file_once.bpf.h for the one object the resume shows twice).
 * 0 or -errno. */
int bpf_iter_read_all(int link_fd);

#endif
