/* http.c - libmicrohttpd plumbing: body limits, client address, responses,
 * access metrics and logs. Everything REST-specific is in dispatch.c. */
#include "http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "media_http.h"
#include "proxy.h"
#include "random.h"
#include "routes.h"
#include "status.h"
#include "ws.h"

/* After a 413 a streamed body is read and dropped, never stored; past this
 * much the connection is closed instead (a client that ignores the answer). */
#define GW_DISCARD_MAX (1024 * 1024)

struct gw_http {
    struct MHD_Daemon *daemon;  /* the worker pool */
    gw_ctx_t *ctx;              /* borrowed: shared request state */
    const gw_proxies_t *proxies;/* borrowed from the config */
    int listen_fd;              /* from MHD_quiesce_daemon, closed after stop; -1 */
    atomic_int inflight;        /* requests not yet completed */
    atomic_int media_bodies;    /* POST /v1/media bodies being collected or sent */
    int max_uploads;            /* PIGEON_HTTP_MAX_UPLOADS: the bound of media_bodies */
};

/* One request's state between libmicrohttpd's calls (its con_cls). */
typedef struct {
    char *body;          /* collected body, NUL-terminated; NULL while empty */
    size_t len;          /* bytes in body */
    size_t cap;          /* allocated bytes in body (excluding the NUL) */
    size_t discarded;    /* bytes dropped after the limit was passed */
    size_t limit;        /* body limit of this route: PC_JSON_MAX_BODY, or media's */
    bool media_slot;     /* holds one of max_uploads (media_bodies) */
    bool too_large;      /* the body passed limit */
    bool answered;       /* a response is queued */
    int64_t start_ms;    /* monotonic start, for the latency histogram */
    char trace_id[33];   /* random; also the X-Request-Id header */
    gw_ws_pending_t ws;  /* GET /v1/ws answered 101: who the socket belongs to */
} gw_conn_t;

