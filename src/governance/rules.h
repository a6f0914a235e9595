/*
 * rules.h - anomaly detection on grant activity. audit_event() hands
 * every stored event to rules_on_event(), which raises alerts (alerts.h):
 *
 *  refresh_reuse        a rotated refresh token presented again
 *  code_replay          an authorization code presented twice
 *  disabled_client_use  a disabled or quarantined client authenticating
 *  network_refused      a credential used outside the client's allowlist
 *  scope_escalation     a refresh asking for more than the grant holds
 *  client_quarantined   the kill switch was used (raised by the kill
 *                       switch itself, in its transaction)
 *  new_network          a grant refreshed, or its token introspected,
 *                       from an IPv4 /24 or IPv6 /48 it never used before
 *  new_user_agent       ... or with a user agent it never used before
 *  token_rate_spike     a client's tokens per window above factor x its
 *                       own trailing average
 *  auth_failure_burst   N failed client authentications in a window
 *  login_failure_burst  N failed sign-ins of one user in a window
 *
 * Each has a setting (conf.h: rule_*) to switch it off or tune it.
 */
#ifndef GH_RULES_H
#define GH_RULES_H

#include "../app.h"

void	rules_on_event(struct app *app, const struct audit_row *r);
/*
 * A live token was introspected: not an audit event (introspection is
 * the hottest path), but its network and user agent are checked against
 * the grant's like a refresh (new_network, new_user_agent).
 */
void	rules_token_used(struct app *app, const struct token_row *t,
	    const char *remote_addr, const char *user_agent, int64_t now);

#endif
