/* router_handlers_read.c - msg.conversations, msg.history, msg.read, msg.recall. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "router_handlers.h"
#include "router_store_group.h"

static int s_cmp_user(const void *a, const void *b)
{
    const Pigeon__Auth__User *x = *(Pigeon__Auth__User *const *)a;
    const Pigeon__Auth__User *y = *(Pigeon__Auth__User *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

static Pigeon__Auth__User *s_find_user(Pigeon__Auth__UserList *list, int64_t id)
{
    if (list == NULL || list->n_users == 0)
        return NULL;
    Pigeon__Auth__User key = PIGEON__AUTH__USER__INIT;
    key.id = id;
    Pigeon__Auth__User *kp = &key;
    Pigeon__Auth__User **hit =
        bsearch(&kp, list->users, list->n_users, sizeof *list->users, s_cmp_user);
    return hit ? *hit : NULL;
}

/* The peers of rows, in one auth.get_users call (at most
 * ROUTER_CONV_LIST_MAX ids, which pigeon-auth takes at once); sorted by id. */
static int s_fetch_peers(pc_call_t *call, int64_t me, const router_conv_row_t *rows, size_t n,
                         Pigeon__Auth__UserList **out)
{
    int64_t *ids = n ? calloc(n, sizeof *ids) : NULL;
    size_t k = 0;
    *out = NULL;
    if (n && ids == NULL)
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        router_cid_t c;
        if (router_cid_parse(rows[i].cid, &c) && c.kind == ROUTER_DIRECT)
            ids[k++] = router_cid_peer(&c, me);
    }
    int st = PC_OK;
    if (k > 0) {
        router_worker_t *w = pc_call_worker(call);
        pc_rpc_opts_t opts = pc_call_child_opts(call);
        pc_rpc_reply_t reply = {0};
        st = auth_client_get_users(w->auth, &opts, ids, k, out, &reply);
        if (st != PC_OK)
            st = router_remote_failed(call, st, &reply, "look up users");
        else
            qsort((*out)->users, (*out)->n_users, sizeof *(*out)->users, s_cmp_user);
        pc_rpc_reply_clear(&reply);
    }
    free(ids);
    return st;
}

/* Replies `list` once the media of the conversations' last messages are
 * attached (one media.check per 100 of them). */
static int s_reply_with_media(pc_call_t *call, Pigeon__Msg__Conversation *convs, size_t n,
                              const ProtobufCMessage *list)
{
    Pigeon__Msg__Message **lasts = n ? calloc(n, sizeof *lasts) : NULL;
    if (n && lasts == NULL)
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        lasts[i] = convs[i].last_message;
    router_media_hold_t hold;
    int st = router_media_attach(call, lasts, n, &hold);
    if (st == PC_OK) {
        st = pc_call_reply(call, PC_OK, list);
        router_media_release(&hold);
    }
    free(lasts);
    return st;
}

