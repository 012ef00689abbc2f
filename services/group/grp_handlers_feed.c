/* grp_handlers_feed.c - what the router asks: grp.membership, grp.roster,
 * grp.changes. These act for no user (no caller check): they answer facts
 * the router needs to authorize group sends and reads and to apply the
 * outbox. The gateway never routes to them. */
#include <stdlib.h>
#include <string.h>

#include "grp_handlers.h"

int grp_h_membership(pc_call_t *call)
{
    Pigeon__Grp__MembershipRequest *req =
        pc_call_unpack(call, &pigeon__grp__membership_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    pc_db_t *db = pc_call_db(call);
    grp_group_row_t row;
    grp_member_row_t m;
    bool found = false, member = false;
    int st = grp_store_get_group(db, req->group_id, false, &row, &found);
    if (st == PC_OK && found)
        st = grp_store_get_member(db, req->group_id, req->user_id, &m, &member);
    if (st != PC_OK) {
        if (found)
            grp_group_row_clear(&row);
        return pc_handler_store_failed(call, st, "read the membership");
    }
    Pigeon__Grp__Membership reply = PIGEON__GRP__MEMBERSHIP__INIT;
    Pigeon__Grp__Group g;
    reply.group_exists = found;
    if (found) {
        grp_group_pb(&row, &g);
        reply.group = &g;
    }
    if (member) {
        reply.role = (char *)grp_role_name(m.role);
        reply.has_joined_at_us = true;
        reply.joined_at_us = m.joined_us;
        reply.has_muted_until_us = m.muted_until_us != 0;
        reply.muted_until_us = m.muted_until_us;
    }
    st = pc_call_reply(call, PC_OK, &reply.base);
    if (found)
        grp_group_row_clear(&row);
    return st;
}

/* qsort order of grp.roster: ascending user id. */
static int s_by_user_id(const void *a, const void *b)
{
    int64_t x = ((const grp_member_row_t *)a)->user_id, y = ((const grp_member_row_t *)b)->user_id;
    return (x > y) - (x < y);
}

int grp_h_roster(pc_call_t *call)
{
    Pigeon__Grp__GroupIdRequest *req =
        pc_call_unpack(call, &pigeon__grp__group_id_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    pc_db_t *db = pc_call_db(call);
    grp_group_row_t row;
    grp_member_row_t *rows = NULL;
    size_t n = 0;
    bool found = false;
    int64_t change_id = 0;
    memset(&row, 0, sizeof row);
    /* One snapshot: a READ method runs each statement on its own, so the
     * change id is read first; a change after it shows as a newer id. */
    int st = grp_store_last_change(db, req->group_id, &change_id);
    if (st == PC_OK)
        st = grp_store_get_group(db, req->group_id, false, &row, &found);
    if (st == PC_OK && found)
        st = grp_store_list_members(db, req->group_id, &rows, &n);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the roster");
        goto done;
    }
    if (!found) {
        st = pc_call_error(call, PC_NOT_FOUND, "group not found");
        goto done;
    }
    /* The member list comes owner first, then by joined_at (the API's
     * order); Roster.user_ids is ascending, which the router's cache
     * binary-searches. O(n log n), n <= 2000. */
    qsort(rows, n, sizeof *rows, s_by_user_id);
    int64_t *ids = calloc(n ? n : 1, sizeof *ids);
    int64_t *muted = calloc(n ? n : 1, sizeof *muted);
    char **roles = calloc(n ? n : 1, sizeof *roles);
    if (ids == NULL || muted == NULL || roles == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            ids[i] = rows[i].user_id;
            roles[i] = (char *)grp_role_name(rows[i].role);
            muted[i] = rows[i].muted_until_us;
        }
        Pigeon__Grp__Roster r = PIGEON__GRP__ROSTER__INIT;
        r.group_id = req->group_id;
        r.user_ids = ids;
        r.n_user_ids = n;
        r.roles = roles;
        r.n_roles = n;
        r.muted_until_us = muted;
        r.n_muted_until_us = n;
        r.change_id = change_id;
        r.dismissed = row.dismissed_us != 0;
        st = pc_call_reply(call, PC_OK, &r.base);
    }
    free(ids);
    free(muted);
    free(roles);
done:
    free(rows);
    grp_group_row_clear(&row);
    return st;
}

int grp_h_changes(pc_call_t *call)
{
    Pigeon__Grp__ChangesRequest *req =
        pc_call_unpack(call, &pigeon__grp__changes_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    int limit = req->has_limit ? req->limit : 100;
    if (limit < 1 || limit > 1000 || req->after_id < 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "limit must be 1 to 1000, after_id >= 0");
    grp_change_row_t *rows = NULL;
    size_t n = 0;
    int st = grp_store_changes(pc_call_db(call), req->after_id, limit, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read membership changes");
    Pigeon__Grp__MembershipChange *items = calloc(n ? n : 1, sizeof *items);
    Pigeon__Grp__MembershipChange **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            Pigeon__Grp__MembershipChange *c = &items[i];
            pigeon__grp__membership_change__init(c);
            c->id = rows[i].id;
            c->group_id = rows[i].group_id;
            c->kind = rows[i].kind;
            c->actor_id = rows[i].actor_id;
            c->user_ids = rows[i].user_ids;
            c->n_user_ids = rows[i].n_users;
            c->role = rows[i].role;
            c->system_text = rows[i].system_text;
            c->at_us = rows[i].at_us;
            ptrs[i] = c;
        }
        Pigeon__Grp__ChangeList list = PIGEON__GRP__CHANGE_LIST__INIT;
        list.changes = ptrs;
        list.n_changes = n;
        st = pc_call_reply(call, PC_OK, &list.base);
    }
    free(items);
    free(ptrs);
    grp_change_rows_free(rows, n);
    return st;
}
