/*
 * keyfile.h - the server key file: 32 random bytes, hex-encoded, readable
 * by the owner only. Created once by `gatehouse init`.
 */
#ifndef GH_KEYFILE_H
#define GH_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum gh_err	keyfile_create(const char *path, uint8_t *key, size_t n);
/* Refuses a key file that group or others can read. */
enum gh_err	keyfile_load(const char *path, uint8_t *key, size_t n);

#endif
