/*
 * client_cmd.c - `gatehouse client add|list|show|disable|enable|
 * rotate-secret`. A client secret is shown once, here, and stored only as
 * its keyed hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "../admin/actions.h"
#include "cli.h"
#include "../governance/audit.h"
#include "../jose/jwt_verify.h"
#include "../oauth/redirect.h"
#include "../oauth/scope.h"
#include "../oauth/secret.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/str.h"

static const struct audit_origin admin = { NULL, NULL, "admin" };

static const struct opt_spec add_opts[] = {
	{ "--name", true, false },
	{ "--owner", true, false },
	{ "--redirect-uri", true, true },
	{ "--scope", true, false },
	{ "--public", false, false },
	{ "--auth-method", true, false },
	{ "--id-token-alg", true, false },
	{ "--jwks", true, false },
	{ "--access-token-format", true, false },
	{ "--require-nonce", false, false },
	{ "--allow-network", true, true },
	{ "--json", false, false },
	{ NULL, false, false },
};

static const struct opt_spec json_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

static const struct opt_spec reason_opts[] = {
	{ "--reason", true, false },
	{ NULL, false, false },
};

/*
 * Each subcommand and exactly the options it takes. show prints JSON
 * whatever is asked, so its --json is honoured by construction. A
 * disable or an enable takes an optional --reason, recorded in its
 * client.changed event as the hygiene pass records "unused": the trail
 * should say why an integration was cut off (or let back in).
 */
static const struct subcommand client_subs[] = {
	{ "add", add_opts },
	{ "list", json_opts },
	{ "show", json_opts },
	{ "disable", reason_opts },
	{ "enable", reason_opts },
	{ "rotate-secret", json_opts },
	{ "quarantine", reason_opts },
	{ NULL, NULL },
};

static void
audit_admin(struct app *app, const char *type, const char *client_id,
    const char *detail)
{
	struct audit_subject s = { client_id, NULL, NULL };

	audit_event(app, &admin, type, &s, detail);
}

static bool
text_ok(const char *what, const char *v, size_t max)
{
	if (v == NULL || v[0] == '\0' || strlen(v) >= max ||
	    !str_printable(v)) {
		fprintf(stderr, "gatehouse: %s is required (1-%zu printable "
		    "characters)\n", what, max - 1);
		return false;
	}
	return true;
}

/* --jwks FILE or inline JSON: required for, and only for, private_key_jwt */
static bool
client_keys(const struct args *a, struct client_row *c)
{
	const char	*v = args_get(a, "--jwks");
	char		 err[160];
	json_t		*doc;
	json_error_t	 je;
	char		*text;

	if ((v != NULL) != (c->auth_method == AUTH_PRIVATE_KEY_JWT)) {
		fprintf(stderr, "gatehouse: --jwks goes with --auth-method "
		    "private_key_jwt, and that method needs it\n");
		return false;
	}
	if (v == NULL)
		return true;
	doc = v[0] == '{' ? json_parse(v, JSON_REJECT_DUPLICATES, &je) :
	    json_parse_file(v, JSON_REJECT_DUPLICATES, &je);
	text = json_text(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL) {
		fprintf(stderr, "gatehouse: --jwks: %s\n", je.text);
		return false;
	}
	if (!jwks_acceptable(text, err, sizeof(err)) ||
	    !str_copy(c->jwks, sizeof(c->jwks), text)) {
		fprintf(stderr, "gatehouse: --jwks: %s\n", err);
		free(text);
		return false;
	}
	free(text);
	return true;
}

/* --allow-network CIDR, repeatable: the networks the client may call from */
static bool
client_networks(const struct args *a, struct client_row *c)
{
	const char	*nets[33];
	size_t		 i, n = args_all(a, "--allow-network", nets, 33), len = 0;

	c->networks[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t l = strlen(nets[i]);

		if (!cidr_list_valid(nets[i]) || strchr(nets[i], ' ') ||
		    len + l + 2 > sizeof(c->networks) || i >= 32) {
			fprintf(stderr, "gatehouse: --allow-network takes one "
			    "IPv4 or IPv6 address or CIDR block (at most 32)\n");
			return false;
		}
		if (len)
			c->networks[len++] = ' ';
		memcpy(c->networks + len, nets[i], l + 1);
		len += l;
	}
	return true;
}

