/*
 * init_cmd.c - `gatehouse init`: first-run bootstrap of a config file,
 * the server key and the database. Idempotent: what exists is kept, and
 * said to be kept.
 *
 * The config is validated before it exists: it is written to a
 * temporary file in the same folder (0600, O_EXCL), loaded from there,
 * and only then renamed into place, so a refused value leaves no config
 * behind for the corrected run to keep.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/keyfile.h"
#include "../util/str.h"

static const struct opt_spec init_opts[] = {
	{ "--issuer", true, false },
	{ "--listen", true, false },
	{ "--database", true, false },
	{ NULL, false, false },
};

/*
 * --database as the config will hold it. A relative path is taken from
 * the current folder, as a shell user means it, and made absolute: the
 * config resolves relative paths against its own folder. URLs stay.
 */
static bool
database_of(const struct args *a, char *out, size_t outsz)
{
	const char	*d = args_get(a, "--database");
	char		 cwd[GH_MAX_PATH];
	int		 n;

	if (d == NULL)
		return str_copy(out, outsz, "gatehouse.db");
	if (strncmp(d, "sqlite:", 7) == 0 && strncmp(d, "sqlite://", 9) != 0)
		d += 7;
	if (d[0] == '/' || d[0] == '\0' || strstr(d, "://") != NULL)
		return str_copy(out, outsz, d);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	n = snprintf(out, outsz, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    d);
	return n > 0 && (size_t)n < outsz;
}

/* The config's text (caller frees), or NULL. */
static char *
config_text(const struct args *a, const char *database)
{
	json_t	*o;
	char	*text;

	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}",
	    "issuer", args_get(a, "--issuer") ? args_get(a, "--issuer") :
	    "http://127.0.0.1:8080",
	    "listen", args_get(a, "--listen") ? args_get(a, "--listen") :
	    "127.0.0.1:8080",
	    "database", database,
	    "key_file", "gatehouse.key",
	    "code_ttl_seconds", 60, "access_token_ttl_seconds", 600,
	    "refresh_token_ttl_seconds", 2592000,
	    "refresh_family_lifetime_seconds", 31536000,
	    "session_ttl_seconds", 28800);
	if (o == NULL)
		return NULL;
	text = json_text(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* text into a new file tmp (a template, filled in), 0600, synced */
static bool
write_temp(char *tmp, const char *text)
{
	size_t	n = strlen(text);
	int	fd;
	bool	ok;

	/* mkostemp: O_CREAT | O_EXCL, mode 0600 */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return false;
	ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		unlink(tmp);
		return false;
	}
	return true;
}

/*
 * Write the config to path, which did not exist, only if it loads;
 * false after saying why.
 */
static bool
write_config(const char *path, const struct args *a)
{
	struct conf	*c = malloc(sizeof(*c));
	char		 database[GH_MAX_PATH], tmp[GH_MAX_PATH], err[256];
	char		*text = NULL;
	int		 n;
	bool		 ok = false;

	if (c == NULL || !database_of(a, database, sizeof(database))) {
		fprintf(stderr, "gatehouse: --database: path too long\n");
		goto out;
	}
	/* path.NNNNNN, the six letters mkostemp() replaces */
	n = snprintf(tmp, sizeof(tmp), "%s.%6s", path, "");
	if (n > 0 && (size_t)n < sizeof(tmp))
		memset(tmp + n - 6, 'X', 6);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (text = config_text(a, database)) == NULL ||
	    !write_temp(tmp, text)) {
		fprintf(stderr, "gatehouse: cannot write %s\n", path);
		goto out;
	}
	if (conf_load(tmp, c, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "gatehouse: config: %s (nothing written)\n",
		    err);
		unlink(tmp);
		goto out;
	}
	/* never over a config made meanwhile */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		fprintf(stderr, "gatehouse: cannot write %s: %s\n", path,
		    errno == EEXIST ? "it exists now" : "rename failed");
		unlink(tmp);
		goto out;
	}
	ok = true;
