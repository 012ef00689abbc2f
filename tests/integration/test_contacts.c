/* test_contacts.c - API.md "Contacts" rules through the gateway, against
 * real pigeon-auth, pigeon-relationship and pigeon-gateway processes on a
 * fresh database.
 *
 * The first tests show normal use (one_way adds, a friend request accepted);
 * the later ones walk every rule of API.md and issue 3: conflicts, who may
 * decide a request, blocks, removal. Bad input, authentication,
 * Idempotency-Key and concurrent calls are in test_contacts_edge.c. Every
 * test uses fresh users, so the tests do not depend on each other. */
#include "contacts_calls.h"

static h_system_t s_sys;

/* ------------------------------------------------------------------ checks */

static bool s_has_exactly(json_t *obj, const char *const *keys)
{
    size_t n = 0;
    for (; keys[n]; n++)
        if (!json_object_get(obj, keys[n]))
            return false;
    return json_object_size(obj) == n;
}

/* API.md's contact: {"user","kind","remark"|null,"since"}. */
static void s_check_contact(json_t *c, const ct_user_t *peer, const char *kind, const char *remark)
{
    static const char *const keys[] = {"user", "kind", "remark", "since", NULL};
    assert_true(s_has_exactly(c, keys));
    h_check_user(json_object_get(c, "user"), peer->name, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "user"), "id")),
                     peer->id);
    assert_string_equal(json_string_value(json_object_get(c, "kind")), kind);
    if (remark)
        assert_string_equal(json_string_value(json_object_get(c, "remark")), remark);
    else
        assert_true(json_is_null(json_object_get(c, "remark")));
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(c, "since"))));
}

/* API.md's friend_request. message NULL: null. */
static void s_check_request(json_t *q, const ct_user_t *from, const ct_user_t *to,
                            const char *message)
{
    static const char *const keys[] = {"id", "from", "to", "message", "status", "created_at", NULL};
    assert_true(s_has_exactly(q, keys));
    assert_true(json_integer_value(json_object_get(q, "id")) > 0);
    h_check_user(json_object_get(q, "from"), from->name, NULL);
    h_check_user(json_object_get(q, "to"), to->name, NULL);
    if (message)
        assert_string_equal(json_string_value(json_object_get(q, "message")), message);
    else
        assert_true(json_is_null(json_object_get(q, "message")));
    assert_string_equal(json_string_value(json_object_get(q, "status")), "pending");
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(q, "created_at"))));
}

static void s_set_policy(const ct_user_t *u, const char *policy)
{
    ct_check(&s_sys, "PATCH", "/v1/me", u->token, json_pack("{s:s}", "add_policy", policy), 200,
             NULL);
}

static void s_block(const ct_user_t *u, int64_t who, long status, const char *code)
{
    ct_check(&s_sys, "POST", "/v1/blocks", u->token, json_pack("{s:I}", "user_id", (json_int_t)who),
             status, code);
}

static void s_unblock(const ct_user_t *u, int64_t who)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%" PRId64, who);
    ct_check(&s_sys, "DELETE", path, u->token, NULL, 204, NULL);
}

static void s_remove(const ct_user_t *u, int64_t peer, long status, const char *code)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/contacts/%" PRId64, peer);
    ct_check(&s_sys, "DELETE", path, u->token, NULL, status, code);
}

/* ------------------------------------------------------------------ fixtures */

static int s_setup(void **state)
{
    h_system_start(&s_sys, ct_services, ct_env);
    ct_wait_relationship(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    h_system_stop(&s_sys);
    return 0;
}

/* ------------------------------------------------------------------ normal use */

static void test_one_way_add(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    h_resp_t r = ct_add(&s_sys, &ann, ben.id, "one_way", "ignored for one_way", "Ben from work");
    h_expect_status(&r, 201);
    assert_int_equal(json_object_size(r.json), 1);
    s_check_contact(json_object_get(r.json, "contact"), &ben, "one_way", "Ben from work");
    h_resp_free(&r);

    /* Mine is one_way, with my remark; for ben I am a follower, without it. */
    r = ct_expect(&s_sys, "GET", "/v1/contacts", ann.token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "contacts");
    assert_int_equal(json_array_size(list), 1);
    s_check_contact(json_array_get(list, 0), &ben, "one_way", "Ben from work");
    h_resp_free(&r);
    r = ct_expect(&s_sys, "GET", "/v1/contacts", ben.token, NULL, 200, NULL);
    list = json_object_get(r.json, "contacts");
    assert_int_equal(json_array_size(list), 1);
    s_check_contact(json_array_get(list, 0), &ann, "follower", NULL);
    h_resp_free(&r);

    /* A one_way add makes no request. */
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);

    /* A new user's lists are empty, not absent. */
    ct_user_t cid = ct_user(&s_sys, "cid");
    r = ct_expect(&s_sys, "GET", "/v1/contacts", cid.token, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "contacts")), 0);
    h_resp_free(&r);
    assert_int_equal(ct_pending(&s_sys, &cid, "incoming", NULL), 0);
}

