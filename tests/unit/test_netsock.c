/* /proc/net/{tcp,tcp6,udp,udp6,unix,netlink} parsing on captures from this
 * machine (handleholder's loopback sockets and a v6 pair), plus a broken copy. */
#include "test_util.h"

#include <errno.h>

#include <sys/socket.h>

#include "kernel/netsock.h"

#define FX FIXTURES_DIR "/handles/"

static void load(struct sock_table *t, const char *name, int family, enum fd_kind kind,
		 int expect_bad)
{
	char *text = test_slurp(name);
	int bad = -1;

	assert_non_null(text);
	if (kind == FD_KIND_UNIX)
		assert_int_equal(sock_table_parse_unix(text, t, &bad), 0);
	else if (kind == FD_KIND_NETLINK)
		assert_int_equal(sock_table_parse_netlink(text, t, &bad), 0);
	else
		assert_int_equal(sock_table_parse_inet(text, family, kind, t, &bad), 0);
	assert_int_equal(bad, expect_bad);
	free(text);
}

static void test_tcp4(void **state)
{
	struct sock_table t = { 0 };
	const struct sock_entry *e;

	(void)state;
	load(&t, FX "net-tcp.txt", AF_INET, FD_KIND_TCP, 0);
	/* TIME_WAIT rows have inode 0 and no fd: not in the table. */
	assert_int_equal(t.count, 6);
	e = sock_table_find(&t, 29362);
	assert_non_null(e);
	assert_string_equal(e->local, "127.0.0.1:60671");
	assert_string_equal(tcp_state_name(e->state), "LISTEN");
	e = sock_table_find(&t, 29363);
	assert_non_null(e);
	assert_string_equal(e->local, "127.0.0.1:37770");
	assert_string_equal(e->remote, "127.0.0.1:60671");
	assert_string_equal(tcp_state_name(e->state), "ESTABLISHED");
	assert_null(sock_table_find(&t, 0));
	sock_table_free(&t);
}

static void test_tcp6_udp(void **state)
{
	struct sock_table t = { 0 };
	const struct sock_entry *e;

	(void)state;
	load(&t, FX "net-tcp6.txt", AF_INET6, FD_KIND_TCP, 0);
	load(&t, FX "net-udp.txt", AF_INET, FD_KIND_UDP, 0);
	load(&t, FX "net-udp6.txt", AF_INET6, FD_KIND_UDP, 0);
	e = sock_table_find(&t, 30727);
	assert_non_null(e);
	assert_string_equal(e->local, "[::1]:45999");
	assert_int_equal(e->family, AF_INET6);
	e = sock_table_find(&t, 30728);
	assert_string_equal(e->remote, "[::1]:45999");
	e = sock_table_find(&t, 29368);
	assert_non_null(e);
	assert_int_equal(e->kind, FD_KIND_UDP);
	assert_string_equal(e->local, "127.0.0.1:39318");
	assert_string_equal(e->remote, "127.0.0.1:51407");
	e = sock_table_find(&t, 30730);
	assert_string_equal(e->local, "[::1]:55060");
	sock_table_free(&t);
}

static void test_unix_netlink(void **state)
{
	struct sock_table t = { 0 };
	const struct sock_entry *e;

	(void)state;
	load(&t, FX "net-unix.txt", 0, FD_KIND_UNIX, 0);
	assert_int_equal(t.count, 8);
	e = sock_table_find(&t, 29360);
	assert_non_null(e);
	assert_int_equal(e->kind, FD_KIND_UNIX);
	assert_int_equal(e->state, 3); /* connected */
	load(&t, FX "net-netlink.txt", 0, FD_KIND_NETLINK, 0);
	e = sock_table_find(&t, 1591);
	assert_non_null(e);
	assert_string_equal(netlink_proto_name(e->netlink_proto), "sock_diag");
	sock_table_free(&t);
	sock_table_free(NULL);
}

static void test_broken_and_hex(void **state)
{
	struct sock_table t = { 0 };
	char buf[64];

	(void)state;
	load(&t, FX "net-tcp-broken.txt", AF_INET, FD_KIND_TCP, 1);
	assert_int_equal(t.count, 2);
	assert_null(sock_table_find(&t, 777));
	sock_table_free(&t);
	assert_int_equal(inet_hex_format("0100007F:0016", AF_INET, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1:22");
	assert_int_equal(inet_hex_format("0100007F", AF_INET, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(inet_hex_format("0100007F:1FFFFF", AF_INET, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sock_table_parse_inet((char[]){ "garbage\n" }, AF_INET, FD_KIND_TCP, &t,
					       NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6_udp),
		cmocka_unit_test(test_unix_netlink),
		cmocka_unit_test(test_broken_and_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
