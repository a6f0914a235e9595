/*
 * fuzz_head.c - libFuzzer target for head_scan() and head_refused()
 * (http/head.h), the checks of a request's head made before its body is
 * read. The input is header lines, "Name: value" separated by '\n' (what
 * libmicrohttpd hands over once it has split them); its first byte picks
 * HTTP/1.1 (even) or HTTP/1.0 (odd).
 *
 * Each name and value is a heap copy of exactly its length plus the NUL,
 * so ASan sees any read past it; they live until head_refused() is done,
 * as libmicrohttpd's do for the request (head_scan keeps pointers). The answer is checked against a plain
 * re-reading of the same lines (ref_refused below): the Host rules of RFC
 * 9112 3.2 must hold exactly, and nothing the reference refuses may pass.
 *
 * The whole input, as a C string, is also a request target for
 * head_origin_form(): rewritten in place, never longer; one in
 * absolute-form becomes "/" plus what followed its authority, any other
 * stays as it was.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/head.h"
#include "fuzz_check.h"

#define MAX_LINES 64

struct ref {
	unsigned	hosts, cls, tes;
	bool		bad_host, bad_name, te_not_chunked;
};

static bool
in_set(char c, const char *alnum_and)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(alnum_and, c));
}

static void
ref_line(struct ref *r, const char *k, const char *v)
{
	const char *p;

	if (*k == '\0')
		r->bad_name = true;
	for (p = k; *p; p++)
		if (!in_set(*p, "!#$%&'*+-.^_`|~"))
			r->bad_name = true;
	if (strcasecmp(k, "Host") == 0) {
		r->hosts++;
		for (p = v; *p; p++)
			if (!in_set(*p, "-._~%!$&'()*+,;=:[]"))
				r->bad_host = true;
	} else if (strcasecmp(k, "Content-Length") == 0)
		r->cls++;
	else if (strcasecmp(k, "Transfer-Encoding") == 0) {
		r->tes++;
		r->te_not_chunked = strcasecmp(v, "chunked") != 0;
	}
}

static bool
ref_refused(const struct ref *r, bool http11)
{
	return r->bad_name || (r->tes > 0 && !http11) || r->cls > 1 ||
	    r->tes > 1 || (r->tes > 0 && (r->cls > 0 || r->te_not_chunked)) ||
	    r->hosts > 1 || r->bad_host || (r->hosts == 0 && http11);
}

static void
origin_form(const uint8_t *data, size_t size)
{
	char	*t, *was;
	size_t	 skip = 0, auth;

	t = strndup((const char *)data, size);
	was = strndup((const char *)data, size);
	check(t != NULL && was != NULL);
	head_origin_form(t);
	check(strlen(t) <= strlen(was));
	if (strncasecmp(was, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(was, "https://", 8) == 0)
		skip = 8;
	if (skip == 0)
		check(strcmp(t, was) == 0);
	else {
		auth = skip + strcspn(was + skip, "/?");
		check(t[0] == '/');
		check(strcmp(t + (was[auth] != '/'), was + auth) == 0);
	}
	free(t);
	free(was);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_scan	 h;
	struct ref		 r;
	const char		*version, *why;
	char			*k, *v, *keep[2 * MAX_LINES];
	size_t			 i, start, colon, n = 0;

	origin_form(data, size);
	if (size == 0)
		return 0;
	version = data[0] % 2 == 0 ? "HTTP/1.1" : "HTTP/1.0";
	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	for (start = i = 1; i <= size && n < MAX_LINES; i++) {
		if (i < size && data[i] != '\n')
			continue;
		/* a NUL ends a C string early: libmicrohttpd cuts there too */
		for (colon = start; colon < i && data[colon] != ':' &&
		    data[colon] != '\0'; colon++)
			;
		k = strndup((const char *)data + start, colon - start);
		v = colon < i ? strndup((const char *)data + colon + 1,
		    i - colon - 1) : strdup("");
		check(k != NULL && v != NULL);
		check(head_scan(&h, MHD_HEADER_KIND, k, v) == MHD_YES);
		ref_line(&r, k, v);
		keep[2 * n] = k;
		keep[2 * n + 1] = v;
		n++;
		start = i + 1;
	}
	why = head_refused(&h, version);
	check((why != NULL) == ref_refused(&r, version[7] == '1'));
	for (i = 0; i < 2 * n; i++)
		free(keep[i]);
	return 0;
}