out:
	free(text);
	free(c);
	return ok;
}

/* A config that exists is kept as it is: options that would change it. */
static void
note_ignored(const struct args *a, const char *path)
{
	static const char *const opts[] = { "--issuer", "--listen",
	    "--database" };
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (args_get(a, opts[i]) != NULL)
			fprintf(stderr, "gatehouse: %s exists: %s "
			    "ignored (edit the file to change it)\n", path,
			    opts[i]);
}

static bool
count_key(void *ctx, const struct key_row *k)
{
	(void)k;
	(*(size_t *)ctx)++;
	return true;
}

/*
 * Before a key file is made where there is none: a database that holds
 * signing keys already was set up with another key file, and a new key
 * would open none of them (nor match a stored hash, nor continue the
 * audit chain). Refused, so that the lost file is restored instead; an
 * empty or new database gets its key as ever. False after saying why.
 */
static bool
new_key_fits(const struct conf *c)
{
	struct store	*s = NULL;
	char		 shown[GH_MAX_PATH];
	struct stat	 st;
	size_t		 n = 0;
	enum gh_err	 rc;

	if (lstat(c->key_file, &st) == 0 || errno != ENOENT)
		return true;	/* keyfile_create and keyfile_load judge it */
	if (!store_is_url(c->database) && access(c->database, F_OK) != 0)
		return true;	/* a new database */
	store_url_redact(c->database, shown, sizeof(shown));
	if ((rc = store_open_admin(c->database, &s)) == GH_OK) {
		rc = store_key_each(s, count_key, &n);
		store_close(s);
	}
	if (rc != GH_OK) {
		fprintf(stderr, "gatehouse: database %s: %s\n", shown,
		    gh_err_str(rc));
		return false;
	}
	if (n == 0)
		return true;
	fprintf(stderr, "gatehouse: the key file %s does not exist, but the "
	    "database %s holds data sealed under the key it was set up with "
	    "(%zu signing keys): restore that key file; a new key would open "
	    "none of it; nothing done\n", c->key_file, shown, n);
	return false;
}

int
cmd_init(const char *config_path, int argc, char **argv)
{
	struct args	 a;
	struct app	 app;
	char		 err[256], shown[GH_MAX_PATH];
	uint8_t		 key[GH_KEY_BYTES];
	const char	*key_said;
	enum gh_err	 rc;
	bool		 had_config = access(config_path, F_OK) == 0;

	if (!args_parse("init", NULL, argc, argv, init_opts, &a) ||
	    a.npositional) {
		fprintf(stderr, "usage: gatehouse init [--issuer URL] "
		    "[--listen HOST:PORT] [--database PATH]\n");
		return 2;
	}
	if (had_config)
		note_ignored(&a, config_path);
	else if (!write_config(config_path, &a))
		return 1;
	if (conf_load(config_path, &app.conf, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "gatehouse: config: %s\n", err);
		return 1;
	}
	if (!new_key_fits(&app.conf))
		return 1;
	rc = keyfile_create(app.conf.key_file, key, sizeof(key));
	crypto_wipe(key, sizeof(key));
	if (rc != GH_OK && rc != GH_ERR_EXISTS) {
		fprintf(stderr, "gatehouse: cannot create key file %s\n",
		    app.conf.key_file);
		return 1;
	}
	/* an existing one is used only if it passes keyfile_load's checks */
	key_said = rc == GH_OK ? "created key file" : "kept existing key file";
	if (!cli_open(config_path, &app))
		return 1;
	if (!cli_ensure_keys(&app)) {
		fprintf(stderr, "gatehouse: cannot create signing keys\n");
		cli_close(&app);
		return 1;
	}
	store_url_redact(app.conf.database, shown, sizeof(shown));
	printf("%s %s\n%s %s\ndatabase %s (migrated)\n",
	    had_config ? "kept existing config" : "wrote config",
	    config_path, key_said, app.conf.key_file, shown);
	cli_close(&app);
	return 0;
}