static void test_friend_request_accepted(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    h_resp_t r =
        ct_add(&s_sys, &ann, ben.id, "two_way", "\xe4\xbd\xa0\xe5\xa5\xbd, it's Ann", "Benny");
    h_expect_status(&r, 202);
    assert_int_equal(json_object_size(r.json), 1);
    json_t *q = json_object_get(r.json, "request");
    s_check_request(q, &ann, &ben, "\xe4\xbd\xa0\xe5\xa5\xbd, it's Ann");
    int64_t id = json_integer_value(json_object_get(q, "id"));
    h_resp_free(&r);

    /* Pending: listed on both sides, no contact yet. */
    r = ct_expect(&s_sys, "GET", "/v1/friend-requests?direction=incoming", ben.token, NULL, 200,
                  NULL);
    json_t *list = json_object_get(r.json, "requests");
    assert_int_equal(json_array_size(list), 1);
    s_check_request(json_array_get(list, 0), &ann, &ben, "\xe4\xbd\xa0\xe5\xa5\xbd, it's Ann");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), id);
    h_resp_free(&r);
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", &ben), 1);
    assert_int_equal(ct_pending(&s_sys, &ann, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", NULL), 0);
    ct_expect_kind(&s_sys, &ann, &ben, NULL);
    ct_expect_kind(&s_sys, &ben, &ann, NULL);

    /* The target accepts: 200 {"contact"}, kind friend, on both sides. */
    char path[96];
    ct_request_path(path, sizeof path, id, "accept");
    r = ct_expect(&s_sys, "POST", path, ben.token, NULL, 200, NULL);
    assert_int_equal(json_object_size(r.json), 1);
    s_check_contact(json_object_get(r.json, "contact"), &ann, "friend", NULL);
    h_resp_free(&r);
    ct_expect_kind(&s_sys, &ben, &ann, "friend");
    r = ct_expect(&s_sys, "GET", "/v1/contacts", ann.token, NULL, 200, NULL);
    list = json_object_get(r.json, "contacts");
    assert_int_equal(json_array_size(list), 1);
    s_check_contact(json_array_get(list, 0), &ben, "friend", "Benny"); /* the request's remark */
    h_resp_free(&r);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);
}

/* ------------------------------------------------------------------ one_way rules */

static void test_one_way_needs_an_open_policy(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    s_set_policy(&ben, "approval");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 403, "forbidden");
    ct_expect_kind(&s_sys, &ann, &ben, NULL);
    ct_expect_kind(&s_sys, &ben, &ann, NULL);
    /* The client asks with two_way instead. */
    ct_ask(&s_sys, &ann, &ben);
    /* Open again: one_way works. */
    ct_user_t cid = ct_user(&s_sys, "cid");
    s_set_policy(&ben, "open");
    ct_add_expect(&s_sys, &cid, ben.id, "one_way", 201, NULL);
}

static void test_one_way_conflicts(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 409, "conflict");
    ct_expect_kind(&s_sys, &ann, &ben, "one_way");

    ct_user_t cid = ct_user(&s_sys, "cid"), dan = ct_user(&s_sys, "dan");
    ct_befriend(&s_sys, &cid, &dan);
    ct_add_expect(&s_sys, &cid, dan.id, "one_way", 409, "conflict");
    ct_add_expect(&s_sys, &dan, cid.id, "one_way", 409, "conflict");
    ct_expect_kind(&s_sys, &cid, &dan, "friend");
    ct_expect_kind(&s_sys, &dan, &cid, "friend");
}

static void test_both_one_way_are_not_friends(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    ct_add_expect(&s_sys, &ben, ann.id, "one_way", 201, NULL);
    ct_expect_kind(&s_sys, &ann, &ben, "one_way");
    ct_expect_kind(&s_sys, &ben, &ann, "one_way");
}

/* ------------------------------------------------------------------ two_way rules */

