/* test_groups_edge.c - API.md "Groups" at the edges, through the gateway:
 * search in any script with paging, malformed input of every kind, and
 * concurrent joins and approvals (one wins, the other gets 409). */
#include <pthread.h>

#include "groups_calls.h"

#define S_ROUNDS 5 /* races per concurrency test */

static h_system_t s_sys;

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, gc_pick_services(), ct_env);
    gc_wait_group(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* GET /v1/groups?<query>: the ids found, in order, into ids (at most max);
 * the next_cursor (or "") into cursor. Returns how many. */
static size_t s_search(const ct_user_t *u, const char *query, int64_t *ids, size_t max,
                       char *cursor, size_t cursor_size)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/groups?%s", query);
    h_resp_t r = ct_expect(&s_sys, "GET", path, u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "groups");
    assert_true(json_is_array(list));
    json_t *next = json_object_get(r.json, "next_cursor");
    assert_true(next && (json_is_null(next) || json_is_string(next)));
    snprintf(cursor, cursor_size, "%s", json_is_string(next) ? json_string_value(next) : "");
    size_t n = 0, i;
    json_t *g;
    json_array_foreach(list, i, g)
    {
        int64_t id = gc_check_group(g);
        assert_string_not_equal(json_string_value(json_object_get(g, "join_policy")),
                                "invite_only");
        if (n < max)
            ids[n++] = id;
    }
    h_resp_free(&r);
    return n;
}

/* q URL-escaped into "q=<q>&<rest>". */
static void s_query(char *out, size_t size, const char *q, const char *rest)
{
    char *e = h_escape(q);
    snprintf(out, size, "q=%s%s%s", e, rest[0] ? "&" : "", rest);
    free(e);
}

static bool s_has(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* ------------------------------------------------------------------ search */

static void test_search_any_script(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), j = ct_user(&s_sys, "joiner");
    int64_t hoops = gc_create(&s_sys, &own, "篮球爱好者", "open", NULL, 0);
    int64_t secret = gc_create(&s_sys, &own, "篮球秘密爱好者", "invite_only", NULL, 0);
    int64_t chess = gc_create(&s_sys, &own, "Chess Club München", "approval", NULL, 0);
    int64_t ids[64];
    char q[256], cursor[256];

    const char *finds_hoops[] = {"篮球", "爱好", "球爱好者", "篮", "者"};
    for (size_t i = 0; i < sizeof finds_hoops / sizeof finds_hoops[0]; i++) {
        s_query(q, sizeof q, finds_hoops[i], "limit=50");
        size_t n = s_search(&j, q, ids, 64, cursor, sizeof cursor);
        if (!s_has(ids, n, hoops))
            fail_msg("q=%s did not find 篮球爱好者", finds_hoops[i]);
        assert_false(s_has(ids, n, secret)); /* invite_only: never listed */
    }
    s_query(q, sizeof q, "篮爱", "");
    assert_false(s_has(ids, s_search(&j, q, ids, 64, cursor, sizeof cursor), hoops));
    const char *finds_chess[] = {"chess", "CHESS C", "club", "MÜNCHEN", "ss cl"};
    for (size_t i = 0; i < sizeof finds_chess / sizeof finds_chess[0]; i++) {
        s_query(q, sizeof q, finds_chess[i], "");
        if (!s_has(ids, s_search(&j, q, ids, 64, cursor, sizeof cursor), chess))
            fail_msg("q=%s did not find Chess Club München", finds_chess[i]);
    }
    /* Long queries intersect only their rarest grams; the substring test
     * still decides: out of order, or one gram no name holds. */
    const char *misses_chess[] = {"club chess", "chess clubz", "chess  club"};
    for (size_t i = 0; i < sizeof misses_chess / sizeof misses_chess[0]; i++) {
        s_query(q, sizeof q, misses_chess[i], "");
        if (s_has(ids, s_search(&j, q, ids, 64, cursor, sizeof cursor), chess))
            fail_msg("q=%s found Chess Club München", misses_chess[i]);
    }
    /* A dismissed group is not listed either. */
    gc_check(&s_sys, "DELETE", hoops, NULL, &own, NULL, 204, NULL);
    s_query(q, sizeof q, "篮球", "");
    assert_false(s_has(ids, s_search(&j, q, ids, 64, cursor, sizeof cursor), hoops));
}

