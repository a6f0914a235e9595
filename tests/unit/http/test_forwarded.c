/*
 * test_forwarded.c - http/forwarded.h: the client address behind trusted
 * proxies. X-Forwarded-For is read only when the peer is trusted, from
 * its right end, up to the first hop that is not trusted; entries the
 * client wrote further left, and entries that are not addresses, are
 * never believed.
 */
#include "../harness.h"

#include <arpa/inet.h>

#include "http/forwarded.h"
#include "util/limits.h"

#define LB	"10.0.0.5"		/* the load balancer */
#define LBS	"10.0.0.0/24"		/* it and the proxies behind it */

struct got {
	char		addr[INET6_ADDRSTRLEN];
	enum fwd_stop	stop;
	struct slice	bad;
};

static struct got
resolve_n(const char *peer, const char *xff, size_t len, const char *trusted)
{
	struct got g;

	memset(&g, 0xa5, sizeof(g));
	g.stop = forwarded_client(peer, xff, len, trusted, g.addr,
	    sizeof(g.addr), &g.bad);
	assert_non_null(memchr(g.addr, '\0', sizeof(g.addr)));
	if (g.stop != FWD_BAD_ENTRY)
		assert_null(g.bad.p);
	return g;
}

static struct got
resolve(const char *peer, const char *xff, const char *trusted)
{
	return resolve_n(peer, xff, xff ? strlen(xff) : 0, trusted);
}

/* the address, and that nothing was refused on the way */
static void
clean(const char *peer, const char *xff, const char *trusted,
    const char *want)
{
	struct got g = resolve(peer, xff, trusted);

	assert_string_equal(g.addr, want);
	assert_int_equal(g.stop, FWD_CLEAN);
}

/* the walk stopped on a bad entry at `want`, the last hop reached */
static void
stops(const char *peer, const char *xff, size_t len, const char *trusted,
    const char *want)
{
	struct got g = resolve_n(peer, xff, len, trusted);

	assert_string_equal(g.addr, want);
	assert_int_equal(g.stop, FWD_BAD_ENTRY);
	assert_true(g.bad.p >= xff && g.bad.p + g.bad.len <= xff + len);
}

/* Default: no trusted list, the header does not count at all. */
static void
test_no_trusted_list_is_the_peer(void **state)
{
	(void)state;
	clean(LB, "203.0.113.9", NULL, LB);
	clean(LB, "203.0.113.9", "", LB);
	clean(LB, "not an address", "", LB);
	clean("::1", "203.0.113.9", NULL, "::1");
}

static void
test_untrusted_peer_is_the_peer(void **state)
{
	(void)state;
	clean("198.51.100.7", "203.0.113.9", LBS, "198.51.100.7");
	clean("198.51.100.7", "garbage, 10.0.0.6", LBS, "198.51.100.7");
	clean("2001:db8::7", "203.0.113.9", LBS, "2001:db8::7");
	/* a trusted peer without the header is itself the client */
	clean(LB, NULL, LBS, LB);
}

static void
test_one_proxy_takes_the_rightmost(void **state)
{
	(void)state;
	clean(LB, "203.0.113.9", LBS, "203.0.113.9");
	clean(LB, "203.0.113.9", LB, "203.0.113.9");
	clean(LB, " \t203.0.113.9 \t", LBS, "203.0.113.9");
}

/* What the client wrote itself, left of what the proxy appended. */
static void
test_forged_entries_are_ignored(void **state)
{
	(void)state;
	clean(LB, "6.6.6.6, 203.0.113.9", LBS, "203.0.113.9");
	clean(LB, "10.0.0.9, 203.0.113.9", LBS, "203.0.113.9");
	clean(LB, "unknown, \"x\", ,6.6.6.6,203.0.113.9", LBS,
	    "203.0.113.9");
}