static void test_two_way_meets_a_pending_request(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    int64_t id = ct_ask(&s_sys, &ann, &ben);
    h_resp_t r = ct_add(&s_sys, &ben, ann.id, "two_way", "me too", NULL);
    h_expect_status(&r, 201);
    s_check_contact(json_object_get(r.json, "contact"), &ann, "friend", NULL);
    assert_null(json_object_get(r.json, "request"));
    h_resp_free(&r);
    ct_expect_kind(&s_sys, &ann, &ben, "friend");
    ct_expect_kind(&s_sys, &ben, &ann, "friend");
    /* Ann's request is no longer pending anywhere. */
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", NULL), 0);
    ct_decide(&s_sys, &ben, id, "accept", 409, "conflict");
    ct_decide(&s_sys, &ann, id, "cancel", 409, "conflict");
}

static void test_their_one_way_does_not_count(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    /* Ben's two_way makes a request even though Ann added him one_way. */
    int64_t id = ct_ask(&s_sys, &ben, &ann);
    ct_expect_kind(&s_sys, &ann, &ben, "one_way");
    ct_expect_kind(&s_sys, &ben, &ann, "follower");
    assert_int_equal(ct_pending(&s_sys, &ann, "incoming", &ben), 1);
    /* Accepting it makes friends, once, on both sides. */
    ct_decide(&s_sys, &ann, id, "accept", 200, NULL);
    ct_expect_kind(&s_sys, &ann, &ben, "friend");
    ct_expect_kind(&s_sys, &ben, &ann, "friend");
}

static void test_second_request_and_request_to_a_friend_conflict(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    int64_t id = ct_ask(&s_sys, &ann, &ben);
    ct_add_expect(&s_sys, &ann, ben.id, "two_way", 409, "conflict");
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", &ben), 1);
    ct_decide(&s_sys, &ben, id, "accept", 200, NULL);
    ct_add_expect(&s_sys, &ann, ben.id, "two_way", 409, "conflict");
    ct_add_expect(&s_sys, &ben, ann.id, "two_way", 409, "conflict");
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", NULL), 0);
}

/* Accept, decline and cancel of a request that is no longer pending: 409. */
static void test_decided_requests_conflict(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid"), dan = ct_user(&s_sys, "dan");

    int64_t accepted = ct_ask(&s_sys, &ann, &ben);
    ct_decide(&s_sys, &ben, accepted, "accept", 200, NULL);
    ct_decide(&s_sys, &ben, accepted, "accept", 409, "conflict");
    ct_decide(&s_sys, &ben, accepted, "decline", 409, "conflict");
    ct_decide(&s_sys, &ann, accepted, "cancel", 409, "conflict");

    int64_t declined = ct_ask(&s_sys, &cid, &dan);
    ct_decide(&s_sys, &dan, declined, "decline", 204, NULL);
    ct_decide(&s_sys, &dan, declined, "accept", 409, "conflict");
    ct_decide(&s_sys, &dan, declined, "decline", 409, "conflict");
    ct_decide(&s_sys, &cid, declined, "cancel", 409, "conflict");
    ct_expect_kind(&s_sys, &dan, &cid, NULL);
    assert_int_equal(ct_pending(&s_sys, &dan, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &cid, "outgoing", NULL), 0);

    int64_t cancelled = ct_ask(&s_sys, &dan, &ann);
    ct_decide(&s_sys, &dan, cancelled, "cancel", 204, NULL);
    ct_decide(&s_sys, &ann, cancelled, "accept", 409, "conflict");
    ct_decide(&s_sys, &ann, cancelled, "decline", 409, "conflict");
    ct_decide(&s_sys, &dan, cancelled, "cancel", 409, "conflict");
    assert_int_equal(ct_pending(&s_sys, &ann, "incoming", NULL), 0);
    ct_expect_kind(&s_sys, &ann, &dan, NULL);
}

/* Only the target accepts or declines, only the sender cancels; to anyone
 * else a request is 404, and a refused attempt changes nothing. */
static void test_who_may_decide_a_request(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t eve = ct_user(&s_sys, "eve");
    int64_t id = ct_ask(&s_sys, &ann, &ben);
    ct_decide(&s_sys, &eve, id, "accept", 404, "not_found");
    ct_decide(&s_sys, &eve, id, "decline", 404, "not_found");
    ct_decide(&s_sys, &eve, id, "cancel", 404, "not_found");
    ct_decide(&s_sys, &ann, id, "accept", 404, "not_found");
    ct_decide(&s_sys, &ann, id, "decline", 404, "not_found");
    ct_decide(&s_sys, &ben, id, "cancel", 404, "not_found");
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", &ann), 1);
    ct_expect_kind(&s_sys, &ann, &ben, NULL);

    /* Decided requests stay invisible to others: 404, not 409. */
    ct_decide(&s_sys, &ben, id, "accept", 200, NULL);
    ct_decide(&s_sys, &eve, id, "accept", 404, "not_found");
    ct_decide(&s_sys, &eve, id, "cancel", 404, "not_found");

    /* An id nobody has. */
    ct_decide(&s_sys, &eve, ((int64_t)1 << 53) - 1, "accept", 404, "not_found");
    ct_decide(&s_sys, &eve, ((int64_t)1 << 53) - 1, "decline", 404, "not_found");
    ct_decide(&s_sys, &eve, ((int64_t)1 << 53) - 1, "cancel", 404, "not_found");
}

