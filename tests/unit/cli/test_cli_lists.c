/*
 * test_cli_lists.c - cli/: the admin command's lists (client, grant,
 * alert, admin list --json, audit export, inventory --json, client show)
 * print the whole list and exit 0, or exit non-zero saying why on
 * stderr, whichever jansson allocation fails. An item that could not be
 * printed used to be skipped (or to end the walk) with exit status 0.
 * Text lists show what the database holds with its control characters
 * escaped (cli_line): an alert quoting a User-Agent printed it raw, so a
 * request could drive the terminal of whoever ran `alert list`.
 */
#include "../harness.h"
#include "../json_fault.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "admin/admin_auth.h"
#include "cli/cli.h"
#include "governance/audit.h"
#include "oauth/secret.h"
#include "util/clock.h"
#include "util/keyfile.h"
#include "util/log.h"

#define OUT_MAX	65536

typedef int (*command)(const char *, int, char **);

struct fx {
	char	dir[TH_PATH];
	char	config[TH_PATH];
	char	out_path[TH_PATH];
	char	err_path[TH_PATH];
	char	out[OUT_MAX];
	char	err[4096];
};

static void
add_data(struct fx *f)
{
	struct app		 app;
	struct client_row	*c;
	struct user_row		 u;
	struct grant_row	 g;
	struct alert_row	 a;
	struct admin_row	 ad;
	struct audit_row	 r;
	char			 db[TH_PATH];
	uint8_t			 chain[GH_HASH_BYTES];
	bool			 raised;
	const char		*ids[] = { "app-one", "app-two" };
	size_t			 i;

	th_app_init(&app);
	th_path(db, sizeof(db), f->dir, "gatehouse.db");
	assert_int_equal(store_open(db, &app.store), GH_OK);
	assert_int_equal(audit_chain_key(app.key, sizeof(app.key), chain),
	    GH_OK);
	store_set_audit_key(app.store, chain);
	for (i = 0; i < 2; i++) {
		c = th_client_new(ids[i], clock_now());
		assert_int_equal(store_client_insert(app.store, c, NULL), GH_OK);
		free(c);
	}
	th_user_init(&u, "u-alice", "alice", clock_now());
	assert_int_equal(store_user_insert(app.store, &u, NULL), GH_OK);
	th_user_init(&u, "u-bob", "bob", clock_now());
	assert_int_equal(store_user_insert(app.store, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "u-alice", "app-one",
	    "openid profile", clock_now(), &g), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "u-bob", "app-two",
	    "openid", clock_now(), &g), GH_OK);
	memset(&a, 0, sizeof(a));
	a.time = clock_now();
	str_copy(a.rule, sizeof(a.rule), "refresh_reuse");
	str_copy(a.severity, sizeof(a.severity), "high");
	str_copy(a.client_id, sizeof(a.client_id), "app-one");
	str_copy(a.summary, sizeof(a.summary), "a refresh token came back");
	str_copy(a.evidence, sizeof(a.evidence),
	    "{\"event\":\"token.refreshed\",\"n\":2}");
	str_copy(a.dedupe_key, sizeof(a.dedupe_key), "k1");
	assert_int_equal(store_alert_raise(app.store, &a, 0, &raised), GH_OK);
	memset(&ad, 0, sizeof(ad));
	str_copy(ad.name, sizeof(ad.name), "ops");
	th_hash("cred-ops", ad.secret_hash);
	ad.created_at = clock_now();
	assert_int_equal(store_admin_insert(app.store, &ad, NULL), GH_OK);
	str_copy(ad.name, sizeof(ad.name), "oncall");
	th_hash("cred-oncall", ad.secret_hash);
	assert_int_equal(store_admin_insert(app.store, &ad, NULL), GH_OK);
	memset(&r, 0, sizeof(r));
	r.time = clock_now();
	r.type = "client.created";
	r.actor = "admin";
	r.client_id = "app-one";
	r.detail = "{\"status\":\"active\"}";
	assert_int_equal(store_audit_append(app.store, &r), GH_OK);
	r.type = "grant.revoked";
	r.detail = "{\"reason\":\"test\",\"grants_revoked\":1}";
	assert_int_equal(store_audit_append(app.store, &r), GH_OK);
	store_close(app.store);
}

/* a config, the server key and a database with two of everything */
static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 key_path[TH_PATH];
	uint8_t		 key[GH_KEY_BYTES];

	if (f == NULL)
		return -1;
	th_tmpdir(f->dir, sizeof(f->dir));
	th_path(f->config, sizeof(f->config), f->dir, "gatehouse.json");
	th_path(f->out_path, sizeof(f->out_path), f->dir, "stdout");
	th_path(f->err_path, sizeof(f->err_path), f->dir, "stderr");
	th_path(key_path, sizeof(key_path), f->dir, "gatehouse.key");
	th_write_file(f->config, "{\"issuer\": \"http://127.0.0.1:8080\", "
	    "\"database\": \"gatehouse.db\", "
	    "\"key_file\": \"gatehouse.key\"}");
	assert_int_equal(keyfile_create(key_path, key, sizeof(key)), GH_OK);
	add_data(f);
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