int router_h_conversations(pc_call_t *call)
{
    int64_t me = pc_handler_caller(call);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    router_conv_row_t *rows = NULL;
    size_t n = 0;
    Pigeon__Auth__UserList *peers = NULL;
    Pigeon__Msg__Conversation *convs = NULL, **ptrs = NULL;
    Pigeon__Msg__Message *lasts = NULL;
    char(*ids)[ROUTER_MSG_ID_MAX] = NULL;
    router_ginfo_t **groups = NULL; /* references held until the reply is sent */
    int st = router_store_conversations(pc_call_db(call), me, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "list the conversations");
    st = s_fetch_peers(call, me, rows, n, &peers);
    if (st != PC_OK)
        goto done;
    if (n) {
        convs = calloc(n, sizeof *convs);
        ptrs = calloc(n, sizeof *ptrs);
        lasts = calloc(n, sizeof *lasts);
        ids = calloc(n, sizeof *ids);
        groups = calloc(n, sizeof *groups);
        if (!convs || !ptrs || !lasts || !ids || !groups) {
            st = pc_call_error(call, PC_INTERNAL, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const router_conv_row_t *r = &rows[i];
        Pigeon__Msg__Conversation *c = &convs[i];
        router_cid_t cid;
        pigeon__msg__conversation__init(c);
        c->id = (char *)r->cid;
        c->kind = r->is_group ? "group" : "direct";
        if (!r->is_group && router_cid_parse(r->cid, &cid))
            c->peer = s_find_user(peers, router_cid_peer(&cid, me));
        if (r->is_group && router_cid_parse(r->cid, &cid)) { /* cached: no RPC per line */
            st = router_group_info(call, cid.a, &groups[i]);
            if (st != PC_OK)
                goto done;
            c->group = groups[i] ? groups[i]->about->group : NULL;
        }
        c->last_seq = r->last_seq;
        c->read_seq = r->read_seq;
        c->has_peer_read_seq = !r->is_group;
        c->peer_read_seq = r->has_peer_read ? r->peer_read_seq : 0;
        c->unread = r->unread;
        c->updated_at_us = r->updated_us;
        if (r->has_last) {
            router_msg_view(&r->last, &lasts[i], ids[i]);
            c->last_message = &lasts[i];
        }
        ptrs[i] = c;
    }
    Pigeon__Msg__ConversationList list = PIGEON__MSG__CONVERSATION_LIST__INIT;
    list.n_conversations = n;
    list.conversations = ptrs;
    st = s_reply_with_media(call, convs, n, &list.base);
done:
    for (size_t i = 0; groups != NULL && i < n; i++)
        router_group_release(call, &groups[i]);
    free(groups);
    free(ids);
    free(lasts);
    free(ptrs);
    free(convs);
    if (peers)
        protobuf_c_message_free_unpacked(&peers->base, NULL);
    router_conv_rows_free(rows, n);
    return st;
}

int router_h_history(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__HistoryRequest *req =
        pc_handler_request(call, &pigeon__msg__history_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    router_cid_t cid;
    st = router_check_cid(call, req->conversation_id, me, &cid);
    if (st != PC_OK)
        return st;
    router_page_t page;
    const char *bad = router_page_plan(req->has_after_seq, req->after_seq, req->has_before_seq,
                                       req->before_seq, req->has_limit, req->limit, &page);
    if (bad)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", bad);
    router_msg_row_t *rows = NULL;
    size_t n = 0;
    /* A group member sees only the seqs of their periods. */
    st = router_store_history(pc_call_db(call), req->conversation_id, &page,
                              cid.kind == ROUTER_GROUP ? me : 0, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the history");
    Pigeon__Msg__History h = PIGEON__MSG__HISTORY__INIT;
    h.has_more = router_page_has_more(&page, n);
    /* The extra row only told has_more: the oldest of a descending page,
     * the newest of an ascending one. */
    size_t first = h.has_more && page.descending ? 1 : 0;
    size_t count = h.has_more ? (size_t)page.limit : n;
    Pigeon__Msg__Message *msgs = count ? calloc(count, sizeof *msgs) : NULL;
    Pigeon__Msg__Message **ptrs = count ? calloc(count, sizeof *ptrs) : NULL;
    char(*ids)[ROUTER_MSG_ID_MAX] = count ? calloc(count, sizeof *ids) : NULL;
    if (count && (!msgs || !ptrs || !ids)) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < count; i++) {
            router_msg_view(&rows[first + i], &msgs[i], ids[i]);
            ptrs[i] = &msgs[i];
        }
        h.n_messages = count;
        h.messages = ptrs;
        router_media_hold_t hold;
        st = router_media_attach(call, ptrs, count, &hold);
        if (st == PC_OK) {
            st = pc_call_reply(call, PC_OK, &h.base);
            router_media_release(&hold);
        }
    }
    free(ids);
    free(ptrs);
    free(msgs);
    router_msg_rows_free(rows, n);
    return st;
}

int router_h_read(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__ReadRequest *req =
        pc_handler_request(call, &pigeon__msg__read_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    router_cid_t cid;
    st = router_check_cid(call, req->conversation_id, me, &cid);
    if (st != PC_OK)
        return st;
    if (req->seq < 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "seq must be an integer >= 0");
    st = pc_call_begin_write(call);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "mark the conversation read");
    int64_t current = 0, last = 0;
    bool found = false;
    pc_db_t *db = pc_call_db(call);
    st = router_store_read_state(db, me, req->conversation_id, &current, &last, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "mark the conversation read");
    if (found && cid.kind == ROUTER_GROUP) { /* stop at the last seq the reader may see */
        router_ranges_t rs;
        st = router_store_group_ranges(db, req->conversation_id, me, &rs);
        if (st != PC_OK)
            return pc_handler_store_failed(call, st, "mark the conversation read");
        last = router_ranges_last(&rs, last);
    }
    int64_t target = found ? router_read_target(req->seq, last, current) : -1;
    if (target < 0) /* nothing to read yet, or not forward: never backwards */
        return pc_call_reply(call, PC_NO_CONTENT, NULL);
    st = router_store_set_read(db, me, req->conversation_id, target);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "mark the conversation read");
    /* In a group only the reader's other devices get the receipt. */
    router_publish_receipt(call, req->conversation_id, me, target,
                           cid.kind == ROUTER_GROUP ? 0 : router_cid_peer(&cid, me), req->origin);
    return pc_call_reply(call, PC_NO_CONTENT, NULL);
}

/* Inside the write transaction with the message locked: recall it, append
 * the marker, publish both, answer 200 with the recalled message. */
static int s_do_recall(pc_call_t *call, router_msg_row_t *row, int64_t me, int64_t peer,
                       const router_ginfo_t *group, const char *origin)
{
    pc_db_t *db = pc_call_db(call);
    int st = router_store_recall(db, row->cid, row->seq);
    char text[64];
    snprintf(text, sizeof text, "{\"event\":\"message_recalled\",\"seq\":%lld}",
             (long long)row->seq);
    router_msg_row_t marker = {0};
    if (st == PC_OK)
        st = router_store_append_system(db, row->cid, me, text, &marker);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "recall the message");
    free(row->text);
    row->text = NULL;
    row->has_media = false;
    row->media_id = 0;
    row->recalled = true;
    char id[ROUTER_MSG_ID_MAX], mid[ROUTER_MSG_ID_MAX];
    Pigeon__Msg__Message m, mm;
    router_msg_view(row, &m, id);
    router_msg_view(&marker, &mm, mid);
    if (group != NULL) { /* every member */
        router_publish_group(call, "recall", &m, group, me, origin);
        router_publish_group(call, "message", &mm, group, me, NULL);
    } else {
        router_publish_message(call, "recall", &m, me, peer, origin);
        router_publish_message(call, "message", &mm, me, peer, NULL);
    }
    st = pc_call_reply(call, PC_OK, &m.base);
    router_msg_row_clear(&marker);
    return st;
}

