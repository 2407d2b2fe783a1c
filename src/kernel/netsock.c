#include "kernel/netsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hashmap.h"
#include "util/procfs.h"

void sock_table_free(struct sock_table *t)
{
	if (!t)
		return;
	free(t->entries);
	u64map_free(t->by_ino);
	memset(t, 0, sizeof(*t));
}

const struct sock_entry *sock_table_find(const struct sock_table *t, uint64_t ino)
{
	uint64_t *idx;

	if (!t->by_ino)
		return NULL;
	idx = u64map_find(t->by_ino, ino);
	return idx ? &t->entries[*idx - 1] : NULL;
}

/* A new entry for ino; an inode already present (a UNIX socket seen by both
 * sock_diag and /proc/net/unix) returns the existing one. */
static struct sock_entry *sock_table_add(struct sock_table *t, uint64_t ino)
{
	struct sock_entry *e;
	uint64_t *idx;

	if (!t->by_ino) {
		t->by_ino = u64map_new(256);
		if (!t->by_ino)
			return NULL;
	}
	idx = u64map_find(t->by_ino, ino);
	if (idx)
		return &t->entries[*idx - 1];
	if (t->count == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct sock_entry *grown = realloc(t->entries, (size_t)cap * sizeof(*grown));

		if (!grown)
			return NULL;
		t->entries = grown;
		t->cap = cap;
	}
	if (u64map_set(t->by_ino, ino, (uint64_t)t->count + 1))
		return NULL;
	e = &t->entries[t->count++];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	return e;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int inet_hex_format(const char *hex, int family, char *buf, unsigned int len)
{
	unsigned int nhex = family == AF_INET6 ? 32 : 8;
	uint8_t raw[16];
	char addr[INET6_ADDRSTRLEN];
	unsigned int i, port = 0;
	const char *p;

	if (strlen(hex) < nhex + 2 || hex[nhex] != ':')
		return -EINVAL;
	/* The kernel prints each 32-bit word of the address as a host-order
	 * number: read the words, store them back in memory order. */
	for (i = 0; i < nhex / 8; i++) {
		uint32_t word = 0;
		unsigned int j;

		for (j = 0; j < 8; j++) {
			int v = hexval(hex[i * 8 + j]);

			if (v < 0)
				return -EINVAL;
			word = word << 4 | (uint32_t)v;
		}
		memcpy(raw + i * 4, &word, 4);
	}
	for (p = hex + nhex + 1; *p; p++) {
		int v = hexval(*p);

		if (v < 0 || port > 0xfff)
			return -EINVAL;
		port = port << 4 | (unsigned int)v;
	}
	if (!inet_ntop(family, raw, addr, sizeof(addr)))
		return -EINVAL;
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
	return 0;
}

const char *tcp_state_name(int state)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
		"NEW_SYN_RECV",
	};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[state];
}

const char *netlink_proto_name(int proto)
{
	switch (proto) {
	case NETLINK_ROUTE: return "route";
	case NETLINK_SOCK_DIAG: return "sock_diag";
	case NETLINK_AUDIT: return "audit";
	case NETLINK_KOBJECT_UEVENT: return "kobject_uevent";
	case NETLINK_GENERIC: return "generic";
	case NETLINK_NETFILTER: return "netfilter";
	case NETLINK_SELINUX: return "selinux";
	case NETLINK_CONNECTOR: return "connector";
	default: return "other";
	}
}

static bool parse_uint_field(const char *s, int base, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, base);
	return !errno && end != s && !*end;
}

/* Every /proc/net table starts with its header line: true when the first
 * line holds `marker` (at its start when `at_start`), with `it` past it. */
static bool table_header(struct line_iter *it, char *text, const char *marker, bool at_start,
			 int *bad)
{
	char *line;

	if (bad)
		*bad = 0;
	line_iter_init(it, text);
	line = line_next(it);
	if (!line)
		return false;
	return at_start ? strncmp(line, marker, strlen(marker)) == 0 : strstr(line, marker) != NULL;
}

