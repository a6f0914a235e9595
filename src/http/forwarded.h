/*
 * forwarded.h - the client's address behind trusted proxies: which entry
 * of X-Forwarded-For to believe, given the TCP peer and the operator's
 * trusted_proxies list. Pure (no library, no I/O), so it is unit-tested
 * and fuzzed on its own; http/remote.c gathers the header lines.
 *
 * The walk (the only safe reading of the header): every proxy appends the
 * address it received the request from, so the list is read from its
 * RIGHT end. The current hop starts as the peer; while the current hop is
 * a trusted proxy, the entry to its left becomes the current hop; the
 * first hop that is not trusted is the client. Entries further left were
 * written by the client and are never believed. All trusted: the leftmost
 * entry. The peer not trusted: the peer, whatever the header says.
 */
#ifndef GH_FORWARDED_H
#define GH_FORWARDED_H

#include <stddef.h>

#include "../util/str.h"

enum fwd_stop {
	FWD_CLEAN = 0,	/* an untrusted hop, the leftmost entry, or no walk */
	FWD_BAD_ENTRY,	/* an entry that is not a numeric address */
	FWD_HOP_LIMIT	/* GH_MAX_FORWARDED_HOPS entries, all trusted */
};

/*
 * The client address of a request into out (outsz >= INET6_ADDRSTRLEN
 * holds every answer): the peer as given (numeric, as inet_ntop wrote
 * it), or an entry in inet_ntop's canonical form (an IPv4-mapped IPv6
 * entry as plain IPv4).
 *
 * xff: every X-Forwarded-For field line joined in order with ", " (RFC
 * 9110 5.3), xff_len bytes, NUL bytes included; NULL when there is none.
 * trusted: a CIDR list (cidr.h); NULL or "": nothing is trusted and the
 * header is not read at all.
 *
 * An entry that is not an address, or a walk past GH_MAX_FORWARDED_HOPS,
 * stops the walk at the last hop reached (a trusted proxy), and says so;
 * *bad (if not NULL) is then the offending entry, spaces trimmed, inside
 * xff ({NULL, 0} otherwise): attacker text, to be escaped if shown.
 */
enum fwd_stop	forwarded_client(const char *peer, const char *xff,
		    size_t xff_len, const char *trusted, char *out,
		    size_t outsz, struct slice *bad);

#endif
