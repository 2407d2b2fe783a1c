/* Loader of the file-holder iterator (file_owners.bpf.c): fill the wanted map
 * with the addresses, run the iterator to its end, read who holds each. The
 * link and maps are fds of this process, closed before returning. */
#include "bpf/file_owners.h"
#include "bpf/iter_read.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/file_owners_abi.h"
#include "bpf/libbpf_log.h"
#include "file_owners.skel.h"

/* Same rule as handles_iter.c: the iterator's pids are the initial
 * namespace's, so they match /proc only there. */
#define PROC_PID_INIT_INO 0xEFFFFFFCu

static bool in_initial_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PROC_PID_INIT_INO;
}

int file_owners_find(const uint64_t *files, size_t n, struct file_owner *owners)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_log_print);
	static const struct file_owner_slot zero;
	struct file_owners_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct file_owner_slot slot;
	int map_fd, err = 0;
	size_t i;

	for (i = 0; i < n; i++)
		owners[i] = (struct file_owner){.file = files[i]};
	if (!n)
		goto out;
	if (!in_initial_pid_ns()) {
		err = -EOPNOTSUPP;
		goto out;
	}
	skel = file_owners_bpf__open();
	if (!skel) {
		err = errno ? -errno : -ENOENT;
		goto out;
	}
	bpf_map__set_max_entries(skel->maps.wanted, (uint32_t)n);
	err = file_owners_bpf__load(skel);
	if (err)
		goto out;
	map_fd = bpf_map__fd(skel->maps.wanted);
	for (i = 0; i < n; i++) {
		__u64 key = files[i];

		/* Duplicates in files share one slot; -EEXIST is fine. */
		if (bpf_map_update_elem(map_fd, &key, &zero, BPF_NOEXIST) && errno != EEXIST) {
			err = -errno;
			goto out;
		}
	}
	link = bpf_program__attach_iter(skel->progs.find_owners, NULL);
	if (!link) {
		err = -errno;
		goto out;
	}
	err = bpf_iter_read_all(bpf_link__fd(link));
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		__u64 key = files[i];

		if (bpf_map_lookup_elem(map_fd, &key, &slot) || !slot.holders)
			continue;
		owners[i].tgid = (int)slot.tgid;
		owners[i].fd = (int)slot.fd;
		owners[i].holders = slot.holders;
	}
out:
	bpf_link__destroy(link);
	file_owners_bpf__destroy(skel);
	libbpf_set_print(old_print);
	return err;
}
