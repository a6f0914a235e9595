/*
 * gov_json.h - the JSON shapes of governance data, shared by the admin
 * command (cli/) and the admin API (admin/) so both print the same thing:
 * alerts, grants, audit events, the inventory and revocation details.
 *
 * Each builder returns a new reference (NULL when out of memory) that the
 * caller owns. None of them ever includes a secret or a hash of one,
 * except the audit chain hash of an event (not a secret).
 */
#ifndef GH_GOV_JSON_H
#define GH_GOV_JSON_H

#include <jansson.h>

#include "../app.h"

json_t	*alert_json(const struct alert_row *a);
json_t	*grant_json(const struct grant_row *g);
json_t	*audit_json(const struct audit_row *r);
/*
 * The whole inventory into *out, riskiest first (ties: the older client
 * first). It is ranked in memory: with more than `max` clients nothing is
 * listed, GH_ERR_LIMIT, and the log says so (never a part of the list
 * passed off as the whole). Store errors and GH_ERR_NOMEM likewise leave
 * *out NULL.
 */
enum gh_err	inventory_sorted(struct app *app, int64_t now, size_t max,
		    json_t **out);
/* {"reason": ..., "grants_revoked": n} for an audit event's detail */
void	 revocation_detail(const char *reason, unsigned n, char *out,
	    size_t outsz);

#endif
