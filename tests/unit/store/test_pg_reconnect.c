/*
 * test_pg_reconnect.c - PostgreSQL connections that break (pg.c,
 * pg_pipe.c), through a Unix-socket proxy of the test's own between the
 * store and the server:
 *  - a connection the server ended while it sat idle in the pool is made
 *    again before it is used: the next write succeeds, once;
 *  - a write whose connection breaks after the server ran it is not sent
 *    again, since it may have committed: the store says its outcome is
 *    unknown (GH_ERR_IO), and an audit event is stored once, not twice,
 *    whether its COMMIT went in the transaction's first round trip or not;
 *  - a removal of access made with its event (a grant revocation, a key
 *    retirement, an admin disable) stores both or neither, whether the
 *    connection breaks under its change or after its COMMIT ran;
 *  - a refresh rotation or a code redemption whose last round trip (the
 *    new tokens and COMMIT) lost its connection is resolved (pg_outcome.c):
 *    committed, the call succeeds and a second use is a reuse or replay;
 *    never sent, the call fails with nothing written and a retry succeeds;
 *    so behind a pooler too, and while the old backend lives on once its
 *    transaction has ended; while that transaction is still open, or on
 *    another server instance, the outcome stays unknown;
 *  - a server that takes the connection and never answers is given up on
 *    after GH_PG_CONNECT_TIMEOUT seconds, not waited for for ever;
 *  - with the database down, a batch of audit rows fails after one
 *    attempt to connect, not one more per row;
 *  - inside a request, a write whose outcome is unknown, or that gets no
 *    connection, fails the request though its caller went on.
 * PostgreSQL only: on SQLite (unit) every test is skipped.
 */
#include "../harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/log.h"

#define NOW		1700000000
#define PAIRS		16
#define KILL_AFTER	0.3	/* s the server gets to run what it was sent */

/*
 * The proxy: one thread, every connection pair in one poll loop. When a
 * chunk from the store contains the armed trigger, the pair is cut as the
 * armed `cut` says. drop_all closes every pair at once: connections the
 * server ended while idle. With fake_pids, the backend id the server
 * gives a new connection is replaced, as a pooler does.
 */
enum cut {
	/* pass the chunk on, drop every answer after it, close the pair
	 * KILL_AFTER later: lost after the server ran it */
	CUT_AFTER_RUN,
	/* drop the chunk and close the pair: lost before the server saw it */
	CUT_BEFORE_RUN,
	/* as CUT_AFTER_RUN, but the server's side stays open until the
	 * proxy stops: the old backend lives on */
	CUT_STORE_SIDE,
	/* as CUT_BEFORE_RUN, but the server's side stays open: the old
	 * backend waits inside its transaction, as after a network cut */
	CUT_HOLD_BEFORE_RUN,
};

struct pair {
	int	 cfd, ufd;
	double	 kill_at;	/* 0: none */
	bool	 hold;		/* keep ufd open at kill_at */
};

struct proxy {
	char		 listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		 up_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 lfd;
	pthread_t	 th;
	atomic_bool	 stop, drop_all, fake_pids;
	/* the database is down: each new connection is closed at once */
	atomic_bool	 refuse;
	atomic_int	 refused;	/* connections refused so far */
	pthread_mutex_t	 mu;
	char		 trigger[64];	/* "" when not armed; under mu */
	enum cut	 cut;		/* under mu */
	struct pair	 p[PAIRS];
	int		 n;
	int		 held[PAIRS];	/* server sides kept open */
	int		 nheld;
};

struct fixture {
	struct th_store	*t;
	struct proxy	 px;
	struct store	*s;	/* through the proxy */
};

