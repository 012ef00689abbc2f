/* rel_users.c - user objects from pigeon-auth for replies and events, and small
 * helpers every handler shares (see rel_handlers.h). */
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "log.h"
#include "rel_handlers.h"
#include "rel_service.h"

/* Ids per auth.get_users call (pigeon-auth takes up to 1000): a full contact
 * list costs a handful of calls, each reply stays well under 100 KiB. */
#define S_BATCH 500

struct rel_users {
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

void rel_users_destroy(rel_users_t **users_p)
{
    if (users_p == NULL || *users_p == NULL)
        return;
    rel_users_t *u = *users_p;
    for (size_t i = 0; i < u->nlists; i++)
        protobuf_c_message_free_unpacked(&u->lists[i]->base, NULL);
    free(u->lists);
    free(u->by_id);
    free(u);
    *users_p = NULL;
}

Pigeon__Auth__User *rel_users_get(const rel_users_t *users, int64_t id)
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

/* Answers a failed auth.get_users: transport statuses pass through, anything
 * else is our problem (pigeon-auth answered a well-formed batch badly). */
static int s_auth_failed(pc_call_t *call, int status, const pc_rpc_reply_t *reply)
{
    if (status == PC_UNAVAILABLE || status == PC_DEADLINE_EXCEEDED)
        return pc_call_error(call, status, "%s",
                             reply->error ? reply->error : "could not reach pigeon-auth");
    pc_log(PC_LOG_ERROR, pc_call_trace(call), "auth.get_users answered %d: %s", status,
           reply->error ? reply->error : "");
    return pc_call_error(call, PC_INTERNAL, "could not look up users");
}

int rel_users_fetch(pc_call_t *call, const int64_t *ids_in, size_t n_in, rel_users_t **out)
{
    rel_worker_t *w = pc_call_worker(call);
    int status = PC_OK;
    int64_t *ids = NULL;
    rel_users_t *u = calloc(1, sizeof *u);
    if (u == NULL)
        goto oom;
    /* Sorted and unique, so batches never repeat an id. */
    ids = malloc((n_in ? n_in : 1) * sizeof *ids);
    if (ids == NULL)
        goto oom;
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++)
        if (ids_in[i] > 0)
            ids[n++] = ids_in[i];
    qsort(ids, n, sizeof *ids, s_cmp_i64);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        if (uniq == 0 || ids[uniq - 1] != ids[i])
            ids[uniq++] = ids[i];
    size_t batches = (uniq + S_BATCH - 1) / S_BATCH;
    u->lists = calloc(batches ? batches : 1, sizeof *u->lists);
    u->by_id = calloc(uniq ? uniq : 1, sizeof *u->by_id);
    if (u->lists == NULL || u->by_id == NULL)
        goto oom;
    for (size_t off = 0; off < uniq; off += S_BATCH) {
        size_t len = uniq - off < S_BATCH ? uniq - off : S_BATCH;
        pc_rpc_opts_t opts = pc_call_child_opts(call);
        pc_rpc_reply_t reply = {0};
        Pigeon__Auth__UserList *list = NULL;
        status = auth_client_get_users(w->auth, &opts, ids + off, len, &list, &reply);
        if (!pc_status_is_success(status)) {
            status = s_auth_failed(call, status, &reply);
            pc_rpc_reply_clear(&reply);
            goto fail;
        }
        pc_rpc_reply_clear(&reply);
        u->lists[u->nlists++] = list;
        for (size_t i = 0; i < list->n_users && u->n < uniq; i++)
            u->by_id[u->n++] = list->users[i];
    }
    qsort(u->by_id, u->n, sizeof *u->by_id, s_cmp_user);
    free(ids);
    *out = u;
    return PC_OK;
oom:
    status = pc_call_error(call, PC_INTERNAL, "out of memory");
fail:
    free(ids);
    rel_users_destroy(&u);
    return status;
}

int64_t rel_caller(pc_call_t *call)
{
    int64_t caller = pc_call_caller(call);
    if (caller <= 0) {
        pc_call_error(call, PC_UNAUTHENTICATED, "authentication required");
        return 0;
    }
    return caller;
}

int rel_store_failed(pc_call_t *call, int status, const char *what)
{
    switch (status) {
    case PC_UNAVAILABLE:
        return pc_call_error(call, status, "could not %s: database unavailable", what);
    case PC_DEADLINE_EXCEEDED:
        return pc_call_error(call, status, "could not %s in time", what);
    default:
        return pc_call_error(call, PC_INTERNAL, "could not %s", what);
    }
}
