/* router_events.c - events and small helpers every router handler shares.
 *
 * Frames are encoded once per event and queued with pc_call_publish, which
 * sends them only after the call's transaction commits (at once when none
 * is open, as for a group msg.send, whose transaction the committer already
 * committed); a direct msg.send's event goes out from the committer's
 * thread after COMMIT (router_publish_message_pub). Events are hints - clients catch up with
 * after_seq - so a frame that cannot be encoded is logged and skipped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "json.h"
#include "log.h"
#include "router_handlers.h"

router_t *router_of(pc_call_t *call)
{
    const pc_service_ctx_t *ctx = pc_call_service(call);
    return ctx->arg;
}

int router_remote_failed(pc_call_t *call, int status, const pc_rpc_reply_t *reply, const char *what)
{
    if (status == PC_UNAVAILABLE || status == PC_DEADLINE_EXCEEDED)
        return pc_call_error(call, status, "%s",
                             reply->error ? reply->error : "a service is not reachable");
    pc_log(PC_LOG_ERROR, pc_call_trace(call), "%s answered %d: %s", what, status,
           reply->error ? reply->error : "");
    return pc_call_error(call, PC_INTERNAL, "could not %s", what);
}

int router_check_cid(pc_call_t *call, const char *cid, int64_t me, router_cid_t *c)
{
    if (!router_cid_parse(cid, c))
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "conversation_id must be \"d:<a>:<b>\" with user ids a < b, "
                             "or \"g:<group_id>\"");
    if (c->kind == ROUTER_GROUP) {
        router_ranges_t rs;
        return router_check_group(call, c->a, me, &rs);
    }
    if (!router_cid_has_user(c, me))
        return pc_call_error(call, PC_NOT_FOUND, "no such conversation");
    return PC_OK;
}

void router_msg_view(const router_msg_row_t *row, Pigeon__Msg__Message *m, char *idbuf)
{
    pigeon__msg__message__init(m);
    router_msg_id_format(row->cid, row->seq, idbuf, ROUTER_MSG_ID_MAX);
    m->id = idbuf;
    m->conversation_id = (char *)row->cid;
    m->seq = row->seq;
    m->sender_id = row->sender_id;
    m->kind = (char *)row->kind;
    m->text = row->text;
    m->has_media_id = row->has_media;
    m->media_id = row->media_id;
    m->client_msg_id = row->client_msg_id;
    m->created_at_us = row->created_us;
    m->recalled = row->recalled;
}

/* "u:<id>/" */
typedef struct {
    char s[32]; /* the topic text */
} s_topic_t;

static s_topic_t s_user_topic(int64_t user)
{
    s_topic_t t;
    snprintf(t.s, sizeof t.s, "u:%" PRId64 "/", user);
    return t;
}

/* Publishes frame (len bytes, taken over; NULL: it could not be encoded)
 * to both users of a pair. */
static void s_send_pair(pc_call_t *call, char *frame, size_t len, int64_t actor, int64_t other,
                        const char *origin, const char *what)
{
    if (frame == NULL) {
        pc_log(PC_LOG_WARN, pc_call_trace(call), "could not encode %s event", what);
        return;
    }
    if (other > 0) {
        s_topic_t t = s_user_topic(other);
        pc_call_publish(call, t.s, frame, len);
    }
    s_topic_t t = s_user_topic(actor);
    pc_call_publish_except(call, t.s, frame, len, origin);
    free(frame);
}

void router_publish_message(pc_call_t *call, const char *type, const Pigeon__Msg__Message *m,
                            int64_t actor, int64_t other, const char *origin)
{
    size_t len = 0;
    char *frame = pc_api_message_frame(type, m, &len);
    s_send_pair(call, frame, len, actor, other, origin, type);
}

char *router_message_event(const char *trace, const char *type, const Pigeon__Msg__Message *m,
                           size_t *len)
{
    char *frame = pc_api_message_frame(type, m, len);
    if (frame == NULL) {
        pc_log(PC_LOG_WARN, trace, "could not encode %s event", type);
        return NULL;
    }
    return frame;
}

void router_publish_message_pub(pc_pub_sender_t *pub, const char *type,
                                const Pigeon__Msg__Message *m, int64_t actor, int64_t other,
                                const char *origin)
{
    size_t len;
    char *frame = pub != NULL ? router_message_event(NULL, type, m, &len) : NULL;
    if (frame == NULL)
        return;
    if (other > 0) {
        s_topic_t t = s_user_topic(other);
        pc_pub_send(pub, t.s, frame, len);
    }
    s_topic_t t = s_user_topic(actor);
    pc_pub_send_except(pub, t.s, frame, len, origin);
    free(frame);
}

void router_publish_receipt(pc_call_t *call, const char *cid, int64_t reader, int64_t read_seq,
                            int64_t peer, const char *origin)
{
    json_t *f = json_pack("{s:s, s:s, s:I, s:I}", "type", "receipt", "conversation_id", cid,
                          "user_id", (json_int_t)reader, "read_seq", (json_int_t)read_seq);
    char *frame = f ? pc_json_dump(f) : NULL;
    json_decref(f);
    s_send_pair(call, frame, frame ? strlen(frame) : 0, reader, peer, origin, "receipt");
}
