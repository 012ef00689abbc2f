/* router_handlers.c - msg.send.
 *
 * Direct sends: validate; permission (cached may_message, existence through
 * pigeon-auth only on a refusal); an image/voice message's media
 * (pigeon-media: it exists, is the sender's and of the message's kind);
 * then the send goes to the group-commit thread and the worker is done with
 * it: the call is deferred (pc_call_defer), and after COMMIT the
 * committer's thread publishes the event and answers (s_sent). The common
 * case - a text message whose permission is cached as allowed, with room
 * in the committer's queue - never reaches a worker: the RPC broker runs
 * router_h_send_fast, the same steps without any that could wait, and
 * leaves every other send to router_h_send. The
 * idempotency key (sender, client_msg_id) is settled by the committer's
 * statement, which gives a stored one no seq; router_answer_sent
 * (router_sent.c) then answers the resend (200 with the stored message, 409
 * for a different one). The
 * answers are those of DESIGN.md's order (resend lookup before permission):
 * a send refused by permission or media looks the key up before answering
 * the refusal. Group sends (router_handlers_group.c) are deferred the same
 * way once the router's own periods show the membership open. No
 * transaction is held across a network call. */
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "relationship_client.h"
#include "router_handlers.h"

static router_send_key_t s_row_key(const router_msg_row_t *row)
{
    return (router_send_key_t){.cid = row->cid,
                               .kind = row->kind,
                               .text = row->text,
                               .has_media = row->has_media,
                               .media_id = row->media_id};
}

int router_resend(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req, const char *cid,
                  router_republish_fn republish, void *arg, bool *handled)
{
    router_msg_row_t row;
    bool found = false, same_request = false;
    *handled = false;
    int st = router_store_find_client(pc_call_db(call), me, req->client_msg_id,
                                      pc_call_request_id(call), &row, &found, &same_request);
    if (st != PC_OK) {
        *handled = true;
        return pc_handler_store_failed(call, st, "look up the client_msg_id");
    }
    if (!found)
        return PC_OK;
    *handled = true;
    router_send_key_t stored = s_row_key(&row), sent = {.cid = cid,
                                                        .kind = req->kind,
                                                        .text = req->text,
                                                        .has_media = req->has_media_id,
                                                        .media_id = req->media_id};
    if (!router_resend_same(&stored, row.recalled, &sent)) {
        st = pc_call_error(call, PC_CONFLICT,
                           "client_msg_id was already used for a different message");
    } else {
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m, *mp = &m;
        router_media_hold_t hold;
        router_msg_view(&row, &m, id);
        st = router_media_attach(call, &mp, 1, &hold);
        if (st == PC_OK) {
            republish(call, &m, arg);
            st = pc_call_reply(call, same_request ? PC_CREATED : PC_OK, &m.base);
            router_media_release(&hold);
        }
    }
    router_msg_row_clear(&row);
    return st;
}

/* A direct resend's event: to both users again. */
typedef struct {
    int64_t me;         /* the sender */
    int64_t to;         /* the recipient */
    const char *origin; /* the sending socket, which gets the answer instead */
} s_direct_t;

static void s_republish_direct(pc_call_t *call, Pigeon__Msg__Message *m, void *arg)
{
    const s_direct_t *d = arg;
    router_publish_message(call, "message", m, d->me, d->to, d->origin);
}

static int s_resend(pc_call_t *call, int64_t me, int64_t to, const Pigeon__Msg__SendRequest *req,
                    const char *cid, bool *handled)
{
    s_direct_t d = {.me = me, .to = to, .origin = req->origin};
    return router_resend(call, me, req, cid, s_republish_direct, &d, handled);
}

/* 404 when the recipient does not exist, else 403. */
static int s_refused(pc_call_t *call, int64_t to)
{
    router_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    pc_rpc_reply_t reply = {0};
    Pigeon__Auth__UserList *list = NULL;
    int st = auth_client_get_users(w->auth, &opts, &to, 1, &list, &reply);
    if (st != PC_OK)
        st = router_remote_failed(call, st, &reply, "look up the recipient");
    else if (list->n_users == 0)
        st = pc_call_error(call, PC_NOT_FOUND, "no such user");
    else
        st = pc_call_error(call, PC_FORBIDDEN,
                           "you may not message this user (not a contact, or blocked)");
    if (list)
        protobuf_c_message_free_unpacked(&list->base, NULL);
    pc_rpc_reply_clear(&reply);
    return st;
}

/* PC_OK when me may message to; otherwise the answer given. */
static int s_permit(pc_call_t *call, int64_t me, int64_t to)
{
    router_t *r = router_of(call);
    uint64_t gen;
    int cached = router_perm_get(r->perm, me, to, &gen);
    if (cached == 1)
        return PC_OK;
    if (cached == 0)
        return s_refused(call, to);
    router_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    pc_rpc_reply_t reply = {0};
    bool allowed = false;
    int st = relationship_client_may_message(w->rel, &opts, me, to, &allowed, &reply);
    if (st != PC_OK) {
        st = router_remote_failed(call, st, &reply, "check the relationship");
        pc_rpc_reply_clear(&reply);
        return st;
    }
    pc_rpc_reply_clear(&reply);
    router_perm_put(r->perm, me, to, allowed, gen);
    return allowed ? PC_OK : s_refused(call, to);
}

