/* rel_handlers.c - contacts: rel.add, rel.list_contacts, rel.remove.
 *
 * Writes follow one order: nested calls to pigeon-auth first (no transaction
 * is held open across a network call), then pc_call_begin_write, the pair
 * lock, a fresh read of the pair's state, the rule, the store. */
#include <stdlib.h>
#include <string.h>

#include "rel_handlers.h"
#include "rel_rules.h"
#include "rel_store.h"

/* Empty optional text means "none" (stored and shown as null). */
static const char *s_nonempty(const char *text)
{
    return text != NULL && text[0] != '\0' ? text : NULL;
}

static int s_check_text(pc_call_t *call, const char *field, const char *text, unsigned max)
{
    if (rel_text_ok(text, max))
        return PC_OK;
    return pc_call_error(call, PC_INVALID_ARGUMENT,
                         "%s must be at most %u characters of UTF-8 text without control "
                         "characters",
                         field, max);
}

/* 201: my one_way row on the target. */
static int s_add_one_way(pc_call_t *call, int64_t me, Pigeon__Auth__User *target,
                         const char *remark)
{
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    int st = rel_store_put_contact(pc_call_db(call), me, target->id, REL_ONE_WAY, remark, &c.remark,
                                   &c.since_us);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "add the contact");
    c.user = target;
    c.kind = "one_way";
    rel_publish_contact(call, me, &c);
    rel_publish_changed(call, me, target->id);
    Pigeon__Rel__AddReply reply = PIGEON__REL__ADD_REPLY__INIT;
    reply.contact = &c;
    st = pc_call_reply(call, PC_CREATED, &reply.base);
    free(c.remark);
    return st;
}

/* 202: a new pending request, told to the target and to my other devices. */
static int s_add_request(pc_call_t *call, Pigeon__Auth__User *me, Pigeon__Auth__User *target,
                         const char *message, const char *remark)
{
    rel_request_row_t row;
    int st = rel_store_insert_request(pc_call_db(call), me->id, target->id, message, remark, &row);
    if (st == PC_CONFLICT) /* the partial unique index: another request won */
        return pc_call_error(call, PC_CONFLICT, "%s", rel_add_message(REL_ADD_ALREADY_PENDING));
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "store the friend request");
    Pigeon__Rel__FriendRequest r = PIGEON__REL__FRIEND_REQUEST__INIT;
    r.id = row.id;
    r.from = me;
    r.to = target;
    r.message = row.message;
    r.status = row.status;
    r.created_at_us = row.created_us;
    const int64_t users[] = {target->id, me->id};
    rel_publish_request(call, &r, users, 2);
    Pigeon__Rel__AddReply reply = PIGEON__REL__ADD_REPLY__INIT;
    reply.request = &r;
    st = pc_call_reply(call, PC_ACCEPTED, &reply.base);
    rel_request_row_clear(&row);
    return st;
}

/* 201: the target had asked me first; my two_way add accepts their request. */
static int s_add_accept(pc_call_t *call, int64_t their_request, const rel_users_t *users,
                        const char *remark)
{
    rel_request_row_t row;
    bool found = false;
    int st = rel_store_get_request(pc_call_db(call), their_request, true, &row, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the friend request");
    if (!found) /* cannot happen under the pair lock: the id was just read */
        return pc_call_error(call, PC_INTERNAL, "friend request vanished");
    Pigeon__Rel__Contact view = PIGEON__REL__CONTACT__INIT;
    st = rel_make_friends(call, &row, users, remark, &view);
    if (st == PC_OK) {
        Pigeon__Rel__AddReply reply = PIGEON__REL__ADD_REPLY__INIT;
        reply.contact = &view;
        st = pc_call_reply(call, PC_CREATED, &reply.base);
    }
    free(view.remark);
    rel_request_row_clear(&row);
    return st;
}

int rel_h_add(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Rel__AddRequest *req =
        pc_handler_request(call, &pigeon__rel__add_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    int mode = rel_mode_parse(req->mode);
    if (mode == 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "mode must be \"one_way\" or \"two_way\"");
    if (req->user_id <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "user_id must be a positive integer");
    st = s_check_text(call, "message", req->message, REL_MESSAGE_MAX_CHARS);
    if (st == PC_OK)
        st = s_check_text(call, "remark", req->remark, REL_REMARK_MAX_CHARS);
    if (st != PC_OK)
        return st;
    const char *message = s_nonempty(req->message); /* kept for two_way only */
    const char *remark = s_nonempty(req->remark);

    rel_add_state_t state = {.self = req->user_id == me};
    rel_add_outcome_t out = rel_decide_add(mode, &state);
    if (out == REL_ADD_SELF)
        return pc_call_error(call, rel_add_status(out), "%s", rel_add_message(out));

    rel_users_t *users = NULL;
    const int64_t ids[] = {me, req->user_id};
    st = rel_users_fetch(call, ids, 2, &users);
    if (st != PC_OK)
        return st;
    Pigeon__Auth__User *me_user = rel_users_get(users, me);
    Pigeon__Auth__User *target = rel_users_get(users, req->user_id);
    state.target_exists = target != NULL;
    state.target_open = target != NULL && strcmp(target->add_policy, "approval") != 0;
    out = rel_decide_add(mode, &state);
    if (out == REL_ADD_NO_TARGET) {
        st = pc_call_error(call, rel_add_status(out), "%s", rel_add_message(out));
        goto done;
    }
    if (me_user == NULL) { /* a valid token of an account pigeon-auth no longer has */
        st = pc_call_error(call, PC_UNAUTHENTICATED, "unknown user");
        goto done;
    }

    pc_db_t *db = pc_call_db(call);
    int64_t their_request = 0;
    st = pc_call_begin_write(call);
    if (st == PC_OK)
        st = rel_store_lock_pair(db, me, target->id);
    if (st == PC_OK)
        st = rel_store_add_state(db, me, target->id, &state, &their_request);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "read the relationship");
        goto done;
    }
    out = rel_decide_add(mode, &state);
    switch (out) {
    case REL_ADD_MAKE_ONE_WAY:
        st = s_add_one_way(call, me, target, remark);
        break;
    case REL_ADD_MAKE_REQUEST:
        st = s_add_request(call, me_user, target, message, remark);
        break;
    case REL_ADD_ACCEPT_THEIRS:
        st = s_add_accept(call, their_request, users, remark);
        break;
    default:
        st = pc_call_error(call, rel_add_status(out), "%s", rel_add_message(out));
        break;
    }
done:
    rel_users_destroy(&users);
    return st;
}

