/* fdwalk: the baseline for bench/handles_scan.sh — the least a tool can do
 * to see every fd on the system: readdir /proc, then readdir + readlinkat on
 * each /proc/PID/fd. Prints the number of fds it read. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	unsigned long fds = 0;
	char target[4096];

	if (!proc)
		return 1;
	while ((de = readdir(proc))) {
		char path[300];
		struct dirent *fe;
		DIR *fd_dir;
		int dfd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || !(fd_dir = fdopendir(dfd))) {
			if (dfd >= 0)
				close(dfd);
			continue;
		}
		while ((fe = readdir(fd_dir)))
			if (fe->d_name[0] != '.' &&
			    readlinkat(dfd, fe->d_name, target, sizeof(target)) > 0)
				fds++;
		closedir(fd_dir);
	}
	closedir(proc);
	printf("%lu\n", fds);
	return 0;
}
