/* test_contacts_edge.c - API.md "Contacts" at its edges, through the
 * gateway against real pigeon-auth, pigeon-relationship and pigeon-gateway
 * processes: bad input of every kind (API.md's error, nothing changed),
 * missing credentials, Idempotency-Key replays, calls racing each other,
 * and pigeon-relationship going away. The rules themselves are in
 * test_contacts.c. */
#include <pthread.h>

#include "contacts_calls.h"

#define S_ROUNDS 10 /* rounds of each race, with fresh users */
#define S_MAX_ID (((int64_t)1 << 53) - 1)

static h_system_t s_sys;

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

/* Sends a raw body (not necessarily JSON). */
static void s_raw(const char *method, const char *path, const char *token, const char *body,
                  long status, const char *code)
{
    h_resp_t r = h_http(&s_sys, method, path, token, body, NULL);
    h_expect_error(&r, status, code);
    h_resp_free(&r);
}

/* POST path with an Idempotency-Key; the answer is the caller's to free. */
static h_resp_t s_keyed(const char *path, const ct_user_t *u, json_t *body, const char *key)
{
    char header[128];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    const char *const headers[] = {header, NULL};
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    h_resp_t r = h_http(&s_sys, "POST", path, u->token, text, headers);
    free(text);
    return r;
}

static int s_contact_count(const ct_user_t *u)
{
    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/contacts", u->token, NULL, 200, NULL);
    int n = (int)json_array_size(json_object_get(r.json, "contacts"));
    h_resp_free(&r);
    return n;
}

static int s_block_count(const ct_user_t *u)
{
    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/blocks", u->token, NULL, 200, NULL);
    int n = (int)json_array_size(json_object_get(r.json, "users"));
    h_resp_free(&r);
    return n;
}

/* ------------------------------------------------------------------ bad input */

static void test_add_refuses_bad_bodies(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    const json_int_t b = (json_int_t)ben.id;
    json_t *bodies[] = {
        json_pack("{s:s, s:s}", "user_id", "5", "mode", "one_way"),       /* id as a string */
        json_pack("{s:f, s:s}", "user_id", (double)b, "mode", "one_way"), /* a real */
        json_pack("{s:I, s:s}", "user_id", (json_int_t)0, "mode", "one_way"),
        json_pack("{s:I, s:s}", "user_id", (json_int_t)-b, "mode", "one_way"),
        json_pack("{s:I, s:s}", "user_id", (json_int_t)S_MAX_ID + 1, "mode", "one_way"),
        json_pack("{s:n, s:s}", "user_id", "mode", "one_way"),
        json_pack("{s:s}", "mode", "one_way"),
        json_pack("{s:I}", "user_id", b),
        json_pack("{s:I, s:n}", "user_id", b, "mode"),
        json_pack("{s:I, s:s}", "user_id", b, "mode", "both"),
        json_pack("{s:I, s:s}", "user_id", b, "mode", "One_Way"),
        json_pack("{s:I, s:i}", "user_id", b, "mode", 1),
        json_pack("{s:I, s:s, s:i}", "user_id", b, "mode", "two_way", "message", 7),
        json_pack("{s:I, s:s, s:b}", "user_id", b, "mode", "one_way", "remark", 1),
        json_pack("{s:I, s:s, s:s}", "user_id", b, "mode", "two_way", "message", "line\nbreak"),
        json_pack("{s:I, s:s, s:s}", "user_id", b, "mode", "one_way", "remark", "tab\there"),
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        ct_check(&s_sys, "POST", "/v1/contacts", ann.token, bodies[i], 400, "invalid_argument");

    /* Not JSON, not an object, empty, bad UTF-8. */
    const char *raw[] = {"{\"user_id\":", "[1,2]", "",
                         ("{\"user_id\":1,\"mode\":\"one_way\","
                          "\"remark\":\"\xff\"}")};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        s_raw("POST", "/v1/contacts", ann.token, raw[i], 400, "invalid_argument");
    s_raw("POST", "/v1/blocks", ann.token, "{\"user_id\":\"7\"}", 400, "invalid_argument");
    s_raw("POST", "/v1/blocks", ann.token, "{}", 400, "invalid_argument");
    s_raw("POST", "/v1/blocks", ann.token, "null", 400, "invalid_argument");

    /* Nothing happened. */
    assert_int_equal(s_contact_count(&ann), 0);
    assert_int_equal(s_contact_count(&ben), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    assert_int_equal(s_block_count(&ann), 0);
}

/* message: 0-200 characters, remark: 0-64 (code points, so 3-byte ones count once). */
static void test_text_limits(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid");
    char *remark65 = h_repeat("\xe5\xa5\xbd", 65), *remark64 = h_repeat("\xe5\xa5\xbd", 64);
    char *message201 = h_repeat("m", 201), *message200 = h_repeat("\xe5\xa5\xbd", 200);

    h_resp_t r = ct_add(&s_sys, &ann, ben.id, "one_way", NULL, remark65);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    r = ct_add(&s_sys, &ann, ben.id, "two_way", message201, NULL);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    assert_int_equal(s_contact_count(&ann), 0);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);

    r = ct_add(&s_sys, &ann, ben.id, "one_way", NULL, remark64);
    h_expect_status(&r, 201);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "contact"), "remark")), remark64);
    h_resp_free(&r);
    r = ct_add(&s_sys, &ann, cid.id, "two_way", message200, "");
    h_expect_status(&r, 202);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "request"), "message")),
        message200);
    h_resp_free(&r);

    /* An empty message or remark is none: null. */
    r = ct_add(&s_sys, &cid, ben.id, "two_way", "", "");
    h_expect_status(&r, 202);
    assert_true(json_is_null(json_object_get(json_object_get(r.json, "request"), "message")));
    h_resp_free(&r);
    free(remark65);
    free(remark64);
    free(message201);
    free(message200);
}

