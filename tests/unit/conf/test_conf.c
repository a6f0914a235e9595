/*
 * test_conf.c - conf.h: loading the JSON configuration. Unknown keys,
 * wrong types, out-of-range values and duplicate keys are errors naming
 * the key; the issuer rules (RFC 8414 2), for https as for http
 * (userinfo and an empty host used to pass under https); a listen
 * address the server can bind (a host name passed here and failed at
 * serve); defaults; paths resolved against the config file's folder,
 * "sqlite:PATH" too; the refresh family lifetime (0, or an hour to ten
 * years); out of memory while loading, an error
 * (never a value loaded short, as json_load_file can).
 */
#include "../harness.h"
#include "../json_fault.h"

#include <sys/stat.h>

#include "conf.h"

struct fx {
	char		dir[TH_PATH];
	char		path[TH_PATH];
	char		err[256];
	struct conf	c;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	th_tmpdir(f->dir, sizeof(f->dir));
	th_path(f->path, sizeof(f->path), f->dir, "gatehouse.json");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	th_rmdir(f->dir);
	free(f);
	return 0;
}

/* Write `json` as the config file, mode `mode`, and load it. */
static enum gh_err
load_mode(struct fx *f, const char *json, mode_t mode)
{
	th_write_file(f->path, json);
	assert_int_equal(chmod(f->path, mode), 0);
	f->err[0] = '\0';
	return conf_load(f->path, &f->c, f->err, sizeof(f->err));
}

/* The same, private (a config with a secret must be: test_private) */
static enum gh_err
load(struct fx *f, const char *json)
{
	return load_mode(f, json, 0600);
}

/* Loading must fail with an error message that contains `word`. */
static void
expect_error(struct fx *f, const char *json, const char *word)
{
	if (load(f, json) == GH_OK)
		fail_msg("accepted: %s", json);
	if (strstr(f->err, word) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", f->err, word);
}

static void
test_minimal_defaults(void **state)
{
	struct fx	*f = *state;
	char		 want[TH_PATH];

	assert_int_equal(load(f, "{\"issuer\": \"https://auth.example.com\"}"),
	    GH_OK);
	assert_string_equal(f->c.issuer, "https://auth.example.com");
	assert_int_equal(f->c.code_ttl_seconds, 60);
	assert_true(f->c.secure_cookies);
	assert_string_equal(f->c.listen_host, "127.0.0.1");
	assert_int_equal(f->c.listen_port, 8080);
	/* default relative paths land next to the config file */
	th_path(want, sizeof(want), f->dir, "gatehouse.db");
	assert_string_equal(f->c.database, want);
	th_path(want, sizeof(want), f->dir, "gatehouse.key");
	assert_string_equal(f->c.key_file, want);
}

static void
test_unknown_key(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl\": 60}", "code_ttl");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"Issuer\": \"https://a.example\"}", "Issuer");
}

static void
test_wrong_type(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": \"60\"}", "code_ttl_seconds");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": 60.5}", "code_ttl_seconds");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"threads\": true}", "threads");
	expect_error(f, "{\"issuer\": 5}", "issuer");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"\"}", "database");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"a\\nb\"}", "database");
}

/* Standard Webhooks: "whsec_" and 24 to 64 bytes in base64, with a URL */
static void
test_webhook_secret(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"webhook_url\": \"https://h.example/x\", "
	    "\"webhook_secret\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\"}",
	    "webhook_secret");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"webhook_url\": \"https://h.example/x\", "
	    "\"webhook_secret\": \"whsec_AAECAwQFBgcICQoLDA0ODxAREhMU\"}",
	    "webhook_secret");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"webhook_secret\": \"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\"}",
	    "webhook_url");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"webhook_url\": \"https://h.example/x\", "
	    "\"webhook_secret\": \"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\"}"),
	    GH_OK);
	assert_string_equal(f->c.webhook_secret,
	    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");
}

/*
 * A config holding a secret (webhook_secret, a database password) that
 * group or others may read or write is refused, as the key file is; it
 * was loaded whatever its mode. Without one, any mode loads as before.
 */
