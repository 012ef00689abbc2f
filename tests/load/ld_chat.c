/* ld_chat.c - the `pairs` and `group` scenarios: WebSocket sends at an
 * offered rate (or closed loop), acks and pushes timed, then a sync of every
 * conversation through its history to tell lost from merely not pushed.
 *
 * The hot path (one frame per ack and per push) reads the few fields it
 * needs by scanning, not with a JSON parser: at 20,000 messages/s the
 * generator would otherwise spend a core of its own on parsing. */
#include "ld_ledger.h"
#include "ld_pace.h"
#include "ld_rest.h"
#include "ld_scen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BURST_MAX 2000 /* sends per loop turn when the loop fell behind */
#define BODY_BYTES 100 /* text of every message */

typedef struct {
    const ld_opts_t *o;
    ld_loop_t *loop;
    ld_users_t us;       /* simulated users */
    ld_socks_t socks;    /* one socket per user */
    ld_ledger_t *led;    /* every message */
    char run[16];        /* client_msg_id prefix of this run */
    size_t nsend;        /* senders: sockets first_sender..first_sender+nsend-1 */
    size_t first_sender; /* socket of sender 0 */
    uint32_t *conv_of;   /* per sender: conversation index */
    char (*to)[40];      /* per sender: the "to" object's inside */
    uint32_t *inflight;  /* per sender: sent, not yet answered */
    bool group;          /* push slot = recipient socket (else 0) */
    bool closed_loop;    /* rate 0: window messages in flight per sender */
    bool sending;        /* false once the duration is over */
    bool full;           /* the ledger is full: no more sends */
    char text[BODY_BYTES + 1];
    uint64_t bad_frames;   /* frames not understood */
    uint64_t errors;       /* error frames */
    char first_error[200]; /* the first error frame, for the report */
    uint64_t closed;       /* sockets that closed during the run */
    uint64_t t0;           /* sending began, us */
    double t0_wall;        /* the same moment, Unix time (s), for the slow log */
} chat_t;

/* Finds "key":"value" and returns value (not NUL-terminated) and its length. */
static const char *s_scan_str(const char *t, const char *key, size_t *len)
{
    const char *p = strstr(t, key);
    if (!p)
        return NULL;
    p += strlen(key);
    const char *e = strchr(p, '"');
    if (!e)
        return NULL;
    *len = (size_t)(e - p);
    return p;
}