static const char *s_header(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *s_query(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Joins every X-Forwarded-For header, in order, with ','. */
typedef struct {
    char buf[2048]; /* MHD's connection memory bounds headers anyway */
    size_t len;
    bool overflow;
} gw_xff_t;

static enum MHD_Result s_collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    gw_xff_t *x = cls;
    if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    size_t n = strlen(value);
    if (x->len + n + 2 > sizeof x->buf) {
        x->overflow = true;
        return MHD_NO;
    }
    if (x->len > 0)
        x->buf[x->len++] = ',';
    memcpy(x->buf + x->len, value, n + 1);
    x->len += n;
    return MHD_YES;
}

static void s_client_ip(gw_http_t *h, struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    gw_addr_t peer;
    if (!ci || !gw_addr_from_sockaddr(ci->client_addr, &peer)) {
        snprintf(out, size, "unknown");
        return;
    }
    gw_xff_t xff = {.len = 0};
    if (gw_proxies_trusts(h->proxies, &peer))
        MHD_get_connection_values(conn, MHD_HEADER_KIND, s_collect_xff, &xff);
    /* An overlong chain is not trusted at all: the peer is what we know. */
    gw_client_ip(h->proxies, &peer, xff.len > 0 && !xff.overflow ? xff.buf : NULL, out, size);
}

/* Queues `r` (its body is handed to libmicrohttpd) and records the metrics. */
/* The request is answered: its body and its upload slot are not needed any
 * more. Freed here rather than when libmicrohttpd completes the request, so
 * a client that uploads again as soon as it has the answer finds its slot
 * free (completion comes after the response is written). */
static void s_release_body(gw_http_t *h, gw_conn_t *st)
{
    if (st->media_slot) {
        atomic_fetch_sub(&h->media_bodies, 1);
        st->media_slot = false;
    }
    free(st->body);
    st->body = NULL;
    st->len = st->cap = 0;
}

static enum MHD_Result s_send(gw_http_t *h, struct MHD_Connection *conn, gw_conn_t *st,
                              const char *method, const char *path, const gw_route_t *route,
                              gw_reply_t *r)
{
    struct MHD_Response *resp;
    s_release_body(h, st);
    if (r->stream.read) /* media: read on this worker thread as the socket drains */
        resp = MHD_create_response_from_callback(r->stream.size, GW_MEDIA_BLOCK, r->stream.read,
                                                 r->stream.cls, r->stream.release);
    else
        resp = MHD_create_response_from_buffer(r->body_len, r->body ? r->body : (void *)"",
                                               r->body ? MHD_RESPMEM_MUST_FREE
                                                       : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        gw_reply_clear(r);
        return MHD_NO;
    }
    r->body = NULL; /* now libmicrohttpd's, like the stream's state */
    bool has_body = r->body_len > 0 || r->stream.read;
    r->stream = (gw_stream_t){0};
    if (has_body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : GW_JSON_TYPE);
    for (size_t i = 0; i < GW_REPLY_HEADERS && r->headers[i].name; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    for (const char *const *fh = r->fixed_headers; fh && fh[0] && fh[1]; fh += 2)
        MHD_add_response_header(resp, fh[0], fh[1]);
    if (r->retry_after_s > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    MHD_add_response_header(resp, "X-Request-Id", st->trace_id);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    st->answered = true;

    double secs = (double)(pc_mono_ms() - st->start_ms) / 1000.0;
    const char *label = route ? route->pattern : "unmatched";
    char labels[160];
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"", label,
             route ? route->method : "other", r->status);
    pc_metrics_count(h->ctx->metrics, "pigeon_http_requests_total", "HTTP requests answered",
                     labels, 1);
    snprintf(labels, sizeof labels, "route=\"%s\"", label);
    pc_metrics_observe(h->ctx->metrics, "pigeon_http_request_duration_seconds",
                       "Time from request start to queued answer", labels, secs);
    /* Access log: the path only (libmicrohttpd passes it without the query
     * string, which may carry tickets); failures of API calls are warnings. */
    char safe[128];
    size_t i = 0;
    for (; path && path[i] && i + 1 < sizeof safe; i++)
        safe[i] = (unsigned char)path[i] >= 0x20 && (unsigned char)path[i] < 0x7f ? path[i] : '?';
    safe[i] = '\0';
    bool api = strncmp(label, "/v1/", 4) == 0; /* probes of a sick gateway are not news */
    pc_log(api && r->status >= 500 ? PC_LOG_WARN : PC_LOG_DEBUG, st->trace_id,
           "%.16s %s answered %d in %.1f ms", method, safe, r->status, secs * 1000.0);
    gw_reply_clear(r);
    return ok;
}

/* libmicrohttpd hands over the upgraded socket; con_cls is the request's
 * gw_conn_t, alive until the connection is finished. */
static void s_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    gw_http_t *h = cls;
    gw_conn_t *st = con_cls;
    (void)conn;
    gw_ws_adopt(h->ctx->ws, &st->ws, extra_in, extra_in_size, sock, urh);
}

/* GET /v1/ws: the 101 upgrade (the socket then belongs to ws.c), or an error. */
static enum MHD_Result s_upgrade(gw_http_t *h, struct MHD_Connection *conn, gw_conn_t *st,
                                 const char *method, const char *url, gw_request_t *req)
{
    gw_reply_t reply = {0};
    if (gw_ws_accept(h->ctx->ws, req, &st->ws, &reply) < 0) {
        if (reply.status == 0)
            gw_reply_error(&reply, PC_INTERNAL, "upgrade failed");
        return s_send(h, conn, st, method, url, NULL, &reply);
    }
    /* libmicrohttpd adds "Connection: Upgrade" to a 101 itself. */
    struct MHD_Response *resp = MHD_create_response_for_upgrade(s_upgraded, h);
    if (!resp || MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket") != MHD_YES ||
        MHD_add_response_header(resp, "Sec-WebSocket-Accept", st->ws.accept) != MHD_YES ||
        MHD_add_response_header(resp, "X-Request-Id", st->trace_id) != MHD_YES) {
        if (resp)
            MHD_destroy_response(resp);
        gw_reply_error(&reply, PC_INTERNAL, "could not build the upgrade response");
        return s_send(h, conn, st, method, url, NULL, &reply);
    }
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    st->answered = true;
    pc_metrics_count(h->ctx->metrics, "pigeon_http_requests_total", "HTTP requests answered",
                     "route=\"" GW_WS_PATH "\",method=\"GET\",status=\"101\"", 1);
    return ok;
}

static enum MHD_Result s_send_error(gw_http_t *h, struct MHD_Connection *conn, gw_conn_t *st,
                                    const char *method, const char *path, int status,
                                    const char *message)
{
    gw_reply_t r = {0};
    gw_reply_error(&r, status, "%s", message);
    return s_send(h, conn, st, method, path, NULL, &r);
}

/* Appends a chunk of body; false once the limit is passed. */
static bool s_append(gw_conn_t *st, const char *data, size_t n)
{
    if (st->len + n > st->limit)
        return false;
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 1024;
        while (cap < st->len + n)
            cap *= 2;
        if (cap > st->limit)
            cap = st->limit;
        char *b = realloc(st->body, cap + 1);
        if (!b)
            return false;
        st->body = b;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
    return true;
}

static enum MHD_Result s_first_call(gw_http_t *h, struct MHD_Connection *conn, const char *url,
                                    const char *method, void **con_cls)
{
    gw_conn_t *st = calloc(1, sizeof *st);
    if (!st)
        return MHD_NO;
    st->start_ms = pc_mono_ms();
    pc_random_hex(st->trace_id, 16);
    *con_cls = st;
    atomic_fetch_add(&h->inflight, 1);
    /* POST /v1/media takes raw bytes up to its own limit (media_http.h). */
    st->limit = gw_media_body_limit(method, url);
    if (st->limit == 0)
        st->limit = PC_JSON_MAX_BODY;
    /* A declared length over the limit is refused before a byte is read:
     * libmicrohttpd then skips "100 Continue" and closes after the answer. */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > st->limit) {
        st->too_large = true;
        return s_send_error(h, conn, st, method, url, PC_PAYLOAD_TOO_LARGE,
                            st->limit == PC_JSON_MAX_BODY ? "request body is larger than 65536 bytes"
                                                          : "media is larger than 10 MiB");
    }
    if (st->limit != PC_JSON_MAX_BODY) {
        /* Each upload body costs up to ~4x its size here (body, request,
         * envelope, ZeroMQ message): a fixed number of them at once bounds
         * that, before a byte is read. */
        if (atomic_fetch_add(&h->media_bodies, 1) >= h->max_uploads) {
            atomic_fetch_sub(&h->media_bodies, 1);
            st->too_large = true; /* drop whatever body follows */
            return s_send_error(h, conn, st, method, url, PC_UNAVAILABLE,
                                "too many uploads at once; retry shortly");
        }
        st->media_slot = true;
        /* The declared size, at once: no doubling past it. */
        size_t want = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
        if (want > 0 && (st->body = malloc(want + 1)) != NULL)
            st->cap = want;
    }
    return MHD_YES;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    gw_http_t *h = cls;
    gw_conn_t *st = *con_cls;
    if (!st)
        return s_first_call(h, conn, url, method, con_cls);
    if (st->answered) { /* drop whatever still arrives */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_large && !s_append(st, upload_data, *upload_data_size)) {
            st->too_large = true; /* free now: nothing more is ever stored */
            free(st->body);
            st->body = NULL;
            st->len = st->cap = 0;
        }
        if (st->too_large) {
            st->discarded += *upload_data_size;
            if (st->discarded > GW_DISCARD_MAX)
                return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->too_large)
        return s_send_error(h, conn, st, method, url, PC_PAYLOAD_TOO_LARGE,
                            st->limit == PC_JSON_MAX_BODY ? "request body is larger than 65536 bytes"
                                                          : "media is larger than 10 MiB");

    char client_ip[64];
    s_client_ip(h, conn, client_ip, sizeof client_ip);
    gw_request_t req = {
        .ctx = h->ctx,
        .method = method,
        .path = url,
        .body = st->body ? st->body : "",
        .body_len = st->len,
        .client_ip = client_ip,
        .trace_id = st->trace_id,
        .header = s_header,
        .query = s_query,
        .conn = conn,
    };
    if (h->ctx->ws && strcmp(url, GW_WS_PATH) == 0)
        return s_upgrade(h, conn, st, method, url, &req);
    gw_reply_t reply = {.status = PC_INTERNAL};
    gw_dispatch(&req, &reply);
    if (reply.status == 0)
        gw_reply_error(&reply, PC_INTERNAL, "handler gave no answer");
    return s_send(h, conn, st, method, url, req.route, &reply);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    gw_http_t *h = cls;
    gw_conn_t *st = *con_cls;
    if (!st)
        return;
    s_release_body(h, st); /* a request that ended unanswered */
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&h->inflight, 1);
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    pc_warn("libmicrohttpd: %s", line);
}

