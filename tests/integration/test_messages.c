/* test_messages.c - API.md "Messages and conversations" through the gateway,
 * against real pigeon-auth, pigeon-relationship, pigeon-router and
 * pigeon-gateway processes on a fresh database.
 *
 * The first test shows normal use (two friends chat); the later ones walk
 * the rules: who may message whom, idempotent resends, history paging,
 * unread and read, recall, conversation and message ids. Bad input, the
 * recall time limit and concurrency are in test_messages_edge.c. Every test
 * uses fresh users. */
#include "messages_calls.h"

static h_system_t s_sys;

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, mc_services, ct_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* API.md's message, with the fields a test knows. */
static void s_check_message(json_t *m, const char *cid, int64_t seq, int64_t sender,
                            const char *kind, const char *text)
{
    static const char *const keys[] = {
        "id",   "conversation_id", "seq",           "sender_id",  "kind",
        "text", "media",           "client_msg_id", "created_at", "recalled"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(m, keys[i]))
            fail_msg("message has no \"%s\"", keys[i]);
    assert_int_equal(json_object_size(m), 10);
    assert_true(json_is_string(json_object_get(m, "id")));
    assert_string_equal(json_string_value(json_object_get(m, "conversation_id")), cid);
    assert_int_equal(mc_int(m, "seq"), seq);
    assert_int_equal(mc_int(m, "sender_id"), sender);
    assert_string_equal(json_string_value(json_object_get(m, "kind")), kind);
    if (text)
        assert_string_equal(json_string_value(json_object_get(m, "text")), text);
    else
        assert_true(json_is_null(json_object_get(m, "text")));
    assert_true(json_is_null(json_object_get(m, "media")));
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(m, "created_at"))));
}

/* The seqs of a history page, and has_more. */
static void s_expect_page(const ct_user_t *u, const char *cid, const char *query,
                          const int64_t *seqs, size_t n, bool has_more)
{
    h_resp_t r = mc_history(&s_sys, u, cid, query, 200, NULL);
    json_t *list = json_object_get(r.json, "messages");
    assert_true(json_is_array(list));
    if (json_array_size(list) != n)
        fail_msg("%s: %zu messages, expected %zu: %s", query, json_array_size(list), n, r.body);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mc_int(json_array_get(list, i), "seq"), seqs[i]);
    assert_true(json_is_boolean(json_object_get(r.json, "has_more")));
    if (json_is_true(json_object_get(r.json, "has_more")) != has_more)
        fail_msg("%s: has_more should be %d: %s", query, has_more, r.body);
    h_resp_free(&r);
}

static void test_friends_chat(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);

    h_resp_t r = mc_send(&s_sys, &ann, ben.id, "hello-1", "Hi Ben 👋");
    h_expect_status(&r, 201);
    s_check_message(r.json, cid, 1, ann.id, "text", "Hi Ben 👋");
    assert_string_equal(json_string_value(json_object_get(r.json, "client_msg_id")), "hello-1");
    assert_true(json_is_false(json_object_get(r.json, "recalled")));
    h_resp_free(&r);
    assert_int_equal(mc_send_ok(&s_sys, &ben, ann.id, "Hi Ann", NULL, 0), 2);

    /* Both see the same history. */
    const int64_t both[] = {1, 2};
    s_expect_page(&ann, cid, NULL, both, 2, false);
    s_expect_page(&ben, cid, NULL, both, 2, false);

    /* Ben answered, so he has read everything; Ann has not read his reply. */
    json_t *c = mc_conversation(&s_sys, &ann, cid);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "direct");
    h_check_user(json_object_get(c, "peer"), ben.name, NULL);
    assert_true(json_is_null(json_object_get(c, "group")));
    assert_int_equal(mc_int(c, "last_seq"), 2);
    assert_int_equal(mc_int(c, "read_seq"), 1);
    assert_int_equal(mc_int(c, "peer_read_seq"), 2);
    assert_int_equal(mc_int(c, "unread"), 1);
    s_check_message(json_object_get(c, "last_message"), cid, 2, ben.id, "text", "Hi Ann");
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(c, "updated_at"))));
    json_decref(c);
    c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "unread"), 0);
    assert_int_equal(mc_int(c, "read_seq"), 2);
    json_decref(c);
}

