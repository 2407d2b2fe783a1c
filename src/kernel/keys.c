#include "kernel/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/procfs.h"

void key_users_free(struct key_users *list)
{
	if (!list)
		return;
	free(list->users);
	list->users = NULL;
	list->count = 0;
}

int key_users_parse(char *text, struct key_users *list, int *bad)
{
	struct line_iter it;
	char *line;
	int cap = list->count;

	if (bad)
		*bad = 0;
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		unsigned long long v[8];
		unsigned int uid;
		int end = 0;

		if (!line[strspn(line, " \t")])
			continue;
		if (sscanf(line, " %u: %llu %llu/%llu %llu/%llu %llu/%llu%n", &uid, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &end) != 8 ||
		    line[end + strspn(line + end, " \t")]) {
			if (bad)
				(*bad)++;
			continue;
		}
		if (list->count == cap) {
			struct key_user *grown;

			cap = cap ? cap * 2 : 8;
			grown = realloc(list->users, (size_t)cap * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			list->users = grown;
		}
		list->users[list->count++] = (struct key_user){
			.uid = uid, .usage = v[0], .nkeys = v[1], .nikeys = v[2],
			.qnkeys = v[3], .maxkeys = v[4], .qnbytes = v[5], .maxbytes = v[6],
		};
	}
	return 0;
}

int key_users_read(struct key_users *list)
{
	struct strbuf sb = STRBUF_INIT;
	int err = procfs_read(AT_FDCWD, "/proc/key-users", &sb);

	if (!err && sb.buf)
		err = key_users_parse(sb.buf, list, NULL);
	strbuf_release(&sb);
	return err;
}
