/*
 * inventory_cmd.c - `gatehouse inventory [--json]`: every app that holds
 * or can obtain access, riskiest first, with what it holds, how it is
 * used and why its risk score is what it is (governance/inventory.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../governance/gov_json.h"
#include "../util/clock.h"

static const struct opt_spec inventory_opts[] = {
	{ "--json", false, false },
	{ NULL, false, false },
};

static void
print_row(json_t *o)
{
	json_t		*f = json_object_get(o, "risk_factors"), *x;
	size_t		 i;

	printf("%-4lld %-20s %-12s %-16s %-12s %6lld %6lld  ",
	    (long long)json_integer_value(json_object_get(o, "risk")),
	    json_string_value(json_object_get(o, "client_id")),
	    json_string_value(json_object_get(o, "status")),
	    json_string_value(json_object_get(o, "owner")),
	    json_string_value(json_object_get(o, "type")),
	    (long long)json_integer_value(json_object_get(o, "users")),
	    (long long)json_integer_value(json_object_get(o, "live_tokens")));
	json_array_foreach(f, i, x)
		printf("%s%s", i ? "," : "", json_string_value(x));
	printf("\n");
}

int
cmd_inventory(const char *config_path, int argc, char **argv)
{
	struct app	 app;
	struct args	 a;
	json_t		*all, *o;
	size_t		 i;
	int		 ret = 0;

	if (!args_parse(argc, argv, inventory_opts, &a) || a.npositional) {
		fprintf(stderr, "usage: gatehouse inventory [--json]\n");
		return 2;
	}
	if (!cli_open(config_path, &app))
		return 1;
	if ((all = inventory_sorted(&app, clock_now())) == NULL) {
		fprintf(stderr, "gatehouse: could not read the inventory\n");
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
		printf("%-4s %-20s %-12s %-16s %-12s %6s %6s  %s\n", "RISK",
		    "CLIENT_ID", "STATUS", "OWNER", "TYPE", "USERS", "TOKENS",
		    "FACTORS");
		json_array_foreach(all, i, o)
			print_row(o);
	}
	json_decref(all);
	cli_close(&app);
	return ret;
}
