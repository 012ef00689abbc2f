/* grp_handlers_join.c - joining: grp.join, grp.join_requests, grp.approve,
 * grp.reject. */
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "grp_handlers.h"

/* The frame's "request" of a join request row with its user. */
static void s_request_pb(const grp_request_row_t *row, Pigeon__Auth__User *user,
                         Pigeon__Grp__JoinRequest *out)
{
    pigeon__grp__join_request__init(out);
    out->id = row->id;
    out->group_id = row->group_id;
    out->user = user;
    out->message = row->message;
    out->status = (char *)row->status;
    out->created_at_us = row->created_us;
}

/* Open group: the caller becomes a member at once (200 member). */
static int s_join_now(pc_call_t *call, grp_ctx_t *ctx, int64_t me, Pigeon__Auth__User *user)
{
    bool added = false;
    grp_member_row_t row;
    int st =
        grp_store_add_member(pc_call_db(call), ctx->group.id, me, GRP_ROLE_MEMBER, &added, &row);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "join the group");
    if (!added) /* cannot happen under the group lock: the row was just read */
        return pc_call_error(call, PC_CONFLICT, "already a member of this group");
    st = grp_record_change(call, ctx->group.id, "joined", me, &me, 1, NULL, false);
    if (st != PC_OK)
        return st;
    ctx->group.member_count++;
    Pigeon__Grp__Member m;
    grp_member_pb(&row, user, &m);
    Pigeon__Grp__Group g;
    grp_group_pb(&ctx->group, &g);
    grp_publish_members(
        call, ctx->group.id, 0, "joined", &g,
        json_pack("{s:o, s:I}", "member", pc_api_member(&m), "actor_id", (json_int_t)me));
    Pigeon__Grp__JoinReply reply = PIGEON__GRP__JOIN_REPLY__INIT;
    reply.member = &m;
    return pc_call_reply(call, PC_OK, &reply.base);
}

/* Approval group: a pending request (202), told to the owner and admins. */
static int s_join_request(pc_call_t *call, grp_ctx_t *ctx, int64_t me, Pigeon__Auth__User *user,
                          const char *message)
{
    pc_db_t *db = pc_call_db(call);
    grp_request_row_t row;
    int st = grp_store_insert_request(db, ctx->group.id, me, message, &row);
    if (st ==
        PC_CONFLICT) /* the partial unique index: cannot pass the lock, but stays the backstop */
        return pc_call_error(call, PC_CONFLICT, "a join request is already pending");
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "store the join request");
    int64_t *admins = NULL;
    size_t n = 0;
    Pigeon__Grp__JoinRequest r;
    s_request_pb(&row, user, &r);
    if (grp_store_member_ids(db, ctx->group.id, true, &admins, &n) == PC_OK) {
        int64_t *to = realloc(admins, (n + 1) * sizeof *to);
        if (to != NULL) {
            admins = to;
            admins[n++] = me;
            Pigeon__Grp__Group g;
            grp_group_pb(&ctx->group, &g);
            grp_publish(call, admins, n, "join_request", &g,
                        json_pack("{s:o}", "request", pc_api_join_request(&r)));
        }
    }
    free(admins);
    Pigeon__Grp__JoinReply reply = PIGEON__GRP__JOIN_REPLY__INIT;
    reply.request = &r;
    st = pc_call_reply(call, PC_ACCEPTED, &reply.base);
    grp_request_row_clear(&row);
    return st;
}

int grp_h_join(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__JoinRequestBody *req =
        pc_handler_request(call, &pigeon__grp__join_request_body__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (!grp_text_ok(req->message, GRP_MESSAGE_MAX_CHARS))
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "message must be at most %d characters of UTF-8 text without control "
                             "characters",
                             GRP_MESSAGE_MAX_CHARS);
    const char *message = req->message != NULL && req->message[0] ? req->message : NULL;
    grp_ctx_t ctx;
    grp_users_t *users = NULL;
    st = grp_users_fetch(call, &me, 1, &users);
    if (st != PC_OK)
        return st;
    Pigeon__Auth__User *user = grp_users_get(users, me);
    memset(&ctx, 0, sizeof ctx);
    if (user == NULL) {
        st = pc_call_error(call, PC_UNAUTHENTICATED, "unknown user");
        goto done;
    }
    st = pc_call_begin_write(call);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "join the group");
        goto done;
    }
    /* VISIBLE: members pass too, and grp_decide_join answers them 409. */
    st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_VISIBLE, &ctx);
    if (st != PC_OK)
        goto done;
    bool pending = false;
    st = grp_store_has_pending(pc_call_db(call), req->group_id, me, &pending);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read join requests");
        goto done;
    }
    const char *why = NULL;
    switch (grp_decide_join(&ctx.view, pending, ctx.group.member_count, &st, &why)) {
    case GRP_JOIN_NOW:
        st = s_join_now(call, &ctx, me, user);
        break;
    case GRP_JOIN_REQUEST:
        st = s_join_request(call, &ctx, me, user, message);
        break;
    default:
        st = pc_call_error(call, st, "%s", why);
        break;
    }
done:
    grp_users_destroy(&users);
    grp_ctx_clear(&ctx);
    return st;
}