static void
test_private(void **state)
{
	static const char *const secret[] = {
		"{\"issuer\": \"https://a.example\", "
		"\"webhook_url\": \"https://h.example/x\", "
		"\"webhook_secret\": \"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\"}",
		"{\"issuer\": \"https://a.example\", "
		"\"database\": \"postgresql://gh:s3cret@db.example/gh\"}",
		"{\"issuer\": \"https://a.example\", "
		"\"database\": \"postgresql://gh@db.example/gh?password=s3\"}",
		/* libpq reads it as the password too */
		"{\"issuer\": \"https://a.example\", "
		"\"database\": \"postgresql://db.example/gh?pass%77ord=s3\"}",
	};
	static const mode_t open_modes[] = { 0644, 0640, 0604, 0620, 0602,
	    0660 };
	struct fx	*f = *state;
	size_t		 i, j;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		for (j = 0; j < sizeof(open_modes) / sizeof(open_modes[0]);
		    j++) {
			assert_int_not_equal(load_mode(f, secret[i],
			    open_modes[j]), GH_OK);
			assert_non_null(strstr(f->err, "chmod 600"));
			assert_non_null(strstr(f->err, i == 0 ?
			    "webhook_secret" : "database password"));
			assert_null(strstr(f->err, "s3"));
		}
		assert_int_equal(load_mode(f, secret[i], 0600), GH_OK);
		assert_int_equal(load_mode(f, secret[i], 0400), GH_OK);
	}
	/* nothing secret: loaded whatever its mode */
	assert_int_equal(load_mode(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"postgresql://gh@db.example/gh\"}", 0644), GH_OK);
	assert_int_equal(load_mode(f, "{\"issuer\": \"https://a.example\"}",
	    0666), GH_OK);
}

static void
test_not_an_object(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(load(f, "[\"issuer\"]"), GH_OK);
	assert_int_not_equal(load(f, "{\"issuer\": "), GH_OK);
	assert_int_not_equal(load(f, ""), GH_OK);
}

/* RFC 6749 4.1.2: a code lives at most ten minutes. */
static void
test_code_ttl_bounds(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": 601}", "code_ttl_seconds");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": 0}", "code_ttl_seconds");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": -5}", "code_ttl_seconds");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": 600}"), GH_OK);
	assert_int_equal(f->c.code_ttl_seconds, 600);
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"code_ttl_seconds\": 1}"), GH_OK);
	assert_int_equal(f->c.code_ttl_seconds, 1);
}

/*
 * A refresh family's absolute lifetime: a year by default, 0 for none,
 * else an hour to ten years; less than an hour, or negative, refused
 * naming the key.
 */
static void
test_family_lifetime_bounds(void **state)
{
	struct fx	*f = *state;
	static const char *bad[] = { "1", "3599", "-1", "-3600",
	    "315360001" };
	char		 json[160];
	size_t		 i;

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\"}"),
	    GH_OK);
	assert_int_equal(f->c.refresh_family_lifetime_seconds, 31536000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"issuer\": "
		    "\"https://a.example\", "
		    "\"refresh_family_lifetime_seconds\": %s}", bad[i]);
		expect_error(f, json, "refresh_family_lifetime_seconds");
	}
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"refresh_family_lifetime_seconds\": 60}", "3600");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"refresh_family_lifetime_seconds\": 0}"), GH_OK);
	assert_int_equal(f->c.refresh_family_lifetime_seconds, 0);
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"refresh_family_lifetime_seconds\": 3600}"), GH_OK);
	assert_int_equal(f->c.refresh_family_lifetime_seconds, 3600);
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"refresh_family_lifetime_seconds\": 315360000}"), GH_OK);
	assert_int_equal(f->c.refresh_family_lifetime_seconds, 315360000);
}

/*
 * Audit retention: 365 days by default, 0 keeps every event, and never
 * less than what the features reading the trail look back over: the
 * activity chart (7 days), the rate rule's baseline, client_unused_days.
 */
static void
test_audit_retention(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\"}"),
	    GH_OK);
	assert_int_equal(f->c.audit_retention_days, 365);
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"audit_retention_days\": 0}"), GH_OK);
	assert_int_equal(f->c.audit_retention_days, 0);
	/* the defaults: client_unused_days 90 is the longest look back */
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"audit_retention_days\": 89}", "client_unused_days");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"audit_retention_days\": 90}"), GH_OK);
	/* without it, the activity chart's 7 days */
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 0, \"audit_retention_days\": 6}",
	    "activity chart");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 0, \"audit_retention_days\": 7}"),
	    GH_OK);
	/* the rate baseline: 86400 x (20 + 1) seconds is 21 days */
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 0, \"rule_rate_window_seconds\": 86400, "
	    "\"rule_rate_baseline_windows\": 20, "
	    "\"audit_retention_days\": 20}", "rule_rate_baseline_windows");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 0, \"rule_rate_window_seconds\": 86400, "
	    "\"rule_rate_baseline_windows\": 20, "
	    "\"audit_retention_days\": 21}"), GH_OK);
	/* the rule switched off reads nothing */
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 0, \"rule_rate_factor\": 0, "
	    "\"rule_rate_window_seconds\": 86400, "
	    "\"rule_rate_baseline_windows\": 20, "
	    "\"audit_retention_days\": 7}"), GH_OK);
	/*
	 * not set, the default grows to what the config reads back: a
	 * config written before retention existed still loads
	 */
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 400}"), GH_OK);
	assert_int_equal(f->c.audit_retention_days, 400);
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"client_unused_days\": 400, \"audit_retention_days\": 365}",
	    "client_unused_days");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"audit_retention_days\": 3651}", "audit_retention_days");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"audit_retention_days\": -1}", "audit_retention_days");
}

