/* Run a user's hook command (`watch --exec`): /bin/sh -c CMD with a text on
 * its stdin, not waited for, so a slow hook never stalls sampling. Its
 * stdout and stderr are the caller's. Children are reaped later without
 * blocking. */
#ifndef POOLSCOPE_UTIL_SPAWN_H
#define POOLSCOPE_UTIL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* 0 with *pid set, or -errno (fork, pipe). The text is written from a
 * second child so a hook that never reads cannot block the caller. */
int spawn_with_input(const char *cmd, const char *text, size_t len, pid_t *pid);
/* Reap every finished child without blocking; returns how many. */
int spawn_reap(void);

#endif