static int
unix_socket(const char *path, bool listening)
{
	struct sockaddr_un	sa = { .sun_family = AF_UNIX };
	int			fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
	    path) < sizeof(sa.sun_path));
	if (listening) {
		assert_int_equal(bind(fd, (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
		assert_int_equal(listen(fd, PAIRS), 0);
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
write_all(int fd, const char *b, ssize_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, b, (size_t)n)) > 0) {
		b += w;
		n -= w;
	}
}

static void
close_pair(struct proxy *px, int i)
{
	close(px->p[i].cfd);
	if (px->p[i].hold && px->nheld < PAIRS)
		px->held[px->nheld++] = px->p[i].ufd;
	else
		close(px->p[i].ufd);
	px->p[i] = px->p[--px->n];
}

/* A chunk from the store: cut the pair if it holds the trigger. */
static void
from_store(struct proxy *px, struct pair *p, const char *b, ssize_t n)
{
	bool drop = false;

	pthread_mutex_lock(&px->mu);
	if (px->trigger[0] && p->kill_at == 0 &&
	    memmem(b, (size_t)n, px->trigger, strlen(px->trigger)) != NULL) {
		px->trigger[0] = '\0';
		drop = px->cut == CUT_BEFORE_RUN ||
		    px->cut == CUT_HOLD_BEFORE_RUN;
		p->hold = px->cut == CUT_STORE_SIDE ||
		    px->cut == CUT_HOLD_BEFORE_RUN;
		/* a dropped chunk: the pair goes at the next turn */
		p->kill_at = clock_mono() + (drop ? 0 : KILL_AFTER);
	}
	pthread_mutex_unlock(&px->mu);
	if (!drop)
		write_all(p->ufd, b, n);
}

/*
 * A pooler's BackendKeyData: 'K', length 12, then a process id that is
 * nobody's (above Linux's largest pid_max) and the cancel key.
 */
#define FAKE_PID	999999999
static void
fake_pid(char *b, ssize_t n)
{
	static const char	k[5] = { 'K', 0, 0, 0, 12 };
	uint32_t		pid = htonl(FAKE_PID);
	ssize_t			i;

	for (i = 0; i + 13 <= n; i++)
		if (memcmp(b + i, k, sizeof(k)) == 0)
			memcpy(b + i + 5, &pid, 4);
}

static void *
proxy_run(void *arg)
{
	struct proxy	*px = arg;
	struct pollfd	 f[1 + 2 * PAIRS];
	char		 b[65536];
	ssize_t		 n;
	int		 i, fd, up;

	while (!atomic_load(&px->stop)) {
		if (atomic_exchange(&px->drop_all, false))
			while (px->n > 0)
				close_pair(px, 0);
		f[0] = (struct pollfd){ .fd = px->lfd, .events = POLLIN };
		for (i = 0; i < px->n; i++) {
			f[1 + 2 * i] = (struct pollfd){ .fd = px->p[i].cfd,
			    .events = POLLIN };
			f[2 + 2 * i] = (struct pollfd){ .fd = px->p[i].ufd,
			    .events = POLLIN };
		}
		if (poll(f, (nfds_t)(1 + 2 * px->n), 20) < 0 && errno != EINTR)
			break;
		for (i = px->n - 1; i >= 0; i--) {
			struct pair *p = &px->p[i];

			if (p->kill_at != 0 && clock_mono() > p->kill_at) {
				close_pair(px, i);
				continue;
			}
			if (f[1 + 2 * i].revents != 0) {
				if ((n = read(p->cfd, b, sizeof(b))) <= 0) {
					close_pair(px, i);
					continue;
				}
				from_store(px, p, b, n);
			}
			if (f[2 + 2 * i].revents != 0) {
				if ((n = read(p->ufd, b, sizeof(b))) <= 0) {
					close_pair(px, i);
					continue;
				}
				if (atomic_load(&px->fake_pids))
					fake_pid(b, n);
				if (p->kill_at == 0)	/* else: lost */
					write_all(p->cfd, b, n);
			}
		}
		if ((f[0].revents & POLLIN) && px->n < PAIRS &&
		    (fd = accept(px->lfd, NULL, NULL)) >= 0) {
			if (atomic_load(&px->refuse)) {
				close(fd);
				atomic_fetch_add(&px->refused, 1);
				continue;
			}
			if ((up = unix_socket(px->up_path, false)) < 0) {
				close(fd);
				continue;
			}
			px->p[px->n++] = (struct pair){ fd, up, 0, false };
		}
	}
	while (px->n > 0)
		close_pair(px, 0);
	while (px->nheld > 0)
		close(px->held[--px->nheld]);
	return NULL;
}

static void
arm_cut(struct proxy *px, const char *trigger, enum cut cut)
{
	pthread_mutex_lock(&px->mu);
	snprintf(px->trigger, sizeof(px->trigger), "%s", trigger);
	px->cut = cut;
	pthread_mutex_unlock(&px->mu);
}

static void
arm(struct proxy *px, const char *trigger)
{
	arm_cut(px, trigger, CUT_AFTER_RUN);
}

/*
 * The test's URL with host= pointing at the proxy's folder; the proxy
 * listens there under the server's socket name.
 */
static void
proxied_url(const struct th_store *t, struct proxy *px, char *out,
    size_t outsz)
{
	const char	*h = strstr(t->path, "host="), *end, *port;
	char		 dir[TH_PATH];
	uint64_t	 pn = 5432;
	int		 n;

	assert_non_null(h);
	h += 5;
	end = h + strcspn(h, "&");
	assert_true((size_t)(end - h) < sizeof(dir));
	memcpy(dir, h, (size_t)(end - h));
	dir[end - h] = '\0';
	if ((port = strstr(t->path, "port=")) != NULL)
		assert_int_equal(parse_u64((struct slice){ port + 5,
		    strcspn(port + 5, "&") }, 1, 65535, &pn), GH_OK);
	n = snprintf(px->up_path, sizeof(px->up_path), "%s/.s.PGSQL.%d", dir,
	    (int)pn);
	assert_true(n > 0 && (size_t)n < sizeof(px->up_path));
	n = snprintf(px->listen_path, sizeof(px->listen_path),
	    "%s/.s.PGSQL.%d", t->dir, (int)pn);
	assert_true(n > 0 && (size_t)n < sizeof(px->listen_path));
	n = snprintf(out, outsz, "%.*s%s%s", (int)(h - t->path), t->path,
	    t->dir, end);
	assert_true(n > 0 && (size_t)n < outsz);
}

static int
setup(void **state)
{
	struct fixture	*fx;
	char		 url[TH_PATH * 2];
	uint8_t		 key[GH_HASH_BYTES] = { 7 };

	if (th_pg_url() == NULL) {
		*state = NULL;
		return 0;
	}
	if ((fx = calloc(1, sizeof(*fx))) == NULL ||
	    th_store_setup((void **)&fx->t) != 0)
		return -1;
	proxied_url(fx->t, &fx->px, url, sizeof(url));
	pthread_mutex_init(&fx->px.mu, NULL);
	fx->px.lfd = unix_socket(fx->px.listen_path, true);
	assert_int_equal(pthread_create(&fx->px.th, NULL, proxy_run,
	    &fx->px), 0);
	if (store_open(url, &fx->s) != GH_OK)
		return -1;
	store_set_audit_key(fx->s, key);
	store_set_audit_key(fx->t->s, key);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx == NULL)
		return 0;
	store_close(fx->s);
	atomic_store(&fx->px.stop, true);
	pthread_join(fx->px.th, NULL);
	close(fx->px.lfd);
	unlink(fx->px.listen_path);
	pthread_mutex_destroy(&fx->px.mu);
	*state = fx->t;
	th_store_teardown(state);
	free(fx);
	return 0;
}

