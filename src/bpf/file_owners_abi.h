/* Fixed-width layout shared by file_owners.bpf.c and its loader
 * file_owners.c. Include vmlinux.h (BPF side) or <linux/types.h> first. */
#ifndef POOLSCOPE_BPF_FILE_OWNERS_ABI_H
#define POOLSCOPE_BPF_FILE_OWNERS_ABI_H

/* Value of the wanted map, keyed by struct file address: user space inserts
 * zeroes, the iterator fills in who holds that file. */
struct file_owner_slot {
	__u32 tgid;    /* the first holder seen (initial pid namespace); 0: none */
	__u32 fd;      /* its fd number there */
	__u32 holders; /* fd table entries pointing at this file, all processes */
	__u32 pad;
};

#endif