static int64_t s_scan_int(const char *t, const char *key)
{
    const char *p = strstr(t, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void s_send(chat_t *ch, size_t k, uint64_t t_send)
{
    if (ch->full)
        return;
    size_t idx = ld_ledger_add(ch->led, ch->conv_of[k], (uint32_t)k, t_send);
    if (idx == SIZE_MAX) {
        ch->full = true;
        return;
    }
    char frame[512];
    int n = snprintf(frame, sizeof frame,
                     "{\"type\":\"send\",\"to\":{%s},\"client_msg_id\":\"%s-%zu\","
                     "\"kind\":\"text\",\"text\":\"%s\"}",
                     ch->to[k], ch->run, idx, ch->text);
    ch->inflight[k]++;
    if (ld_ws_send(ch->socks.conn[ch->first_sender + k], frame, (size_t)n) != 0)
        ld_ledger_fail(ch->led, idx);
}

static void s_answered(chat_t *ch, size_t sock)
{
    size_t k = sock - ch->first_sender; /* wraps to a huge value below first_sender */
    if (k >= ch->nsend)
        return;
    if (ch->inflight[k] > 0)
        ch->inflight[k]--;
    if (ch->closed_loop && ch->sending)
        s_send(ch, k, ld_now_us());
}

static void s_frame(ld_conn_t *c, const char *text, size_t len, void *arg)
{
    chat_t *ch = arg;
    size_t k = (size_t)ld_conn_tag(c), n = 0;
    (void)len;
    if (!text) {
        ch->closed++;
        return;
    }
    uint64_t now = ld_now_us();
    const char *type = s_scan_str(text, "\"type\":\"", &n);
    if (!type) {
        ch->bad_frames++;
        return;
    }
    size_t idn = 0;
    const char *id = s_scan_str(text, "\"client_msg_id\":\"", &idn);
    size_t idx = id ? ld_ledger_parse_id(id, idn, ch->run) : SIZE_MAX;
    if (n == 3 && memcmp(type, "ack", 3) == 0) {
        ld_ledger_ack(ch->led, idx, s_scan_int(text, "\"seq\":"), now);
        s_answered(ch, k);
    } else if (n == 7 && memcmp(type, "message", 7) == 0) {
        if (idx != SIZE_MAX) /* system messages and other runs' are not ours */
            ld_ledger_push(ch->led, idx, ch->group ? k : 0, now);
    } else if (n == 5 && memcmp(type, "error", 5) == 0) {
        if (ch->errors++ == 0)
            snprintf(ch->first_error, sizeof ch->first_error, "%s", text);
        if (idx != SIZE_MAX) {
            ld_ledger_fail(ch->led, idx);
            s_answered(ch, k);
        }
    }
}

/* ---------------------------------------------------------------- sync */

typedef struct {
    chat_t *ch;
    char (*cid)[48];    /* per conversation: its id */
    const char **token; /* per conversation: a member's token */
    int64_t *after;     /* per conversation: next page starts after this seq */
    uint64_t failed;    /* pages that could not be read */
} sync_t;

static bool s_sync_gen(void *ctx, size_t i, ld_req_t *req)
{
    sync_t *s = ctx;
    if (s->ch->led->conv[i].first_seq == 0)
        return false; /* nothing acked in it */
    if (s->after[i] < 0)
        s->after[i] = s->ch->led->conv[i].first_seq - 1;
    req->method = "GET";
    snprintf(req->path, sizeof req->path, "/v1/conversations/%s/messages?after_seq=%lld&limit=200",
             s->cid[i], (long long)s->after[i]);
    req->token = s->token[i];
    return true;
}

static bool s_sync_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    sync_t *s = ctx;
    if (status != 200) {
        s->failed++;
        return false;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *msgs = json_object_get(j, "messages");
    size_t n = json_array_size(msgs);
    for (size_t k = 0; k < n; k++) {
        json_t *m = json_array_get(msgs, k);
        int64_t seq = (int64_t)json_integer_value(json_object_get(m, "seq"));
        const char *id = json_string_value(json_object_get(m, "client_msg_id"));
        size_t idx = id ? ld_ledger_parse_id(id, strlen(id), s->ch->run) : SIZE_MAX;
        ld_ledger_history(s->ch->led, (uint32_t)i, seq, idx);
        if (seq > s->after[i])
            s->after[i] = seq;
    }
    bool more = json_is_true(json_object_get(j, "has_more")) && n > 0;
    json_decref(j);
    return more;
}

static void s_sync(chat_t *ch, char (*cid)[48], const char **token, size_t nconv, json_t *res)
{
    sync_t s = {.ch = ch, .cid = cid, .token = token};
    s.after = malloc(nconv * sizeof *s.after);
    if (!s.after) { /* nothing read: every conversation counts as failed */
        json_object_set_new(res, "sync_failed", json_integer((json_int_t)nconv));
        return;
    }
    for (size_t i = 0; i < nconv; i++)
        s.after[i] = -1;
    ld_ledger_freeze(ch->led);
    ld_rest_result_t r =
        ld_rest_run(ch->loop, ch->o->pool, nconv, s_sync_gen, s_sync_done, &s, 120, NULL);
    json_object_set_new(res, "sync_s", json_real(r.seconds));
    json_object_set_new(res, "sync_failed", json_integer((json_int_t)(s.failed + r.timed_out)));
    free(s.after);
}

/* ---------------------------------------------------------------- run */

/* Sends for the duration, then drains. Bounded: duration + drain. */
static void s_drive(chat_t *ch, json_t *res)
{
    const ld_opts_t *o = ch->o;
    uint64_t t0 = ld_now_us(), end = t0 + (uint64_t)(o->duration * 1e6);
    ch->t0 = t0;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    ch->t0_wall = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
    uint64_t sent = 0, rr = 0;
    ch->sending = true;
    if (ch->closed_loop)
        for (size_t k = 0; k < ch->nsend; k++)
            for (size_t w = 0; w < o->window; w++)
                s_send(ch, k, t0);
    for (;;) {
        uint64_t now = ld_now_us();
        if (now >= end)
            break;
        if (!ch->closed_loop) {
            /* open loop (ld_pace.h): latencies count from when a message
             * was due, so a stalled server is not hidden */
            uint64_t due = ld_pace_due(now - t0, o->rate);
            for (int b = 0; sent < due && b < BURST_MAX && !ch->full; b++, sent++)
                s_send(ch, (size_t)(rr++ % ch->nsend), t0 + ld_pace_at(sent, o->rate));
        }
        if (ld_loop_poll(ch->loop, 1) < 0)
            break;
    }
    ch->sending = false;
    double sent_s = (double)(ld_now_us() - t0) / 1e6;
    uint64_t drain_end = ld_now_us() + (uint64_t)(o->drain * 1e6), next_check = 0;
    while (ld_now_us() < drain_end) {
        if (ld_now_us() >= next_check) {
            if (ld_ledger_settled(ch->led))
                break;
            next_check = ld_now_us() + 100000;
        }
        ld_loop_poll(ch->loop, 10);
    }
    json_object_set_new(res, "send_s", json_real(sent_s));
    json_object_set_new(res, "drain_s", json_real((double)(ld_now_us() - t0) / 1e6 - sent_s));
}

/* --slow-log: one line per message whose slowest push took over
 * LD_SLOW_MS, in send order, to see when stalls happen (and whether they
 * come at a period). */
static void s_slow_log(const chat_t *ch, json_t *res)
{
    FILE *f = fopen(ch->o->slow_log, "w");
    if (!f) {
        json_object_set_new(res, "slow_log_error", json_string("could not write the slow log"));
        return;
    }
    /* the start as Unix time: to line stalls up with server-side events */
    fprintf(f, "# sending began at %.3f (Unix time)\n", ch->t0_wall);
    fprintf(f, "# send_ms latency_ms conversation sender\n");
    for (size_t i = 0; i < ch->led->n; i++) {
        const ld_msg_t *m = &ch->led->m[i];
        if (m->slowest > LD_SLOW_MS * 1000u)
            fprintf(f, "%.3f %.3f %u %u\n", (double)(m->t_send - ch->t0) / 1e3,
                    (double)m->slowest / 1e3, m->conv, m->sender);
    }
    fclose(f);
}

static void s_results(chat_t *ch, json_t *res, double dropped0, double pdropped0)
{
    if (ch->o->slow_log)
        s_slow_log(ch, res);
    ld_summary_t s = ld_ledger_summary(ch->led);
    double secs = json_real_value(json_object_get(res, "send_s"));
    double dropped = ld_metric_sum(ch->o, ch->loop, "pigeon_ws_events_dropped_total");
    double pdropped = ld_metric_sum(ch->o, ch->loop, "pigeon_events_dropped_total");
    json_object_set_new(res, "offered_per_s", json_real(ch->closed_loop ? 0 : ch->o->rate));
    json_object_set_new(res, "sent", json_integer((json_int_t)s.sent));
    json_object_set_new(res, "acked", json_integer((json_int_t)s.acked));
    json_object_set_new(res, "acked_per_s", json_real(secs > 0 ? (double)s.acked / secs : 0));
    json_object_set_new(res, "pushes", json_integer((json_int_t)s.pushes));
    json_object_set_new(res, "pushes_per_s", json_real(secs > 0 ? (double)s.pushes / secs : 0));
    json_object_set_new(res, "ack_ms", ld_hist_json(&ch->led->ack));
    json_object_set_new(res, "deliver_ms", ld_hist_json(&ch->led->deliver));
    json_object_set_new(res, "errors", json_integer((json_int_t)(s.failed)));
    json_object_set_new(res, "unacked", json_integer((json_int_t)s.unacked));
    json_object_set_new(res, "push_missed", json_integer((json_int_t)s.push_missed));
    json_object_set_new(res, "lost", json_integer((json_int_t)s.lost));
    json_object_set_new(res, "duplicated", json_integer((json_int_t)s.duplicated));
    json_object_set_new(res, "gaps", json_integer((json_int_t)s.gaps));
    json_object_set_new(res, "not_in_history", json_integer((json_int_t)s.not_in_history));
    json_object_set_new(res, "ws_events_dropped",
                        json_real(dropped >= 0 && dropped0 >= 0 ? dropped - dropped0 : -1));
    json_object_set_new(res, "publisher_events_dropped",
                        json_real(pdropped >= 0 && pdropped0 >= 0 ? pdropped - pdropped0 : -1));
    json_object_set_new(res, "sockets_closed", json_integer((json_int_t)ch->closed));
    json_object_set_new(res, "late_frames", json_integer((json_int_t)ch->led->late));
    json_object_set_new(res, "ledger_full", json_boolean(ch->full));
    if (ch->errors)
        json_object_set_new(res, "first_error", json_string(ch->first_error));
}

static int s_setup(chat_t *ch, const ld_opts_t *o, ld_loop_t *loop, size_t nusers, size_t nconv,
                   json_t *res)
{
    char err[256];
    ch->o = o;
    ch->loop = loop;
    ch->closed_loop = o->rate <= 0;
    snprintf(ch->run, sizeof ch->run, "L%llx", (unsigned long long)(ld_now_us() & 0xFFFFFFFFFull));
    memset(ch->text, 'x', BODY_BYTES);
    ch->text[BODY_BYTES] = '\0';
    if (ld_users_prepare(loop, o->prefix, nusers, o->users_file, o->pool, &ch->us, err,
                         sizeof err) != 0) {
        json_object_set_new(res, "error", json_string(err));
        return -1;
    }
    ch->conv_of = calloc(nusers, sizeof *ch->conv_of);
    ch->to = calloc(nusers, sizeof *ch->to);
    ch->inflight = calloc(nusers, sizeof *ch->inflight);
    /* the ledger holds everything the run may send (offered rate x time) */
    double want = ch->closed_loop ? 2e6 : o->rate * o->duration * 1.05 + 1000;
    size_t cap = (size_t)(want > 4e6 ? 4e6 : want);
    ch->led = ld_ledger_new(cap, ch->group ? nusers : 1, ch->group ? nusers - 1 : 1, nconv);
    if (!ch->conv_of || !ch->to || !ch->inflight || !ch->led) {
        json_object_set_new(res, "error", json_string("out of memory"));
        return -1;
    }
    return 0;
}

static int s_open_sockets(chat_t *ch, size_t n, json_t *res)
{
    uint64_t t0 = ld_now_us();
    size_t ready = ld_socks_open(ch->loop, &ch->us, n, 256, 60, s_frame, ch, &ch->socks);
    json_object_set_new(res, "sockets_ready", json_integer((json_int_t)ready));
    json_object_set_new(res, "connect_s", json_real((double)(ld_now_us() - t0) / 1e6));
    if (ready < n) {
        json_object_set_new(res, "error", json_string("not every WebSocket became ready"));
        json_object_set_new(res, "not_ready", ld_socks_not_ready(&ch->socks));
        return -1;
    }
    return 0;
}

static void s_teardown(chat_t *ch)
{
    ld_socks_close(&ch->socks);
    ld_ledger_destroy(&ch->led);
    ld_users_free(&ch->us);
    free(ch->conv_of);
    free(ch->to);
    free(ch->inflight);
}

int ld_scen_pairs(const ld_opts_t *o, ld_loop_t *loop, json_t *res)
{
    chat_t ch = {0};
    size_t n = o->users & ~(size_t)1, pairs = n / 2;
    char(*cid)[48] = NULL;
    const char **token = NULL;
    int rc = -1;
    json_object_set_new(res, "users", json_integer((json_int_t)n));
    if (pairs == 0 || s_setup(&ch, o, loop, n, pairs, res) != 0)
        goto fail;
    size_t bad = ld_users_pair(loop, &ch.us, n, o->pool);
    if (bad) {
        json_object_set_new(res, "error", json_sprintf("%zu pairs could not become friends", bad));
        goto fail;
    }
    cid = calloc(pairs, sizeof *cid);
    token = calloc(pairs, sizeof *token);
    if (!cid || !token)
        goto fail;
    for (size_t k = 0; k < n; k++) {
        const ld_user_t *me = &ch.us.u[k], *peer = &ch.us.u[k ^ 1];
        ch.conv_of[k] = (uint32_t)(k / 2);
        snprintf(ch.to[k], sizeof ch.to[k], "\"user_id\":%lld", (long long)peer->id);
        int64_t a = me->id < peer->id ? me->id : peer->id, b = me->id ^ peer->id ^ a;
        snprintf(cid[k / 2], sizeof cid[k / 2], "d:%lld:%lld", (long long)a, (long long)b);
        token[k / 2] = ch.us.u[k & ~(size_t)1].token;
    }
    ch.nsend = n;
    if (s_open_sockets(&ch, n, res) != 0)
        goto fail;
    double d0 = ld_metric_sum(o, loop, "pigeon_ws_events_dropped_total");
    double p0 = ld_metric_sum(o, loop, "pigeon_events_dropped_total");
    s_drive(&ch, res);
    s_sync(&ch, cid, token, pairs, res);
    s_results(&ch, res, d0, p0);
    rc = 0;
fail:
    free(cid);
    free(token);
    s_teardown(&ch);
    return rc;
}

#define GROUP_IDS_MAX 100 /* user ids one call may name (gateway limit) */

/* Adds users from..to-1 of the set to group gid in calls of GROUP_IDS_MAX. */
static int s_add_members(chat_t *ch, int64_t gid, size_t from, size_t to, int *status)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/groups/%lld/members", (long long)gid);
    for (size_t k = from; k < to; k += GROUP_IDS_MAX) {
        json_t *ids = json_array();
        for (size_t i = k; i < to && i < k + GROUP_IDS_MAX; i++)
            json_array_append_new(ids, json_integer((json_int_t)ch->us.u[i].id));
        json_t *b = json_pack("{s:o}", "user_ids", ids);
        char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
        json_decref(b);
        *status = ld_rest_call(ch->loop, "POST", path, ch->us.u[0].token, body, NULL, 60);
        free(body);
        if (*status != 200)
            return -1;
    }
    return 0;
}

/* Creates the group of users 0..m-1 (owner 0; the first members named at
 * creation, the rest added in calls of GROUP_IDS_MAX); its id, 0 when the
 * routes are missing (*status says which answer), -1 on another failure. */
static int64_t s_make_group(chat_t *ch, size_t m, int *status)
{
    size_t named = m < GROUP_IDS_MAX ? m : GROUP_IDS_MAX;
    json_t *ids = json_array();
    for (size_t k = 1; k < named; k++)
        json_array_append_new(ids, json_integer((json_int_t)ch->us.u[k].id));
    json_t *b =
        json_pack("{s:s, s:s, s:o}", "name", ch->run, "join_policy", "open", "member_ids", ids);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL, *out = NULL;
    json_decref(b);
    *status = ld_rest_call(ch->loop, "POST", "/v1/groups", ch->us.u[0].token, body, &out, 60);
    free(body);
    /* 0: the server has no group routes (404), so the scenario is skipped. */
    int64_t gid = *status == 404 ? 0 : -1;
    json_t *j = *status == 201 && out ? json_loads(out, 0, NULL) : NULL;
    if (j && json_is_integer(json_object_get(j, "id")))
        gid = (int64_t)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    free(out);
    if (gid > 0 && named < m && s_add_members(ch, gid, named, m, status) != 0)
        return -1;
    return gid;
}

/* The router learns members from the group service's outbox: wait until the
 * last member may read the group's history (bounded by timeout_s). */
static bool s_wait_members(chat_t *ch, const char *cid, size_t m, double timeout_s)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/conversations/%s/messages?limit=1", cid);
    uint64_t end = ld_now_us() + (uint64_t)(timeout_s * 1e6);
    while (ld_now_us() < end) {
        if (ld_rest_call(ch->loop, "GET", path, ch->us.u[m - 1].token, NULL, NULL, 10) == 200)
            return true;
        ld_loop_poll(ch->loop, 100);
    }
    return false;
}

