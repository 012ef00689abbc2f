/* test_websocket_edge.c - the edges of API.md "WebSocket" and of the
 * delivery rules of "Messages and conversations": several gateways on one
 * system, a client that does not read, silent clients, a publisher that is
 * registered but dead, and concurrent senders.
 *
 * One system (pigeon-auth, pigeon-relationship, pigeon-router, a gateway)
 * plus a second gateway on the same database; the idle test starts a third
 * with short timers. The first test shows the normal case across gateways:
 * every device of both users gets the message wherever it is connected.
 * Every test uses fresh users; every wait has a deadline. */
#include <libpq-fe.h>
#include <poll.h>
#include <time.h>

#include "ws_calls.h"
#include "ws_frame.h"

#define S_READY_MS 500 /* PIGEON_WS_READY_MS of the second gateway */
#define S_PING_MS 200  /* timers of the idle test's gateway */
#define S_IDLE_MS 600

static const char *const s_env[] = {
    "PIGEON_RATE_REGISTER_PER_IP=100000", "PIGEON_RATE_LOGIN_PER_IP=100000",
    "PIGEON_RATE_LOGIN_PER_USER=100000", "PIGEON_REGISTRY_INTERVAL_MS=200", NULL};

static h_system_t s_sys; /* the system and its first gateway */
static h_system_t s_gw2; /* the same system seen through the second gateway */
static h_proc_t *s_gw2_proc;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Another gateway on s_sys's database (h_gateway_add), once pigeon-router
 * answers through it: `view` becomes s_sys with that gateway's address. */
static h_proc_t *s_gateway_start(h_system_t *view, const char *const *extra)
{
    h_proc_t *p = h_gateway_add(&s_sys, view, extra);
    mc_wait_router(view);
    return p;
}

/* The sum of the samples of a metric on sys's gateway (0 when absent). */
static double s_metric(const h_system_t *sys, const char *name)
{
    h_resp_t r = h_http(sys, "GET", "/metrics", NULL, NULL, NULL);
    h_expect_status(&r, 200);
    double sum = 0;
    size_t len = strlen(name);
    for (const char *line = r.body; line && *line;) {
        if (strncmp(line, name, len) == 0 && (line[len] == ' ' || line[len] == '{')) {
            const char *v = strchr(line, ' ');
            if (v)
                sum += strtod(v + 1, NULL);
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    h_resp_free(&r);
    return sum;
}

typedef struct {
    const h_system_t *sys; /* whose gateway */
    double want;           /* pigeon_gateway_publishers to wait for */
} s_pubs_t;

static bool s_pubs_are(void *arg)
{
    s_pubs_t *p = arg;
    return s_metric(p->sys, "pigeon_gateway_publishers") == p->want;
}

static void s_wait_publishers(const h_system_t *sys, double want)
{
    s_pubs_t p = {sys, want};
    if (!h_wait_until(s_pubs_are, &p, 10000))
        fail_msg("the gateway on port %d did not reach %.0f publishers", sys->http_port, want);
}

/* The next frame that is neither a message event nor a receipt must be the
 * ack of cmid; returns its message (a new reference). */
static json_t *s_next_ack(wc_t *c, const char *cmid)
{
    for (;;) {
        json_t *f = wc_recv_json(c, WT_WAIT_MS);
        if (!f)
            fail_msg("no ack for %s", cmid);
        const char *t = wt_type(f);
        if (strcmp(t, "message") == 0 || strcmp(t, "receipt") == 0) {
            json_decref(f);
            continue;
        }
        if (strcmp(t, "ack") != 0)
            fail_msg("expected the ack of %s, got a %s frame", cmid, t);
        assert_string_equal(json_string_value(json_object_get(f, "client_msg_id")), cmid);
        json_t *m = json_incref(json_object_get(f, "message"));
        json_decref(f);
        return m;
    }
}

/* The next message event on c; its seq. */
static int64_t s_next_message(wc_t *c, const char *what)
{
    json_t *f = wc_expect_type(c, "message", WT_WAIT_MS);
    if (!f)
        fail_msg("%s got no message event", what);
    int64_t seq = mc_int(json_object_get(f, "message"), "seq");
    json_decref(f);
    return seq;
}

/* The peer has shut the connection (FIN or reset), whether or not its last
 * bytes were read. */
static bool s_hung_up(wc_t *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, mc_services, s_env);
    mc_wait_router(&s_sys);
    static char ready[48];
    snprintf(ready, sizeof ready, "PIGEON_WS_READY_MS=%d", S_READY_MS);
    const char *const extra[] = {ready, NULL};
    s_gw2_proc = s_gateway_start(&s_gw2, extra);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (s_gw2_proc)
        h_proc_stop(&s_gw2_proc, 15000);
    h_system_stop(&s_sys);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_devices_on_two_gateways(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "wexa"), b = ct_user(&s_sys, "wexb");
    ct_befriend(&s_sys, &a, &b);
    wc_t a1, a2, b1, b2; /* a1, b1 on the first gateway; a2, b2 on the second */
    wt_connect(&s_sys, &a1, a.token);
    wt_connect(&s_sys, &b1, b.token);
    wt_connect(&s_gw2, &a2, a.token);
    wt_connect(&s_gw2, &b2, b.token);

    /* A REST send through the first gateway reaches all four devices. */
    int64_t seq = mc_send_ok(&s_sys, &a, b.id, "to every device", NULL, 0);
    wc_t *all[] = {&a1, &a2, &b1, &b2};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s_next_message(all[i], "a device"), seq);

    /* A send from the second gateway: its socket gets the ack, A's device on
     * the first gateway and both of B's get the message. */
    wt_send(&a2, b.id, "x-gw2", "from the second gateway");
    json_t *m = s_next_ack(&a2, "x-gw2");
    int64_t seq2 = mc_int(m, "seq");
    assert_int_equal(seq2, seq + 1);
    json_decref(m);
    wc_t *others[] = {&a1, &b1, &b2};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(s_next_message(others[i], "another device"), seq2);
    /* ... and the sending socket no message event for it. */
    wt_ping_pong(&a2);
    for (size_t i = 0; i < 4; i++)
        wc_close(all[i]);
}

