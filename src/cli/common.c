/* common.c - opening the app for admin commands (see cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../governance/audit.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/keyfile.h"
#include "../util/str.h"

/* The config and the key file into app; says why not and returns false. */
static bool
load_conf_key(const char *config_path, struct app *app)
{
	char		 err[256];
	const char	*why;

	memset(app, 0, sizeof(*app));
	if (conf_load(config_path, &app->conf, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "gatehouse: config: %s\n", err);
		return false;
	}
	if (keyfile_load(app->conf.key_file, app->key, sizeof(app->key),
	    &why) != GH_OK) {
		fprintf(stderr, "gatehouse: key file %s %s\n",
		    app->conf.key_file, why);
		crypto_wipe(app->key, sizeof(app->key));
		return false;
	}
	return true;
}

/*
 * The key file must be the one the database was set up with. Another
 * one (a new key made after the right one was lost, a node given
 * another node's key) opens none of the stored signing keys, hashes no
 * client secret or token as they were stored, and would chain every
 * audit event under the wrong key, so that `audit verify` calls the
 * trail broken from there on: refused before anything is written. A
 * database without keys yet has nothing to tell.
 */
static bool
key_matches(struct app *app)
{
	char		shown[GH_MAX_PATH];
	size_t		stored;
	enum gh_err	rc;

	rc = keyring_check(app->store, app->key, sizeof(app->key), &stored);
	if (rc == GH_OK)
		return true;
	store_url_redact(app->conf.database, shown, sizeof(shown));
	if (rc == GH_ERR_INVALID)
		fprintf(stderr, "gatehouse: the key file does not match the "
		    "database: %s opens none of the signing keys of %s (%zu), "
		    "which were sealed under another key; nothing done "
		    "(restore the key file this database was set up with)\n",
		    app->conf.key_file, shown, stored);
	else
		fprintf(stderr, "gatehouse: database %s: cannot read the "
		    "signing keys: %s\n", shown, gh_err_str(rc));
	return false;
}

/*
 * The store of app (config and key loaded), checked against the key and
 * given the audit key; says why not and returns false, with the key
 * wiped and no store.
 */
static bool
open_store(struct app *app, bool serve)
{
	char		shown[GH_MAX_PATH];
	uint8_t		chain[GH_HASH_BYTES];
	enum gh_err	rc;

	rc = serve ? store_open(app->conf.database, &app->store) :
	    store_open_admin(app->conf.database, &app->store);
	if (rc != GH_OK) {
		store_url_redact(app->conf.database, shown, sizeof(shown));
		fprintf(stderr, "gatehouse: database %s: %s\n", shown,
		    gh_err_str(rc));
		app->store = NULL;
		crypto_wipe(app->key, sizeof(app->key));
		return false;
	}
	if (!key_matches(app))
		goto fail;
	if ((rc = audit_chain_key(app->key, sizeof(app->key), chain)) !=
	    GH_OK) {
		fprintf(stderr, "gatehouse: the audit key: %s\n",
		    gh_err_str(rc));
		goto fail;
	}
	store_set_audit_key(app->store, chain);
	crypto_wipe(chain, sizeof(chain));
	return true;
fail:
	store_close(app->store);
	app->store = NULL;
	crypto_wipe(app->key, sizeof(app->key));
	return false;
}

static bool
open_app(const char *config_path, bool serve, struct app *app)
{
	return load_conf_key(config_path, app) && open_store(app, serve);
}

bool
cli_open(const char *config_path, struct app *app)
{
	return open_app(config_path, false, app);
}

bool
cli_open_serve(const char *config_path, struct app *app)
{
	return open_app(config_path, true, app);
}

void
cli_close(struct app *app)
{
	keyring_close(app->keys);
	app->keys = NULL;
	store_close(app->store);
	app->store = NULL;
	crypto_wipe(app->key, sizeof(app->key));
}

int64_t
cli_publish_after(const struct conf *c)
{
	/* the longest life of anything a key signed */
	return c->id_token_ttl_seconds > c->access_token_ttl_seconds ?
	    c->id_token_ttl_seconds : c->access_token_ttl_seconds;
}

struct alg_seen {
	bool rs, es;
};

static bool
note_alg(void *ctx, const struct key_row *k)
{
	struct alg_seen *seen = ctx;

	if (strcmp(k->alg, "RS256") == 0)
		seen->rs = true;
	else if (strcmp(k->alg, "ES256") == 0)
		seen->es = true;
	return true;
}

enum gh_err
cli_keys_create(struct app *app, const struct audit_origin *o,
    const char *const *algs, size_t n, int64_t now, int64_t activate_at,
    bool first, char kids[][GH_ID_LEN])
{
	struct audit_draft	 d[GH_MAX_NEW_KEYS];
	struct change_audit	 ev[GH_MAX_NEW_KEYS];
	char			 detail[GH_MAX_NEW_KEYS][128];
	struct key_row		*k;
	enum gh_err		 rc;
	size_t			 i;

	if (n == 0 || n > GH_MAX_NEW_KEYS)
		return GH_ERR_INVALID;
	if ((k = calloc(n, sizeof(*k))) == NULL)
		return GH_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if ((rc = keyring_make(app->key, sizeof(app->key), algs[i], now,
		    activate_at, &k[i])) != GH_OK)
			goto out;
		memcpy(kids[i], k[i].kid, GH_ID_LEN);
		snprintf(detail[i], sizeof(detail[i]),
		    "{\"kid\":\"%s\",\"lead\":%lld}", k[i].kid,
		    (long long)(activate_at - now));
		audit_draft(&d[i], o, "key.created", NULL, detail[i]);
		ev[i] = (struct change_audit){ &d[i].r, NULL, NULL };
	}
	/* every key with its event in one transaction, or none */
	rc = first ? store_keys_insert_first(app->store, k, ev, n) :
	    store_keys_insert(app->store, k, ev, n);
	for (i = 0; rc == GH_OK && i < n; i++)
		audit_recorded(app, &d[i].r);