static struct fixture *
pg_only(void **state)
{
	if (*state == NULL)
		skip();
	return *state;
}

static enum gh_err
append(struct store *s, const char *type)
{
	struct audit_row r = { .time = NOW, .type = type };

	return store_audit_append(s, &r);
}

/* The server ends every connection of the store while it is idle. */
static void
drop_connections(struct fixture *fx)
{
	atomic_store(&fx->px.drop_all, true);
	while (atomic_load(&fx->px.drop_all))
		usleep(1000);
	usleep(50000);		/* the pooled connection's socket sees EOF */
}

static void
test_connection_ended_while_idle_is_made_again(void **state)
{
	struct fixture *fx = pg_only(state);

	assert_int_equal(append(fx->s, "first.event"), GH_OK);
	drop_connections(fx);
	assert_int_equal(append(fx->s, "after.drop"), GH_OK);
	assert_int_equal(th_audit_count(fx->t, "after.drop"), 1);
}

/*
 * A connection reset (pg_reset) is a new session: with the database's
 * default synchronous_commit off, it must be turned on again for that
 * session, as it is for a connection made the first time (pg_connect);
 * else every commit on it returns before its flush. The reset here is the
 * one after a write whose answers were lost; the pool's other connections
 * were made before the default changed.
 */
static void
test_session_reset_is_durable(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct th_stderr	 log;
	const char		*over = "\"setting\":\"synchronous_commit\","
	    "\"was\":\"off\",\"now\":\"on\"";

	assert_int_equal(append(fx->s, "first.event"), GH_OK);
	th_sql_exec(fx->t, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I "
	    "SET synchronous_commit = off', current_database()); END $$");
	th_stderr_begin(&log);
	arm(&fx->px, "lost.event");
	assert_int_equal(append(fx->s, "lost.event"), GH_ERR_IO);
	th_stderr_end(&log);
	th_sql_exec(fx->t, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I "
	    "RESET synchronous_commit', current_database()); END $$");
	assert_int_equal(th_stderr_count(&log,
	    "\"event\":\"store_outcome_unknown\""), 1);
	assert_int_equal(th_stderr_count(&log, over), 1);
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

static void
test_write_broken_after_it_ran_is_not_sent_again(void **state)
{
	struct fixture	*fx = pg_only(state);
	struct admin_row a;

	/* the chain's end is known: the next batch is one pipeline */
	assert_int_equal(append(fx->s, "warmup.event"), GH_OK);
	arm(&fx->px, "dup-check.event");
	assert_int_equal(append(fx->s, "dup-check.event"), GH_ERR_IO);
	assert_int_equal(th_audit_count(fx->t, "dup-check.event"), 1);

	/* a conditional update on its own (it commits by itself) */
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "victim-admin");
	a.secret_hash[0] = 1;
	a.created_at = NOW;
	assert_int_equal(store_admin_insert(fx->s, &a, NULL), GH_OK);
	arm(&fx->px, "victim-admin");
	assert_int_equal(store_admin_disable(fx->s, "victim-admin", NOW + 1),
	    GH_ERR_IO);
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM admins "
	    "WHERE disabled_at IS NOT NULL"), 1);
	/* and the store goes on */
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

/*
 * The same when the COMMIT comes in a transaction's second round trip:
 * the chain's end is not known yet, so the batch reads it first, then
 * sends its inserts and COMMIT. Its outcome is unknown too: taken for a
 * plain failure, a batch of several rows would be appended again, row by
 * row (pg_audit.c).
 */
