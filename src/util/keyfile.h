/*
 * keyfile.h - the server key file: 32 random bytes, hex-encoded, readable
 * by the owner only. Created once by `gatehouse init`.
 */
#ifndef GH_KEYFILE_H
#define GH_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* GH_ERR_EXISTS if there is a file (or a link) at path already. */
enum gh_err	keyfile_create(const char *path, uint8_t *key, size_t n);
/*
 * Loads only a regular file (not a symbolic link) owned by the effective
 * user that group and others cannot read; otherwise, or when it holds
 * no key, an error and *why says what is wrong in words (a phrase that
 * follows the file's name). *why is NULL on success.
 */
enum gh_err	keyfile_load(const char *path, uint8_t *key, size_t n,
		    const char **why);

#endif