/* LB -> internal proxy -> Gatehouse: the first untrusted from the right */
static void
test_proxy_chain(void **state)
{
	(void)state;
	clean(LB, "6.6.6.6, 203.0.113.9, 10.0.0.7", LBS, "203.0.113.9");
	clean(LB, "203.0.113.9,10.0.0.7,10.0.0.8", LBS, "203.0.113.9");
	/* the second proxy trusted by its own block */
	clean(LB, "203.0.113.9, 192.0.2.1", LB " 192.0.2.0/28",
	    "203.0.113.9");
	/* a proxy that is not in the list is the client */
	clean(LB, "203.0.113.9, 192.0.2.1", LB, "192.0.2.1");
}

static void
test_all_trusted_is_the_leftmost(void **state)
{
	(void)state;
	clean(LB, "10.0.0.9", LBS, "10.0.0.9");
	clean(LB, "10.0.0.9, 10.0.0.8, 10.0.0.7", LBS, "10.0.0.9");
}

static void
test_bad_entries_stop_at_the_last_hop(void **state)
{
	static const char *const bad[] = {
		"unknown", "", " ", "_hidden", "example.com", "\"203.0.113.9\"",
		"203.0.113.9 6.6.6.6", "203.0.113", "203.0.113.256",
		"fe80::1%eth0", "[203.0.113.9]", "[2001:db8::1",
		"[2001:db8::1]x",
		"203.0.113.9:", "203.0.113.9:0", "203.0.113.9:65536",
		"203.0.113.9:80:80", "2001:db8::1:x", "0x7f.0.0.1",
		"1.2.3.4;for=5.6.7.8",
		"2001:0db8:0000:0000:0000:0000:0000:0001:0000:0000:0000:0000:1",
		NULL
	};
	char	 xff[256];
	struct got g;
	size_t	 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		/* the rightmost: the trusted peer passed it */
		stops(LB, bad[i], strlen(bad[i]), LBS, LB);
		/* behind one more trusted hop: that hop */
		snprintf(xff, sizeof(xff), "%s, 10.0.0.7", bad[i]);
		stops(LB, xff, strlen(xff), LBS, "10.0.0.7");
		/* left of an untrusted hop: never reached */
		snprintf(xff, sizeof(xff), "%s, 203.0.113.9", bad[i]);
		clean(LB, xff, LBS, "203.0.113.9");
	}
	/* the offending entry, trimmed, is what the warning may quote */
	g = resolve(LB, "1.2.3.4,  un known ,10.0.0.7", LBS);
	assert_int_equal(g.stop, FWD_BAD_ENTRY);
	assert_int_equal(g.bad.len, 8);
	assert_memory_equal(g.bad.p, "un known", 8);
	/* an empty element between trusted hops, and a trailing one */
	stops(LB, "203.0.113.9, , 10.0.0.7", 23, LBS, "10.0.0.7");
	stops(LB, "203.0.113.9,", 12, LBS, LB);
}

static void
test_overlong_entry(void **state)
{
	char	xff[GH_MAX_FORWARDED_ENTRY + 32];

	(void)state;
	/* spaces around do not count; more than the limit within does */
	snprintf(xff, sizeof(xff), "%*s203.0.113.9%*s",
	    GH_MAX_FORWARDED_ENTRY, "", 8, "");
	clean(LB, xff, LBS, "203.0.113.9");
	memset(xff, '1', sizeof(xff));
	stops(LB, xff, GH_MAX_FORWARDED_ENTRY + 1, LBS, LB);
	memcpy(xff, "::", 2);
	stops(LB, xff, GH_MAX_FORWARDED_ENTRY + 1, LBS, LB);
}

/* Only the length counts: a NUL byte is an entry's byte, and a bad one. */
static void
test_embedded_nul(void **state)
{
	static const char with_nul[] = "6.6.6.6, 203.0.113.9\0, 10.0.0.7";
	static const char left[] = "6.6.6.6\0, 203.0.113.9";
	struct got		 g;

	(void)state;
	stops(LB, with_nul, sizeof(with_nul) - 1, LBS, "10.0.0.7");
	/* before the untrusted hop: never reached */
	g = resolve_n(LB, left, sizeof(left) - 1, LBS);
	assert_string_equal(g.addr, "203.0.113.9");
	assert_int_equal(g.stop, FWD_CLEAN);
}

