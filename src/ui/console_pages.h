/*
 * console_pages.h - the HTML of the admin console (console.c decides,
 * these render). Every value from the store is escaped; every form
 * carries the CSRF token; actions that take access away are links to a
 * confirmation page whose form asks for a reason.
 */
#ifndef GH_CONSOLE_PAGES_H
#define GH_CONSOLE_PAGES_H

#include <jansson.h>

#include "html.h"
#include "../admin/client_detail.h"

/* what every console page knows */
struct console_view {
	const char	*admin;		/* signed-in admin, "" on the login */
	const char	*csrf;		/* the CSRF token for forms */
	const char	*notice;	/* a fixed message to show, or NULL */
};

/* the confirmation step of an action */
struct confirm_view {
	const char	*action;	/* quarantine, revoke_grant, ... */
	const char	*title;
	const char	*what;		/* one sentence: what will happen */
	const char	*button;
	const char	*client_id;
	const char	*client_name;
	const char	*grant_id;	/* NULL unless one grant */
};

void	console_login_page(struct http_response *r,
	    const struct console_view *v, const char *error, int status);
void	console_message(struct http_response *r,
	    const struct console_view *v, int status, const char *title,
	    const char *message);
/*
 * `items`: inventory entries (gov_json.h), sorted by `sort` and `desc`;
 * GH_INVENTORY_PAGE of them from `offset`, with links to the pages
 * before and after.
 */
void	console_inventory_page(struct http_response *r,
	    const struct console_view *v, json_t *items, const char *sort,
	    bool desc, size_t offset);
void	console_client_page(struct http_response *r,
	    const struct console_view *v, const struct client_detail *d);
/* `n` alerts of `total` (all, or the open ones): a note says if cut. */
void	console_alerts_page(struct http_response *r,
	    const struct console_view *v, const struct alert_row *alerts,
	    size_t n, size_t total, bool all);
void	console_confirm_page(struct http_response *r,
	    const struct console_view *v, const struct confirm_view *c);

/* A sort column of the inventory; NULL if not one. */
const char *console_sort_key(const char *name);

#endif
