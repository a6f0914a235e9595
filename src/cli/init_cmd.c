/*
 * init_cmd.c - `gatehouse init`: first-run bootstrap of a config file,
 * the server key and the database. Idempotent: what exists is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/keyfile.h"

static const struct opt_spec init_opts[] = {
	{ "--issuer", true, false },
	{ "--listen", true, false },
	{ "--database", true, false },
	{ NULL, false, false },
};

static bool
write_config(const char *path, const struct args *a)
{
	json_t	*o;
	char	*text;
	int	 fd;
	bool	 ok = false;
	size_t	 n;

	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i}",
	    "issuer", args_get(a, "--issuer") ? args_get(a, "--issuer") :
	    "http://127.0.0.1:8080",
	    "listen", args_get(a, "--listen") ? args_get(a, "--listen") :
	    "127.0.0.1:8080",
	    "database", args_get(a, "--database") ?
	    args_get(a, "--database") : "gatehouse.db",
	    "key_file", "gatehouse.key",
	    "code_ttl_seconds", 60, "access_token_ttl_seconds", 600,
	    "refresh_token_ttl_seconds", 2592000,
	    "session_ttl_seconds", 28800);
	if (o == NULL)
		return false;
	text = json_text(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		return false;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd >= 0) {
		n = strlen(text);
		ok = write(fd, text, n) == (ssize_t)n &&
		    write(fd, "\n", 1) == 1;
		close(fd);
	} else if (errno == EEXIST) {
		ok = true;
	}
	free(text);
	return ok;
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

	if (!args_parse(argc, argv, init_opts, &a))
		return 2;
	if (!had_config && !write_config(config_path, &a)) {
		fprintf(stderr, "gatehouse: cannot write %s\n", config_path);
		return 1;
	}
	if (conf_load(config_path, &app.conf, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "gatehouse: config: %s\n", err);
		return 1;
	}
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
