/* cidr.c - see cidr.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "str.h"

struct net {
	int		family;
	unsigned char	addr[16];
	unsigned	prefix;
};

static bool
parse_addr(const char *s, int *family, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static bool
parse_block(struct slice w, struct net *n)
{
	char		 buf[64];
	char		*slash;
	uint64_t	 p;
	unsigned	 max;

	if (w.len == 0 || w.len >= sizeof(buf))
		return false;
	memcpy(buf, w.p, w.len);
	buf[w.len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	memset(n->addr, 0, sizeof(n->addr));
	if (!parse_addr(buf, &n->family, n->addr))
		return false;
	max = n->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		n->prefix = max;
		return true;
	}
	if (parse_u64(slice_cstr(slash + 1), 0, max, &p) != GH_OK)
		return false;
	n->prefix = (unsigned)p;
	return true;
}

static bool
inside(const struct net *n, int family, const unsigned char *a)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (family != n->family || memcmp(a, n->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool
cidr_list_valid(const char *list)
{
	struct slice	w;
	struct net	n;
	unsigned	count = 0;

	while (words_next(&list, &w)) {
		if (!parse_block(w, &n) || ++count > 32)
			return false;
	}
	return count > 0;
}

bool
cidr_list_match(const char *list, const char *addr)
{
	struct slice	w;
	struct net	n;
	unsigned char	a[16];
	int		family;

	memset(a, 0, sizeof(a));
	if (!parse_addr(addr, &family, a))
		return false;
	while (words_next(&list, &w))
		if (parse_block(w, &n) && inside(&n, family, a))
			return true;
	return false;
}

bool
cidr_network_of(const char *addr, char *out, size_t outsz)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	unsigned char	 a[16], *v4;
	char		 text[INET6_ADDRSTRLEN];
	int		 family, n;

	memset(a, 0, sizeof(a));
	if (!parse_addr(addr, &family, a))
		return false;
	if (family == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		family = AF_INET;
	}
	if (family == AF_INET) {
		v4 = a;
		n = snprintf(out, outsz, "%u.%u.%u.0/24", v4[0], v4[1], v4[2]);
	} else {
		memset(a + 6, 0, 10);
		if (inet_ntop(AF_INET6, a, text, sizeof(text)) == NULL)
			return false;
		n = snprintf(out, outsz, "%s/48", text);
	}
	return n > 0 && (size_t)n < outsz;
}
