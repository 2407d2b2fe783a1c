/* Slab-churn loop for the counter benchmark: eventfd create+close N times
 * (each iteration allocates and frees a file, its dentry, its LSM blob and
 * an eventfd_ctx). Prints iterations, elapsed ns and iterations/s by wall
 * clock and by this process's own CPU time: tracing programs run inside its
 * syscalls and count there, while time spent descheduled on a machine others
 * share does not. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i;
	struct timespec a, b, ca, cb;
	double ns, cpu_ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	for (i = 0; i < n; i++) {
		int fd = eventfd(0, EFD_CLOEXEC);

		if (fd < 0) {
			perror("evloop: eventfd");
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	cpu_ns = (cb.tv_sec - ca.tv_sec) * 1e9 + (cb.tv_nsec - ca.tv_nsec);
	/* Wall rate last: scripts match the last "rate=" for it. */
	printf("iters=%ld cpu_ns=%.0f cpu_rate=%.0f ns=%.0f rate=%.0f\n", n, cpu_ns,
	       n / (cpu_ns / 1e9), ns, n / (ns / 1e9));
	return 0;
}
