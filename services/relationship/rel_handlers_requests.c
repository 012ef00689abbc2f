/* rel_handlers_requests.c - friend requests: rel.list_requests, rel.accept,
 * rel.decline, rel.cancel, and the friendship they (and rel.add) make. */
#include <stdlib.h>
#include <string.h>

#include "rel_handlers.h"
#include "rel_rules.h"
#include "rel_store.h"

/* API.md's friend_request from a row; users borrowed. */
static void s_request_msg(Pigeon__Rel__FriendRequest *r, const rel_request_row_t *row,
                          Pigeon__Auth__User *from, Pigeon__Auth__User *to)
{
    pigeon__rel__friend_request__init(r);
    r->id = row->id;
    r->from = from;
    r->to = to;
    r->message = row->message;
    r->status = (char *)row->status;
    r->created_at_us = row->created_us;
}

int rel_make_friends(pc_call_t *call, const rel_request_row_t *r, const rel_users_t *users,
                     const char *remark, Pigeon__Rel__Contact *view)
{
    pc_db_t *db = pc_call_db(call);
    Pigeon__Auth__User *from = rel_users_get(users, r->from_id);
    Pigeon__Auth__User *to = rel_users_get(users, r->to_id);
    if (from == NULL || to == NULL) /* handlers check before they lock */
        return pc_call_error(call, PC_INTERNAL, "friend request users missing");
    bool changed = false;
    int st = rel_store_finish_request(db, r->id, "accepted", r->to_id, &changed);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "accept the friend request");
    if (!changed)
        return pc_call_error(call, PC_CONFLICT, "%s", rel_request_message(REL_REQ_NOT_PENDING));

    /* Two rows, one per side, each keeping its owner's remark (see sql/001_init.sql). */
    Pigeon__Rel__Contact theirs = PIGEON__REL__CONTACT__INIT;
    st = rel_store_put_contact(db, r->to_id, r->from_id, REL_FRIEND, remark, &view->remark,
                               &view->since_us);
    if (st == PC_OK)
        st = rel_store_put_contact(db, r->from_id, r->to_id, REL_FRIEND, r->remark, &theirs.remark,
                                   &theirs.since_us);
    if (st != PC_OK) {
        free(theirs.remark);
        return pc_handler_store_failed(call, st, "store the friendship");
    }
    view->user = from;
    view->kind = "friend";
    theirs.user = to;
    theirs.kind = "friend";
    rel_publish_contact(call, r->to_id, view);
    rel_publish_contact(call, r->from_id, &theirs);
    rel_publish_changed(call, r->from_id, r->to_id);
    free(theirs.remark);
    return PC_OK;
}

/* What accept, decline and cancel share: the request checked without locks
 * first (a 404 or 409 found there is final: a request never returns to
 * pending and its two users never change), its users fetched, then the
 * write transaction, the pair lock and the check again on the locked row.
 * On PC_OK the caller carries out the action; anything else is answered. */
typedef struct {
    rel_request_row_t row; /* the request, read under the lock */
    rel_users_t *users;    /* its sender and target */
} s_decided_t;

/* The rule on what is known of the request. */
static rel_request_outcome_t s_judge(rel_request_action_t action, int64_t me, bool found,
                                     const rel_request_row_t *row, bool sender_blocked_target)
{
    rel_request_state_t state = {
        .exists = found,
        .from_id = row->from_id,
        .to_id = row->to_id,
        .pending = found && strcmp(row->status, "pending") == 0,
        .sender_blocked_target = sender_blocked_target,
    };
    return rel_decide_request(action, me, &state);
}