int rel_h_list_contacts(pc_call_t *call)
{
    int64_t me = pc_handler_caller(call);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    rel_contact_row_t *rows = NULL;
    size_t n = 0;
    rel_users_t *users = NULL;
    int64_t *ids = NULL;
    Pigeon__Rel__Contact *items = NULL;
    Pigeon__Rel__Contact **ptrs = NULL;
    int st = rel_store_list_contacts(pc_call_db(call), me, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "list contacts");
    ids = malloc((n ? n : 1) * sizeof *ids);
    items = malloc((n ? n : 1) * sizeof *items);
    ptrs = malloc((n ? n : 1) * sizeof *ptrs);
    if (ids == NULL || items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].peer_id;
    st = rel_users_fetch(call, ids, n, &users);
    if (st != PC_OK)
        goto done;
    /* Users pigeon-auth no longer knows are left out, as get_users does. */
    Pigeon__Rel__ContactList list = PIGEON__REL__CONTACT_LIST__INIT;
    for (size_t i = 0; i < n; i++) {
        const char *kind = rel_show_name(rel_contact_view(rows[i].mine, rows[i].theirs));
        Pigeon__Auth__User *u = rel_users_get(users, rows[i].peer_id);
        if (kind == NULL || u == NULL)
            continue;
        Pigeon__Rel__Contact *c = &items[list.n_contacts];
        pigeon__rel__contact__init(c);
        c->user = u;
        c->kind = (char *)kind;
        c->remark = rows[i].remark;
        c->since_us = rows[i].since_us;
        ptrs[list.n_contacts++] = c;
    }
    list.contacts = ptrs;
    st = pc_call_reply(call, PC_OK, &list.base);
done:
    rel_users_destroy(&users);
    rel_contact_rows_free(rows, n);
    free(ids);
    free(items);
    free(ptrs);
    return st;
}

int rel_h_remove(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Rel__UserIdRequest *req =
        pc_handler_request(call, &pigeon__rel__user_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (req->user_id <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "user_id must be a positive integer");
    if (req->user_id == me) /* nobody holds themselves */
        return pc_call_error(call, PC_NOT_FOUND, "contact not found");

    pc_db_t *db = pc_call_db(call);
    rel_kind_t mine = REL_NONE;
    st = pc_call_begin_write(call);
    if (st == PC_OK)
        st = rel_store_lock_pair(db, me, req->user_id);
    if (st == PC_OK)
        st = rel_store_get_kind(db, me, req->user_id, &mine);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the contact");
    rel_remove_outcome_t out = rel_decide_remove(mine);
    if (out == REL_REMOVE_NOTHING) /* nobody, or a follower: not mine to delete */
        return pc_call_error(call, PC_NOT_FOUND, "contact not found");
    st = rel_store_delete_contact(db, me, req->user_id, out == REL_REMOVE_FRIENDSHIP);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "remove the contact");
    rel_publish_removed(call, me, req->user_id);
    rel_publish_changed(call, me, req->user_id);
    return pc_call_reply(call, PC_NO_CONTENT, NULL);
}
