/*
 * sqlite_rate.c - the token rate rule's counts on SQLite (store_admin.h,
 * store_token_windows). On a read-only connection: a busy client's first
 * read spans its whole baseline, and must not hold the writer's lock,
 * which every request's write waits for. A reader sees committed rows
 * only; an event of this node still in the open batch is missed by this
 * read and counted by the next (governance/gov.c re-reads the windows
 * since its last read, and a bit before).
 */
#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

static enum gh_err
token_windows(struct store *s, const char *client_id, int64_t since,
    int64_t before, int64_t width, unsigned n, uint32_t *counts)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc = GH_ERR_STORE;
	int64_t			 i, k;
	int			 x;

	if ((st = sq_read_stmt(db, S_TOKEN_WINDOWS)) != NULL) {
		sq_bind_text(st, 1, client_id);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int64(st, 3, before);
		sqlite3_bind_int64(st, 4, width);
		while ((x = sqlite3_step(st)) == SQLITE_ROW) {
			i = sq_col_int(st, 0);
			k = sq_col_int(st, 1);
			if (i < 0 || i >= (int64_t)n || k <= 0)
				continue;
			counts[i] = k > (int64_t)UINT32_MAX ? UINT32_MAX :
			    (uint32_t)k;
		}
		rc = x == SQLITE_DONE ? GH_OK : sq_read_error(db, x);
		sqlite3_reset(st);
	}
	return sq_read_done(db, rc);
}

void
sqlite_rate_ops(struct store_ops *ops)
{
	ops->token_windows = token_windows;
}
