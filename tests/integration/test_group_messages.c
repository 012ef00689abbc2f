/* test_group_messages.c - group conversations (API.md "Messages and
 * conversations", the group rules) through the gateway, against real
 * pigeon-auth, pigeon-relationship, pigeon-router and pigeon-group processes
 * on a fresh database.
 *
 * The first test walks one group's life: created with friends, chat, a
 * stranger refused, an open join, leave, removal, rejoin (the gap skipped),
 * recall by the owner, a role change, dismissal. Membership changes reach
 * the router through pigeon-group's outbox, so a test waits (with a
 * deadline) until a change's system message is there before relying on it. */
#include "messages_calls.h"

static h_system_t s_sys;
static const char *const s_services[] = {"auth", "relationship", "router", "group", NULL};

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, s_services, ct_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* POST /v1/groups by owner naming members (already contacts); returns the
 * group id. */
static int64_t s_post_group(const ct_user_t *owner, const char *policy,
                            const ct_user_t *const *members, size_t n)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ids, json_integer(members[i]->id));
    h_resp_t r = ct_expect(&s_sys, "POST", "/v1/groups", owner->token,
                           json_pack("{s:s, s:s, s:o}", "name", "pigeon loft", "join_policy",
                                     policy, "member_ids", ids),
                           201, NULL);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    h_resp_free(&r);
    assert_true(id > 0);
    return id;
}

/* POST /v1/groups by owner naming members, who become its contacts first;
 * returns the group id. */
static int64_t s_create(const ct_user_t *owner, const char *policy, const ct_user_t *const *members,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        ct_add_expect(&s_sys, owner, members[i]->id, "one_way", 201, NULL);
    return s_post_group(owner, policy, members, n);
}

/* POST /v1/messages to a group; the status, and *seq on 201. */
static long s_send(const ct_user_t *u, int64_t gid, const char *text, int64_t *seq)
{
    char cmid[64];
    static int s_n;
    snprintf(cmid, sizeof cmid, "gm-%d-%s", ++s_n, u->name);
    h_resp_t r = h_call(&s_sys, "POST", "/v1/messages", u->token,
                        json_pack("{s:{s:I}, s:s, s:s, s:s}", "to", "group_id", (json_int_t)gid,
                                  "client_msg_id", cmid, "kind", "text", "text", text));
    long st = r.status;
    if (st == 201 && seq)
        *seq = json_integer_value(json_object_get(r.json, "seq"));
    h_resp_free(&r);
    return st;
}

/* The caller's conversation line for cid (a new reference), or NULL. */
static json_t *s_conv(const ct_user_t *u, const char *cid)
{
    h_resp_t r = ct_expect(&s_sys, "GET", "/v1/conversations", u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "conversations"), *c, *out = NULL;
    size_t i;
    json_array_foreach(list, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "id")), cid) == 0)
            out = json_incref(c);
    }
    h_resp_free(&r);
    return out;
}

