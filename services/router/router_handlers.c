/* router_handlers.c - msg.send.
 *
 * Order (DESIGN.md "Storage"): validate; the resend lookup on (sender,
 * client_msg_id) before permission and before a seq is taken; permission
 * (cached may_message, existence through pigeon-auth only on a refusal);
 * an image/voice message's media (pigeon-media: it exists, is the sender's
 * and of the message's kind); the group-commit thread stores it; publish; reply. No transaction is held
 * across a network call. */
#include <stdlib.h>
#include <string.h>

#include "auth_client.h"
#include "relationship_client.h"
#include "router_handlers.h"

static bool s_same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int router_resend(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req,
                  const char *cid, router_republish_fn republish, void *arg, bool *handled)
{
    router_msg_row_t row;
    bool found = false, same_request = false;
    *handled = false;
    int st = router_store_find_client(pc_call_db(call), me, req->client_msg_id,
                                      pc_call_request_id(call), &row, &found, &same_request);
    if (st != PC_OK) {
        *handled = true;
        return router_store_failed(call, st, "look up the client_msg_id");
    }
    if (!found)
        return PC_OK;
    *handled = true;
    /* A recalled message has lost its text: its conversation and kind
     * still tell a resend from a different message. */
    bool same =
        strcmp(row.cid, cid) == 0 && strcmp(row.kind, req->kind) == 0 &&
        (row.recalled || (s_same_text(row.text, req->text) && row.has_media == req->has_media_id &&
                          row.media_id == req->media_id));
    if (!same) {
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

int router_h_send(pc_call_t *call)
{
    int64_t me = router_caller(call);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    Pigeon__Msg__SendRequest *req = pc_call_unpack(call, &pigeon__msg__send_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    int st = s_validate(call, me, req);
    if (st != PC_OK)
        return st;
    if (req->has_to_group_id)
        return router_group_send(call, me, req);
    int64_t to = req->to_user_id;
    char cid[ROUTER_CID_MAX];
    router_cid_direct(me, to, cid, sizeof cid);
    bool handled;
    st = s_resend(call, me, to, req, cid, &handled);
    if (handled)
        return st;
    st = s_permit(call, me, to);
    if (st != PC_OK)
        return st;
    Pigeon__Media__Media *media = NULL;
    if (req->has_media_id &&
        (st = router_media_require(call, me, req->kind, req->media_id, &media)) != PC_OK)
        return st;

    router_send_row_t send = {.sender = me,
                              .recipient = to,
                              .cid = cid,
                              .client_msg_id = req->client_msg_id,
                              .kind = req->kind,
                              .text = req->text,
                              .has_media = media != NULL,
                              .media_id = req->media_id,
                              .request_id = pc_call_request_id(call)};
    bool inserted = false;
    router_msg_row_t row = {
        .sender_id = me, .text = req->text, .client_msg_id = req->client_msg_id};
    st = router_batch_submit(router_of(call)->batch, &send, &inserted, &row.seq, &row.created_us);
    if (st != PC_OK) {
        st = router_store_failed(call, st, "store the message");
    } else if (!inserted) { /* a concurrent send with this client_msg_id won */
        st = s_resend(call, me, to, req, cid, &handled);
        if (!handled)
            st = pc_call_error(call, PC_INTERNAL, "stored message vanished");
    } else {
        snprintf(row.cid, sizeof row.cid, "%s", cid);
        snprintf(row.kind, sizeof row.kind, "%s", req->kind);
        row.has_media = send.has_media;
        row.media_id = send.media_id;
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id); /* row borrows req's strings: not cleared */
        m.media = media;
        router_publish_message(call, "message", &m, me, to, req->origin);
        st = pc_call_reply(call, PC_CREATED, &m.base);
    }
    if (media != NULL)
        protobuf_c_message_free_unpacked(&media->base, NULL);
    return st;
}
