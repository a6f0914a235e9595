/*
 * http.c - the driver's HTTP/1.1 client: one blocking keep-alive TCP
 * connection per thread, requests written whole, responses read into one
 * bounded buffer and framed by Content-Length (RFC 9112 6.3). A response
 * without Content-Length is read until the server closes. Chunked bodies,
 * oversized responses and timeouts are transport errors: the connection
 * is closed and the next request opens a new one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ghbench.h"

void
conn_init(struct conn *c, const struct options *o)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->o = o;
}

void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->have = 0;
}

static bool
conn_open(struct conn *c)
{
	struct sockaddr_in	 sa;
	struct timeval		 tv = { GB_IO_TIMEOUT_S, 0 };
	int			 one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(c->o->port);
	if (inet_pton(AF_INET, c->o->host, &sa.sin_addr) != 1)
		return false;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		conn_close(c);
		return false;
	}
	c->have = 0;
	return true;
}

static bool
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read more into resp; 0 on orderly close, -1 on error or full buffer. */
static ssize_t
fill(struct conn *c)
{
	ssize_t r;

	if (c->have >= GB_RESP_MAX)
		return -1;
	do
		r = recv(c->fd, c->resp + c->have, GB_RESP_MAX - c->have, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		c->have += (size_t)r;
	return r;
}

/* Value of header name in the head [h, h+n), copied into out. */
static bool
header(const char *h, size_t n, const char *name, char *out, size_t outsz)
{
	const char	*p = h, *end = h + n, *eol, *v;
	size_t		 nl = strlen(name), len;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			len = (size_t)(eol - v);
			while (len > 0 && (v[len - 1] == '\r' ||
			    v[len - 1] == ' '))
				len--;
			if (len >= outsz)
				return false;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
		p = eol + 1;
	}
	return false;
}

/* Parse status line and headers once the blank line is in; then read the
 * body. Leaves bytes of a pipelined next response (none expected). */
static bool
read_response(struct conn *c, bool *close_after)
{
	char		*hend = NULL, val[64];
	size_t		 hlen, need;
	uint64_t	 clen = 0;
	bool		 have_len;
	ssize_t		 r;

	c->have = 0;
	while (hend == NULL) {
		if ((r = fill(c)) <= 0)
			return false;
		c->resp[c->have] = '\0';
		hend = strstr(c->resp, "\r\n\r\n");
		if (hend == NULL && c->have > GB_HDR_MAX)
			return false;
	}
	hlen = (size_t)(hend - c->resp) + 4;
	if (c->have < 12 || strncmp(c->resp, "HTTP/1.", 7) != 0 ||
	    c->resp[9] < '1' || c->resp[9] > '5')
		return false;
	c->status = (c->resp[9] - '0') * 100 + (c->resp[10] - '0') * 10 +
	    (c->resp[11] - '0');
	if (header(c->resp, hlen, "Transfer-Encoding", val, sizeof(val)))
		return false;		/* chunked: not something we expect */
	*close_after = header(c->resp, hlen, "Connection", val, sizeof(val)) &&
	    strcasecmp(val, "close") == 0;
	have_len = header(c->resp, hlen, "Content-Length", val, sizeof(val));
	if (have_len && !parse_uint(val, GB_RESP_MAX, &clen))
		return false;
	if (!header(c->resp, hlen, "Location", c->location,
	    sizeof(c->location)))
		c->location[0] = '\0';
	if (have_len) {
		need = hlen + (size_t)clen;
		if (need > GB_RESP_MAX)
			return false;
		while (c->have < need)
			if (fill(c) <= 0)
				return false;
	} else {
		*close_after = true;
		while ((r = fill(c)) > 0)
			;
		if (r < 0)
			return false;
		need = c->have;
	}
	c->resp[need] = '\0';
	c->body = c->resp + hlen;
	c->body_len = need - hlen;
	return true;
}

bool
http_do(struct conn *c, const char *method, const char *path,
    const char *auth, const char *cookie, const char *body)
{
	char	 clen[48] = "";
	int	 n;
	size_t	 got;
	bool	 close_after = false, retry = c->fd >= 0;

	if (body != NULL)
		snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n",
		    strlen(body));
again:
	if (c->fd < 0 && !conn_open(c)) {
		c->refused = true;
		return false;
	}
	c->refused = false;
	n = snprintf(c->req, sizeof(c->req),
	    "%s %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: ghbench\r\n"
	    "%s%s%s%s%s%s%s%s\r\n%s",
	    method, path, c->o->host, (unsigned)c->o->port,
	    auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "",
	    cookie ? "Cookie: " : "", cookie ? cookie : "",
	    cookie ? "\r\n" : "",
	    body ? "Content-Type: application/x-www-form-urlencoded\r\n" : "",
	    clen, body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(c->req)) {
		conn_close(c);
		return false;
	}
	c->have = 0;
	if (!send_all(c->fd, c->req, (size_t)n) ||
	    !read_response(c, &close_after)) {
		got = c->have;
		conn_close(c);
		/* a kept-alive connection the server closed while idle:
		 * one fresh attempt, since nothing came back */
		if (retry && got == 0) {
			retry = false;
			goto again;
		}
		return false;
	}
	if (close_after)
		conn_close(c);
	return true;
}
