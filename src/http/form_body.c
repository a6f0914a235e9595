/* form_body.c - see form_body.h. */
#include <string.h>
#include <strings.h>

#include "form_body.h"

bool
form_content_type_ok(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	/* nothing after it but parameters such as charset */
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

enum gh_err
form_body_parse(const struct http_request *req, struct params *p)
{
	params_init(p);
	if (!form_content_type_ok(req->content_type))
		return GH_ERR_INVALID;
	return form_parse(buf_str(&req->body), req->body.len, p);
}
