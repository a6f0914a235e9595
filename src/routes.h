/* routes.h - the whole HTTP surface in one table (routes.c). */
#ifndef GH_ROUTES_H
#define GH_ROUTES_H

#include "app.h"
#include "http/request.h"

/* The http_handler_fn given to http_start(); ctx is the struct app. */
void	routes_dispatch(void *ctx, const struct http_request *req,
	    struct http_response *resp);

#endif
