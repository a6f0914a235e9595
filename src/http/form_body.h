/*
 * form_body.h - the parameters of a POST body, which must be
 * application/x-www-form-urlencoded (RFC 6749 3.2, RFC 7009 2.1,
 * RFC 7662 2.1). GH_ERR_INVALID means another content type.
 */
#ifndef GH_FORM_BODY_H
#define GH_FORM_BODY_H

#include "form.h"
#include "request.h"

bool		form_content_type_ok(const char *content_type);
enum gh_err	form_body_parse(const struct http_request *req,
		    struct params *p);

#endif
