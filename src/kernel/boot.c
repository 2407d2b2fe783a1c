#include "kernel/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/procfs.h"
#include "util/strbuf.h"

int proc_stat_btime_parse(const char *stat_text, int64_t *btime_s)
{
	const char *p = stat_text;

	while (p && *p) {
		if (strncmp(p, "btime ", 6) == 0) {
			char *end;
			long long v = strtoll(p + 6, &end, 10);

			if (end == p + 6 || (*end != '\n' && *end != '\0') || v < 0)
				return -EINVAL;
			*btime_s = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int boot_ident_read(struct boot_ident *out)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t btime;
	int err;

	memset(out, 0, sizeof(*out));
	err = procfs_read_line(AT_FDCWD, "/proc/sys/kernel/random/boot_id", out->boot_id,
			       sizeof(out->boot_id));
	if (err)
		goto out;
	if (strlen(out->boot_id) != BOOT_ID_LEN) {
		err = -EINVAL;
		goto out;
	}
	err = procfs_read(AT_FDCWD, "/proc/stat", &sb);
	if (err)
		goto out;
	err = proc_stat_btime_parse(strbuf_str(&sb), &btime);
	if (err)
		goto out;
	out->start_ms = btime * 1000;
out:
	strbuf_release(&sb);
	return err;
}
