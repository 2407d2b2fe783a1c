#include "bpf/iter_read.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

int bpf_iter_read_all(int link_fd)
{
	char buf[4096];
	int iter_fd, err = 0;
	ssize_t n;

	iter_fd = bpf_iter_create(link_fd);
	if (iter_fd < 0)
		return -errno;
	for (;;) {
		n = read(iter_fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n == 0)
			break;
		/* EAGAIN: a million objects went by with no output; go on
		 * from where it stopped. EINTR: a signal; the same. */
		if (errno == EAGAIN || errno == EINTR)
			continue;
		err = -errno;
		break;
	}
	close(iter_fd);
	return err;
}
