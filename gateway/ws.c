/* ws.c - WebSocket: handshake, credentials, tickets, start and stop. */
#include "ws.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.pb-c.h"
#include "authn.h"
#include "dispatch.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "random.h"
#include "status.h"
#include "ws_frame.h"
#include "ws_internal.h"

gw_ws_t *gw_ws_new(const gw_ws_opts_t *o, gw_ctx_t *ctx)
{
    gw_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->ctx = ctx;
    snprintf(ws->instance, sizeof ws->instance, "%s", o->instance ? o->instance : "gateway");
    ws->nloops = o->loops < 1 ? 1 : o->loops > GW_WS_MAX_LOOPS ? GW_WS_MAX_LOOPS : o->loops;
    ws->ping_ms = o->ping_ms;
    ws->idle_ms = o->idle_ms;
    ws->ready_ms = o->ready_ms;
    atomic_init(&ws->next_sock, 0);
    atomic_init(&ws->next_loop, 0);
    atomic_init(&ws->open, 0);
    atomic_init(&ws->stopping, false);
    ws->hub = gw_ws_hub_new(ws);
    if (!ws->hub)
        goto fail;
    for (int i = 0; i < ws->nloops; i++)
        if (!(ws->loops[i] = gw_ws_loop_new(ws, i)) || gw_ws_loop_start(ws->loops[i]) < 0)
            goto fail;
    if (gw_ws_jobs_start(ws, o->workers) < 0)
        goto fail;
    if (!(ws->sends = gw_ws_sends_new(ws)))
        goto fail;
    gw_ws_update_gauge(ws);
    return ws;
fail:
    gw_ws_stop(ws);
    gw_ws_destroy(&ws);
    return NULL;
}

/* --- handshake ------------------------------------------------------------- */

/* True when the comma-separated header value has `token` (case-insensitive). */
static bool s_has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p = e;
    }
    return false;
}

/* ?ticket=: auth.redeem_ticket. */
static int s_redeem(gw_request_t *req, const char *ticket, gw_reply_t *out)
{
    Pigeon__Auth__RedeemTicketRequest m = PIGEON__AUTH__REDEEM_TICKET_REQUEST__INIT;
    if (strlen(ticket) > GW_TOKEN_MAX) {
        gw_reply_error(out, PC_UNAUTHENTICATED, "invalid, used or expired ticket");
        return -1;
    }
    m.ticket = (char *)ticket;
    pc_random_hex(req->request_id, 16);
    Pigeon__Auth__Identity *id = NULL;
    int st = gw_call(req, GW_SVC_AUTH, "auth.redeem_ticket", &m.base,
                     &pigeon__auth__identity__descriptor, (ProtobufCMessage **)&id, out);
    if (st < 0) {
        if (out->status != PC_UNAVAILABLE && out->status != PC_DEADLINE_EXCEEDED &&
            out->status != PC_UNAUTHENTICATED)
            gw_reply_error(out, PC_UNAUTHENTICATED, "invalid, used or expired ticket");
        return -1;
    }
    int rc = -1;
    if (id->user_id > 0 && id->token_hash.len == 32) {
        req->caller_id = id->user_id;
        memcpy(req->token_hash, id->token_hash.data, 32);
        rc = 0;
    } else {
        gw_reply_error(out, PC_INTERNAL, "malformed reply from pigeon-auth");
    }
    pigeon__auth__identity__free_unpacked(id, NULL);
    return rc;
}

static int s_credential(gw_request_t *req, char *tokbuf, gw_reply_t *out)
{
    const char *ticket = gw_query(req, "ticket"), *token = gw_query(req, "token");
    if (gw_header(req, "Authorization"))
        return gw_authenticate(req, tokbuf, out);
    if (ticket)
        return s_redeem(req, ticket, out);
    if (token)
        return gw_authenticate_token(req, token, strlen(token), tokbuf, out);
    gw_reply_error(out, PC_UNAUTHENTICATED,
                   "missing credential: Authorization header, ticket or token");
    return -1;
}

void gw_ws_adopt(gw_ws_t *ws, const gw_ws_pending_t *p, const char *extra_in, size_t extra_len,
                 int fd, struct MHD_UpgradeResponseHandle *urh)
{
    gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_NEW);
    if (!m || (extra_len > 0 && !(m->text = malloc(extra_len)))) {
        gw_ws_msg_free(m);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    if (extra_len > 0) {
        memcpy(m->text, extra_in, extra_len);
        m->text_len = extra_len;
    }
    m->sock = atomic_fetch_add(&ws->next_sock, 1) + 1;
    m->loop = (int)(atomic_fetch_add(&ws->next_loop, 1) % (unsigned)ws->nloops);
    m->fd = fd;
    m->urh = urh;
    m->user = p->user;
    memcpy(m->hash, p->hash, sizeof m->hash);
    gw_ws_mbox_post(gw_ws_loop_mbox(ws->loops[m->loop]), m);
}