static void test_unknown_user_is_404(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann");
    ct_add_expect(&s_sys, &ann, S_MAX_ID, "one_way", 404, "not_found");
    ct_add_expect(&s_sys, &ann, S_MAX_ID, "two_way", 404, "not_found");
    assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);
}

static void test_bad_path_ids_and_queries_are_400(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann");
    static const char *const calls[][2] = {
        {"DELETE", "/v1/contacts/abc"},
        {"DELETE", "/v1/contacts/0"},
        {"DELETE", "/v1/contacts/007"},
        {"DELETE", "/v1/contacts/-1"},
        {"DELETE", "/v1/contacts/9007199254740992"},
        {"POST", "/v1/friend-requests/abc/accept"},
        {"POST", "/v1/friend-requests/1.5/decline"},
        {"DELETE", "/v1/friend-requests/%2B1"},
        {"DELETE", "/v1/blocks/x"},
        {"GET", "/v1/friend-requests?direction=sideways"},
        {"GET", "/v1/friend-requests?direction=INCOMING"},
        {"GET", "/v1/friend-requests?direction="},
        {"GET", "/v1/friend-requests?direction=%FF"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        ct_check(&s_sys, calls[i][0], calls[i][1], ann.token, NULL, 400, "invalid_argument");
    /* Paths that do not exist are 404, methods a path does not serve too. */
    ct_check(&s_sys, "POST", "/v1/friend-requests/5/ignore", ann.token, NULL, 404, "not_found");
    ct_check(&s_sys, "PUT", "/v1/contacts", ann.token, NULL, 404, "not_found");
    ct_check(&s_sys, "GET", "/v1/contacts/5", ann.token, NULL, 404, "not_found");
}

static void test_bodies_over_64_kib_are_413(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    char *pad = h_repeat("x", 70 * 1024);
    size_t size = strlen(pad) + 128;
    char *body = malloc(size);
    assert_non_null(body);
    snprintf(body, size, "{\"user_id\":%" PRId64 ",\"mode\":\"one_way\",\"remark\":\"%s\"}", ben.id,
             pad);
    s_raw("POST", "/v1/contacts", ann.token, body, 413, "payload_too_large");
    snprintf(body, size, "{\"user_id\":%" PRId64 ",\"pad\":\"%s\"}", ben.id, pad);
    s_raw("POST", "/v1/blocks", ann.token, body, 413, "payload_too_large");
    free(body);
    free(pad);
    assert_int_equal(s_contact_count(&ann), 0);
    assert_int_equal(s_block_count(&ann), 0);
}

static void test_missing_or_bad_token_is_401(void **state)
{
    static const char *const calls[][2] = {
        {"POST", "/v1/contacts"},
        {"GET", "/v1/contacts"},
        {"DELETE", "/v1/contacts/5"},
        {"GET", "/v1/friend-requests?direction=incoming"},
        {"POST", "/v1/friend-requests/5/accept"},
        {"POST", "/v1/friend-requests/5/decline"},
        {"DELETE", "/v1/friend-requests/5"},
        {"POST", "/v1/blocks"},
        {"DELETE", "/v1/blocks/5"},
        {"GET", "/v1/blocks"},
    };
    const char *body = "{\"user_id\":5,\"mode\":\"one_way\"}";
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const char *b = strcmp(calls[i][0], "POST") == 0 ? body : NULL;
        s_raw(calls[i][0], calls[i][1], NULL, b, 401, "unauthenticated");
        s_raw(calls[i][0], calls[i][1], "not-a-real-token", b, 401, "unauthenticated");
    }
}

/* ------------------------------------------------------------------ Idempotency-Key */

static void test_idempotency_key_replays_adds(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid"), dan = ct_user(&s_sys, "dan");

    /* A retried two_way add: the same 202 and request, one request. */
    h_resp_t a = s_keyed("/v1/contacts", &ann,
                         json_pack("{s:I,s:s}", "user_id", (json_int_t)ben.id, "mode", "two_way"),
                         "add-ben-1");
    h_resp_t b = s_keyed("/v1/contacts", &ann,
                         json_pack("{s:I,s:s}", "user_id", (json_int_t)ben.id, "mode", "two_way"),
                         "add-ben-1");
    h_expect_status(&a, 202);
    h_expect_status(&b, 202);
    assert_string_equal(a.body, b.body);
    h_resp_free(&a);
    h_resp_free(&b);
    assert_int_equal(ct_pending(&s_sys, &ben, "incoming", &ann), 1);
    /* Without the key the second add is what it is: a conflict. */
    ct_add_expect(&s_sys, &ann, ben.id, "two_way", 409, "conflict");

    /* A retried one_way add: 201 twice (not 409), one contact. */
    json_t *add_cid = json_pack("{s:I,s:s}", "user_id", (json_int_t)cid.id, "mode", "one_way");
    a = s_keyed("/v1/contacts", &ann, json_incref(add_cid), "add-cid");
    b = s_keyed("/v1/contacts", &ann, add_cid, "add-cid");
    h_expect_status(&a, 201);
    h_expect_status(&b, 201);
    assert_string_equal(a.body, b.body);
    h_resp_free(&a);
    h_resp_free(&b);
    ct_expect_kind(&s_sys, &ann, &cid, "one_way");
    ct_expect_kind(&s_sys, &cid, &ann, "follower");

    /* Keys are per path and per user: the same key acts elsewhere. */
    a = s_keyed("/v1/blocks", &ann, json_pack("{s:I}", "user_id", (json_int_t)dan.id), "add-cid");
    h_expect_status(&a, 204);
    h_resp_free(&a);
    assert_int_equal(s_block_count(&ann), 1);
    a = s_keyed("/v1/contacts", &ben,
                json_pack("{s:I,s:s}", "user_id", (json_int_t)ann.id, "mode", "two_way"),
                "add-ben-1");
    h_expect_status(&a, 201); /* Ben meets Ann's pending request: friends */
    h_resp_free(&a);
    ct_expect_kind(&s_sys, &ann, &ben, "friend");
}

static void test_idempotency_key_replays_decisions_and_refusals(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t cid = ct_user(&s_sys, "cid");
    int64_t id = ct_ask(&s_sys, &ann, &ben);
    char path[96];
    ct_request_path(path, sizeof path, id, "accept");
    h_resp_t a = s_keyed(path, &ben, NULL, "accept-1");
    h_resp_t b = s_keyed(path, &ben, NULL, "accept-1");
    h_expect_status(&a, 200);
    h_expect_status(&b, 200); /* the first answer again, not 409 */
    assert_string_equal(a.body, b.body);
    h_resp_free(&a);
    h_resp_free(&b);
    ct_expect_kind(&s_sys, &ben, &ann, "friend");

    /* A 4xx is replayed too: the retry of a refused one_way add stays
     * refused after the target opens up; a new key acts anew. */
    ct_check(&s_sys, "PATCH", "/v1/me", cid.token, json_pack("{s:s}", "add_policy", "approval"),
             200, NULL);
    json_t *add = json_pack("{s:I,s:s}", "user_id", (json_int_t)cid.id, "mode", "one_way");
    a = s_keyed("/v1/contacts", &ann, json_incref(add), "refused");
    h_expect_error(&a, 403, "forbidden");
    h_resp_free(&a);
    ct_check(&s_sys, "PATCH", "/v1/me", cid.token, json_pack("{s:s}", "add_policy", "open"), 200,
             NULL);
    a = s_keyed("/v1/contacts", &ann, json_incref(add), "refused");
    h_expect_error(&a, 403, "forbidden");
    h_resp_free(&a);
    ct_expect_kind(&s_sys, &ann, &cid, NULL);
    a = s_keyed("/v1/contacts", &ann, add, "refused-2");
    h_expect_status(&a, 201);
    h_resp_free(&a);
}

/* ------------------------------------------------------------------ races */

typedef struct {
    const ct_user_t *from; /* who calls */
    int64_t to;            /* add: the target */
    int64_t request;       /* accept/cancel: the request id; 0 for an add */
    const char *action;    /* "add", "accept" or "cancel" */
    pthread_barrier_t *go; /* released when every racer is ready */
    long status;           /* what the call answered */
} s_racer_t;

/* Runs on its own thread: no cmocka asserts here, only the status. */
static void *s_race(void *arg)
{
    s_racer_t *r = arg;
    char path[96];
    json_t *body = NULL;
    const char *method = "POST";
    if (strcmp(r->action, "add") == 0) {
        snprintf(path, sizeof path, "/v1/contacts");
        body = json_pack("{s:I,s:s}", "user_id", (json_int_t)r->to, "mode", "two_way");
    } else {
        bool cancel = strcmp(r->action, "cancel") == 0;
        ct_request_path(path, sizeof path, r->request, cancel ? NULL : r->action);
        method = cancel ? "DELETE" : "POST";
    }
    pthread_barrier_wait(r->go);
    h_resp_t resp = h_call(&s_sys, method, path, r->from->token, body);
    r->status = resp.status;
    h_resp_free(&resp);
    return NULL;
}

/* Runs two racers at once; their statuses are left in them. */
static void s_run_race(s_racer_t *a, s_racer_t *b)
{
    pthread_barrier_t go;
    pthread_t ta, tb;
    assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
    a->go = b->go = &go;
    assert_int_equal(pthread_create(&ta, NULL, s_race, a), 0);
    assert_int_equal(pthread_create(&tb, NULL, s_race, b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&go);
}

/* Two users ask each other at the same moment: friends exactly once (one
 * 202 and one 201, whichever came first), nothing left pending. */
static void test_mutual_requests_at_once_make_one_friendship(void **state)
{
    for (int round = 0; round < S_ROUNDS; round++) {
        ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
        s_racer_t a = {.from = &ann, .to = ben.id, .action = "add"};
        s_racer_t b = {.from = &ben, .to = ann.id, .action = "add"};
        s_run_race(&a, &b);
        if (!((a.status == 201 && b.status == 202) || (a.status == 202 && b.status == 201)))
            fail_msg("round %d: answers %ld and %ld, expected one 201 and one 202", round, a.status,
                     b.status);
        ct_expect_kind(&s_sys, &ann, &ben, "friend");
        ct_expect_kind(&s_sys, &ben, &ann, "friend");
        assert_int_equal(ct_pending(&s_sys, &ann, "incoming", NULL), 0);
        assert_int_equal(ct_pending(&s_sys, &ann, "outgoing", NULL), 0);
        assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
        assert_int_equal(ct_pending(&s_sys, &ben, "outgoing", NULL), 0);
    }
}

/* Accepting twice at once: one 200, one 409, one friendship. */
static void test_accepting_twice_at_once(void **state)
{
    for (int round = 0; round < S_ROUNDS; round++) {
        ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
        int64_t id = ct_ask(&s_sys, &ann, &ben);
        s_racer_t a = {.from = &ben, .request = id, .action = "accept"};
        s_racer_t b = a;
        s_run_race(&a, &b);
        if (!((a.status == 200 && b.status == 409) || (a.status == 409 && b.status == 200)))
            fail_msg("round %d: answers %ld and %ld, expected one 200 and one 409", round, a.status,
                     b.status);
        ct_expect_kind(&s_sys, &ann, &ben, "friend");
        ct_expect_kind(&s_sys, &ben, &ann, "friend");
    }
}

/* The target accepts while the sender cancels: exactly one wins. */
static void test_accept_and_cancel_at_once(void **state)
{
    for (int round = 0; round < S_ROUNDS; round++) {
        ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
        int64_t id = ct_ask(&s_sys, &ann, &ben);
        s_racer_t accept = {.from = &ben, .request = id, .action = "accept"};
        s_racer_t cancel = {.from = &ann, .request = id, .action = "cancel"};
        s_run_race(&accept, &cancel);
        if (accept.status == 200 && cancel.status == 409) {
            ct_expect_kind(&s_sys, &ann, &ben, "friend");
            ct_expect_kind(&s_sys, &ben, &ann, "friend");
        } else if (accept.status == 409 && cancel.status == 204) {
            ct_expect_kind(&s_sys, &ann, &ben, NULL);
            ct_expect_kind(&s_sys, &ben, &ann, NULL);
        } else {
            fail_msg("round %d: accept %ld, cancel %ld: expected exactly one to succeed", round,
                     accept.status, cancel.status);
        }
        assert_int_equal(ct_pending(&s_sys, &ben, "incoming", NULL), 0);
    }
}

/* ------------------------------------------------------------------ a service away */

/* /readyz asks for pigeon-auth only; without pigeon-relationship its calls
 * are 503 and the rest of the API goes on. */
/* True once GET /v1/contacts answers 503. Until the gateway has seen the
 * killed process's connection close, a call may still be queued to it and
 * is lost with it: 504 at its deadline (docs/operations.md); anything else
 * fails the test. */
static bool s_contacts_unavailable(void *arg)
{
    const ct_user_t *u = arg;
    h_resp_t r = h_http(&s_sys, "GET", "/v1/contacts", u->token, NULL, NULL);
    long status = r.status;
    if (status != 504)
        h_expect_error(&r, 503, "unavailable");
    h_resp_free(&r);
    return status == 503;
}

static void test_relationship_down_is_503(void **state)
{
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_add_expect(&s_sys, &ann, ben.id, "one_way", 201, NULL);
    h_proc_kill(h_system_proc(&s_sys, "relationship"));
    if (!h_wait_until(s_contacts_unavailable, &ann, 15000))
        fail_msg("GET /v1/contacts did not answer 503 within 15 s of the kill");
    ct_check(&s_sys, "GET", "/v1/contacts", ann.token, NULL, 503, "unavailable");
    ct_add_expect(&s_sys, &ann, ben.id, "two_way", 503, "unavailable");
    ct_check(&s_sys, "GET", "/v1/me", ann.token, NULL, 200, NULL);
    ct_check(&s_sys, "GET", "/readyz", NULL, NULL, 200, NULL);

    h_system_restart_service(&s_sys, "relationship");
    ct_wait_relationship(&s_sys);
    ct_expect_kind(&s_sys, &ann, &ben, "one_way"); /* nothing was lost */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_refuses_bad_bodies),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_unknown_user_is_404),
        cmocka_unit_test(test_bad_path_ids_and_queries_are_400),
        cmocka_unit_test(test_bodies_over_64_kib_are_413),
        cmocka_unit_test(test_missing_or_bad_token_is_401),
        cmocka_unit_test(test_idempotency_key_replays_adds),
        cmocka_unit_test(test_idempotency_key_replays_decisions_and_refusals),
        cmocka_unit_test(test_mutual_requests_at_once_make_one_friendship),
        cmocka_unit_test(test_accepting_twice_at_once),
        cmocka_unit_test(test_accept_and_cancel_at_once),
        cmocka_unit_test(test_relationship_down_is_503),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
