/* Kernel keys per user (/proc/key-users) against the key quotas
 * (/proc/sys/kernel/keys/maxkeys, maxbytes, root_maxkeys, root_maxbytes). */
#ifndef POOLSCOPE_KERNEL_KEYS_H
#define POOLSCOPE_KERNEL_KEYS_H

#include <stdint.h>

struct key_user {
	uint32_t uid;
	uint64_t usage;	    /* references to the key_user record */
	uint64_t nkeys;	    /* keys owned */
	uint64_t nikeys;    /* of which instantiated */
	uint64_t qnkeys;    /* keys charged to the quota */
	uint64_t maxkeys;   /* the quota as the kernel applies it to this uid */
	uint64_t qnbytes;   /* bytes charged */
	uint64_t maxbytes;
};

struct key_users {
	struct key_user *users;
	int count;
};

void key_users_free(struct key_users *list); /* accepts NULL */

/* Parse /proc/key-users text ("    0:     9 8/8 3/1000000 40/25000000"),
 * modified in place. Malformed lines are skipped and counted in *bad (may be
 * NULL). 0 or -ENOMEM. */
int key_users_parse(char *text, struct key_users *list, int *bad);
int key_users_read(struct key_users *list);

#endif
