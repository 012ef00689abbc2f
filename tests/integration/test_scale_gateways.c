/* test_scale_gateways.c - Pigeon scaled out: two gateways on one database
 * in front of two copies of every service, driven over WebSocket and REST.
 *
 * The fixture: pigeon-auth, pigeon-relationship, pigeon-router, pigeon-group
 * and pigeon-media, each twice (h_system_start, then h_system_add_copy), the
 * system's own gateway ("gateway 1") and a second one on the same database
 * (h_gateway_add, "gateway 2"). Before any test runs, both gateways see both
 * copies of every service in their registry view.
 *
 *   - Direct messages between a user on gateway 1 and a user on gateway 2,
 *     both ways, sent over WebSocket and over REST through each gateway, and
 *     an image: every one reaches the other gateway's socket live as a
 *     `message` frame, and history read through either gateway holds each
 *     once, seqs gap-free.
 *   - A group whose members' sockets are spread over both gateways (one
 *     member on both): a message sent on either gateway reaches every
 *     member's socket live.
 *   - Logout on one gateway closes that token's socket on the other with
 *     4001 in under a second (measured in both directions).
 *   - SIGTERM of gateway 2 with live sockets: each gets close 1001 and the
 *     gateway exits 0 within S_EXIT_MS; meanwhile other users send to its
 *     users through gateway 1 (direct and group, REST and WebSocket); the
 *     users reconnect to gateway 1, wait for `ready`, sync as API.md says
 *     (conversations, then after_seq per conversation, in pages) and find
 *     every message exactly once with gap-free seqs. It stops gateway 2, so
 *     it runs last.
 *
 * Measured numbers (send -> frame across gateways, group fan-out, logout ->
 * close, SIGTERM -> close frames and exit, reconnect + catch-up, RPCs
 * answered by each copy) go to the log through print_message. Every test
 * uses fresh users; every wait has a deadline. */
#include <signal.h>
#include <time.h>

#include "groups_calls.h"
#include "media_calls.h"
#include "metrics_calls.h"
#include "ws_calls.h"

#define S_COPIES 2             /* copies of every service */
#define S_VIEW_WAIT_MS 20000   /* registry views, generous for a loaded machine */
#define S_LOGOUT_BOUND_MS 1000 /* logout -> the other gateway's close frame */
#define S_LOGOUT_ROUNDS 4      /* alternating the gateway that takes the logout */
#define S_EXIT_MS 5000         /* SIGTERM -> exit 0 (the grace period is 10 s) */
#define S_REST_SENDS 6         /* REST sends through each gateway */
#define S_AWAY 5               /* messages sent per conversation while disconnected */
#define S_PAGE 4               /* after_seq page size, small so that paging is exercised */
#define S_MAX_SENT 32          /* client_msg_ids one conversation of a test holds */

static const char *const s_services[] = {"auth", "relationship", "router", "group", "media", NULL};
static const char *const s_env[] = {
    "PIGEON_RATE_REGISTER_PER_IP=100000", "PIGEON_RATE_LOGIN_PER_IP=100000",
    "PIGEON_RATE_LOGIN_PER_USER=100000", "PIGEON_REGISTRY_INTERVAL_MS=200", NULL};

static h_system_t s_gw1;     /* the system, seen through its own gateway */
static h_system_t s_gw2;     /* the same system seen through the second gateway */
static h_proc_t *s_gw2_proc; /* the second gateway; NULL once the SIGTERM test stopped it */

/* The client_msg_ids of one conversation, in the order they were stored. */
typedef struct {
    char cmid[S_MAX_SENT][48]; /* client_msg_id of each non-system message */
    size_t n;                  /* how many */
} s_sent_t;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sent_add(s_sent_t *s, const char *cmid)
{
    assert_true(s->n < S_MAX_SENT);
    snprintf(s->cmid[s->n++], sizeof s->cmid[0], "%s", cmid);
}

static const char *s_str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

/* ------------------------------------------------------------------ the fixture */

