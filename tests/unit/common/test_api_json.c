/* test_api_json.c - API.md's user, contact, friend_request and message objects, and event frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "api_json.h"
#include "json.h"

/* 2026-11-24T20:39:03.123456Z */
#define S_T1 INT64_C(1795552743123456)

static Pigeon__Auth__User s_user(int64_t id, const char *username, const char *nickname)
{
    Pigeon__Auth__User u = PIGEON__AUTH__USER__INIT;
    u.id = id;
    u.username = (char *)username;
    u.nickname = (char *)nickname;
    u.add_policy = "open";
    u.created_at_us = S_T1;
    return u;
}

/* The object's text, for exact comparisons (keys keep insertion order). */
static char *s_text(json_t *v)
{
    assert_non_null(v);
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    assert_non_null(s);
    return s;
}

static void test_user_has_exactly_api_md_fields(void **state)
{
    Pigeon__Auth__User u = s_user(7, "alice", "Alice");
    char *s = s_text(pc_api_user(&u));
    assert_string_equal(s, "{\"id\":7,\"username\":\"alice\",\"nickname\":\"Alice\","
                           "\"avatar_media_id\":null,\"add_policy\":\"open\","
                           "\"created_at\":\"2026-11-24T20:39:03.123Z\"}");
    free(s);
}

static void test_user_avatar_and_large_ids_are_integers(void **state)
{
    Pigeon__Auth__User u = s_user(INT64_C(9007199254740991), "bob", "鲍勃");
    u.has_avatar_media_id = 1;
    u.avatar_media_id = 42;
    u.add_policy = "approval";
    json_t *v = pc_api_user(&u);
    assert_non_null(v);
    assert_true(json_is_integer(json_object_get(v, "id")));
    assert_int_equal(json_integer_value(json_object_get(v, "id")), INT64_C(9007199254740991));
    assert_int_equal(json_integer_value(json_object_get(v, "avatar_media_id")), 42);
    assert_string_equal(json_string_value(json_object_get(v, "nickname")), "鲍勃");
    assert_string_equal(json_string_value(json_object_get(v, "add_policy")), "approval");
    assert_int_equal(json_object_size(v), 6);
    json_decref(v);
}

static void test_contact_with_and_without_remark(void **state)
{
    Pigeon__Auth__User u = s_user(8, "carol", "Carol");
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    c.user = &u;
    c.kind = "friend";
    c.since_us = S_T1;
    json_t *v = pc_api_contact(&c);
    assert_non_null(v);
    assert_int_equal(json_object_size(v), 4);
    assert_true(json_is_null(json_object_get(v, "remark")));
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "friend");
    assert_string_equal(json_string_value(json_object_get(v, "since")), "2026-11-24T20:39:03.123Z");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "user"), "id")), 8);
    json_decref(v);

    c.remark = "老同学";
    c.kind = "follower";
    v = pc_api_contact(&c);
    assert_string_equal(json_string_value(json_object_get(v, "remark")), "老同学");
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "follower");
    json_decref(v);
}

static void test_friend_request_fields(void **state)
{
    Pigeon__Auth__User a = s_user(1, "alice", "Alice");
    Pigeon__Auth__User b = s_user(2, "bob", "Bob");
    Pigeon__Rel__FriendRequest r = PIGEON__REL__FRIEND_REQUEST__INIT;
    r.id = 99;
    r.from = &a;
    r.to = &b;
    r.status = "pending";
    r.created_at_us = S_T1;
    json_t *v = pc_api_friend_request(&r);
    assert_non_null(v);
    assert_int_equal(json_object_size(v), 6);
    assert_int_equal(json_integer_value(json_object_get(v, "id")), 99);
    assert_true(json_is_null(json_object_get(v, "message")));
    assert_string_equal(json_string_value(json_object_get(v, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "from"), "username")),
                        "alice");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "to"), "username")),
                        "bob");
    json_decref(v);

    r.message = "hi, it's Alice";
    v = pc_api_friend_request(&r);
    assert_string_equal(json_string_value(json_object_get(v, "message")), "hi, it's Alice");
    json_decref(v);
}

static void test_frame_is_final_websocket_text(void **state)
{
    Pigeon__Auth__User u = s_user(8, "carol", "Carol");
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    c.user = &u;
    c.kind = "one_way";
    c.since_us = S_T1;
    char *text = pc_api_frame("contact", "contact", pc_api_contact(&c));
    assert_non_null(text);
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "contact");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "contact"), "kind")),
                        "one_way");
    assert_null(strchr(text, '\n')); /* compact: one line */
    assert_int_equal(strncmp(text, "{\"type\":\"contact\",", 18), 0);
    json_decref(v);
    free(text);
}

/* The message object built from jansson values, field by field as API.md
 * lists them: what pc_api_message_text must equal, byte for byte. */
