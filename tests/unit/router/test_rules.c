/* test_rules.c - pigeon-router's pure rules: ids, validation, paging, read
 * positions, recall. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "router_rules.h"

static void test_direct_cid_round_trip(void **state)
{
    (void)state;
    char cid[ROUTER_CID_MAX];
    router_cid_direct(7, 3, cid, sizeof cid);
    assert_string_equal(cid, "d:3:7");
    router_cid_t c;
    assert_true(router_cid_parse(cid, &c));
    assert_int_equal(c.kind, ROUTER_DIRECT);
    assert_int_equal(c.a, 3);
    assert_int_equal(c.b, 7);
    assert_true(router_cid_has_user(&c, 3));
    assert_false(router_cid_has_user(&c, 4));
    assert_int_equal(router_cid_peer(&c, 3), 7);
    assert_int_equal(router_cid_peer(&c, 7), 3);
    assert_int_equal(router_cid_peer(&c, 5), 0);
    router_cid_direct(1, ROUTER_ID_MAX, cid, sizeof cid);
    assert_true(router_cid_parse(cid, &c));
    assert_int_equal(c.b, ROUTER_ID_MAX);
}

static void test_group_cid(void **state)
{
    (void)state;
    router_cid_t c;
    assert_true(router_cid_parse("g:42", &c));
    assert_int_equal(c.kind, ROUTER_GROUP);
    assert_int_equal(c.a, 42);
    assert_false(router_cid_has_user(&c, 42));
}

static void test_malformed_cids(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "d:5:3",
                                      "d:3:3",
                                      "x:1",
                                      "d:a:b",
                                      "d:1",
                                      "d:1:",
                                      "d::2",
                                      "d:01:5",
                                      "d:0:5",
                                      "d:-1:5",
                                      "d:1:2:3",
                                      "g:",
                                      "g:0",
                                      "g:1x",
                                      "D:1:2",
                                      "d:1:9007199254740992",
                                      "d:1:99999999999999999",
                                      "g:9007199254740992",
                                      " d:1:2",
                                      "d:1:2 ",
                                      "d:+1:2"};
    router_cid_t c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (router_cid_parse(bad[i], &c))
            fail_msg("\"%s\" parsed", bad[i]);
    assert_false(router_cid_parse(NULL, &c));
}

static void test_message_ids(void **state)
{
    (void)state;
    char id[ROUTER_MSG_ID_MAX], cid[ROUTER_CID_MAX];
    int64_t seq = 0;
    router_msg_id_format("d:3:7", 42, id, sizeof id);
    assert_string_equal(id, "d:3:7.42");
    assert_true(router_msg_id_parse(id, cid, sizeof cid, &seq));
    assert_string_equal(cid, "d:3:7");
    assert_int_equal(seq, 42);
    assert_true(router_msg_id_parse("g:5.1", cid, sizeof cid, &seq));
    static const char *const bad[] = {"",
                                      "zzz",
                                      "d:3:7",
                                      "d:3:7.",
                                      "d:3:7.0",
                                      "d:3:7.x",
                                      "d:7:3.1",
                                      ".1",
                                      "d:3:7.01",
                                      "d:3:7.1.2",
                                      "d:3:7.9007199254740992"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (router_msg_id_parse(bad[i], cid, sizeof cid, &seq))
            fail_msg("\"%s\" parsed", bad[i]);
}

static void test_client_msg_id(void **state)
{
    (void)state;
    assert_true(router_client_msg_id_ok("a"));
    assert_true(router_client_msg_id_ok("!~{}-_.0aZ"));
    char k[70];
    memset(k, 'k', sizeof k);
    k[64] = '\0';
    assert_true(router_client_msg_id_ok(k));
    k[64] = 'k';
    k[65] = '\0';
    assert_false(router_client_msg_id_ok(k));
    assert_false(router_client_msg_id_ok(""));
    assert_false(router_client_msg_id_ok("a b"));
    assert_false(router_client_msg_id_ok("tab\t"));
    assert_false(router_client_msg_id_ok("\xc3\xa9"));
    assert_false(router_client_msg_id_ok("del\x7f"));
    assert_false(router_client_msg_id_ok(NULL));
}

static void test_text(void **state)
{
    (void)state;
    assert_true(router_text_ok("hi"));
    assert_true(router_text_ok("line\nbreak\ttab"));
    assert_true(router_text_ok("你好"));
    assert_false(router_text_ok(""));
    assert_false(router_text_ok(NULL));
    assert_false(router_text_ok("bad \xc3"));
    static char big[4 * 4001 + 1];
    for (int i = 0; i < 4000; i++)
        memcpy(big + 4 * i, "\xf0\x9f\x98\x80", 4); /* 4000 four-byte characters */
    big[4 * 4000] = '\0';
    assert_true(router_text_ok(big));
    memset(big, 'a', 4001);
    big[4001] = '\0';
    assert_false(router_text_ok(big));
}

