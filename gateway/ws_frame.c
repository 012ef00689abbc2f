/* ws_frame.c - RFC 6455 framing, handshake key and SHA-1. Pure, no I/O. */
#include "ws_frame.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6455 1.3: appended to the client's key before hashing. */
static const char s_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* --- UTF-8 --------------------------------------------------------------- */

bool ws_utf8_feed(ws_utf8_t *u, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (u->need > 0) {
            if (c < u->lo || c > u->hi)
                return false;
            u->need--;
            u->lo = 0x80;
            u->hi = 0xBF;
            continue;
        }
        u->lo = 0x80;
        u->hi = 0xBF;
        if (c < 0x80)
            continue;
        if (c >= 0xC2 && c <= 0xDF) {
            u->need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            u->need = 2;
            if (c == 0xE0)
                u->lo = 0xA0; /* overlong */
            else if (c == 0xED)
                u->hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            u->need = 3;
            if (c == 0xF0)
                u->lo = 0x90; /* overlong */
            else if (c == 0xF4)
                u->hi = 0x8F; /* above U+10FFFF */
        } else {
            return false; /* 0x80-0xC1 lead bytes, 0xF5-0xFF */
        }
    }
    return true;
}

/* --- reader -------------------------------------------------------------- */

void ws_reader_init(ws_reader_t *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

void ws_reader_clear(ws_reader_t *r)
{
    free(r->msg);
    memset(r, 0, sizeof *r);
}

static size_t s_fail(ws_reader_t *r, ws_event_t *ev, uint16_t code, const char *why)
{
    r->failed = true;
    ev->kind = WS_EV_ERROR;
    ev->code = code;
    ev->data = (const uint8_t *)why;
    ev->len = strlen(why);
    return 0;
}

static bool s_append(ws_reader_t *r, const uint8_t *p, size_t n)
{
    if (n == 0) /* an empty fragment; msg may still be NULL, and memcpy(NULL, ..., 0) is UB */
        return true;
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + n)
            cap *= 2;
        uint8_t *m = realloc(r->msg, cap);
        if (!m)
            return false;
        r->msg = m;
        r->cap = cap;
    }
    memcpy(r->msg + r->len, p, n);
    r->len += n;
    return true;
}

static size_t s_control(ws_reader_t *r, uint8_t op, const uint8_t *p, size_t n, ws_event_t *ev,
                        size_t consumed)
{
    ev->data = p;
    ev->len = n;
    if (op == WS_OP_PING) {
        ev->kind = WS_EV_PING;
    } else if (op == WS_OP_PONG) {
        ev->kind = WS_EV_PONG;
    } else {
        ev->kind = WS_EV_CLOSE;
        ev->code = WS_CLOSE_NO_STATUS;
        if (n == 1)
            return s_fail(r, ev, WS_CLOSE_PROTOCOL, "close frame with a one-byte payload");
        if (n >= 2) {
            ev->code = (uint16_t)(p[0] << 8 | p[1]);
            if (!ws_close_code_valid(ev->code))
                return s_fail(r, ev, WS_CLOSE_PROTOCOL, "invalid close code");
            ws_utf8_t u = {0};
            if (!ws_utf8_feed(&u, p + 2, n - 2) || !ws_utf8_done(&u))
                return s_fail(r, ev, WS_CLOSE_BAD_DATA, "close reason is not UTF-8");
            ev->data = p + 2;
            ev->len = n - 2;
        }
    }
    return consumed;
}

/* The data frame of opcode op (TEXT, BINARY or CONT) with its payload. */
static size_t s_data(ws_reader_t *r, uint8_t op, bool fin, const uint8_t *p, size_t n,
                     ws_event_t *ev, size_t consumed)
{
    if (op != WS_OP_CONT) { /* a new message */
        r->len = 0;
        memset(&r->utf8, 0, sizeof r->utf8);
    }
    uint8_t msg_op = op == WS_OP_CONT ? r->opcode : op;
    if (msg_op == WS_OP_TEXT &&
        (!ws_utf8_feed(&r->utf8, p, n) || (fin && !ws_utf8_done(&r->utf8))))
        return s_fail(r, ev, WS_CLOSE_BAD_DATA, "text message is not valid UTF-8");
    ev->kind = msg_op == WS_OP_TEXT ? WS_EV_TEXT : WS_EV_BINARY;
    if (fin && op != WS_OP_CONT) { /* unfragmented: no copy */
        ev->data = p;
        ev->len = n;
        return consumed;
    }
    if (!s_append(r, p, n))
        return s_fail(r, ev, WS_CLOSE_INTERNAL, "out of memory");
    if (!fin) {
        r->opcode = msg_op;
        ev->kind = WS_EV_NONE;
        return consumed;
    }
    r->opcode = 0;
    ev->data = r->msg;
    ev->len = r->len;
    return consumed;
}