/* the whole of a file into buf (NUL-terminated) */
static void
slurp(const char *path, char *buf, size_t size)
{
	FILE	*fp = fopen(path, "r");
	size_t	 n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	assert_true(n < size - 1);
	buf[n] = '\0';
	fclose(fp);
}

/* fd (1 or 2) to path; the old one's copy returned */
static int
redirect(int fd, const char *path)
{
	int keep = dup(fd), to;

	assert_true(keep >= 0);
	to = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(to >= 0);
	assert_true(dup2(to, fd) >= 0);
	close(to);
	return keep;
}

static void
restore(int fd, int keep)
{
	assert_true(dup2(keep, fd) >= 0);
	close(keep);
}

/* Run cmd with its output in f->out and f->err; its exit status. */
static int
run(struct fx *f, command cmd, int argc, char **argv)
{
	int	out, err, rc;

	fflush(stdout);
	fflush(stderr);
	out = redirect(1, f->out_path);
	err = redirect(2, f->err_path);
	rc = cmd(f->config, argc, argv);
	fflush(stdout);
	fflush(stderr);
	restore(1, out);
	restore(2, err);
	slurp(f->out_path, f->out, sizeof(f->out));
	slurp(f->err_path, f->err, sizeof(f->err));
	return rc;
}

/*
 * cmd's output, first with plain allocation, then with each jansson
 * allocation failing in turn: the same output and exit 0, or a non-zero
 * exit with a reason on stderr. `has` must be in the whole output.
 */
static void
whole_or_fails(struct fx *f, command cmd, int argc, char **argv,
    const char *has)
{
	char	*want;
	size_t	 n, failed = 0;
	bool	 reached;
	int	 rc;

	assert_int_equal(run(f, cmd, argc, argv), 0);
	assert_string_equal(f->err, "");
	assert_non_null(strstr(f->out, has));
	assert_non_null(want = strdup(f->out));
	for (n = 1; ; n++) {
		jf_begin(n);
		rc = run(f, cmd, argc, argv);
		reached = jf_end();
		if (reached) {
			if (rc == 0)
				fail_msg("allocation %zu failed, exit 0:\n%s",
				    n, f->out);
			assert_true(f->err[0] != '\0');
			failed++;
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(f->out, want);
			break;
		}
	}
	assert_true(failed > 0);
	free(want);
}

static void
test_client_list(void **state)
{
	char *argv[] = { "list", "--json", NULL };

	whole_or_fails(*state, cmd_client, 2, argv, "\"app-two\"");
}

static void
test_client_show(void **state)
{
	char *argv[] = { "show", "app-one", NULL };

	whole_or_fails(*state, cmd_client, 2, argv, "redirect_uris");
}

static void
test_grant_list(void **state)
{
	char *argv[] = { "list", "--json", NULL };

	whole_or_fails(*state, cmd_grant, 2, argv, "\"bob\"");
}

static void
test_alert_list(void **state)
{
	char *argv[] = { "list", "--json", NULL };

	whole_or_fails(*state, cmd_alert, 2, argv, "token.refreshed");
}

static void
test_admin_list(void **state)
{
	char *argv[] = { "list", "--json", NULL };

	whole_or_fails(*state, cmd_admin, 2, argv, "\"oncall\"");
}

static void
test_audit_export(void **state)
{
	char *argv[] = { "export", NULL };

	whole_or_fails(*state, cmd_audit, 1, argv, "\"grants_revoked\":1");
}

static void
test_inventory(void **state)
{
	char *argv[] = { "--json", NULL };

	whole_or_fails(*state, cmd_inventory, 1, argv, "\"app-two\"");
}

/* cli_line as a command: argv[0] printed as one line */
static int
line_cmd(const char *config, int argc, char **argv)
{
	(void)config;
	(void)argc;
	return cli_line(NULL, "[%s]", argv[0]) ? 0 : 1;
}

static void
test_cli_line_escapes(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "a\x1b]0;x\x07 \xc2\x9b" "2J\x7f \\ \xff"
	    " caf\xc3\xa9\n", NULL };

	assert_int_equal(run(f, line_cmd, 1, argv), 0);
	assert_string_equal(f->out, "[a\\x1b]0;x\\x07 \\xc2\\x9b2J\\x7f "
	    "\\\\ \\xff caf\xc3\xa9\\x0a]\n");
}

/*
 * Bidirectional formatting characters reorder what follows them on the
 * terminal: escaped by code point; other characters of those blocks are
 * not (U+2010, a hyphen; U+2065, unassigned).
 */
