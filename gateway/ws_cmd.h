/* ws_cmd.h - the JSON frames a WebSocket client sends, and the ones the
 * gateway writes back for them (API.md "WebSocket"). Pure, no I/O. */
#ifndef PIGEON_GW_WS_CMD_H
#define PIGEON_GW_WS_CMD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GW_WS_CMD_SEND = 1, /* {"type":"send", ...POST /v1/messages fields} */
    GW_WS_CMD_READ,     /* {"type":"read","conversation_id","seq"} */
    GW_WS_CMD_PING,     /* {"type":"ping"} */
} gw_ws_cmd_kind_t;

#define GW_WS_CID_MAX 64 /* longest conversation id accepted ("d:<id>:<id>", "g:<id>") */

typedef struct {
    gw_ws_cmd_kind_t kind;        /* what the client asks */
    json_t *obj;                  /* the parsed frame (owned; ws_cmd_clear frees it) */
    const char *client_msg_id;    /* send: echoed in ack/error when a string; else NULL */
    char conversation_id[GW_WS_CID_MAX + 1]; /* read */
    int64_t seq;                  /* read */
} gw_ws_cmd_t;

/* Decodes a text message. Returns 0, or -1 with a client-facing reason in
 * err (the caller answers an invalid_argument error frame; when the frame
 * was a send with a string client_msg_id, *cmd keeps it for the answer). */
int gw_ws_cmd_decode(const char *text, size_t len, gw_ws_cmd_t *cmd, char *err, size_t errlen);
void gw_ws_cmd_clear(gw_ws_cmd_t *cmd);

/* The body handed to the message handler: the frame without "type"; malloc'd. */
char *gw_ws_cmd_send_body(const gw_ws_cmd_t *cmd, size_t *len);

/* The parsed send frame without "type", handed over as the message handler's
 * body (gw_request_t.body_json): the caller owns the reference, and *cmd no
 * longer holds the object (nor client_msg_id, which pointed into it). Saves
 * encoding the body and parsing it again on the worker. */
json_t *gw_ws_cmd_take_send_body(gw_ws_cmd_t *cmd);

/* {"type":"ack","client_msg_id":...,"message":<message>}; message_json is the
 * handler's answer body, a compact JSON object, spliced in as it is (no
 * parse, no re-encoding). NULL when it is not "{...}". Caller frees. */
char *gw_ws_ack_frame(const char *client_msg_id, const char *message_json, size_t len);

/* {"type":"error","client_msg_id"?...,"error":{"code","message"}}: from an
 * API error body when error_json parses, else from status and message. */
char *gw_ws_error_frame(const char *client_msg_id, int status, const char *error_json,
                        size_t len, const char *message);

/* /v1/conversations/<percent-encoded cid>/read into out. */
void gw_ws_read_path(const char *cid, char *out, size_t size);

#endif