static void test_conversations_newest_first(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cat = ct_user(&s_sys, "cat");
    ct_befriend(&s_sys, &ann, &ben);
    ct_befriend(&s_sys, &ann, &cat);
    mc_send_ok(&s_sys, &ann, ben.id, "one", NULL, 0);
    mc_send_ok(&s_sys, &ann, cat.id, "two", NULL, 0);
    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/conversations", ann.token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "conversations");
    assert_int_equal(json_array_size(list), 2);
    char first[64], second[64];
    mc_cid(&ann, &cat, first, sizeof first);
    mc_cid(&ann, &ben, second, sizeof second);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), first);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "id")), second);
    h_resp_free(&r);
    mc_send_ok(&s_sys, &ben, ann.id, "three", NULL, 0);
    r = ct_expect(&s_sys, "GET", "/v1/conversations", ann.token, NULL, 200, NULL);
    list = json_object_get(r.json, "conversations");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), second);
    h_resp_free(&r);
}

static void test_one_way_both_directions(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    assert_int_equal(mc_send_ok(&s_sys, &ann, ben.id, "hi", NULL, 0), 1);
    /* the person added can answer */
    assert_int_equal(mc_send_ok(&s_sys, &ben, ann.id, "who are you?", NULL, 0), 2);
}

static void test_who_may_not_message(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cat = ct_user(&s_sys, "cat"), dan = ct_user(&s_sys, "dan");
    mc_send_expect(&s_sys, &ann, ben.id, "x1", 403, "forbidden"); /* not contacts */
    ct_ask(&s_sys, &ann, &cat);                                   /* pending only */
    mc_send_expect(&s_sys, &ann, cat.id, "x2", 403, "forbidden");
    mc_send_expect(&s_sys, &cat, ann.id, "x3", 403, "forbidden");
    ct_befriend(&s_sys, &ann, &dan);
    mc_send_expect(&s_sys, &ann, dan.id, "before-block", 201, NULL); /* allowed, now cached */
    ct_check(&s_sys, "POST", "/v1/blocks", dan.token,
             json_pack("{s:I}", "user_id", (json_int_t)ann.id), 204, NULL);
    mc_send_expect(&s_sys, &ann, dan.id, "x4", 403, "forbidden");    /* blocked: cache dropped */
    mc_send_expect(&s_sys, &ann, dan.id, "before-block", 200, NULL); /* a resend still answers */
    mc_send_ok(&s_sys, &dan, ann.id, "the blocker may still write", NULL, 0);
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%" PRId64, ann.id);
    ct_check(&s_sys, "DELETE", path, dan.token, NULL, 204, NULL);
    mc_send_expect(&s_sys, &ann, dan.id, "x7", 201, NULL); /* unblocked: refusal dropped */
    mc_send_expect(&s_sys, &ann, (int64_t)1 << 50, "x5", 404, "not_found"); /* no such user */
    mc_send_expect(&s_sys, &ann, ann.id, "x6", 400, "invalid_argument");    /* myself */
    ct_check(&s_sys, "POST", "/v1/messages", ann.token,
             json_pack("{s:{s:i}, s:s, s:s, s:s}", "to", "group_id", 1, "client_msg_id", "g1",
                       "kind", "text", "text", "hi"),
             503, "unavailable"); /* pigeon-group is not running here */
}

static void test_idempotent_resend(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    h_resp_t first = mc_send(&s_sys, &ann, ben.id, "same-key", "hello");
    h_expect_status(&first, 201);
    h_resp_t again = mc_send(&s_sys, &ann, ben.id, "same-key", "hello");
    h_expect_status(&again, 200);
    assert_true(json_equal(first.json, again.json));
    h_resp_free(&again);
    again = mc_send(&s_sys, &ann, ben.id, "same-key", "something else");
    h_expect_error(&again, 409, "conflict");
    h_resp_free(&again);
    h_resp_free(&first);
    /* a retry with the same Idempotency-Key gets the first answer, 201 */
    static const char *const hdr[] = {"Idempotency-Key: retry-1", NULL};
    char body[256];
    snprintf(body, sizeof body,
             "{\"to\":{\"user_id\":%" PRId64 "},\"client_msg_id\":\"idem\",\"kind\":\"text\","
             "\"text\":\"x\"}",
             ben.id);
    h_resp_t k1 = h_http(&s_sys, "POST", "/v1/messages", ann.token, body, hdr);
    h_expect_status(&k1, 201);
    h_resp_t k2 = h_http(&s_sys, "POST", "/v1/messages", ann.token, body, hdr);
    h_expect_status(&k2, 201);
    assert_true(json_equal(k1.json, k2.json));
    h_resp_free(&k2);
    k2 = h_http(&s_sys, "POST", "/v1/messages", ann.token, body, NULL);
    h_expect_status(&k2, 200); /* a resend without the key */
    h_resp_free(&k2);
    h_resp_free(&k1);
    /* another sender may use the same key; no seq was burnt */
    h_resp_t r = mc_send(&s_sys, &ben, ann.id, "same-key", "hello");
    h_expect_status(&r, 201);
    assert_int_equal(mc_int(r.json, "seq"), 3); /* 1 "same-key", 2 "idem" */
    h_resp_free(&r);
}

