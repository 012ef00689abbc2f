/* ws_cmd.c - client frames in, ack/error frames out. Pure, no I/O. */
#include "ws_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "status.h"

#define S_SEQ_MAX ((int64_t)1 << 53)

int gw_ws_cmd_decode(const char *text, size_t len, gw_ws_cmd_t *cmd, char *err, size_t errlen)
{
    const char *type = NULL, *cid = NULL;
    memset(cmd, 0, sizeof *cmd);
    if (len > PC_JSON_MAX_BODY) {
        snprintf(err, errlen, "frame is larger than %d bytes", PC_JSON_MAX_BODY);
        return -1;
    }
    cmd->obj = pc_json_parse_object(text, len, err, errlen);
    if (!cmd->obj)
        return -1;
    if (pc_json_string(cmd->obj, "type", &type, err, errlen) != PC_FIELD_SET) {
        snprintf(err, errlen, "\"type\" must be a string");
        return -1;
    }
    if (strcmp(type, "ping") == 0) {
        cmd->kind = GW_WS_CMD_PING;
        return 0;
    }
    if (strcmp(type, "send") == 0) {
        cmd->kind = GW_WS_CMD_SEND;
        json_t *id = json_object_get(cmd->obj, "client_msg_id");
        cmd->client_msg_id = json_is_string(id) ? json_string_value(id) : NULL;
        return 0; /* every other field is the message handler's to judge */
    }
    if (strcmp(type, "read") == 0) {
        cmd->kind = GW_WS_CMD_READ;
        if (pc_json_string(cmd->obj, "conversation_id", &cid, err, errlen) != PC_FIELD_SET) {
            snprintf(err, errlen, "\"conversation_id\" must be a string");
            return -1;
        }
        if (strlen(cid) > GW_WS_CID_MAX) {
            snprintf(err, errlen, "\"conversation_id\" is not a conversation id");
            return -1;
        }
        snprintf(cmd->conversation_id, sizeof cmd->conversation_id, "%s", cid);
        if (pc_json_int(cmd->obj, "seq", 0, S_SEQ_MAX - 1, &cmd->seq, err, errlen) !=
            PC_FIELD_SET) {
            if (!err[0] || strstr(err, "seq") == NULL)
                snprintf(err, errlen, "\"seq\" must be an integer from 0 to 2^53-1");
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown frame type");
    return -1;
}

void gw_ws_cmd_clear(gw_ws_cmd_t *cmd)
{
    json_decref(cmd->obj);
    memset(cmd, 0, sizeof *cmd);
}

char *gw_ws_cmd_send_body(const gw_ws_cmd_t *cmd, size_t *len)
{
    json_t *copy = json_copy(cmd->obj); /* shallow: values are shared, not copied */
    if (!copy)
        return NULL;
    json_object_del(copy, "type");
    char *s = pc_json_dump(copy);
    json_decref(copy);
    if (s)
        *len = strlen(s);
    return s;
}

json_t *gw_ws_cmd_take_send_body(gw_ws_cmd_t *cmd)
{
    json_t *obj = cmd->obj;
    if (obj)
        json_object_del(obj, "type");
    cmd->obj = NULL;
    cmd->client_msg_id = NULL;
    return obj;
}

char *gw_ws_ack_frame(const char *client_msg_id, const char *message_json, size_t len)
{
    static const char head[] = "{\"type\":\"ack\",\"client_msg_id\":";
    static const char mid[] = ",\"message\":";
    if (!message_json || len < 2 || message_json[0] != '{' || message_json[len - 1] != '}')
        return NULL;
    size_t idlen = client_msg_id ? strlen(client_msg_id) : 0;
    size_t cap = sizeof head - 1 + (client_msg_id ? 6 * idlen + 2 : 4) + sizeof mid - 1 + len + 2;
    char *f = malloc(cap);
    if (!f)
        return NULL;
    size_t o = sizeof head - 1;
    memcpy(f, head, o);
    if (client_msg_id) {
        o += pc_json_quote(client_msg_id, f + o);
    } else {
        memcpy(f + o, "null", 4);
        o += 4;
    }
    memcpy(f + o, mid, sizeof mid - 1);
    o += sizeof mid - 1;
    memcpy(f + o, message_json, len);
    o += len;
    f[o++] = '}';
    f[o] = '\0';
    return f;
}

char *gw_ws_error_frame(const char *client_msg_id, int status, const char *error_json,
                        size_t len, const char *message)
{
    json_error_t jerr;
    json_t *body = error_json ? json_loadb(error_json, len, 0, &jerr) : NULL;
    json_t *e = json_object_get(body, "error");
    json_t *f = json_object();
    json_object_set_new(f, "type", json_string("error"));
    if (client_msg_id)
        json_object_set_new(f, "client_msg_id", json_string(client_msg_id));
    if (json_is_object(e)) {
        json_object_set(f, "error", e);
    } else {
        json_t *err = json_object();
        json_object_set_new(err, "code", json_string(pc_status_code(status)));
        json_object_set_new(err, "message", json_string(message ? message : "error"));
        json_object_set_new(f, "error", err);
    }
    json_decref(body);
    char *s = pc_json_dump(f);
    json_decref(f);
    return s;
}

void gw_ws_read_path(const char *cid, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = (size_t)snprintf(out, size, "/v1/conversations/");
    for (const unsigned char *p = (const unsigned char *)cid; *p && o + 4 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == ':') { /* pchar */
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    snprintf(out + o, size - o, "/read");
}
