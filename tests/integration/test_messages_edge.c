/* test_messages_edge.c - messages: bad input, the recall time limit and
 * concurrent sends, through the gateway against real processes.
 *
 * This system runs pigeon-router with PIGEON_RECALL_WINDOW_S=0, so every
 * recall is "too late" at once: the 120 s rule is tested without waiting.
 * (The recall within the window is in test_messages.c.) */
#include <pthread.h>

#include "messages_calls.h"

static h_system_t s_sys;

static const char *const s_env[] = {
    "PIGEON_RATE_REGISTER_PER_IP=100000", "PIGEON_RATE_LOGIN_PER_IP=100000",
    "PIGEON_RATE_LOGIN_PER_USER=100000", "PIGEON_RECALL_WINDOW_S=0", NULL};

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, mc_services, s_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

static void test_recall_too_late(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char id[96];
    mc_send_ok(&s_sys, &ann, ben.id, "forever", id, sizeof id);
    h_resp_t r = mc_recall(&s_sys, &ann, id, 403, "forbidden");
    h_resp_free(&r);
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    r = mc_history(&s_sys, &ben, cid, NULL, 200, NULL);
    json_t *m = json_array_get(json_object_get(r.json, "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "text")), "forever");
    assert_true(json_is_false(json_object_get(m, "recalled")));
    assert_int_equal(json_array_size(json_object_get(r.json, "messages")), 1);
    h_resp_free(&r);
}

/* POST /v1/messages with a raw body must answer 400 invalid_argument. */
static void s_bad_send(const ct_user_t *u, const char *body)
{
    h_resp_t r = h_http(&s_sys, "POST", "/v1/messages", u->token, body, NULL);
    if (r.status != 400)
        fail_msg("%s: expected 400, got %ld %s", body, r.status, r.body);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char body[512];
#define S_BAD(fmt) (snprintf(body, sizeof body, fmt, (long long)ben.id), s_bad_send(&ann, body))
    S_BAD("{\"to\":%lld,\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD(
        "{\"to\":{\"user_id\":\"%lld\"},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld,\"group_id\":1},\"client_msg_id\":\"a\",\"kind\":\"text\","
          "\"text\":\"x\"}");
    S_BAD("{\"to\":{},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"x%lld\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":1,\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"gif\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"text\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":7}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a b\",\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"\",\"kind\":\"text\",\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"\xc3\xa9\",\"kind\":\"text\","
          "\"text\":\"x\"}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"x\","
          "\"media_id\":5}");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"text\",\"text\":\"x\"");
    S_BAD("{\"to\":{\"user_id\":%lld},\"client_msg_id\":\"a\",\"kind\":\"voice\",\"text\":\"x\","
          "\"media_id\":5}");
#undef S_BAD
    /* image and voice need a media_id and carry no text (judged before
     * pigeon-media is asked; test_media.c sends real ones) */
    h_resp_t r = h_call(&s_sys, "POST", "/v1/messages", ann.token,
                        json_pack("{s:{s:I}, s:s, s:s}", "to", "user_id", (json_int_t)ben.id,
                                  "client_msg_id", "img", "kind", "image"));
    h_expect_error(&r, 400, "invalid_argument");
    assert_non_null(strstr(r.body, "media_id"));
    h_resp_free(&r);
    /* client_msg_id: 64 characters pass, 65 do not */
    char *k64 = h_repeat("k", 64), *k65 = h_repeat("k", 65);
    mc_send_expect(&s_sys, &ann, ben.id, k64, 201, NULL);
    mc_send_expect(&s_sys, &ann, ben.id, k65, 400, "invalid_argument");
    free(k64);
    free(k65);
    /* text: 4000 characters pass (even of 4 bytes each), 4001 do not */
    char *t4000 = h_repeat("😀", 4000), *t4001 = h_repeat("a", 4001);
    r = mc_send(&s_sys, &ann, ben.id, "long-ok", t4000);
    h_expect_status(&r, 201);
    h_resp_free(&r);
    r = mc_send(&s_sys, &ann, ben.id, "long-bad", t4001);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    free(t4000);
    free(t4001);
    /* a body over 64 KiB */
    char *huge = h_repeat("a", 70000);
    r = mc_send(&s_sys, &ann, ben.id, "huge", huge);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);
    free(huge);
    /* no token */
    r = h_http(&s_sys, "GET", "/v1/conversations", NULL, NULL, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

/* ------------------------------------------------------------------ concurrency */

#define S_THREADS 8
#define S_PER_THREAD 12

typedef struct {
    const ct_user_t *from;       /* sender */
    int64_t to;                  /* recipient */
    int index;                   /* thread number */
    const char *same_key;        /* NULL: distinct keys; else every send uses it */
    long statuses[S_PER_THREAD]; /* what each send answered */
    char ids[S_PER_THREAD][96];  /* message ids answered */
} s_worker_t;

static void *s_sender(void *arg)
{
    s_worker_t *w = arg;
    int n = w->same_key ? 1 : S_PER_THREAD;
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "t%d-%d", w->index, i);
        h_resp_t r = mc_send(&s_sys, w->from, w->to, w->same_key ? w->same_key : key, "race");
        w->statuses[i] = r.status;
        const char *id = json_string_value(json_object_get(r.json, "id"));
        snprintf(w->ids[i], sizeof w->ids[i], "%s", id ? id : "");
        h_resp_free(&r);
    }
    return NULL;
}