static void
test_commit_in_second_round_trip_is_not_sent_again(void **state)
{
	struct fixture *fx = pg_only(state);

	arm(&fx->px, "second-trip.event");
	assert_int_equal(append(fx->s, "second-trip.event"), GH_ERR_IO);
	assert_int_equal(th_audit_count(fx->t, "second-trip.event"), 1);
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

/*
 * A COMMIT sent on its own, late in a borrow (BEGIN, the change, its
 * audit event, then COMMIT: the kill switch's and the background passes'
 * shape), whose connection breaks after the server ran it: it may have
 * committed, so the outcome is unknown (GH_ERR_IO), never a plain failure
 * that says the change was not made. Here it was: the client is disabled,
 * with its one event.
 */
static void
test_commit_alone_broken_is_unknown(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct client_row	*c = th_client_new("client1", NOW);
	struct audit_row	 r = { .time = NOW, .type = "client.disabled",
	    .actor = "system", .client_id = "client1", .detail = "{}" };
	struct change_audit	 ev = { &r, NULL, NULL };
	struct client_row	*got = malloc(sizeof(*got));

	assert_non_null(c);
	assert_non_null(got);
	assert_int_equal(store_client_insert(fx->s, c, NULL), GH_OK);
	arm(&fx->px, "COMMIT");
	assert_int_equal(store_client_set_status(fx->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW + 1, &ev), GH_ERR_IO);
	assert_int_equal(store_client_get(fx->s, "client1", got), GH_OK);
	assert_int_equal(got->status, CLIENT_DISABLED);
	assert_int_equal(th_audit_count(fx->t, "client.disabled"), 1);
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
	free(got);
	free(c);
}

/*
 * The removals of access the admin command makes with their event
 * (store_admin.h), whose connection breaks: after their COMMIT ran (the
 * outcome unknown, GH_ERR_IO) both the change and its event are stored;
 * under the change itself (inside the transaction) neither is. Never a
 * change without its event, which is what the admin command and a
 * repeat of it count on (they used to make the change alone and append
 * the event after: an unknown outcome left the change unrecorded).
 */
struct removal_case {
	const char	*trigger;	/* a parameter of the change only */
	const char	*type;
	const char	*made;		/* SQL: 1 once the change is made */
};

static enum gh_err
remove_one(struct fixture *fx, const struct removal_case *rc,
    const struct change_audit *ev)
{
	unsigned n = 0;

	if (strcmp(rc->type, "grant.revoked") == 0)
		return store_grant_revoke_with_event(fx->s, GRANTS_OF_CLIENT,
		    "client-cut", "cut", NOW + 1, &n, ev);
	if (strcmp(rc->type, "key.retired") == 0)
		return store_key_retire_with_event(fx->s, "RS256-cut", NOW + 1,
		    ev);
	return store_admin_disable_with_event(fx->s, "admin-cut", NOW + 1, ev);
}

static void
test_removal_broken_stores_both_or_neither(void **state)
{
	static const struct removal_case cases[] = {
		{ "client-cut", "grant.revoked", "SELECT count(*) FROM grants "
		    "WHERE revoked_at IS NOT NULL" },
		{ "RS256-cut", "key.retired", "SELECT count(*) FROM "
		    "signing_keys WHERE retire_at IS NOT NULL" },
		{ "admin-cut", "admin.disabled", "SELECT count(*) FROM admins "
		    "WHERE disabled_at IS NOT NULL" },
	};
	struct fixture		*fx = pg_only(state);
	struct client_row	*c = th_client_new("client-cut", NOW);
	struct audit_row	 r = { .time = NOW, .actor = "admin",
	    .detail = "{}" };
	struct change_audit	 ev = { &r, NULL, NULL };
	struct user_row		 u;
	struct grant_row	 g;
	struct key_row		 k;
	struct admin_row	 a;
	size_t			 i;

	assert_int_equal(store_client_insert(fx->t->s, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(fx->t->s, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(fx->t->s, "us_1", "client-cut",
	    "openid", NOW, &g), GH_OK);
	memset(&k, 0, sizeof(k));
	str_copy(k.kid, sizeof(k.kid), "RS256-cut");
	str_copy(k.alg, sizeof(k.alg), "RS256");
	k.created_at = k.activate_at = NOW;
	assert_int_equal(store_key_insert(fx->t->s, &k, NULL), GH_OK);
	memset(&a, 0, sizeof(a));
	str_copy(a.name, sizeof(a.name), "admin-cut");
	a.created_at = NOW;
	assert_int_equal(store_admin_insert(fx->t->s, &a, NULL), GH_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.type = cases[i].type;
		/* under the change: the transaction goes with the connection */
		arm(&fx->px, cases[i].trigger);
		assert_int_not_equal(remove_one(fx, &cases[i], &ev), GH_OK);
		assert_int_equal(th_sql_int(fx->t, cases[i].made), 0);
		assert_int_equal(th_audit_count(fx->t, cases[i].type), 0);
		/* after its COMMIT ran: unknown to the store, both stored */
		arm(&fx->px, "COMMIT");
		assert_int_equal(remove_one(fx, &cases[i], &ev), GH_ERR_IO);
		assert_int_equal(th_sql_int(fx->t, cases[i].made), 1);
		assert_int_equal(th_audit_count(fx->t, cases[i].type), 1);
	}
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

/*
 * The grant chain of the tests below, written directly (not through the
 * proxy): client1, user us_1, their grant, and the code "code"; with
 * redeemed, the code is redeemed into family fa_1 (access "at0", refresh
 * "rt0").
 */
struct chain {
	struct grant_row	 g;
	uint8_t			 code[GH_HASH_BYTES];
	uint8_t			 rt0[GH_HASH_BYTES];
};

/* Tokens made before the store call, as take() hands them over. */
struct minted {
	struct family_row	 fam;
	struct token_row	 tok[2];	/* access, refresh */
};

static void
mint(struct minted *m, const struct chain *ch, const char *fam,
    const char *at, const char *rt)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	str_copy(m->fam.id, sizeof(m->fam.id), fam);
	str_copy(m->fam.grant_id, sizeof(m->fam.grant_id), ch->g.id);
	str_copy(m->fam.client_id, sizeof(m->fam.client_id), "client1");
	str_copy(m->fam.user_id, sizeof(m->fam.user_id), "us_1");
	memcpy(m->fam.code_hash, ch->code, GH_HASH_BYTES);
	m->fam.created_at = NOW;
	for (i = 0; i < 2; i++) {
		th_hash(i == 0 ? at : rt, m->tok[i].hash);
		m->tok[i].kind = i == 0 ? TOKEN_ACCESS : TOKEN_REFRESH;
		str_copy(m->tok[i].family_id, sizeof(m->tok[i].family_id), fam);
		str_copy(m->tok[i].grant_id, sizeof(m->tok[i].grant_id),
		    ch->g.id);
		str_copy(m->tok[i].client_id, sizeof(m->tok[i].client_id),
		    "client1");
		str_copy(m->tok[i].user_id, sizeof(m->tok[i].user_id), "us_1");
		str_copy(m->tok[i].scope, sizeof(m->tok[i].scope),
		    "openid offline_access");
		m->tok[i].issued_at = NOW;
		m->tok[i].expires_at = NOW + 3600;
	}
}

static void
chain_setup(struct fixture *fx, struct chain *ch, bool redeemed)
{
	struct store		*s = fx->t->s;
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 u;
	struct code_row		 r;
	struct minted		 m;

	assert_int_equal(store_client_insert(s, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(s, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(s, "us_1", "client1",
	    "openid offline_access", NOW, &ch->g), GH_OK);
	th_hash("code", ch->code);
	th_code_init(&r, ch->code, ch->g.id, NOW);
	assert_int_equal(store_code_insert(s, &r), GH_OK);
	th_hash("rt0", ch->rt0);
	if (!redeemed)
		return;
	mint(&m, ch, "fa_1", "at0", "rt0");
	assert_int_equal(store_code_redeem(s, ch->code, NOW, &m.fam, m.tok,
	    2), GH_OK);
}

static enum gh_err
take_code(void *ctx, const struct code_row *c, struct code_take *rec)
{
	struct minted *m = ctx;

	(void)c;
	rec->fam = &m->fam;
	rec->tokens = m->tok;
	rec->ntokens = 2;
	return GH_OK;
}

static enum gh_err
take_refresh(void *ctx, const struct token_row *live,
    struct refresh_take *rec)
{
	struct minted *m = ctx;

	(void)live;
	rec->next = m->tok;
	rec->nnext = 2;
	return GH_OK;
}

/* The new tokens' last round trip is the one pipeline with COMMIT. */
#define LAST_TRIP	"COMMIT"

static enum gh_err
rotate_cut(struct fixture *fx, const struct chain *ch, struct minted *m,
    enum cut cut, struct th_stderr *log)
{
	struct token_row	live;
	enum gh_err		rc;

	arm_cut(&fx->px, LAST_TRIP, cut);
	th_stderr_begin(log);
	rc = store_refresh_take(fx->s, ch->rt0, "client1", NOW + 1,
	    take_refresh, m, &live);
	th_stderr_end(log);
	return rc;
}

static enum gh_err
redeem_cut(struct fixture *fx, const struct chain *ch, struct minted *m,
    enum cut cut, struct th_stderr *log)
{
	struct code_row	c;
	enum gh_err	rc;

	arm_cut(&fx->px, LAST_TRIP, cut);
	th_stderr_begin(log);
	rc = store_code_take(fx->s, ch->code, NOW + 1, take_code, m, &c);
	th_stderr_end(log);
	return rc;
}

static int64_t
rows(const struct fixture *fx, const char *sql)
{
	return th_sql_int(fx->t, sql);
}

#define RESOLVED(yes) "\"event\":\"store_outcome_resolved\"," \
	"\"backend\":\"postgres\",\"committed\":\"" yes "\""

/*
 * A rotation whose COMMIT ran but whose answers were lost succeeds, as if
 * they had come: the client has its new tokens, and presenting the old
 * refresh token again is a reuse, as it must be.
 */
static void
test_rotation_committed_answers_lost(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m, again;
	struct th_stderr	 log;
	struct token_row	 t;

	chain_setup(fx, &ch, true);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_AFTER_RUN, &log), GH_OK);
	assert_int_equal(th_stderr_count(&log, RESOLVED("true")), 1);
	assert_int_equal(th_stderr_count(&log, "store_outcome_unknown"), 0);
	/* at0, rt0 and the two new ones, once each; rt0 rotated */
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens "
	    "WHERE rotated_at IS NOT NULL"), 1);
	assert_int_equal(store_token_live(fx->s, m.tok[1].hash, NOW + 2, &t),
	    GH_OK);
	mint(&again, &ch, "fa_1", "at2", "rt2");
	assert_int_equal(store_refresh_exchange(fx->s, ch.rt0, "client1",
	    NOW + 2, again.tok, 2), GH_ERR_CONFLICT);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
}

/* The same for a code: redeemed once, and a second try is a replay. */
static void
test_redemption_committed_answers_lost(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m, again;
	struct th_stderr	 log;
	struct code_row		 c;

	chain_setup(fx, &ch, false);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(redeem_cut(fx, &ch, &m, CUT_AFTER_RUN, &log), GH_OK);
	assert_int_equal(th_stderr_count(&log, RESOLVED("true")), 1);
	assert_int_equal(rows(fx, "SELECT count(*) FROM families"), 1);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 2);
	mint(&again, &ch, "fa_2", "at2", "rt2");
	assert_int_equal(store_code_take(fx->s, ch.code, NOW + 2, take_code,
	    &again, &c), GH_ERR_CONFLICT);
	assert_true(c.consumed);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 2);
}

