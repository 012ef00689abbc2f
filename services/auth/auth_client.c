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

/* --- batched lookups --- */

struct auth_client_users {
    Pigeon__Auth__UserList **lists; /* unpacked replies, owned */
    size_t nlists;                  /* entries in lists */
    Pigeon__Auth__User **by_id;     /* borrowed from lists, sorted by id */
    size_t n;                       /* entries in by_id */
};

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int s_cmp_user(const void *a, const void *b)
{
    const Pigeon__Auth__User *x = *(Pigeon__Auth__User *const *)a;
    const Pigeon__Auth__User *y = *(Pigeon__Auth__User *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

void auth_client_users_destroy(auth_client_users_t **users_p)
{
    if (users_p == NULL || *users_p == NULL)
        return;
    auth_client_users_t *u = *users_p;
    for (size_t i = 0; i < u->nlists; i++)
        protobuf_c_message_free_unpacked(&u->lists[i]->base, NULL);
    free(u->lists);
    free(u->by_id);
    free(u);
    *users_p = NULL;
}

Pigeon__Auth__User *auth_client_users_get(const auth_client_users_t *users, int64_t id)
{
    if (users == NULL || users->n == 0)
        return NULL;
    Pigeon__Auth__User key = PIGEON__AUTH__USER__INIT;
    key.id = id;
    Pigeon__Auth__User *kp = &key;
    Pigeon__Auth__User **hit =
        bsearch(&kp, users->by_id, users->n, sizeof *users->by_id, s_cmp_user);
    return hit ? *hit : NULL;
}

int auth_client_get_users_all(pc_rpc_client_t *cli, auth_client_opts_fn next_opts, void *arg,
                              const int64_t *ids_in, size_t n_in, auth_client_users_t **out,
                              pc_rpc_reply_t *reply)
{
    int status = -1;
    int64_t *ids = NULL;
    *out = NULL;
    auth_client_users_t *u = calloc(1, sizeof *u);
    if (u == NULL)
        goto fail;
    /* Sorted and unique, so batches never repeat an id. */
    ids = malloc((n_in ? n_in : 1) * sizeof *ids);
    if (ids == NULL)
        goto fail;
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++)
        if (ids_in[i] > 0)
            ids[n++] = ids_in[i];
    qsort(ids, n, sizeof *ids, s_cmp_i64);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        if (uniq == 0 || ids[uniq - 1] != ids[i])
            ids[uniq++] = ids[i];
    size_t batches = (uniq + AUTH_CLIENT_USERS_BATCH - 1) / AUTH_CLIENT_USERS_BATCH;
    u->lists = calloc(batches ? batches : 1, sizeof *u->lists);
    u->by_id = calloc(uniq ? uniq : 1, sizeof *u->by_id);
    if (u->lists == NULL || u->by_id == NULL)
        goto fail;
    for (size_t off = 0; off < uniq; off += AUTH_CLIENT_USERS_BATCH) {
        size_t len = uniq - off < AUTH_CLIENT_USERS_BATCH ? uniq - off : AUTH_CLIENT_USERS_BATCH;
        pc_rpc_opts_t opts = next_opts(arg);
        Pigeon__Auth__UserList *list = NULL;
        status = auth_client_get_users(cli, &opts, ids + off, len, &list, reply);
        if (!pc_status_is_success(status))
            goto fail; /* reply holds the answer */
        pc_rpc_reply_clear(reply);
        u->lists[u->nlists++] = list;
        for (size_t i = 0; i < list->n_users && u->n < uniq; i++)
            u->by_id[u->n++] = list->users[i];
    }
    qsort(u->by_id, u->n, sizeof *u->by_id, s_cmp_user);
    free(ids);
    *out = u;
    return PC_OK;
fail:
    free(ids);
    auth_client_users_destroy(&u);
    return status;
}