static void s_run(s_worker_t *workers)
{
    pthread_t t[S_THREADS];
    for (int i = 0; i < S_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, s_sender, &workers[i]), 0);
    for (int i = 0; i < S_THREADS; i++)
        pthread_join(t[i], NULL);
}

static void test_concurrent_sends_gap_free(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    s_worker_t w[S_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < S_THREADS; i++) {
        w[i].from = i % 2 ? &ann : &ben;
        w[i].to = i % 2 ? ben.id : ann.id;
        w[i].index = i;
    }
    s_run(w);
    for (int i = 0; i < S_THREADS; i++)
        for (int j = 0; j < S_PER_THREAD; j++)
            assert_int_equal(w[i].statuses[j], 201);
    char cid[64], query[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    snprintf(query, sizeof query, "?after_seq=0&limit=200");
    h_resp_t r = mc_history(&s_sys, &ann, cid, query, 200, NULL);
    json_t *list = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(list), S_THREADS * S_PER_THREAD);
    for (size_t i = 0; i < json_array_size(list); i++)
        assert_int_equal(mc_int(json_array_get(list, i), "seq"), (int64_t)i + 1);
    h_resp_free(&r);
    json_t *c = mc_conversation(&s_sys, &ann, cid);
    assert_int_equal(mc_int(c, "last_seq"), S_THREADS * S_PER_THREAD);
    json_decref(c);
}

static void test_concurrent_same_client_msg_id(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    s_worker_t w[S_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < S_THREADS; i++)
        w[i] = (s_worker_t){.from = &ann, .to = ben.id, .index = i, .same_key = "only-once"};
    s_run(w);
    int created = 0;
    for (int i = 0; i < S_THREADS; i++) {
        assert_true(w[i].statuses[0] == 201 || w[i].statuses[0] == 200);
        created += w[i].statuses[0] == 201;
        assert_string_equal(w[i].ids[0], w[0].ids[0]);
    }
    assert_int_equal(created, 1);
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    json_t *c = mc_conversation(&s_sys, &ann, cid);
    assert_int_equal(mc_int(c, "last_seq"), 1);
    json_decref(c);
}

int main(void)
{
    if (!h_have_binary("pigeon-router")) {
        printf("pigeon-router not built; skipping\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall_too_late),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_concurrent_sends_gap_free),
        cmocka_unit_test(test_concurrent_same_client_msg_id),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