out:
	crypto_wipe(k, n * sizeof(*k));
	free(k);
	return rc;
}

/*
 * The first keys are made by the server, not by an operator: "system",
 * as the background passes. Those missing are made together, each with
 * its key.created event, in one transaction, or none (the server does
 * not start). Nodes starting at once on one empty database each find no
 * key and make some: the store keeps one node's (first), the others get
 * GH_ERR_EXISTS and read again, finding them. A third read covers a key
 * of one alg made by someone else meanwhile (`keys rotate --alg`).
 */
bool
cli_ensure_keys(struct app *app)
{
	static const struct audit_origin system_origin = { NULL, NULL,
	    "system" };
	struct alg_seen	 seen;
	const char	*algs[GH_MAX_NEW_KEYS];
	char		 kids[GH_MAX_NEW_KEYS][GH_ID_LEN];
	int64_t		 now = clock_now();
	enum gh_err	 rc;
	size_t		 n;
	int		 tries;

	for (tries = 0; tries < 3; tries++) {
		seen = (struct alg_seen){ false, false };
		if (store_key_each(app->store, note_alg, &seen) != GH_OK)
			return false;
		n = 0;
		if (!seen.rs)
			algs[n++] = "RS256";
		if (!seen.es)
			algs[n++] = "ES256";
		/*
		 * Keys another node made after open_store found none were
		 * never checked: sealed under this key too? (A read of the
		 * few keys, and only serve and init come here.)
		 */
		if (n == 0)
			return key_matches(app);
		/* nothing was ever published: the first keys sign at once */
		rc = cli_keys_create(app, &system_origin, algs, n, now, now,
		    true, kids);
		if (rc != GH_ERR_EXISTS)
			return rc == GH_OK;
	}
	return false;
}

bool
cli_print_json(json_t *o)
{
	char *text = json_text(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (text == NULL)
		return false;
	printf("%s\n", text);
	crypto_wipe(text, strlen(text));
	free(text);
	return true;
}

/*
 * The code point of a bidirectional formatting character (U+061C,
 * U+200E-200F, U+202A-202E, U+2066-2069) at u, a UTF-8 sequence of k
 * bytes; else 0. Shown as they are, they reorder the rest of the line on
 * the terminal, so that a quoted User-Agent could make an alert's line
 * read otherwise than it is.
 */
static unsigned
bidi_mark(const unsigned char *u, size_t k)
{
	unsigned cp;

	if (k == 2)
		cp = ((unsigned)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
	else if (k == 3)
		cp = ((unsigned)(u[0] & 0x0f) << 12) |
		    ((unsigned)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
	else
		return 0;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

/* text, with what could drive a terminal escaped (cli_line) */
static void
put_escaped(const char *text)
{
	const unsigned char	*u = (const unsigned char *)text;
	size_t			 k, i;
	unsigned		 cp;

	for (; *u; u += k) {
		k = str_utf8_seq(u);
		if (k == 0 || str_is_control(u, k)) {
			k = k ? k : 1;
			for (i = 0; i < k; i++)
				printf("\\x%02x", u[i]);
		} else if ((cp = bidi_mark(u, k)) != 0) {
			printf("\\u%04x", cp);
		} else if (*u == '\\') {
			fputs("\\\\", stdout);
		} else {
			fwrite(u, 1, k, stdout);
		}
	}
}

bool
cli_line(struct cli_list *l, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= GH_MAX_CLI_LINE ||
	    (text = malloc((size_t)n + 1)) == NULL) {
		if (l != NULL)
			l->failed = true;
		return false;
	}
	va_start(ap, fmt);
	(void)vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	put_escaped(text);
	putchar('\n');
	free(text);
	return true;
}

bool
cli_list_json(struct cli_list *l, json_t *o)
{
	if (cli_print_json(o))
		return true;
	l->failed = true;
	return false;
}

int
cli_list_done(const struct cli_list *l, enum gh_err rc)
{
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not read the list: %s\n",
		    gh_err_str(rc));
		return 1;
	}
	if (l->failed) {
		fprintf(stderr, "gatehouse: out of memory: the list above is "
		    "incomplete\n");
		return 1;
	}
	return 0;
}

bool
cli_read_secret_line(char *out, size_t outsz)
{
	size_t n;

	if (fgets(out, (int)outsz, stdin) == NULL)
		return false;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(stdin))
		return false;	/* longer than the buffer */
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return true;
}

/*
 * Validates the config and the key file, and that the key file is the
 * database's (as every command does: open_store). A SQLite file not
 * made yet has nothing to check against and is not created here.
 */
int
cmd_check_config(const char *config_path)
{
	struct app	app;
	char		shown[GH_MAX_PATH];
	bool		exists;

	if (!load_conf_key(config_path, &app))
		return 1;
	exists = store_is_url(app.conf.database) ||
	    access(app.conf.database, F_OK) == 0;
	if (exists && !open_store(&app, false))
		return 1;
	/* a PostgreSQL URL may carry a password: never shown */
	store_url_redact(app.conf.database, shown, sizeof(shown));
	printf("config ok: issuer %s, listen %s, database %s%s\n",
	    app.conf.issuer, app.conf.listen, shown,
	    exists ? "" : " (not created yet)");
	cli_close(&app);
	return 0;
}