static void
test_issuer_required(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{}", "issuer");
	expect_error(f, "{\"listen\": \"127.0.0.1:9000\"}", "issuer");
}

static void
test_issuer_scheme(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"http://auth.example.com\"}",
	    "issuer");
	expect_error(f, "{\"issuer\": \"ftp://auth.example.com\"}", "issuer");
	expect_error(f, "{\"issuer\": \"auth.example.com\"}", "issuer");
	expect_error(f, "{\"issuer\": \"https://\"}", "issuer");
	expect_error(f, "{\"issuer\": \"https://a.example?x=1\"}", "issuer");
	expect_error(f, "{\"issuer\": \"https://a.example#f\"}", "issuer");
	expect_error(f, "{\"issuer\": \"https://a.example/a b\"}", "issuer");

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\"}"),
	    GH_OK);
	assert_true(f->c.secure_cookies);
	/* http only on loopback, and then cookies are not Secure */
	assert_int_equal(load(f, "{\"issuer\": \"http://127.0.0.1:8080\"}"),
	    GH_OK);
	assert_false(f->c.secure_cookies);
	assert_int_equal(load(f, "{\"issuer\": \"http://localhost:8080\"}"),
	    GH_OK);
	assert_false(f->c.secure_cookies);
	assert_int_equal(load(f, "{\"issuer\": \"http://[::1]:8080\"}"),
	    GH_OK);
}

/*
 * https gets the checks http gets: no userinfo (it hides the real host
 * from whoever reads the metadata), a host, no query or fragment.
 */
static void
test_issuer_https_authority(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"https://user:pw@id.example.com\"}",
	    "user name or password");
	expect_error(f, "{\"issuer\": \"https://id.example.com@evil.example"
	    "/t\"}", "user name or password");
	expect_error(f, "{\"issuer\": \"https:///x\"}", "missing host");
	expect_error(f, "{\"issuer\": \"https://:443/x\"}", "missing host");
	expect_error(f, "{\"issuer\": \"https://id.example.com/?\"}",
	    "query");
	expect_error(f, "{\"issuer\": \"https://id.example.com/#\"}",
	    "fragment");
	/* a path after the host may hold an @ */
	assert_int_equal(load(f, "{\"issuer\": "
	    "\"https://id.example.com:8443/t@1\"}"), GH_OK);
	assert_int_equal(load(f, "{\"issuer\": \"https://[2001:db8::1]\"}"),
	    GH_OK);
}

/* A host that only starts like a loopback address is not loopback. */
static void
test_issuer_fake_loopback(void **state)
{
	struct fx *f = *state;

	expect_error(f, "{\"issuer\": \"http://localhost.example.com\"}",
	    "issuer");
	expect_error(f, "{\"issuer\": \"http://127.attacker.example\"}",
	    "issuer");
	expect_error(f, "{\"issuer\": \"http://127.0.0.1.attacker.example\"}",
	    "issuer");
	expect_error(f, "{\"issuer\": \"http://127.0.0.1@attacker.example\"}",
	    "issuer");
	/* userinfo "127.0.0.1:80", host attacker.example */
	expect_error(f, "{\"issuer\": "
	    "\"http://127.0.0.1:80@attacker.example/\"}", "issuer");
	/* the whole of 127.0.0.0/8 is loopback */
	assert_int_equal(load(f, "{\"issuer\": \"http://127.0.0.2:8080\"}"),
	    GH_OK);
}

static void
test_issuer_trailing_slash(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example/\"}"),
	    GH_OK);
	assert_string_equal(f->c.issuer, "https://a.example");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example/t1//\"}"),
	    GH_OK);
	assert_string_equal(f->c.issuer, "https://a.example/t1");
}