/* Check the options of `client add` and fill the row. */
static bool
build_client(const struct args *a, struct client_row *c)
{
	const char	*uris[GH_MAX_REDIRECTS + 1];
	const char	*scope = args_get(a, "--scope");
	const char	*method = args_get(a, "--auth-method");
	const char	*fmt;
	size_t		 i, n;

	if (!text_ok("--name", args_get(a, "--name"), sizeof(c->name)) ||
	    !text_ok("--owner", args_get(a, "--owner"), sizeof(c->owner)))
		return false;
	str_copy(c->name, sizeof(c->name), args_get(a, "--name"));
	str_copy(c->owner, sizeof(c->owner), args_get(a, "--owner"));
	n = args_all(a, "--redirect-uri", uris, GH_MAX_REDIRECTS + 1);
	if (n == 0 || n > GH_MAX_REDIRECTS) {
		fprintf(stderr, "gatehouse: give 1 to %d --redirect-uri\n",
		    GH_MAX_REDIRECTS);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!redirect_uri_acceptable(uris[i])) {
			fprintf(stderr, "gatehouse: redirect URI \"%s\" is not "
			    "acceptable: use https, http on a loopback host, "
			    "or a private-use scheme; no fragment\n", uris[i]);
			return false;
		}
		str_copy(c->redirect_uris[i], GH_MAX_REDIRECT_LEN, uris[i]);
	}
	c->nredirect = n;
	if (scope == NULL)
		scope = "openid profile email";
	if (!scope_valid(scope) ||
	    !scope_union("", scope, c->scopes, sizeof(c->scopes))) {
		fprintf(stderr, "gatehouse: --scope must be space-separated "
		    "scope names\n");
		return false;
	}
	if (!str_copy(c->id_token_alg, sizeof(c->id_token_alg),
	    args_get(a, "--id-token-alg") ? args_get(a, "--id-token-alg") :
	    "RS256") || !jose_alg_supported(c->id_token_alg)) {
		fprintf(stderr, "gatehouse: --id-token-alg must be RS256 or "
		    "ES256\n");
		return false;
	}
	c->is_public = args_flag(a, "--public");
	if (method == NULL) {
		c->auth_method = c->is_public ? AUTH_NONE : AUTH_SECRET_BASIC;
	} else if (!client_auth_parse(method, &c->auth_method)) {
		fprintf(stderr, "gatehouse: --auth-method must be "
		    "client_secret_basic, client_secret_post, private_key_jwt "
		    "or none\n");
		return false;
	}
	if (c->auth_method == AUTH_NONE)
		c->is_public = true;
	if (!client_keys(a, c))
		return false;
	fmt = args_get(a, "--access-token-format");
	if (fmt && strcmp(fmt, "jwt") != 0 && strcmp(fmt, "opaque") != 0) {
		fprintf(stderr, "gatehouse: --access-token-format is opaque "
		    "(default: revocable at once everywhere) or jwt "
		    "(RFC 9068)\n");
		return false;
	}
	c->jwt_access_tokens = fmt && strcmp(fmt, "jwt") == 0;
	c->require_nonce = args_flag(a, "--require-nonce");
	if (!client_networks(a, c))
		return false;
	if (c->is_public && c->auth_method != AUTH_NONE) {
		fprintf(stderr, "gatehouse: a --public client uses "
		    "--auth-method none\n");
		return false;
	}
	return true;
}

/*
 * Why a change of client `id` failed. GH_ERR_IO from the store is an
 * outcome unknown (PostgreSQL's connection broke after the change was
 * sent, or SQLite's flush of it failed): it may have been made, and the
 * operator must look before deciding it was not.
 */
static void
client_change_failed(const char *id, enum gh_err rc, const char *what)
{
	if (rc == GH_ERR_NOT_FOUND)
		fprintf(stderr, "gatehouse: no such client\n");
	else if (rc == GH_ERR_IO)
		fprintf(stderr, "gatehouse: client %s: the database failed "
		    "after the change was sent, so it may have been made: "
		    "look before repeating it (client show %s)\n", id, id);
	else
		fprintf(stderr, "gatehouse: %s\n", what);
}

/*
 * A new client is an integration that can be granted access: it is made
 * only together with its client.created event, in one transaction. If
 * the event cannot be stored there is no client, and no secret is shown.
 */
