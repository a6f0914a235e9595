/*
 * main.c - wire-up: arguments -> config -> key -> store -> routes ->
 * http server; signals. `gatehouse --help` lists the commands.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "cli/cli.h"
#include "governance/audit.h"
#include "http/server.h"
#include "jose/jose_mem.h"
#include "routes.h"
#include "upkeep.h"
#include "governance/gov.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/fdlimit.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/password.h"

static const char usage[] =
    "usage: gatehouse [--config FILE] COMMAND\n"
    "\n"
    "  serve                         run the server\n"
    "  check-config                  validate the config and key file\n"
    "                                (and that the key is the database's)\n"
    "  init [--issuer URL] [--listen HOST:PORT] [--database PATH]\n"
    "                                create config, key and database\n"
    "  client add --name N --owner O --redirect-uri URI [...]\n"
    "             [--scope \"a b\"] [--public] [--auth-method M]\n"
    "             [--id-token-alg RS256|ES256] [--jwks FILE|JSON]\n"
    "             [--access-token-format opaque|jwt] [--require-nonce]\n"
    "             [--allow-network CIDR ...] [--json]\n"
    "  client list [--json] | show CLIENT_ID [--json]  (show: always JSON)\n"
    "  client disable|enable CLIENT_ID [--reason TEXT]\n"
    "  client rotate-secret CLIENT_ID [--json]\n"
    "  client quarantine CLIENT_ID --reason TEXT\n"
    "  user add --username NAME --password-stdin [--json]\n"
    "             [--name N] [--email E] [--email-verified]\n"
    "  user list [--json] | disable USERNAME | enable USERNAME\n"
    "  user passwd USERNAME [--password-stdin]  (reads standard input)\n"
    "  user profile USERNAME [--name N] [--email E] [--email-verified]\n"
    "  keys list [--json] | rotate [--alg RS256|ES256] [--lead SECONDS]\n"
    "  keys retire KID\n"
    "  grant list [--client ID] [--user NAME] [--json]\n"
    "  grant revoke GRANT_ID | --client ID | --user NAME, and --reason TEXT\n"
    "  audit verify [--anchor SEQ:HASH] | export [--since UNIX_TIME]\n"
    "  alert list [--all] [--client ID] [--json] | ack ID [--by NAME]\n"
    "  inventory [--json]            every app, riskiest first\n"
    "  admin add --name NAME [--json] | list [--json] | disable NAME\n"
    "                                admin API and console credentials\n"
    "\n"
    "A command refuses (exit 2) any option not shown for it.\n"
    "FILE defaults to $GATEHOUSE_CONFIG, else ./gatehouse.json\n";

/*
 * A stop signal within a second (its number), or 0. SIGHUP is taken and
 * only logged: there is nothing to reload (the config is read once), and
 * a HUP sent out of habit (a log rotation, `reload`) must not stop an
 * authorization server; a closed terminal does not stop it either.
 */
static int
wait_stop(const sigset_t *set)
{
	struct timespec	ts = { 1, 0 };
	int		sig = sigtimedwait(set, NULL, &ts);

	if (sig == SIGHUP) {
		log_kv(LOG_WARN, "signal_ignored", "signal", "HUP", "msg",
		    "gatehouse has no reload: restart it to apply a changed "
		    "config (SIGTERM drains and stops)", NULL);
		return 0;
	}
	return sig > 0 ? sig : 0;
}

static const char *
signal_name(int sig)
{
	return sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : "QUIT";
}

/*
 * The connections the open-file limit allows (util/fdlimit.h): the soft
 * limit raised as far as max_connections needs, and if the hard limit is
 * short of that, fewer connections, said once at start.
 */
static unsigned
fd_budget(const struct app *app)
{
	struct fd_budget	b;
	char			v[5][24];

	(void)fd_budget_apply((unsigned)app->conf.max_connections,
	    http_threads((unsigned)app->conf.threads), &b);
	snprintf(v[0], sizeof(v[0]), "%llu", (unsigned long long)b.soft);
	snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)b.now);
	snprintf(v[2], sizeof(v[2]), "%u", b.connections);
	snprintf(v[3], sizeof(v[3]), "%lld",
	    (long long)app->conf.max_connections);
	snprintf(v[4], sizeof(v[4]), "%llu", (unsigned long long)b.reserve);
	if (b.now != b.soft)
		log_kv(LOG_INFO, "open_file_limit_raised", "from", v[0], "to",
		    v[1], NULL);
	if (b.connections < (unsigned)app->conf.max_connections)
		log_kv(LOG_WARN, "max_connections_lowered", "configured", v[3],
		    "now", v[2], "open_file_limit", v[1], "kept_for_the_rest",
		    v[4], "raise", "the hard limit (LimitNOFILE=, ulimit -Hn)",
		    NULL);
	return b.connections;
}

