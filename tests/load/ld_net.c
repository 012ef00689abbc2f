/* ld_net.c - epoll loop, HTTP/1.1 keep-alive client and WebSocket client
 * (see ld_net.h). Only what pigeon-load needs: Content-Length and chunked
 * bodies, unfragmented server frames. */
#include "ld_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_FIRST 2048  /* first input buffer of a connection */
#define EVENTS_MAX 512 /* epoll events taken per wait */

typedef enum {
    ST_CONNECTING, /* connect() in progress */
    ST_HTTP,       /* HTTP client */
    ST_UPGRADING,  /* upgrade request sent, waiting for 101 */
    ST_WS,         /* WebSocket open */
    ST_DEAD,       /* closed; the struct lives until the loop ends */
} conn_state_t;

typedef struct {
    char *p;    /* bytes */
    size_t off; /* first unconsumed byte */
    size_t len; /* end of data */
    size_t cap; /* allocated */
} buf_t;

struct ld_conn {
    ld_loop_t *loop;            /* owner */
    ld_conn_t *next;            /* every connection of the loop, for the final free */
    int fd;                     /* socket, -1 when dead */
    int tag;                    /* the caller's user index */
    conn_state_t st;            /* where the connection is */
    conn_state_t after_connect; /* ST_HTTP, or ST_UPGRADING when an upgrade waits */
    bool want_out;              /* EPOLLOUT is registered */
    bool busy;                  /* an HTTP request is in flight */
    buf_t in;                   /* received, not yet parsed */
    buf_t out;                  /* to send */
    ld_http_fn *http_cb;        /* answer of the request in flight */
    void *http_arg;
    ld_ws_fn *ws_cb; /* text messages once upgraded */
    void *ws_arg;
};

struct ld_loop {
    int epfd;              /* epoll instance */
    struct sockaddr_in sa; /* the gateway */
    char host[64];         /* for the Host header */
    ld_conn_t *conns;      /* every connection ever opened */
    size_t open;           /* connections not dead */
    uint32_t rnd;          /* xorshift state for mask keys */
};

uint64_t ld_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

ld_loop_t *ld_loop_new(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        snprintf(err, errlen, "cannot load %s: pigeon-load only targets loopback (127.0.0.0/8)",
                 host);
        return NULL;
    }
    ld_loop_t *loop = calloc(1, sizeof *loop);
    if (!loop) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        snprintf(err, errlen, "could not create epoll instance: %s", strerror(errno));
        free(loop);
        return NULL;
    }
    loop->sa = sa;
    snprintf(loop->host, sizeof loop->host, "%s:%d", host, port);
    loop->rnd = (uint32_t)ld_now_us() | 1u;
    return loop;
}

void ld_loop_destroy(ld_loop_t **loop_p)
{
    ld_loop_t *loop = loop_p ? *loop_p : NULL;
    if (!loop)
        return;
    ld_conn_t *c = loop->conns;
    while (c) {
        ld_conn_t *next = c->next;
        if (c->fd >= 0)
            close(c->fd);
        free(c->in.p);
        free(c->out.p);
        free(c);
        c = next;
    }
    close(loop->epfd);
    free(loop);
    *loop_p = NULL;
}

size_t ld_loop_open_conns(const ld_loop_t *loop)
{
    return loop->open;
}