/* Waits until sys's gateway has every copy of every service in its view. */
static void s_wait_all_copies(const h_system_t *sys)
{
    for (size_t i = 0; s_services[i]; i++)
        mx_wait_view(sys, s_services[i], S_COPIES, S_VIEW_WAIT_MS);
}

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_gw1, s_services, s_env);
    for (size_t i = 0; s_services[i]; i++)
        h_system_add_copy(&s_gw1, s_services[i]);
    s_gw2_proc = h_gateway_add(&s_gw1, &s_gw2, NULL);
    const h_system_t *gateways[] = {&s_gw1, &s_gw2};
    for (size_t i = 0; i < 2; i++) {
        s_wait_all_copies(gateways[i]);
        mc_wait_router(gateways[i]);
        gc_wait_group(gateways[i]);
    }
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (s_gw2_proc)
        h_proc_stop(&s_gw2_proc, 15000);
    h_system_stop(&s_gw1);
    return 0;
}

/* Prints how many RPCs each live copy of every service has answered so far
 * (from their admin /metrics), for the log only: which copy served a call
 * is not asserted. */
static void s_print_rpcs_per_copy(void)
{
    for (size_t i = 0; s_services[i]; i++) {
        char admin[4][64], line[160] = "";
        size_t n = mx_admin_urls(s_gw1.db_url, s_services[i], admin, 4);
        for (size_t k = 0; k < n; k++) {
            h_resp_t r = mx_get(admin[k], "/metrics");
            double rpcs = r.status == 200 ? mx_sum(r.body, "pigeon_rpc_requests_total", NULL) : NAN;
            h_resp_free(&r);
            size_t len = strlen(line);
            snprintf(line + len, sizeof line - len, "%s%.0f", k ? " + " : "", rpcs);
        }
        print_message("scale: %s copies answered %s RPCs\n", s_services[i], n ? line : "none");
    }
}

/* ------------------------------------------------------------------ frames */

/* A `send` frame of a text to {"<to_key>": to_id} ("user_id" or "group_id"). */
static void s_send_frame(wc_t *c, const char *to_key, int64_t to_id, const char *cmid,
                         const char *text)
{
    json_t *f = json_pack("{s:s,s:{s:I},s:s,s:s,s:s}", "type", "send", "to", to_key,
                          (json_int_t)to_id, "client_msg_id", cmid, "kind", "text", "text", text);
    char *s = json_dumps(f, JSON_COMPACT);
    assert_non_null(s);
    assert_int_equal(wc_send_text(c, s), 0);
    free(s);
    json_decref(f);
}

/* The next frame of c, failing the test on an error frame or when none
 * comes within WT_WAIT_MS. */
static json_t *s_next_frame(wc_t *c, const char *what)
{
    json_t *f = wc_recv_json(c, WT_WAIT_MS);
    if (!f)
        fail_msg("%s: no frame within %d ms (close code %d)", what, WT_WAIT_MS, c->close_code);
    if (strcmp(s_str(f, "type"), "error") == 0) {
        char *s = json_dumps(f, JSON_COMPACT);
        fail_msg("%s: got an error frame %s", what, s ? s : "?");
    }
    return f;
}

/* The message of the next `message` frame that is not a system message
 * (those come from the group outbox at their own pace); other frames are
 * skipped. A new reference. */
static json_t *s_next_message(wc_t *c, const char *what)
{
    for (int frames = 0; frames < 64; frames++) {
        json_t *f = s_next_frame(c, what);
        json_t *m = json_object_get(f, "message");
        bool hit =
            strcmp(s_str(f, "type"), "message") == 0 && strcmp(s_str(m, "kind"), "system") != 0;
        m = hit ? json_incref(m) : NULL;
        json_decref(f);
        if (m)
            return m;
    }
    fail_msg("%s: 64 frames and no message", what);
    return NULL;
}

/* The ack of cmid, skipping the events in between; its message (a new reference). */
static json_t *s_next_ack(wc_t *c, const char *cmid)
{
    for (int frames = 0; frames < 64; frames++) {
        json_t *f = s_next_frame(c, cmid);
        if (strcmp(s_str(f, "type"), "ack") == 0) {
            assert_string_equal(s_str(f, "client_msg_id"), cmid);
            json_t *m = json_incref(json_object_get(f, "message"));
            json_decref(f);
            return m;
        }
        json_decref(f);
    }
    fail_msg("64 frames and no ack of %s", cmid);
    return NULL;
}

