/*
 * head.h - a request's head, read once when it is complete: the headers
 * Gatehouse uses (head_scan, a libmicrohttpd header iterator) and the
 * shapes refused with 400 before any of the body is read (head_refused):
 * framing a proxy could read otherwise (request smuggling) and a missing
 * or repeated Host.
 */
#ifndef GH_HEAD_H
#define GH_HEAD_H

#include <stddef.h>

#include <microhttpd.h>

struct header_scan {
	const char	*authorization, *cookie, *content_type, *user_agent;
	const char	*content_length, *transfer_encoding;
	unsigned	 n_content_length, n_transfer_encoding, n_host;
	int		 dup;	/* a header that must be single came twice */
	int		 bad_name;	/* a field name that is not a token */
	int		 bad_host;	/* a Host value that is no host[:port] */
	size_t		 total;	/* bytes of all header lines */
};

/* cls is a zeroed struct header_scan; called once per header line */
enum MHD_Result	head_scan(void *cls, enum MHD_ValueKind kind,
		    const char *key, const char *value);
/*
 * RFC 9112 3.2.2: a server MUST accept a target in absolute-form
 * ("http://host/path?query"). Rewrite such a target in place to its
 * origin-form ("/path?query", "/" when it has no path); any other is
 * left as it is. The authority is dropped: the issuer, not the Host the
 * client names, is the origin Gatehouse answers for.
 */
void		head_origin_form(char *target);
/* Why the request is refused with 400 and its connection closed, or NULL. */
const char	*head_refused(const struct header_scan *h,
		    const char *version);

#endif
