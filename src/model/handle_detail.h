/* Every handle of one process, named for people: the path for files, socket
 * addresses from the process's own network namespace, the processes at the
 * other end of UNIX sockets and pipes, anon-inode detail from fdinfo. */
#ifndef POOLSCOPE_MODEL_HANDLE_DETAIL_H
#define POOLSCOPE_MODEL_HANDLE_DETAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/procfd.h"

struct u64map;

/* Which processes hold a pipe or socket inode: built from one walk over all
 * processes, for naming pipe ends and UNIX peers. */
struct inode_holder {
	int pid;
	int fd;
	uint32_t next; /* index + 1 of the next holder of the same inode; 0 ends */
};

struct inode_index {
	struct u64map *first; /* inode → index + 1 into holders */
	struct inode_holder *holders;
	uint32_t count;
	uint32_t cap;
	struct u64map *comms; /* pid → index into comm_names */
	char (*comm_names)[64];
	uint32_t ncomms;
	bool built;
};

int inode_index_build(struct inode_index *idx);
/* Build idx the first time it is needed (idx starts zeroed). 0 or -errno. */
int inode_index_ensure(struct inode_index *idx);
void inode_index_free(struct inode_index *idx); /* contents; accepts NULL */
/* The comm of pid as seen by the index walk, or "?" */
const char *inode_index_comm(const struct inode_index *idx, int pid);

/* One handle of one process, named for people. */
struct handle_detail {
	int fd;
	enum fd_kind kind;
	char flags[48];
	char name[512];
};

struct sock_table_cache;

/* Every handle of process pid, with names. idx (may be NULL: no peers) names
 * pipe ends and UNIX peers, built on first need (one walk over every
 * process's fds, only when pid holds a pipe or a connected UNIX socket);
 * socket tables are loaded from the process's own
 * network namespace and cached in *socks across calls (free with
 * sock_cache_free). *out is malloc'd. 0 or -errno (-ENOENT: process gone). */
int handles_detail_read(int pid, struct inode_index *idx, struct sock_table_cache **socks,
			struct handle_detail **out, int *count);
void sock_cache_free(struct sock_table_cache *cache); /* accepts NULL */

struct handles_snapshot;
struct notes;

/* Called with each process's handles (rows borrowed for the call); a
 * non-zero return stops the walk with that value. */
typedef int (*handles_detail_visit_fn)(void *ctx, int pid, const char *comm,
				       const struct handle_detail *rows, int n);

/* Every handle of every process of snap, in its order, with names (one
 * inode index and socket cache for the whole walk). A process that exited
 * since the scan is left out; one whose fd links are refused is left out
 * with a note ("handles-detail-denied"). 0, -ENOMEM or what visit
 * returned. */
int handles_detail_each(const struct handles_snapshot *snap, handles_detail_visit_fn visit,
			void *ctx, struct notes *ns);

/* Format a detail name for an anon inode from its fdinfo (unit-testable). */
void anon_detail_format(enum fd_kind kind, const struct fdinfo *fi, char *buf, unsigned int len);

#endif
