/* random.c - identifiers and cache lifetimes from the system CSPRNG (libsodium). */
#include "random.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_sodium_once = PTHREAD_ONCE_INIT;

static void s_sodium_init(void)
{
    /* Without a working CSPRNG no token or id can be made safely: nothing
     * sensible remains to do but stop. */
    if (sodium_init() < 0)
        abort();
}

void pc_hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

/* Identifier bytes: every thread reads one key from the system CSPRNG and
 * then takes ChaCha20 keystream blocks under a counter nonce. Request and
 * trace ids are made for every message; one getrandom(2) each was about a
 * seventh of the gateway's system calls under load. */
typedef struct {
    unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
    uint64_t next; /* nonce of the next draw */
    bool keyed;
} s_id_stream_t;

static _Thread_local s_id_stream_t s_ids;

static void s_id_bytes(unsigned char *buf, size_t n)
{
    if (!s_ids.keyed) {
        randombytes_buf(s_ids.key, sizeof s_ids.key);
        s_ids.keyed = true;
    }
    unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
    memcpy(nonce, &s_ids.next, sizeof s_ids.next);
    s_ids.next++;
    crypto_stream_chacha20_ietf(buf, n, nonce, s_ids.key);
}

void pc_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    pthread_once(&s_sodium_once, s_sodium_init);
    size_t done = 0;
    /* In chunks so any size works without a heap allocation. */
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof buf ? nbytes - done : sizeof buf;
        s_id_bytes(buf, n);
        pc_hex_encode(buf, n, out + 2 * done);
        done += n;
    }
    out[2 * nbytes] = '\0';
    sodium_memzero(buf, sizeof buf);
}

int pc_random_lifetime_ms(int ttl_ms)
{
    if (ttl_ms <= 1)
        return ttl_ms;
    pthread_once(&s_sodium_once, s_sodium_init);
    int half = ttl_ms / 2;
    return ttl_ms - (int)randombytes_uniform((uint32_t)(ttl_ms - half) + 1);
}
