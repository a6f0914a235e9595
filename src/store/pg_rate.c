/*
 * pg_rate.c - the token rate rule's counts on PostgreSQL (store_admin.h,
 * store_token_windows): every node's events, as the trail holds them all,
 * counted per window by the database in one grouped statement.
 */
#include "pg_int.h"

static enum gh_err
token_windows(struct store *s, const char *client_id, int64_t since,
    int64_t before, int64_t width, unsigned n, uint32_t *counts)
{
	struct pg_params p;
	PGresult	*r;
	int64_t		 i, k;
	enum gh_err	 rc;
	int		 row;

	pp_init(&p);
	pp_text(&p, client_id);
	pp_int(&p, since);
	pp_int(&p, before);
	pp_int(&p, width);
	if ((rc = pg_one(s, P_TOKEN_WINDOWS, &p, &r, NULL)) != GH_OK)
		return rc;
	for (row = 0; row < PQntuples(r); row++) {
		i = pg_col_int(r, row, 0);
		k = pg_col_int(r, row, 1);
		if (i < 0 || i >= (int64_t)n || k <= 0)
			continue;
		counts[i] = k > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)k;
	}
	PQclear(r);
	return GH_OK;
}

void
pg_rate_ops(struct store_ops *ops)
{
	ops->token_windows = token_windows;
}