int grp_h_join_requests(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__GroupIdRequest *req =
        pc_handler_request(call, &pigeon__grp__group_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    grp_ctx_t ctx;
    grp_request_row_t *rows = NULL;
    grp_users_t *users = NULL;
    int64_t *ids = NULL;
    Pigeon__Grp__JoinRequest *items = NULL;
    Pigeon__Grp__JoinRequest **ptrs = NULL;
    size_t n = 0;
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_ADMIN, &ctx);
    if (st != PC_OK)
        goto done;
    st = grp_store_list_requests(pc_call_db(call), req->group_id, &rows, &n);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "list join requests");
        goto done;
    }
    ids = malloc((n ? n : 1) * sizeof *ids);
    items = calloc(n ? n : 1, sizeof *items);
    ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (ids == NULL || items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].user_id;
    st = grp_users_fetch(call, ids, n, &users);
    if (st != PC_OK)
        goto done;
    Pigeon__Grp__JoinRequestList list = PIGEON__GRP__JOIN_REQUEST_LIST__INIT;
    for (size_t i = 0; i < n; i++) {
        Pigeon__Auth__User *u = grp_users_get(users, rows[i].user_id);
        if (u == NULL)
            continue;
        s_request_pb(&rows[i], u, &items[list.n_requests]);
        ptrs[list.n_requests] = &items[list.n_requests];
        list.n_requests++;
    }
    list.requests = ptrs;
    st = pc_call_reply(call, PC_OK, &list.base);
done:
    grp_users_destroy(&users);
    grp_request_rows_free(rows, n);
    free(ids);
    free(items);
    free(ptrs);
    grp_ctx_clear(&ctx);
    return st;
}

/* approve / reject: the shared path. */
static int s_decide(pc_call_t *call, bool approve)
{
    int64_t me;
    int st;
    Pigeon__Grp__DecideRequest *req =
        pc_handler_request(call, &pigeon__grp__decide_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    pc_db_t *db = pc_call_db(call);
    grp_ctx_t ctx;
    grp_users_t *users = NULL;
    grp_request_row_t r;
    bool found = false;
    memset(&r, 0, sizeof r);
    /* Who asked, before any lock: the member object needs their user. */
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_ADMIN, &ctx);
    grp_ctx_clear(&ctx);
    if (st != PC_OK)
        return st;
    st = grp_store_get_request(db, req->request_id, false, &r, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the join request");
    if (!found || r.group_id != req->group_id) {
        grp_request_row_clear(&r);
        return pc_call_error(call, PC_NOT_FOUND, "join request not found");
    }
    if (approve)
        st = grp_users_fetch(call, &r.user_id, 1, &users);
    grp_request_row_clear(&r);
    if (st != PC_OK)
        return st;

    st = pc_call_begin_write(call);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "decide the join request");
        goto done;
    }
    st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_ADMIN, &ctx);
    if (st != PC_OK)
        goto done;
    grp_member_row_t existing;
    bool member = false;
    st = grp_store_get_request(db, req->request_id, true, &r, &found);
    if (st == PC_OK && found)
        st = grp_store_get_member(db, req->group_id, r.user_id, &existing, &member);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the join request");
        goto done;
    }
    const char *why = NULL;
    st = grp_may_decide(found && r.group_id == req->group_id,
                        found && strcmp(r.status, "pending") == 0, approve, member,
                        ctx.group.member_count, &why);
    if (st != PC_OK) {
        st = pc_call_error(call, st, "%s", why);
        goto done;
    }
    bool changed = false;
    st = grp_store_finish_request(db, r.id, approve ? "approved" : "rejected", me, &changed);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "decide the join request");
        goto done;
    }
    snprintf(r.status, sizeof r.status, "%s", approve ? "approved" : "rejected");
    Pigeon__Grp__Group g;
    grp_group_pb(&ctx.group, &g);
    if (!approve) {
        grp_publish(call, &r.user_id, 1, "join_rejected", &g,
                    json_pack("{s:I}", "request_id", (json_int_t)r.id));
        st = pc_call_reply(call, PC_NO_CONTENT, NULL);
        goto done;
    }
    Pigeon__Auth__User *user = grp_users_get(users, r.user_id);
    bool added = false;
    grp_member_row_t row;
    if (user == NULL) {
        st = pc_call_error(call, PC_NOT_FOUND, "user not found");
        goto done;
    }
    st = grp_store_add_member(db, req->group_id, r.user_id, GRP_ROLE_MEMBER, &added, &row);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "add the member");
        goto done;
    }
    /* The approver acted (API.md). */
    st = grp_record_change(call, req->group_id, "joined", me, &r.user_id, 1, NULL, false);
    if (st != PC_OK)
        goto done;
    ctx.group.member_count++;
    grp_group_pb(&ctx.group, &g);
    Pigeon__Grp__Member m;
    grp_member_pb(&row, user, &m);
    grp_publish_members(call, req->group_id, 0, "joined", &g,
                        json_pack("{s:o, s:I, s:I}", "member", pc_api_member(&m), "actor_id",
                                  (json_int_t)me, "request_id", (json_int_t)r.id));
    st = pc_call_reply(call, PC_OK, &m.base);
done:
    grp_users_destroy(&users);
    grp_request_row_clear(&r);
    grp_ctx_clear(&ctx);
    return st;
}

int grp_h_approve(pc_call_t *call)
{
    return s_decide(call, true);
}

int grp_h_reject(pc_call_t *call)
{
    return s_decide(call, false);
}
