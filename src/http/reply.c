/* reply.c - reply builders and the response struct (see reply.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reply.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/str.h"

void
response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	r->kind = REPLY_API;
	r->content_type = "text/plain; charset=utf-8";
	buf_init(&r->body, GH_MAX_REPLY_LEN);
}

void
response_free(struct http_response *r)
{
	size_t i;

	if (r->hold.h != NULL)
		(void)r->hold.end(r->hold.h);	/* never left queued */
	r->hold.h = NULL;
	/* a Location may carry a code, a body tokens */
	for (i = 0; i < r->nheaders; i++) {
		crypto_wipe(r->headers[i].value, strlen(r->headers[i].value));
		free(r->headers[i].value);
	}
	r->nheaders = 0;
	buf_wipe_free(&r->body);
}

enum gh_err
response_header(struct http_response *r, const char *name, const char *value)
{
	char *v;

	if (r->nheaders >= GH_MAX_HEADERS_OUT)
		return GH_ERR_LIMIT;
	if ((v = str_dup(value)) == NULL)
		return GH_ERR_NOMEM;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
	return GH_OK;
}

const char *
response_get_header(const struct http_response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

enum gh_err
reply_json(struct http_response *r, int status, json_t *obj)
{
	char		*s;
	enum gh_err	 rc;

	if (obj == NULL)
		return GH_ERR_NOMEM;
	s = json_text(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL)
		return GH_ERR_NOMEM;
	buf_reset(&r->body);
	rc = buf_puts(&r->body, s);
	crypto_wipe(s, strlen(s));	/* a token response's tokens */
	free(s);
	if (rc != GH_OK)
		return rc;
	r->status = status;
	r->kind = REPLY_API;
	r->content_type = "application/json";
	return GH_OK;
}

enum gh_err
reply_html(struct http_response *r, int status, const char *html, size_t len)
{
	enum gh_err rc;

	buf_reset(&r->body);
	if ((rc = buf_append(&r->body, html, len)) != GH_OK)
		return rc;
	r->status = status;
	r->kind = REPLY_HTML;
	r->content_type = "text/html; charset=utf-8";
	return GH_OK;
}

enum gh_err
reply_redirect(struct http_response *r, int status, const char *location)
{
	enum gh_err rc;

	if ((rc = response_header(r, "Location", location)) != GH_OK)
		return rc;
	buf_reset(&r->body);
	r->status = status;
	r->kind = REPLY_HTML;
	r->content_type = "text/plain; charset=utf-8";
	return GH_OK;
}

void
reply_unavailable(struct http_response *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	r->nheaders = 0;
	buf_reset(&r->body);
	r->status = 503;
	r->kind = REPLY_API;
	r->content_type = "application/json";
	/* a static body: this path must work without allocating */
	if (buf_puts(&r->body, "{\"error\":\"temporarily_unavailable\"}") !=
	    GH_OK)
		r->content_type = "text/plain; charset=utf-8";
	r->cache_control = NULL;
}

void
reply_not_found(struct http_response *r)
{
	buf_reset(&r->body);
	r->status = 404;
	r->kind = REPLY_API;
	r->content_type = "application/json";
	(void)buf_puts(&r->body, "{\"error\":\"not_found\"}");
}