static int
client_add(struct app *app, const struct args *a)
{
	struct client_row	*c;
	struct audit_subject	 subj = { NULL, NULL, NULL };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	char			 secret[GH_MAX_TOKEN_LEN] = "";
	uint8_t			 raw[12];
	json_t			*o;
	enum gh_err		 rc;
	int			 ret = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	if (!build_client(a, c))
		goto out;
	if (crypto_random(raw, sizeof(raw)) != GH_OK)
		goto out;
	memcpy(c->id, "cl_", 3);
	b64url_encode(raw, sizeof(raw), c->id + 3);
	c->status = CLIENT_ACTIVE;
	c->created_at = clock_now();
	if (!c->is_public && c->auth_method != AUTH_PRIVATE_KEY_JWT) {
		if (secret_mint(app, PREFIX_CLIENT_SECRET, secret,
		    c->secret_hash) != GH_OK)
			goto out;
		c->has_secret = true;
		c->secret_rotated_at = c->created_at;
	}
	subj.client_id = c->id;
	audit_draft(&d, &admin, "client.created", &subj, NULL);
	if ((rc = store_client_insert(app->store, c, &ev)) != GH_OK) {
		client_change_failed(c->id, rc, "could not store the client: "
		    "nothing done");
		/* a client that may exist with a secret nobody was shown */
		if (rc == GH_ERR_IO && c->has_secret)
			fprintf(stderr, "gatehouse: its secret is not shown: if "
			    "the client exists, rotate its secret (client "
			    "rotate-secret %s) or disable it\n", c->id);
		goto out;
	}
	audit_recorded(app, &d.r);
	if (args_flag(a, "--json")) {
		o = !c->has_secret ? json_pack("{s:s}", "client_id", c->id) :
		    json_pack("{s:s, s:s}", "client_id", c->id,
		    "client_secret", secret);
		if (!cli_print_json(o))
			goto out;
	} else {
		printf("client_id:     %s\n", c->id);
		if (c->has_secret)
			printf("client_secret: %s\n(shown once: it is stored "
			    "only as a hash)\n", secret);
	}
	ret = 0;
out:
	crypto_wipe(secret, sizeof(secret));
	free(c);
	return ret;
}

/* The client as JSON: whole, or NULL when out of memory. */
static json_t *
client_json(const struct client_row *c)
{
	json_t	*uris = json_array(), *o;
	size_t	 i;

	for (i = 0; uris && i < c->nredirect; i++)
		if (json_array_append_new(uris,
		    json_string(c->redirect_uris[i])) != 0) {
			json_decref(uris);
			uris = NULL;		/* the pack below fails */
		}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, "
	    "s:I}",
	    "client_id", c->id, "name", c->name, "owner", c->owner,
	    "type", c->is_public ? "public" : "confidential",
	    "auth_method", client_auth_name(c->auth_method),
	    "redirect_uris", uris, "scope", c->scopes,
	    "id_token_signed_response_alg", c->id_token_alg,
	    "status", client_status_name(c->status),
	    "created_at", (json_int_t)c->created_at,
	    "secret_rotated_at", (json_int_t)c->secret_rotated_at);
	o = json_with(o, "access_token_format",
	    json_string(c->jwt_access_tokens ? "jwt" : "opaque"));
	o = json_with(o, "require_nonce", json_boolean(c->require_nonce));
	if (c->networks[0])
		o = json_with(o, "allowed_networks", json_string(c->networks));
	if (c->jwks[0])
		o = json_with(o, "jwks", json_parse(c->jwks, 0, NULL));
	return o;
}

static bool
print_client(void *ctx, const struct client_row *c)
{
	struct cli_list *l = ctx;

	if (!l->as_json)
		return cli_line(l, "%-20s %-12s %-12s %-20s %s", c->id,
		    client_status_name(c->status),
		    c->is_public ? "public" : "confidential", c->owner,
		    c->name);
	return cli_list_json(l, client_json(c));
}

static int
client_list(struct app *app, const struct args *a)
{
	struct cli_list l = { args_flag(a, "--json"), false };

	if (!l.as_json)
		(void)cli_line(&l, "%-20s %-12s %-12s %-20s %s", "CLIENT_ID",
		    "STATUS", "TYPE", "OWNER", "NAME");
	return cli_list_done(&l, store_client_each(app->store, print_client,
	    &l));
}

/* The client's row (caller frees), or NULL after saying why. */
static struct client_row *
client_load(struct app *app, const char *id)
{
	struct client_row *c = malloc(sizeof(*c));

	if (c != NULL && store_client_get(app->store, id, c) != GH_OK) {
		fprintf(stderr, "gatehouse: no client %s\n", id);
		free(c);
		c = NULL;
	}
	return c;
}

static int
client_show(struct app *app, const char *id)
{
	struct client_row	*c = client_load(app, id);
	json_t			*o;
	char			*text = NULL;
	int			 ret = 1;

	if (c == NULL)
		return 1;
	o = client_json(c);
	text = json_text(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text) {
		printf("%s\n", text);
		ret = 0;
	} else {
		fprintf(stderr, "gatehouse: out of memory\n");
	}
	free(text);
	free(c);
	return ret;
}

