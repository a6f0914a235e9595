/*
 * fuzz_forwarded.c - libFuzzer target for forwarded_client()
 * (http/forwarded.h). The input is the X-Forwarded-For value as remote.c
 * joins it (every line, ", " between), NUL bytes and all.
 *
 * The header is a heap block of exactly its size (no NUL) and every answer
 * goes into a heap block of exactly INET6_ADDRSTRLEN bytes, so ASan sees a
 * read past either. Each input is resolved for every peer and trusted list
 * below (the peer untrusted, trusted, trusted IPv4-mapped; nothing, one
 * proxy, a chain, and everything trusted), and each answer must be:
 *  - NUL-terminated inside the buffer;
 *  - the peer when the list is empty or the peer is not in it;
 *  - otherwise the peer or an address in inet_ntop's canonical form (it
 *    reads back the same), never an IPv4-mapped IPv6 one;
 *  - a bad entry named only with FWD_BAD_ENTRY, and inside the header;
 *  - the one part the client cannot steer: when the walk ended cleanly on
 *    an untrusted entry, text put in front of the header ("6.6.6.6, ",
 *    which any client can send) changes nothing.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.h"
#include "util/cidr.h"
#include "fuzz_check.h"

static const struct {
	const char	*addr;
	const char	*as_v4;		/* what a trusted list sees */
} peers[] = {
	{ "10.0.0.5", "10.0.0.5" },
	{ "::ffff:10.0.0.5", "10.0.0.5" },
	{ "2001:db8:1::5", "2001:db8:1::5" },
	{ "198.51.100.7", "198.51.100.7" },
	{ "unknown", "unknown" },
};

static const char *const lists[] = {
	"", "10.0.0.5", "10.0.0.0/24 2001:db8:1::/48", "0.0.0.0/0 ::/0",
};

#define FORGED	"6.6.6.6, "

/* out reads back as itself through inet_pton/inet_ntop, and not mapped */
static bool
canonical(const char *out)
{
	unsigned char	a[16];
	char		back[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, out, a) == 1)
		return inet_ntop(AF_INET, a, back, sizeof(back)) != NULL &&
		    strcmp(back, out) == 0;
	if (inet_pton(AF_INET6, out, a) != 1 ||
	    inet_ntop(AF_INET6, a, back, sizeof(back)) == NULL ||
	    strcmp(back, out) != 0)
		return false;
	return !(memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0);
}

static enum fwd_stop
run(const char *peer, const char *xff, size_t len, const char *list,
    char *out, struct slice *bad)
{
	enum fwd_stop stop;

	stop = forwarded_client(peer, xff, len, list, out, INET6_ADDRSTRLEN,
	    bad);
	check(memchr(out, '\0', INET6_ADDRSTRLEN) != NULL);
	check(stop == FWD_CLEAN || stop == FWD_BAD_ENTRY ||
	    stop == FWD_HOP_LIMIT);
	if (stop == FWD_BAD_ENTRY)
		check(bad->p >= xff && bad->len <= len &&
		    (size_t)(bad->p - xff) <= len - bad->len);
	else
		check(bad->p == NULL && bad->len == 0);
	return stop;
}

static void
one(const char *xff, size_t len, char *forged, size_t p, size_t l)
{
	char		*out, *again;
	struct slice	 bad;
	enum fwd_stop	 stop;
	bool		 peer_trusted;

	if ((out = malloc(INET6_ADDRSTRLEN)) == NULL ||
	    (again = malloc(INET6_ADDRSTRLEN)) == NULL)
		abort();
	stop = run(peers[p].addr, xff, len, lists[l], out, &bad);
	peer_trusted = lists[l][0] != '\0' &&
	    cidr_list_match(lists[l], peers[p].as_v4);
	if (!peer_trusted) {
		check(stop == FWD_CLEAN && strcmp(out, peers[p].addr) == 0);
		goto done;
	}
	if (strcmp(out, peers[p].addr) == 0)
		goto done;
	check(canonical(out));
	/* stopped early: at a hop it trusts, which passed the rest on */
	if (stop != FWD_CLEAN)
		check(cidr_list_match(lists[l], out));
	/* ended on a hop it does not trust: the client wrote the rest */
	if (stop == FWD_CLEAN && !cidr_list_match(lists[l], out)) {
		memcpy(forged + sizeof(FORGED) - 1, xff, len);
		check(run(peers[p].addr, forged, len + sizeof(FORGED) - 1,
		    lists[l], again, &bad) == FWD_CLEAN);
		check(strcmp(out, again) == 0);
	}
done:
	free(out);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*h, *forged;
	size_t	 p, l;

	if ((h = malloc(size ? size : 1)) == NULL ||
	    (forged = malloc(size + sizeof(FORGED))) == NULL)
		abort();
	if (size)
		memcpy(h, data, size);
	memcpy(forged, FORGED, sizeof(FORGED) - 1);
	for (p = 0; p < sizeof(peers) / sizeof(peers[0]); p++)
		for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			one(h, size, forged, p, l);
	/* no header at all: always the peer */
	for (p = 0; p < sizeof(peers) / sizeof(peers[0]); p++) {
		char		out[INET6_ADDRSTRLEN];
		struct slice	bad;

		check(run(peers[p].addr, NULL, 0, lists[2], out, &bad) ==
		    FWD_CLEAN && strcmp(out, peers[p].addr) == 0);
	}
	free(forged);
	free(h);
	return 0;
}