/* got is the stored message want (same id, conversation, seq, client_msg_id). */
static void s_expect_same_message(json_t *got, json_t *want, const char *what)
{
    if (strcmp(s_str(got, "id"), s_str(want, "id")) != 0 ||
        mc_int(got, "seq") != mc_int(want, "seq") ||
        strcmp(s_str(got, "conversation_id"), s_str(want, "conversation_id")) != 0 ||
        strcmp(s_str(got, "client_msg_id"), s_str(want, "client_msg_id")) != 0)
        fail_msg("%s: got message %s (seq %" PRId64 "), expected %s (seq %" PRId64 ")", what,
                 s_str(got, "id"), mc_int(got, "seq"), s_str(want, "id"), mc_int(want, "seq"));
}

/* Each socket's next message must be `want`. */
static void s_expect_on_all(wc_t *const *socks, size_t n, json_t *want, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        char label[96];
        snprintf(label, sizeof label, "%s (socket %zu)", what, i);
        json_t *m = s_next_message(socks[i], label);
        s_expect_same_message(m, want, label);
        json_decref(m);
    }
}

/* ------------------------------------------------------------------ REST */

/* POST /v1/messages of a text through sys's gateway, answered 201; the
 * stored message (a new reference). */
static json_t *s_rest_send(const h_system_t *sys, const ct_user_t *from, const char *to_key,
                           int64_t to_id, const char *cmid, const char *text)
{
    json_t *body = json_pack("{s:{s:I},s:s,s:s,s:s}", "to", to_key, (json_int_t)to_id,
                             "client_msg_id", cmid, "kind", "text", "text", text);
    h_resp_t r = ct_expect(sys, "POST", "/v1/messages", from->token, body, 201, NULL);
    json_t *m = json_incref(r.json);
    h_resp_free(&r);
    return m;
}

/* Pages through cid's history after seq `after` as u sees it through sys,
 * S_PAGE messages a page: every seq follows the one before (no gap, no
 * repeat) and the client_msg_ids of the non-system messages are `want`, in
 * order. Returns the last seq. */
static int64_t s_expect_history(const h_system_t *sys, const ct_user_t *u, const char *cid,
                                int64_t after, const s_sent_t *want)
{
    size_t seen = 0;
    bool more = true;
    for (int page = 0; more && page < 100; page++) {
        char query[64];
        snprintf(query, sizeof query, "?after_seq=%" PRId64 "&limit=%d", after, S_PAGE);
        h_resp_t r = mc_history(sys, u, cid, query, 200, NULL);
        json_t *list = json_object_get(r.json, "messages"), *m;
        size_t i;
        json_array_foreach(list, i, m)
        {
            if (mc_int(m, "seq") != after + 1)
                fail_msg("%s: seq %" PRId64 " follows %" PRId64, cid, mc_int(m, "seq"), after);
            after++;
            if (strcmp(s_str(m, "kind"), "system") == 0)
                continue;
            if (seen >= want->n || strcmp(s_str(m, "client_msg_id"), want->cmid[seen]) != 0)
                fail_msg("%s: seq %" PRId64 " is %s, expected %s", cid, after,
                         s_str(m, "client_msg_id"), seen < want->n ? want->cmid[seen] : "nothing");
            seen++;
        }
        more = json_is_true(json_object_get(r.json, "has_more"));
        assert_true(json_array_size(list) > 0 || !more);
        h_resp_free(&r);
    }
    assert_false(more);
    if (seen != want->n)
        fail_msg("%s: %zu of %zu messages in history", cid, seen, want->n);
    return after;
}

/* A client's catch-up after `ready` (API.md): GET /v1/conversations for
 * last_seq, then cid's history after the last seq it saw, which must be
 * `missed` exactly and end at last_seq. Returns last_seq. */
static int64_t s_catch_up(const h_system_t *sys, const ct_user_t *u, const char *cid, int64_t seen,
                          const s_sent_t *missed)
{
    json_t *conv = mc_conversation(sys, u, cid);
    if (!conv)
        fail_msg("%s is not in the conversations of %s", cid, u->name);
    int64_t last_seq = mc_int(conv, "last_seq");
    json_decref(conv);
    assert_int_equal(s_expect_history(sys, u, cid, seen, missed), last_seq);
    return last_seq;
}

