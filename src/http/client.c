/* client.c - see client.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "client.h"
#include "../util/str.h"

#define MAX_HOST	256
#define MAX_REQ_HEAD	4096

struct target {
	bool	 tls;
	char	 host[MAX_HOST];
	char	 port[8];
	char	 path[2048];
};

static bool
parse_url(const char *url, struct target *t)
{
	const char	*p, *host_end, *port = NULL, *path;
	size_t		 n;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "https://", 8) == 0) {
		t->tls = true;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		return false;
	}
	path = p + strcspn(p, "/?#");
	if (*p == '[') {			/* [v6]:port */
		if ((host_end = memchr(p, ']', (size_t)(path - p))) == NULL)
			return false;
		n = (size_t)(host_end - p - 1);
		p++;
		if (host_end[1] == ':')
			port = host_end + 2;
	} else {
		host_end = memchr(p, ':', (size_t)(path - p));
		if (host_end == NULL)
			host_end = path;
		else
			port = host_end + 1;
		n = (size_t)(host_end - p);
	}
	if (n == 0 || n >= sizeof(t->host) || memchr(p, '@', n))
		return false;
	memcpy(t->host, p, n);
	if (port) {
		n = (size_t)(path - port);
		if (n == 0 || n >= sizeof(t->port) ||
		    strspn(port, "0123456789") < n)
			return false;
		memcpy(t->port, port, n);
	} else {
		str_copy(t->port, sizeof(t->port), t->tls ? "443" : "80");
	}
	if (*path == '#' || strlen(path) + 2 > sizeof(t->path))
		return false;
	if (*path != '/')
		str_copy(t->path, sizeof(t->path), "/");
	n = strlen(t->path);
	str_copy(t->path + n, sizeof(t->path) - n, path);
	return !str_has_ctl(t->path) && strchr(t->path, ' ') == NULL;
}

/* connect within the deadline; then blocking with per-call timeouts */
static int
dial(const struct target *t, unsigned timeout)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct timeval	 tv = { (time_t)timeout, 0 };
	struct pollfd	 pfd;
	socklen_t	 len;
	int		 fd = -1, err, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(t->host, t->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			err = errno;
			if (err == EINPROGRESS) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				len = sizeof(err);
				err = poll(&pfd, 1, (int)timeout * 1000) == 1 &&
				    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				    &len) == 0 ? err : ETIMEDOUT;
			}
		}
		if (err == 0) {
			fcntl(fd, F_SETFL, flags);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct conn {
	int	 fd;
	SSL_CTX	*ctx;
	SSL	*ssl;
};

static bool
tls_start(struct conn *c, const struct target *t)
{
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		return false;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if ((c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, t->host) != 1 ||
	    SSL_set1_host(c->ssl, t->host) != 1)
		return false;
	return SSL_connect(c->ssl) == 1;
}

static bool
send_all(struct conn *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (c->ssl) {
			int k = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);

			w = k > 0 ? k : -1;
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* the status code of "HTTP/1.x NNN ..." */
static bool
read_status(struct conn *c, int *status)
{
	char	 buf[64];
	size_t	 got = 0;
	ssize_t	 r;

	while (got < 12) {
		r = c->ssl ? SSL_read(c->ssl, buf + got,
		    (int)(sizeof(buf) - 1 - got)) :
		    recv(c->fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    strspn(buf + 9, "0123456789") < 3)
		return false;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	return true;
}

enum gh_err
http_post_json(const char *url, const char *body, const char *header,
    unsigned timeout_seconds, int *status)
{
	struct target	 t;
	struct conn	 c = { -1, NULL, NULL };
	char		 head[MAX_REQ_HEAD];
	size_t		 blen = strlen(body);
	enum gh_err	 rc = GH_ERR_IO;
	int		 n;

	*status = 0;
	if (!parse_url(url, &t) || (header && str_has_ctl(header)))
		return GH_ERR_INVALID;
	n = snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\nHost: %s%s%s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "User-Agent: gatehouse-webhook\r\n%s%sConnection: close\r\n\r\n",
	    t.path, t.host, strcmp(t.port, t.tls ? "443" : "80") ? ":" : "",
	    strcmp(t.port, t.tls ? "443" : "80") ? t.port : "", blen,
	    header ? header : "", header ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return GH_ERR_INVALID;
	if ((c.fd = dial(&t, timeout_seconds)) < 0)
		goto out;
	if (t.tls && !tls_start(&c, &t))
		goto out;
	if (send_all(&c, head, (size_t)n) && send_all(&c, body, blen) &&
	    read_status(&c, status))
		rc = GH_OK;
out:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(c.ctx);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
