/*
 * pkce.h - Proof Key for Code Exchange, S256 only (RFC 7636; RFC 9700
 * 2.1.1 forbids "plain" in practice, and we refuse it outright).
 */
#ifndef GH_PKCE_H
#define GH_PKCE_H

#include <stdbool.h>

/* A S256 challenge: exactly 43 base64url characters (RFC 7636 4.2). */
bool	pkce_challenge_valid(const char *challenge);
/* A verifier: 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1). */
bool	pkce_verifier_valid(const char *verifier);
/* BASE64URL(SHA256(verifier)) == challenge, compared in constant time. */
bool	pkce_verify(const char *verifier, const char *challenge);

#endif
