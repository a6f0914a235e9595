/*
 * inventory.h - the app inventory: every client with what it holds and
 * how it is used (store_client_usage, store_client_usage_batch), and a
 * risk score with the factors that make it, so the riskiest
 * integrations can be reviewed first.
 */
#ifndef GH_INVENTORY_H
#define GH_INVENTORY_H

#include <jansson.h>

#include "../app.h"

#define RISK_MAX_FACTORS 8

struct risk {
	int		 score;			/* 0..100 */
	unsigned	 n;
	const char	*factors[RISK_MAX_FACTORS];	/* static names */
};

/* Days since the client last got or refreshed a token (or was created). */
int64_t	inventory_idle_days(const struct client_row *c,
	    const struct client_usage *u, int64_t now);
void	inventory_risk(const struct conf *conf, const struct client_row *c,
	    const struct client_usage *u, int64_t now, struct risk *out);
/*
 * One inventory entry as JSON (the admin command and the admin API); NULL
 * when out of memory, never an entry with parts missing.
 */
json_t *inventory_json(const struct conf *conf, const struct client_row *c,
	    const struct client_usage *u, const struct risk *r, int64_t now);

/*
 * Calls fn for every client (in id order) with its usage and risk, reading
 * GH_INVENTORY_BATCH at a time with their usage (store_client_usage_batch),
 * so memory does not grow with the number of clients; fn returns false to
 * stop. Store errors end the walk with that error. count_tokens as for
 * store_client_usage.
 */
enum gh_err inventory_each(struct app *app, int64_t now, bool count_tokens,
	    bool (*fn)(void *ctx, const struct client_row *c,
	    const struct client_usage *u, const struct risk *r), void *ctx);

#endif