int sock_table_parse_inet(char *text, int family, enum fd_kind kind, struct sock_table *t,
			  int *bad)
{
	struct line_iter it;
	char *line;

	if (!table_header(&it, text, "local_address", false, bad))
		return -EINVAL;
	while ((line = line_next(&it))) {
		/* sl local rem st tx:rx tr:when retr uid timeout inode … */
		char *f[12];
		int n = split_fields(line, f, 12);
		unsigned long long ino, state;
		struct sock_entry *e;
		char local[sizeof(e->local)], remote[sizeof(e->remote)];

		if (n == 0)
			continue;
		if (n < 10 || !parse_uint_field(f[9], 10, &ino) ||
		    !parse_uint_field(f[3], 16, &state) ||
		    inet_hex_format(f[1], family, local, sizeof(local)) ||
		    inet_hex_format(f[2], family, remote, sizeof(remote))) {
			if (bad)
				(*bad)++;
			continue;
		}
		if (ino == 0)
			continue; /* TIME_WAIT and friends: no socket inode left */
		e = sock_table_add(t, ino);
		if (!e)
			return -ENOMEM;
		e->kind = kind;
		e->family = family;
		e->state = (int)state;
		memcpy(e->local, local, sizeof(local));
		memcpy(e->remote, remote, sizeof(remote));
	}
	return 0;
}

int sock_table_parse_unix(char *text, struct sock_table *t, int *bad)
{
	struct line_iter it;
	char *line;

	if (!table_header(&it, text, "Num", true, bad))
		return -EINVAL;
	while ((line = line_next(&it))) {
		/* Num: RefCount Protocol Flags Type St Inode [Path] */
		char *f[8];
		int n = split_fields(line, f, 8);
		unsigned long long ino, state;
		struct sock_entry *e;

		if (n == 0)
			continue;
		if (n < 7 || !parse_uint_field(f[6], 10, &ino) ||
		    !parse_uint_field(f[5], 16, &state)) {
			if (bad)
				(*bad)++;
			continue;
		}
		e = sock_table_add(t, ino);
		if (!e)
			return -ENOMEM;
		e->kind = FD_KIND_UNIX;
		e->family = AF_UNIX;
		e->state = (int)state;
		if (n >= 8)
			snprintf(e->local, sizeof(e->local), "%s", f[7]);
	}
	return 0;
}

int sock_table_parse_netlink(char *text, struct sock_table *t, int *bad)
{
	struct line_iter it;
	char *line;

	if (!table_header(&it, text, "sk", true, bad))
		return -EINVAL;
	while ((line = line_next(&it))) {
		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		char *f[10];
		int n = split_fields(line, f, 10);
		unsigned long long ino, proto, portid;
		struct sock_entry *e;

		if (n == 0)
			continue;
		if (n < 10 || !parse_uint_field(f[9], 10, &ino) ||
		    !parse_uint_field(f[1], 10, &proto) || !parse_uint_field(f[2], 10, &portid)) {
			if (bad)
				(*bad)++;
			continue;
		}
		e = sock_table_add(t, ino);
		if (!e)
			return -ENOMEM;
		e->kind = FD_KIND_NETLINK;
		e->family = AF_NETLINK;
		e->netlink_proto = (int)proto;
		snprintf(e->local, sizeof(e->local), "portid %llu", portid);
	}
	return 0;
}

