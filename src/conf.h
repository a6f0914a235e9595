/*
 * conf.h - the server configuration, read from one JSON file through one
 * typed table (conf.c): name, type, bounds, default. Unknown keys, wrong
 * types and out-of-range values are errors, so a typo never silently
 * falls back to a default.
 */
#ifndef GH_CONF_H
#define GH_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include "util/err.h"
#include "util/limits.h"

struct conf {
	char	 issuer[GH_MAX_REDIRECT_LEN];	/* no trailing slash */
	char	 listen[128];			/* host:port */
	char	 database[GH_MAX_PATH];		/* resolved path */
	char	 key_file[GH_MAX_PATH];		/* resolved path */
	int64_t	 code_ttl_seconds;
	int64_t	 access_token_ttl_seconds;
	int64_t	 refresh_token_ttl_seconds;
	int64_t	 session_ttl_seconds;
	int64_t	 id_token_ttl_seconds;
	int64_t	 key_rotation_lead_seconds;
	int64_t	 threads;
	int64_t	 max_connections;
	int64_t	 per_ip_connections;
	int64_t	 connection_timeout_seconds;
	int64_t	 drain_seconds;
	/* derived */
	char	 listen_host[64];
	unsigned listen_port;
	bool	 secure_cookies;	/* issuer is https */
};

/*
 * Load and validate. On failure `err` holds a one-line reason naming the
 * key. Relative paths are resolved against the config file's folder.
 */
enum gh_err	conf_load(const char *path, struct conf *c, char *err,
		    size_t errsz);
void		conf_defaults(struct conf *c);

#endif
