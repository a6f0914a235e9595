/*
 * client.h - a minimal outbound HTTP/1.1 client for the alert webhook:
 * one POST of a JSON body to an http:// or https:// URL, within one
 * deadline for the whole exchange (name lookup aside: connecting, the TLS
 * handshake, sending, reading the status line). No redirect is followed
 * and no more than the status line is read. https verifies the
 * certificate chain against the system store and the host name.
 */
#ifndef GH_HTTP_CLIENT_H
#define GH_HTTP_CLIENT_H

#include "../util/err.h"

/*
 * POST `body` as application/json, with extra header lines `headers`
 * ("Name: value" each, no CRLF; a NULL-terminated list, or NULL for
 * none). *status receives the HTTP status code; GH_OK means a status
 * line was read.
 */
enum gh_err	http_post_json(const char *url, const char *body,
		    const char *const *headers, unsigned timeout_seconds,
		    int *status);

#endif
