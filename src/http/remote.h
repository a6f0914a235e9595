/*
 * remote.h - where a request comes from, for the libmicrohttpd adapter
 * (server.c): the TCP peer of its connection, and the client's address
 * behind trusted proxies, from the request's X-Forwarded-For lines
 * (forwarded.h decides which entry to believe).
 */
#ifndef GH_REMOTE_H
#define GH_REMOTE_H

#include <stddef.h>

struct MHD_Connection;

/* The peer's numeric address (inet_ntop), or "unknown". */
void	remote_peer(struct MHD_Connection *c, char *out, size_t outsz);

/*
 * The client address of the request on c, whose headers are complete,
 * into out: the peer when `trusted` (a CIDR list) is NULL or "", without
 * a look at the headers; otherwise forwarded_client()'s answer, and a
 * warning logged when it stopped on an entry that is not an address.
 */
void	remote_client(struct MHD_Connection *c, const char *peer,
	    const char *trusted, char *out, size_t outsz);

#endif
