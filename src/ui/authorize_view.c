/* authorize_view.c - see authorize_view.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authorize_view.h"
#include "pages.h"
#include "../http/reply.h"
#include "../oauth/authorize.h"
#include "../oauth/login.h"
#include "../http/form_body.h"

static const char *
host_of(const char *uri, char *out, size_t outsz)
{
	const char	*p = strstr(uri, "://");
	size_t		 n;

	p = p ? p + 3 : uri;
	n = strcspn(p, "/?#");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void
render(struct app *app, const struct params *p, struct authz_result *res,
    struct http_response *resp)
{
	struct page_form	 f = { p, &res->req, res->csrf, true, true };
	struct consent_view	 v;
	char			 host[256];

	switch (res->step) {
	case STEP_REDIRECT:
		if (reply_redirect(resp, 303, buf_str(&res->location)) !=
		    GH_OK)
			reply_unavailable(resp);
		return;
	case STEP_ERROR_PAGE:
		page_error(resp, res->status, "This request cannot continue",
		    res->err.description);
		return;
	case STEP_LOGIN:
		page_login(resp, &f, res->req.client.name, res->login_error);
		if (res->retry_after > 0)
			login_reply_throttled(resp, res->retry_after);
		break;
	case STEP_CONSENT:
		f.keep_prompt = false;	/* consenting here satisfies it */
		/*
		 * A sign-in in this request answered max_age; otherwise the
		 * consent POST checks it again (the page may sit open while
		 * the session ages past it).
		 */
		f.keep_max_age = !res->signed_in_now;
		v.client_name = res->req.client.name;
		v.owner = res->req.client.owner;
		v.redirect_host = host_of(res->req.redirect_uri, host,
		    sizeof(host));
		v.scope = res->req.scope;
		v.username = res->username;
		page_consent(resp, &f, &v);
		break;
	case STEP_UNAVAILABLE:
		reply_unavailable(resp);
		return;
	}
	if (browser_set_cookies(app, &res->browser, resp) != GH_OK)
		reply_unavailable(resp);
}

void
ui_authorize(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct params		 p;
	struct authz_result	*res;
	enum gh_err		 rc;

	if (req->method == HTTP_POST)
		rc = form_body_parse(req, &p);
	else
		rc = form_parse(req->query, req->query_len, &p);
	if (rc == GH_ERR_NOMEM) {
		reply_unavailable(resp);
		return;
	}
	/*
	 * 413 is about content: a body over its limits. A query within the
	 * URI limit (a longer one got 414 before this) with too many or too
	 * long parameters is a bad request.
	 */
	if (rc == GH_ERR_LIMIT && req->method == HTTP_POST) {
		page_error(resp, 413, "This request cannot continue",
		    "The request is too large.");
		return;
	}
	if (rc != GH_OK) {
		page_error(resp, 400, "This request cannot continue",
		    rc == GH_ERR_LIMIT ? "The request has too many or too "
		    "long parameters." : "The request is malformed.");
		return;
	}
	if ((res = malloc(sizeof(*res))) == NULL) {
		params_free(&p);
		reply_unavailable(resp);
		return;
	}
	oauth_authorize(app, req, &p, resp, res);
	render(app, &p, res, resp);
	authz_result_free(res);
	free(res);
	params_free(&p);
}

void
ui_stylesheet(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	(void)app;
	(void)req;
	page_stylesheet(resp);
}