/* 400 with the reason, or PC_OK. */
static int s_validate(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req)
{
    if (req->has_to_user_id == req->has_to_group_id)
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "to must name exactly one of user_id and group_id");
    if (!router_client_msg_id_ok(req->client_msg_id))
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "client_msg_id must be 1 to 64 characters from '!' to '~'");
    switch (router_kind_parse(req->kind)) {
    case ROUTER_KIND_TEXT:
        if (!router_text_ok(req->text))
            return pc_call_error(call, PC_INVALID_ARGUMENT,
                                 "text must be 1 to 4000 characters of valid UTF-8");
        if (req->has_media_id)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "a text message carries no media_id");
        break;
    case ROUTER_KIND_MEDIA: /* no caption: the media is the message (README.md) */
        if (!req->has_media_id)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "an %s message needs a media_id",
                                 req->kind);
        if (req->media_id <= 0 || req->media_id > ROUTER_ID_MAX)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "media_id must be a positive integer");
        if (req->text != NULL)
            return pc_call_error(call, PC_INVALID_ARGUMENT,
                                 "an image or voice message carries no text");
        break;
    default:
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "kind must be \"text\", \"image\" or \"voice\"");
    }
    if (req->has_to_group_id) /* the rest is router_group_send's */
        return req->to_group_id > 0 && req->to_group_id <= ROUTER_ID_MAX
                   ? PC_OK
                   : pc_call_error(call, PC_INVALID_ARGUMENT,
                                   "group_id must be a positive integer");
    if (req->to_user_id <= 0 || req->to_user_id > ROUTER_ID_MAX)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "user_id must be a positive integer");
    if (req->to_user_id == me)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "you cannot message yourself");
    return PC_OK;
}

static void s_publish_direct(const router_pending_t *p, pc_pub_sender_t *pub,
                             Pigeon__Msg__Message *m)
{
    router_publish_message_pub(pub, "message", m, p->row.sender, p->row.recipient, p->origin);
}

/* After the send's batch, on the committer's thread: publish, answer, free.
 * Not inserted: a concurrent send with this client_msg_id won (answered as
 * a resend). */
static void s_sent(void *arg, const router_batch_result_t *r)
{
    router_answer_sent(arg, r, s_publish_direct, PC_INTERNAL, "stored message vanished");
}

/* The caller's validated send, or NULL after answering (401, 400) with
 * the status in *st. The call owns the request. */
static Pigeon__Msg__SendRequest *s_request(pc_call_t *call, int64_t *me, int *st)
{
    Pigeon__Msg__SendRequest *req =
        pc_handler_request(call, &pigeon__msg__send_request__descriptor, me, st);
    if (req == NULL)
        return NULL;
    *st = s_validate(call, *me, req);
    return *st == PC_OK ? req : NULL;
}

/* Hands a permitted direct send to the committer (waiting for room when
 * `wait`) and defers the call; s_sent answers it. Takes media. */
static int s_queue(pc_call_t *call, router_batch_t *batch, int64_t me,
                   const Pigeon__Msg__SendRequest *req, const char *cid,
                   Pigeon__Media__Media *media, bool wait)
{
    router_pending_t *p =
        router_pending_new(me, req->to_user_id, cid, req, pc_call_request_id(call));
    pc_deferred_t *reply = p != NULL ? pc_call_defer(call) : NULL;
    if (reply == NULL) {
        if (media != NULL)
            protobuf_c_message_free_unpacked(&media->base, NULL);
        free(p);
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    }
    p->media = media;
    p->row.has_media = media != NULL;
    p->reply = reply;
    /* From here on s_sent answers; this thread takes the next request. */
    if (wait)
        router_batch_enqueue(batch, &p->row, pc_deferred_deadline(reply), s_sent, p);
    else
        router_batch_enqueue_nowait(batch, &p->row, pc_deferred_deadline(reply), s_sent, p);
    return PC_OK;
}

int router_h_send(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__SendRequest *req = s_request(call, &me, &st);
    if (req == NULL)
        return st;
    if (req->has_to_group_id)
        return router_group_send(call, me, req);
    int64_t to = req->to_user_id;
    char cid[ROUTER_CID_MAX];
    router_cid_direct(me, to, cid, sizeof cid);
    /* No resend lookup here: the committer's statement settles a stored
     * (sender, client_msg_id) and s_sent_again answers it. Only a send
     * that would be refused now looks first, so a resend of a message
     * stored before a block (or while a dependency is down) still gets
     * its 200 - the order API.md gives. */
    st = s_permit(call, me, to);
    Pigeon__Media__Media *media = NULL;
    if (st == PC_OK && req->has_media_id)
        st = router_media_require(call, me, req->kind, req->media_id, &media);
    if (st != PC_OK) {
        bool handled;
        int again = s_resend(call, me, to, req, cid, &handled);
        return handled ? again : st;
    }
    return s_queue(call, router_of(call)->batch, me, req, cid, media, true);
}

int router_h_send_fast(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__SendRequest *req = s_request(call, &me, &st);
    if (req == NULL)
        return st; /* the worker would answer the same */
    if (req->has_to_group_id || req->has_media_id)
        return PC_FAST_DECLINED;
    router_t *r = router_of(call);
    uint64_t gen;
    if (router_perm_get(r->perm, me, req->to_user_id, &gen) != 1)
        return PC_FAST_DECLINED; /* a miss asks pigeon-relationship, a refusal looks up a resend */
    char cid[ROUTER_CID_MAX];
    router_cid_direct(me, req->to_user_id, cid, sizeof cid);
    /* The lock keeps the committer from being stopped (the last worker's
     * fini) between the check and the enqueue; uncontended but for start
     * and stop. */
    pthread_mutex_lock(&r->lock);
    st = r->batch != NULL && router_batch_has_room(r->batch)
             ? s_queue(call, r->batch, me, req, cid, NULL, false)
             : PC_FAST_DECLINED;
    pthread_mutex_unlock(&r->lock);
    return st;
}
