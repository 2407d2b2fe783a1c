#include "util/user_names.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/hashmap.h"
#include "util/parse.h"

const char *user_names_get(struct user_names *u, uint32_t uid)
{
	uint64_t *slot;
	struct passwd *pw;

	if (!u->index)
		u->index = u64map_new(64);
	slot = u->index ? u64map_find(u->index, uid) : NULL;
	if (slot)
		return u->names[*slot];
	if (u->count % 64 == 0) {
		char (*grown)[32] = realloc(u->names, (u->count + 64) * sizeof(*grown));

		if (!grown)
			return "?";
		u->names = grown;
	}
	pw = getpwuid(uid);
	if (pw)
		snprintf(u->names[u->count], sizeof(u->names[0]), "%s", pw->pw_name);
	else
		snprintf(u->names[u->count], sizeof(u->names[0]), "%u", uid);
	if (!u->index || u64map_set(u->index, uid, u->count))
		return "?";
	return u->names[u->count++];
}

void user_names_release(struct user_names *u)
{
	if (!u)
		return;
	u64map_free(u->index);
	free(u->names);
	u->index = NULL;
	u->names = NULL;
	u->count = 0;
}

int user_parse(const char *s, uint32_t *uid)
{
	struct passwd *pw = getpwnam(s);
	uint64_t n;

	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	if (parse_u64_range(s, 0, UINT32_MAX - 1, &n) == 0) {
		*uid = (uint32_t)n;
		return 0;
	}
	return -ENOENT;
}
