/*
 * test_pg_reconnect.c - PostgreSQL connections that break (pg.c,
 * pg_pipe.c), through a Unix-socket proxy of the test's own between the
 * store and the server:
 *  - a connection the server ended while it sat idle in the pool is made
 *    again before it is used: the next write succeeds, once;
 *  - a write whose connection breaks after the server ran it is not sent
 *    again, since it may have committed: the store says its outcome is
 *    unknown (GH_ERR_IO), and an audit event is stored once, not twice.
 * PostgreSQL only: on SQLite (unit) every test is skipped.
 */
#include "../harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

#define NOW		1700000000
#define PAIRS		16
#define KILL_AFTER	0.3	/* s the server gets to run what it was sent */

/*
 * The proxy: one thread, every connection pair in one poll loop. When a
 * chunk from the store contains the armed trigger, it is passed on, every
 * answer after it is dropped, and the pair is closed KILL_AFTER later: a
 * connection lost after the server ran the statement, before the store
 * read the answer. drop_all closes every pair at once: connections the
 * server ended while idle.
 */
struct pair {
	int	cfd, ufd;
	double	kill_at;	/* 0: none */
};

struct proxy {
	char		 listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		 up_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 lfd;
	pthread_t	 th;
	atomic_bool	 stop, drop_all;
	pthread_mutex_t	 mu;
	char		 trigger[64];	/* "" when not armed; under mu */
	struct pair	 p[PAIRS];
	int		 n;
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
	close(px->p[i].ufd);
	px->p[i] = px->p[--px->n];
}

/* A chunk from the store: arm the kill if it holds the trigger. */
static void
from_store(struct proxy *px, struct pair *p, const char *b, ssize_t n)
{
	pthread_mutex_lock(&px->mu);
	if (px->trigger[0] && p->kill_at == 0 &&
	    memmem(b, (size_t)n, px->trigger, strlen(px->trigger)) != NULL) {
		px->trigger[0] = '\0';
		p->kill_at = clock_mono() + KILL_AFTER;
	}
	pthread_mutex_unlock(&px->mu);
	write_all(p->ufd, b, n);
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
				if (p->kill_at == 0)	/* else: lost */
					write_all(p->cfd, b, n);
			}
		}
		if ((f[0].revents & POLLIN) && px->n < PAIRS &&
		    (fd = accept(px->lfd, NULL, NULL)) >= 0) {
			if ((up = unix_socket(px->up_path, false)) < 0) {
				close(fd);
				continue;
			}
			px->p[px->n++] = (struct pair){ fd, up, 0 };
		}
	}
	while (px->n > 0)
		close_pair(px, 0);
	return NULL;
}

static void
arm(struct proxy *px, const char *trigger)
{
	pthread_mutex_lock(&px->mu);
	snprintf(px->trigger, sizeof(px->trigger), "%s", trigger);
	pthread_mutex_unlock(&px->mu);
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

static int64_t
events(const struct fixture *fx, const char *type)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM audit_events WHERE type = '%s'", type);
	return th_sql_int(fx->t, sql);
}

static void
test_connection_ended_while_idle_is_made_again(void **state)
{
	struct fixture *fx = pg_only(state);

	assert_int_equal(append(fx->s, "first.event"), GH_OK);
	atomic_store(&fx->px.drop_all, true);
	while (atomic_load(&fx->px.drop_all))
		usleep(1000);
	usleep(50000);		/* the pooled connection's socket sees EOF */
	assert_int_equal(append(fx->s, "after.drop"), GH_OK);
	assert_int_equal(events(fx, "after.drop"), 1);
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
	assert_int_equal(events(fx, "dup-check.event"), 1);

	/* a conditional update on its own (it commits by itself) */
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "victim-admin");
	a.secret_hash[0] = 1;
	a.created_at = NOW;
	assert_int_equal(store_admin_insert(fx->s, &a), GH_OK);
	arm(&fx->px, "victim-admin");
	assert_int_equal(store_admin_disable(fx->s, "victim-admin", NOW + 1),
	    GH_ERR_IO);
	assert_int_equal(th_sql_int(fx->t, "SELECT count(*) FROM admins "
	    "WHERE disabled_at IS NOT NULL"), 1);
	/* and the store goes on */
	assert_int_equal(append(fx->s, "later.event"), GH_OK);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_connection_ended_while_idle_is_made_again),
		T(test_write_broken_after_it_ran_is_not_sent_again),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/pg_reconnect", tests, NULL,
	    NULL);
}