static int64_t s_int(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* Waits until u's line of cid shows last_seq >= seq. */
typedef struct {
    const ct_user_t *u; /* whose list */
    const char *cid;    /* which conversation */
    int64_t seq;        /* last_seq at least */
} s_wait_t;

static bool s_reached(void *arg)
{
    s_wait_t *w = arg;
    json_t *c = s_conv(w->u, w->cid);
    bool ok = c != NULL && s_int(c, "last_seq") >= w->seq;
    json_decref(c);
    return ok;
}

static void s_wait_seq(const ct_user_t *u, const char *cid, int64_t seq)
{
    s_wait_t w = {u, cid, seq};
    if (!h_wait_until(s_reached, &w, 10000))
        fail_msg("%s never reached seq %lld", cid, (long long)seq);
}

/* The seqs u's history shows (ascending, up to 200) into seqs; their count. */
static size_t s_seqs(const ct_user_t *u, const char *cid, int64_t *seqs, size_t max)
{
    h_resp_t r = mc_history(&s_sys, u, cid, "?after_seq=0&limit=200", 200, NULL);
    json_t *msgs = json_object_get(r.json, "messages"), *m;
    size_t i, n = 0;
    json_array_foreach(msgs, i, m)
    {
        if (n < max)
            seqs[n++] = s_int(m, "seq");
    }
    h_resp_free(&r);
    return n;
}

/* The message at seq in u's history (a new reference). */
static json_t *s_message(const ct_user_t *u, const char *cid, int64_t seq)
{
    char q[64];
    snprintf(q, sizeof q, "?after_seq=%lld&limit=1", (long long)(seq - 1));
    h_resp_t r = mc_history(&s_sys, u, cid, q, 200, NULL);
    json_t *m = json_incref(json_array_get(json_object_get(r.json, "messages"), 0));
    h_resp_free(&r);
    assert_non_null(m);
    assert_int_equal(s_int(m, "seq"), seq);
    return m;
}

static void s_expect_system(const ct_user_t *u, const char *cid, int64_t seq, int64_t actor,
                            const char *event)
{
    json_t *m = s_message(u, cid, seq);
    assert_string_equal(json_string_value(json_object_get(m, "kind")), "system");
    assert_int_equal(s_int(m, "sender_id"), actor);
    assert_true(json_is_null(json_object_get(m, "client_msg_id")));
    assert_non_null(strstr(json_string_value(json_object_get(m, "text")), event));
    json_decref(m);
}

static void s_path(char *out, size_t size, const char *fmt, int64_t a, int64_t b)
{
    snprintf(out, size, fmt, (long long)a, (long long)b);
}

/* ------------------------------------------------------------------- tests */

static void test_group_life(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "ga"), b = ct_user(&s_sys, "gb"), c = ct_user(&s_sys, "gc");
    ct_user_t d = ct_user(&s_sys, "gd");
    const ct_user_t *named[] = {&b, &c};
    int64_t gid = s_create(&a, "open", named, 2);
    char cid[32], path[128];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);

    /* every member sees g:<id> with group_created at seq 1 */
    s_wait_seq(&b, cid, 1);
    s_expect_system(&b, cid, 1, a.id, "group_created");
    json_t *conv = s_conv(&b, cid);
    assert_string_equal(json_string_value(json_object_get(conv, "kind")), "group");
    assert_int_equal(s_int(json_object_get(conv, "group"), "id"), gid);
    assert_true(json_is_null(json_object_get(conv, "peer")));
    assert_true(json_is_null(json_object_get(conv, "peer_read_seq")));
    assert_int_equal(s_int(conv, "read_seq"), 0); /* named at creation: before seq 1 */
    assert_int_equal(s_int(conv, "unread"), 1);
    json_decref(conv);
    conv = s_conv(&a, cid);
    assert_int_equal(s_int(conv, "read_seq"), 1); /* the creator acted in it */
    json_decref(conv);

    /* a member sends: everyone has it; the sender read it */
    int64_t seq = 0;
    assert_int_equal(s_send(&b, gid, "hello loft", &seq), 201);
    assert_int_equal(seq, 2);
    conv = s_conv(&c, cid);
    assert_int_equal(s_int(conv, "unread"), 2);
    json_decref(conv);
    conv = s_conv(&b, cid);
    assert_int_equal(s_int(conv, "read_seq"), 2);
    assert_int_equal(s_int(conv, "unread"), 0);
    json_decref(conv);

    /* a stranger of an open group: 403 to send and to read */
    assert_int_equal(s_send(&d, gid, "let me in", NULL), 403);
    h_resp_t r = mc_history(&s_sys, &d, cid, NULL, 403, "forbidden");
    h_resp_free(&r);

    /* an open join: from their own join message on, read_seq at it */
    s_path(path, sizeof path, "/v1/groups/%lld/join", gid, 0);
    ct_check(&s_sys, "POST", path, d.token, json_object(), 200, NULL);
    s_wait_seq(&a, cid, 3);
    s_expect_system(&d, cid, 3, d.id, "member_joined");
    int64_t seqs[32];
    size_t n = s_seqs(&d, cid, seqs, 32);
    assert_int_equal(n, 1);
    assert_int_equal(seqs[0], 3);
    conv = s_conv(&d, cid);
    assert_int_equal(s_int(conv, "read_seq"), 3);
    assert_int_equal(s_int(conv, "unread"), 0);
    json_decref(conv);
    assert_int_equal(s_send(&d, gid, "hi all", &seq), 201);
    assert_int_equal(seq, 4);

    /* b leaves: keeps history up to the leave message, nothing after */
    s_path(path, sizeof path, "/v1/groups/%lld/members/%lld", gid, b.id);
    ct_check(&s_sys, "DELETE", path, b.token, NULL, 204, NULL);
    s_wait_seq(&a, cid, 5);
    s_expect_system(&b, cid, 5, b.id, "member_left");
    assert_int_equal(s_send(&a, gid, "after b left", &seq), 201);
    assert_int_equal(seq, 6);
    assert_int_equal(s_send(&b, gid, "still here?", NULL), 403);
    conv = s_conv(&b, cid);
    assert_non_null(conv); /* stays in the list, read-only */
    assert_int_equal(s_int(conv, "last_seq"), 5);
    assert_int_equal(s_int(json_object_get(conv, "last_message"), "seq"), 5);
    assert_int_equal(s_int(conv, "read_seq"), 5); /* they acted in the leave message */
    assert_int_equal(s_int(conv, "unread"), 0);
    json_decref(conv);

    /* the owner removes c (actor: the owner) */
    s_path(path, sizeof path, "/v1/groups/%lld/members/%lld", gid, c.id);
    ct_check(&s_sys, "DELETE", path, a.token, NULL, 204, NULL);
    s_wait_seq(&a, cid, 7);
    s_expect_system(&c, cid, 7, a.id, "member_removed");
    n = s_seqs(&c, cid, seqs, 32);
    assert_int_equal(seqs[n - 1], 7);
    assert_int_equal(s_send(&c, gid, "removed?", NULL), 403);
    conv = s_conv(&c, cid);
    assert_int_equal(s_int(conv, "last_seq"), 7); /* frozen at the removal */
    assert_int_equal(s_int(conv, "unread"), 7);
    json_decref(conv);
    mc_read(&s_sys, &c, cid, 99, 204, NULL);
    conv = s_conv(&c, cid);
    assert_int_equal(s_int(conv, "read_seq"), 7); /* a mark past it stops there */
    assert_int_equal(s_int(conv, "unread"), 0);
    json_decref(conv);

    /* b rejoins: the gap (6, 7) is skipped */
    s_path(path, sizeof path, "/v1/groups/%lld/join", gid, 0);
    ct_check(&s_sys, "POST", path, b.token, json_object(), 200, NULL);
    s_wait_seq(&a, cid, 8);
    assert_int_equal(s_send(&a, gid, "welcome back", &seq), 201);
    assert_int_equal(seq, 9);
    n = s_seqs(&b, cid, seqs, 32);
    int64_t want[] = {1, 2, 3, 4, 5, 8, 9};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seqs[i], want[i]);

    /* recall: the owner may recall d's message any time; b may not recall a's */
    char mid[64];
    snprintf(mid, sizeof mid, "%s.4", cid);
    r = mc_recall(&s_sys, &a, mid, 200, NULL);
    assert_true(json_is_true(json_object_get(r.json, "recalled")));
    h_resp_free(&r);
    snprintf(mid, sizeof mid, "%s.9", cid);
    r = mc_recall(&s_sys, &b, mid, 403, "forbidden");
    h_resp_free(&r);
    s_expect_system(&b, cid, 10, a.id, "message_recalled");

    /* a role change and a transfer: system messages by the owner */
    s_path(path, sizeof path, "/v1/groups/%lld/members/%lld", gid, b.id);
    ct_check(&s_sys, "PATCH", path, a.token, json_pack("{s:s}", "role", "admin"), 200, NULL);
    s_wait_seq(&a, cid, 11);
    s_expect_system(&b, cid, 11, a.id, "role_changed");
    s_path(path, sizeof path, "/v1/groups/%lld/transfer", gid, 0);
    ct_check(&s_sys, "POST", path, a.token, json_pack("{s:I}", "user_id", (json_int_t)b.id), 200,
             NULL);
    s_wait_seq(&a, cid, 12);
    s_expect_system(&d, cid, 12, a.id, "owner_transferred");

    /* dismissal: everyone read-only, history kept */
    s_path(path, sizeof path, "/v1/groups/%lld", gid, 0);
    ct_check(&s_sys, "DELETE", path, b.token, NULL, 204, NULL);
    s_wait_seq(&a, cid, 13);
    s_expect_system(&d, cid, 13, b.id, "group_dismissed");
    assert_int_equal(s_send(&d, gid, "anyone?", NULL), 403);
    n = s_seqs(&d, cid, seqs, 32);
    assert_int_equal(seqs[n - 1], 13);
}

