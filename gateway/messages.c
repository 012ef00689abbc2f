/* messages.c - REST handlers of API.md's "Messages and conversations".
 *
 * Each one: JSON and path -> protobuf (messages_map.c), one RPC to
 * pigeon-router, protobuf -> JSON. The rules live in pigeon-router.
 *
 * gw_h_mark_read is also what the WebSocket layer calls for "read" frames
 * (and gw_h_send_message for "send" when ws_sends.c is not running; that
 * file does the same mapping and reply handling with an asynchronous call,
 * so a change to the send path here belongs there too), with a
 * gw_request_t it builds. What
 * they read: ctx, caller_id, trace_id, request_id (empty: a fresh one),
 * origin (the sending socket's tag, or NULL), and
 *   - gw_h_send_message: body_json, or body / body_len, the POST /v1/messages fields (a
 *     frame's "type" is ignored);
 *   - gw_h_mark_read: path "/v1/conversations/<url-encoded cid>/read" and
 *     body {"seq": N}.
 * Neither reads route or path_id, so no routing is needed before them. */
#include "api_json.h"
#include "dispatch.h"
#include "handlers.h"
#include "messages_map.h"
#include "status.h"

#define S_CONV_PREFIX "/v1/conversations/"

/* 400 for a path segment that is not a plausible id (the router judges the rest). */
static int s_segment(gw_request_t *req, const char *prefix, const char *suffix, char *out,
                     size_t size, const char *what, gw_reply_t *reply)
{
    if (gw_path_segment(req->path, prefix, suffix, out, size) == 0)
        return 0;
    gw_reply_error(reply, PC_INVALID_ARGUMENT, "malformed %s in the path", what);
    return -1;
}

/* POST /v1/messages: 201 message, or 200 for a resend. */
void gw_h_send_message(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Msg__SendRequest msg;
    if (gw_map_send(body, &msg, err, sizeof err) < 0) {
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    } else {
        msg.origin = (char *)req->origin;
        ProtobufCMessage *resp = NULL;
        int status = gw_call(req, GW_SVC_ROUTER, "msg.send", &msg.base,
                             &pigeon__msg__message__descriptor, &resp, out);
        if (status >= 0) {
            gw_reply_message(out, status, (const Pigeon__Msg__Message *)resp);
            protobuf_c_message_free_unpacked(resp, NULL);
        }
    }
    json_decref(body);
}

static json_t *s_conversations(const ProtobufCMessage *m)
{
    return gw_conversation_list_json((const Pigeon__Msg__ConversationList *)m);
}

static json_t *s_history(const ProtobufCMessage *m)
{
    return gw_history_json((const Pigeon__Msg__History *)m);
}

/* GET /v1/conversations */
void gw_h_list_conversations(gw_request_t *req, gw_reply_t *out)
{
    gw_answer(req, GW_SVC_ROUTER, "msg.conversations", NULL,
              &pigeon__msg__conversation_list__descriptor, s_conversations, out);
}

/* One optional integer query parameter; -1 with a 400 in out. */
static int s_query_seq(gw_request_t *req, const char *name, bool *has, int64_t *v, gw_reply_t *out)
{
    const char *text;
    *has = false;
    if (gw_query_text(req, name, &text, out) < 0)
        return -1;
    if (!text)
        return 0;
    if (gw_parse_seq(text, v) < 0) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "query parameter \"%s\" must be an integer from 0 to 2^53-1", name);
        return -1;
    }
    *has = true;
    return 0;
}

/* GET /v1/conversations/{cid}/messages?after_seq=|before_seq=&limit= */
void gw_h_history(gw_request_t *req, gw_reply_t *out)
{
    char cid[64];
    if (s_segment(req, S_CONV_PREFIX, "/messages", cid, sizeof cid, "conversation id", out) < 0)
        return;
    Pigeon__Msg__HistoryRequest msg = PIGEON__MSG__HISTORY_REQUEST__INIT;
    msg.conversation_id = cid;
    bool has_after, has_before, has_limit;
    int64_t limit = 0;
    if (s_query_seq(req, "after_seq", &has_after, &msg.after_seq, out) < 0 ||
        s_query_seq(req, "before_seq", &has_before, &msg.before_seq, out) < 0 ||
        s_query_seq(req, "limit", &has_limit, &limit, out) < 0)
        return;
    msg.has_after_seq = has_after;
    msg.has_before_seq = has_before;
    if (has_limit) { /* out-of-range values are the router's 400 */
        msg.has_limit = true;
        msg.limit = limit > 100000 ? 100000 : (int32_t)limit;
    }
    gw_answer(req, GW_SVC_ROUTER, "msg.history", &msg.base, &pigeon__msg__history__descriptor,
              s_history, out);
}

/* POST /v1/conversations/{cid}/read {"seq"}: 204. */
void gw_h_mark_read(gw_request_t *req, gw_reply_t *out)
{
    char cid[64], err[256];
    if (s_segment(req, S_CONV_PREFIX, "/read", cid, sizeof cid, "conversation id", out) < 0)
        return;
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Msg__ReadRequest msg = PIGEON__MSG__READ_REQUEST__INIT;
    msg.conversation_id = cid;
    msg.origin = (char *)req->origin;
    if (gw_map_read(body, &msg.seq, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer_empty(req, GW_SVC_ROUTER, "msg.read", &msg.base, out);
    json_decref(body);
}

/* POST /v1/messages/{id}/recall: 200 message. */
void gw_h_recall(gw_request_t *req, gw_reply_t *out)
{
    char id[96];
    if (s_segment(req, "/v1/messages/", "/recall", id, sizeof id, "message id", out) < 0)
        return;
    Pigeon__Msg__RecallRequest msg = PIGEON__MSG__RECALL_REQUEST__INIT;
    msg.message_id = id;
    msg.origin = (char *)req->origin;
    ProtobufCMessage *resp = NULL;
    int status = gw_call(req, GW_SVC_ROUTER, "msg.recall", &msg.base,
                         &pigeon__msg__message__descriptor, &resp, out);
    if (status < 0)
        return;
    gw_reply_message(out, status, (const Pigeon__Msg__Message *)resp);
    protobuf_c_message_free_unpacked(resp, NULL);
}