static void test_history_paging(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(
            mc_send_ok(&s_sys, i % 2 ? &ann : &ben, i % 2 ? ben.id : ann.id, "m", NULL, 0), i);
    const int64_t all[] = {1, 2, 3, 4, 5};
    s_expect_page(&ann, cid, NULL, all, 5, false);
    s_expect_page(&ann, cid, "?after_seq=0&limit=2", all, 2, true);
    s_expect_page(&ann, cid, "?after_seq=2&limit=3", all + 2, 3, false);
    s_expect_page(&ann, cid, "?after_seq=4&limit=2", all + 4, 1, false);
    s_expect_page(&ann, cid, "?after_seq=5", NULL, 0, false);
    s_expect_page(&ann, cid, "?before_seq=5&limit=2", all + 2, 2, true);
    s_expect_page(&ann, cid, "?before_seq=3&limit=5", all, 2, false);
    s_expect_page(&ann, cid, "?before_seq=1", NULL, 0, false);
    s_expect_page(&ann, cid, "?limit=2", all + 3, 2, true);
    s_expect_page(&ann, cid, "?limit=5", all, 5, false);
    s_expect_page(&ann, cid, "?limit=200", all, 5, false);
    static const char *const bad[] = {"?limit=0",
                                      "?limit=201",
                                      "?limit=x",
                                      "?after_seq=-1",
                                      "?before_seq=1.5",
                                      "?after_seq=",
                                      "?after_seq=1&before_seq=3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h_resp_t r = mc_history(&s_sys, &ann, cid, bad[i], 400, "invalid_argument");
        h_resp_free(&r);
    }
}

static void test_unread_and_read(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    for (int i = 0; i < 3; i++)
        mc_send_ok(&s_sys, &ann, ben.id, "unread", NULL, 0);
    json_t *c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "unread"), 3);
    assert_int_equal(mc_int(c, "read_seq"), 0);
    json_decref(c);
    mc_read(&s_sys, &ben, cid, 2, 204, NULL);
    c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "unread"), 1);
    assert_int_equal(mc_int(c, "read_seq"), 2);
    json_decref(c);
    mc_read(&s_sys, &ben, cid, 1, 204, NULL); /* never backwards */
    c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "read_seq"), 2);
    json_decref(c);
    mc_read(&s_sys, &ben, cid, 1000, 204, NULL); /* clamped to last_seq */
    c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "read_seq"), 3);
    assert_int_equal(mc_int(c, "unread"), 0);
    json_decref(c);
    c = mc_conversation(&s_sys, &ann, cid);
    assert_int_equal(mc_int(c, "peer_read_seq"), 3);
    json_decref(c);
    /* bad bodies */
    char path[128];
    snprintf(path, sizeof path, "/v1/conversations/%s/read", cid);
    ct_check(&s_sys, "POST", path, ben.token, json_pack("{s:s}", "seq", "2"), 400,
             "invalid_argument");
    ct_check(&s_sys, "POST", path, ben.token, json_pack("{s:i}", "seq", -1), 400,
             "invalid_argument");
    ct_check(&s_sys, "POST", path, ben.token, json_object(), 400, "invalid_argument");
}

