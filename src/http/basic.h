/*
 * basic.h - decoding an HTTP Basic Authorization header into a client id
 * and secret (RFC 7617, with the form-url-decoding of RFC 6749 2.3.1).
 *
 * The secret buffer is wiped by the decoder on every failure path; on
 * success the caller wipes it after use.
 */
#ifndef GH_BASIC_H
#define GH_BASIC_H

#include <stdbool.h>
#include <stddef.h>
#include "../util/err.h"

/* True if the header uses the Basic scheme (case-insensitive). */
bool		basic_is_basic(const char *header);
enum gh_err	basic_decode(const char *header, size_t len, char *id,
		    size_t idsz, char *secret, size_t secretsz);

#endif
