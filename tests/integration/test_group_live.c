/* test_group_live.c - the seed's group story end to end through the gateway,
 * live over WebSocket, against real pigeon-auth, pigeon-relationship,
 * pigeon-router, pigeon-group, pigeon-media and pigeon-gateway processes on
 * a fresh database.
 *
 * The first test walks the story: A makes friends of B and C and creates
 * "篮球爱好者" with B; D finds it by "篮球" and "爱好", applies, A approves
 * live; everyone chats live (C, not a member, hears nothing); D sends a
 * photo that B downloads with its thumbnail; D leaves and hears no more.
 * Then a 20-member fan-out and a voice clip between friends fetched in two
 * Range parts. System messages (member_joined, member_left) are pushed live
 * by the router's outbox consumer, so every wait here is for a frame, with a
 * deadline; no test polls history for them. */
#include <time.h>

#include "groups_calls.h"
#include "media_calls.h"
#include "ws_calls.h"

static h_system_t s_sys;
static const char *const s_services[] = {"auth", "relationship", "router", "group", "media", NULL};

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, s_services, ct_env);
    mc_wait_router(&s_sys);
    gc_wait_group(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does frame f say "message" with this kind and, when given, text
 * containing `needle` (for system messages) or this message id? */
static bool s_is_message(json_t *f, const char *kind, const char *needle, const char *id)
{
    if (strcmp(wt_type(f) ? wt_type(f) : "", "message") != 0)
        return false;
    json_t *m = json_object_get(f, "message");
    const char *k = json_string_value(json_object_get(m, "kind"));
    const char *t = json_string_value(json_object_get(m, "text"));
    const char *mid = json_string_value(json_object_get(m, "id"));
    return k && strcmp(k, kind) == 0 && (needle == NULL || (t && strstr(t, needle))) &&
           (id == NULL || (mid && strcmp(mid, id) == 0));
}

/* Frames until a `message` frame matching s_is_message arrives (others
 * dropped); its message object (a new reference). Fails after WT_WAIT_MS. */
static json_t *s_expect_message(wc_t *c, const char *kind, const char *needle, const char *id)
{
    int64_t end = s_now_ms() + WT_WAIT_MS;
    for (int64_t left = WT_WAIT_MS; left > 0; left = end - s_now_ms()) {
        json_t *f = wc_recv_json(c, (int)left);
        if (f == NULL)
            break;
        if (s_is_message(f, kind, needle, id)) {
            json_t *m = json_incref(json_object_get(f, "message"));
            json_decref(f);
            return m;
        }
        json_decref(f);
    }
    fail_msg("no %s message%s%s arrived within %d ms", kind, needle ? " with " : "",
             needle ? needle : "", WT_WAIT_MS);
    return NULL;
}

/* Frames until a `group` frame of this event arrives (others dropped); its
 * group's id. Fails after WT_WAIT_MS. */
static int64_t s_expect_group_event(wc_t *c, const char *event)
{
    int64_t end = s_now_ms() + WT_WAIT_MS;
    for (int64_t left = WT_WAIT_MS; left > 0; left = end - s_now_ms()) {
        json_t *f = wc_recv_json(c, (int)left);
        if (f == NULL)
            break;
        const char *t = wt_type(f), *e = json_string_value(json_object_get(f, "event"));
        bool hit = t && strcmp(t, "group") == 0 && e && strcmp(e, event) == 0;
        int64_t gid = json_integer_value(json_object_get(json_object_get(f, "group"), "id"));
        json_decref(f);
        if (hit)
            return gid;
    }
    fail_msg("no group event \"%s\" arrived within %d ms", event, WT_WAIT_MS);
    return 0;
}

/* A ping, then every frame up to its pong: none may be a `message` frame
 * (kind `kind`, or any kind when NULL). The pong comes after every event
 * the gateway had for this socket when it read the ping. */
static void s_expect_no_message(wc_t *c, const char *kind)
{
    assert_int_equal(wc_send_text(c, "{\"type\":\"ping\"}"), 0);
    for (int i = 0; i < 256; i++) {
        json_t *f = wc_recv_json(c, WT_WAIT_MS);
        assert_non_null(f);
        const char *t = wt_type(f);
        bool pong = t && strcmp(t, "pong") == 0;
        bool bad =
            t && strcmp(t, "message") == 0 &&
            (kind == NULL ||
             strcmp(json_string_value(json_object_get(json_object_get(f, "message"), "kind")),
                    kind) == 0);
        if (bad) {
            char *s = json_dumps(f, JSON_COMPACT);
            fail_msg("unexpected frame %s", s ? s : "?");
        }
        json_decref(f);
        if (pong)
            return;
    }
    fail_msg("no pong");
}

/* POST /v1/messages to group gid: a text, or media of kind. The answer. */
static h_resp_t s_group_send(const ct_user_t *u, int64_t gid, const char *kind, const char *text,
                             int64_t media_id)
{
    char cmid[64];
    static int s_n;
    snprintf(cmid, sizeof cmid, "live-%d-%ld", ++s_n, (long)random());
    json_t *body = json_pack("{s:{s:I}, s:s, s:s}", "to", "group_id", (json_int_t)gid,
                             "client_msg_id", cmid, "kind", kind);
    if (text)
        json_object_set_new(body, "text", json_string(text));
    else
        json_object_set_new(body, "media_id", json_integer(media_id));
    return h_call(&s_sys, "POST", "/v1/messages", u->token, body);
}

/* GET /v1/groups?q=<q>: does the first page list gid? */
static bool s_search_finds(const ct_user_t *u, const char *q, int64_t gid)
{
    char path[256];
    char *esc = h_escape(q);
    snprintf(path, sizeof path, "/v1/groups?q=%s&limit=50", esc);
    free(esc);
    h_resp_t r = ct_expect(&s_sys, "GET", path, u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "groups"), *g;
    size_t i;
    bool found = false;
    json_array_foreach(list, i, g)
    {
        if (gc_check_group(g) == gid)
            found = true;
    }
    h_resp_free(&r);
    return found;
}

/* ------------------------------------------------------------------ tests */

static void test_basketball_group_story(void **state)
{
    (void)state;
    ct_user_t a = wt_user_pw(&s_sys, "lqa", "password-a1");
    ct_user_t b = ct_user(&s_sys, "lqb"), c = ct_user(&s_sys, "lqc"), d = ct_user(&s_sys, "lqd");
    char a_token2[128];
    wt_login(&s_sys, &a, "password-a1", a_token2, sizeof a_token2);

    /* A asks B and C (two_way); they accept. */
    ct_befriend(&s_sys, &a, &b);
    ct_befriend(&s_sys, &a, &c);
    ct_expect_kind(&s_sys, &a, &b, "friend");
    ct_expect_kind(&s_sys, &c, &a, "friend");

    wc_t wa, wa2, wb, wc, wd;
    wt_connect(&s_sys, &wa, a.token);
    wt_connect(&s_sys, &wa2, a_token2);
    wt_connect(&s_sys, &wb, b.token);
    wt_connect(&s_sys, &wc, c.token);
    wt_connect(&s_sys, &wd, d.token);

    /* A creates the group with B: both hear group_created live. */
    int64_t gid = gc_create(&s_sys, &a, "篮球爱好者", "approval", &b.id, 1);
    char cid[32];
    snprintf(cid, sizeof cid, "g:%" PRId64, gid);
    json_decref(s_expect_message(&wb, "system", "group_created", NULL));
    json_decref(s_expect_message(&wa, "system", "group_created", NULL));

    /* D finds it by two Chinese characters, at the start and inside. */
    assert_true(s_search_finds(&d, "篮球", gid));
    assert_true(s_search_finds(&d, "爱好", gid));
    assert_false(s_search_finds(&d, "足球", gid));

    /* D applies; A hears the request live and approves it. */
    int64_t rid = gc_apply(&s_sys, &d, gid);
    assert_int_equal(s_expect_group_event(&wa, "join_request"), gid);
    gc_decide(&s_sys, &a, gid, rid, "approve", 200, NULL);
    assert_int_equal(s_expect_group_event(&wd, "joined"), gid);
    char needle[64];
    snprintf(needle, sizeof needle, "\"user_id\":%" PRId64, d.id);
    json_t *joined = s_expect_message(&wd, "system", "member_joined", NULL);
    assert_string_equal(json_string_value(json_object_get(joined, "conversation_id")), cid);
    assert_int_equal(json_integer_value(json_object_get(joined, "sender_id")), a.id);
    assert_non_null(strstr(json_string_value(json_object_get(joined, "text")), needle));
    int64_t join_seq = json_integer_value(json_object_get(joined, "seq"));
    json_decref(joined);
    json_decref(s_expect_message(&wb, "system", "member_joined", NULL));

    /* A sends a text from one socket: B, D and A's other device get it;
     * the sending socket gets the ack; C, not a member, gets nothing. */
    json_t *f =
        json_pack("{s:s,s:{s:I},s:s,s:s,s:s}", "type", "send", "to", "group_id", (json_int_t)gid,
                  "client_msg_id", "story-1", "kind", "text", "text", "周六打球?");
    char *frame = json_dumps(f, JSON_COMPACT);
    json_decref(f);
    assert_int_equal(wc_send_text(&wa, frame), 0);
    free(frame);
    json_t *ack = wc_expect_type(&wa, "ack", WT_WAIT_MS);
    assert_non_null(ack);
    assert_string_equal(json_string_value(json_object_get(ack, "client_msg_id")), "story-1");
    char mid[64];
    snprintf(mid, sizeof mid, "%s",
             json_string_value(json_object_get(json_object_get(ack, "message"), "id")));
    json_decref(ack);
    json_t *got[3] = {s_expect_message(&wb, "text", NULL, mid),
                      s_expect_message(&wd, "text", NULL, mid),
                      s_expect_message(&wa2, "text", NULL, mid)};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(json_string_value(json_object_get(got[i], "text")), "周六打球?");
        assert_int_equal(json_integer_value(json_object_get(got[i], "sender_id")), a.id);
        json_decref(got[i]);
    }
    s_expect_no_message(&wa, "text");
    s_expect_no_message(&wc, NULL);

    /* A resend (same client_msg_id, over REST) answers 200 with the stored
     * message, and its event reaches the members again. */
    h_resp_t r = h_call(&s_sys, "POST", "/v1/messages", a.token,
                        json_pack("{s:{s:I}, s:s, s:s, s:s}", "to", "group_id", (json_int_t)gid,
                                  "client_msg_id", "story-1", "kind", "text", "text", "周六打球?"));
    h_expect_status(&r, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "id")), mid);
    h_resp_free(&r);
    json_decref(s_expect_message(&wb, "text", NULL, mid));
    json_decref(s_expect_message(&wd, "text", NULL, mid));

    /* D sends a photo; members get it live; B downloads the same bytes and
     * a thumbnail. */
    size_t jpg_len;
    unsigned char *jpg = md_fixture("image.jpg", &jpg_len);
    r = md_upload(&s_sys, &d, jpg, jpg_len, "image/jpeg");
    h_expect_status(&r, 201);
    int64_t media = json_integer_value(json_object_get(r.json, "id"));
    h_resp_free(&r);
    r = s_group_send(&d, gid, "image", NULL, media);
    h_expect_status(&r, 201);
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(r.json, "id")));
    h_resp_free(&r);
    for (wc_t *w = &wa; w != NULL; w = w == &wa ? &wb : w == &wb ? &wa2 : NULL) {
        json_t *m = s_expect_message(w, "image", NULL, mid);
        json_t *mo = json_object_get(m, "media");
        assert_int_equal(json_integer_value(json_object_get(mo, "id")), media);
        assert_string_equal(json_string_value(json_object_get(mo, "kind")), "image");
        json_decref(m);
    }
    r = md_get(&s_sys, &b, media, NULL, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(r.body_len, jpg_len);
    assert_memory_equal(r.body, jpg, jpg_len);
    h_resp_free(&r);
    r = md_get(&s_sys, &b, media, "/thumbnail", NULL);
    h_expect_status(&r, 200);
    int w = 0, h = 0;
    assert_true(md_image_size((const unsigned char *)r.body, r.body_len, &w, &h));
    assert_true(w > 0 && h > 0 && w <= 320 && h <= 320);
    h_resp_free(&r);
    free(jpg);
    r = md_get(&s_sys, &c, media, NULL, NULL); /* C may not */
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);

    /* D leaves: everyone, D included, hears member_left live. */
    gc_remove(&s_sys, &d, gid, d.id, 204, NULL);
    snprintf(needle, sizeof needle, "\"user_id\":%" PRId64, d.id);
    json_t *left = s_expect_message(&wd, "system", "member_left", NULL);
    assert_non_null(strstr(json_string_value(json_object_get(left, "text")), needle));
    int64_t leave_seq = json_integer_value(json_object_get(left, "seq"));
    assert_true(leave_seq > join_seq);
    json_decref(left);
    json_decref(s_expect_message(&wa, "system", "member_left", NULL));
    json_decref(s_expect_message(&wa2, "system", "member_left", NULL));
    json_decref(s_expect_message(&wb, "system", "member_left", NULL));

    /* D may not post any more and does not hear A's next message. */
    r = s_group_send(&d, gid, "text", "还在吗", 0);
    h_expect_error(&r, 403, "forbidden");
    h_resp_free(&r);
    r = s_group_send(&a, gid, "text", "D 走了", 0);
    h_expect_status(&r, 201);
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(r.json, "id")));
    h_resp_free(&r);
    json_decref(s_expect_message(&wb, "text", NULL, mid));
    s_expect_no_message(&wd, NULL);
    s_expect_no_message(&wc, NULL);

    /* D's history runs from the join message to the leave message. */
    r = mc_history(&s_sys, &d, cid, "?after_seq=0&limit=200", 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages");
    size_t n = json_array_size(msgs);
    assert_true(n >= 4);
    assert_int_equal(mc_int(json_array_get(msgs, 0), "seq"), join_seq);
    json_t *last = json_array_get(msgs, n - 1);
    assert_int_equal(mc_int(last, "seq"), leave_seq);
    assert_non_null(strstr(json_string_value(json_object_get(last, "text")), "member_left"));
    h_resp_free(&r);

    wc_close(&wa);
    wc_close(&wa2);
    wc_close(&wb);
    wc_close(&wc);
    wc_close(&wd);
}