static void test_revocation_across_gateways(void **state)
{
    (void)state;
    static const char pw[] = "secret-pw-2";
    ct_user_t b = wt_user_pw(&s_sys, "wexrev", pw);
    char other[128];
    wt_login(&s_sys, &b, pw, other, sizeof other);
    wc_t gone, stays; /* both on the second gateway */
    wt_connect(&s_gw2, &gone, b.token);
    wt_connect(&s_gw2, &stays, other);
    /* The second gateway has the token cached now. */
    ct_check(&s_gw2, "GET", "/v1/me", b.token, NULL, 200, NULL);

    int64_t t0 = s_now_ms();
    ct_check(&s_sys, "POST", "/v1/auth/logout", b.token, NULL, 204, NULL);
    assert_int_equal(wc_wait_close(&gone, WT_WAIT_MS), 4001);
    int64_t took = s_now_ms() - t0;
    assert_true(took < 2000);
    /* The cache was dropped before the socket was closed: 401 at once,
     * well inside the cache's 10 s. */
    ct_check(&s_gw2, "GET", "/v1/me", b.token, NULL, 401, "unauthenticated");
    wc_t c;
    assert_int_equal(wc_open(&c, s_gw2.http_port, WT_PATH, b.token, WT_WAIT_MS), 401);
    wt_expect_refused(&c, 401, "unauthenticated");
    wc_close(&c);
    /* The user's other token and its socket live on. */
    wt_ping_pong(&stays);
    ct_check(&s_gw2, "GET", "/v1/me", other, NULL, 200, NULL);
    wc_close(&gone);
    wc_close(&stays);
}