static void test_recall(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    char cid[64], id[96];
    mc_cid(&ann, &ben, cid, sizeof cid);
    mc_send_ok(&s_sys, &ann, ben.id, "oops", id, sizeof id);
    h_resp_t r = mc_recall(&s_sys, &ben, id, 403, "forbidden"); /* not the sender */
    h_resp_free(&r);
    r = mc_recall(&s_sys, &ann, id, 200, NULL);
    s_check_message(r.json, cid, 1, ann.id, "text", NULL);
    assert_true(json_is_true(json_object_get(r.json, "recalled")));
    assert_string_equal(json_string_value(json_object_get(r.json, "id")), id);
    h_resp_free(&r);
    r = mc_recall(&s_sys, &ann, id, 200, NULL); /* again: the same answer */
    assert_true(json_is_true(json_object_get(r.json, "recalled")));
    h_resp_free(&r);

    /* the recalled message and the marker */
    r = mc_history(&s_sys, &ben, cid, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(list), 2);
    s_check_message(json_array_get(list, 0), cid, 1, ann.id, "text", NULL);
    assert_true(json_is_true(json_object_get(json_array_get(list, 0), "recalled")));
    json_t *marker = json_array_get(list, 1);
    s_check_message(marker, cid, 2, ann.id, "system", "{\"event\":\"message_recalled\",\"seq\":1}");
    assert_true(json_is_null(json_object_get(marker, "client_msg_id")));
    h_resp_free(&r);
    /* unread: the recalled message counts, the marker does not; the
     * recaller's read position moved to the marker */
    json_t *c = mc_conversation(&s_sys, &ben, cid);
    assert_int_equal(mc_int(c, "unread"), 1);
    assert_int_equal(mc_int(c, "last_seq"), 2);
    json_decref(c);
    c = mc_conversation(&s_sys, &ann, cid);
    assert_int_equal(mc_int(c, "read_seq"), 2);
    assert_int_equal(mc_int(c, "unread"), 0);
    json_decref(c);
    /* a system message cannot be recalled */
    char marker_id[128];
    snprintf(marker_id, sizeof marker_id, "%s.2", cid);
    r = mc_recall(&s_sys, &ann, marker_id, 403, "forbidden");
    h_resp_free(&r);
}

static void test_ids_of_others_and_malformed(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t eve = ct_user(&s_sys, "eve");
    ct_befriend(&s_sys, &ann, &ben);
    char cid[64], id[96], empty[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    mc_send_ok(&s_sys, &ann, ben.id, "private", id, sizeof id);
    h_resp_t r = mc_history(&s_sys, &eve, cid, NULL, 404, "not_found");
    h_resp_free(&r);
    mc_read(&s_sys, &eve, cid, 1, 404, "not_found");
    r = mc_recall(&s_sys, &eve, id, 404, "not_found");
    h_resp_free(&r);
    /* a message id in my conversation that does not exist */
    char missing[128];
    snprintf(missing, sizeof missing, "%s.99", cid);
    r = mc_recall(&s_sys, &ann, missing, 404, "not_found");
    h_resp_free(&r);

    static const char *const bad[] = {"d:5:3",  "d:3:3", "x:1", "d:a:b", "d:1:99999999999999999",
                                      "d:01:5", "d:1",   "g:",  "d:-1:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = mc_history(&s_sys, &ann, bad[i], NULL, 400, "invalid_argument");
        h_resp_free(&r);
        mc_read(&s_sys, &ann, bad[i], 1, 400, "invalid_argument");
    }
    r = mc_history(&s_sys, &ann, "g:1", NULL, 503, "unavailable"); /* no pigeon-group here */
    h_resp_free(&r);
    r = mc_history(&s_sys, &ann, "d%3A1%3A2", NULL, ann.id == 1 || ann.id == 2 ? 200 : 404,
                   NULL); /* url-encoded */
    h_resp_free(&r);
    static const char *const bad_ids[] = {"zzz", "d:5:3.1", "d:1:2.0", "d:1:2.x", "d:1:2"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        r = mc_recall(&s_sys, &ann, bad_ids[i], 400, "invalid_argument");
        h_resp_free(&r);
    }
    /* an empty but valid conversation of mine */
    mc_cid(&ann, &eve, empty, sizeof empty);
    r = mc_history(&s_sys, &ann, empty, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "messages")), 0);
    assert_true(json_is_false(json_object_get(r.json, "has_more")));
    h_resp_free(&r);
    mc_read(&s_sys, &ann, empty, 5, 204, NULL);
}

int main(void)
{
    if (!h_have_binary("pigeon-router")) {
        printf("pigeon-router not built; skipping\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_friends_chat),
        cmocka_unit_test(test_conversations_newest_first),
        cmocka_unit_test(test_one_way_both_directions),
        cmocka_unit_test(test_who_may_not_message),
        cmocka_unit_test(test_idempotent_resend),
        cmocka_unit_test(test_history_paging),
        cmocka_unit_test(test_unread_and_read),
        cmocka_unit_test(test_recall),
        cmocka_unit_test(test_ids_of_others_and_malformed),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
