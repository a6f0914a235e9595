/*
 * admin_cmd.c - `gatehouse admin add|list|disable`: the administrators of
 * the admin API and web console. A credential is printed once, here, and
 * stored only as its keyed hash (admin/admin_auth.h); disabling an admin
 * ends their credential and their console sessions at once. Audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../admin/actions.h"
#include "../admin/admin_auth.h"
#include "../governance/audit.h"
#include "../oauth/secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"

static const struct opt_spec add_opts[] = {
	{ "--name", true, false },
	{ "--json", false, false },
	{ NULL, false, false },
};

static const struct opt_spec list_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

/* Each subcommand and exactly the options it takes. */
static const struct subcommand admin_subs[] = {
	{ "add", add_opts },
	{ "list", list_opts },
	{ "disable", args_none },
	{ NULL, NULL },
};

static const struct audit_origin operator = { NULL, NULL, "admin" };

/* The detail of an admin's events: {"admin": name}. */
static void
admin_detail(const char *name, char out[GH_MAX_AUDIT_DETAIL])
{
	audit_detail(json_pack("{s:s}", "admin", name), out,
	    GH_MAX_AUDIT_DETAIL);
}

/* Why `admin add` made no admin, or may have made one (GH_ERR_IO). */
static void
admin_add_failed(const char *name, enum gh_err rc)
{
	if (rc == GH_ERR_EXISTS)
		fprintf(stderr, "gatehouse: an admin with that name exists\n");
	else if (rc == GH_ERR_IO)
		fprintf(stderr, "gatehouse: admin %s: the database failed "
		    "after the change was sent, so it may have been made "
		    "(its credential is not shown): look before repeating it "
		    "(admin list), and disable it if it is there\n", name);
	else
		fprintf(stderr, "gatehouse: could not add the admin: nothing "
		    "done\n");
}

/*
 * A new admin holds an API credential: it grants access, so it is made
 * only together with its admin.created event, in one transaction. If the
 * event cannot be stored there is no admin, and no credential is shown.
 */
static int
admin_add(struct app *app, const struct args *a)
{
	struct admin_row	 r;
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	const char		*name = args_get(a, "--name");
	char			 cred[GH_MAX_TOKEN_LEN];
	char			 detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err		 rc;
	int			 ret = 1;

	if (!admin_name_ok(name) || a->npositional) {
		fprintf(stderr, "usage: gatehouse admin add --name NAME [--json]"
		    " (NAME: 1-64 of A-Z a-z 0-9 . _ -)\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.created_at = clock_now();
	if (secret_mint(app, PREFIX_ADMIN, cred, r.secret_hash) != GH_OK)
		goto out;
	admin_detail(name, detail);
	audit_draft(&d, &operator, "admin.created", NULL, detail);
	if ((rc = store_admin_insert(app->store, &r, &ev)) != GH_OK) {
		admin_add_failed(name, rc);
		goto out;
	}
	audit_recorded(app, &d.r);
	if (args_flag(a, "--json")) {
		if (!cli_print_json(json_pack("{s:s, s:s}", "name", name,
		    "credential", cred)))
			goto out;
	} else {
		printf("admin %s added. Its credential, shown only now:\n%s\n",
		    name, cred);
	}
	ret = 0;
out:
	crypto_wipe(cred, sizeof(cred));
	crypto_wipe(&r, sizeof(r));
	return ret;
}

static bool
print_admin(void *ctx, const struct admin_row *r)
{
	struct cli_list *l = ctx;

	if (l->as_json)
		return cli_list_json(l, json_pack("{s:s, s:I, s:s, s:o}",
		    "name", r->name, "created_at", (json_int_t)r->created_at,
		    "status", r->disabled_at ? "disabled" : "active",
		    "last_used_at", r->last_used_at ?
		    json_integer(r->last_used_at) : json_null()));
	return cli_line(l, "%-32s %-9s %lld", r->name, r->disabled_at ?
	    "disabled" : "active", (long long)r->last_used_at);
}

static int
admin_list(struct app *app, const struct args *a)
{
	struct cli_list l = { args_flag(a, "--json"), false };

	if (a->npositional) {
		fprintf(stderr, "usage: gatehouse admin list [--json]\n");
		return 2;
	}
	if (!l.as_json)
		(void)cli_line(&l, "%-32s %-9s %s", "NAME", "STATUS",
		    "LAST_USED");
	return cli_list_done(&l, store_admin_each(app->store, print_admin,
	    &l));
}

/* An admin to disable (admin_disable), for action_remove. */
struct admin_off {
	struct store	*store;
	const char	*name;
};

static enum gh_err
disable_admin(void *ctx, const struct change_audit *ev, unsigned *changed)
{
	const struct admin_off	*a = ctx;
	enum gh_err		 rc;

	rc = store_admin_disable_with_event(a->store, a->name, clock_now(),
	    ev);
	*changed = rc == GH_OK;
	return rc;
}

/* Whether admin `name` exists, to tell "already disabled" from none. */
struct admin_find {
	const char	*name;
	bool		 found;
};

static bool
find_admin(void *ctx, const struct admin_row *r)
{
	struct admin_find *f = ctx;

	f->found = strcmp(r->name, f->name) == 0;
	return !f->found;
}

/*
 * Disabling removes access: made with its admin.disabled event in one
 * transaction, but made even when the event cannot be stored
 * (action_remove), so a broken trail never keeps a credential working.
 */
static int
admin_disable(struct app *app, const struct args *a)
{
	struct admin_off	 off = { app->store, NULL };
	struct removal		 rm = { .o = &operator,
	    .type = "admin.disabled", .change = disable_admin, .ctx = &off };
	struct admin_find	 f = { NULL, false };
	enum gh_err		 rc;

	if (a->npositional != 1 || !admin_name_ok(a->positional[0])) {
		fprintf(stderr, "usage: gatehouse admin disable NAME\n");
		return 2;
	}
	off.name = f.name = a->positional[0];
	admin_detail(off.name, rm.detail);
	rc = action_remove(app, &rm);
	if (rc == GH_ERR_NOT_FOUND) {
		/* no active admin of that name: none, or disabled already */
		if (store_admin_each(app->store, find_admin, &f) == GH_OK &&
		    f.found)
			fprintf(stderr, "gatehouse: admin %s is already "
			    "disabled\n", off.name);
		else
			fprintf(stderr, "gatehouse: no such active admin\n");
		return 1;
	}
	if (rc == GH_ERR_IO) {
		fprintf(stderr, "gatehouse: admin %s: the database failed "
		    "after the change was sent, so it may have been made, "
		    "and then recorded in the audit trail: repeat it to be "
		    "sure (it says \"already disabled\" if it was) or look "
		    "(admin list)\n", off.name);
		return 1;
	}
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not disable the admin: "
		    "nothing done\n");
		return 1;
	}
	printf("admin %s disabled\n", off.name);
	return 0;
}

int
cmd_admin(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret;

	if ((s = args_subcommand(admin_subs, sub)) == NULL) {
		fprintf(stderr, "usage: gatehouse admin add --name NAME [--json]"
		    " | list [--json] | disable NAME\n");
		return 2;
	}
	if (!args_parse("admin", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (!cli_open(config_path, &app))
		return 1;
	if (strcmp(sub, "add") == 0)
		ret = admin_add(&app, &a);
	else if (strcmp(sub, "list") == 0)
		ret = admin_list(&app, &a);
	else
		ret = admin_disable(&app, &a);
	cli_close(&app);
	return ret;
}
