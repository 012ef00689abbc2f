/* idem.c - Idempotency-Key validation and request id derivation. */
#include "idem.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "random.h"

bool gw_idem_key_valid(const char *key)
{
    if (!key)
        return false;
    size_t len = strlen(key);
    if (len < 1 || len > GW_IDEM_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return false;
    return true;
}

void gw_idem_request_id(int64_t user_id, const char *method, const char *path, const char *key,
                        char out[33])
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%" PRId64 " ", user_id);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prefix, (unsigned long long)n);
    crypto_hash_sha256_update(&st, (const unsigned char *)method, strlen(method));
    crypto_hash_sha256_update(&st, (const unsigned char *)" ", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)path, strlen(path));
    crypto_hash_sha256_update(&st, (const unsigned char *)" ", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)key, strlen(key));
    crypto_hash_sha256_final(&st, digest);
    pc_hex_encode(digest, 16, out);
}