/* ------------------------------------------------------------------ tests */

static void test_direct_messages_cross_gateways(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_gw1, "sga"), b = ct_user(&s_gw2, "sgb");
    ct_befriend(&s_gw2, &a, &b);
    char cid[64];
    mc_cid(&a, &b, cid, sizeof cid);
    s_sent_t sent = {.n = 0};
    wc_t as, bs; /* A on gateway 1, B on gateway 2 */
    wt_connect(&s_gw1, &as, a.token);
    wt_connect(&s_gw2, &bs, b.token);

    /* WebSocket sends, gateway 1 -> gateway 2 and back: the sender's
     * socket gets the ack, the peer's socket the message. */
    int64_t t0 = s_now_ms();
    s_send_frame(&as, "user_id", b.id, "sg-ws-1", "from gateway 1");
    json_t *ack = s_next_ack(&as, "sg-ws-1");
    s_sent_add(&sent, "sg-ws-1");
    json_t *m = s_next_message(&bs, "B on gateway 2");
    s_expect_same_message(m, ack, "B on gateway 2");
    assert_string_equal(s_str(m, "text"), "from gateway 1");
    assert_int_equal(mc_int(m, "sender_id"), a.id);
    int64_t there = s_now_ms() - t0;
    json_decref(m);
    json_decref(ack);
    t0 = s_now_ms();
    s_send_frame(&bs, "user_id", a.id, "sg-ws-2", "from gateway 2");
    ack = s_next_ack(&bs, "sg-ws-2");
    s_sent_add(&sent, "sg-ws-2");
    m = s_next_message(&as, "A on gateway 1");
    s_expect_same_message(m, ack, "A on gateway 1");
    assert_int_equal(mc_int(m, "sender_id"), b.id);
    print_message("scale: WebSocket send -> message frame on the other gateway: %lld ms (1 -> 2), "
                  "%lld ms (2 -> 1)\n",
                  (long long)there, (long long)(s_now_ms() - t0));
    json_decref(m);
    json_decref(ack);

    /* REST sends through each gateway in turn: every one reaches both
     * sockets (the peer's, and the sender's as its other device). */
    wc_t *both[] = {&as, &bs};
    for (int i = 0; i < 2 * S_REST_SENDS; i++) {
        bool via1 = i % 2 == 0;
        char cmid[32];
        snprintf(cmid, sizeof cmid, "sg-rest-%d", i);
        m = s_rest_send(via1 ? &s_gw1 : &s_gw2, via1 ? &a : &b, "user_id", via1 ? b.id : a.id, cmid,
                        "over REST");
        s_sent_add(&sent, cmid);
        s_expect_on_all(both, 2, m, cmid);
        json_decref(m);
    }

    /* An image uploaded and sent through gateway 1, downloaded through
     * gateway 2 (pigeon-media and the router's media check behind each). */
    size_t len;
    unsigned char *jpg = md_fixture("image.jpg", &len);
    h_resp_t r = md_upload(&s_gw1, &a, jpg, len, "image/jpeg");
    h_expect_status(&r, 201);
    int64_t media = mc_int(r.json, "id");
    h_resp_free(&r);
    r = md_send(&s_gw1, &a, b.id, "image", media);
    h_expect_status(&r, 201);
    s_sent_add(&sent, s_str(r.json, "client_msg_id"));
    s_expect_on_all(both, 2, r.json, "image");
    h_resp_free(&r);
    r = md_get(&s_gw2, &b, media, NULL, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, jpg, len);
    h_resp_free(&r);
    free(jpg);

    /* Every send landed once, in order, whichever gateway history is read through. */
    assert_int_equal(s_expect_history(&s_gw1, &a, cid, 0, &sent), (int64_t)sent.n);
    assert_int_equal(s_expect_history(&s_gw2, &b, cid, 0, &sent), (int64_t)sent.n);
    s_print_rpcs_per_copy();
    wc_close(&as);
    wc_close(&bs);
}

