/* Socket details for `handles -a`, from the network namespace of the process
 * that holds them: TCP/UDP (v4/v6) and netlink from /proc/PID/net/{tcp,udp,…}, UNIX
 * sockets (path and peer inode) from sock_diag netlink with UDIAG_SHOW_PEER,
 * falling back to /proc/PID/net/unix (no peers) when netlink is refused. */
#ifndef POOLSCOPE_KERNEL_NETSOCK_H
#define POOLSCOPE_KERNEL_NETSOCK_H

#include <stdint.h>

#include "kernel/procfd.h"

struct u64map;

struct sock_entry {
	uint64_t ino;
	enum fd_kind kind; /* FD_KIND_TCP, _UDP, _UNIX, _NETLINK */
	int family;	   /* AF_INET, AF_INET6, AF_UNIX, AF_NETLINK */
	int state;	   /* TCP state number (TCP_ESTABLISHED=1 …); UNIX state */
	int netlink_proto;
	uint64_t peer_ino; /* UNIX: the other end's inode, 0 when unconnected/unknown */
	char local[112];   /* "127.0.0.1:8080", "[::1]:22", a UNIX path or "@abstract" */
	char remote[64];
};

struct sock_table {
	struct sock_entry *entries;
	int count;
	int cap;
	struct u64map *by_ino; /* inode → index + 1 */
	bool have_unix_peers;  /* sock_diag answered */
};

void sock_table_free(struct sock_table *t); /* the contents; accepts NULL */
const struct sock_entry *sock_table_find(const struct sock_table *t, uint64_t ino);

/* Parsers for the /proc/net files (text modified in place); lines that do not
 * parse are skipped and counted in *bad (may be NULL). 0, -EINVAL (no
 * header) or -ENOMEM. family is AF_INET or AF_INET6; kind TCP or UDP. */
int sock_table_parse_inet(char *text, int family, enum fd_kind kind, struct sock_table *t,
			  int *bad);
int sock_table_parse_unix(char *text, struct sock_table *t, int *bad);
int sock_table_parse_netlink(char *text, struct sock_table *t, int *bad);

/* "0100007F:1F90" → "127.0.0.1:8080"; the v6 form → "[::1]:8080". 0 or -EINVAL. */
int inet_hex_format(const char *hex, int family, char *buf, unsigned int len);
const char *tcp_state_name(int state);
const char *netlink_proto_name(int proto);

/* Load every table of the network namespace of process pid (its /proc/PID
 * directory open as pid_dirfd). UNIX peers come from sock_diag inside that
 * namespace (entered with setns when it is not ours; needs CAP_SYS_ADMIN).
 * 0 or -errno. */
int sock_table_load(int pid, int pid_dirfd, struct sock_table *t);

#endif