/*
 * A rotation whose last round trip never reached the server: the store
 * fails (503 upstream, not a verdict on the token), nothing was written,
 * and the client's retry with the same refresh token succeeds.
 */
static void
test_rotation_not_sent_fails_and_retry_succeeds(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m;
	struct th_stderr	 log;
	struct token_row	 live;

	chain_setup(fx, &ch, true);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_BEFORE_RUN, &log),
	    GH_ERR_STORE);
	assert_int_equal(th_stderr_count(&log, RESOLVED("false")), 1);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 2);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens "
	    "WHERE rotated_at IS NOT NULL"), 0);
	assert_int_equal(store_refresh_take(fx->s, ch.rt0, "client1", NOW + 2,
	    take_refresh, &m, &live), GH_OK);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
}

/* The same for a code: unconsumed after the failure, redeemed on retry. */
static void
test_redemption_not_sent_fails_and_retry_succeeds(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m;
	struct th_stderr	 log;
	struct code_row		 c;

	chain_setup(fx, &ch, false);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(redeem_cut(fx, &ch, &m, CUT_BEFORE_RUN, &log),
	    GH_ERR_STORE);
	assert_int_equal(th_stderr_count(&log, RESOLVED("false")), 1);
	assert_int_equal(rows(fx, "SELECT count(*) FROM codes "
	    "WHERE consumed_at IS NOT NULL"), 0);
	assert_int_equal(rows(fx, "SELECT count(*) FROM families"), 0);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 0);
	assert_int_equal(store_code_take(fx->s, ch.code, NOW + 2, take_code,
	    &m, &c), GH_OK);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 2);
}

