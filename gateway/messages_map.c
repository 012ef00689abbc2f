/* messages_map.c - messages JSON <-> pigeon.msg protobuf (see messages_map.h). */
#include "messages_map.h"

#include <stdio.h>
#include <string.h>

#include "api_json.h"
#include "fields.h"
#include "json.h"

/* "to": an object with exactly one of user_id / group_id. */
static int s_map_to(json_t *body, Pigeon__Msg__SendRequest *out, char *err, size_t errlen)
{
    json_t *to = json_object_get(body, "to");
    if (to == NULL) {
        snprintf(err, errlen, "field \"to\" is required");
        return -1;
    }
    bool has_user = json_is_object(to) && json_object_get(to, "user_id") != NULL;
    bool has_group = json_is_object(to) && json_object_get(to, "group_id") != NULL;
    if (!json_is_object(to) || has_user == has_group) {
        snprintf(err, errlen,
                 "field \"to\" must be an object with exactly one of \"user_id\" and "
                 "\"group_id\"");
        return -1;
    }
    if (has_user) {
        out->has_to_user_id = true;
        return gw_field_id(to, "user_id", &out->to_user_id, err, errlen);
    }
    out->has_to_group_id = true;
    return gw_field_id(to, "group_id", &out->to_group_id, err, errlen);
}

int gw_map_send(json_t *body, Pigeon__Msg__SendRequest *out, char *err, size_t errlen)
{
    pigeon__msg__send_request__init(out);
    if (s_map_to(body, out, err, errlen) < 0 ||
        gw_field_string(body, "client_msg_id", &out->client_msg_id, err, errlen) < 0 ||
        gw_field_string(body, "kind", &out->kind, err, errlen) < 0 ||
        gw_field_string_opt(body, "text", &out->text, err, errlen) < 0)
        return -1;
    json_t *media = json_object_get(body, "media_id");
    if (media != NULL && !json_is_null(media)) {
        if (gw_field_id(body, "media_id", &out->media_id, err, errlen) < 0)
            return -1;
        out->has_media_id = true;
    }
    return 0;
}

void gw_reply_message(gw_reply_t *out, int status, const Pigeon__Msg__Message *m)
{
    size_t len = 0;
    char *text = pc_api_message_text(m, &len);
    gw_reply_text(out, status, text, len);
}

int gw_map_read(json_t *body, int64_t *seq, char *err, size_t errlen)
{
    switch (pc_json_int(body, "seq", 0, GW_ID_MAX, seq, err, errlen)) {
    case PC_FIELD_SET:
        return 0;
    case PC_FIELD_ABSENT:
        snprintf(err, errlen, "field \"seq\" is required");
        return -1;
    case PC_FIELD_NULL:
        snprintf(err, errlen, "field \"seq\" must be an integer from 0 to %lld",
                 (long long)GW_ID_MAX);
        return -1;
    default:
        return -1;
    }
}

static int s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gw_path_segment(const char *path, const char *prefix, const char *suffix, char *out,
                    size_t size)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    if (path == NULL || strncmp(path, prefix, plen) != 0)
        return -1;
    const char *seg = path + plen;
    size_t len = strlen(seg);
    if (len < slen || strcmp(seg + len - slen, suffix) != 0)
        return -1;
    len -= slen;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = seg[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = s_hex(seg[i + 1]), lo = s_hex(seg[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '/' || c == '\0' || n + 1 >= size)
            return -1;
        out[n++] = c;
    }
    if (n == 0)
        return -1;
    out[n] = '\0';
    return 0;
}

int gw_parse_seq(const char *s, int64_t *out)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 16)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > GW_ID_MAX)
        return -1;
    *out = v;
    return 0;
}

json_t *gw_conversation_list_json(const Pigeon__Msg__ConversationList *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n_conversations; i++)
        if (json_array_append_new(arr, pc_api_conversation(l->conversations[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr ? json_pack("{s:o}", "conversations", arr) : NULL;
}

json_t *gw_history_json(const Pigeon__Msg__History *h)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < h->n_messages; i++)
        if (json_array_append_new(arr, pc_api_message(h->messages[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr ? json_pack("{s:o, s:b}", "messages", arr, "has_more", (int)h->has_more) : NULL;
}