static void test_invite_only_group_is_404_to_strangers(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "gi"), e = ct_user(&s_sys, "ge");
    int64_t gid = s_create(&a, "invite_only", NULL, 0);
    char cid[32];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);
    s_wait_seq(&a, cid, 1);
    assert_int_equal(s_send(&e, gid, "knock", NULL), 404);
    h_resp_t r = mc_history(&s_sys, &e, cid, NULL, 404, "not_found");
    h_resp_free(&r);
    assert_int_equal(s_send(&e, (int64_t)1 << 50, "nobody", NULL), 404); /* no such group */
}

static void test_approved_join_names_the_approver(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "gp"), f = ct_user(&s_sys, "gf");
    int64_t gid = s_create(&a, "approval", NULL, 0);
    char cid[32], path[128];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);
    s_path(path, sizeof path, "/v1/groups/%lld/join", gid, 0);
    h_resp_t r = ct_expect(&s_sys, "POST", path, f.token, json_object(), 202, NULL);
    int64_t rid = s_int(json_object_get(r.json, "request"), "id");
    if (rid == 0)
        rid = s_int(r.json, "id");
    h_resp_free(&r);
    s_path(path, sizeof path, "/v1/groups/%lld/join-requests/%lld/approve", gid, rid);
    ct_check(&s_sys, "POST", path, a.token, NULL, 200, NULL);
    s_wait_seq(&f, cid, 2);
    s_expect_system(&f, cid, 2, a.id, "member_joined");
    json_t *conv = s_conv(&f, cid);
    assert_int_equal(s_int(conv, "read_seq"), 1); /* just before their join message */
    assert_int_equal(s_int(conv, "unread"), 1);
    json_decref(conv);
    conv = s_conv(&a, cid);
    assert_int_equal(s_int(conv, "read_seq"), 2); /* the approver acted in it */
    json_decref(conv);
}

