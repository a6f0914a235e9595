/*
 * keys_cmd.c - `gatehouse keys list|rotate|retire`: the signing key life
 * cycle (jose/keyring.h). Rotation publishes the new key first and lets
 * it sign only after the lead time, so relying parties that cache the
 * JWKS see it before any token carries its kid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "../admin/actions.h"
#include "../governance/audit.h"
#include "../util/clock.h"
#include "../util/str.h"

#define MAX_LIST GH_MAX_SIGNING_KEYS

static const struct opt_spec list_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

static const struct opt_spec rotate_opts[] = {
	{ "--alg", true, false },
	{ "--lead", true, false },
	{ NULL, false, false },
};

/* Each subcommand and exactly the options it takes (list shows all algs). */
static const struct subcommand keys_subs[] = {
	{ "list", list_opts },
	{ "rotate", rotate_opts },
	{ "retire", args_none },
	{ NULL, NULL },
};

struct key_list {
	struct key_row	rows[MAX_LIST];
	size_t		n;
};

static bool
gather(void *ctx, const struct key_row *k)
{
	struct key_list *l = ctx;

	if (l->n >= MAX_LIST)
		return false;
	l->rows[l->n] = *k;
	memset(l->rows[l->n].private_sealed, 0, GH_MAX_SEALED_KEY);
	l->n++;
	return true;
}

/*
 * When the next key of the same alg took over from key i (0: none has):
 * as the servers' rings judge it (keyring_signs_from).
 */
static int64_t
next_activation(const struct key_list *l, size_t i, int64_t now)
{
	int64_t	from;
	size_t	j;

	for (j = i + 1; j < l->n; j++) {
		from = keyring_signs_from(l->rows[j].created_at,
		    l->rows[j].activate_at);
		if (strcmp(l->rows[j].alg, l->rows[i].alg) == 0 &&
		    from <= now && l->rows[j].retire_at == 0)
			return from;
	}
	return 0;
}

static enum key_state
state_of_one(const struct app *app, const struct key_list *l, size_t i,
    int64_t now)
{
	return keyring_state(&l->rows[i], next_activation(l, i, now), now,
	    cli_publish_after(&app->conf));
}

/* A key activated but not yet taken over (its predecessor signs on). */
static enum key_state
state_of(const struct app *app, const struct key_list *l, size_t i,
    int64_t now)
{
	enum key_state	st = state_of_one(app, l, i, now);
	size_t		j;

	for (j = 0; st == KEY_ACTIVE && j < i; j++)
		if (strcmp(l->rows[j].alg, l->rows[i].alg) == 0 &&
		    state_of_one(app, l, j, now) == KEY_ACTIVE)
			st = KEY_PUBLISHED;
	return st;
}

/* the kid and alg are from the database: JSON-encoded, or escaped */
static int
keys_list(struct app *app, struct key_list *l, bool as_json)
{
	struct cli_list	out = { as_json, false };
	int64_t		now = clock_now();
	size_t		i;

	if (!as_json)
		(void)cli_line(&out, "%-24s %-6s %-10s %-12s %s", "KID", "ALG",
		    "STATE", "ACTIVATES", "RETIRED");
	for (i = 0; i < l->n && !out.failed; i++) {
		const struct key_row *k = &l->rows[i];
		const char *st = key_state_name(state_of(app, l, i, now));

		if (as_json)
			(void)cli_list_json(&out, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:I}", "kid", k->kid, "alg", k->alg,
			    "state", st, "activate_at",
			    (json_int_t)k->activate_at, "retire_at",
			    (json_int_t)k->retire_at));
		else
			(void)cli_line(&out, "%-24s %-6s %-10s %-12lld %lld",
			    k->kid, k->alg, st, (long long)k->activate_at,
			    (long long)k->retire_at);
	}
	return cli_list_done(&out, GH_OK);
}

/*
 * A new signing key is made only together with its key.created event:
 * the trail is what tells which key signed what, so a key it does not
 * show is not made. With no --alg the RS256 and ES256 keys and their
 * events are one transaction: both are made, or neither ("nothing
 * done", exit 1), never one alone that a repeated `keys rotate` would
 * double. GH_ERR_IO: the database failed once they were sent, so they
 * may exist all the same.
 */
static int
keys_rotate(struct app *app, const struct args *a)
{
	static const char *const all[GH_MAX_NEW_KEYS] = { "RS256", "ES256" };
	const char	*alg = args_get(a, "--alg");
	const char	*lead_s = args_get(a, "--lead");
	const char	*algs[GH_MAX_NEW_KEYS];
	struct audit_origin o = { NULL, NULL, "admin" };
	uint64_t	 lead = (uint64_t)app->conf.key_rotation_lead_seconds;
	int64_t		 now = clock_now(), from;
	char		 kids[GH_MAX_NEW_KEYS][GH_ID_LEN];
	enum gh_err	 rc;
	size_t		 i, n = 0;

	if (lead_s && parse_u64(slice_cstr(lead_s), 0, 2592000, &lead) !=
	    GH_OK) {
		fprintf(stderr, "gatehouse: --lead is seconds, 0-2592000\n");
		return 2;
	}
	if (alg && !jose_alg_supported(alg)) {
		fprintf(stderr, "gatehouse: --alg must be RS256 or ES256\n");
		return 2;
	}
	for (i = 0; i < GH_MAX_NEW_KEYS; i++)
		if (alg == NULL || strcmp(alg, all[i]) == 0)
			algs[n++] = all[i];
	rc = cli_keys_create(app, &o, algs, n, now, now + (int64_t)lead,
	    false, kids);
	if (rc == GH_ERR_IO) {
		fprintf(stderr, "gatehouse: the database failed after the "
		    "new %s sent, so %s may have been made: look before "
		    "repeating it (keys list)\n", n > 1 ? "keys were" :
		    "key was", n > 1 ? "they" : "it");
		return 1;
	}
	if (rc != GH_OK && n > 1) {
		fprintf(stderr, "gatehouse: could not create the RS256 and "
		    "ES256 keys: nothing done\n");
		return 1;
	}
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not create a %s key: "
		    "nothing done\n", algs[0]);
		return 1;
	}
	from = keyring_signs_from(now, now + (int64_t)lead);
	for (i = 0; i < n; i++)
		printf("%s: %s published now, signs from %lld (in %lld s)\n",
		    algs[i], kids[i], (long long)from,
		    (long long)(from - now));
	return 0;
}

