/* auth_token.c - session tokens: 256 random bits, stored only as SHA-256. */
#include "auth_token.h"

#include <sodium.h>
#include <string.h>

void auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char raw[AUTH_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw); /* the kernel CSPRNG (getrandom) */
    sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

bool auth_token_well_formed(const char *token)
{
    unsigned char raw[AUTH_TOKEN_BYTES];
    size_t raw_len = 0;
    const char *end = NULL;
    if (token == NULL || strlen(token) != AUTH_TOKEN_LEN)
        return false;
    if (sodium_base642bin(raw, sizeof raw, token, AUTH_TOKEN_LEN, NULL, &raw_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    return end != NULL && *end == '\0' && raw_len == AUTH_TOKEN_BYTES;
}

void auth_token_hash(const char *token, uint8_t out[AUTH_TOKEN_HASH_LEN])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

bool auth_token_hash_equal(const uint8_t a[AUTH_TOKEN_HASH_LEN],
                           const uint8_t b[AUTH_TOKEN_HASH_LEN])
{
    return sodium_memcmp(a, b, AUTH_TOKEN_HASH_LEN) == 0;
}