static void
test_relative_paths(void **state)
{
	struct fx	*f = *state;
	char		 want[TH_PATH];

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"data/gh.db\", \"key_file\": \"k.key\"}"), GH_OK);
	th_path(want, sizeof(want), f->dir, "data/gh.db");
	assert_string_equal(f->c.database, want);
	th_path(want, sizeof(want), f->dir, "k.key");
	assert_string_equal(f->c.key_file, want);
	/* absolute paths are kept as they are */
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"/var/lib/gh/gh.db\"}"), GH_OK);
	assert_string_equal(f->c.database, "/var/lib/gh/gh.db");
	/* a PostgreSQL URL too */
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"postgresql://gh@db.example/gh\"}"), GH_OK);
	assert_string_equal(f->c.database, "postgresql://gh@db.example/gh");
}

/*
 * "sqlite:PATH" is PATH: the prefix goes before the path is resolved
 * (it became "<folder>/sqlite:/abs/path", a file nobody meant).
 */
static void
test_sqlite_prefix(void **state)
{
	struct fx	*f = *state;
	char		 want[TH_PATH];

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"sqlite:/var/lib/gh/gh.db\"}"), GH_OK);
	assert_string_equal(f->c.database, "/var/lib/gh/gh.db");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"sqlite:data/gh.db\"}"), GH_OK);
	th_path(want, sizeof(want), f->dir, "data/gh.db");
	assert_string_equal(f->c.database, want);
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"sqlite:///var/lib/gh/gh.db\"}", "sqlite://");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"database\": \"sqlite:\"}", "database");
}

static void
test_duplicate_keys(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"issuer\": \"https://b.example\"}"), GH_OK);
	assert_int_not_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"threads\": 1, \"threads\": 2}"), GH_OK);
	assert_non_null(strstr(f->err, "threads"));
}

static void
test_listen(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"0.0.0.0:9000\"}"), GH_OK);
	assert_string_equal(f->c.listen_host, "0.0.0.0");
	assert_int_equal(f->c.listen_port, 9000);
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"[::1]:8443\"}"), GH_OK);
	assert_string_equal(f->c.listen_host, "::1");
	assert_int_equal(f->c.listen_port, 8443);
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"127.0.0.1\"}", "listen");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"127.0.0.1:65536\"}", "listen");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \":80\"}", "listen");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"127.0.0.1:8o\"}", "listen");
	/* the server binds numeric addresses only: a name is refused here */
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"localhost:8080\"}", "numeric IP address");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"id.example.com:443\"}", "numeric IP address");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"[127.0.0.1]:80\"}", "listen");
	expect_error(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"127.1:80\"}", "listen");
	assert_int_equal(load(f, "{\"issuer\": \"https://a.example\", "
	    "\"listen\": \"[::]:80\"}"), GH_OK);
	assert_string_equal(f->c.listen_host, "::");
}

static void
test_missing_file(void **state)
{
	struct fx	*f = *state;
	char		 p[TH_PATH];

	th_path(p, sizeof(p), f->dir, "absent.json");
	assert_int_not_equal(conf_load(p, &f->c, f->err, sizeof(f->err)),
	    GH_OK);
	assert_true(f->err[0] != '\0');
}

/* every jansson allocation failing in turn: the config, or an error */
static void
test_out_of_memory(void **state)
{
	struct fx	*f = *state;
	const char	*json = "{\"issuer\": "
	    "\"https://login.example.com/tenant-one\", "
	    "\"database\": \"a-rather-long-database-file-name.db\"}";
	size_t		 n, failed = 0;
	enum gh_err	 rc;
	bool		 reached;

	th_write_file(f->path, json);
	for (n = 1; ; n++) {
		jf_begin(n);
		rc = conf_load(f->path, &f->c, f->err, sizeof(f->err));
		reached = jf_end();
		if (reached) {
			assert_int_not_equal(rc, GH_OK);
			assert_true(f->err[0] != '\0');
			failed++;
		} else {
			assert_int_equal(rc, GH_OK);
			assert_string_equal(f->c.issuer,
			    "https://login.example.com/tenant-one");
			assert_non_null(strstr(f->c.database,
			    "/a-rather-long-database-file-name.db"));
			break;
		}
	}
	assert_true(failed > 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_minimal_defaults),
		T(test_unknown_key),
		T(test_wrong_type),
		T(test_not_an_object),
		T(test_webhook_secret),
		T(test_private),
		T(test_code_ttl_bounds),
		T(test_family_lifetime_bounds),
		T(test_audit_retention),
		T(test_issuer_required),
		T(test_issuer_scheme),
		T(test_issuer_https_authority),
		T(test_issuer_fake_loopback),
		T(test_issuer_trailing_slash),
		T(test_relative_paths),
		T(test_sqlite_prefix),
		T(test_duplicate_keys),
		T(test_listen),
		T(test_missing_file),
		T(test_out_of_memory),
	};
#undef T

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
