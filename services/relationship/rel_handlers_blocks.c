/* rel_handlers_blocks.c - rel.block, rel.unblock, rel.list_blocks, and the
 * questions other services ask: rel.may_message (router), rel.is_contact (group).
 *
 * Blocking removes nothing (API.md): contacts, friendships and requests stay;
 * a block only stops messages, requests and one_way adds from the blocked
 * user, which rel.add and rel.may_message read. Block and unblock are both
 * idempotent: the answer says the state the caller asked for now holds. */
#include <stdlib.h>

#include "rel_handlers.h"
#include "rel_rules.h"
#include "rel_store.h"

/* Block (on) or unblock (off) the user named in the request. */
static int s_set_block(pc_call_t *call, bool on)
{
    int64_t me;
    int st;
    Pigeon__Rel__UserIdRequest *req =
        pc_handler_request(call, &pigeon__rel__user_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (req->user_id <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "user_id must be a positive integer");
    if (req->user_id == me)
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             on ? "cannot block yourself" : "cannot unblock yourself");
    if (on) {
        /* Only real users can be blocked; unblocking needs no such check
         * (there is no row for an unknown id, and 204 says so truthfully). */
        rel_users_t *users = NULL;
        st = rel_users_fetch(call, &req->user_id, 1, &users);
        if (st != PC_OK)
            return st;
        bool known = rel_users_get(users, req->user_id) != NULL;
        rel_users_destroy(&users);
        if (!known)
            return pc_call_error(call, PC_NOT_FOUND, "user not found");
    }
    pc_db_t *db = pc_call_db(call);
    bool changed = false;
    st = pc_call_begin_write(call);
    /* The pair lock orders the block against a concurrent rel.add, which
     * reads "blocked?" under the same lock. */
    if (st == PC_OK)
        st = rel_store_lock_pair(db, me, req->user_id);
    if (st == PC_OK)
        st = on ? rel_store_block(db, me, req->user_id, &changed)
                : rel_store_unblock(db, me, req->user_id, &changed);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, on ? "block the user" : "unblock the user");
    if (changed)
        rel_publish_changed(call, me, req->user_id);
    return pc_call_reply(call, PC_NO_CONTENT, NULL);
}

int rel_h_block(pc_call_t *call)
{
    return s_set_block(call, true);
}

int rel_h_unblock(pc_call_t *call)
{
    return s_set_block(call, false);
}

int rel_h_list_blocks(pc_call_t *call)
{
    int64_t me = pc_handler_caller(call);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    int64_t *ids = NULL;
    size_t n = 0;
    rel_users_t *users = NULL;
    Pigeon__Auth__User **ptrs = NULL;
    int st = rel_store_list_blocks(pc_call_db(call), me, &ids, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "list blocks");
    ptrs = malloc((n ? n : 1) * sizeof *ptrs);
    if (ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    st = rel_users_fetch(call, ids, n, &users);
    if (st != PC_OK)
        goto done;
    Pigeon__Rel__BlockList list = PIGEON__REL__BLOCK_LIST__INIT;
    for (size_t i = 0; i < n; i++) {
        Pigeon__Auth__User *u = rel_users_get(users, ids[i]);
        if (u != NULL)
            ptrs[list.n_users++] = u;
    }
    list.users = ptrs;
    st = pc_call_reply(call, PC_OK, &list.base);
done:
    rel_users_destroy(&users);
    free(ids);
    free(ptrs);
    return st;
}

static int s_allowed(pc_call_t *call, bool allowed)
{
    Pigeon__Rel__Allowed reply = PIGEON__REL__ALLOWED__INIT;
    reply.allowed = allowed;
    return pc_call_reply(call, PC_OK, &reply.base);
}

/* On every direct message's path: one statement, three primary-key probes
 * (~0.1 ms). No cache here; the router caches answers and drops them on
 * "rel/" events. Internal: the envelope's caller is not consulted. */
int rel_h_may_message(pc_call_t *call)
{
    Pigeon__Rel__MayMessageRequest *req =
        pc_call_unpack(call, &pigeon__rel__may_message_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    if (req->sender <= 0 || req->recipient <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "sender and recipient must be positive");
    if (req->sender == req->recipient)
        return s_allowed(call, false);
    bool blocked = false;
    rel_kind_t sender_holds = REL_NONE, recipient_holds = REL_NONE;
    int st = rel_store_may_message(pc_call_db(call), req->sender, req->recipient, &blocked,
                                   &sender_holds, &recipient_holds);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "check the relationship");
    return s_allowed(call, rel_may_message(blocked, sender_holds, recipient_holds));
}

/* For the group service: is `peer` the owner's friend or one_way contact? */
int rel_h_is_contact(pc_call_t *call)
{
    Pigeon__Rel__IsContactRequest *req =
        pc_call_unpack(call, &pigeon__rel__is_contact_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    if (req->owner <= 0 || req->peer <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "owner and peer must be positive");
    if (req->owner == req->peer)
        return s_allowed(call, false);
    rel_kind_t kind = REL_NONE;
    int st = rel_store_get_kind(pc_call_db(call), req->owner, req->peer, &kind);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "check the relationship");
    return s_allowed(call, kind != REL_NONE);
}
