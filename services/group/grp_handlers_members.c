/* grp_handlers_members.c - members and roles: grp.members, grp.add_members,
 * grp.set_member, grp.remove_member, grp.transfer. */
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "grp_handlers.h"

/* Replies with a MemberList of rows, users from `users` (rows whose user
 * pigeon-auth no longer knows are left out). */
static int s_reply_members(pc_call_t *call, const grp_member_row_t *rows, size_t n,
                           const grp_users_t *users)
{
    Pigeon__Grp__Member *items = calloc(n ? n : 1, sizeof *items);
    Pigeon__Grp__Member **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    int st;
    if (items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
    } else {
        Pigeon__Grp__MemberList list = PIGEON__GRP__MEMBER_LIST__INIT;
        for (size_t i = 0; i < n; i++) {
            Pigeon__Auth__User *u = grp_users_get(users, rows[i].user_id);
            if (u == NULL)
                continue;
            grp_member_pb(&rows[i], u, &items[list.n_members]);
            ptrs[list.n_members] = &items[list.n_members];
            list.n_members++;
        }
        list.members = ptrs;
        st = pc_call_reply(call, PC_OK, &list.base);
    }
    free(items);
    free(ptrs);
    return st;
}

int grp_h_members(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__GroupIdRequest *req =
        pc_handler_request(call, &pigeon__grp__group_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    grp_ctx_t ctx;
    grp_member_row_t *rows = NULL;
    int64_t *ids = NULL;
    grp_users_t *users = NULL;
    size_t n = 0;
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_MEMBER, &ctx);
    if (st != PC_OK)
        goto done;
    st = grp_store_list_members(pc_call_db(call), req->group_id, &rows, &n);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "list members");
        goto done;
    }
    ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].user_id;
    st = grp_users_fetch(call, ids, n, &users);
    if (st == PC_OK)
        st = s_reply_members(call, rows, n, users);
done:
    grp_users_destroy(&users);
    free(ids);
    free(rows);
    grp_ctx_clear(&ctx);
    return st;
}

int grp_h_add_members(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__AddMembersRequest *req =
        pc_handler_request(call, &pigeon__grp__add_members_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (req->n_user_ids < 1 || req->n_user_ids > GRP_MAX_NAMED)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "user_ids must name 1 to %d users",
                             GRP_MAX_NAMED);
    for (size_t i = 0; i < req->n_user_ids; i++)
        if (req->user_ids[i] <= 0)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "user_ids must be positive integers");

    grp_ctx_t ctx;
    grp_users_t *users = NULL;
    size_t n = req->n_user_ids, n_added = 0;
    int64_t *added_ids = calloc(n, sizeof *added_ids);
    grp_member_row_t *added = calloc(n, sizeof *added);
    if (added_ids == NULL || added == NULL) {
        free(added_ids);
        free(added);
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    }
    /* Visibility and role first (no contact check leaks an invite_only
     * group), then the nested calls, then the same checks under the lock. */
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_ADMIN, &ctx);
    grp_ctx_clear(&ctx);
    if (st == PC_OK)
        st = grp_require_contacts(call, me, req->user_ids, n);
    if (st == PC_OK)
        st = grp_users_fetch(call, req->user_ids, n, &users);
    if (st != PC_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (grp_users_get(users, req->user_ids[i]) == NULL) {
            st = pc_call_error(call, PC_NOT_FOUND, "user not found");
            goto done;
        }
    st = pc_call_begin_write(call);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "add members");
        goto done;
    }
    st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_ADMIN, &ctx);
    if (st != PC_OK)
        goto done;
    int count = ctx.group.member_count;
    for (size_t i = 0; st == PC_OK && i < n; i++) {
        bool is_new = false;
        grp_member_row_t row;
        if (count >= GRP_MAX_MEMBERS) {
            st =
                pc_call_error(call, PC_CONFLICT, "the group is full (%d members)", GRP_MAX_MEMBERS);
            goto done;
        }
        st = grp_store_add_member(pc_call_db(call), req->group_id, req->user_ids[i],
                                  GRP_ROLE_MEMBER, &is_new, &row);
        if (st != PC_OK) {
            st = pc_handler_store_failed(call, st, "add members");
            goto done;
        }
        if (is_new) {
            added[n_added] = row;
            added_ids[n_added++] = row.user_id;
            count++;
        }
    }
    if (n_added > 0) {
        st = grp_record_change(call, req->group_id, "joined", me, added_ids, n_added, NULL, true);
        if (st != PC_OK)
            goto done;
        ctx.group.member_count = count;
        Pigeon__Grp__Group g;
        grp_group_pb(&ctx.group, &g);
        json_t *extra =
            json_pack("{s:I, s:o}", "actor_id", (json_int_t)me, "user_ids", json_array());
        for (size_t i = 0; extra != NULL && i < n_added; i++)
            json_array_append_new(json_object_get(extra, "user_ids"), json_integer(added_ids[i]));
        grp_publish_members(call, req->group_id, 0, "joined", &g, extra);
    }
    st = s_reply_members(call, added, n_added, users);