static int s_recall_locked(pc_call_t *call, const char *cidtext, int64_t seq, int64_t me,
                           const router_cid_t *cid, const router_ginfo_t *group, bool is_admin,
                           const char *origin);

/* In a group only a current member may recall, a message they can see;
 * *is_admin for an owner or admin. PC_OK with *group (to release), or the
 * answer given. */
static int s_group_recaller(pc_call_t *call, const char *cidtext, int64_t group_id, int64_t seq,
                            int64_t me, router_ginfo_t **group, bool *is_admin)
{
    if (!router_group_may_read(call, me, cidtext, seq))
        return pc_call_error(call, PC_NOT_FOUND, "no such message");
    int st = router_group_info(call, group_id, group);
    if (st != PC_OK)
        return st;
    const char *role = NULL;
    int64_t muted = 0;
    if (*group == NULL || (*group)->roster->dismissed ||
        !router_ginfo_member(*group, me, &role, &muted)) {
        router_group_release(call, group);
        return pc_call_error(call, PC_FORBIDDEN,
                             "only current members may recall messages in a group");
    }
    *is_admin = strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0;
    return PC_OK;
}

int router_h_recall(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__RecallRequest *req =
        pc_handler_request(call, &pigeon__msg__recall_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    char cidtext[ROUTER_CID_MAX];
    int64_t seq;
    if (!router_msg_id_parse(req->message_id, cidtext, sizeof cidtext, &seq))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed message id");
    router_cid_t cid;
    st = router_check_cid(call, cidtext, me, &cid);
    if (st != PC_OK)
        return st == PC_INVALID_ARGUMENT ? pc_call_error(call, st, "malformed message id") : st;
    router_ginfo_t *group = NULL;
    bool is_admin = false;
    if (cid.kind == ROUTER_GROUP) {
        st = s_group_recaller(call, cidtext, cid.a, seq, me, &group, &is_admin);
        if (st != PC_OK)
            return st;
    }
    st = s_recall_locked(call, cidtext, seq, me, &cid, group, is_admin, req->origin);
    router_group_release(call, &group);
    return st;
}

/* The write half of msg.recall: in the write transaction, the message
 * row-locked. */
static int s_recall_locked(pc_call_t *call, const char *cidtext, int64_t seq, int64_t me,
                           const router_cid_t *cid, const router_ginfo_t *group, bool is_admin,
                           const char *origin)
{
    int st = pc_call_begin_write(call);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "recall the message");
    router_msg_row_t row;
    double age = 0;
    bool found = false;
    st = router_store_get_message(pc_call_db(call), cidtext, seq, true, &row, &age, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "recall the message");
    if (!found)
        return pc_call_error(call, PC_NOT_FOUND, "no such message");
    router_recall_t d = router_group_recall_decide(
        me, row.sender_id, strcmp(row.kind, "system") == 0, row.recalled, age,
        router_of(call)->recall_window_s, group != NULL && is_admin);
    if (d == ROUTER_RECALL_OK) {
        st = s_do_recall(call, &row, me, router_cid_peer(cid, me), group, origin);
    } else if (d == ROUTER_RECALL_ALREADY) { /* idempotent: the same answer again */
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id);
        st = pc_call_reply(call, PC_OK, &m.base);
    } else {
        st = pc_call_error(call, PC_FORBIDDEN, "%s", router_recall_message(d));
    }
    router_msg_row_clear(&row);
    return st;
}