/* Ordered by member_count, largest first, then id; a cursor pages on. */
static void test_search_order_and_paging(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner");
    ct_user_t fans[3];
    for (int i = 0; i < 3; i++)
        fans[i] = ct_user(&s_sys, "fan");
    int64_t g[5];
    for (int i = 0; i < 5; i++)
        g[i] = gc_create(&s_sys, &own, "钓鱼俱乐部 Pager", "open", NULL, 0);
    /* g[3] gets 3 more members, g[1] 1 more: order g3, g1, g0, g2, g4. */
    for (int i = 0; i < 3; i++)
        gc_check(&s_sys, "POST", g[3], "/join", &fans[i], NULL, 200, NULL);
    gc_check(&s_sys, "POST", g[1], "/join", &fans[0], NULL, 200, NULL);
    int64_t want[] = {g[3], g[1], g[0], g[2], g[4]};

    int64_t ids[8], all[8];
    size_t total = 0;
    char q[512], cursor[256] = "";
    s_query(q, sizeof q, "钓鱼俱乐部 pager", "limit=50");
    assert_int_equal(s_search(&own, q, ids, 8, cursor, sizeof cursor), 5);
    assert_memory_equal(ids, want, sizeof want);
    assert_string_equal(cursor, "");
    for (int page = 0; page < 5; page++) {
        char rest[300];
        char *c = h_escape(cursor);
        snprintf(rest, sizeof rest, "limit=2%s%s", cursor[0] ? "&cursor=" : "", c);
        free(c);
        s_query(q, sizeof q, "pager", rest);
        size_t n = s_search(&own, q, ids, 8, cursor, sizeof cursor);
        for (size_t i = 0; i < n && total < 8; i++)
            all[total++] = ids[i];
        if (!cursor[0])
            break;
        assert_int_equal(n, 2);
    }
    assert_int_equal(total, 5);
    assert_memory_equal(all, want, sizeof want);

    const char *bad[] = {"q=pager&limit=0", "q=pager&limit=51", "q=pager&limit=x", "limit=5",
                         "q=pager&cursor=%21%21bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/groups?%s", bad[i]);
        ct_check(&s_sys, "GET", path, own.token, NULL, 400, "invalid_argument");
    }
    ct_check(&s_sys, "GET", "/v1/groups?q=pager&limit=50", own.token, NULL, 200, NULL);
    ct_check(&s_sys, "GET", "/v1/groups?q=pager&limit=1", own.token, NULL, 200, NULL);
}

/* ------------------------------------------------------------------ bad input */