/*
 * A quarantined client keeps that status until it is enabled: disabling
 * it would lose the marker. It is enabled only if the quarantine replaced
 * its credential: a client_secret, never a private_key_jwt client's keys.
 * 0: go ahead; -1: nothing to do (success); 1: refused.
 */
static int
client_status_allowed(const struct client_row *c, enum client_status st)
{
	if (c->status == CLIENT_QUARANTINED && st == CLIENT_DISABLED) {
		printf("client %s is quarantined (and so disabled already)\n",
		    c->id);
		return -1;
	}
	if (c->status == CLIENT_QUARANTINED &&
	    c->auth_method == AUTH_PRIVATE_KEY_JWT) {
		fprintf(stderr, "gatehouse: client %s was quarantined and "
		    "authenticates with its registered keys, which a "
		    "quarantine cannot replace: register the integration "
		    "again with new keys (client add --auth-method "
		    "private_key_jwt --jwks ...)\n", c->id);
		return 1;
	}
	return 0;
}

/*
 * Whether client `id`, whose change to `st` the store refused
 * (GH_ERR_CONFLICT: its status was not the one the change was made
 * from), is in `st` already: then there was nothing to do. Otherwise it
 * changed while the command ran, and the operator must look again.
 */
static int
client_status_unchanged(struct app *app, const char *id,
    enum client_status st)
{
	struct client_row	*now = client_load(app, id);
	int			 ret = 0;

	if (now == NULL)
		return 1;
	if (now->status == st)
		printf("client %s is already %s\n", id, client_status_name(st));
	else if (now->status == CLIENT_QUARANTINED && st == CLIENT_DISABLED)
		printf("client %s is quarantined (and so disabled already)\n",
		    id);
	else {
		fprintf(stderr, "gatehouse: client %s changed while this "
		    "command ran (it is now %s): nothing done, look again "
		    "(client show)\n", id, client_status_name(now->status));
		ret = 1;
	}
	free(now);
	return ret;
}

/* A status change of one client (client_status), for action_remove. */
struct status_change {
	struct store		*store;
	const char		*id;
	enum client_status	 from, to;
};

static enum gh_err
change_status(void *ctx, const struct change_audit *ev, unsigned *changed)
{
	const struct status_change	*sc = ctx;
	enum gh_err			 rc;

	rc = store_client_set_status(sc->store, sc->id, sc->from, sc->to,
	    clock_now(), ev);
	*changed = rc == GH_OK;
	return rc;
}

/*
 * The decision above is made on the status read; the change is made only
 * from that status (one conditional UPDATE), so a quarantine made in
 * between is neither turned into "disabled" nor lifted unchecked.
 * An enable of a client read as active is done at the read ("already"):
 * it must never lift a disable it did not see, made meanwhile by the
 * hygiene pass or another operator. A disable of a client read as
 * disabled still writes from active: if an enable came meanwhile, the
 * disable wins (it fails closed); if not, the store refuses, writing
 * nothing, and the answer is "already", with no event.
 */
static int
client_status(struct app *app, const char *id, enum client_status st,
    const char *reason)
{
	struct client_row	*c;
	struct status_change	 sc = { app->store, id, CLIENT_ACTIVE, st };
	struct removal		 rm = { .o = &admin, .type = "client.changed",
	    .subj = { id, NULL, NULL }, .change = change_status, .ctx = &sc };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	enum gh_err		 rc;
	int			 ret = 1;

	if (reason != NULL && !action_reason_ok(reason)) {
		fprintf(stderr, "gatehouse: --reason is 1-%d printable "
		    "characters\n", GH_MAX_REASON_LEN);
		return 2;
	}
	if ((c = client_load(app, id)) == NULL)
		return 1;
	if ((ret = client_status_allowed(c, st)) != 0) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	if (c->status == st && st == CLIENT_ACTIVE) {
		printf("client %s is already active\n", id);
		ret = 0;
		goto out;
	}
	ret = 1;
	if (c->status != st)
		sc.from = c->status;
	/* no "reason" key without --reason: s* leaves it out when NULL */
	audit_detail(json_pack("{s:s, s:s*}", "status", client_status_name(st),
	    "reason", reason), rm.detail, sizeof(rm.detail));
	/*
	 * An enable restores access: it is made only together with its
	 * event, in one transaction. A disable removes access: made with
	 * its event too, but made even if the event cannot be stored
	 * (action_remove), so a broken trail never keeps an integration
	 * running.
	 */
	if (st == CLIENT_ACTIVE) {
		audit_draft(&d, &admin, rm.type, &rm.subj, rm.detail);
		if ((rc = change_status(&sc, &ev, &rm.changed)) == GH_OK)
			audit_recorded(app, &d.r);
	} else
		rc = action_remove(app, &rm);
	if (rc == GH_ERR_CONFLICT) {
		ret = client_status_unchanged(app, id, st);
		goto out;
	}
	if (rc == GH_ERR_IO && st == CLIENT_DISABLED) {
		fprintf(stderr, "gatehouse: client %s: the database failed "
		    "after the change was sent, so it may have been made, "
		    "and then recorded in the audit trail: repeat it to be "
		    "sure (it says \"already disabled\" if it was) or look "
		    "(client show %s)\n", id, id);
		goto out;
	}
	if (rc != GH_OK) {
		client_change_failed(id, rc, "could not change the client: "
		    "nothing done");
		goto out;
	}
	printf("client %s is now %s\n", id, client_status_name(st));
	ret = 0;
out:
	free(c);
	return ret;
}

