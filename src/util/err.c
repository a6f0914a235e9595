/* err.c - names for enum gh_err, for logs and the admin command. */
#include "err.h"

const char *
gh_err_str(enum gh_err e)
{
	switch (e) {
	case GH_OK:		return "ok";
	case GH_ERR_NOMEM:	return "out of memory";
	case GH_ERR_LIMIT:	return "input too large";
	case GH_ERR_PARSE:	return "malformed input";
	case GH_ERR_DUPLICATE:	return "duplicate parameter";
	case GH_ERR_NOT_FOUND:	return "not found";
	case GH_ERR_CONFLICT:	return "already used";
	case GH_ERR_EXISTS:	return "already exists";
	case GH_ERR_STORE:	return "storage failure";
	case GH_ERR_CRYPTO:	return "crypto failure";
	case GH_ERR_IO:		return "i/o failure";
	case GH_ERR_INVALID:	return "invalid";
	case GH_ERR_BUSY:	return "busy";
	}
	return "unknown error";
}