typedef struct {
    const ct_user_t *u; /* the muted member */
    int64_t gid;        /* the group */
} s_mute_t;

static bool s_refused(void *arg)
{
    s_mute_t *m = arg;
    return s_send(m->u, m->gid, "can I talk?", NULL) == 403;
}

static void test_a_muted_member_cannot_post(void **state)
{
    (void)state;
    ct_user_t a = ct_user(&s_sys, "gm"), g = ct_user(&s_sys, "gg");
    const ct_user_t *named[] = {&g};
    int64_t gid = s_create(&a, "approval", named, 1);
    char cid[32], path[128];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);
    s_wait_seq(&g, cid, 1);
    assert_int_equal(s_send(&g, gid, "before the mute", NULL), 201);
    s_path(path, sizeof path, "/v1/groups/%lld/members/%lld", gid, g.id);
    ct_check(&s_sys, "PATCH", path, a.token,
             json_pack("{s:s}", "muted_until", "2999-01-01T00:00:00Z"), 200, NULL);
    s_mute_t m = {&g, gid};
    assert_true(h_wait_until(s_refused, &m, 10000));
}

/* The owner listed first by pigeon-group with the largest id: the router
 * must still find them in the roster. No waiting between the steps: the
 * router applies the created change itself when the send, read or mark
 * comes first. */