static int s_reserve(buf_t *b, size_t more)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + more + 1 <= b->cap)
        return 0;
    if (b->off > 0) { /* compact first */
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + more + 1 <= b->cap)
            return 0;
    }
    size_t cap = b->cap ? b->cap : IN_FIRST;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static void s_set_out(ld_conn_t *c, bool want)
{
    if (c->want_out == want || c->fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

/* Marks the connection dead and tells whoever waits on it, once. */
static void s_fail(ld_conn_t *c)
{
    if (c->st == ST_DEAD)
        return;
    c->st = ST_DEAD;
    if (c->fd >= 0) {
        epoll_ctl(c->loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->loop->open--;
    if (c->busy && c->http_cb) {
        c->busy = false;
        c->http_cb(c, 0, "", 0, c->http_arg);
    }
    if (c->ws_cb)
        c->ws_cb(c, NULL, 0, c->ws_arg);
}

void ld_conn_close(ld_conn_t *c)
{
    c->http_cb = NULL;
    c->ws_cb = NULL;
    s_fail(c);
}

ld_conn_t *ld_conn_open(ld_loop_t *loop, int tag)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&loop->sa, sizeof loop->sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    ld_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->loop = loop;
    c->fd = fd;
    c->tag = tag;
    c->st = ST_CONNECTING;
    c->after_connect = ST_HTTP;
    c->want_out = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        free(c);
        return NULL;
    }
    c->next = loop->conns;
    loop->conns = c;
    loop->open++;
    return c;
}

int ld_conn_tag(const ld_conn_t *c)
{
    return c->tag;
}

bool ld_conn_dead(const ld_conn_t *c)
{
    return c->st == ST_DEAD;
}

bool ld_conn_busy(const ld_conn_t *c)
{
    return c->busy;
}

bool ld_ws_open(const ld_conn_t *c)
{
    return c->st == ST_WS;
}

const char *ld_conn_stage(const ld_conn_t *c)
{
    switch (c->st) {
    case ST_CONNECTING:
        return "connecting";
    case ST_HTTP:
        return "http";
    case ST_UPGRADING:
        return "upgrading";
    case ST_WS:
        return "open";
    default:
        return "closed";
    }
}

/* Sends what is queued; keeps the rest for EPOLLOUT. */
static void s_flush(ld_conn_t *c)
{
    if (c->st == ST_CONNECTING || c->st == ST_DEAD)
        return;
    while (c->out.off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out.off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_set_out(c, true);
            return;
        }
        if (n < 0 && errno == EINTR)
            continue;
        s_fail(c);
        return;
    }
    c->out.off = c->out.len = 0;
    s_set_out(c, false);
}

static int s_queue(ld_conn_t *c, const void *p, size_t n)
{
    if (s_reserve(&c->out, n) != 0)
        return -1;
    memcpy(c->out.p + c->out.len, p, n);
    c->out.len += n;
    return 0;
}

int ld_http_request(ld_conn_t *c, const char *method, const char *path, const char *token,
                    const char *body, ld_http_fn *cb, void *arg)
{
    if (c->st == ST_DEAD || c->st == ST_UPGRADING || c->st == ST_WS || c->busy)
        return -1;
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, c->loop->host, token ? "Authorization: Bearer " : "",
                     token ? token : "", token ? "\r\n" : "", blen);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    if (s_queue(c, head, (size_t)n) != 0 || (blen && s_queue(c, body, blen) != 0))
        return -1;
    c->busy = true;
    c->http_cb = cb;
    c->http_arg = arg;
    s_flush(c);
    return 0;
}

int ld_ws_upgrade(ld_conn_t *c, const char *token, ld_ws_fn *cb, void *arg)
{
    if ((c->st != ST_CONNECTING && c->st != ST_HTTP) || c->busy)
        return -1;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "GET /v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: cGlnZW9uLWxvYWQta2V5IQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                     c->loop->host, token);
    if (n < 0 || (size_t)n >= sizeof head || s_queue(c, head, (size_t)n) != 0)
        return -1;
    c->ws_cb = cb;
    c->ws_arg = arg;
    if (c->st == ST_CONNECTING) {
        c->after_connect = ST_UPGRADING; /* goes out when connect() completes */
        return 0;
    }
    c->st = ST_UPGRADING;
    s_flush(c);
    return 0;
}

size_t ld_ws_client_header(uint8_t *out, uint8_t opcode, size_t len, const uint8_t mask[4])
{
    size_t n = 0;
    out[n++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    memcpy(out + n, mask, 4);
    return n + 4;
}

static int s_ws_frame(ld_conn_t *c, uint8_t opcode, const void *payload, size_t len)
{
    ld_loop_t *l = c->loop;
    l->rnd ^= l->rnd << 13;
    l->rnd ^= l->rnd >> 17;
    l->rnd ^= l->rnd << 5;
    uint8_t mask[4];
    memcpy(mask, &l->rnd, 4);
    uint8_t head[14];
    size_t hn = ld_ws_client_header(head, opcode, len, mask);
    if (s_queue(c, head, hn) != 0 || s_reserve(&c->out, len) != 0)
        return -1;
    uint8_t *dst = (uint8_t *)c->out.p + c->out.len;
    const uint8_t *src = payload;
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i] ^ mask[i & 3];
    c->out.len += len;
    return 0;
}

int ld_ws_send(ld_conn_t *c, const char *text, size_t len)
{
    if (c->st != ST_WS || s_ws_frame(c, 0x1, text, len) != 0)
        return -1;
    s_flush(c);
    return 0;
}

/* Finds the value of header `name` in head[0..len) (case-insensitive);
 * copies up to cap-1 bytes into out. */
static bool s_header(const char *head, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', len);
    const char *end = head + len;
    while (p && p + 1 + nl < end) {
        p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < end && *v == ' ')
                v++;
            size_t n = 0;
            while (v + n < end && v[n] != '\r' && n + 1 < cap)
                n++;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        p = memchr(p, '\n', (size_t)(end - p));
    }
    return false;
}

/* Decodes a chunked body in place from b; returns its length, or -1 when
 * not complete yet; *used is the bytes taken from the buffer. */
static long s_unchunk(char *b, size_t len, size_t *used)
{
    size_t r = 0, w = 0;
    for (;;) {
        char *eol = memmem(b + r, len - r, "\r\n", 2);
        if (!eol)
            return -1;
        size_t sz = strtoul(b + r, NULL, 16);
        size_t data = (size_t)(eol - b) + 2;
        if (sz == 0) {
            char *fin = memmem(b + data - 2, len - (data - 2), "\r\n\r\n", 4);
            if (!fin)
                return -1;
            *used = (size_t)(fin - b) + 4;
            return (long)w;
        }
        if (data + sz + 2 > len)
            return -1;
        memmove(b + w, b + data, sz);
        w += sz;
        r = data + sz + 2;
    }
}