static void test_bad_bodies(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner"), fr = ct_user(&s_sys, "friend");
    gc_friends(&s_sys, &own, &fr);
    int64_t gid = gc_create(&s_sys, &own, "inputs", NULL, NULL, 0);

    json_t *bad_create[] = {
        json_pack("{}"),
        json_pack("{s:i}", "name", 5),
        json_pack("{s:n}", "name"),
        json_pack("{s:s}", "name", ""),
        json_pack("{s:s, s:i}", "name", "x", "description", 3),
        json_pack("{s:s, s:s}", "name", "x", "join_policy", "public"),
        json_pack("{s:s, s:s}", "name", "x", "member_ids", "1"),
        json_pack("{s:s, s:[s]}", "name", "x", "member_ids", "1"),
        json_pack("{s:s, s:[i]}", "name", "x", "member_ids", 0),
        json_pack("{s:s, s:[f]}", "name", "x", "member_ids", 1.5),
    };
    for (size_t i = 0; i < sizeof bad_create / sizeof bad_create[0]; i++)
        ct_check(&s_sys, "POST", "/v1/groups", own.token, bad_create[i], 400, "invalid_argument");
    char *name = h_repeat("篮", 65);
    ct_check(&s_sys, "POST", "/v1/groups", own.token, json_pack("{s:s}", "name", name), 400,
             "invalid_argument");
    name[strlen(name) - 3] = '\0'; /* 64 characters: fine */
    gc_create(&s_sys, &own, name, NULL, NULL, 0);
    free(name);
    json_t *many = json_array();
    for (int i = 0; i < 101; i++)
        json_array_append_new(many, json_integer(fr.id));
    ct_check(&s_sys, "POST", "/v1/groups", own.token,
             json_pack("{s:s, s:o}", "name", "x", "member_ids", many), 400, "invalid_argument");

    /* Not JSON, not UTF-8, not an object, too big. */
    const char *raw[] = {"{", "[]", "{\"name\": \"\xff\xfe\"}", "null"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        h_resp_t r = h_http(&s_sys, "POST", "/v1/groups", own.token, raw[i], NULL);
        h_expect_error(&r, 400, "invalid_argument");
        h_resp_free(&r);
    }
    char *big = h_repeat("a", 70 * 1024);
    char *body = malloc(strlen(big) + 32);
    sprintf(body, "{\"name\":\"%s\"}", big);
    h_resp_t r = h_http(&s_sys, "POST", "/v1/groups", own.token, body, NULL);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);
    free(body);
    free(big);

    /* add_members: 1..100 positive integers. */
    json_t *bad_add[] = {
        json_pack("{}"),
        json_pack("{s:[]}", "user_ids"),
        json_pack("{s:n}", "user_ids"),
        json_pack("{s:[s]}", "user_ids", "5"),
        json_pack("{s:[i]}", "user_ids", -1),
        json_pack("{s:i}", "user_ids", 5),
    };
    for (size_t i = 0; i < sizeof bad_add / sizeof bad_add[0]; i++)
        gc_check(&s_sys, "POST", gid, "/members", &own, bad_add[i], 400, "invalid_argument");
    /* set_member, transfer, join. */
    json_t *bad_member[] = {
        json_pack("{s:i}", "role", 1),
        json_pack("{s:s}", "role", "king"),
        json_pack("{s:s}", "muted_until", "tomorrow"),
        json_pack("{s:s}", "muted_until", "2099-02-30T00:00:00Z"),
        json_pack("{s:s}", "muted_until", "2099-01-01T00:00:00"),
        json_pack("{s:i}", "muted_until", 5),
    };
    for (size_t i = 0; i < sizeof bad_member / sizeof bad_member[0]; i++) {
        h_resp_t m =
            gc_set_member(&s_sys, &own, gid, fr.id, bad_member[i], 400, "invalid_argument");
        h_resp_free(&m);
    }
    gc_check(&s_sys, "POST", gid, "/transfer", &own, json_object(), 400, "invalid_argument");
    gc_check(&s_sys, "POST", gid, "/transfer", &own, json_pack("{s:s}", "user_id", "5"), 400,
             "invalid_argument");
}