static int
serve(const char *config_path)
{
	struct app		 app;
	struct http_server	*srv = NULL;
	struct upkeep		*upkeep = NULL;
	struct http_config	 hc;
	sigset_t		 set;
	int			 sig = 0;
	char			 port[16];

	/*
	 * Block the stop signals before any thread exists (the store starts
	 * its own), so every thread inherits the mask and main alone takes
	 * them. A thread started earlier would be killed by a SIGTERM that
	 * arrives while main is between two waits. TERM, INT and QUIT drain
	 * and stop; HUP is logged and ignored (wait_stop). Unblocked, HUP
	 * and QUIT would kill the process without a drain.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!cli_open_serve(config_path, &app))
		return 1;
	if (!cli_ensure_keys(&app) || keyring_open(app.store, app.key,
	    sizeof(app.key), cli_publish_after(&app.conf), &app.keys) != GH_OK ||
	    keyring_reload(app.keys, clock_now()) != GH_OK) {
		log_kv(LOG_ERROR, "signing_keys_unavailable", NULL);
		cli_close(&app);
		return 1;
	}
	if (password_init() != GH_OK) {
		log_kv(LOG_ERROR, "password_init_failed", NULL);
		cli_close(&app);
		return 1;
	}
	if (gov_start(&app, &app.gov) != GH_OK) {
		log_kv(LOG_ERROR, "governance_unavailable", NULL);
		cli_close(&app);
		return 1;
	}
	memset(&hc, 0, sizeof(hc));
	hc.host = app.conf.listen_host;
	hc.port = app.conf.listen_port;
	hc.threads = (unsigned)app.conf.threads;
	hc.max_connections = fd_budget(&app);
	hc.per_ip_connections = (unsigned)app.conf.per_ip_connections;
	hc.timeout_seconds = (unsigned)app.conf.connection_timeout_seconds;
	hc.request_deadline_seconds =
	    (unsigned)app.conf.request_deadline_seconds;
	hc.trusted_proxies = app.conf.trusted_proxies;
	if (http_start(&hc, routes_dispatch, &app, &srv) != GH_OK) {
		log_kv(LOG_ERROR, "listen_failed", "listen", app.conf.listen,
		    NULL);
		gov_stop(app.gov);
		cli_close(&app);
		return 1;
	}
	if (upkeep_start(&app, &upkeep) != GH_OK)
		log_kv(LOG_WARN, "upkeep_unavailable", NULL);
	snprintf(port, sizeof(port), "%u", http_port(srv));
	log_kv(LOG_INFO, "listening", "host", app.conf.listen_host, "port",
	    port, "issuer", app.conf.issuer, NULL);
	/* a stop signal, or a store that can no longer make writes durable */
	while ((sig = wait_stop(&set)) == 0 && store_durable(app.store))
		;
	if (sig == 0)
		log_kv(LOG_ERROR, "stopping", "reason", "store_not_durable",
		    NULL);
	else
		log_kv(LOG_INFO, "stopping", "signal", signal_name(sig), NULL);
	http_stop(srv, (unsigned)app.conf.drain_seconds);
	upkeep_stop(upkeep);
	gov_stop(app.gov);
	app.gov = NULL;
	cli_close(&app);
	log_kv(LOG_INFO, "stopped", NULL);
	return sig == 0 ? 1 : 0;
}

/* An admin command: argv[0] is its name. */
static int
command(const char *config, int argc, char **argv)
{
	if (strcmp(argv[0], "check-config") == 0 && argc == 1)
		return cmd_check_config(config);
	if (strcmp(argv[0], "init") == 0)
		return cmd_init(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "client") == 0)
		return cmd_client(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "user") == 0)
		return cmd_user(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "keys") == 0)
		return cmd_keys(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "grant") == 0)
		return cmd_grant(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "alert") == 0)
		return cmd_alert(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "inventory") == 0)
		return cmd_inventory(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "audit") == 0)
		return cmd_audit(config, argc - 1, argv + 1);
	if (strcmp(argv[0], "admin") == 0)
		return cmd_admin(config, argc - 1, argv + 1);
	fprintf(stderr, "gatehouse: unknown command \"%s\"\n%s", argv[0],
	    usage);
	return 2;
}

int
main(int argc, char **argv)
{
	const char	*config = getenv("GATEHOUSE_CONFIG");
	int		 i = 1, rc;

	/*
	 * Blocks of 256 KiB and up come from mmap and are unmapped when freed.
	 * Without a fixed threshold glibc raises it to the largest block freed
	 * so far, and Argon2id's 19 MiB would then stay in a thread's heap
	 * for good after the second login.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/*
	 * Every file made from here on is this user's alone, whatever the
	 * shell's umask: the config, the key, the database and its -wal and
	 * -shm hold secrets, hashes, emails and the audit trail. The store
	 * also tightens an existing database found readable by others.
	 */
	umask(077);
	json_mem_init();	/* before anything uses jansson */
	jose_mem_init();	/* and cjose */
	if (config == NULL || config[0] == '\0')
		config = "gatehouse.json";
	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		config = argv[2];
		i = 3;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (strcmp(argv[i], "serve") == 0 && argc == i + 1)
		return serve(config);
	log_set_level(LOG_WARN);	/* admin commands: only problems */
	rc = command(config, argc - i, argv + i);
	/* output cut short by a failed write (a full disk) is no success */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
		fprintf(stderr, "gatehouse: could not write the output\n");
		rc = 1;
	}
	/* a change made but not audited is not a success */
	if (rc == 0 && audit_failures() > 0) {
		fprintf(stderr, "gatehouse: the change was made, but its audit "
		    "event could not be stored (see the log line above)\n");
		rc = 1;
	}
	return rc;
}