static char *s_message_oracle(const Pigeon__Msg__Message *m)
{
    json_t *media = m->media != NULL && !m->recalled ? pc_api_media(m->media) : NULL;
    return s_text(json_pack("{s:s, s:s, s:I, s:I, s:s, s:s?, s:o?, s:s?, s:o, s:b}", "id", m->id,
                            "conversation_id", m->conversation_id, "seq", (json_int_t)m->seq,
                            "sender_id", (json_int_t)m->sender_id, "kind", m->kind, "text", m->text,
                            "media", media, "client_msg_id", m->client_msg_id, "created_at",
                            pc_json_time(m->created_at_us), "recalled", (int)m->recalled));
}

static void s_check_message(const Pigeon__Msg__Message *m)
{
    char *want = s_message_oracle(m);
    size_t len = 0;
    char *got = pc_api_message_text(m, &len);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(got);
    /* the json_t form is the same object */
    char *again = s_text(pc_api_message(m));
    assert_string_equal(again, want);
    free(again);
    /* and the event frame wraps exactly it */
    json_t *v = json_loads(want, 0, NULL);
    char *frame_want = pc_api_frame("message", "message", v);
    char *frame = pc_api_message_frame("message", m, &len);
    assert_non_null(frame);
    assert_string_equal(frame, frame_want);
    assert_int_equal(len, strlen(frame_want));
    free(frame);
    free(frame_want);
    free(want);
}

static void test_message_text_is_the_jansson_encoding(void **state)
{
    (void)state;
    Pigeon__Msg__Message m = PIGEON__MSG__MESSAGE__INIT;
    m.id = "d:1:2.17";
    m.conversation_id = "d:1:2";
    m.seq = 17;
    m.sender_id = 1;
    m.kind = "text";
    m.text = "hello";
    m.client_msg_id = "c-1";
    m.created_at_us = S_T1;
    s_check_message(&m);
    /* every escape, Chinese text, the largest ids */
    m.text = "quote\" back\\ / tab\t nl\n cr\r bs\b ff\f \x01\x1f\x7f 你好，世界 😀";
    m.client_msg_id = "\"id\"\n";
    m.seq = INT64_MAX;
    m.sender_id = INT64_C(9007199254740993);
    s_check_message(&m);
    /* absent text and client id, a recall */
    m.text = NULL;
    m.client_msg_id = NULL;
    m.recalled = true;
    m.seq = 0;
    s_check_message(&m);
    /* media: present unless recalled */
    Pigeon__Media__Media md = PIGEON__MEDIA__MEDIA__INIT;
    md.id = 77;
    md.kind = "image";
    md.mime = "image/png";
    md.size = 1234;
    md.sha256 = "ab";
    md.has_width = md.has_height = true;
    md.width = 640;
    md.height = 480;
    md.created_at_us = S_T1;
    m.media = &md;
    m.kind = "image";
    s_check_message(&m);
    m.recalled = false;
    s_check_message(&m);
    /* times before 1970 and negative numbers */
    m.created_at_us = -1;
    m.sender_id = -5;
    s_check_message(&m);
}

static void test_message_text_refuses_what_json_cannot_carry(void **state)
{
    (void)state;
    size_t len = 0;
    assert_null(pc_api_message_text(NULL, &len));
    Pigeon__Msg__Message m = PIGEON__MSG__MESSAGE__INIT;
    m.id = "d:1:2.1";
    m.conversation_id = "d:1:2";
    m.kind = "text";
    m.text = "\xc0\xaf"; /* overlong '/' */
    assert_null(pc_api_message_text(&m, &len));
    assert_null(pc_api_message_frame("message", &m, &len));
    assert_null(pc_api_message(&m));
    m.text = "ok";
    m.id = NULL;
    assert_null(pc_api_message_text(&m, &len));
}

static void test_missing_input_gives_null(void **state)
{
    assert_null(pc_api_user(NULL));
    assert_null(pc_api_contact(NULL));
    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT; /* no user */
    c.kind = "friend";
    assert_null(pc_api_contact(&c));
    assert_null(pc_api_friend_request(NULL));
    assert_null(pc_api_frame("contact", "contact", NULL));
    /* invalid UTF-8 cannot become JSON: NULL, not a broken frame */
    Pigeon__Auth__User bad = s_user(1, "x", "\xc0\xaf");
    assert_null(pc_api_user(&bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_has_exactly_api_md_fields),
        cmocka_unit_test(test_user_avatar_and_large_ids_are_integers),
        cmocka_unit_test(test_contact_with_and_without_remark),
        cmocka_unit_test(test_friend_request_fields),
        cmocka_unit_test(test_frame_is_final_websocket_text),
        cmocka_unit_test(test_missing_input_gives_null),
        cmocka_unit_test(test_message_text_is_the_jansson_encoding),
        cmocka_unit_test(test_message_text_refuses_what_json_cannot_carry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
