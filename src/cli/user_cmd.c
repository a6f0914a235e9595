/*
 * user_cmd.c - `gatehouse user add|list|disable|enable|passwd|profile`.
 * Passwords come from standard input only (never argv, which other users
 * can see) and are stored as Argon2id hashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../governance/audit.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/password.h"
#include "../util/str.h"

#define MIN_PASSWORD 8

static const struct audit_origin admin = { NULL, NULL, "admin" };

static const struct opt_spec add_opts[] = {
	{ "--username", true, false },
	{ "--password-stdin", false, false },
	{ "--json", false, false },
	{ "--name", true, false },
	{ "--email", true, false },
	{ "--email-verified", false, false },
	{ NULL, false, false },
};

static const struct opt_spec list_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

/* passwd always reads standard input: the flag says so, as for add */
static const struct opt_spec passwd_opts[] = {
	{ "--password-stdin", false, false },
	{ NULL, false, false },
};

static const struct opt_spec profile_opts_spec[] = {
	{ "--name", true, false },
	{ "--email", true, false },
	{ "--email-verified", false, false },
	{ NULL, false, false },
};

/*
 * Each subcommand and exactly the options it takes; all but add and
 * list name their user as USERNAME.
 */
static const struct subcommand user_subs[] = {
	{ "add", add_opts },
	{ "list", list_opts },
	{ "disable", args_none },
	{ "enable", args_none },
	{ "passwd", passwd_opts },
	{ "profile", profile_opts_spec },
	{ NULL, NULL },
};

/* The OIDC profile options (--name, --email, --email-verified) into u. */
static bool
profile_opts(const struct args *a, struct user_row *u)
{
	const char *name = args_get(a, "--name");
	const char *email = args_get(a, "--email");

	if (name && !str_printable(name)) {
		fprintf(stderr, "gatehouse: --name must be printable UTF-8 "
		    "text, without control characters (a tab, a newline)\n");
		return false;
	}
	if (name && !str_copy(u->name, sizeof(u->name), name)) {
		fprintf(stderr, "gatehouse: --name is too long (at most %zu "
		    "bytes)\n", sizeof(u->name) - 1);
		return false;
	}
	if (email && (!str_copy(u->email, sizeof(u->email), email) ||
	    !str_printable(email) || strchr(email, '@') == NULL ||
	    strchr(email, ' ') != NULL)) {
		fprintf(stderr, "gatehouse: --email must be an address\n");
		return false;
	}
	if (args_flag(a, "--email-verified"))
		u->email_verified = true;
	else if (email)
		u->email_verified = false;
	return true;
}

