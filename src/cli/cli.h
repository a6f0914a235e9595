/*
 * cli.h - the admin command: `gatehouse [--config FILE] COMMAND ...`.
 *
 * Every command opens the same config, key and store as the server, so
 * it works while the server runs (SQLite WAL). Secrets it creates are
 * printed once and stored only as hashes. Changes are audited with actor
 * "admin".
 */
#ifndef GH_CLI_H
#define GH_CLI_H

#include <jansson.h>

#include "../app.h"

struct audit_origin;

/*
 * Load config, key and store; prints the reason and returns false. An
 * admin command opens the store for one short job (store_open_admin);
 * serve opens it whole.
 */
bool	cli_open(const char *config_path, struct app *app);
bool	cli_open_serve(const char *config_path, struct app *app);
void	cli_close(struct app *app);

int	cmd_init(const char *config_path, int argc, char **argv);
int	cmd_check_config(const char *config_path);
int	cmd_client(const char *config_path, int argc, char **argv);
int	cmd_user(const char *config_path, int argc, char **argv);
int	cmd_keys(const char *config_path, int argc, char **argv);
int	cmd_audit(const char *config_path, int argc, char **argv);
int	cmd_grant(const char *config_path, int argc, char **argv);
int	cmd_alert(const char *config_path, int argc, char **argv);
int	cmd_inventory(const char *config_path, int argc, char **argv);
int	cmd_admin(const char *config_path, int argc, char **argv);

/* How long a key that stopped signing stays in the JWKS. */
int64_t	cli_publish_after(const struct conf *c);
/*
 * Make sure an RS256 and an ES256 key exist (first run, old databases),
 * made with their key.created events (actor "system"): exactly one
 * first key per alg, however many nodes start at once on one database.
 * Keys found (made by another node) must open with app's key, or it is
 * false after saying so ("the key file does not match the database").
 */
bool	cli_ensure_keys(struct app *app);
/*
 * Signing keys of the n algs of algs[] (1 to GH_MAX_NEW_KEYS), published
 * now and signing from activate_at, made in one transaction together
 * with a key.created event each (origin o, detail its kid and lead): all
 * of them, or none. kids[i] receives the kid of algs[i]. With first,
 * only if no key of these algs is stored yet (store_keys_insert_first):
 * else GH_ERR_EXISTS, and nothing made.
 */
enum gh_err	cli_keys_create(struct app *app, const struct audit_origin *o,
		    const char *const *algs, size_t n, int64_t now,
		    int64_t activate_at, bool first, char kids[][GH_ID_LEN]);

/*
 * Print `o` as one compact JSON line and release it (it may hold a
 * secret: the text is wiped). False if it could not be printed.
 */
bool	cli_print_json(json_t *o);

/*
 * A list printed from a store walk. A walk stops when its callback says
 * so; `failed` tells a stop for lack of memory from the end of the list,
 * so that a list cut short never exits 0.
 */
struct cli_list {
	bool	as_json;
	bool	failed;
};

/*
 * Print one line of text output, formatted as printf() does, and add the
 * newline. Every text line that shows stored strings goes through it:
 * each control character (C0, DEL, C1), each byte that is not UTF-8,
 * each bidirectional formatting character and each backslash is printed
 * as an escape (\x1b, \u202e, \\), so that a string
 * from the database (an alert quoting a User-Agent, a name edited into a
 * row by hand) cannot drive the terminal it is shown on, whenever it was
 * stored. False if the line could not be made (then noted in `l`, which
 * may be NULL). JSON output needs none of this: the encoder escapes.
 */
bool	cli_line(struct cli_list *l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print item `o` as a JSON line (released); false, and noted, if not. */
bool	cli_list_json(struct cli_list *l, json_t *o);
/* A list's exit status: 0, or 1 with the reason on stderr. */
int	cli_list_done(const struct cli_list *l, enum gh_err rc);
/* Read one line from stdin (password), without the newline. */
bool	cli_read_secret_line(char *out, size_t outsz);

#endif