int ld_scen_group(const ld_opts_t *o, ld_loop_t *loop, json_t *res)
{
    chat_t ch = {.group = true};
    size_t m = o->members, nsend = o->senders ? o->senders : 1;
    char cid[1][48];
    const char *token[1];
    int rc = -1, status = 0;
    json_object_set_new(res, "members", json_integer((json_int_t)m));
    json_object_set_new(res, "senders", json_integer((json_int_t)nsend));
    if (m < 2 || nsend > m - 1) {
        json_object_set_new(res, "error", json_string("--senders must be below --members"));
        goto fail;
    }
    if (s_setup(&ch, o, loop, m, 1, res) != 0)
        goto fail;
    size_t bad = ld_users_star(loop, &ch.us, m, o->pool);
    if (bad) {
        json_object_set_new(res, "error",
                            json_sprintf("%zu members could not be added as contacts", bad));
        goto fail;
    }
    int64_t gid = s_make_group(&ch, m, &status);
    if (gid == 0) {
        json_object_set_new(res, "skipped",
                            json_sprintf("POST /v1/groups is not available (HTTP %d)", status));
        rc = 0;
        goto fail;
    }
    if (gid < 0) {
        json_object_set_new(res, "error",
                            json_sprintf("could not create the group (HTTP %d)", status));
        goto fail;
    }
    snprintf(cid[0], sizeof cid[0], "g:%lld", (long long)gid);
    token[0] = ch.us.u[0].token;
    if (!s_wait_members(&ch, cid[0], m, 30)) {
        json_object_set_new(res, "error",
                            json_string("the router did not learn the members in 30 s"));
        goto fail;
    }
    for (size_t k = 0; k < nsend; k++)
        snprintf(ch.to[k], sizeof ch.to[k], "\"group_id\":%lld", (long long)gid);
    /* Members 1..S send: the owner (user 0) is left out because the router
     * does not yet count the owner of a new group as a member. */
    ch.nsend = nsend;
    ch.first_sender = 1;
    if (s_open_sockets(&ch, m, res) != 0)
        goto fail;
    double d0 = ld_metric_sum(o, loop, "pigeon_ws_events_dropped_total");
    double p0 = ld_metric_sum(o, loop, "pigeon_events_dropped_total");
    s_drive(&ch, res);
    s_sync(&ch, cid, token, 1, res);
    s_results(&ch, res, d0, p0);
    rc = 0;
fail:
    s_teardown(&ch);
    return rc;
}
