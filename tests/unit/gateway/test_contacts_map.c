/* Contacts JSON -> protobuf (strict types, optional text) and protobuf -> JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "contacts_map.h"
#include "json.h"

static json_t *s_obj(const char *text)
{
    char err[256];
    json_t *o = pc_json_parse_object(text, strlen(text), err, sizeof err);
    assert_non_null(o);
    return o;
}

/* Maps text with gw_map_add_contact; expects failure with `why`, or success when why is NULL. */
static void s_add(const char *text, const char *why, Pigeon__Rel__AddRequest *r)
{
    char err[256] = "";
    json_t *o = s_obj(text);
    int rc = gw_map_add_contact(o, r, err, sizeof err);
    if (why) {
        assert_int_equal(rc, -1);
        assert_string_equal(err, why);
    } else {
        assert_int_equal(rc, 0);
    }
    json_decref(o);
}

static void test_map_add_contact(void **state)
{
    Pigeon__Rel__AddRequest r;
    char err[256];
    json_t *o = s_obj("{\"user_id\":42,\"mode\":\"two_way\",\"message\":\"hi\",\"remark\":\"Bob\","
                      "\"extra\":true}");
    assert_int_equal(gw_map_add_contact(o, &r, err, sizeof err), 0);
    assert_int_equal(r.user_id, 42);
    assert_string_equal(r.mode, "two_way");
    assert_string_equal(r.message, "hi");
    assert_string_equal(r.remark, "Bob");
    json_decref(o);

    /* message and remark: null is the same as absent. */
    o = s_obj("{\"user_id\":9007199254740991,\"mode\":\"one_way\",\"message\":null}");
    assert_int_equal(gw_map_add_contact(o, &r, err, sizeof err), 0);
    assert_int_equal(r.user_id, 9007199254740991LL);
    assert_string_equal(r.mode, "one_way");
    assert_null(r.message);
    assert_null(r.remark);
    json_decref(o);
}

static void test_map_add_contact_refuses_bad_shapes(void **state)
{
    Pigeon__Rel__AddRequest r;
    const char *range = "field \"user_id\" must be an integer from 1 to 9007199254740991";
    s_add("{\"mode\":\"one_way\"}", "field \"user_id\" is required", &r);
    s_add("{\"user_id\":\"5\",\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":null,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":5.0,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":0,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":-3,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":9007199254740992,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":true,\"mode\":\"one_way\"}", range, &r);
    s_add("{\"user_id\":5}", "field \"mode\" is required", &r);
    s_add("{\"user_id\":5,\"mode\":null}", "field \"mode\" must be a string", &r);
    s_add("{\"user_id\":5,\"mode\":1}", "field \"mode\" must be a string", &r);
    s_add("{\"user_id\":5,\"mode\":\"both\"}", "field \"mode\" must be \"one_way\" or \"two_way\"",
          &r);
    s_add("{\"user_id\":5,\"mode\":\"ONE_WAY\"}",
          "field \"mode\" must be \"one_way\" or \"two_way\"", &r);
    s_add("{\"user_id\":5,\"mode\":\"two_way\",\"message\":7}",
          "field \"message\" must be a string", &r);
    s_add("{\"user_id\":5,\"mode\":\"two_way\",\"remark\":[]}", "field \"remark\" must be a string",
          &r);
}

static void test_map_block(void **state)
{
    char err[256];
    Pigeon__Rel__UserIdRequest r;
    json_t *o = s_obj("{\"user_id\":3}");
    assert_int_equal(gw_map_block(o, &r, err, sizeof err), 0);
    assert_int_equal(r.user_id, 3);
    json_decref(o);
    o = s_obj("{\"user_id\":\"3\"}");
    assert_int_equal(gw_map_block(o, &r, err, sizeof err), -1);
    json_decref(o);
    o = s_obj("{}");
    assert_int_equal(gw_map_block(o, &r, err, sizeof err), -1);
    assert_string_equal(err, "field \"user_id\" is required");
    json_decref(o);
}

static void s_user(Pigeon__Auth__User *u, int64_t id, char *name)
{
    pigeon__auth__user__init(u);
    u->id = id;
    u->username = name;
    u->nickname = name;
    u->add_policy = "open";
    u->created_at_us = 1700000000000000LL;
}

static char *s_dump(json_t *v)
{
    assert_non_null(v);
    char *text = pc_json_dump(v);
    json_decref(v);
    assert_non_null(text);
    return text;
}

static void test_answers(void **state)
{
    Pigeon__Auth__User a, b;
    s_user(&a, 1, "ann");
    s_user(&b, 2, "ben");

    Pigeon__Rel__Contact c = PIGEON__REL__CONTACT__INIT;
    c.user = &b;
    c.kind = "friend";
    c.since_us = 1700000000000000LL;
    Pigeon__Rel__AddReply add = PIGEON__REL__ADD_REPLY__INIT;
    add.contact = &c;
    char *text = s_dump(gw_add_reply_json(&add));
    assert_non_null(strstr(text, "{\"contact\":{\"user\":{\"id\":2,"));
    assert_non_null(strstr(text, "\"kind\":\"friend\",\"remark\":null,"));
    free(text);

    Pigeon__Rel__FriendRequest fr = PIGEON__REL__FRIEND_REQUEST__INIT;
    fr.id = 77;
    fr.from = &a;
    fr.to = &b;
    fr.status = "pending";
    add.contact = NULL;
    add.request = &fr;
    text = s_dump(gw_add_reply_json(&add));
    assert_non_null(strstr(text, "{\"request\":{\"id\":77,\"from\":{\"id\":1,"));
    assert_non_null(strstr(text, "\"message\":null,\"status\":\"pending\""));
    free(text);

    add.request = NULL; /* neither: nothing to answer */
    assert_null(gw_add_reply_json(&add));

    Pigeon__Rel__Contact *cs[] = {&c, &c};
    Pigeon__Rel__ContactList cl = PIGEON__REL__CONTACT_LIST__INIT;
    cl.contacts = cs;
    cl.n_contacts = 2;
    json_t *v = gw_contact_list_json(&cl);
    assert_int_equal(json_array_size(json_object_get(v, "contacts")), 2);
    json_decref(v);
    cl.n_contacts = 0;
    assert_string_equal(text = s_dump(gw_contact_list_json(&cl)), "{\"contacts\":[]}");
    free(text);

    Pigeon__Rel__FriendRequest *rs[] = {&fr};
    Pigeon__Rel__FriendRequestList rl = PIGEON__REL__FRIEND_REQUEST_LIST__INIT;
    rl.requests = rs;
    rl.n_requests = 1;
    v = gw_request_list_json(&rl);
    assert_int_equal(json_array_size(json_object_get(v, "requests")), 1);
    json_decref(v);

    Pigeon__Auth__User *us[] = {&a};
    Pigeon__Rel__BlockList bl = PIGEON__REL__BLOCK_LIST__INIT;
    bl.users = us;
    bl.n_users = 1;
    text = s_dump(gw_block_list_json(&bl));
    assert_non_null(strstr(text, "{\"users\":[{\"id\":1,\"username\":\"ann\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_add_contact),
        cmocka_unit_test(test_map_add_contact_refuses_bad_shapes),
        cmocka_unit_test(test_map_block),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