/*
 * The old backend lives on (here its socket stays open), but its
 * transaction has ended: the fence finds the rotated row unlocked at
 * once, and the rotation, which committed, succeeds.
 */
static void
test_outcome_resolved_while_old_backend_lives(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m;
	struct th_stderr	 log;
	double			 t0, took;

	chain_setup(fx, &ch, true);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	t0 = clock_mono();
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_STORE_SIDE, &log),
	    GH_OK);
	took = clock_mono() - t0;
	assert_int_equal(th_stderr_count(&log, RESOLVED("true")), 1);
	assert_int_equal(th_stderr_count(&log, "store_outcome_unknown"), 0);
	/* KILL_AFTER to lose the connection, and no wait after it */
	assert_true(took < KILL_AFTER + GH_PG_OUTCOME_WAIT_MS / 2000.0);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
}

/*
 * The old backend waits inside the transaction, its COMMIT never sent (a
 * network cut: its socket does not close). It might still commit, so the
 * outcome stays unknown after a wait of at most GH_PG_OUTCOME_WAIT_MS.
 * The server ends that session once it has been idle GH_PG_IDLE_TX_MS:
 * the client's retry then rotates the token, rather than waiting for
 * ever on the row the lost transaction held.
 */
static void
test_outcome_unknown_while_old_transaction_open(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m;
	struct th_stderr	 log;
	struct token_row	 live;
	double			 t0, took;

	chain_setup(fx, &ch, true);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	t0 = clock_mono();
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_HOLD_BEFORE_RUN, &log),
	    GH_ERR_IO);
	took = clock_mono() - t0;
	assert_int_equal(th_stderr_count(&log, "store_outcome_unknown"), 1);
	assert_int_equal(th_stderr_count(&log, "still open"), 1);
	assert_int_equal(th_stderr_count(&log, "store_outcome_resolved"), 0);
	assert_true(took >= GH_PG_OUTCOME_WAIT_MS / 1000.0);
	assert_true(took < GH_PG_OUTCOME_WAIT_MS / 1000.0 + 2);
	/* nothing was written, and the retry succeeds within the bound */
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 2);
	assert_int_equal(store_refresh_take(fx->s, ch.rt0, "client1", NOW + 2,
	    take_refresh, &m, &live), GH_OK);
	took = clock_mono() - t0;
	assert_true(took < GH_PG_IDLE_TX_MS / 1000.0 + 2);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
	/* and the store goes on */
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