static void test_slow_reader_closed_1013(void **state)
{
    (void)state;
    enum { BATCH = 16, MAX_BATCHES = 80 };
    ct_user_t a = ct_user(&s_sys, "wexsa"), b = ct_user(&s_sys, "wexsb");
    ct_befriend(&s_sys, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    char *text = h_repeat("x", 4000);
    wc_t as, bs;
    wt_connect(&s_sys, &as, a.token);
    /* A small receive window: the kernels' buffers fill after a few hundred
     * KiB, so the gateway's own queue does too. */
    assert_int_equal(wc_open_rcvbuf(&bs, s_sys.http_port, WT_PATH, b.token, 4096, WT_WAIT_MS), 101);
    json_t *f = wc_expect_type(&bs, "ready", WT_WAIT_MS);
    assert_non_null(f);
    json_decref(f);

    /* B reads nothing while A sends until the gateway gives B up. */
    double dropped0 = s_metric(&s_sys, "pigeon_ws_events_dropped_total");
    int sent = 0;
    int64_t first = 0;
    for (int round = 0; round < MAX_BATCHES; round++) {
        for (int i = 0; i < BATCH; i++) {
            char cmid[32];
            snprintf(cmid, sizeof cmid, "slow-%d", sent + i);
            wt_send(&as, b.id, cmid, text);
        }
        for (int i = 0; i < BATCH; i++, sent++) {
            char cmid[32];
            snprintf(cmid, sizeof cmid, "slow-%d", sent);
            json_t *m = s_next_ack(&as, cmid);
            if (sent == 0)
                first = mc_int(m, "seq");
            json_decref(m);
        }
        if (s_metric(&s_sys, "pigeon_ws_events_dropped_total") > dropped0)
            break;
    }
    free(text);
    assert_true(s_metric(&s_sys, "pigeon_ws_events_dropped_total") > dropped0);

    /* Read now: a gap-free prefix of the messages, then close 1013 (the close
     * frame is queued behind what was queued before; the gateway waits 2 s
     * for it to be read). */
    int got = 0;
    for (;;) {
        wc_frame_t fr;
        int r = wc_recv(&bs, &fr, WT_WAIT_MS);
        if (r <= 0)
            fail_msg("the connection ended without a close frame after %d messages", got);
        if (fr.opcode == WS_OP_TEXT) {
            json_error_t err;
            json_t *o = json_loadb((const char *)fr.data, fr.len, 0, &err);
            assert_non_null(o);
            assert_string_equal(wt_type(o), "message");
            assert_int_equal(mc_int(json_object_get(o, "message"), "seq"), first + got);
            got++;
            json_decref(o);
        }
        bool closed = fr.opcode == WS_OP_CLOSE;
        wc_frame_clear(&fr);
        if (closed)
            break;
    }
    assert_int_equal(bs.close_code, 1013);
    assert_true(got > 0 && got < sent);
    fprintf(stderr, "slow reader: %d of %d events of %d bytes read, then close 1013\n", got, sent,
            4000);
    wc_close(&bs);
    /* The sender's socket is untouched; the rest is in history. */
    wt_ping_pong(&as);
    char q[64];
    snprintf(q, sizeof q, "?after_seq=%" PRId64 "&limit=200", first + got - 1);
    h_resp_t r = mc_history(&s_sys, &b, cid, q, 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(msgs), sent - got < 200 ? sent - got : 200);
    assert_int_equal(mc_int(json_array_get(msgs, 0), "seq"), first + got);
    h_resp_free(&r);
    wc_close(&as);
}

static void test_idle_timeout_and_ping(void **state)
{
    (void)state;
    char ping[48], idle[48];
    snprintf(ping, sizeof ping, "PIGEON_WS_PING_MS=%d", S_PING_MS);
    snprintf(idle, sizeof idle, "PIGEON_WS_IDLE_MS=%d", S_IDLE_MS);
    const char *const extra[] = {ping, idle, NULL};
    h_system_t gw3;
    h_proc_t *p = s_gateway_start(&gw3, extra);
    ct_user_t a = ct_user(&gw3, "wexidle");
    wc_t live, silent;
    wt_connect(&gw3, &live, a.token);
    int64_t t0 = s_now_ms();
    assert_int_equal(wc_open(&silent, gw3.http_port, WT_PATH, a.token, WT_WAIT_MS), 101);

    /* For four idle periods `live` only answers the server's pings (its
     * automatic pongs are its only bytes); `silent` neither reads nor writes. */
    int pings = 0;
    int64_t dropped_at = 0, end = t0 + 4 * S_IDLE_MS;
    while (s_now_ms() < end) {
        wc_frame_t f;
        int r = wc_recv(&live, &f, 20);
        if (r < 0)
            fail_msg("a socket answering pings was dropped after %d pings", pings);
        if (r == 1) {
            assert_true(f.opcode == WS_OP_PING || f.opcode == WS_OP_TEXT); /* ready */
            if (f.opcode == WS_OP_PING) {
                pings++;
                assert_int_equal(wc_send_frame(&live, 0x80 | WS_OP_PONG, f.data, f.len, true), 0);
            }
            wc_frame_clear(&f);
        }
        if (!dropped_at && s_hung_up(&silent))
            dropped_at = s_now_ms();
    }
    assert_true(pings >= 4 * S_IDLE_MS / S_PING_MS / 2);
    wt_ping_pong(&live);
    if (!dropped_at)
        fail_msg("a silent socket was still open after %d ms", 4 * S_IDLE_MS);
    assert_true(dropped_at - t0 >= S_IDLE_MS);
    assert_true(dropped_at - t0 <= S_IDLE_MS + 500);
    /* Dropped without a close frame: a dead peer would read none. */
    assert_int_equal(wc_wait_close(&silent, WT_WAIT_MS), 0);
    wc_close(&silent);
    wc_close(&live);
    assert_int_equal(h_proc_stop(&p, 15000), 0);
}

static void s_sql(const char *sql, const char *param)
{
    PGconn *db = PQconnectdb(s_sys.db_url);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    const char *v[] = {param};
    PGresult *r = PQexecParams(db, sql, 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    PQclear(r);
    PQfinish(db);
}

static void test_ready_with_dead_publisher(void **state)
{
    (void)state;
    /* A publisher in the registry that nobody serves: the gateways connect
     * to it (ZeroMQ connects lazily) and never hear a marker. */
    double pubs = s_metric(&s_gw2, "pigeon_gateway_publishers");
    char pub[64];
    snprintf(pub, sizeof pub, "tcp://127.0.0.1:%d", h_free_port());
    s_sql("INSERT INTO registry.instances (service, instance, rpc, pub, admin, heartbeat_at) "
          "VALUES ('media', 'dead-publisher', '', $1, '', now() + interval '1 hour')",
          pub);
    s_wait_publishers(&s_gw2, pubs + 1);

    ct_user_t a = ct_user(&s_sys, "wexdead");
    wc_t c1, c2;
    int64_t t0 = s_now_ms();
    wt_connect(&s_gw2, &c1, a.token);
    int64_t took = s_now_ms() - t0;
    assert_true(took >= S_READY_MS);        /* it was waited for ... */
    assert_true(took <= S_READY_MS + 1500); /* ... only until PIGEON_WS_READY_MS */
    /* The user's subscription is confirmed now: a second socket at once. */
    t0 = s_now_ms();
    wt_connect(&s_gw2, &c2, a.token);
    assert_true(s_now_ms() - t0 < S_READY_MS);
    /* Events flow regardless. */
    ct_user_t b = ct_user(&s_sys, "wexdeadb");
    ct_befriend(&s_sys, &a, &b);
    json_t *f = wc_expect_type(&c1, "contact", WT_WAIT_MS);
    assert_non_null(f);
    json_decref(f);
    wc_close(&c1);
    wc_close(&c2);

    s_sql("DELETE FROM registry.instances WHERE instance = $1", "dead-publisher");
    s_wait_publishers(&s_gw2, pubs);
    s_wait_publishers(&s_sys, pubs);
}

static void test_same_client_msg_id_at_once(void **state)
{
    (void)state;
    enum { ROUNDS = 10 };
    ct_user_t a = ct_user(&s_sys, "wexda"), b = ct_user(&s_sys, "wexdb");
    ct_befriend(&s_sys, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    wc_t a1, a2;
    wt_connect(&s_sys, &a1, a.token);
    wt_connect(&s_gw2, &a2, a.token);
    for (int i = 0; i < ROUNDS; i++) {
        char cmid[32];
        snprintf(cmid, sizeof cmid, "dup-%d", i);
        /* Two sockets (two gateways) and a REST call, all at once. */
        wt_send(&a1, b.id, cmid, "once");
        wt_send(&a2, b.id, cmid, "once");
        h_resp_t r = mc_send(&s_sys, &a, b.id, cmid, "once");
        if (r.status != 200 && r.status != 201)
            fail_msg("the REST send of %s answered %ld: %s", cmid, r.status, r.body);
        const char *id = json_string_value(json_object_get(r.json, "id"));
        int64_t seq = mc_int(r.json, "seq");
        assert_int_equal(seq, i + 1);
        wc_t *socks[] = {&a1, &a2};
        for (size_t k = 0; k < 2; k++) {
            json_t *m = s_next_ack(socks[k], cmid);
            assert_string_equal(json_string_value(json_object_get(m, "id")), id);
            assert_int_equal(mc_int(m, "seq"), seq);
            json_decref(m);
        }
        h_resp_free(&r);
    }
    /* History has each once. */
    h_resp_t r = mc_history(&s_sys, &b, cid, "?after_seq=0&limit=200", 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(msgs), ROUNDS);
    for (size_t i = 0; i < ROUNDS; i++) {
        char cmid[32];
        snprintf(cmid, sizeof cmid, "dup-%zu", i);
        json_t *m = json_array_get(msgs, i);
        assert_string_equal(json_string_value(json_object_get(m, "client_msg_id")), cmid);
        assert_int_equal(mc_int(m, "seq"), (int64_t)i + 1);
    }
    h_resp_free(&r);
    wc_close(&a1);
    wc_close(&a2);
}

static void test_many_senders_gap_free(void **state)
{
    (void)state;
    enum { SOCKS = 4, PER = 50, N = SOCKS * PER };
    ct_user_t a = ct_user(&s_sys, "wexma"), b = ct_user(&s_sys, "wexmb");
    ct_befriend(&s_sys, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    /* Both users, both gateways. */
    wc_t s[SOCKS];
    const ct_user_t *from[SOCKS] = {&a, &a, &b, &b};
    for (int k = 0; k < SOCKS; k++)
        wt_connect(k % 2 ? &s_gw2 : &s_sys, &s[k], from[k]->token);
    for (int i = 0; i < PER; i++)
        for (int k = 0; k < SOCKS; k++) {
            char cmid[32];
            snprintf(cmid, sizeof cmid, "m-%d-%d", k, i);
            wt_send(&s[k], from[k] == &a ? b.id : a.id, cmid, "concurrent");
        }
    bool seen[N + 1] = {false};
    for (int k = 0; k < SOCKS; k++) {
        int64_t prev = 0;
        for (int i = 0; i < PER; i++) {
            char cmid[32];
            snprintf(cmid, sizeof cmid, "m-%d-%d", k, i);
            json_t *m = s_next_ack(&s[k], cmid);
            int64_t seq = mc_int(m, "seq");
            json_decref(m);
            if (seq < 1 || seq > N || seen[seq])
                fail_msg("ack of %s has seq %" PRId64 " (out of range or twice)", cmid, seq);
            seen[seq] = true;
            assert_true(seq > prev); /* one socket's sends keep their order */
            prev = seq;
        }
    }
    h_resp_t r = mc_history(&s_sys, &a, cid, "?after_seq=0&limit=200", 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(msgs), N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(mc_int(json_array_get(msgs, i), "seq"), (int64_t)i + 1);
    assert_true(json_is_false(json_object_get(r.json, "has_more")));
    h_resp_free(&r);
    for (int k = 0; k < SOCKS; k++)
        wc_close(&s[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices_on_two_gateways),
        cmocka_unit_test(test_revocation_across_gateways),
        cmocka_unit_test(test_slow_reader_closed_1013),
        cmocka_unit_test(test_idle_timeout_and_ping),
        cmocka_unit_test(test_ready_with_dead_publisher),
        cmocka_unit_test(test_same_client_msg_id_at_once),
        cmocka_unit_test(test_many_senders_gap_free),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
