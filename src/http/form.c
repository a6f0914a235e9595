/*
 * form.c - bounded form/query parser (see form.h).
 *
 * Values are passwords, client secrets, codes and refresh tokens as often
 * as not: every decoded copy is wiped before it is freed, as the server
 * wipes the raw body (a freed copy would outlive the request in the heap).
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "../util/crypto.h"
#include "../util/str.h"

void
params_init(struct params *p)
{
	memset(p, 0, sizeof(*p));
}

/* a decoded copy (NUL-terminated, or NULL), wiped, then freed */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	crypto_wipe(s, strlen(s));
	free(s);
}

void
params_free(struct params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		wipe_free(p->items[i].name);
		wipe_free(p->items[i].value);
	}
	p->n = 0;
}

long
form_decode(const char *s, size_t len, char *out, size_t outmax)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0' || o >= outmax)
			return -1;
		out[o++] = c;
	}
	return (long)o;
}

static long
decode_dup(struct slice s, size_t max, char **out)
{
	char	*buf;
	long	 n;

	if (s.len > max * 3)
		return -2;
	if ((buf = malloc(s.len + 1)) == NULL)
		return -3;
	n = form_decode(s.p, s.len, buf, s.len);
	if (n < 0 || (size_t)n > max) {
		/* what was decoded before the fault is as secret */
		crypto_wipe(buf, s.len);
		free(buf);
		return n < 0 ? -1 : -2;
	}
	buf[n] = '\0';
	*out = buf;
	return n;
}

static struct param *
find(const struct params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return (struct param *)&p->items[i];
	return NULL;
}

static enum gh_err
add_pair(struct params *p, struct slice pair)
{
	struct slice	 ks, vs;
	char		*name = NULL, *value = NULL;
	struct param	*old;
	long		 n;

	slice_split(pair, '=', &ks, &vs);
	if ((n = decode_dup(ks, GH_MAX_NAME_LEN, &name)) < 0)
		return n == -3 ? GH_ERR_NOMEM : n == -2 ? GH_ERR_LIMIT :
		    GH_ERR_PARSE;
	if ((n = decode_dup(vs, GH_MAX_PARAM_LEN, &value)) < 0) {
		wipe_free(name);
		return n == -3 ? GH_ERR_NOMEM : n == -2 ? GH_ERR_LIMIT :
		    GH_ERR_PARSE;
	}
	/* RFC 6749 3.1: no value means omitted; an empty name is noise */
	if (name[0] == '\0' || value[0] == '\0') {
		wipe_free(name);
		wipe_free(value);
		return GH_OK;
	}
	if ((old = find(p, name)) != NULL) {
		old->dup = true;
		wipe_free(name);
		wipe_free(value);
		return GH_OK;
	}
	if (p->n >= GH_MAX_PARAMS) {
		wipe_free(name);
		wipe_free(value);
		return GH_ERR_LIMIT;
	}
	p->items[p->n].name = name;
	p->items[p->n].value = value;
	p->items[p->n].dup = false;
	p->n++;
	return GH_OK;
}

enum gh_err
form_parse(const char *s, size_t len, struct params *p)
{
	struct slice	 rest = { s, len }, pair;
	size_t		 pairs = 0;
	enum gh_err	 rc;

	params_init(p);
	while (rest.len > 0) {
		slice_split(rest, '&', &pair, &rest);
		if (pair.len == 0)
			continue;
		/* bound work even when most pairs are empty values */
		if (++pairs > GH_MAX_PARAMS * 2) {
			rc = GH_ERR_LIMIT;
			goto fail;
		}
		if ((rc = add_pair(p, pair)) != GH_OK)
			goto fail;
	}
	return GH_OK;
fail:
	params_free(p);
	return rc;
}

const char *
params_get(const struct params *p, const char *name)
{
	const struct param *x = find(p, name);

	return x ? x->value : NULL;
}

bool
params_is_dup(const struct params *p, const char *name)
{
	const struct param *x = find(p, name);

	return x && x->dup;
}

const char *
params_first_dup(const struct params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->items[i].dup)
			return p->items[i].name;
	return NULL;
}