static void test_group_message_reaches_members_on_both_gateways(void **state)
{
    (void)state;
    enum { MEMBERS = 4, SOCKS = MEMBERS + 2 };
    ct_user_t owner = ct_user(&s_gw1, "sgo"), mem[MEMBERS];
    int64_t ids[MEMBERS];
    for (int i = 0; i < MEMBERS; i++) {
        mem[i] = ct_user(i % 2 ? &s_gw2 : &s_gw1, "sgm");
        ids[i] = mem[i].id;
        ct_add_expect(i % 2 ? &s_gw2 : &s_gw1, &owner, mem[i].id, "one_way", 201, NULL);
    }
    int64_t gid = gc_create(&s_gw2, &owner, "scale-out", "open", ids, MEMBERS);
    char cid[32];
    snprintf(cid, sizeof cid, "g:%" PRId64, gid);

    /* The owner on gateway 1, the members alternately on gateway 2 and 1,
     * the last member on both. */
    wc_t ws[SOCKS];
    wt_connect(&s_gw1, &ws[0], owner.token);
    for (int i = 0; i < MEMBERS; i++)
        wt_connect(i % 2 ? &s_gw1 : &s_gw2, &ws[i + 1], mem[i].token);
    wt_connect(&s_gw2, &ws[SOCKS - 1], mem[MEMBERS - 1].token);
    s_sent_t sent = {.n = 0};

    /* A WebSocket send on gateway 2: the ack to its socket, the message to
     * every other socket on both gateways. */
    int64_t t0 = s_now_ms();
    s_send_frame(&ws[1], "group_id", gid, "sg-g-1", "hello from gateway 2");
    json_t *ack = s_next_ack(&ws[1], "sg-g-1");
    s_sent_add(&sent, "sg-g-1");
    wc_t *others[] = {&ws[0], &ws[2], &ws[3], &ws[4], &ws[5]};
    s_expect_on_all(others, 5, ack, "group send on gateway 2");
    int64_t fanout1 = s_now_ms() - t0;
    json_decref(ack);

    /* A REST send through gateway 1: every socket, the sender's included. */
    wc_t *all[SOCKS];
    for (int i = 0; i < SOCKS; i++)
        all[i] = &ws[i];
    t0 = s_now_ms();
    json_t *m = s_rest_send(&s_gw1, &owner, "group_id", gid, "sg-g-2", "hello from gateway 1");
    s_sent_add(&sent, "sg-g-2");
    s_expect_on_all(all, SOCKS, m, "group send through gateway 1");
    int64_t fanout2 = s_now_ms() - t0;
    json_decref(m);
    print_message("scale: group message -> every member socket on both gateways: %lld ms "
                  "(WebSocket send, %d others), %lld ms (REST send, %d sockets)\n",
                  (long long)fanout1, SOCKS - 1, (long long)fanout2, SOCKS);

    s_expect_history(&s_gw1, &mem[0], cid, 0, &sent);
    s_expect_history(&s_gw2, &mem[1], cid, 0, &sent);
    for (int i = 0; i < SOCKS; i++)
        wc_close(&ws[i]);
}

/* One logout through `here` of a fresh token of u with a socket on each
 * gateway; returns the milliseconds from the request to the close frame on
 * `there`. The user's other token (u->token) and its socket live on. */
static int64_t s_logout_round(const h_system_t *here, const h_system_t *there, const ct_user_t *u,
                              const char *password)
{
    char token[128];
    wt_login(here, u, password, token, sizeof token);
    wc_t far, near, stays;
    wt_connect(there, &far, token);
    wt_connect(here, &near, token);
    wt_connect(there, &stays, u->token);
    ct_check(there, "GET", "/v1/me", token, NULL, 200, NULL); /* cached there now */

    int64_t t0 = s_now_ms();
    ct_check(here, "POST", "/v1/auth/logout", token, NULL, 204, NULL);
    int64_t answered = s_now_ms() - t0;
    int code = wc_wait_close(&far, WT_WAIT_MS);
    int64_t closed = s_now_ms() - t0;
    if (code != 4001)
        fail_msg("the socket on the other gateway ended with %d, not close 4001", code);
    print_message("scale: logout through port %d answered in %lld ms; the token's socket on port "
                  "%d got 4001 %lld ms after the request\n",
                  here->http_port, (long long)answered, there->http_port, (long long)closed);
    assert_int_equal(wc_wait_close(&near, WT_WAIT_MS), 4001);
    ct_check(there, "GET", "/v1/me", token, NULL, 401, "unauthenticated");
    wt_ping_pong(&stays);
    wc_close(&far);
    wc_close(&near);
    wc_close(&stays);
    return closed;
}

