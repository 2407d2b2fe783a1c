/* The one "which processes" grammar of --pid PID|NAME options: a comma list
 * of pids and comm globs ("1234", "nginx,php-fpm*"), repeatable. Numeric
 * items are pids; anything else is a glob on the process name. */
#ifndef POOLSCOPE_UTIL_PROC_SELECT_H
#define POOLSCOPE_UTIL_PROC_SELECT_H

#include "util/globlist.h"

struct proc_select {
	int *pids; /* owned */
	int npids;
	struct globlist names;
};

/* Add spec's items. -EINVAL for an empty list or item, -ERANGE for a
 * number that is no pid (0, -1, 99999999999: matching it as a name would
 * select nothing and say nothing), -ENOMEM. */
int proc_select_add(struct proc_select *sel, const char *spec);
/* No pid and no name: every process. */
bool proc_select_empty(const struct proc_select *sel);
void proc_select_release(struct proc_select *sel);

#endif
