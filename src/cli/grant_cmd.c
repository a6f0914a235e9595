/*
 * grant_cmd.c - `gatehouse grant list|revoke`: who has given which app
 * access to what, and taking it back. A revocation is one statement
 * whatever the number of tokens: they die by ancestry.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "../admin/actions.h"
#include "cli.h"
#include "../governance/audit.h"
#include "../governance/gov_json.h"
#include "../util/clock.h"
#include "../util/str.h"

static const struct opt_spec list_opts[] = {
	{ "--client", true, false },
	{ "--user", true, false },
	{ "--json", false, false },
	{ NULL, false, false },
};

/* revoke prints a count, never JSON */
static const struct opt_spec revoke_opts[] = {
	{ "--client", true, false },
	{ "--user", true, false },
	{ "--reason", true, false },
	{ NULL, false, false },
};

/* Each subcommand and exactly the options it takes. */
static const struct subcommand grant_subs[] = {
	{ "list", list_opts },
	{ "revoke", revoke_opts },
	{ NULL, NULL },
};

static bool
print_grant(void *ctx, const struct grant_row *g)
{
	struct cli_list *l = ctx;

	if (!l->as_json)
		return cli_line(l, "%-26s %-20s %-16s %s", g->id, g->client_id,
		    g->username, g->scope);
	return cli_list_json(l, grant_json(g));
}

/* --user NAME to a user id; false (message printed) if unknown */
static bool
user_id_of(struct app *app, const char *name, char *out, size_t outsz)
{
	struct user_row u;

	if (store_user_by_name(app->store, name, &u) != GH_OK) {
		fprintf(stderr, "gatehouse: no user %s\n", name);
		return false;
	}
	str_copy(out, outsz, u.id);
	return true;
}

static int
grant_list(struct app *app, const struct args *a)
{
	const char	*user = args_get(a, "--user");
	char		 uid[GH_ID_LEN];
	struct cli_list	 l = { args_flag(a, "--json"), false };

	if (user && !user_id_of(app, user, uid, sizeof(uid)))
		return 1;
	if (!l.as_json)
		(void)cli_line(&l, "%-26s %-20s %-16s %s", "GRANT_ID",
		    "CLIENT_ID", "USER", "SCOPE");
	return cli_list_done(&l, store_grant_each(app->store,
	    args_get(a, "--client"), user ? uid : NULL, print_grant, &l));
}

static int
grant_revoke(struct app *app, const struct args *a)
{
	struct audit_origin	 o = { NULL, NULL, "admin" };
	const char		*client = args_get(a, "--client");
	const char		*user = args_get(a, "--user");
	const char		*reason = args_get(a, "--reason");
	char			 uid[GH_ID_LEN];
	enum grant_scope	 what;
	const char		*id;
	unsigned		 n = 0;
	enum gh_err		 rc;

	if (a->npositional > 1 ||
	    (a->npositional == 1) + (client != NULL) + (user != NULL) != 1 ||
	    !action_reason_ok(reason)) {
		fprintf(stderr, "usage: gatehouse grant revoke GRANT_ID | "
		    "--client ID | --user NAME  --reason TEXT\n");
		return 2;
	}
	if (user && !user_id_of(app, user, uid, sizeof(uid)))
		return 1;
	what = a->npositional ? GRANT_ONE : client ? GRANTS_OF_CLIENT :
	    GRANTS_OF_USER;
	id = a->npositional ? a->positional[0] : client ? client : uid;
	rc = action_revoke(app, &o, what, id, reason, &n);
	if (rc == GH_ERR_NOT_FOUND) {
		fprintf(stderr, "gatehouse: no such client %s\n", id);
		return 1;
	}
	/*
	 * The revocation and its event are one transaction: after an
	 * unknown outcome both were made or neither, and a repeat says
	 * which (a count of 0, or "no such grant", once it was made).
	 */
	if (rc == GH_ERR_IO) {
		fprintf(stderr, "gatehouse: the database failed after the "
		    "revocation was sent, so it may have been made, and "
		    "then recorded in the audit trail: repeat it to be sure "
		    "(grant list shows the live grants)\n");
		return 1;
	}
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not revoke: nothing done\n");
		return 1;
	}
	/* as the admin API's 404: nothing was revoked, so no event either */
	if (what == GRANT_ONE && n == 0) {
		fprintf(stderr, "gatehouse: no such grant: %s (unknown, or "
		    "revoked already)\n", id);
		return 1;
	}
	printf("%u grant(s) revoked\n", n);
	return 0;
}

int
cmd_grant(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret;

	if ((s = args_subcommand(grant_subs, sub)) != NULL &&
	    !args_parse("grant", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (s == NULL || (strcmp(sub, "list") == 0 && a.npositional)) {
		fprintf(stderr, "usage: gatehouse grant list [--client ID] "
		    "[--user NAME] [--json] | revoke ...\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	ret = strcmp(sub, "list") == 0 ? grant_list(&app, &a) :
	    grant_revoke(&app, &a);
	cli_close(&app);
	return ret;
}
