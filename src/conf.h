/*
 * conf.h - the server configuration, read from one JSON file through one
 * typed table (conf.c): name, type, bounds, default. Unknown keys, wrong
 * types and out-of-range values are errors, so a typo never silently
 * falls back to a default.
 */
#ifndef GH_CONF_H
#define GH_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include "util/err.h"
#include "util/limits.h"

struct conf {
	char	 issuer[GH_MAX_REDIRECT_LEN];	/* no trailing slash */
	char	 listen[128];			/* host:port */
	char	 database[GH_MAX_PATH];		/* resolved path */
	char	 key_file[GH_MAX_PATH];		/* resolved path */
	int64_t	 code_ttl_seconds;
	int64_t	 access_token_ttl_seconds;
	int64_t	 refresh_token_ttl_seconds;
	int64_t	 refresh_family_lifetime_seconds;	/* 0: no limit */
	int64_t	 session_ttl_seconds;
	int64_t	 id_token_ttl_seconds;
	int64_t	 key_rotation_lead_seconds;
	int64_t	 threads;
	int64_t	 max_connections;
	int64_t	 per_ip_connections;
	int64_t	 connection_timeout_seconds;
	int64_t	 request_deadline_seconds;
	char	 trusted_proxies[GH_MAX_NETWORKS];	/* CIDR list, or "" */
	int64_t	 drain_seconds;
	int64_t	 upkeep_interval_seconds;
	int64_t	 alert_quiet_seconds;
	int64_t	 rule_refresh_reuse;
	int64_t	 rule_code_replay;
	int64_t	 rule_disabled_client_use;
	int64_t	 rule_network_refused;
	int64_t	 rule_scope_escalation;
	int64_t	 rule_new_network;
	int64_t	 rule_new_user_agent;
	int64_t	 rule_auth_fail_burst;
	int64_t	 rule_auth_fail_window_seconds;
	int64_t	 rule_rate_factor;
	int64_t	 rule_rate_window_seconds;
	int64_t	 rule_rate_baseline_windows;
	int64_t	 rule_rate_min_events;
	int64_t	 rule_login_fail_burst;
	int64_t	 rule_login_fail_window_seconds;
	int64_t	 login_address_burst;		/* 0: no per-address limit */
	int64_t	 login_address_refill_seconds;
	int64_t	 login_user_burst;		/* 0: no per-username limit */
	int64_t	 login_user_refill_seconds;
	int64_t	 throttle_audit_window_seconds;
	char	 webhook_url[GH_MAX_REDIRECT_LEN];
	char	 webhook_secret[128];	/* "whsec_" + base64, or empty */
	int64_t	 webhook_timeout_seconds;
	int64_t	 webhook_max_backoff_seconds;
	int64_t	 grant_unused_days;
	int64_t	 client_unused_days;
	char	 client_unused_action[16];
	int64_t	 secret_max_age_days;
	int64_t	 audit_retention_days;		/* 0: keep every event */
	/* derived */
	char	 listen_host[64];
	unsigned listen_port;
	bool	 secure_cookies;	/* issuer is https */
};

/*
 * Load and validate. On failure `err` holds a one-line reason naming the
 * key. Relative paths are resolved against the config file's folder.
 */
enum gh_err	conf_load(const char *path, struct conf *c, char *err,
		    size_t errsz);
void		conf_defaults(struct conf *c);

#endif