static void test_kinds(void **state)
{
    (void)state;
    assert_int_equal(router_kind_parse("text"), ROUTER_KIND_TEXT);
    assert_int_equal(router_kind_parse("image"), ROUTER_KIND_MEDIA);
    assert_int_equal(router_kind_parse("voice"), ROUTER_KIND_MEDIA);
    assert_int_equal(router_kind_parse("system"), ROUTER_KIND_BAD);
    assert_int_equal(router_kind_parse("Text"), ROUTER_KIND_BAD);
    assert_int_equal(router_kind_parse(NULL), ROUTER_KIND_BAD);
}

static void test_page_plans(void **state)
{
    (void)state;
    router_page_t p;
    assert_null(router_page_plan(false, 0, false, 0, false, 0, &p));
    assert_true(p.descending);
    assert_false(p.has_bound);
    assert_int_equal(p.limit, 50);
    assert_null(router_page_plan(true, 10, false, 0, true, 200, &p));
    assert_false(p.descending);
    assert_int_equal(p.bound, 10);
    assert_int_equal(p.limit, 200);
    assert_null(router_page_plan(false, 0, true, 0, true, 1, &p));
    assert_true(p.descending);
    assert_true(p.has_bound);
    assert_non_null(router_page_plan(false, 0, false, 0, true, 0, &p));
    assert_non_null(router_page_plan(false, 0, false, 0, true, 201, &p));
    assert_non_null(router_page_plan(true, 1, true, 5, false, 0, &p));
    assert_non_null(router_page_plan(true, -1, false, 0, false, 0, &p));
    /* has_more: the store reads limit + 1 rows */
    assert_null(router_page_plan(true, 0, false, 0, true, 2, &p));
    assert_false(router_page_has_more(&p, 2));
    assert_true(router_page_has_more(&p, 3));
}

static void test_unread_and_read_target(void **state)
{
    (void)state;
    assert_int_equal(router_unread(10, 4), 6);
    assert_int_equal(router_unread(4, 4), 0);
    assert_int_equal(router_unread(3, 4), 0);
    assert_int_equal(router_read_target(5, 10, 2), 5);
    assert_int_equal(router_read_target(50, 10, 2), 10); /* clamped */
    assert_int_equal(router_read_target(1, 10, 2), -1);  /* never backwards */
    assert_int_equal(router_read_target(2, 10, 2), -1);
    assert_int_equal(router_read_target(5, 0, 0), -1); /* empty conversation */
}

static void test_recall_rules(void **state)
{
    (void)state;
    assert_int_equal(router_recall_decide(1, 1, false, false, 10, 120), ROUTER_RECALL_OK);
    assert_int_equal(router_recall_decide(1, 1, false, false, 121, 120), ROUTER_RECALL_TOO_LATE);
    assert_int_equal(router_recall_decide(2, 1, false, false, 1, 120), ROUTER_RECALL_NOT_SENDER);
    assert_int_equal(router_recall_decide(2, 1, false, true, 1, 120), ROUTER_RECALL_NOT_SENDER);
    assert_int_equal(router_recall_decide(1, 1, false, true, 500, 120), ROUTER_RECALL_ALREADY);
    assert_int_equal(router_recall_decide(1, 1, true, false, 1, 120), ROUTER_RECALL_SYSTEM);
    assert_int_equal(router_recall_decide(1, 1, false, false, 0.001, 0), ROUTER_RECALL_TOO_LATE);
    assert_string_not_equal(router_recall_message(ROUTER_RECALL_TOO_LATE), "");
}

static void test_resend_same(void **state)
{
    (void)state;
    router_send_key_t stored = {.cid = "d:1:2", .kind = "text", .text = "hi"};
    router_send_key_t sent = stored;
    assert_true(router_resend_same(&stored, false, &sent));
    sent.text = "hello";
    assert_false(router_resend_same(&stored, false, &sent));
    /* Recalled: the text is gone, conversation and kind still count. */
    stored.text = NULL;
    assert_true(router_resend_same(&stored, true, &sent));
    sent.cid = "d:1:3";
    assert_false(router_resend_same(&stored, true, &sent));
    sent.cid = "d:1:2";
    sent.kind = "image";
    assert_false(router_resend_same(&stored, true, &sent));

    router_send_key_t img = {.cid = "g:7", .kind = "image", .has_media = true, .media_id = 5};
    router_send_key_t again = img;
    assert_true(router_resend_same(&img, false, &again));
    again.media_id = 6;
    assert_false(router_resend_same(&img, false, &again));
    again.has_media = false;
    again.media_id = 0;
    assert_false(router_resend_same(&img, false, &again));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_cid_round_trip),
        cmocka_unit_test(test_group_cid),
        cmocka_unit_test(test_malformed_cids),
        cmocka_unit_test(test_message_ids),
        cmocka_unit_test(test_client_msg_id),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_page_plans),
        cmocka_unit_test(test_unread_and_read_target),
        cmocka_unit_test(test_recall_rules),
        cmocka_unit_test(test_resend_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