/* A key to retire (keys_retire), for action_remove. */
struct retirement {
	struct store	*store;
	const char	*kid;
	int64_t		 now;
};

static enum gh_err
retire_key(void *ctx, const struct change_audit *ev, unsigned *changed)
{
	const struct retirement	*r = ctx;
	enum gh_err		 rc;

	rc = store_key_retire_with_event(r->store, r->kid, r->now, ev);
	*changed = rc == GH_OK;
	return rc;
}

static int
keys_retire(struct app *app, struct key_list *l, const char *kid)
{
	static const struct audit_origin o = { NULL, NULL, "admin" };
	struct retirement	 r = { app->store, kid, clock_now() };
	struct removal		 rm = { .o = &o, .type = "key.retired",
	    .change = retire_key, .ctx = &r };
	size_t			 i, target = l->n, others = 0;
	enum gh_err		 rc;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->rows[i].kid, kid) == 0)
			target = i;
	if (target == l->n) {
		fprintf(stderr, "gatehouse: no key %s\n", kid);
		return 1;
	}
	/*
	 * Another key of the alg must sign now, or ID tokens would stop: one
	 * activated counts, even if it has not yet taken over (an emergency
	 * rotation with --lead 0 and this retirement right after: it takes
	 * over at once when this key is gone).
	 */
	for (i = 0; i < l->n; i++)
		if (i != target && strcmp(l->rows[i].alg,
		    l->rows[target].alg) == 0 && l->rows[i].retire_at == 0 &&
		    state_of_one(app, l, i, r.now) == KEY_ACTIVE)
			others++;
	if (others == 0) {
		fprintf(stderr, "gatehouse: %s is the only %s key that signs; "
		    "retire it once its successor is active (`keys list`; "
		    "`keys rotate --alg %s` makes one)\n", kid,
		    l->rows[target].alg, l->rows[target].alg);
		return 1;
	}
	/*
	 * A retirement removes (the key signs nothing more and leaves the
	 * JWKS): made with its event in one transaction, but made even when
	 * the event cannot be stored (action_remove), so a broken trail
	 * never keeps a key signing.
	 */
	audit_detail(json_pack("{s:s}", "kid", kid), rm.detail,
	    sizeof(rm.detail));
	rc = action_remove(app, &rm);
	if (rc == GH_ERR_NOT_FOUND) {
		fprintf(stderr, "gatehouse: %s is already retired\n", kid);
		return 1;
	}
	if (rc == GH_ERR_IO) {
		fprintf(stderr, "gatehouse: %s: the database failed after the "
		    "retirement was sent, so it may have been made, and then "
		    "recorded in the audit trail: repeat it to be sure (it "
		    "says \"already retired\" if it was) or look (keys "
		    "list)\n", kid);
		return 1;
	}
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not retire %s: nothing "
		    "done\n", kid);
		return 1;
	}
	printf("%s retired: running servers stop signing with it within "
	    "5 s (as they reload their keys) and it leaves the JWKS in "
	    "%lld s\n", kid, (long long)cli_publish_after(&app->conf));
	return 0;
}

int
cmd_keys(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	struct key_list	*l;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret = 2;

	if ((s = args_subcommand(keys_subs, sub)) != NULL &&
	    !args_parse("keys", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (s == NULL || a.npositional != (strcmp(sub, "retire") == 0 ?
	    1u : 0u)) {
		fprintf(stderr, "usage: gatehouse keys list [--json] | rotate "
		    "[--alg RS256|ES256] [--lead SECONDS] | retire KID\n");
		return 2;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return 1;
	if (!cli_open(config_path, &app)) {
		free(l);
		return 1;
	}
	if (store_key_each(app.store, gather, l) != GH_OK)
		ret = 1;
	else if (strcmp(sub, "rotate") == 0 && l->n + 2 > MAX_LIST) {
		fprintf(stderr, "gatehouse: %zu keys exist; retire old ones "
		    "first (expired keys are deleted by the server)\n", l->n);
		ret = 1;
	} else if (strcmp(sub, "rotate") == 0)
		ret = keys_rotate(&app, &a);
	else if (strcmp(sub, "list") == 0)
		ret = keys_list(&app, l, args_flag(&a, "--json"));
	else
		ret = keys_retire(&app, l, a.positional[0]);
	cli_close(&app);
	free(l);
	return ret;
}