static int s_decide(pc_call_t *call, rel_request_action_t action, s_decided_t *d)
{
    memset(d, 0, sizeof *d);
    int64_t me;
    int st;
    Pigeon__Rel__RequestIdRequest *req =
        pc_handler_request(call, &pigeon__rel__request_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    pc_db_t *db = pc_call_db(call);
    bool found = false;
    st = req->request_id > 0 ? rel_store_get_request(db, req->request_id, false, &d->row, &found)
                             : PC_OK;
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the friend request");
    rel_request_outcome_t out = s_judge(action, me, found, &d->row, false);
    if (out != REL_REQ_PROCEED)
        return pc_call_error(call, rel_request_status(out), "%s", rel_request_message(out));

    const int64_t ids[] = {d->row.from_id, d->row.to_id};
    st = rel_users_fetch(call, ids, 2, &d->users);
    if (st != PC_OK)
        return st;
    if (rel_users_get(d->users, ids[0]) == NULL || rel_users_get(d->users, ids[1]) == NULL)
        return pc_call_error(call, PC_NOT_FOUND, "%s", rel_request_message(REL_REQ_NOT_FOUND));

    rel_request_row_clear(&d->row);
    bool blocked = false;
    st = pc_call_begin_write(call);
    if (st == PC_OK)
        st = rel_store_lock_pair(db, ids[0], ids[1]);
    if (st == PC_OK)
        st = rel_store_get_request(db, req->request_id, true, &d->row, &found);
    if (st == PC_OK && action == REL_ACT_ACCEPT)
        st = rel_store_is_blocked(db, ids[0], ids[1], &blocked);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the friend request");
    out = s_judge(action, me, found, &d->row, blocked);
    if (out != REL_REQ_PROCEED)
        return pc_call_error(call, rel_request_status(out), "%s", rel_request_message(out));
    return PC_OK;
}

static void s_decided_clear(s_decided_t *d)
{
    rel_request_row_clear(&d->row);
    rel_users_destroy(&d->users);
}

int rel_h_accept(pc_call_t *call)
{
    s_decided_t d;
    int st = s_decide(call, REL_ACT_ACCEPT, &d);
    if (st == PC_OK) {
        Pigeon__Rel__Contact view = PIGEON__REL__CONTACT__INIT;
        st = rel_make_friends(call, &d.row, d.users, NULL, &view);
        if (st == PC_OK) {
            Pigeon__Rel__AddReply reply = PIGEON__REL__ADD_REPLY__INIT;
            reply.contact = &view;
            st = pc_call_reply(call, PC_OK, &reply.base);
        }
        free(view.remark);
    }
    s_decided_clear(&d);
    return st;
}

/* Decline and cancel: the request leaves pending, recorded as `status`. */
static int s_finish(pc_call_t *call, rel_request_action_t action, const char *status)
{
    s_decided_t d;
    int st = s_decide(call, action, &d);
    if (st != PC_OK)
        goto done;
    bool changed = false;
    st = rel_store_finish_request(pc_call_db(call), d.row.id, status, pc_call_caller(call),
                                  &changed);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "update the friend request");
        goto done;
    }
    if (!changed) {
        st = pc_call_error(call, PC_CONFLICT, "%s", rel_request_message(REL_REQ_NOT_PENDING));
        goto done;
    }
    snprintf(d.row.status, sizeof d.row.status, "%s", status);
    Pigeon__Rel__FriendRequest r;
    s_request_msg(&r, &d.row, rel_users_get(d.users, d.row.from_id),
                  rel_users_get(d.users, d.row.to_id));
    /* A cancel reaches both sides (the target's list loses it); a decline
     * only the decliner's own devices: the sender is never told. */
    const int64_t both[] = {d.row.from_id, d.row.to_id};
    if (action == REL_ACT_CANCEL)
        rel_publish_request(call, &r, both, 2);
    else
        rel_publish_request(call, &r, &both[1], 1);
    st = pc_call_reply(call, PC_NO_CONTENT, NULL);
done:
    s_decided_clear(&d);
    return st;
}

int rel_h_decline(pc_call_t *call)
{
    return s_finish(call, REL_ACT_DECLINE, "declined");
}

int rel_h_cancel(pc_call_t *call)
{
    return s_finish(call, REL_ACT_CANCEL, "cancelled");
}

int rel_h_list_requests(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Rel__ListRequestsRequest *req =
        pc_handler_request(call, &pigeon__rel__list_requests_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    int incoming = rel_direction_incoming(req->direction);
    if (incoming < 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "direction must be \"incoming\" or \"outgoing\"");
    rel_request_row_t *rows = NULL;
    size_t n = 0;
    rel_users_t *users = NULL;
    int64_t *ids = NULL;
    Pigeon__Rel__FriendRequest *items = NULL;
    Pigeon__Rel__FriendRequest **ptrs = NULL;
    st = rel_store_list_requests(pc_call_db(call), me, incoming == 1, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "list friend requests");
    ids = malloc((n + 1) * sizeof *ids);
    items = malloc((n ? n : 1) * sizeof *items);
    ptrs = malloc((n ? n : 1) * sizeof *ptrs);
    if (ids == NULL || items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    ids[0] = me;
    for (size_t i = 0; i < n; i++)
        ids[i + 1] = incoming == 1 ? rows[i].from_id : rows[i].to_id;
    st = rel_users_fetch(call, ids, n + 1, &users);
    if (st != PC_OK)
        goto done;
    Pigeon__Rel__FriendRequestList list = PIGEON__REL__FRIEND_REQUEST_LIST__INIT;
    for (size_t i = 0; i < n; i++) {
        Pigeon__Auth__User *from = rel_users_get(users, rows[i].from_id);
        Pigeon__Auth__User *to = rel_users_get(users, rows[i].to_id);
        if (from == NULL || to == NULL) /* an account pigeon-auth no longer has */
            continue;
        s_request_msg(&items[list.n_requests], &rows[i], from, to);
        ptrs[list.n_requests] = &items[list.n_requests];
        list.n_requests++;
    }
    list.requests = ptrs;
    st = pc_call_reply(call, PC_OK, &list.base);
done:
    rel_users_destroy(&users);
    rel_request_rows_free(rows, n);
    free(ids);
    free(items);
    free(ptrs);
    return st;
}