#define S_FANOUT 20

static void test_fanout_to_twenty(void **state)
{
    (void)state;
    ct_user_t owner = ct_user(&s_sys, "fo"), u[S_FANOUT - 1];
    int64_t ids[S_FANOUT - 1];
    for (int i = 0; i < S_FANOUT - 1; i++) {
        u[i] = ct_user(&s_sys, "fm");
        ct_add_expect(&s_sys, &owner, u[i].id, "one_way", 201, NULL);
        ids[i] = u[i].id;
    }
    int64_t gid = gc_create(&s_sys, &owner, "twenty", "open", ids, S_FANOUT - 1);
    static wc_t ws[S_FANOUT];
    wt_connect(&s_sys, &ws[0], owner.token);
    for (int i = 0; i < S_FANOUT - 1; i++)
        wt_connect(&s_sys, &ws[i + 1], u[i].token);

    h_resp_t r = s_group_send(&owner, gid, "text", "everyone?", 0);
    h_expect_status(&r, 201);
    char mid[64];
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(r.json, "id")));
    h_resp_free(&r);
    /* Each socket within WT_WAIT_MS of the send: the waits overlap, so the
     * whole fan-out is bounded by one. */
    int64_t start = s_now_ms();
    for (int i = 0; i < S_FANOUT; i++)
        json_decref(s_expect_message(&ws[i], "text", NULL, mid));
    assert_true(s_now_ms() - start < WT_WAIT_MS);
    for (int i = 0; i < S_FANOUT; i++)
        wc_close(&ws[i]);
}

