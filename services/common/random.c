/* random.c - identifiers and cache lifetimes from the system CSPRNG (libsodium). */
#include "random.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

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

void pc_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    pthread_once(&s_sodium_once, s_sodium_init);
    size_t done = 0;
    /* In chunks so any size works without a heap allocation. */
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof buf ? nbytes - done : sizeof buf;
        randombytes_buf(buf, n);
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
