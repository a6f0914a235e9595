/*
 * hygiene.h - the standing policies, applied by the server's upkeep pass:
 *  - grant_unused_days: grants neither used nor created for N days are
 *    revoked (reason "unused"; one statement, tokens die by ancestry);
 *  - client_unused_days: clients without a token issued or refreshed for
 *    M days raise a "client_unused" alert, or are disabled when
 *    client_unused_action is "disable";
 *  - secret_max_age_days: client secrets older than K days raise a
 *    "stale_secret" alert;
 *  - signing keys past publication (jose/keyring.h) are deleted from the
 *    store, each with a "key.deleted" audit event in the deletion's
 *    transaction (always; the keyring's window decides, not a setting).
 * A standing condition raises one alert until it is acknowledged.
 */
#ifndef GH_HYGIENE_H
#define GH_HYGIENE_H

#include "../app.h"

void	hygiene_pass(struct app *app, int64_t now);
/*
 * One client's policies, judged on its row and usage as they were read
 * (hygiene_pass calls it for each client). What it changes, it changes
 * only if the client is still as read: a client quarantined meanwhile
 * stays quarantined.
 */
void	hygiene_client(struct app *app, const struct client_row *c,
	    const struct client_usage *u, int64_t now);

#endif