static void test_logout_closes_socket_on_other_gateway_within_1s(void **state)
{
    (void)state;
    static const char pw[] = "scale-logout-pw";
    ct_user_t u = wt_user_pw(&s_gw1, "sglo", pw);
    int64_t worst = 0;
    for (int round = 0; round < S_LOGOUT_ROUNDS; round++) {
        bool on1 = round % 2 == 0;
        int64_t ms = s_logout_round(on1 ? &s_gw1 : &s_gw2, on1 ? &s_gw2 : &s_gw1, &u, pw);
        worst = ms > worst ? ms : worst;
    }
    print_message("scale: logout -> close on the other gateway, worst of %d: %lld ms\n",
                  S_LOGOUT_ROUNDS, (long long)worst);
    if (worst >= S_LOGOUT_BOUND_MS)
        fail_msg("a logout took %lld ms to close the token's socket on the other gateway "
                 "(bound %d ms)",
                 (long long)worst, S_LOGOUT_BOUND_MS);
}

/* The message `m` sent to a socket must arrive on it; its seq. */
static int64_t s_seen_live(wc_t *c, json_t *m, const char *what)
{
    json_t *got = s_next_message(c, what);
    s_expect_same_message(got, m, what);
    json_decref(got);
    return mc_int(m, "seq");
}

/* SIGTERMs gateway 2 and checks that each of its sockets gets close 1001
 * and that it exits 0 within S_EXIT_MS. */
static void s_stop_gateway_2(wc_t *const *socks, size_t n)
{
    h_proc_t *gw = s_gw2_proc;
    s_gw2_proc = NULL;
    int64_t t0 = s_now_ms();
    h_proc_signal(gw, SIGTERM);
    int64_t last_close = 0;
    for (size_t i = 0; i < n; i++) {
        int code = wc_wait_close(socks[i], WT_WAIT_MS);
        if (code != 1001)
            fail_msg("socket %zu of the stopping gateway ended with %d, not close 1001", i, code);
        last_close = s_now_ms() - t0;
        wc_close(socks[i]); /* the client hangs up, as a real one would */
    }
    int status = h_proc_wait(&gw, 15000);
    int64_t exited = s_now_ms() - t0;
    print_message("scale: SIGTERM -> %zu close frames 1001 within %lld ms, gateway exited %d "
                  "after %lld ms\n",
                  n, (long long)last_close, status, (long long)exited);
    assert_int_equal(status, 0);
    if (exited >= S_EXIT_MS)
        fail_msg("the gateway took %lld ms to exit after SIGTERM (bound %d ms)", (long long)exited,
                 S_EXIT_MS);
    wc_t gone;
    assert_int_not_equal(wc_open(&gone, s_gw2.http_port, WT_PATH, NULL, WT_WAIT_MS), 101);
    wc_close(&gone);
}