/*
 * Behind a pooler, which hands out backend ids of its own: a row lock
 * names no backend, so the outcome is resolved as on a direct connection
 * (here the rotation committed).
 */
static void
test_outcome_resolved_behind_a_pooler(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct chain		 ch;
	struct minted		 m, again;
	struct th_stderr	 log;

	chain_setup(fx, &ch, true);
	atomic_store(&fx->px.fake_pids, true);
	drop_connections(fx);
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_AFTER_RUN, &log), GH_OK);
	assert_int_equal(th_stderr_count(&log, RESOLVED("true")), 1);
	assert_int_equal(th_stderr_count(&log, "store_outcome_unknown"), 0);
	assert_int_equal(rows(fx, "SELECT count(*) FROM tokens"), 4);
	mint(&again, &ch, "fa_1", "at2", "rt2");
	assert_int_equal(store_refresh_exchange(fx->s, ch.rt0, "client1",
	    NOW + 2, again.tok, 2), GH_ERR_CONFLICT);
}

/*
 * A reconnection that reaches another server instance (its start time
 * differs: a promoted standby, say) may not have seen the commit: the
 * outcome stays unknown.
 */
static void
test_outcome_unknown_on_another_server(void **state)
{
	struct fixture		*fx = pg_only(state);
	struct pg_store		*db = (struct pg_store *)fx->s;
	size_t			 i;
	struct chain		 ch;
	struct minted		 m;
	struct th_stderr	 log;

	chain_setup(fx, &ch, true);
	/* the store's connection is made; it was to a server of another
	 * start time */
	assert_int_equal(append(fx->s, "before.cut"), GH_OK);
	for (i = 0; i < GH_PG_POOL; i++)
		str_copy(db->pool[i].server, sizeof(db->pool[i].server),
		    "1.5");
	mint(&m, &ch, "fa_1", "at1", "rt1");
	assert_int_equal(rotate_cut(fx, &ch, &m, CUT_AFTER_RUN, &log),
	    GH_ERR_IO);
	assert_int_equal(th_stderr_count(&log, "not the same server"), 1);
	assert_int_equal(th_stderr_count(&log, "store_outcome_resolved"), 0);
}

/*
 * A server that takes the connection and never answers (hung, or a stuck
 * pooler): the store gives up after GH_PG_CONNECT_TIMEOUT seconds instead
 * of waiting for ever. Before, libpq had no timeout and the open hung (the
 * alarm ends the test then). No PostgreSQL needed; run with unit-pg only,
 * as it takes the timeout's 10 s.
 */
static void
test_silent_server_times_out(void **state)
{
	char	dir[] = "/tmp/gh-silent.XXXXXX", path[128], url[256];
	struct store *s = NULL;
	double	t0, took;
	int	fd;

	(void)state;
	if (th_pg_url() == NULL)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", dir);
	/* listening, never accepted: the kernel takes the connection */
	assert_true((fd = unix_socket(path, true)) >= 0);
	snprintf(url, sizeof(url), "postgresql:///gatehouse?host=%s", dir);
	alarm(60);
	t0 = clock_mono();
	assert_int_not_equal(store_open(url, &s), GH_OK);
	took = clock_mono() - t0;
	alarm(0);
	assert_null(s);
	assert_true(took >= 5.0 && took < 30.0);
	close(fd);
	unlink(path);
	rmdir(dir);
}

/*
 * The database is down when a request's audit rows are appended: the
 * batch cannot get a connection, so its rows fail together, after one
 * attempt to connect. Before, each row was tried again on its own (a
 * retry meant for one bad row in a batch), one new connection each: a
 * stop during an outage took a connect timeout per row, not per batch.
 */
