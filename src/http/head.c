/* head.c - see head.h. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "head.h"

/*
 * RFC 9110 7.2: Host is uri-host [ ":" port ], an RFC 3986 host: a name
 * or IPv4 address of unreserved, percent-encoded and sub-delims
 * characters, or a bracketed IP literal. Empty is allowed (a target
 * without authority). Only the characters are checked: what matters is
 * that no value hides a second field, a path or a user.
 */
static bool
host_ok(const char *v)
{
	if (v == NULL)
		return true;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || strchr("-._~%!$&'()*+,;=:[]",
		    *v)))
			return false;
	return true;
}

/*
 * RFC 9110 5.1: a field name is a token. libmicrohttpd 0.9.75 keeps any
 * name it is given, and one it does not recognise frames nothing:
 * "Content-Length : 5" (RFC 9112 5.1: whitespace before the colon MUST
 * be refused with 400) is to it a header named "Content-Length " and the
 * body is read as empty, while a proxy that trims the name sends five
 * bytes of body, which would be read here as the next request.
 */
static bool
field_name_ok(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || strchr("!#$%&'*+-.^_`|~", *k)))
			return false;
	return true;
}

enum MHD_Result
head_scan(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct header_scan	*h = cls;
	const char		**slot = NULL;

	(void)kind;
	h->total += strlen(key) + (value ? strlen(value) : 0) + 4;
	if (!field_name_ok(key))
		h->bad_name = 1;
	/* counted, not marked dup: head_refused() refuses them early */
	if (strcasecmp(key, "Content-Length") == 0) {
		h->n_content_length++;
		h->content_length = value;
		return MHD_YES;
	}
	if (strcasecmp(key, "Transfer-Encoding") == 0) {
		h->n_transfer_encoding++;
		h->transfer_encoding = value;
		return MHD_YES;
	}
	if (strcasecmp(key, "Host") == 0) {
		h->n_host++;
		if (!host_ok(value))
			h->bad_host = 1;
		return MHD_YES;
	}
	if (strcasecmp(key, "Authorization") == 0)
		slot = &h->authorization;
	else if (strcasecmp(key, "Cookie") == 0)
		slot = &h->cookie;
	else if (strcasecmp(key, "Content-Type") == 0)
		slot = &h->content_type;
	else if (strcasecmp(key, "User-Agent") == 0)
		slot = &h->user_agent;
	if (slot == NULL)
		return MHD_YES;
	if (*slot != NULL)
		h->dup = 1;
	*slot = value;
	return MHD_YES;
}

/*
 * RFC 9112 6.3: a body whose length the server cannot determine is refused
 * with 400 and the connection closed: a Transfer-Encoding other than
 * chunked alone, Transfer-Encoding with Content-Length, and either header
 * given twice. A front proxy may read a repeated header differently from
 * libmicrohttpd (which takes the first), so each is a request smuggling
 * shape; a repeated Content-Length is refused even with equal values (RFC
 * 9110 8.6 allows that). RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0
 * request is faulty framing too. RFC 9112 3.2: an HTTP/1.1 request
 * without Host, any request with Host twice or with a value that is no
 * host[:port], is refused too: which origin it names would be a guess (a
 * proxy may have routed it by another one). Answered before any of the
 * body is read: libmicrohttpd would otherwise read such a body until the
 * client closed.
 */
const char *
head_refused(const struct header_scan *h, const char *version)
{
	/* a mangled Content-Length or Transfer-Encoding hides among them */
	if (h->bad_name)
		return "malformed header field name";
	if (h->transfer_encoding != NULL &&
	    strcmp(version, MHD_HTTP_VERSION_1_1) != 0)
		return "Transfer-Encoding needs HTTP/1.1";
	if (h->n_content_length > 1)
		return "Content-Length must appear once";
	if (h->n_transfer_encoding > 1)
		return "Transfer-Encoding must appear once";
	if (h->transfer_encoding != NULL && (h->content_length != NULL ||
	    strcasecmp(h->transfer_encoding, "chunked") != 0))
		return "Transfer-Encoding must be chunked alone, "
		    "without Content-Length";
	if (h->n_host > 1)
		return "Host must appear once";
	if (h->bad_host)
		return "malformed Host header";
	if (h->n_host == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return "HTTP/1.1 needs a Host header";
	return NULL;
}

void
head_origin_form(char *target)
{
	size_t	skip, rest;
	char	*p;

	if (strncasecmp(target, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(target, "https://", 8) == 0)
		skip = 8;
	else
		return;
	/* the authority ends at the path, the query, or the end */
	p = target + skip + strcspn(target + skip, "/?");
	if (*p == '/') {
		memmove(target, p, strlen(p) + 1);
		return;
	}
	/* "http://host?q" or "http://host": the path is "/" */
	rest = strlen(p);
	memmove(target + 1, p, rest + 1);
	target[0] = '/';
}