/* Must stay last: it stops gateway 2. */
static void test_sigterm_gateway_clients_move_and_catch_up(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_gw1, "sgta"), d = ct_user(&s_gw1, "sgtd");
    ct_user_t b = ct_user(&s_gw2, "sgtb"), c = ct_user(&s_gw2, "sgtc");
    ct_befriend(&s_gw1, &a, &b);
    ct_befriend(&s_gw1, &a, &c);
    ct_add_expect(&s_gw1, &a, d.id, "one_way", 201, NULL);
    int64_t ids[] = {b.id, c.id, d.id};
    int64_t gid = gc_create(&s_gw1, &a, "scale-sigterm", "open", ids, 3);
    char ab[64], ac[64], g[32];
    mc_cid(&a, &b, ab, sizeof ab);
    mc_cid(&a, &c, ac, sizeof ac);
    snprintf(g, sizeof g, "g:%" PRId64, gid);

    /* A on gateway 1; B (two devices) and C on gateway 2, each seeing a
     * direct and a group message live. */
    wc_t as, b1, b2, cs;
    wt_connect(&s_gw1, &as, a.token);
    wt_connect(&s_gw2, &b1, b.token);
    wt_connect(&s_gw2, &b2, b.token);
    wt_connect(&s_gw2, &cs, c.token);
    json_t *m = s_rest_send(&s_gw1, &a, "user_id", b.id, "sgt-b-0", "before");
    int64_t seen_ab = s_seen_live(&b1, m, "B before");
    s_seen_live(&b2, m, "B's other device before");
    json_decref(m);
    m = s_rest_send(&s_gw1, &a, "user_id", c.id, "sgt-c-0", "before");
    int64_t seen_ac = s_seen_live(&cs, m, "C before");
    json_decref(m);
    m = s_rest_send(&s_gw1, &d, "group_id", gid, "sgt-g-0", "before");
    int64_t seen_gb = s_seen_live(&b1, m, "B before (group)");
    int64_t seen_gc = s_seen_live(&cs, m, "C before (group)");
    json_decref(m);

    wc_t *on_gw2[] = {&b1, &b2, &cs};
    s_stop_gateway_2(on_gw2, 3);

    /* While B and C are away, A and D write to them through gateway 1:
     * REST to B, WebSocket to C, both into the group. */
    s_sent_t missed_ab = {.n = 0}, missed_ac = {.n = 0}, missed_g = {.n = 0};
    for (int i = 1; i <= S_AWAY; i++) {
        char cmid[32];
        snprintf(cmid, sizeof cmid, "sgt-b-%d", i);
        json_decref(s_rest_send(&s_gw1, &a, "user_id", b.id, cmid, "while away"));
        s_sent_add(&missed_ab, cmid);
        snprintf(cmid, sizeof cmid, "sgt-c-%d", i);
        s_send_frame(&as, "user_id", c.id, cmid, "while away");
        json_decref(s_next_ack(&as, cmid));
        s_sent_add(&missed_ac, cmid);
        snprintf(cmid, sizeof cmid, "sgt-g-%d", i);
        json_decref(s_rest_send(&s_gw1, i % 2 ? &a : &d, "group_id", gid, cmid, "while away"));
        s_sent_add(&missed_g, cmid);
    }

    /* Both reconnect to gateway 1. One more message for B after its `ready`
     * and before its sync: it comes live and in the sync, and the client
     * keeps it once (by seq). */
    int64_t t0 = s_now_ms();
    wt_connect(&s_gw1, &b1, b.token);
    wt_connect(&s_gw1, &cs, c.token);
    json_t *late = s_rest_send(&s_gw1, &a, "user_id", b.id, "sgt-b-late", "after ready");
    s_sent_add(&missed_ab, "sgt-b-late");
    int64_t last_ab = s_catch_up(&s_gw1, &b, ab, seen_ab, &missed_ab);
    s_catch_up(&s_gw1, &b, g, seen_gb, &missed_g);
    s_catch_up(&s_gw1, &c, ac, seen_ac, &missed_ac);
    s_catch_up(&s_gw1, &c, g, seen_gc, &missed_g);
    int64_t caught_up = s_now_ms() - t0;
    assert_int_equal(last_ab, mc_int(late, "seq"));
    assert_int_equal(s_seen_live(&b1, late, "B after ready"), last_ab);
    json_decref(late);
    print_message("scale: 2 users reconnected to the other gateway and caught up on 4 "
                  "conversations (%zu + %zu + %zu messages, pages of %d) in %lld ms\n",
                  missed_ab.n, missed_ac.n, missed_g.n, S_PAGE, (long long)caught_up);
    wc_close(&as);
    wc_close(&b1);
    wc_close(&cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_messages_cross_gateways),
        cmocka_unit_test(test_group_message_reaches_members_on_both_gateways),
        cmocka_unit_test(test_logout_closes_socket_on_other_gateway_within_1s),
        cmocka_unit_test(test_sigterm_gateway_clients_move_and_catch_up),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