static void test_ask_again_after_decline_or_cancel(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    int64_t first = ct_ask(&s_sys, &ann, &ben);
    ct_decide(&s_sys, &ben, first, "decline", 204, NULL);
    int64_t second = ct_ask(&s_sys, &ann, &ben);
    assert_true(second != first);
    ct_decide(&s_sys, &ann, second, "cancel", 204, NULL);
    int64_t third = ct_ask(&s_sys, &ann, &ben);
    assert_true(third != first && third != second);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", &ann), 1);
    ct_decide(&s_sys, &ben, third, "accept", 200, NULL);
    ct_expect_kind(&s_sys, &ann, &ben, "friend");
}

static void test_incoming_and_outgoing_lists(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid"), dan = ct_user(&s_sys, "dan");
    int64_t from_ben = ct_ask(&s_sys, &ben, &ann);
    int64_t from_cid = ct_ask(&s_sys, &cid, &ann);
    ct_ask(&s_sys, &ann, &dan);

    /* Incoming: newest first; absent direction means incoming. */
    const char *paths[] = {"/v1/friend-requests?direction=incoming", "/v1/friend-requests"};
    for (size_t i = 0; i < 2; i++) {
        h_resp_t r = ct_expect(&s_sys, "GET", paths[i], ann.token, NULL, 200, NULL);
        json_t *list = json_object_get(r.json, "requests");
        assert_int_equal(json_array_size(list), 2);
        s_check_request(json_array_get(list, 0), &cid, &ann, NULL);
        s_check_request(json_array_get(list, 1), &ben, &ann, NULL);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")),
                         from_cid);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 1), "id")),
                         from_ben);
        h_resp_free(&r);
    }
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 1);
    assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", &ann), 1);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);

    /* Decided requests leave the lists. */
    ct_decide(&s_sys, &ann, from_ben, "decline", 204, NULL);
    ct_decide(&s_sys, &cid, from_cid, "cancel", 204, NULL);
    assert_int_equal(ct_pending(&s_sys, &ann, "incoming", NULL), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", NULL), 0);
}

/* ------------------------------------------------------------------ self, blocks, removal */

static void test_adding_myself_is_400(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann");
    ct_add_expect(&s_sys, &ann, ann.id, "one_way", 400, "invalid_argument");
    ct_add_expect(&s_sys, &ann, ann.id, "two_way", 400, "invalid_argument");
    s_block(&ann, ann.id, 400, "invalid_argument");
    ct_expect_kind(&s_sys, &ann, &ann, NULL);
}

static void test_blocks(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid");
    s_block(&ben, ann.id, 204, NULL);
    s_block(&ben, cid.id, 204, NULL);
    s_block(&ben, ann.id, 204, NULL); /* again: the state asked for holds */

    /* Ben's blocked users: cid and ann, newest block first; nobody else's. */
    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/blocks", ben.token, NULL, 200, NULL);
    json_t *users = json_object_get(r.json, "users");
    assert_int_equal(json_array_size(users), 2);
    h_check_user(json_array_get(users, 0), cid.name, NULL);
    h_check_user(json_array_get(users, 1), ann.name, NULL);
    h_resp_free(&r);
    r = ct_expect(&s_sys, "GET", "/v1/blocks", ann.token, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 0);
    h_resp_free(&r);

    /* Ann cannot add Ben either way: 403, and nothing is made. */
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 403, "forbidden");
    ct_add_expect(&s_sys, &ann, ben.id, "two_way", 403, "forbidden");
    ct_expect_kind(&s_sys, &ben, &ann, NULL);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    /* Ben may still add Ann: his own block stays in force. */
    ct_add_expect(&s_sys, &ben, ann.id, "one_way", 201, NULL);

    /* Unblocked, Ann adds Ben again; Ben still blocks Cid. */
    s_unblock(&ben, ann.id);
    s_unblock(&ben, ann.id); /* idempotent */
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    ct_add_expect(&s_sys, &cid, ben.id, "two_way", 403, "forbidden");
    r = ct_expect(&s_sys, "GET", "/v1/blocks", ben.token, NULL, 200, NULL);
    users = json_object_get(r.json, "users");
    assert_int_equal(json_array_size(users), 1);
    h_check_user(json_array_get(users, 0), cid.name, NULL);
    h_resp_free(&r);

    /* An unknown user cannot be blocked. */
    s_block(&ben, ((int64_t)1 << 53) - 1, 404, "not_found");
}

