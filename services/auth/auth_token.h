/* auth_token.h - session tokens: 256 random bits, stored only as SHA-256.
 *
 * A token is 32 bytes from the system CSPRNG, written as base64url without
 * padding (43 characters). The database keeps only its SHA-256 digest (a
 * fast, indexed lookup key; a token has full entropy, so a slow hash would
 * add nothing), and digests are compared in constant time. Pure, no I/O. */
#ifndef PIGEON_AUTH_TOKEN_H
#define PIGEON_AUTH_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define AUTH_TOKEN_BYTES 32    /* random bytes in a token */
#define AUTH_TOKEN_LEN 43      /* characters of its base64url form */
#define AUTH_TOKEN_HASH_LEN 32 /* SHA-256 digest */

/* A fresh token, NUL-terminated. sodium_init() must have succeeded
 * (auth_service_new sees to it). */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* True when `token` has the shape of a token (43 base64url characters that
 * decode to 32 bytes). Anything else cannot be valid and needs no lookup. */
bool auth_token_well_formed(const char *token);

/* SHA-256 of the token text. */
void auth_token_hash(const char *token, uint8_t out[AUTH_TOKEN_HASH_LEN]);

/* Constant-time comparison of two digests. */
bool auth_token_hash_equal(const uint8_t a[AUTH_TOKEN_HASH_LEN],
                           const uint8_t b[AUTH_TOKEN_HASH_LEN]);

#endif
