/*
 * conf.c - the configuration table and its loader (see conf.h).
 *
 * To add a setting: add a field to struct conf and one row to conf_table.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <jansson.h>

#include "conf.h"
#include "store/store.h"
#include "util/cidr.h"
#include "util/crypto.h"
#include "util/json_text.h"
#include "util/limits.h"
#include "util/str.h"
#include "util/url.h"

enum conf_type { CONF_STRING, CONF_INT };

struct conf_entry {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	size_t		 size;		/* for strings: buffer size */
	int64_t		 min, max;	/* for ints */
	int64_t		 def_int;
	const char	*def_str;	/* NULL: required */
};

#define STR(f, d) { #f, CONF_STRING, offsetof(struct conf, f), \
	sizeof(((struct conf *)0)->f), 0, 0, 0, d }
#define INT(f, lo, hi, d) { #f, CONF_INT, offsetof(struct conf, f), 0, \
	lo, hi, d, NULL }

static const struct conf_entry conf_table[] = {
	STR(issuer, NULL),
	STR(listen, "127.0.0.1:8080"),
	STR(database, "gatehouse.db"),
	STR(key_file, "gatehouse.key"),
	INT(code_ttl_seconds, 1, 600, 60),		/* RFC 6749 4.1.2 */
	INT(access_token_ttl_seconds, 1, 86400, 600),
	INT(refresh_token_ttl_seconds, 60, 31536000, 2592000),
	/*
	 * no token of a refresh family outlives its creation by more than
	 * this, however often it rotates (0: no limit; 1..3599 refused by
	 * check_family_lifetime); ten years at most
	 */
	INT(refresh_family_lifetime_seconds, 0, 315360000, 31536000),
	INT(session_ttl_seconds, 60, 2592000, 28800),
	INT(id_token_ttl_seconds, 60, 86400, 600),
	/* a new key is in the JWKS this long before it signs */
	INT(key_rotation_lead_seconds, 0, 2592000, 3600),
	INT(threads, 0, 256, 0),			/* 0: four per core */
	INT(max_connections, 1, 100000, 1024),
	INT(per_ip_connections, 0, 100000, 0),
	INT(connection_timeout_seconds, 1, 600, 15),	/* idle */
	/* a whole request must arrive within this (slowloris) */
	INT(request_deadline_seconds, 1, 600, 30),
	/*
	 * the load balancers whose X-Forwarded-For names the client
	 * (http/forwarded.h); none by default: the header is ignored
	 */
	STR(trusted_proxies, ""),
	INT(drain_seconds, 0, 600, 10),
	INT(upkeep_interval_seconds, 1, 3600, 60),
	/* governance: anomaly rules (1 on, 0 off) and their thresholds */
	INT(alert_quiet_seconds, 0, 604800, 3600),
	INT(rule_refresh_reuse, 0, 1, 1),
	INT(rule_code_replay, 0, 1, 1),
	INT(rule_disabled_client_use, 0, 1, 1),
	INT(rule_network_refused, 0, 1, 1),
	INT(rule_scope_escalation, 0, 1, 1),
	INT(rule_new_network, 0, 1, 1),
	INT(rule_new_user_agent, 0, 1, 1),
	INT(rule_auth_fail_burst, 0, 100000, 10),	/* 0: off */
	INT(rule_auth_fail_window_seconds, 1, 86400, 60),
	INT(rule_rate_factor, 0, 10000, 10),		/* 0: off */
	INT(rule_rate_window_seconds, 1, 86400, 3600),
	INT(rule_rate_baseline_windows, 1, 168, 24),
	INT(rule_rate_min_events, 1, 10000000, 100),
	/* failed logins of one user in a window (0: off) */
	INT(rule_login_fail_burst, 0, 100000, 10),
	INT(rule_login_fail_window_seconds, 1, 86400, 600),
	/*
	 * Abuse limits, checked before any Argon2id run (oauth/login.h):
	 * failed sign-ins per client address (also wrong admin credentials,
	 * counted apart) and per username: a burst, then one more per
	 * refill. 0 turns a limit off: the per-address one behind a proxy.
	 */
	INT(login_address_burst, 0, 100000, 10),
	INT(login_address_refill_seconds, 1, 3600, 2),
	INT(login_user_burst, 0, 100000, 5),
	INT(login_user_refill_seconds, 1, 86400, 10),
	/* one login.throttled or admin failure event per address per window */
	INT(throttle_audit_window_seconds, 1, 86400, 60),
	/* alerts to a webhook: http:// or https:// */
	STR(webhook_url, ""),
	STR(webhook_secret, ""),	/* Standard Webhooks signing key */
	INT(webhook_timeout_seconds, 1, 60, 5),
	INT(webhook_max_backoff_seconds, 1, 86400, 300),
	/* hygiene (0: off) */
	INT(grant_unused_days, 0, 3650, 0),
	INT(client_unused_days, 0, 3650, 90),
	STR(client_unused_action, "flag"),		/* flag or disable */
	INT(secret_max_age_days, 0, 3650, 90),
	/* audit events older than this are deleted (0: never); see below */
	INT(audit_retention_days, 0, 3650, 365),
};

