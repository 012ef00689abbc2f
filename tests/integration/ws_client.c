/* ws_client.c - see ws_client.h. */
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_frame.h"

#define S_HEAD_MAX 8192

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_base64(const uint8_t *p, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Reads what arrives within the deadline into c->in. 1 read, 0 timeout, -1 EOF/error. */
static int s_fill(wc_t *c, int64_t deadline)
{
    if (c->fd < 0)
        return -1;
    if (c->in_len == c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
        uint8_t *p = realloc(c->in, cap + 1);
        if (!p)
            return -1;
        c->in = p;
        c->in_cap = cap;
    }
    for (;;) {
        int64_t left = deadline - s_now_ms();
        if (left < 0)
            return 0;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return 0;
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->eof = true;
            return -1;
        }
        c->in_len += (size_t)n;
        c->in[c->in_len] = '\0';
        return 1;
    }
}

static void s_consume(wc_t *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* Reads the handshake answer's header block and, for a refusal, its body. */
static int s_answer(wc_t *c, const char *key, int64_t deadline)
{
    char *end = NULL;
    while (!(c->in && (end = strstr((char *)c->in, "\r\n\r\n")))) {
        if (c->in_len > S_HEAD_MAX || s_fill(c, deadline) <= 0)
            return -1;
    }
    size_t hlen = (size_t)(end - (char *)c->in) + 4;
    c->http_headers = strndup((char *)c->in, hlen);
    s_consume(c, hlen);
    if (!c->http_headers || sscanf(c->http_headers, "HTTP/1.1 %d", &c->http_status) != 1)
        return -1;
    if (c->http_status == 101) {
        char want[29], line[64];
        ws_accept_key(key, want);
        snprintf(line, sizeof line, "\r\nSec-WebSocket-Accept: %s\r\n", want);
        return strcasestr(c->http_headers, line) ? 101 : -1;
    }
    const char *cl = strcasestr(c->http_headers, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    while (c->in_len < want && s_fill(c, deadline) > 0)
        ;
    c->http_body = strndup(c->in ? (char *)c->in : "", c->in_len < want ? c->in_len : want);
    return c->http_status;
}

int wc_open(wc_t *c, int port, const char *target, const char *token, int timeout_ms)
{
    return wc_open_rcvbuf(c, port, target, token, 0, timeout_ms);
}

int wc_open_rcvbuf(wc_t *c, int port, const char *target, const char *token, int rcvbuf,
                   int timeout_ms)
{
    memset(c, 0, sizeof *c);
    int64_t deadline = s_now_ms() + timeout_ms;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd >= 0 && rcvbuf > 0) /* before connect: it sets the window offered */
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint8_t nonce[16];
    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)random();
    char key[32], req[2048], auth[300] = "";
    s_base64(nonce, sizeof nonce, key);
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     target, port, key, auth);
    if (n <= 0 || (size_t)n >= sizeof req || wc_send_raw(c, req, (size_t)n) < 0)
        return -1;
    return s_answer(c, key, deadline);
}

int wc_send_raw(wc_t *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int wc_send_frame(wc_t *c, uint8_t first_byte, const void *payload, size_t len, bool mask)
{
    uint8_t *f = malloc(len + 14);
    if (!f)
        return -1;
    size_t h = 0;
    f[h++] = first_byte;
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        f[h++] = m | (uint8_t)len;
    } else if (len <= 0xFFFF) {
        f[h++] = m | 126;
        f[h++] = (uint8_t)(len >> 8);
        f[h++] = (uint8_t)len;
    } else {
        f[h++] = m | 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t key[4] = {0};
    if (mask) {
        for (int i = 0; i < 4; i++)
            f[h++] = key[i] = (uint8_t)random();
    }
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        f[h + i] = p[i] ^ key[i & 3];
    int rc = wc_send_raw(c, f, h + len);
    free(f);
    return rc;
}

int wc_send_text(wc_t *c, const char *text)
{
    return wc_send_frame(c, 0x80 | WS_OP_TEXT, text, strlen(text), true);
}

/* Parses one whole frame from c->in; 1 parsed, 0 incomplete. */
static int s_parse(wc_t *c, wc_frame_t *f)
{
    const uint8_t *p = c->in;
    if (c->in_len < 2)
        return 0;
    size_t h = 2;
    uint64_t len = p[1] & 0x7F;
    if (len == 126) {
        if (c->in_len < 4)
            return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        h = 4;
    } else if (len == 127) {
        if (c->in_len < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        h = 10;
    }
    bool masked = p[1] & 0x80;
    if (masked)
        h += 4;
    if (c->in_len < h || c->in_len - h < len)
        return 0;
    f->opcode = p[0] & 0x0F;
    f->fin = p[0] & 0x80;
    f->masked = masked;
    f->len = (size_t)len;
    f->data = malloc(f->len + 1);
    if (!f->data)
        return 0;
    for (size_t i = 0; i < f->len; i++)
        f->data[i] = masked ? p[h + i] ^ p[h - 4 + (i & 3)] : p[h + i];
    f->data[f->len] = '\0';
    s_consume(c, h + f->len);
    if (f->opcode == WS_OP_CLOSE)
        c->close_code = f->len >= 2 ? (f->data[0] << 8 | f->data[1]) : WS_CLOSE_NO_STATUS;
    return 1;
}

int wc_recv(wc_t *c, wc_frame_t *f, int timeout_ms)
{
    memset(f, 0, sizeof *f);
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        if (s_parse(c, f))
            return 1;
        int r = s_fill(c, deadline);
        if (r <= 0)
            return r;
    }
}

void wc_frame_clear(wc_frame_t *f)
{
    free(f->data);
    memset(f, 0, sizeof *f);
}

json_t *wc_recv_json(wc_t *c, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        wc_frame_t f;
        int64_t left = deadline - s_now_ms();
        if (left < 0 || wc_recv(c, &f, (int)left) <= 0)
            return NULL;
        if (f.opcode == WS_OP_PING)
            wc_send_frame(c, 0x80 | WS_OP_PONG, f.data, f.len, true);
        if (f.opcode == WS_OP_CLOSE) {
            wc_frame_clear(&f);
            return NULL;
        }
        if (f.opcode == WS_OP_TEXT) {
            json_error_t err;
            json_t *o = json_loadb((const char *)f.data, f.len, 0, &err);
            wc_frame_clear(&f);
            if (!json_is_object(o)) {
                fprintf(stderr, "ws_client: a text frame that is not a JSON object\n");
                json_decref(o);
                return NULL;
            }
            return o;
        }
        wc_frame_clear(&f);
    }
}

json_t *wc_expect_type(wc_t *c, const char *type, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - s_now_ms();
        json_t *o = left >= 0 ? wc_recv_json(c, (int)left) : NULL;
        if (!o)
            return NULL;
        const char *t = json_string_value(json_object_get(o, "type"));
        if (t && strcmp(t, type) == 0)
            return o;
        json_decref(o);
    }
}

int wc_wait_close(wc_t *c, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    while (c->close_code == 0) {
        wc_frame_t f;
        int64_t left = deadline - s_now_ms();
        int r = left >= 0 ? wc_recv(c, &f, (int)left) : 0;
        if (r == 0)
            return -1;
        if (r < 0)
            return 0;
        wc_frame_clear(&f);
    }
    return c->close_code;
}

void wc_close(wc_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c->http_headers);
    free(c->http_body);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}
