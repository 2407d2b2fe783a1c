/* User names by uid, looked up once each (getpwuid reads /etc/passwd or asks
 * NSS: too slow to call per row of a table of thousands). */
#ifndef POOLSCOPE_UTIL_USER_NAMES_H
#define POOLSCOPE_UTIL_USER_NAMES_H

#include <stdint.h>

struct u64map;

struct user_names {
	struct u64map *index; /* uid → slot in names; owned */
	char (*names)[32];    /* owned */
	uint32_t count;
};

#define USER_NAMES_INIT { NULL, NULL, 0 }

/* The user's name, or the uid as digits when it has none; "?" when out of
 * memory. Borrowed: valid until user_names_release. */
const char *user_names_get(struct user_names *u, uint32_t uid);
/* A user name, or a uid in digits (one without a name is fine) → uid.
 * 0 or -ENOENT. */
int user_parse(const char *s, uint32_t *uid);
void user_names_release(struct user_names *u); /* contents; accepts NULL */

#endif