static void test_voice_clip_live_and_in_two_ranges(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "vca"), ben = ct_user(&s_sys, "vcb");
    ct_befriend(&s_sys, &ann, &ben);
    wc_t wb;
    wt_connect(&s_sys, &wb, ben.token);
    size_t len;
    unsigned char *ogg = md_fixture("voice.opus", &len);
    assert_true(len > 2);
    h_resp_t r = md_upload(&s_sys, &ann, ogg, len, "audio/ogg");
    h_expect_status(&r, 201);
    int64_t media = json_integer_value(json_object_get(r.json, "id"));
    assert_string_equal(json_string_value(json_object_get(r.json, "kind")), "voice");
    assert_true(json_integer_value(json_object_get(r.json, "duration_ms")) > 0);
    h_resp_free(&r);

    r = md_send(&s_sys, &ann, ben.id, "voice", media);
    h_expect_status(&r, 201);
    char mid[64];
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(r.json, "id")));
    h_resp_free(&r);
    json_t *m = s_expect_message(&wb, "voice", NULL, mid);
    json_t *mo = json_object_get(m, "media");
    assert_int_equal(json_integer_value(json_object_get(mo, "id")), media);
    assert_string_equal(json_string_value(json_object_get(mo, "mime")), "audio/ogg");
    assert_int_equal(json_integer_value(json_object_get(mo, "size")), len);
    json_decref(m);

    /* Two Range requests put back together give the exact bytes. */
    size_t half = len / 2;
    char range1[64], range2[64], cr[96];
    snprintf(range1, sizeof range1, "Range: bytes=0-%zu", half - 1);
    snprintf(range2, sizeof range2, "Range: bytes=%zu-", half);
    const char *h1[] = {range1, NULL}, *h2[] = {range2, NULL};
    unsigned char *joined = malloc(len);
    assert_non_null(joined);
    r = md_get(&s_sys, &ben, media, NULL, h1);
    h_expect_status(&r, 206);
    assert_int_equal(r.body_len, half);
    memcpy(joined, r.body, half);
    char *v = h_resp_header(&r, "Content-Range");
    snprintf(cr, sizeof cr, "bytes 0-%zu/%zu", half - 1, len);
    assert_non_null(v);
    assert_string_equal(v, cr);
    free(v);
    h_resp_free(&r);
    r = md_get(&s_sys, &ben, media, NULL, h2);
    h_expect_status(&r, 206);
    assert_int_equal(r.body_len, len - half);
    memcpy(joined + half, r.body, len - half);
    v = h_resp_header(&r, "Content-Range");
    snprintf(cr, sizeof cr, "bytes %zu-%zu/%zu", half, len - 1, len);
    assert_non_null(v);
    assert_string_equal(v, cr);
    free(v);
    h_resp_free(&r);
    assert_memory_equal(joined, ogg, len);
    free(joined);
    free(ogg);
    wc_close(&wb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basketball_group_story),
        cmocka_unit_test(test_fanout_to_twenty),
        cmocka_unit_test(test_voice_clip_live_and_in_two_ranges),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