static bool
username_ok(const char *u)
{
	size_t i, n = u ? strlen(u) : 0;

	if (n == 0 || n > GH_MAX_USERNAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = u[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._-@+", c)))
			return false;
	}
	return true;
}

/* Read and hash the password from stdin. */
static bool
read_password_hash(char *hash, size_t hashsz)
{
	char	pw[GH_MAX_PASSWORD_LEN + 2];
	bool	ok = false;

	if (!cli_read_secret_line(pw, sizeof(pw)) ||
	    strlen(pw) > GH_MAX_PASSWORD_LEN) {
		fprintf(stderr, "gatehouse: give the password on standard "
		    "input (at most %d bytes)\n", GH_MAX_PASSWORD_LEN);
	} else if (strlen(pw) < MIN_PASSWORD) {
		fprintf(stderr, "gatehouse: the password needs at least %d "
		    "characters\n", MIN_PASSWORD);
	} else {
		ok = password_hash(pw, hash, hashsz) == GH_OK;
	}
	crypto_wipe(pw, sizeof(pw));
	return ok;
}

/*
 * What `user profile` changed, for its user.changed event: the fields,
 * and the email and its verification as they now are (what a relying
 * party is told), so that the trail says who re-pointed an account's
 * email. Never the password or its hash.
 */
static void
profile_detail(const struct user_row *was, const struct user_row *now,
    char *out, size_t outsz)
{
	json_t *changed = json_array();

	if (strcmp(was->name, now->name) != 0)
		json_array_append_new(changed, json_string("name"));
	if (strcmp(was->email, now->email) != 0)
		json_array_append_new(changed, json_string("email"));
	if (was->email_verified != now->email_verified)
		json_array_append_new(changed, json_string("email_verified"));
	audit_detail(json_pack("{s:o, s:s?, s:b}", "changed", changed,
	    "email", now->email[0] ? now->email : NULL, "email_verified",
	    now->email_verified), out, outsz);
}

/*
 * Why a change of user `name` failed ("gatehouse: <what> <name>: nothing
 * done"). GH_ERR_IO: the database failed once the change was sent, so it
 * may have been made all the same, and the operator must look.
 */
static void
user_change_failed(const char *name, enum gh_err rc, const char *what)
{
	if (rc == GH_ERR_IO)
		fprintf(stderr, "gatehouse: user %s: the database failed after "
		    "the change was sent, so it may have been made: look "
		    "before repeating it (user list)\n", name);
	else if (rc == GH_ERR_EXISTS)
		fprintf(stderr, "gatehouse: user %s exists already: nothing "
		    "done\n", name);
	else
		fprintf(stderr, "gatehouse: %s %s: nothing done\n", what,
		    name);
}

/*
 * A new user is a new login: made only together with its user.created
 * event, in one transaction, so a login the trail does not show is not
 * made.
 */
static int
user_add(struct app *app, const struct args *a)
{
	struct user_row		 u;
	struct audit_subject	 subj = { NULL, u.id, NULL };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	const char		*name = args_get(a, "--username");
	uint8_t			 raw[16];
	enum gh_err		 rc;

	memset(&u, 0, sizeof(u));
	if (!username_ok(name) || !args_flag(a, "--password-stdin")) {
		fprintf(stderr, "usage: gatehouse user add --username NAME "
		    "--password-stdin (letters, digits, . _ - @ +)\n");
		return 2;
	}
	if (!profile_opts(a, &u))
		return 2;
	if (!read_password_hash(u.password_hash, sizeof(u.password_hash)))
		return 1;
	if (crypto_random(raw, sizeof(raw)) != GH_OK)
		return 1;
	memcpy(u.id, "usr_", 4);
	b64url_encode(raw, sizeof(raw), u.id + 4);
	str_copy(u.username, sizeof(u.username), name);
	u.status = USER_ACTIVE;
	u.created_at = clock_now();
	audit_draft(&d, &admin, "user.created", &subj, NULL);
	if ((rc = store_user_insert(app->store, &u, &ev)) != GH_OK) {
		user_change_failed(name, rc, "could not add");
		return 1;
	}
	audit_recorded(app, &d.r);
	if (args_flag(a, "--json"))
		printf("{\"id\":\"%s\",\"username\":\"%s\"}\n", u.id,
		    u.username);
	else
		printf("user %s created (sub %s)\n", u.username, u.id);
	return 0;
}

static bool
print_user(void *ctx, const struct user_row *u)
{
	struct cli_list	*l = ctx;
	const char	*status = u->status == USER_ACTIVE ? "active" :
			    "disabled";

	if (l->as_json)
		return cli_list_json(l, json_pack("{s:s, s:s, s:s}", "id",
		    u->id, "username", u->username, "status", status));
	return cli_line(l, "%-28s %-10s %s", u->id, status, u->username);
}

/* --json as every other list takes it: JSON lines, one user each */
static int
user_list(struct app *app, const struct args *a)
{
	struct cli_list l = { args_flag(a, "--json"), false };

	return cli_list_done(&l, store_user_each(app->store, print_user, &l));
}

/*
 * disable/enable, each with its user.changed event: an enable's is
 * written in the change's transaction (struct change_audit), a
 * disable's after it (below).
 */
static int
user_status(struct app *app, const char *name, const char *uid,
    bool enable)
{
	struct audit_subject	 subj = { NULL, uid, NULL };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	char			 detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err		 rc;

	snprintf(detail, sizeof(detail), "{\"status\":\"%s\"}",
	    enable ? "active" : "disabled");
	/*
	 * An enable restores access: made only together with its event, in
	 * one transaction. A disable removes it: it takes effect even if its
	 * event cannot be stored, appended after it (exit 1, the lost event
	 * named), so a broken trail never keeps a user signed in.
	 */
	if (enable)
		audit_draft(&d, &admin, "user.changed", &subj, detail);
	rc = store_user_set_status(app->store, uid, enable ? USER_ACTIVE :
	    USER_DISABLED, clock_now(), enable ? &ev : NULL);
	if (rc != GH_OK) {
		user_change_failed(name, rc, "could not update");
		return 1;
	}
	if (enable)
		audit_recorded(app, &d.r);
	else
		audit_event(app, &admin, "user.changed", &subj, detail);
	printf("user %s: %s done\n", name, enable ? "enable" : "disable");
	return 0;
}

/*
 * passwd and profile, each made only together with its event
 * (user.password_changed, user.changed), in one transaction: a password
 * an admin sets lets whoever knows it sign in as the user, and the name
 * and email become the claims relying parties may key accounts on. If
 * the trail cannot show the change, it is not made (exit 1, "nothing
 * done"; the user's sessions live on, the old password still works).
 */
static int
user_change(struct app *app, const struct args *a, const char *sub,
    const char *name)
{
	struct user_row		 u, was;
	struct audit_subject	 subj = { NULL, u.id, NULL };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	char			 hash[256], detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err		 rc;

	if (store_user_by_name(app->store, name, &u) != GH_OK) {
		fprintf(stderr, "gatehouse: no user %s\n", name);
		return 1;
	}
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0)
		return user_status(app, name, u.id,
		    strcmp(sub, "enable") == 0);
	was = u;
	if (strcmp(sub, "profile") == 0) {
		if (!profile_opts(a, &u))
			return 2;
		profile_detail(&was, &u, detail, sizeof(detail));
		audit_draft(&d, &admin, "user.changed", &subj, detail);
		rc = store_user_set_profile(app->store, u.id, u.name, u.email,
		    u.email_verified, clock_now(), &ev);
	} else {
		if (!read_password_hash(hash, sizeof(hash)))
			return 1;
		audit_draft(&d, &admin, "user.password_changed", &subj, NULL);
		rc = store_user_set_password(app->store, u.id, hash,
		    clock_now(), &ev);
	}
	if (rc != GH_OK) {
		user_change_failed(name, rc, "could not update");
		return 1;
	}
	audit_recorded(app, &d.r);
	printf("user %s: %s done\n", name, sub);
	return 0;
}

int
cmd_user(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	bool		 named;
	int		 ret = 2;

	if ((s = args_subcommand(user_subs, sub)) != NULL &&
	    !args_parse("user", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	named = s != NULL && strcmp(sub, "add") != 0 &&
	    strcmp(sub, "list") != 0;
	if (s == NULL || a.npositional != (named ? 1u : 0u)) {
		fprintf(stderr, "usage: gatehouse user add|list|disable|"
		    "enable|passwd|profile [USERNAME]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	if (strcmp(sub, "add") == 0)
		ret = user_add(&app, &a);
	else if (strcmp(sub, "list") == 0)
		ret = user_list(&app, &a);
	else
		ret = user_change(&app, &a, sub, a.positional[0]);
	cli_close(&app);
	return ret;
}