static void test_the_owner_uses_a_new_group_at_once(void **state)
{
    (void)state;
    ct_user_t m1 = ct_user(&s_sys, "gom1"), m2 = ct_user(&s_sys, "gom2");
    ct_user_t o = ct_user(&s_sys, "goo"); /* created last: the largest id */
    const ct_user_t *named[] = {&m1, &m2};
    int64_t gid = s_create(&o, "approval", named, 2);
    char cid[32], mid[64];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);

    /* the owner's history right after creation: the created message */
    int64_t seqs[8];
    assert_int_equal(s_seqs(&o, cid, seqs, 8), 1);
    assert_int_equal(seqs[0], 1);
    int64_t seq = 0;
    assert_int_equal(s_send(&o, gid, "first from the owner", &seq), 201);
    assert_int_equal(seq, 2);
    assert_int_equal(s_send(&m1, gid, "a member answers", &seq), 201);
    assert_int_equal(seq, 3);
    mc_read(&s_sys, &o, cid, 3, 204, NULL);
    json_t *conv = s_conv(&o, cid);
    assert_int_equal(s_int(conv, "read_seq"), 3);
    assert_int_equal(s_int(conv, "unread"), 0);
    json_decref(conv);
    snprintf(mid, sizeof mid, "%s.3", cid);
    h_resp_t r = mc_recall(&s_sys, &o, mid, 200, NULL); /* the owner recalls a member's */
    assert_true(json_is_true(json_object_get(r.json, "recalled")));
    h_resp_free(&r);

    /* a fresh group each time, the owner sending first and at once */
    for (int i = 0; i < 10; i++) {
        gid = s_post_group(&o, i % 2 ? "open" : "invite_only", named, 2);
        seq = 0;
        assert_int_equal(s_send(&o, gid, "right after creating", &seq), 201);
        assert_int_equal(seq, 2);
        snprintf(cid, sizeof cid, "g:%lld", (long long)gid);
        mc_read(&s_sys, &o, cid, 2, 204, NULL);
    }
}

/* An open joiner with the smallest id (listed last by pigeon-group) sends
 * at once after the join answers, while the router holds the roster from
 * before the join. */
static void test_an_open_joiner_posts_at_once(void **state)
{
    (void)state;
    ct_user_t j = ct_user(&s_sys, "gjj"); /* created first: the smallest id */
    ct_user_t k = ct_user(&s_sys, "gjk"), o = ct_user(&s_sys, "gjo");
    const ct_user_t *named[] = {&k};
    int64_t gid = s_create(&o, "open", named, 1);
    char cid[32], path[128];
    snprintf(cid, sizeof cid, "g:%lld", (long long)gid);
    assert_int_equal(s_send(&o, gid, "warm the roster", NULL), 201);
    assert_int_equal(s_send(&j, gid, "not yet", NULL), 403);
    s_path(path, sizeof path, "/v1/groups/%lld/join", gid, 0);
    ct_check(&s_sys, "POST", path, j.token, json_object(), 200, NULL);
    int64_t seq = 0;
    assert_int_equal(s_send(&j, gid, "just joined", &seq), 201);
    assert_int_equal(seq, 4); /* created, owner, joined, this */
    int64_t seqs[8];
    assert_int_equal(s_seqs(&j, cid, seqs, 8), 2);
    assert_int_equal(seqs[0], 3);
}

int main(void)
{
    if (!h_have_binary("pigeon-router") || !h_have_binary("pigeon-group")) {
        printf("pigeon-router or pigeon-group not built; skipping\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_life),
        cmocka_unit_test(test_invite_only_group_is_404_to_strangers),
        cmocka_unit_test(test_approved_join_names_the_approver),
        cmocka_unit_test(test_a_muted_member_cannot_post),
        cmocka_unit_test(test_the_owner_uses_a_new_group_at_once),
        cmocka_unit_test(test_an_open_joiner_posts_at_once),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
