/*
 * audit_cmd.c - `gatehouse audit verify [--anchor SEQ:HASH] | export
 * [--since TIME]`. verify walks the hash chain and names the first event
 * that was edited, inserted or deleted (exit 1); with an anchor recorded
 * earlier (the server logs one as "audit_head") it also shows the newest
 * events being cut off. It prints the head to record as the next anchor,
 * and the base when audit retention deleted the oldest events; an anchor
 * older than the base can no longer be checked, which exits 1 too.
 * export writes JSON lines of the events kept.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../governance/audit.h"
#include "../governance/gov_json.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define BATCH 1000

static const struct opt_spec verify_opts[] = {
	{ "--anchor", true, false },
	{ NULL, false, false },
};

static const struct opt_spec export_opts[] = {
	{ "--since", true, false },
	{ NULL, false, false },
};

/* Each subcommand and exactly the options it takes. */
static const struct subcommand audit_subs[] = {
	{ "verify", verify_opts },
	{ "export", export_opts },
	{ NULL, NULL },
};

struct export {
	int64_t		 since;
	int64_t		 last_seq;
	unsigned	 seen;
	struct cli_list	 out;
};

static bool
export_row(void *ctx, const struct audit_row *r)
{
	struct export *e = ctx;

	e->seen++;
	e->last_seq = r->seq;
	if (r->time < e->since)
		return true;
	return cli_list_json(&e->out, audit_json(r));
}

static int
audit_export(struct app *app, const struct args *a)
{
	const char	*since = args_get(a, "--since");
	struct export	 e = { 0, 0, 0, { true, false } };
	uint64_t	 t = 0;
	enum gh_err	 rc;

	if (since && parse_u64(slice_cstr(since), 0, INT64_MAX, &t) != GH_OK) {
		fprintf(stderr, "gatehouse: --since is a Unix time in "
		    "seconds\n");
		return 2;
	}
	e.since = (int64_t)t;
	do {
		e.seen = 0;
		rc = store_audit_each(app->store, e.last_seq, BATCH, export_row,
		    &e);
	} while (rc == GH_OK && !e.out.failed && e.seen == BATCH);
	return cli_list_done(&e.out, rc);
}

static int
audit_check(struct app *app, const struct args *a)
{
	struct audit_verdict	v;
	struct audit_anchor	anchor = { 0, { 0 } };
	const char		*at = args_get(a, "--anchor");
	uint8_t			key[GH_HASH_BYTES];
	char			hx[GH_HASH_HEX + 1];
	enum gh_err		rc;

	if (at && !audit_anchor_parse(at, &anchor)) {
		fprintf(stderr, "gatehouse: --anchor is SEQ:HASH (64 hex)\n");
		return 2;
	}
	if ((rc = audit_chain_key(app->key, sizeof(app->key), key)) == GH_OK)
		rc = audit_verify(app->store, key, &anchor, &v);
	crypto_wipe(key, sizeof(key));
	if (rc != GH_OK) {
		/* no verdict: neither "ok" nor "BROKEN" */
		fprintf(stderr, "gatehouse: could not check the audit log: "
		    "%s\n", gh_err_str(rc));
		return 1;
	}
	if (!v.ok) {
		printf("audit chain BROKEN at seq %lld: an event was %s "
		    "(%lld events before it verified)\n", (long long)v.seq,
		    v.problem, (long long)v.events);
		return 1;
	}
	printf("audit chain ok: %lld events verified%s\n",
	    (long long)v.events, at && !v.anchor_pruned ? ", anchor reached" :
	    "");
	if (v.base_seq > 0) {
		hex_encode(v.base_hash, GH_HASH_BYTES, hx);
		printf("base: %lld:%s (the events up to it were deleted by "
		    "audit retention)\n", (long long)v.base_seq, hx);
	}
	hex_encode(v.head_hash, GH_HASH_BYTES, hx);
	printf("head: %lld:%s\n", (long long)v.head_seq, hx);
	/* not reached is not passed: the question asked has no answer */
	if (v.anchor_pruned) {
		printf("anchor NOT checked: seq %lld is before the base, its "
		    "event deleted by audit retention; check an anchor "
		    "logged since\n", (long long)anchor.seq);
		return 1;
	}
	return 0;
}

int
cmd_audit(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret;

	if ((s = args_subcommand(audit_subs, sub)) != NULL &&
	    !args_parse("audit", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (s == NULL || a.npositional) {
		fprintf(stderr, "usage: gatehouse audit verify [--anchor "
		    "SEQ:HASH] | export [--since UNIX_TIME]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	ret = strcmp(sub, "verify") == 0 ? audit_check(&app, &a) :
	    audit_export(&app, &a);
	cli_close(&app);
	return ret;
}
