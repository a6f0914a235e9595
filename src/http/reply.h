/*
 * reply.h - building replies: JSON, HTML, redirects, plain errors.
 *
 * All replies get Cache-Control: no-store unless the handler chooses a
 * cache policy (metadata documents); HTML replies also get the framing and
 * script policy headers in server.c.
 */
#ifndef GH_REPLY_H
#define GH_REPLY_H

#include <jansson.h>
#include "request.h"

/* Takes ownership of `obj`. */
enum gh_err	reply_json(struct http_response *r, int status, json_t *obj);
/* HTML page; `html` is already escaped where needed. */
enum gh_err	reply_html(struct http_response *r, int status,
		    const char *html, size_t len);
enum gh_err	reply_redirect(struct http_response *r, int status,
		    const char *location);
/* 503 for out-of-memory and store failures: keep serving. */
void		reply_unavailable(struct http_response *r);
void		reply_not_found(struct http_response *r);

#endif
