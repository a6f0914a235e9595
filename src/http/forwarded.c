/*
 * forwarded.c - X-Forwarded-For resolution against trusted_proxies (see
 * forwarded.h).
 *
 * The header is attacker text up to the first trusted proxy's entry, so
 * an entry is believed only when it is one numeric address and nothing
 * else: IPv4, IPv6, IPv6 in brackets, and either with a port (Azure's
 * Application Gateway writes "203.0.113.9:50123"); the port is dropped.
 * Anything else (a name, "unknown", an RFC 7239 obfuscated identifier,
 * an empty element, quotes, a NUL byte, an IPv6 zone) stops the walk.
 * Stopping is the safe side: the answer is then the trusted proxy that
 * passed the value on, never text the client chose.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "forwarded.h"
#include "../util/cidr.h"
#include "../util/limits.h"

/* RFC 4291 2.5.5.2: an IPv4 address as an IPv6 one */
static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

/* the bytes a numeric address (with a port, in brackets) is made of */
static bool
addr_byte(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == '.' || c == ':' || c == '[' ||
	    c == ']';
}

static bool
port_ok(const char *s)
{
	uint64_t p;

	return parse_u64(slice_cstr(s), 1, 65535, &p) == GH_OK;
}

/*
 * One entry into its canonical text: inet_ntop's form, which is what the
 * peer address has always been written as, and an IPv4-mapped IPv6
 * address as plain IPv4, so that one client has one address for the
 * abuse limits and an IPv4 block of a client's networks matches it.
 */
static bool
parse_entry(struct slice e, char *out, size_t outsz)
{
	char		 buf[GH_MAX_FORWARDED_ENTRY + 1], *host = buf, *end;
	unsigned char	 a[16];
	size_t		 i;

	if (e.len == 0 || e.len > GH_MAX_FORWARDED_ENTRY)
		return false;
	for (i = 0; i < e.len; i++)
		if (!addr_byte(e.p[i]))
			return false;	/* a NUL byte among them */
	memcpy(buf, e.p, e.len);
	buf[e.len] = '\0';
	if (buf[0] == '[') {		/* "[v6]" or "[v6]:port" */
		if ((end = strchr(buf, ']')) == NULL ||
		    (end[1] != '\0' && (end[1] != ':' || !port_ok(end + 2))))
			return false;
		*end = '\0';
		host = buf + 1;
		if (inet_pton(AF_INET6, host, a) != 1)
			return false;
	} else if (inet_pton(AF_INET, buf, a) == 1) {
		return inet_ntop(AF_INET, a, out, (socklen_t)outsz) != NULL;
	} else if (inet_pton(AF_INET6, buf, a) != 1) {
		/* "v4:port": one colon (an IPv6 address has two or more) */
		if ((end = strchr(buf, ':')) == NULL || strchr(end + 1, ':') ||
		    !port_ok(end + 1))
			return false;
		*end = '\0';
		return inet_pton(AF_INET, buf, a) == 1 &&
		    inet_ntop(AF_INET, a, out, (socklen_t)outsz) != NULL;
	}
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return inet_ntop(AF_INET, a + 12, out, (socklen_t)outsz) !=
		    NULL;
	return inet_ntop(AF_INET6, a, out, (socklen_t)outsz) != NULL;
}

/*
 * A dual-stack listener would see an IPv4 proxy as ::ffff:a.b.c.d,
 * which cidr_list_match() does not put inside an IPv4 block: try both
 * forms. (Ours on :: is IPv6-only: libmicrohttpd sets IPV6_V6ONLY.)
 */
static bool
trusted_hop(const char *list, const char *addr)
{
	unsigned char	a[16];
	char		v4[INET_ADDRSTRLEN];

	if (cidr_list_match(list, addr))
		return true;
	return inet_pton(AF_INET6, addr, a) == 1 &&
	    memcmp(a, v4mapped, sizeof(v4mapped)) == 0 &&
	    inet_ntop(AF_INET, a + 12, v4, sizeof(v4)) != NULL &&
	    cidr_list_match(list, v4);
}

enum fwd_stop
forwarded_client(const char *peer, const char *xff, size_t xff_len,
    const char *trusted, char *out, size_t outsz, struct slice *bad)
{
	char		 hop[64];
	struct slice	 e;
	size_t		 end = xff_len, start;
	unsigned	 hops;
	enum fwd_stop	 stop = FWD_CLEAN;

	if (bad != NULL)
		*bad = (struct slice){ NULL, 0 };
	str_copy(hop, sizeof(hop), peer);
	if (trusted == NULL || trusted[0] == '\0' || xff == NULL)
		goto out;
	/* end: one past the entry to read next; every byte is read once */
	for (hops = 0; trusted_hop(trusted, hop); hops++) {
		if (hops == GH_MAX_FORWARDED_HOPS) {
			stop = FWD_HOP_LIMIT;
			break;
		}
		for (start = end; start > 0 && xff[start - 1] != ','; start--)
			;
		e = slice_trim((struct slice){ xff + start, end - start });
		if (!parse_entry(e, hop, sizeof(hop))) {
			if (bad != NULL)
				*bad = e;
			stop = FWD_BAD_ENTRY;
			break;	/* hop is still the proxy that passed it */
		}
		if (start == 0)
			break;	/* the leftmost entry, trusted or not */
		end = start - 1;
	}
out:
	str_copy(out, outsz, hop);
	return stop;
}