static void test_bad_paths_and_auth(void **state)
{
    (void)state;
    ct_user_t own = ct_user(&s_sys, "owner");
    int64_t gid = gc_create(&s_sys, &own, "paths", NULL, NULL, 0);
    char path[128];
    const char *bad[][2] = {
        {"GET", "/v1/groups/abc"},
        {"GET", "/v1/groups/0"},
        {"GET", "/v1/groups/-1/members"},
        {"PATCH", "/v1/groups/1x/members/2"},
        {"DELETE", "/v1/groups/1/members/x"},
        {"POST", "/v1/groups/1/join-requests/0/approve"},
        {"POST", "/v1/groups/1/join-requests/9007199254740992/reject"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ct_check(&s_sys, bad[i][0], bad[i][1], own.token, json_object(), 400, "invalid_argument");
    ct_check(&s_sys, "GET", "/v1/groups/1/nothing", own.token, NULL, 404, "not_found");
    ct_check(&s_sys, "GET", "/v1/groups/999999999", own.token, NULL, 404, "not_found");
    ct_check(&s_sys, "PATCH", "/v1/groups/999999999", own.token, json_object(), 404, "not_found");

    /* Unauthenticated: every group call is 401. */
    const char *calls[][2] = {
        {"POST", "/v1/groups"},   {"GET", "/v1/groups?q=x"},      {"GET", "/v1/me/groups"},
        {"GET", "/v1/groups/%d"}, {"POST", "/v1/groups/%d/join"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        snprintf(path, sizeof path, calls[i][1], (int)gid);
        h_resp_t r = h_http(&s_sys, calls[i][0], path, NULL, "{}", NULL);
        h_expect_error(&r, 401, "unauthenticated");
        h_resp_free(&r);
        r = h_http(&s_sys, calls[i][0], path, "not-a-token", "{}", NULL);
        h_expect_error(&r, 401, "unauthenticated");
        h_resp_free(&r);
    }
}

/* ------------------------------------------------------------------ races */

typedef struct {
    const ct_user_t *who;  /* who calls */
    char path[128];        /* POST path */
    pthread_barrier_t *go; /* released when both racers are ready */
    long status;           /* what the call answered */
} s_racer_t;

/* Runs on its own thread: no cmocka asserts here, only the status. */
static void *s_race(void *arg)
{
    s_racer_t *r = arg;
    pthread_barrier_wait(r->go);
    h_resp_t resp = h_http(&s_sys, "POST", r->path, r->who->token, "{}", NULL);
    r->status = resp.status;
    h_resp_free(&resp);
    return NULL;
}

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

static void s_expect_one_winner(int round, const s_racer_t *a, const s_racer_t *b, long win)
{
    if (!((a->status == win && b->status == 409) || (a->status == 409 && b->status == win)))
        fail_msg("round %d: answers %ld and %ld, expected one %ld and one 409", round, a->status,
                 b->status, win);
}

/* The same user joins an open group twice at once: one 200, one 409. */
static void test_two_joins_at_once(void **state)
{
    (void)state;
    for (int round = 0; round < S_ROUNDS; round++) {
        ct_user_t own = ct_user(&s_sys, "owner"), j = ct_user(&s_sys, "joiner");
        int64_t gid = gc_create(&s_sys, &own, "race", "open", NULL, 0);
        s_racer_t a = {.who = &j}, b = {.who = &j};
        gc_path(a.path, sizeof a.path, gid, "/join");
        gc_path(b.path, sizeof b.path, gid, "/join");
        s_run_race(&a, &b);
        s_expect_one_winner(round, &a, &b, 200);
        h_resp_t r = gc_expect(&s_sys, "GET", gid, NULL, &own, NULL, 200, NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 2);
        h_resp_free(&r);
    }
}

/* Two admins approve one request at once: one 200, one 409, one member. */
static void test_two_approvals_at_once(void **state)
{
    (void)state;
    for (int round = 0; round < S_ROUNDS; round++) {
        ct_user_t own = ct_user(&s_sys, "owner"), adm = ct_user(&s_sys, "admin"),
                  j = ct_user(&s_sys, "joiner");
        gc_friends(&s_sys, &own, &adm);
        int64_t ids[] = {adm.id};
        int64_t gid = gc_create(&s_sys, &own, "race", "approval", ids, 1);
        gc_make_admin(&s_sys, &own, gid, adm.id);
        int64_t rid = gc_apply(&s_sys, &j, gid);
        s_racer_t a = {.who = &own}, b = {.who = &adm};
        char sub[96];
        gc_path(a.path, sizeof a.path, gid,
                gc_sub(sub, sizeof sub, "join-requests", rid, "approve"));
        snprintf(b.path, sizeof b.path, "%s", a.path);
        s_run_race(&a, &b);
        s_expect_one_winner(round, &a, &b, 200);
        h_resp_t r = gc_expect(&s_sys, "GET", gid, NULL, &own, NULL, 200, NULL);
        assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 3);
        h_resp_free(&r);
        gc_expect_role(&s_sys, &own, gid, j.id, "member");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_any_script), cmocka_unit_test(test_search_order_and_paging),
        cmocka_unit_test(test_bad_bodies),        cmocka_unit_test(test_bad_paths_and_auth),
        cmocka_unit_test(test_two_joins_at_once), cmocka_unit_test(test_two_approvals_at_once),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
