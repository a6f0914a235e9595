/*
 * alert_cmd.c - `gatehouse alert list|ack`: the alerts the anomaly rules
 * and hygiene policies raised, and acknowledging them (audited, with the
 * actor). An acknowledged alert may be raised again by a new incident.
 */
#include <stdio.h>
#include <stdlib.h>
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
	{ "--all", false, false },
	{ "--client", true, false },
	{ "--json", false, false },
	{ NULL, false, false },
};

static const struct opt_spec ack_opts[] = {
	{ "--by", true, false },
	{ NULL, false, false },
};

/* Each subcommand and exactly the options it takes. */
static const struct subcommand alert_subs[] = {
	{ "list", list_opts },
	{ "ack", ack_opts },
	{ NULL, NULL },
};

static bool
print_alert(void *ctx, const struct alert_row *a)
{
	struct cli_list *l = ctx;

	if (l->as_json)
		return cli_list_json(l, alert_json(a));
	/* the summary may quote a User-Agent: cli_line escapes */
	return cli_line(l, "%-6lld %-6s %-20s %-20s %-5s %s", (long long)a->id,
	    a->severity, a->rule, a->client_id[0] ? a->client_id : "-",
	    a->acked_at ? "ack" : "open", a->summary);
}

static int
alert_list(struct app *app, const struct args *a)
{
	struct cli_list l = { args_flag(a, "--json"), false };

	if (!l.as_json)
		(void)cli_line(&l, "%-6s %-6s %-20s %-20s %-5s %s", "ID", "SEV",
		    "RULE", "CLIENT_ID", "STATE", "SUMMARY");
	return cli_list_done(&l, store_alert_each(app->store,
	    !args_flag(a, "--all"), args_get(a, "--client"), 1000,
	    print_alert, &l));
}

static int
alert_ack(struct app *app, const struct args *a)
{
	struct audit_origin	 o = { NULL, NULL, "admin" };
	const char		*by = args_get(a, "--by");
	char			*end = NULL;
	long long		 id;
	enum gh_err		 rc;

	if (a->npositional != 1 || (id = strtoll(a->positional[0], &end,
	    10)) <= 0 || *end != '\0' || (by && (strlen(by) >= 64 ||
	    !str_printable(by) || strchr(by, '"') || strchr(by, '\\')))) {
		fprintf(stderr, "usage: gatehouse alert ack ID [--by NAME]\n");
		return 2;
	}
	if (by == NULL)
		by = "admin";
	rc = action_alert_ack(app, &o, id, by);
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: %s\n", rc == GH_ERR_NOT_FOUND ?
		    "no such open alert" : "could not acknowledge");
		return 1;
	}
	printf("alert %lld acknowledged\n", id);
	return 0;
}

int
cmd_alert(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	const struct subcommand *s;
	const char	*sub = argc > 0 ? argv[0] : "";
	int		 ret;

	if ((s = args_subcommand(alert_subs, sub)) != NULL &&
	    !args_parse("alert", sub, argc - 1, argv + 1, s->opts, &a))
		return 2;
	if (s == NULL || (strcmp(sub, "list") == 0 && a.npositional)) {
		fprintf(stderr, "usage: gatehouse alert list [--all] "
		    "[--client ID] [--json] | ack ID [--by NAME]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	ret = strcmp(sub, "list") == 0 ? alert_list(&app, &a) :
	    alert_ack(&app, &a);
	cli_close(&app);
	return ret;
}
