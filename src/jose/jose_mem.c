/* jose_mem.c - see jose_mem.h. */
#include <cjose/cjose.h>
#include <openssl/crypto.h>

#include "jose_mem.h"
#include "../util/json_text.h"

void
jose_mem_init(void)
{
	/*
	 * cjose_set_alloc_funcs also hands these to jansson (the same as
	 * json_mem_init) and to OpenSSL's CRYPTO_set_mem_functions, which
	 * takes them only before OpenSSL's first allocation: OpenSSL is
	 * started first, so it keeps its own (wiping each of its blocks
	 * would cost every request; it cleanses its secrets itself).
	 */
	(void)OPENSSL_init_crypto(0, NULL);
	cjose_set_alloc_funcs(json_mem_alloc, json_mem_realloc,
	    json_mem_free);
}