/* Parses one HTTP response from the input; returns false when incomplete. */
static bool s_http_one(ld_conn_t *c)
{
    char *p = c->in.p + c->in.off;
    size_t avail = c->in.len - c->in.off;
    char *eoh = memmem(p, avail, "\r\n\r\n", 4);
    if (!eoh)
        return false;
    size_t hlen = (size_t)(eoh - p) + 4;
    int status = 0;
    if (sscanf(p, "HTTP/1.%*d %d", &status) != 1) {
        s_fail(c);
        return false;
    }
    char v[64];
    bool closing = s_header(p, hlen, "Connection", v, sizeof v) && strcasecmp(v, "close") == 0;
    if (c->st == ST_UPGRADING) {
        c->in.off += hlen;
        if (status != 101) {
            s_fail(c);
            return false;
        }
        c->st = ST_WS;
        return true;
    }
    size_t blen = 0, used = 0;
    char *body = p + hlen;
    if (s_header(p, hlen, "Transfer-Encoding", v, sizeof v) && strcasecmp(v, "chunked") == 0) {
        long n = s_unchunk(body, avail - hlen, &used);
        if (n < 0)
            return false;
        blen = (size_t)n;
    } else {
        blen = s_header(p, hlen, "Content-Length", v, sizeof v) ? strtoul(v, NULL, 10) : 0;
        if (hlen + blen > avail)
            return false;
        used = blen;
    }
    /* NUL-terminate in place; the byte after is restored afterwards. */
    char saved = body[blen];
    body[blen] = '\0';
    ld_http_fn *cb = c->http_cb;
    void *arg = c->http_arg;
    c->busy = false;
    c->http_cb = NULL;
    if (cb)
        cb(c, status, body, blen, arg);
    if (c->st == ST_DEAD)
        return false;
    body[blen] = saved;
    c->in.off += hlen + used;
    if (closing) {
        s_fail(c);
        return false;
    }
    return true;
}

/* Parses one server frame; returns false when incomplete or closed. */
static bool s_ws_one(ld_conn_t *c)
{
    uint8_t *p = (uint8_t *)c->in.p + c->in.off;
    size_t avail = c->in.len - c->in.off;
    if (avail < 2)
        return false;
    uint8_t op = p[0] & 0x0F;
    size_t len = p[1] & 0x7F, h = 2;
    if (len == 126) {
        if (avail < 4)
            return false;
        len = (size_t)p[2] << 8 | p[3];
        h = 4;
    } else if (len == 127) {
        if (avail < 10)
            return false;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        h = 10;
    }
    if (avail < h + len)
        return false;
    uint8_t *payload = p + h;
    c->in.off += h + len;
    if (op == 0x1 && c->ws_cb) {
        uint8_t saved = payload[len];
        payload[len] = '\0';
        c->ws_cb(c, (const char *)payload, len, c->ws_arg);
        if (c->st == ST_DEAD)
            return false;
        payload[len] = saved;
    } else if (op == 0x9) {
        s_ws_frame(c, 0xA, payload, len < 125 ? len : 125);
        s_flush(c);
    } else if (op == 0x8) {
        s_fail(c);
        return false;
    }
    return c->st == ST_WS;
}

static void s_readable(ld_conn_t *c)
{
    for (;;) {
        if (s_reserve(&c->in, 16384) != 0) {
            s_fail(c);
            return;
        }
        size_t space = c->in.cap - c->in.len - 1;
        ssize_t n = recv(c->fd, c->in.p + c->in.len, space, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            if ((size_t)n < space)
                break; /* drained for now: level-triggered epoll says when there is more */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        s_fail(c); /* EOF or error */
        return;
    }
    for (;;) {
        if (c->st == ST_WS) {
            if (!s_ws_one(c))
                break;
        } else if (c->st == ST_HTTP || c->st == ST_UPGRADING) {
            if (c->in.off == c->in.len || !s_http_one(c))
                break;
        } else {
            break;
        }
    }
    if (c->st != ST_DEAD && c->in.off == c->in.len)
        c->in.off = c->in.len = 0;
}

int ld_loop_poll(ld_loop_t *loop, int timeout_ms)
{
    struct epoll_event evs[EVENTS_MAX];
    int n = epoll_wait(loop->epfd, evs, EVENTS_MAX, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        ld_conn_t *c = evs[i].data.ptr;
        if (c->st == ST_DEAD)
            continue;
        if (c->st == ST_CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err != 0) {
                s_fail(c);
                continue;
            }
            c->st = c->after_connect;
            s_flush(c);
            if (c->st == ST_DEAD)
                continue;
        } else if (evs[i].events & EPOLLOUT) {
            s_flush(c);
            if (c->st == ST_DEAD)
                continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            s_readable(c);
    }
    return n;
}