#define NENTRIES (sizeof(conf_table) / sizeof(conf_table[0]))

void
conf_defaults(struct conf *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NENTRIES; i++) {
		const struct conf_entry *e = &conf_table[i];
		char *base = (char *)c + e->offset;

		if (e->type == CONF_INT)
			*(int64_t *)(void *)base = e->def_int;
		else if (e->def_str)
			str_copy(base, e->size, e->def_str);
	}
}

static const struct conf_entry *
entry(const char *name)
{
	size_t i;

	for (i = 0; i < NENTRIES; i++)
		if (strcmp(conf_table[i].name, name) == 0)
			return &conf_table[i];
	return NULL;
}

static bool
set_value(struct conf *c, const struct conf_entry *e, json_t *v, char *err,
    size_t errsz)
{
	char *base = (char *)c + e->offset;

	if (e->type == CONF_INT) {
		json_int_t n;

		if (!json_is_integer(v)) {
			snprintf(err, errsz, "%s: must be an integer", e->name);
			return false;
		}
		n = json_integer_value(v);
		if (n < e->min || n > e->max) {
			snprintf(err, errsz, "%s: must be between %lld and "
			    "%lld", e->name, (long long)e->min,
			    (long long)e->max);
			return false;
		}
		*(int64_t *)(void *)base = n;
		return true;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= e->size ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    str_has_ctl(json_string_value(v))) {
		snprintf(err, errsz, "%s: must be a non-empty string shorter "
		    "than %zu bytes", e->name, e->size);
		return false;
	}
	str_copy(base, e->size, json_string_value(v));
	return true;
}

/*
 * "v4:port" or "[v6]:port". The address must be numeric, as the server
 * binds it (http_start): a host name would pass here and fail there.
 */
static bool
split_listen(struct conf *c, char *err, size_t errsz)
{
	const char	*colon = strrchr(c->listen, ':');
	uint64_t	 port;
	size_t		 hl;
	const char	*h = c->listen;
	unsigned char	 addr[sizeof(struct in6_addr)];
	bool		 v6 = false;

	if (colon == NULL || parse_u64(slice_cstr(colon + 1), 0, 65535,
	    &port) != GH_OK)
		goto bad;
	hl = (size_t)(colon - h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
		v6 = true;
	}
	if (hl == 0 || hl >= sizeof(c->listen_host))
		goto bad;
	memcpy(c->listen_host, h, hl);
	c->listen_host[hl] = '\0';
	/* the server tries both families too; brackets only around v6 */
	if (inet_pton(AF_INET6, c->listen_host, addr) != 1 &&
	    (v6 || inet_pton(AF_INET, c->listen_host, addr) != 1))
		goto bad;
	c->listen_port = (unsigned)port;
	return true;
bad:
	snprintf(err, errsz, "listen: must be a numeric IP address and port, "
	    "e.g. 127.0.0.1:8080 or [::1]:8080");
	return false;
}

/* "localhost", [::1], or an IPv4 literal in 127.0.0.0/8 */
static bool
loopback_host(const char *h, size_t n)
{
	size_t i;

	if ((n == 9 && memcmp(h, "localhost", 9) == 0) ||
	    (n == 5 && memcmp(h, "[::1]", 5) == 0))
		return true;
	if (n < 5 || memcmp(h, "127.", 4) != 0)
		return false;
	for (i = 4; i < n; i++)
		if ((h[i] < '0' || h[i] > '9') && h[i] != '.')
			return false;
	return true;
}

/*
 * RFC 8414 2: https, a host, no userinfo (it hides the real host from a
 * reader), no query or fragment; http only for loopback tests. Both
 * schemes get every check.
 */
static bool
check_issuer(struct conf *c, char *err, size_t errsz)
{
	const char	*s = c->issuer, *host;
	size_t		 n = strlen(s), hl;
	bool		 https = strncmp(s, "https://", 8) == 0;

	while (n > 1 && s[n - 1] == '/')
		c->issuer[--n] = '\0';
	if (strchr(s, '?') || strchr(s, '#') || strchr(s, ' '))
		goto bad;
	if (!https && strncmp(s, "http://", 7) != 0)
		goto bad;
	host = s + (https ? 8 : 7);
	if (memchr(host, '@', strcspn(host, "/")) != NULL) {
		snprintf(err, errsz, "issuer: must not carry a user name or "
		    "password");
		return false;
	}
	hl = strcspn(host, ":/");
	if (host[0] == '[')
		hl = strcspn(host, "]") + 1;
	if (hl == 0) {
		snprintf(err, errsz, "issuer: missing host");
		return false;
	}
	c->secure_cookies = https;
	if (https || loopback_host(host, hl))
		return true;
	snprintf(err, errsz, "issuer: must be https (http only for a "
	    "loopback host)");
	return false;
bad:
	snprintf(err, errsz, "issuer: must be an https URL without query or "
	    "fragment");
	return false;
}