static void
test_cli_line_escapes_bidi(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "a\xe2\x80\xae" "dcba\xe2\x80\xac b\xe2\x81\xa6"
	    "c\xe2\x81\xa9 \xe2\x80\x8f\xd8\x9c \xe2\x80\x90\xe2\x81\xa5", NULL };

	assert_int_equal(run(f, line_cmd, 1, argv), 0);
	assert_string_equal(f->out, "[a\\u202edcba\\u202c b\\u2066c\\u2069 "
	    "\\u200f\\u061c \xe2\x80\x90\xe2\x81\xa5]\n");
}

/* no byte that a terminal takes as a control, but the line ends */
static void
assert_inert(const char *out)
{
	const unsigned char *u = (const unsigned char *)out;

	for (; *u; u++) {
		if ((*u < 0x20 && *u != '\n') || *u == 0x7f || *u == 0x9b ||
		    (u[0] == 0xc2 && u[1] >= 0x80 && u[1] < 0xa0))
			fail_msg("control 0x%02x at %zu in:\n%s", *u,
			    (size_t)(u - (const unsigned char *)out), out);
	}
}

#define HOSTILE	"\x1b]0;pwned\x07\x1b[2J\xc2\x9b" "31m"

/* rows written by hand, or before the intake filtered them */
static void
add_hostile(struct fx *f)
{
	struct app		 app;
	struct client_row	*c;
	struct user_row		 u;
	struct grant_row	 g;
	struct alert_row	 a;
	struct admin_row	 ad;
	char			 db[TH_PATH];
	bool			 raised;

	th_app_init(&app);
	th_path(db, sizeof(db), f->dir, "gatehouse.db");
	assert_int_equal(store_open(db, &app.store), GH_OK);
	c = th_client_new("app-" HOSTILE, clock_now());
	str_copy(c->name, sizeof(c->name), "name " HOSTILE);
	str_copy(c->owner, sizeof(c->owner), "owner " HOSTILE);
	assert_int_equal(store_client_insert(app.store, c, NULL), GH_OK);
	th_user_init(&u, "u-evil", "user" HOSTILE, clock_now());
	assert_int_equal(store_user_insert(app.store, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "u-evil", c->id,
	    "openid " HOSTILE, clock_now(), &g), GH_OK);
	memset(&a, 0, sizeof(a));
	a.time = clock_now();
	str_copy(a.rule, sizeof(a.rule), "new_user_agent");
	str_copy(a.severity, sizeof(a.severity), "medium");
	str_copy(a.client_id, sizeof(a.client_id), c->id);
	str_copy(a.summary, sizeof(a.summary), "a grant was refreshed from a "
	    "user agent it was never used from before: " HOSTILE);
	str_copy(a.evidence, sizeof(a.evidence), "{}");
	str_copy(a.dedupe_key, sizeof(a.dedupe_key), "k-evil");
	assert_int_equal(store_alert_raise(app.store, &a, 0, &raised), GH_OK);
	memset(&ad, 0, sizeof(ad));
	str_copy(ad.name, sizeof(ad.name), "adm" HOSTILE);
	th_hash("cred-evil", ad.secret_hash);
	ad.created_at = clock_now();
	assert_int_equal(store_admin_insert(app.store, &ad, NULL), GH_OK);
	free(c);
	store_close(app.store);
}

static void
test_text_lists_escape(void **state)
{
	struct fx	*f = *state;
	char		*client[] = { "list", NULL }, *inv[] = { NULL };
	struct {
		command	 cmd;
		int	 argc;
		char	**argv;
	} lists[] = {
		{ cmd_client, 1, client }, { cmd_user, 1, client },
		{ cmd_grant, 1, client }, { cmd_alert, 1, client },
		{ cmd_admin, 1, client }, { cmd_inventory, 0, inv },
	};
	size_t		 i;

	add_hostile(f);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		assert_int_equal(run(f, lists[i].cmd, lists[i].argc,
		    lists[i].argv), 0);
		assert_inert(f->out);
		/* shown, escaped, not dropped */
		if (strstr(f->out, "\\x1b]0;pwned\\x07\\x1b[2J\\xc2\\x9b31m")
		    == NULL)
			fail_msg("list %zu:\n%s", i, f->out);
	}
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_client_list),
		T(test_client_show),
		T(test_grant_list),
		T(test_alert_list),
		T(test_admin_list),
		T(test_audit_export),
		T(test_inventory),
		T(test_cli_line_escapes),
		T(test_cli_line_escapes_bidi),
		T(test_text_lists_escape),
	};
#undef T

	log_set_level(LOG_WARN);
	umask(077);	/* as gatehouse's main() sets it for every command */
	return cmocka_run_group_tests_name("cli lists", tests, NULL, NULL);
}