static void
test_ipv6(void **state)
{
	(void)state;
	/* canonical form, whatever the spelling */
	clean("2001:db8:1::5", "2001:DB8:0:0::9", "2001:db8:1::/48",
	    "2001:db8::9");
	clean("2001:db8:1::5", "[2001:db8::9]", "2001:db8:1::/48",
	    "2001:db8::9");
	clean("2001:db8:1::5", "[2001:db8::9]:443", "2001:db8:1::/48",
	    "2001:db8::9");
	/* mixed families along the chain */
	clean(LB, "2001:db8::9, 2001:db8:1::6", LBS " 2001:db8:1::/48",
	    "2001:db8::9");
	clean("2001:db8:1::5", "203.0.113.9", "2001:db8:1::/48",
	    "203.0.113.9");
	/* an IPv4-mapped entry is the IPv4 address */
	clean(LB, "::ffff:203.0.113.9", LBS, "203.0.113.9");
	/* a dual-stack listener sees an IPv4 proxy IPv4-mapped */
	clean("::ffff:10.0.0.5", "203.0.113.9", LBS, "203.0.113.9");
	clean("::ffff:198.51.100.7", "203.0.113.9", LBS,
	    "::ffff:198.51.100.7");
}

static void
test_ipv4_with_port(void **state)
{
	(void)state;
	clean(LB, "203.0.113.9:50123", LBS, "203.0.113.9");
	clean(LB, "6.6.6.6, 203.0.113.9:1, 10.0.0.7:65535", LBS,
	    "203.0.113.9");
}

/* RFC 9110 5.3: several lines are one list, in order. */
static void
test_several_lines_joined(void **state)
{
	(void)state;
	/* as remote.c joins "6.6.6.6" and "203.0.113.9, 10.0.0.7" */
	clean(LB, "6.6.6.6, 203.0.113.9, 10.0.0.7", LBS, "203.0.113.9");
	clean(LB, "203.0.113.9, 10.0.0.8, 10.0.0.7", LBS, "203.0.113.9");
}

static void
test_hop_cap(void **state)
{
	char		xff[1024];
	size_t		n = 0;
	unsigned	i;
	struct got	g;

	(void)state;
	/* exactly the limit, all trusted: the leftmost */
	for (i = GH_MAX_FORWARDED_HOPS; i >= 1; i--)
		n += (size_t)snprintf(xff + n, sizeof(xff) - n, "%s10.0.0.%u",
		    n ? ", " : "", i + 10);
	clean(LB, xff, LBS, "10.0.0.26");
	/* one more in front: the walk stops at the limit and says so */
	memmove(xff + 13, xff, n + 1);
	memcpy(xff, "203.0.113.9, ", 13);
	g = resolve(LB, xff, LBS);
	assert_int_equal(g.stop, FWD_HOP_LIMIT);
	assert_string_equal(g.addr, "10.0.0.26");
	assert_null(g.bad.p);
}

/* A small out buffer is never overrun, and always terminated. */
static void
test_small_out(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'x', sizeof(out));
	(void)forwarded_client(LB, "2001:db8::9", 11, LBS, out, sizeof(out),
	    NULL);
	assert_int_equal(strlen(out), sizeof(out) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_trusted_list_is_the_peer),
		cmocka_unit_test(test_untrusted_peer_is_the_peer),
		cmocka_unit_test(test_one_proxy_takes_the_rightmost),
		cmocka_unit_test(test_forged_entries_are_ignored),
		cmocka_unit_test(test_proxy_chain),
		cmocka_unit_test(test_all_trusted_is_the_leftmost),
		cmocka_unit_test(test_bad_entries_stop_at_the_last_hop),
		cmocka_unit_test(test_overlong_entry),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv4_with_port),
		cmocka_unit_test(test_several_lines_joined),
		cmocka_unit_test(test_hop_cap),
		cmocka_unit_test(test_small_out),
	};

	return cmocka_run_group_tests_name("http/forwarded", tests, NULL,
	    NULL);
}