/*
 * "sqlite:PATH" is the same as PATH (store.h), and resolved the same
 * way: the prefix goes, so a relative PATH is taken from the config's
 * folder and not read as "<folder>/sqlite:PATH". "sqlite://..." is no
 * form we read: said, not taken for a file name.
 */
static bool
strip_sqlite(struct conf *c, char *err, size_t errsz)
{
	size_t n = strlen(c->database);

	if (strncmp(c->database, "sqlite:", 7) != 0)
		return true;
	if (strncmp(c->database, "sqlite://", 9) == 0 || n == 7) {
		snprintf(err, errsz, "database: give a SQLite file as a path "
		    "or sqlite:PATH, not a sqlite:// URL");
		return false;
	}
	memmove(c->database, c->database + 7, n - 7 + 1);
	return true;
}

static bool
resolve_path(char *field, size_t size, const char *confpath)
{
	char		 tmp[GH_MAX_PATH];
	const char	*slash = strrchr(confpath, '/');
	int		 n;

	/* absolute paths and database URLs (postgresql://...) stay as is */
	if (field[0] == '/' || slash == NULL || strstr(field, "://") != NULL)
		return true;
	n = snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(slash - confpath),
	    confpath, field);
	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= size)
		return false;
	str_copy(field, size, tmp);
	return true;
}

/*
 * trusted_proxies in the syntax of a client's networks. An entry that
 * does not parse must stop the server: ignored, the header of a proxy
 * left out would be ignored, or one put in by mistake believed.
 */
static bool
check_proxies(const struct conf *c, char *err, size_t errsz)
{
	if (c->trusted_proxies[0] == '\0' ||
	    cidr_list_valid(c->trusted_proxies))
		return true;
	snprintf(err, errsz, "trusted_proxies: must be space-separated "
	    "IPv4 or IPv6 addresses or CIDR blocks (at most 32), e.g. "
	    "\"10.0.0.5 10.0.1.0/28\"");
	return false;
}

/*
 * the webhook is a URL the sender can use (the sender's own reading,
 * url_parse_http), and its signing key "whsec_" and 24 to 64 bytes in
 * base64 (Standard Webhooks); the unused-client action a known word
 */
static bool
check_governance(const struct conf *c, char *err, size_t errsz)
{
	struct url_target	t;
	uint8_t			key[GH_WEBHOOK_KEY_MAX];
	long			n = -1;

	if (c->webhook_url[0] && !url_parse_http(c->webhook_url, &t)) {
		snprintf(err, errsz, "webhook_url: an http:// or https:// URL "
		    "with a host, no user, no fragment, no space");
		return false;
	}
	if (c->webhook_secret[0] &&
	    strncmp(c->webhook_secret, "whsec_", 6) == 0)
		n = b64std_decode(c->webhook_secret + 6,
		    strlen(c->webhook_secret + 6), key, sizeof(key));
	crypto_wipe(key, sizeof(key));
	if (c->webhook_secret[0] &&
	    (n < GH_WEBHOOK_KEY_MIN || !c->webhook_url[0])) {
		snprintf(err, errsz, "webhook_secret: \"whsec_\" and %d to %d "
		    "bytes in base64, with a webhook_url", GH_WEBHOOK_KEY_MIN,
		    GH_WEBHOOK_KEY_MAX);
		return false;
	}
	if (strcmp(c->client_unused_action, "flag") != 0 &&
	    strcmp(c->client_unused_action, "disable") != 0) {
		snprintf(err, errsz, "client_unused_action: flag or disable");
		return false;
	}
	return true;
}

/*
 * The family lifetime is 0 (none) or at least an hour: a shorter one
 * would send users back to sign in and consent several times a day,
 * which is more likely minutes written for seconds than a policy.
 */
#define FAMILY_LIFETIME_MIN	3600
static bool
check_family_lifetime(const struct conf *c, char *err, size_t errsz)
{
	if (c->refresh_family_lifetime_seconds == 0 ||
	    c->refresh_family_lifetime_seconds >= FAMILY_LIFETIME_MIN)
		return true;
	snprintf(err, errsz, "refresh_family_lifetime_seconds: must be 0 (no "
	    "absolute lifetime) or between %d and 315360000",
	    FAMILY_LIFETIME_MIN);
	return false;
}

