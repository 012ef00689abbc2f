/* auth_password.h - Argon2id password hashes on a bounded pool of cores.
 *
 * A hash costs tens of milliseconds of one core and tens of MiB of memory,
 * so at most `workers` of them run at once (default: one per core) whatever
 * the number of RPC worker threads. A caller beyond that waits in a queue of
 * at most `queue` places, for at most its remaining deadline; when the queue
 * is full the answer is PC_UNAVAILABLE at once (shed load instead of piling
 * up calls that would miss their deadlines anyway).
 *
 * Hashes are libsodium's crypto_pwhash_str strings ("$argon2id$v=19$m=...");
 * they carry their own parameters, so changing the limits later keeps old
 * hashes verifiable. An unknown username is verified against a dummy hash
 * made at start-up with the same parameters, so it costs the same time as a
 * wrong password and login reveals nothing about which usernames exist. */
#ifndef PIGEON_AUTH_PASSWORD_H
#define PIGEON_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_PASSWORD_HASH_SIZE 128 /* crypto_pwhash_STRBYTES: room for a hash string */

typedef struct auth_password auth_password_t;

typedef struct {
    int workers;                 /* hashes running at once, >= 1 */
    int queue;                   /* callers allowed to wait for a slot, >= 0 */
    unsigned long long opslimit; /* Argon2id passes, >= 1 */
    size_t memlimit;             /* Argon2id memory in bytes, >= 8 KiB */
} auth_password_opts_t;

/* Computes the dummy hash (one hash's time). NULL on OOM or when libsodium
 * rejects the parameters. */
auth_password_t *auth_password_new(const auth_password_opts_t *opts);
void auth_password_destroy(auth_password_t **pw);

/* Hashes `password` into out (NUL-terminated). Returns PC_OK,
 * PC_UNAVAILABLE (queue full), PC_DEADLINE_EXCEEDED (no slot within
 * wait_ms) or PC_INTERNAL (out of memory). */
int auth_password_hash(auth_password_t *pw, const char *password, int wait_ms,
                       char out[AUTH_PASSWORD_HASH_SIZE]);

/* Checks `password` against `stored` (NULL: against the dummy hash, which
 * never matches). *match is set only when PC_OK is returned; other statuses
 * as for auth_password_hash. */
int auth_password_verify(auth_password_t *pw, const char *stored, const char *password, int wait_ms,
                         bool *match);

/* The limiter underneath, exposed for tests and metrics: take a slot
 * (statuses as above) and give it back. */
int auth_password_acquire(auth_password_t *pw, int wait_ms);
void auth_password_release(auth_password_t *pw);
/* Callers waiting for a slot right now. */
int auth_password_queued(auth_password_t *pw);

#endif