size_t ws_reader_next(ws_reader_t *r, uint8_t *buf, size_t len, ws_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    if (r->opcode == 0 && r->msg) {
        /* The last joined message was handed out by the previous call: an
         * idle socket keeps no buffer of its largest fragmented message. */
        free(r->msg);
        r->msg = NULL;
        r->len = r->cap = 0;
    }
    if (r->failed || len < 2)
        return 0;
    bool fin = buf[0] & 0x80;
    uint8_t op = buf[0] & 0x0F;
    bool control = op & 0x08;
    uint64_t plen = buf[1] & 0x7F;
    size_t hlen = 2;
    if (buf[0] & 0x70)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "reserved bits set");
    if (op != WS_OP_CONT && op != WS_OP_TEXT && op != WS_OP_BINARY && op != WS_OP_CLOSE &&
        op != WS_OP_PING && op != WS_OP_PONG)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "unknown opcode");
    if (!(buf[1] & 0x80))
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "client frames must be masked");
    if (control && !fin)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "fragmented control frame");
    if (control && plen > WS_CONTROL_MAX)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "control frame over 125 bytes");
    if (op == WS_OP_CONT && r->opcode == 0)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "continuation frame outside a message");
    if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && r->opcode != 0)
        return s_fail(r, ev, WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
    if (plen == 126) {
        if (len < 4)
            return 0;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        hlen = 4;
    } else if (plen == 127) {
        if (len < 10)
            return 0;
        plen = 0;
        for (int i = 2; i < 10; i++)
            plen = plen << 8 | buf[i];
        if (plen >> 63)
            return s_fail(r, ev, WS_CLOSE_PROTOCOL, "frame length has its top bit set");
        hlen = 10;
    }
    size_t sofar = op == WS_OP_CONT ? r->len : 0;
    if (!control && plen > (uint64_t)(r->max - sofar))
        return s_fail(r, ev, WS_CLOSE_TOO_BIG, "message too big");
    hlen += 4;
    if (len < hlen || len - hlen < plen)
        return 0;
    uint8_t *p = buf + hlen;
    const uint8_t *mask = buf + hlen - 4;
    for (size_t i = 0; i < plen; i++)
        p[i] ^= mask[i & 3];
    size_t consumed = hlen + (size_t)plen;
    if (control)
        return s_control(r, op, p, (size_t)plen, ev, consumed);
    return s_data(r, op, fin, p, (size_t)plen, ev, consumed);
}

/* --- writer -------------------------------------------------------------- */

size_t ws_frame_header(uint8_t *out, uint8_t opcode, size_t len)
{
    out[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

uint8_t *ws_frame_encode(uint8_t opcode, const void *payload, size_t len, size_t *out_len)
{
    uint8_t *f = malloc(len + 10);
    if (!f)
        return NULL;
    size_t h = ws_frame_header(f, opcode, len);
    if (len)
        memcpy(f + h, payload, len);
    *out_len = h + len;
    return f;
}

size_t ws_close_payload(uint8_t out[WS_CONTROL_MAX], uint16_t code, const char *reason)
{
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    size_t n = reason ? strlen(reason) : 0;
    if (n > WS_CONTROL_MAX - 2) {
        n = WS_CONTROL_MAX - 2;
        while (n > 0 && ((uint8_t)reason[n] & 0xC0) == 0x80) /* do not split a character */
            n--;
    }
    if (n)
        memcpy(out + 2, reason, n);
    return n + 2;
}

bool ws_close_code_valid(uint16_t code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

/* --- SHA-1 and the accept key -------------------------------------------- */

static uint32_t s_rol(uint32_t x, int n)
{
    return x << n | x >> (32 - n);
}

static void s_sha1_block(uint32_t h[5], const uint8_t *b)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = s_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (bb & c) | (~bb & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = bb ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = bb ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = s_rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = s_rol(bb, 30);
        bb = a;
        a = t;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ws_sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    for (; left >= 64; left -= 64, p += 64)
        s_sha1_block(h, p);
    uint8_t tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tlen = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    s_sha1_block(h, tail);
    if (tlen == 128)
        s_sha1_block(h, tail + 64);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

bool ws_key_valid(const char *key)
{
    uint8_t bin[32];
    size_t n = 0;
    const char *end = NULL;
    if (!key || strlen(key) != 24)
        return false;
    if (sodium_base642bin(bin, sizeof bin, key, 24, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    return n == 16 && end == key + 24;
}

void ws_accept_key(const char *key, char out[29])
{
    char buf[128];
    uint8_t digest[20];
    size_t klen = strnlen(key, 64);
    memcpy(buf, key, klen);
    memcpy(buf + klen, s_guid, sizeof s_guid - 1);
    ws_sha1(buf, klen + sizeof s_guid - 1, digest);
    sodium_bin2base64(out, 29, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
}