done:
    grp_users_destroy(&users);
    free(added_ids);
    free(added);
    grp_ctx_clear(&ctx);
    return st;
}

/* Replies with one member and tells the group (event `event`). */
static int s_member_changed(pc_call_t *call, grp_ctx_t *ctx, const grp_member_row_t *row,
                            Pigeon__Auth__User *user, const char *event)
{
    Pigeon__Grp__Member m;
    grp_member_pb(row, user, &m);
    Pigeon__Grp__Group g;
    grp_group_pb(&ctx->group, &g);
    grp_publish_members(call, ctx->group.id, 0, event, &g,
                        json_pack("{s:o}", "member", pc_api_member(&m)));
    return pc_call_reply(call, PC_OK, &m.base);
}

int grp_h_set_member(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__SetMemberRequest *req =
        pc_handler_request(call, &pigeon__grp__set_member_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    bool unmute = false;
    for (size_t i = 0; i < req->n_null_fields; i++) {
        if (strcmp(req->null_fields[i], "muted_until") == 0)
            unmute = true;
        else if (strcmp(req->null_fields[i], "role") == 0)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "role cannot be null");
        else
            return pc_call_error(call, PC_INVALID_ARGUMENT, "unknown field %s",
                                 req->null_fields[i]);
    }
    if (req->has_muted_until_us && (unmute || req->muted_until_us <= 0))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "muted_until is not a valid time");
    grp_role_t role = GRP_ROLE_NONE;
    if (req->role != NULL && (role = grp_role_parse(req->role)) == GRP_ROLE_NONE)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "role must be \"admin\" or \"member\"");
    bool mute = req->has_muted_until_us || unmute;

    grp_ctx_t ctx;
    grp_users_t *users = NULL;
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_MEMBER, &ctx);
    grp_ctx_clear(&ctx);
    if (st == PC_OK)
        st = grp_users_fetch(call, &req->user_id, 1, &users);
    if (st == PC_OK) {
        int began = pc_call_begin_write(call);
        if (began != PC_OK)
            st = pc_handler_store_failed(call, began, "update the member");
    }
    if (st == PC_OK)
        st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_MEMBER, &ctx);
    if (st != PC_OK)
        goto done;
    pc_db_t *db = pc_call_db(call);
    grp_member_row_t target;
    bool found = false;
    st = grp_store_get_member(db, req->group_id, req->user_id, &target, &found);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the member");
        goto done;
    }
    grp_role_t target_role = found ? target.role : GRP_ROLE_NONE;
    const char *why = NULL;
    if (req->role != NULL)
        st = grp_may_set_role(ctx.view.role, target_role, req->user_id == me, role, &why);
    if (st == PC_OK && mute)
        st = grp_may_mute(ctx.view.role, target_role, &why);
    if (st == PC_OK && !found)
        st = PC_NOT_FOUND, why = "member not found";
    if (st != PC_OK) {
        st = pc_call_error(call, st, "%s", why);
        goto done;
    }
    Pigeon__Auth__User *user = grp_users_get(users, req->user_id);
    if (user == NULL) {
        st = pc_call_error(call, PC_NOT_FOUND, "member not found");
        goto done;
    }
    if (req->role != NULL && role != target.role) {
        st = grp_store_set_role(db, req->group_id, req->user_id, role, &target);
        if (st == PC_OK)
            st = grp_record_change(call, req->group_id, "role", me, &req->user_id, 1,
                                   grp_role_name(role), false);
        else
            st = pc_handler_store_failed(call, st, "set the role");
    }
    if (st == PC_OK && mute) {
        st = grp_store_set_mute(db, req->group_id, req->user_id, unmute ? 0 : req->muted_until_us,
                                &target);
        if (st == PC_OK)
            st = grp_record_change(call, req->group_id, "muted", me, &req->user_id, 1, NULL, false);
        else
            st = pc_handler_store_failed(call, st, "mute the member");
    }
    if (st == PC_OK)
        st = s_member_changed(call, &ctx, &target, user, req->role != NULL ? "role" : "muted");