static void
test_batch_without_a_connection_is_not_retried_row_by_row(void **state)
{
	struct fixture	*fx = pg_only(state);
	int		 i;

	atomic_store(&fx->px.refuse, true);
	drop_connections(fx);
	store_defer_begin(fx->s);
	for (i = 0; i < 20; i++)
		assert_int_equal(append(fx->s, "test.down"), GH_OK);
	assert_int_not_equal(store_defer_end(fx->s), GH_OK);
	/*
	 * One attempt for the batch and one for the flush that follows a
	 * failed wait; the client cache's LISTEN connection, also through
	 * the proxy, tries again every 250 ms meanwhile. A retry per row
	 * would be 20 more.
	 */
	assert_in_range(atomic_load(&fx->px.refused), 2, 8);
	atomic_store(&fx->px.refuse, false);
	assert_int_equal(th_audit_count(fx->t, "test.down"), 0);
	/* the database is back: the next append connects and is stored */
	assert_int_equal(append(fx->s, "test.up"), GH_OK);
	assert_int_equal(th_audit_count(fx->t, "test.up"), 1);
}

/* A sighting of grant g1 from `value`, as governance/rules.c records. */
static enum gh_err
sighting(struct store *s, const char *value)
{
	enum sighting seen;

	return store_grant_sighting(s, "g1", "ua", value, NOW, &seen);
}

/*
 * Inside a request, a write whose connection broke after the server ran
 * it (its outcome unknown, GH_ERR_IO) fails the request, whatever its
 * caller did with the error: store_defer_end says so, and the HTTP layer
 * answers 503, as on SQLite. Before, only an audit row that could not be
 * queued failed a request, and this one ended with GH_OK. A write in a
 * transaction that breaks before its COMMIT (a sighting: GH_ERR_STORE)
 * fails it too. Each fails that request only.
 */
static void
test_unknown_outcome_in_a_request_fails_it(void **state)
{
	struct fixture	*fx = pg_only(state);
	struct admin_row a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "victim-admin");
	a.secret_hash[0] = 1;
	a.created_at = NOW;
	assert_int_equal(store_admin_insert(fx->s, &a, NULL), GH_OK);
	store_defer_begin(fx->s);
	arm(&fx->px, "victim-admin");
	assert_int_equal(store_admin_disable(fx->s, "victim-admin", NOW + 1),
	    GH_ERR_IO);
	assert_int_equal(store_defer_end(fx->s), GH_ERR_IO);
	/* it ran: the server got it before the break */
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM admins "
	    "WHERE disabled_at IS NOT NULL"), 1);

	store_defer_begin(fx->s);
	arm(&fx->px, "lost-agent");
	assert_int_equal(sighting(fx->s, "lost-agent"), GH_ERR_STORE);
	assert_int_equal(store_defer_end(fx->s), GH_ERR_STORE);

	store_defer_begin(fx->s);
	assert_int_equal(sighting(fx->s, "next-agent"), GH_OK);
	assert_int_equal(store_defer_end(fx->s), GH_OK);
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM "
	    "grant_sightings"), 1);
}

/*
 * The same for a write that gets no connection (the database is down:
 * pg_acquire fails before any statement): GH_ERR_STORE, for the caller
 * and for the request.
 */
static void
test_no_connection_in_a_request_fails_it(void **state)
{
	struct fixture *fx = pg_only(state);

	atomic_store(&fx->px.refuse, true);
	drop_connections(fx);
	store_defer_begin(fx->s);
	assert_int_equal(sighting(fx->s, "down-agent"), GH_ERR_STORE);
	atomic_store(&fx->px.refuse, false);
	assert_int_equal(store_defer_end(fx->s), GH_ERR_STORE);
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM "
	    "grant_sightings"), 0);

	/* the database is back: the next request connects and ends well */
	store_defer_begin(fx->s);
	assert_int_equal(sighting(fx->s, "up-agent"), GH_OK);
	assert_int_equal(store_defer_end(fx->s), GH_OK);
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM "
	    "grant_sightings"), 1);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_connection_ended_while_idle_is_made_again),
		T(test_session_reset_is_durable),
		T(test_write_broken_after_it_ran_is_not_sent_again),
		T(test_commit_in_second_round_trip_is_not_sent_again),
		T(test_commit_alone_broken_is_unknown),
		T(test_removal_broken_stores_both_or_neither),
		T(test_rotation_committed_answers_lost),
		T(test_redemption_committed_answers_lost),
		T(test_rotation_not_sent_fails_and_retry_succeeds),
		T(test_redemption_not_sent_fails_and_retry_succeeds),
		T(test_outcome_resolved_while_old_backend_lives),
		T(test_outcome_unknown_while_old_transaction_open),
		T(test_outcome_resolved_behind_a_pooler),
		T(test_outcome_unknown_on_another_server),
		T(test_batch_without_a_connection_is_not_retried_row_by_row),
		T(test_unknown_outcome_in_a_request_fails_it),
		T(test_no_connection_in_a_request_fails_it),
		cmocka_unit_test(test_silent_server_times_out),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/pg_reconnect", tests, NULL,
	    NULL);
}
