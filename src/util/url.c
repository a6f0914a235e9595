/* url.c - see url.h. */
#include <string.h>

#include "str.h"
#include "url.h"

bool
url_parse_http(const char *url, struct url_target *t)
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
	/* userinfo ("user:pw@host") is not sent, and could hide the host */
	if (memchr(p, '@', (size_t)(path - p)) != NULL)
		return false;
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
	if (n == 0 || n >= sizeof(t->host))
		return false;
	memcpy(t->host, p, n);
	if (str_has_ctl(t->host) || strchr(t->host, ' ') != NULL)
		return false;
	if (port) {
		n = (size_t)(path - port);
		if (n == 0 || n >= sizeof(t->port) ||
		    strspn(port, "0123456789") < n)
			return false;
		memcpy(t->port, port, n);
	} else {
		str_copy(t->port, sizeof(t->port), t->tls ? "443" : "80");
	}
	/* a fragment is the client's own, never part of a request */
	if (strchr(path, '#') != NULL || strlen(path) + 2 > sizeof(t->path))
		return false;
	if (*path != '/')
		str_copy(t->path, sizeof(t->path), "/");
	n = strlen(t->path);
	str_copy(t->path + n, sizeof(t->path) - n, path);
	return !str_has_ctl(t->path) && strchr(t->path, ' ') == NULL;
}
