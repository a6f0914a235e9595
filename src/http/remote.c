/*
 * remote.c - a request's peer and client addresses (see remote.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "remote.h"
#include "forwarded.h"
#include "../util/limits.h"
#include "../util/log.h"
#include "../util/str.h"

#define XFF_NAME	"X-Forwarded-For"

/*
 * Every X-Forwarded-For line, joined in order with ", " (RFC 9110 5.3).
 * The buffer holds all the header memory a request may use: one whose
 * lines come to more is answered 431 (server.c) whatever its address.
 */
struct xff_lines {
	char		buf[GH_MAX_HEADER_MEM];
	size_t		len;
	unsigned	n;
	bool		cut;
};

static bool
put(struct xff_lines *x, const char *p, size_t n)
{
	if (n > sizeof(x->buf) - x->len)
		return false;
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	return true;
}

/*
 * The _n iterator, though libmicrohttpd 0.9.75 sizes a value with
 * strlen(): a NUL byte sent inside one ends it there, unseen (the
 * balancer must refuse it: docs/SECURITY.md).
 */
static enum MHD_Result
gather(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
    const char *value, size_t value_size)
{
	struct xff_lines *x = cls;

	(void)kind;
	if (key == NULL || key_size != sizeof(XFF_NAME) - 1 ||
	    strncasecmp(key, XFF_NAME, key_size) != 0 || x->cut)
		return MHD_YES;
	if ((x->n++ > 0 && !put(x, ", ", 2)) ||
	    !put(x, value ? value : "", value ? value_size : 0))
		x->cut = true;
	return MHD_YES;
}

void
remote_peer(struct MHD_Connection *c, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	str_copy(out, outsz, "unknown");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)outsz);
}

/* a short excerpt of attacker text: no NUL, log_kv escapes the rest */
static void
excerpt(struct slice s, char *out, size_t outsz)
{
	char	raw[33];
	size_t	i, n = s.len < sizeof(raw) - 1 ? s.len : sizeof(raw) - 1;

	for (i = 0; i < n; i++)
		raw[i] = s.p[i] == '\0' ? '?' : s.p[i];
	raw[n] = '\0';
	(void)str_copy_text(out, outsz, raw);
}

void
remote_client(struct MHD_Connection *c, const char *peer,
    const char *trusted, char *out, size_t outsz)
{
	struct xff_lines	x;
	struct slice		bad;
	enum fwd_stop		stop;
	char			ex[40];

	if (trusted == NULL || trusted[0] == '\0') {
		str_copy(out, outsz, peer);
		return;
	}
	x.len = 0;
	x.n = 0;
	x.cut = false;
	(void)MHD_get_connection_values_n(c, MHD_HEADER_KIND, gather, &x);
	stop = forwarded_client(peer, x.n > 0 && !x.cut ? x.buf : NULL, x.len,
	    trusted, out, outsz, &bad);
	if (stop == FWD_CLEAN)
		return;
	excerpt(bad, ex, sizeof(ex));
	log_kv(LOG_WARN, "forwarded_for_unusable", "reason",
	    stop == FWD_BAD_ENTRY ? "not an address" : "too many hops",
	    "entry", stop == FWD_BAD_ENTRY ? ex : NULL, "peer", peer,
	    "remote", out, NULL);
}
