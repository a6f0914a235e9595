/*
 * inventory_cmd.c - `gatehouse inventory [--json]`: every app that holds
 * or can obtain access, riskiest first, with what it holds, how it is
 * used and why its risk score is what it is (governance/inventory.h).
 * Past GH_INVENTORY_MAX apps it lists nothing and exits 1, saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../governance/gov_json.h"
#include "../util/buf.h"
#include "../util/clock.h"

static const struct opt_spec inventory_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

/* a string member of o, "" if absent */
static const char *
str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* One client's line (owner and ids from the database: cli_line escapes). */
static bool
print_row(struct cli_list *l, json_t *o)
{
	json_t		*f = json_object_get(o, "risk_factors"), *x;
	struct buf	 factors;
	size_t		 i;
	bool		 ok = true;

	buf_init(&factors, GH_MAX_CLI_LINE);
	json_array_foreach(f, i, x)
		if (buf_printf(&factors, "%s%s", i ? "," : "",
		    json_string_value(x) ? json_string_value(x) : "") != GH_OK)
			ok = false;
	ok = ok && cli_line(l, "%-4lld %-20s %-12s %-16s %-12s %6lld %6lld  %s",
	    (long long)json_integer_value(json_object_get(o, "risk")),
	    str_of(o, "client_id"), str_of(o, "status"), str_of(o, "owner"),
	    str_of(o, "type"),
	    (long long)json_integer_value(json_object_get(o, "users")),
	    (long long)json_integer_value(json_object_get(o, "live_tokens")),
	    buf_str(&factors));
	buf_free(&factors);
	if (!ok)
		l->failed = true;
	return ok;
}

int
cmd_inventory(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	json_t		*all, *o;
	struct cli_list	 l = { false, false };
	size_t		 i;
	enum gh_err	 rc;
	int		 ret = 0;

	if (!args_parse("inventory", NULL, argc, argv, inventory_opts, &a) ||
	    a.npositional) {
		fprintf(stderr, "usage: gatehouse inventory [--json]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	rc = inventory_sorted(&app, clock_now(), GH_INVENTORY_MAX, &all);
	if (rc == GH_ERR_LIMIT) {
		fprintf(stderr, "gatehouse: more than %d apps: the inventory "
		    "is not ranked past that many; nothing listed\n",
		    GH_INVENTORY_MAX);
		ret = 1;
	} else if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: could not read the inventory: "
		    "%s\n", gh_err_str(rc));
		ret = 1;
	} else if (args_flag(&a, "--json")) {
		json_array_foreach(all, i, o)
			if (!cli_print_json(json_incref(o))) {
				fprintf(stderr, "gatehouse: out of memory: the "
				    "list above is incomplete\n");
				ret = 1;
				break;
			}
	} else {
		(void)cli_line(&l, "%-4s %-20s %-12s %-16s %-12s %6s %6s  %s",
		    "RISK", "CLIENT_ID", "STATUS", "OWNER", "TYPE", "USERS",
		    "TOKENS", "FACTORS");
		json_array_foreach(all, i, o)
			if (!print_row(&l, o))
				break;
		ret = cli_list_done(&l, GH_OK);
	}
	json_decref(all);
	cli_close(&app);
	return ret;
}
