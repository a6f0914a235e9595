/*
 * pages.h - the HTML pages of the authorization endpoint: error, login,
 * consent, and the stylesheet they share. All data is HTML-escaped; pages
 * carry no script.
 */
#ifndef GH_PAGES_H
#define GH_PAGES_H

#include "../http/form.h"
#include "../http/request.h"

struct authz_request;
struct page_form {
	const struct params	*params;	/* authorization parameters */
	const struct authz_request *req;	/* params as validated */
	const char		*csrf;		/* CSRF token for the form */
	bool			 keep_prompt;	/* carry prompt (sans login) */
	bool			 keep_max_age;	/* carry max_age */
};

struct consent_view {
	const char	*client_name;
	const char	*owner;
	const char	*redirect_host;
	const char	*scope;		/* space-separated */
	const char	*username;
};

void	page_error(struct http_response *r, int status, const char *title,
	    const char *message);
void	page_login(struct http_response *r, const struct page_form *f,
	    const char *client_name, const char *error);
void	page_consent(struct http_response *r, const struct page_form *f,
	    const struct consent_view *v);
void	page_stylesheet(struct http_response *r);

#endif