int gw_ws_accept(gw_ws_t *ws, gw_request_t *req, gw_ws_pending_t *p, gw_reply_t *out)
{
    char tokbuf[GW_TOKEN_MAX + 1];
    const char *upgrade = gw_header(req, "Upgrade"), *connection = gw_header(req, "Connection");
    const char *version = gw_header(req, "Sec-WebSocket-Version");
    const char *key = gw_header(req, "Sec-WebSocket-Key");
    if (strcmp(req->method, "GET") != 0) {
        gw_reply_error(out, PC_NOT_FOUND, "no route for %.16s " GW_WS_PATH, req->method);
        return -1;
    }
    if (!s_has_token(upgrade, "websocket") || !s_has_token(connection, "upgrade") ||
        !version || strcmp(version, "13") != 0 || !ws_key_valid(key)) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "not a WebSocket handshake (RFC 6455, Sec-WebSocket-Version 13)");
        return -1;
    }
    if (atomic_load(&ws->stopping)) {
        gw_reply_error(out, PC_UNAVAILABLE, "the gateway is stopping; reconnect");
        return -1;
    }
    int rc = s_credential(req, tokbuf, out);
    req->token = NULL;
    sodium_memzero(tokbuf, sizeof tokbuf);
    if (rc < 0)
        return -1;
    p->user = req->caller_id;
    memcpy(p->hash, req->token_hash, sizeof p->hash);
    ws_accept_key(key, p->accept);
    return 0;
}

/* POST /v1/ws/ticket */
void gw_h_ws_ticket(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Auth__CreateTicketRequest m = PIGEON__AUTH__CREATE_TICKET_REQUEST__INIT;
    m.token = (char *)req->token;
    Pigeon__Auth__Ticket *t = NULL;
    int st = gw_call(req, GW_SVC_AUTH, "auth.create_ticket", &m.base,
                     &pigeon__auth__ticket__descriptor, (ProtobufCMessage **)&t, out);
    if (st < 0)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "ticket", json_string(t->ticket));
    json_object_set_new(o, "expires_at", pc_json_time(t->expires_at_us));
    sodium_memzero(t->ticket, strlen(t->ticket));
    pigeon__auth__ticket__free_unpacked(t, NULL);
    gw_reply_json(out, PC_CREATED, o);
}

/* --- events, metrics, stop ------------------------------------------------ */

int gw_ws_events_fd(gw_ws_t *ws)
{
    return gw_ws_hub_mbox(ws->hub)->efd;
}

void gw_ws_revoke(gw_ws_t *ws, const uint8_t hash[32])
{
    for (int i = 0; i < ws->nloops; i++) {
        gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_REVOKE);
        if (!m)
            continue;
        memcpy(m->hash, hash, 32);
        gw_ws_mbox_post(gw_ws_loop_mbox(ws->loops[i]), m);
    }
}

void gw_ws_count_event(gw_ws_t *ws, bool pushed, uint64_t n)
{
    if (n == 0)
        return;
    if (pushed)
        pc_metrics_count(ws->ctx->metrics, "pigeon_ws_events_pushed_total",
                         "Event frames queued to WebSockets", NULL, n);
    else
        pc_metrics_count(ws->ctx->metrics, "pigeon_ws_events_dropped_total",
                         "Event frames not delivered (slow socket closed with 1013, no memory)",
                         NULL, n);
}

void gw_ws_update_gauge(gw_ws_t *ws)
{
    pc_metrics_gauge(ws->ctx->metrics, "pigeon_ws_connections", "Open WebSockets", NULL,
                     (double)atomic_load(&ws->open));
}

void gw_ws_close_all(gw_ws_t *ws)
{
    atomic_store(&ws->stopping, true);
    for (int i = 0; i < ws->nloops; i++) {
        gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_STOP);
        if (m)
            gw_ws_mbox_post(gw_ws_loop_mbox(ws->loops[i]), m);
    }
}

int gw_ws_open_count(gw_ws_t *ws)
{
    return atomic_load(&ws->open);
}

void gw_ws_stop(gw_ws_t *ws)
{
    if (!ws)
        return;
    atomic_store(&ws->stopping, true);
    for (int i = 0; i < ws->nloops; i++)
        gw_ws_loop_join(ws->loops[i]);
    if (ws->jobs_cond_ready)
        gw_ws_jobs_stop(ws);
    if (ws->sends)
        gw_ws_sends_stop(ws->sends);
}

void gw_ws_destroy(gw_ws_t **wsp)
{
    if (!wsp || !*wsp)
        return;
    gw_ws_t *ws = *wsp;
    gw_ws_stop(ws);
    for (int i = 0; i < ws->nloops; i++)
        gw_ws_loop_destroy(&ws->loops[i]);
    gw_ws_hub_destroy(&ws->hub);
    gw_ws_sends_destroy(&ws->sends);
    if (ws->jobs_cond_ready) {
        pthread_mutex_destroy(&ws->jobs_lock);
        pthread_cond_destroy(&ws->jobs_cond);
    }
    free(ws);
    *wsp = NULL;
}