/*
 * A rotation removes access (the old secret, perhaps leaked, dies): it
 * takes effect even if its client.secret_rotated event cannot be stored,
 * appended after it (the command then exits 1 naming the lost event),
 * and the new secret is shown, or the integration would be locked out.
 */
static int
client_rotate(struct app *app, const char *id, bool as_json)
{
	char		secret[GH_MAX_TOKEN_LEN];
	uint8_t		hash[GH_HASH_BYTES];
	enum gh_err	rc;
	int		ret = 1;

	if (secret_mint(app, PREFIX_CLIENT_SECRET, secret, hash) != GH_OK)
		return 1;
	rc = store_client_set_secret(app->store, id, hash, clock_now());
	if (rc == GH_ERR_NOT_FOUND) {
		fprintf(stderr, "gatehouse: no confidential client %s\n", id);
		goto out;
	}
	if (rc != GH_OK) {
		/* GH_ERR_IO: rotated or not, the new secret is lost */
		client_change_failed(id, rc, "could not rotate the secret: "
		    "nothing done");
		goto out;
	}
	audit_admin(app, "client.secret_rotated", id, NULL);
	if (as_json)
		printf("{\"client_id\":\"%s\",\"client_secret\":\"%s\"}\n", id,
		    secret);
	else
		printf("client_secret: %s\n(shown once; the old secret no "
		    "longer works)\n", secret);
	ret = 0;
out:
	crypto_wipe(secret, sizeof(secret));
	return ret;
}

/*
 * The kill switch for a compromised integration: one transaction disables
 * it, kills every token (by ancestry), revokes every grant and replaces
 * its secret with one nobody is shown.
 */
static int
client_quarantine(struct app *app, const char *id, const char *reason)
{
	unsigned	grants = 0;
	enum gh_err	rc;

	if (!action_reason_ok(reason)) {
		fprintf(stderr, "gatehouse: client quarantine ID --reason TEXT "
		    "(1-256 printable characters)\n");
		return 2;
	}
	rc = action_quarantine(app, &admin, id, reason, &grants);
	if (rc != GH_OK) {
		client_change_failed(id, rc, "could not quarantine the client");
		return 1;
	}
	printf("client %s quarantined: disabled, every token dead, %u "
	    "grant(s) revoked, %s\n", id, grants,
	    action_quarantine_credential(app, id));
	return 0;
}

int
cmd_client(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret = 2;

	if ((s = args_subcommand(client_subs, sub)) != NULL &&
	    !args_parse("client", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (s == NULL || a.npositional != (strcmp(sub, "add") == 0 ||
	    strcmp(sub, "list") == 0 ? 0u : 1u)) {
		fprintf(stderr, "usage: gatehouse client add|list|show|"
		    "disable|enable|rotate-secret|quarantine [CLIENT_ID]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	if (strcmp(sub, "add") == 0)
		ret = client_add(&app, &a);
	else if (strcmp(sub, "list") == 0)
		ret = client_list(&app, &a);
	else if (strcmp(sub, "show") == 0)
		ret = client_show(&app, a.positional[0]);
	else if (strcmp(sub, "disable") == 0)
		ret = client_status(&app, a.positional[0], CLIENT_DISABLED,
		    args_get(&a, "--reason"));
	else if (strcmp(sub, "enable") == 0)
		ret = client_status(&app, a.positional[0], CLIENT_ACTIVE,
		    args_get(&a, "--reason"));
	else if (strcmp(sub, "quarantine") == 0)
		ret = client_quarantine(&app, a.positional[0],
		    args_get(&a, "--reason"));
	else
		ret = client_rotate(&app, a.positional[0],
		    args_flag(&a, "--json"));
	cli_close(&app);
	return ret;
}