/* One sock_diag dump of every UNIX socket with its name and peer. */
static int unix_diag_dump(int nl, struct sock_table *t)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} request = {
		.nlh = { .nlmsg_len = sizeof(request), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u,
			 .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER },
	};
	char buf[32768] __attribute__((aligned(4)));

	if (send(nl, &request, sizeof(request), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct unix_diag_msg *msg = NLMSG_DATA(h);
			struct rtattr *attr;
			struct sock_entry *e;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *nerr = NLMSG_DATA(h);

				return nerr->error ? nerr->error : -EIO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
				continue;
			e = sock_table_add(t, msg->udiag_ino);
			if (!e)
				return -ENOMEM;
			e->kind = FD_KIND_UNIX;
			e->family = AF_UNIX;
			e->state = msg->udiag_state;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*msg)));
			for (attr = (struct rtattr *)(msg + 1); RTA_OK(attr, alen);
			     attr = RTA_NEXT(attr, alen)) {
				size_t plen = RTA_PAYLOAD(attr);
				const char *payload = RTA_DATA(attr);

				if (attr->rta_type == UNIX_DIAG_PEER && plen >= 4) {
					uint32_t peer;

					memcpy(&peer, payload, 4);
					e->peer_ino = peer;
				} else if (attr->rta_type == UNIX_DIAG_NAME && plen > 0) {
					/* Abstract names start with NUL: shown as '@'. */
					size_t copy = sizeof(e->local) - 1;

					if (plen < copy)
						copy = plen;
					memcpy(e->local, payload, copy);
					e->local[copy] = '\0';
					if (e->local[0] == '\0')
						e->local[0] = '@';
				}
			}
		}
	}
}

/* A sock_diag socket inside the network namespace of pid: sockets keep the
 * namespace they were created in, so enter it, create, and come back. */
static int netlink_in_netns(int pid_dirfd, int *nl_out)
{
	struct stat mine, theirs;
	int own = -1, target = -1, nl = -1, err = 0;

	if (stat("/proc/self/ns/net", &mine) < 0 || fstatat(pid_dirfd, "ns/net", &theirs, 0) < 0)
		return -errno;
	if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev) {
		nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (nl < 0)
			return -errno;
		*nl_out = nl;
		return 0;
	}
	own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = openat(pid_dirfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (own < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
		err = -errno;
		goto out;
	}
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		err = -errno;
	if (setns(own, CLONE_NEWNET) < 0 && !err)
		err = -errno; /* cannot happen when the first setns worked; be loud anyway */
	if (err && nl >= 0) {
		close(nl);
		nl = -1;
	}
	*nl_out = nl;
out:
	if (own >= 0)
		close(own);
	if (target >= 0)
		close(target);
	return err;
}

int sock_table_load(int pid, int pid_dirfd, struct sock_table *t)
{
	static const struct {
		const char *path;
		int family;
		enum fd_kind kind;
	} inet[] = {
		{ "net/tcp", AF_INET, FD_KIND_TCP },
		{ "net/tcp6", AF_INET6, FD_KIND_TCP },
		{ "net/udp", AF_INET, FD_KIND_UDP },
		{ "net/udp6", AF_INET6, FD_KIND_UDP },
		{ "net/udplite", AF_INET, FD_KIND_UDP },
		{ "net/udplite6", AF_INET6, FD_KIND_UDP },
	};
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int nl = -1, err = 0;

	(void)pid;
	for (i = 0; i < sizeof(inet) / sizeof(inet[0]); i++) {
		/* A missing file (no IPv6, no UDP-Lite) just has no sockets. */
		if (procfs_read(pid_dirfd, inet[i].path, &sb) || !sb.buf)
			continue;
		err = sock_table_parse_inet(sb.buf, inet[i].family, inet[i].kind, t, NULL);
		if (err == -ENOMEM)
			goto out;
	}
	if (!procfs_read(pid_dirfd, "net/netlink", &sb) && sb.buf) {
		err = sock_table_parse_netlink(sb.buf, t, NULL);
		if (err == -ENOMEM)
			goto out;
	}
	if (!procfs_read(pid_dirfd, "net/unix", &sb) && sb.buf) {
		err = sock_table_parse_unix(sb.buf, t, NULL);
		if (err == -ENOMEM)
			goto out;
	}
	err = 0;
	if (netlink_in_netns(pid_dirfd, &nl) == 0 && unix_diag_dump(nl, t) == 0)
		t->have_unix_peers = true;
out:
	if (nl >= 0)
		close(nl);
	strbuf_release(&sb);
	return err;
}
