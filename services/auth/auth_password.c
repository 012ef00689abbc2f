/* auth_password.c - Argon2id password hashes on a bounded pool of cores.
 *
 * The "pool" is a counting semaphore with a bounded wait queue: the hash runs
 * on the calling RPC worker thread once it holds a slot, which keeps the
 * request's own deadline and needs no hand-off between threads. */
#include "auth_password.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

struct auth_password {
    pthread_mutex_t lock;               /* guards active and waiting */
    pthread_cond_t freed;               /* signalled when a slot is given back */
    int workers;                        /* slots */
    int queue;                          /* most callers allowed to wait */
    int active;                         /* slots taken */
    int waiting;                        /* callers waiting for a slot */
    unsigned long long opslimit;        /* Argon2id passes */
    size_t memlimit;                    /* Argon2id memory in bytes */
    char dummy[crypto_pwhash_STRBYTES]; /* hash of a random password, same parameters */
};

_Static_assert(AUTH_PASSWORD_HASH_SIZE == crypto_pwhash_STRBYTES, "hash buffer size");

auth_password_t *auth_password_new(const auth_password_opts_t *opts)
{
    auth_password_t *pw = NULL;
    pthread_condattr_t attr;
    unsigned char raw[16];
    char secret[2 * sizeof raw + 1];

    if (sodium_init() < 0 || opts->workers < 1 || opts->queue < 0 ||
        opts->opslimit < crypto_pwhash_OPSLIMIT_MIN || opts->memlimit < crypto_pwhash_MEMLIMIT_MIN)
        return NULL;
    pw = calloc(1, sizeof *pw);
    if (pw == NULL)
        return NULL;
    pw->workers = opts->workers;
    pw->queue = opts->queue;
    pw->opslimit = opts->opslimit;
    pw->memlimit = opts->memlimit;
    pthread_mutex_init(&pw->lock, NULL);
    /* Waits are measured on the monotonic clock, like every deadline in Pigeon. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&pw->freed, &attr);
    pthread_condattr_destroy(&attr);

    /* Nobody knows this password, so the dummy never matches anything. */
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(secret, sizeof secret, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    if (crypto_pwhash_str_alg(pw->dummy, secret, strlen(secret), pw->opslimit, pw->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_memzero(secret, sizeof secret);
        auth_password_destroy(&pw);
        return NULL;
    }
    sodium_memzero(secret, sizeof secret);
    return pw;
}

void auth_password_destroy(auth_password_t **pw_p)
{
    if (pw_p == NULL || *pw_p == NULL)
        return;
    auth_password_t *pw = *pw_p;
    pthread_cond_destroy(&pw->freed);
    pthread_mutex_destroy(&pw->lock);
    free(pw);
    *pw_p = NULL;
}

int auth_password_acquire(auth_password_t *pw, int wait_ms)
{
    int status = PC_OK;
    struct timespec until;
    pthread_mutex_lock(&pw->lock);
    /* Nobody overtakes a caller already waiting. */
    if (pw->active < pw->workers && pw->waiting == 0) {
        pw->active++;
        goto done;
    }
    if (pw->waiting >= pw->queue) {
        status = PC_UNAVAILABLE;
        goto done;
    }
    if (wait_ms <= 0) {
        status = PC_DEADLINE_EXCEEDED;
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pw->waiting++;
    while (pw->active >= pw->workers) {
        if (pthread_cond_timedwait(&pw->freed, &pw->lock, &until) == ETIMEDOUT)
            break;
    }
    pw->waiting--;
    /* Checked again after a timeout: a slot freed at the last moment is still taken. */
    if (pw->active < pw->workers)
        pw->active++;
    else
        status = PC_DEADLINE_EXCEEDED;
done:
    pthread_mutex_unlock(&pw->lock);
    return status;
}

void auth_password_release(auth_password_t *pw)
{
    pthread_mutex_lock(&pw->lock);
    pw->active--;
    pthread_cond_signal(&pw->freed);
    pthread_mutex_unlock(&pw->lock);
}

int auth_password_queued(auth_password_t *pw)
{
    pthread_mutex_lock(&pw->lock);
    int n = pw->waiting;
    pthread_mutex_unlock(&pw->lock);
    return n;
}

int auth_password_hash(auth_password_t *pw, const char *password, int wait_ms,
                       char out[AUTH_PASSWORD_HASH_SIZE])
{
    int status = auth_password_acquire(pw, wait_ms);
    if (status != PC_OK)
        return status;
    /* Fails only when the memory for Argon2 cannot be had. */
    if (crypto_pwhash_str_alg(out, password, strlen(password), pw->opslimit, pw->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        status = PC_INTERNAL;
    auth_password_release(pw);
    return status;
}

int auth_password_verify(auth_password_t *pw, const char *stored, const char *password, int wait_ms,
                         bool *match)
{
    int status = auth_password_acquire(pw, wait_ms);
    if (status != PC_OK)
        return status;
    int ok = crypto_pwhash_str_verify(stored ? stored : pw->dummy, password, strlen(password));
    auth_password_release(pw);
    *match = (ok == 0 && stored != NULL);
    return PC_OK;
}
