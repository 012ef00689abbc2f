/* auth_client.c - typed calls to pigeon-auth for other processes. */
#include "auth_client.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

/* Turns a successful reply whose body does not hold what it should into a
 * 500 the caller can pass on like any other failure. */
static int s_malformed(pc_rpc_reply_t *reply, int status)
{
    free(reply->error);
    reply->error = strdup("malformed reply from pigeon-auth");
    reply->status = status;
    return status;
}

int auth_client_verify(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *token,
                       int64_t *user_id, int64_t *expires_at_us, uint8_t hash[32],
                       pc_rpc_reply_t *reply)
{
    Pigeon__Auth__VerifyRequest req = PIGEON__AUTH__VERIFY_REQUEST__INIT;
    req.token = (char *)token;
    int status = pc_rpc_call(cli, opts, "auth.verify", &req.base, reply);
    if (status != PC_OK)
        return status;
    Pigeon__Auth__Identity *id = (Pigeon__Auth__Identity *)pc_rpc_reply_unpack(
        reply, &pigeon__auth__identity__descriptor, &status);
    if (id == NULL)
        return s_malformed(reply, status);
    if (id->token_hash.len != 32) {
        protobuf_c_message_free_unpacked(&id->base, NULL);
        return s_malformed(reply, PC_INTERNAL);
    }
    *user_id = id->user_id;
    *expires_at_us = id->expires_at_us;
    memcpy(hash, id->token_hash.data, 32);
    protobuf_c_message_free_unpacked(&id->base, NULL);
    return PC_OK;
}

int auth_client_get_users(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const int64_t *ids,
                          size_t n, Pigeon__Auth__UserList **out, pc_rpc_reply_t *reply)
{
    Pigeon__Auth__GetUsersRequest req = PIGEON__AUTH__GET_USERS_REQUEST__INIT;
    req.n_ids = n;
    req.ids = (int64_t *)ids;
    *out = NULL;
    int status = pc_rpc_call(cli, opts, "auth.get_users", &req.base, reply);
    if (status != PC_OK)
        return status;
    *out = (Pigeon__Auth__UserList *)pc_rpc_reply_unpack(
        reply, &pigeon__auth__user_list__descriptor, &status);
    if (*out == NULL)
        return s_malformed(reply, status);
    return PC_OK;
}