/* A block removes nothing; it stops new requests, and a pending request of
 * the blocked user can no longer be answered into a friendship. */
static void test_block_keeps_what_exists(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    s_block(&ben, ann.id, 204, NULL);
    ct_expect_kind(&s_sys, &ann, &ben, "friend");
    ct_expect_kind(&s_sys, &ben, &ann, "friend");

    ct_user_t cid = ct_user(&s_sys, "cid");
    int64_t id = ct_ask(&s_sys, &cid, &ben);
    s_block(&ben, cid.id, 204, NULL);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", &cid), 1);
    ct_decide(&s_sys, &ben, id, "decline", 204, NULL);
    ct_add_expect(&s_sys, &cid, ben.id, "two_way", 403, "forbidden");

    /* A sender who blocks the target after asking: the request can no
     * longer become a friendship (403), but may still be declined. */
    ct_user_t dan = ct_user(&s_sys, "dan");
    id = ct_ask(&s_sys, &dan, &cid);
    s_block(&dan, cid.id, 204, NULL);
    ct_decide(&s_sys, &cid, id, "accept", 403, "forbidden");
    ct_expect_kind(&s_sys, &cid, &dan, NULL);
    ct_decide(&s_sys, &cid, id, "decline", 204, NULL);
}

static void test_remove_contact(void **state)
{
    /* A friendship goes for both sides. */
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    s_remove(&ann, ben.id, 204, NULL);
    ct_expect_kind(&s_sys, &ann, &ben, NULL);
    ct_expect_kind(&s_sys, &ben, &ann, NULL);
    s_remove(&ben, ann.id, 404, "not_found");
    ct_ask(&s_sys, &ben, &ann); /* they may start over */

    /* My one_way contact goes, and with it their follower entry. */
    ct_user_t cid = ct_user(&s_sys, "cid"), dan = ct_user(&s_sys, "dan");
    ct_add_expect(&s_sys, &cid, dan.id, "one_way", 201, NULL);
    s_remove(&cid, dan.id, 204, NULL);
    ct_expect_kind(&s_sys, &cid, &dan, NULL);
    ct_expect_kind(&s_sys, &dan, &cid, NULL);

    /* A follower is not mine to delete. */
    ct_add_expect(&s_sys, &cid, dan.id, "one_way", 201, NULL);
    s_remove(&dan, cid.id, 404, "not_found");
    ct_expect_kind(&s_sys, &dan, &cid, "follower");
    ct_expect_kind(&s_sys, &cid, &dan, "one_way");

    /* With both one_way, removing mine leaves theirs: I become a follower. */
    ct_add_expect(&s_sys, &dan, cid.id, "one_way", 201, NULL);
    s_remove(&dan, cid.id, 204, NULL);
    ct_expect_kind(&s_sys, &dan, &cid, "follower");
    ct_expect_kind(&s_sys, &cid, &dan, "one_way");

    /* Nobody, and myself. */
    s_remove(&dan, ann.id, 404, "not_found");
    s_remove(&dan, dan.id, 404, "not_found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_way_add),
        cmocka_unit_test(test_friend_request_accepted),
        cmocka_unit_test(test_one_way_needs_an_open_policy),
        cmocka_unit_test(test_one_way_conflicts),
        cmocka_unit_test(test_both_one_way_are_not_friends),
        cmocka_unit_test(test_two_way_meets_a_pending_request),
        cmocka_unit_test(test_their_one_way_does_not_count),
        cmocka_unit_test(test_second_request_and_request_to_a_friend_conflict),
        cmocka_unit_test(test_decided_requests_conflict),
        cmocka_unit_test(test_who_may_decide_a_request),
        cmocka_unit_test(test_ask_again_after_decline_or_cancel),
        cmocka_unit_test(test_incoming_and_outgoing_lists),
        cmocka_unit_test(test_adding_myself_is_400),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_block_keeps_what_exists),
        cmocka_unit_test(test_remove_contact),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