static struct MHD_Daemon *s_start(gw_http_t *h, const gw_config_t *cfg, unsigned extra_flags)
{
    /* MHD_ALLOW_UPGRADE: GET /v1/ws hands its socket to ws.c. An upgraded
     * socket stays in libmicrohttpd's connection count until ws.c closes it
     * (MHD_upgrade_action), so the connection limit covers REST and
     * WebSocket connections together. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE | extra_flags;
    return MHD_start_daemon(
        flags, (uint16_t)cfg->http_port, NULL, NULL, s_access, h,
        /* First, so that every message of the start-up goes through it. */
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, h,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->http_threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, h,
        MHD_OPTION_END);
}

gw_http_t *gw_http_new(const gw_config_t *cfg, gw_ctx_t *ctx, char *err, size_t errlen)
{
    gw_http_t *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->ctx = ctx;
    h->proxies = cfg->proxies;
    h->max_uploads = cfg->max_uploads;
    h->listen_fd = -1;
    atomic_init(&h->inflight, 0);
    atomic_init(&h->media_bodies, 0);
    /* IPv6 and IPv4 on one socket; hosts without IPv6 get IPv4 alone. */
    h->daemon = s_start(h, cfg, MHD_USE_DUAL_STACK);
    if (!h->daemon)
        h->daemon = s_start(h, cfg, 0);
    if (!h->daemon) {
        snprintf(err, errlen, "could not listen on HTTP port %d", cfg->http_port);
        free(h);
        return NULL;
    }
    return h;
}

void gw_http_quiesce(gw_http_t *h)
{
    if (h && h->daemon && h->listen_fd < 0)
        h->listen_fd = (int)MHD_quiesce_daemon(h->daemon);
}

int gw_http_inflight(gw_http_t *h)
{
    return atomic_load(&h->inflight);
}

void gw_http_destroy(gw_http_t **hp)
{
    if (!hp || !*hp)
        return;
    gw_http_t *h = *hp;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    free(h);
    *hp = NULL;
}
