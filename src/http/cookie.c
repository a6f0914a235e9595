/*
 * cookie.c - bounded Cookie header lookup (see cookie.h).
 */
#include <string.h>

#include "cookie.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/str.h"

/*
 * One pass over the header, however many cookies it holds: a browser
 * sends every cookie of the site, set by us or by anything else on it
 * (analytics, a sibling subdomain), so pairs that are not `name` are
 * skipped whatever their size or number, never a reason to fail. The
 * pass goes to the end even once `name` is found: a second copy must be
 * seen (cookie.h). It is linear in len, which the server bounds
 * (GH_MAX_COOKIE_HDR), and allocates nothing.
 */
enum gh_err
cookie_get(const char *header, size_t len, const char *name, char *out,
    size_t outsz)
{
	struct slice	 rest = { header, len }, pair, k, v;
	bool		 found = false;

	if (header == NULL || len == 0)
		return GH_ERR_NOT_FOUND;
	if (len > GH_MAX_COOKIE_HDR)
		return GH_ERR_LIMIT;
	while (rest.len > 0) {
		slice_split(rest, ';', &pair, &rest);
		if (!slice_split(pair, '=', &k, &v))
			continue;	/* not a name=value pair: ignore */
		k = slice_trim(k);
		if (!slice_eq_cstr(k, name))
			continue;
		if (found) {
			/* the first copy may be a live session's secret */
			crypto_wipe(out, outsz);
			return GH_ERR_DUPLICATE;
		}
		v = slice_trim(v);
		/* RFC 6265 allows a quoted value */
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
			v.p++;
			v.len -= 2;
		}
		if (v.len + 1 > outsz || memchr(v.p, '\0', v.len))
			return GH_ERR_LIMIT;
		memcpy(out, v.p, v.len);
		out[v.len] = '\0';
		found = true;
	}
	return found ? GH_OK : GH_ERR_NOT_FOUND;
}
