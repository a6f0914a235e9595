/*
 * app.h - the one context passed explicitly to every handler: settings,
 * store and the server key. There is no global server struct.
 *
 * The server key (32 random bytes from key_file) keys the hashes under
 * which codes, tokens, sessions and client secrets are stored, and the
 * CSRF tokens of forms. A database dump without it holds nothing usable,
 * and with it still only hashes of 256-bit random values.
 */
#ifndef GH_APP_H
#define GH_APP_H

#include <stdint.h>
#include "conf.h"
#include "jose/keyring.h"
#include "store/store.h"

#define GH_KEY_BYTES 32

struct gov;

struct app {
	struct conf	 conf;
	struct store	*store;
	struct keyring	*keys;		/* signing keys (serve only) */
	struct gov	*gov;		/* rule state, webhook (serve only) */
	uint8_t		 key[GH_KEY_BYTES];
};

#endif
