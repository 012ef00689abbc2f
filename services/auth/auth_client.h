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

#endif
