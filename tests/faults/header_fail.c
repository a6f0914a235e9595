/*
 * header_fail.c - an LD_PRELOAD shim for tests/e2e/test_reply_headers.py:
 * while the file named by GH_FAULT_HEADER exists, libmicrohttpd refuses to
 * add the response header named in it, as it does when it cannot allocate
 * the header. The server must then send nothing rather than a reply
 * without that header.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct MHD_Response;

int	MHD_add_response_header(struct MHD_Response *r, const char *name,
	    const char *value);

int
MHD_add_response_header(struct MHD_Response *r, const char *name,
    const char *value)
{
	static int	(*real)(struct MHD_Response *, const char *,
			    const char *);
	const char	*path = getenv("GH_FAULT_HEADER");
	char		 fail[64] = "";
	FILE		*f;

	if (path != NULL && name != NULL && (f = fopen(path, "r")) != NULL) {
		if (fgets(fail, sizeof(fail), f) != NULL)
			fail[strcspn(fail, "\n")] = '\0';
		fclose(f);
		if (strcasecmp(name, fail) == 0)
			return 0;	/* MHD_NO */
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "MHD_add_response_header");
	return real ? real(r, name, value) : 0;
}