/*
 * Audit retention keeps at least what other features read back from the
 * trail, or they would quietly read less than they are set to: the client
 * activity chart (the last GH_MAX_ACTIVITY_HOURS), the token rate rule's
 * baseline (seeded from rule_rate_baseline_windows + 1 windows of it),
 * and the unused-client policy (a client's last token issuance or
 * refresh: with less, a client used within client_unused_days but
 * before the retention horizon would look unused).
 */
#define DAY	86400
static bool
check_retention(struct conf *c, bool given, char *err, size_t errsz)
{
	int64_t		 need = (GH_MAX_ACTIVITY_HOURS * 3600 + DAY - 1) / DAY;
	int64_t		 rate = c->rule_rate_window_seconds *
			    (c->rule_rate_baseline_windows + 1);
	const char	*why = "the client activity chart";

	rate = (rate + DAY - 1) / DAY;		/* whole days, up */
	if (c->rule_rate_factor > 0 && rate > need) {
		need = rate;
		why = "the token rate rule's baseline (rule_rate_window_seconds"
		    " x (rule_rate_baseline_windows + 1))";
	}
	if (c->client_unused_days > need) {
		need = c->client_unused_days;
		why = "client_unused_days";
	}
	if (c->audit_retention_days == 0 || c->audit_retention_days >= need)
		return true;
	/* not set: the default grows to what the config reads back */
	if (!given) {
		c->audit_retention_days = need;
		return true;
	}
	snprintf(err, errsz, "audit_retention_days: must be 0 (keep every "
	    "event) or at least %lld: %s reads that far back in the audit "
	    "trail", (long long)need, why);
	return false;
}

/*
 * A config that holds a secret (webhook_secret, which lives nowhere else,
 * or a database password) must be as private as the key file: refused
 * when its group or others may read or write it (keyfile.c refuses the
 * key file alike). A database URL holds a password when
 * store_url_redact() hides something in it, so the two never disagree on
 * what a password is (a userinfo password, a password parameter however
 * its name is percent-encoded).
 */
static bool
check_private(const char *path, const struct conf *c, char *err,
    size_t errsz)
{
	char		 shown[sizeof(c->database)];
	const char	*what = NULL;
	struct stat	 st;

	store_url_redact(c->database, shown, sizeof(shown));
	if (strcmp(shown, c->database) != 0)
		what = "a database password";
	else if (c->webhook_secret[0] != '\0')
		what = "webhook_secret";
	if (what == NULL)
		return true;
	if (stat(path, &st) != 0) {
		snprintf(err, errsz, "%s: cannot be read", path);
		return false;
	}
	if ((st.st_mode & 066) == 0)
		return true;
	snprintf(err, errsz, "%s holds %s and must be readable and writable "
	    "by its owner only (chmod 600)", path, what);
	return false;
}

enum gh_err
conf_load(const char *path, struct conf *c, char *err, size_t errsz)
{
	json_t		*root = NULL, *v;
	json_error_t	 je;
	const char	*key;
	const struct conf_entry *e;
	size_t		 i;
	enum gh_err	 rc = GH_ERR_INVALID;

	conf_defaults(c);
	root = json_parse_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errsz, "%s:%d: %s", path, je.line, je.text);
		return GH_ERR_PARSE;
	}
	if (!json_is_object(root)) {
		snprintf(err, errsz, "%s: must be a JSON object", path);
		goto out;
	}
	json_object_foreach(root, key, v) {
		if ((e = entry(key)) == NULL) {
			snprintf(err, errsz, "unknown key \"%.64s\"", key);
			goto out;
		}
		if (!set_value(c, e, v, err, errsz))
			goto out;
	}
	for (i = 0; i < NENTRIES; i++) {
		e = &conf_table[i];
		if (e->type == CONF_STRING && e->def_str == NULL &&
		    json_object_get(root, e->name) == NULL) {
			snprintf(err, errsz, "%s: required", e->name);
			goto out;
		}
	}
	if (!check_issuer(c, err, errsz) || !split_listen(c, err, errsz) ||
	    !check_proxies(c, err, errsz) || !check_governance(c, err, errsz) ||
	    !check_family_lifetime(c, err, errsz) ||
	    !check_retention(c, json_object_get(root, "audit_retention_days")
	    != NULL, err, errsz) || !strip_sqlite(c, err, errsz))
		goto out;
	if (!resolve_path(c->database, sizeof(c->database), path) ||
	    !resolve_path(c->key_file, sizeof(c->key_file), path)) {
		snprintf(err, errsz, "database/key_file: path too long");
		goto out;
	}
	if (!check_private(path, c, err, errsz))
		goto out;
	rc = GH_OK;
out:
	json_decref(root);
	return rc;
}
