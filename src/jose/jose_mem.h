/*
 * jose_mem.h - cjose allocates through the server's allocator (util/
 * json_text.h): the parts and the compact form of every JWS it makes
 * (a JWT access token is a bearer token) are wiped before they are freed.
 */
#ifndef GH_JOSE_MEM_H
#define GH_JOSE_MEM_H

/* Once, at start, after json_mem_init(), before any signing. */
void	jose_mem_init(void);

#endif
