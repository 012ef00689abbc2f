/* grp_common.c - what every handler of pigeon-group shares (see grp_handlers.h):
 * the caller, store failures, user objects from pigeon-auth, contact checks
 * with pigeon-relationship, the group context and the outbox row. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "grp_handlers.h"
#include "grp_service.h"
#include "log.h"
#include "relationship_client.h"



void grp_users_destroy(grp_users_t **users_p)
{
    auth_client_users_destroy(users_p);
}

Pigeon__Auth__User *grp_users_get(const grp_users_t *users, int64_t id)
{
    return auth_client_users_get(users, id);
}

static pc_rpc_opts_t s_child_opts(void *call)
{
    return pc_call_child_opts(call);
}

/* Transport statuses of a nested call pass through; anything else is ours. */
static int s_nested_failed(pc_call_t *call, const char *method, int status,
                           const pc_rpc_reply_t *reply)
{
    if (status == PC_UNAVAILABLE || status == PC_DEADLINE_EXCEEDED)
        return pc_call_error(call, status, "%s",
                             reply->error ? reply->error : "service unreachable");
    pc_log(PC_LOG_ERROR, pc_call_trace(call), "%s answered %d: %s", method, status,
           reply->error ? reply->error : "");
    return pc_call_error(call, PC_INTERNAL, "could not complete %s", method);
}

int grp_users_fetch(pc_call_t *call, const int64_t *ids, size_t n, grp_users_t **out)
{
    grp_worker_t *w = pc_call_worker(call);
    pc_rpc_reply_t reply = {0};
    int status = auth_client_get_users_all(w->auth, s_child_opts, call, ids, n, out, &reply);
    if (status < 0)
        status = pc_call_error(call, PC_INTERNAL, "out of memory");
    else if (status != PC_OK)
        status = s_nested_failed(call, "auth.get_users", status, &reply);
    pc_rpc_reply_clear(&reply);
    return status;
}

int grp_require_contacts(pc_call_t *call, int64_t me, const int64_t *ids, size_t n)
{
    grp_worker_t *w = pc_call_worker(call);
    /* One rel.is_contact per id (~0.1 ms each); at most GRP_MAX_NAMED per call. */
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == me)
            continue;
        pc_rpc_opts_t opts = pc_call_child_opts(call);
        pc_rpc_reply_t reply = {0};
        bool contact = false;
        int st = relationship_client_is_contact(w->rel, &opts, me, ids[i], &contact, &reply);
        if (!pc_status_is_success(st)) {
            st = s_nested_failed(call, "rel.is_contact", st, &reply);
            pc_rpc_reply_clear(&reply);
            return st;
        }
        pc_rpc_reply_clear(&reply);
        if (!contact)
            return pc_call_error(call, PC_FORBIDDEN, "user %" PRId64 " is not your contact",
                                 ids[i]);
    }
    return PC_OK;
}

int grp_ctx_load(pc_call_t *call, int64_t id, int64_t me, bool lock, grp_need_t need,
                 grp_ctx_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    pc_db_t *db = pc_call_db(call);
    bool found = false, member = false;
    int st = grp_store_get_group(db, id, lock, &ctx->group, &found);
    if (st == PC_OK && found)
        st = grp_store_get_member(db, id, me, &ctx->me, &member);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the group");
    if (!member)
        memset(&ctx->me, 0, sizeof ctx->me);
    ctx->view.exists = found;
    ctx->view.dismissed = found && ctx->group.dismissed_us != 0;
    ctx->view.policy = ctx->group.policy;
    ctx->view.role = member ? ctx->me.role : GRP_ROLE_NONE;
    st = grp_gate(&ctx->view, need);
    if (st != PC_OK)
        return pc_call_error(call, st, "%s", grp_gate_message(&ctx->view, need));
    return PC_OK;
}

void grp_ctx_clear(grp_ctx_t *ctx)
{
    if (ctx != NULL)
        grp_group_row_clear(&ctx->group);
}

void grp_group_pb(const grp_group_row_t *row, Pigeon__Grp__Group *out)
{
    pigeon__grp__group__init(out);
    out->id = row->id;
    out->name = row->name;
    out->description = row->description;
    out->owner_id = row->owner_id;
    out->join_policy = (char *)grp_policy_name(row->policy);
    out->member_count = row->member_count;
    out->created_at_us = row->created_us;
    out->has_dismissed_at_us = row->dismissed_us != 0;
    out->dismissed_at_us = row->dismissed_us;
}

void grp_member_pb(const grp_member_row_t *row, Pigeon__Auth__User *user, Pigeon__Grp__Member *out)
{
    pigeon__grp__member__init(out);
    out->user = user;
    out->role = (char *)grp_role_name(row->role);
    out->joined_at_us = row->joined_us;
    out->has_muted_until_us = row->muted_until_us != 0;
    out->muted_until_us = row->muted_until_us;
}

int grp_record_change(pc_call_t *call, int64_t group, const char *kind, int64_t actor,
                      const int64_t *users, size_t n, const char *role, bool added)
{
    char *text = grp_system_text(kind, actor, users, n, role, added);
    int64_t id = 0;
    int st = grp_store_add_change(pc_call_db(call), group, kind, actor, users, n, role, text, &id);
    free(text);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "record the membership change");
    grp_publish_nudge(call, id);
    return PC_OK;
}
