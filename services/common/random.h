/* random.h - identifiers and cache lifetimes from the system CSPRNG (libsodium). */
#ifndef PIGEON_RANDOM_H
#define PIGEON_RANDOM_H

#include <stddef.h>

/* Writes 2*nbytes lowercase hex chars and a NUL into out (size >= 2*nbytes+1):
 * a ChaCha20 keystream of a per-thread key from the CSPRNG (identifiers, not
 * secrets; tokens take their bytes from libsodium directly). */
void pc_random_hex(char *out, size_t nbytes);

/* Lowercase hex of `len` bytes into out (size >= 2*len+1). */
void pc_hex_encode(const unsigned char *in, size_t len, char *out);

/* A cache entry's lifetime: uniform in [ttl_ms / 2, ttl_ms] (ttl_ms <= 0
 * gives ttl_ms). Entries filled together then expire spread over half the
 * TTL instead of all at once, when every one of them would be fetched again
 * in the same moment. */
int pc_random_lifetime_ms(int ttl_ms);

#endif