done:
    grp_users_destroy(&users);
    grp_ctx_clear(&ctx);
    return st;
}

int grp_h_remove_member(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__MemberRequest *req =
        pc_handler_request(call, &pigeon__grp__member_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    grp_ctx_t ctx;
    pc_db_t *db = pc_call_db(call);
    st = pc_call_begin_write(call);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "remove the member");
    bool self = req->user_id == me;
    st = grp_ctx_load(call, req->group_id, me, true, self ? GRP_NEED_VISIBLE : GRP_NEED_MEMBER,
                      &ctx);
    if (st != PC_OK)
        goto done;
    grp_member_row_t target;
    bool found = false;
    st = grp_store_get_member(db, req->group_id, req->user_id, &target, &found);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the member");
        goto done;
    }
    const char *why = NULL;
    grp_remove_t what =
        grp_decide_remove(ctx.view.role, found ? target.role : GRP_ROLE_NONE, self, &st, &why);
    if (what == GRP_REMOVE_REFUSED) {
        st = pc_call_error(call, st, "%s", why);
        goto done;
    }
    bool removed = false;
    st = grp_store_remove_member(db, req->group_id, req->user_id, &removed);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "remove the member");
        goto done;
    }
    const char *kind = what == GRP_REMOVE_LEAVE ? "left" : "removed";
    st = grp_record_change(call, req->group_id, kind, me, &req->user_id, 1, NULL, false);
    if (st != PC_OK)
        goto done;
    ctx.group.member_count--;
    Pigeon__Grp__Group g;
    grp_group_pb(&ctx.group, &g);
    grp_publish_members(
        call, req->group_id, req->user_id, kind, &g,
        json_pack("{s:I, s:I}", "user_id", (json_int_t)req->user_id, "actor_id", (json_int_t)me));
    st = pc_call_reply(call, PC_NO_CONTENT, NULL);
done:
    grp_ctx_clear(&ctx);
    return st;
}

int grp_h_transfer(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__MemberRequest *req =
        pc_handler_request(call, &pigeon__grp__member_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    grp_ctx_t ctx;
    pc_db_t *db = pc_call_db(call);
    st = pc_call_begin_write(call);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "transfer the group");
    st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_OWNER, &ctx);
    if (st != PC_OK)
        goto done;
    grp_member_row_t target;
    bool found = false;
    st = grp_store_get_member(db, req->group_id, req->user_id, &target, &found);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the member");
        goto done;
    }
    const char *why = NULL;
    st = grp_may_transfer(found ? target.role : GRP_ROLE_NONE, req->user_id == me, &why);
    if (st != PC_OK) {
        st = pc_call_error(call, st, "%s", why);
        goto done;
    }
    st = grp_store_transfer(db, req->group_id, me, req->user_id);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "transfer the group");
        goto done;
    }
    st = grp_record_change(call, req->group_id, "transfer", me, &req->user_id, 1, "owner", false);
    if (st != PC_OK)
        goto done;
    ctx.group.owner_id = req->user_id;
    Pigeon__Grp__Group g;
    grp_group_pb(&ctx.group, &g);
    grp_publish_members(call, req->group_id, 0, "transfer", &g,
                        json_pack("{s:I, s:I}", "user_id", (json_int_t)req->user_id,
                                  "previous_owner_id", (json_int_t)me));
    st = pc_call_reply(call, PC_OK, &g.base);
done:
    grp_ctx_clear(&ctx);
    return st;
}
