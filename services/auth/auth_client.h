/* auth_client.h - typed calls to pigeon-auth for other processes.
 *
 * Each returns the reply status. On failure `reply` keeps the error message
 * and retry_after for the caller to pass on; clear it with pc_rpc_reply_clear
 * in every case. */
#ifndef PIGEON_AUTH_CLIENT_H
#define PIGEON_AUTH_CLIENT_H

#include <stdint.h>

#include "auth.pb-c.h"
#include "rpc_client.h"

/* token -> user id, expiry and the token's SHA-256 (32 bytes into hash). */
int auth_client_verify(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *token,
                       int64_t *user_id, int64_t *expires_at_us, uint8_t hash[32],
                       pc_rpc_reply_t *reply);

/* Users by id (unknown ids left out); *out freed with
 * protobuf_c_message_free_unpacked. */
int auth_client_get_users(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const int64_t *ids,
                          size_t n, Pigeon__Auth__UserList **out, pc_rpc_reply_t *reply);

/* Users by id for any number of ids, in auth.get_users calls of
 * AUTH_CLIENT_USERS_BATCH (pigeon-auth takes up to 1000): a full contact list
 * costs a handful of calls, each reply stays well under 100 KiB. */
#define AUTH_CLIENT_USERS_BATCH 500

typedef struct auth_client_users auth_client_users_t;

/* Options for the next call of a batch: nested calls take fresh ones per call. */
typedef pc_rpc_opts_t (*auth_client_opts_fn)(void *arg);

/* Fetches the users named in ids (duplicates and ids <= 0 asked for once or
 * not at all; unknown ones left out), each batch with next_opts(arg).
 * PC_OK and *out; or the failed call's status with its answer in reply; or
 * -1 when out of memory (reply untouched). O(n log n). */
int auth_client_get_users_all(pc_rpc_client_t *cli, auth_client_opts_fn next_opts, void *arg,
                              const int64_t *ids, size_t n, auth_client_users_t **out,
                              pc_rpc_reply_t *reply);
/* The user with that id, or NULL; borrowed from `users`. O(log n). */
Pigeon__Auth__User *auth_client_users_get(const auth_client_users_t *users, int64_t id);
void auth_client_users_destroy(auth_client_users_t **users);

#endif
