/* ws_send_scan.c - the usual `send` frame in one pass (see ws_send_scan.h).
 *
 * Every helper returns false as soon as the bytes leave the plain shape;
 * nothing here words an error, because the general reader answers every
 * frame this one refuses. */
#include "ws_send_scan.h"

#include <string.h>

#include "fields.h"
#include "json.h"
#include "utf8.h"

typedef struct {
    const char *p;   /* next byte */
    const char *end; /* one past the last byte */
} s_cur_t;

enum { K_TYPE, K_TO, K_CLIENT_MSG_ID, K_KIND, K_TEXT, K_MEDIA_ID, K_COUNT };

static const char *const s_keys[K_COUNT] = {
    [K_TYPE] = "type", [K_TO] = "to",     [K_CLIENT_MSG_ID] = "client_msg_id",
    [K_KIND] = "kind", [K_TEXT] = "text", [K_MEDIA_ID] = "media_id",
};

#define S_REQUIRED ((1u << K_TYPE) | (1u << K_TO) | (1u << K_CLIENT_MSG_ID) | (1u << K_KIND))
#define S_ID_DIGITS 16 /* 2^53 - 1 = 9007199254740991 */

static void s_skip_ws(s_cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* The next token is the character ch: consumes it. */
static bool s_eat(s_cur_t *c, char ch)
{
    s_skip_ws(c);
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* A string without escapes or control characters, valid UTF-8 (what jansson
 * requires of every string). */
static bool s_string(s_cur_t *c, gw_span_t *out)
{
    if (!s_eat(c, '"'))
        return false;
    const char *start = c->p;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            out->p = start;
            out->len = (size_t)(c->p - start);
            c->p++;
            return pc_utf8_valid(out->p, out->len);
        }
        if (ch == '\\' || ch < 0x20)
            return false;
        c->p++;
    }
    return false;
}

static bool s_null(s_cur_t *c)
{
    s_skip_ws(c);
    if (c->end - c->p < 4 || memcmp(c->p, "null", 4) != 0)
        return false;
    c->p += 4;
    return true;
}

/* An id as gw_field_id takes it: a JSON integer from 1 to GW_ID_MAX, written
 * without sign or leading zero. A fraction or exponent after the digits
 * leaves the shape (the caller then finds no ',' or '}'). */
static bool s_id(s_cur_t *c, int64_t *out)
{
    s_skip_ws(c);
    if (c->p >= c->end || *c->p < '1' || *c->p > '9')
        return false;
    int64_t v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (++digits > S_ID_DIGITS)
            return false;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    if (v > GW_ID_MAX)
        return false;
    *out = v;
    return true;
}

/* "to": {"user_id": id} or {"group_id": id}, nothing else. */
static bool s_to(s_cur_t *c, gw_ws_send_t *out)
{
    gw_span_t key;
    if (!s_eat(c, '{') || !s_string(c, &key) || !s_eat(c, ':'))
        return false;
    int64_t *id = NULL;
    if (key.len == 7 && memcmp(key.p, "user_id", 7) == 0)
        id = &out->to_user_id;
    else if (key.len == 8 && memcmp(key.p, "group_id", 8) == 0)
        id = &out->to_group_id;
    return id && s_id(c, id) && s_eat(c, '}');
}

static int s_key(gw_span_t key)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strlen(s_keys[k]) == key.len && memcmp(s_keys[k], key.p, key.len) == 0)
            return k;
    return -1;
}

static bool s_member(s_cur_t *c, int key, gw_ws_send_t *out)
{
    gw_span_t type;
    switch (key) {
    case K_TYPE:
        return s_string(c, &type) && type.len == 4 && memcmp(type.p, "send", 4) == 0;
    case K_TO:
        return s_to(c, out);
    case K_CLIENT_MSG_ID:
        return s_string(c, &out->client_msg_id);
    case K_KIND:
        return s_string(c, &out->kind);
    case K_TEXT:
        return s_null(c) || s_string(c, &out->text);
    case K_MEDIA_ID:
        return s_null(c) || s_id(c, &out->media_id);
    default:
        return false;
    }
}

bool gw_ws_send_scan(const char *text, size_t len, gw_ws_send_t *out)
{
    memset(out, 0, sizeof *out);
    if (text == NULL || len > PC_JSON_MAX_BODY)
        return false;
    s_cur_t c = {.p = text, .end = text + len};
    unsigned seen = 0;
    if (!s_eat(&c, '{'))
        return false;
    do {
        gw_span_t name;
        if (!s_string(&c, &name) || !s_eat(&c, ':'))
            return false;
        int key = s_key(name);
        if (key < 0 || (seen & (1u << key)) != 0) /* unknown or repeated: not ours */
            return false;
        seen |= 1u << key;
        if (!s_member(&c, key, out))
            return false;
    } while (s_eat(&c, ','));
    if (!s_eat(&c, '}'))
        return false;
    s_skip_ws(&c);
    return c.p == c.end && (seen & S_REQUIRED) == S_REQUIRED;
}
