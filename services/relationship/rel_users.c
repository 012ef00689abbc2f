/* rel_users.c - user objects from pigeon-auth for replies and events, and small
 * helpers every handler shares (see rel_handlers.h). */
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "log.h"
#include "rel_handlers.h"
#include "rel_service.h"

void rel_users_destroy(rel_users_t **users_p)
{
    auth_client_users_destroy(users_p);
}

Pigeon__Auth__User *rel_users_get(const rel_users_t *users, int64_t id)
{
    return auth_client_users_get(users, id);
}

static pc_rpc_opts_t s_child_opts(void *call)
{
    return pc_call_child_opts(call);
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

int rel_users_fetch(pc_call_t *call, const int64_t *ids, size_t n, rel_users_t **out)
{
    rel_worker_t *w = pc_call_worker(call);
    pc_rpc_reply_t reply = {0};
    int status = auth_client_get_users_all(w->auth, s_child_opts, call, ids, n, out, &reply);
    if (status < 0)
        status = pc_call_error(call, PC_INTERNAL, "out of memory");
    else if (status != PC_OK)
        status = s_auth_failed(call, status, &reply);
    pc_rpc_reply_clear(&reply);
    return status;
}


