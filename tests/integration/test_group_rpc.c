/* test_group_rpc.c - pigeon-group's RPC methods, called directly (the gateway
 * routes for groups come later), against real pigeon-auth,
 * pigeon-relationship and pigeon-group processes on a fresh database.
 *
 * Users register and add each other through the gateway (POST /v1/contacts,
 * one_way: the added user becomes the adder's contact); every group call
 * then goes over a pc_rpc_client found through the registry, with the
 * caller id the gateway would set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_helpers.h"
#include "group.pb-c.h"
#include "harness.h"
#include "registry.h"
#include "rpc_client.h"

static h_system_t s_sys;
static pc_registry_t *s_reg;

typedef struct {
    char name[40];   /* username */
    char token[160]; /* bearer token */
    int64_t id;      /* user id */
} s_user_t;

static s_user_t s_user(const char *prefix)
{
    s_user_t u;
    h_unique_name(prefix, u.name, sizeof u.name);
    h_register(&s_sys, u.name, u.name, u.token, &u.id);
    return u;
}

/* a holds b one_way: b is a's contact. */
static void s_contact(const s_user_t *a, const s_user_t *b)
{
    char body[96];
    snprintf(body, sizeof body, "{\"user_id\":%lld,\"mode\":\"one_way\"}", (long long)b->id);
    h_resp_t r = h_http(&s_sys, "POST", "/v1/contacts", a->token, body, NULL);
    h_expect_status(&r, 201);
    h_resp_free(&r);
}

static bool s_group_up(void *arg)
{
    return pc_rpc_client_instances(arg) > 0;
}

static pc_rpc_client_t *s_client(void)
{
    pc_rpc_client_t *cli = pc_rpc_client_new(s_reg, "group", 5000);
    assert_non_null(cli);
    assert_true(h_wait_until(s_group_up, cli, 10000));
    return cli;
}

/* Calls `method` as `caller`; unpacks a successful reply with desc (when
 * given) into *out. Returns the status. */
static int s_call_on(pc_rpc_client_t *cli, int64_t caller, const char *method,
                     const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
                     void **out)
{
    pc_rpc_opts_t opts = {.caller_id = caller};
    pc_rpc_reply_t reply = {0};
    int st = pc_rpc_call(cli, &opts, method, req, &reply);
    if (out != NULL)
        *out = NULL;
    if (pc_status_is_success(st) && desc != NULL && out != NULL) {
        int ust = 0;
        *out = pc_rpc_reply_unpack(&reply, desc, &ust);
        assert_non_null(*out);
    }
    pc_rpc_reply_clear(&reply);
    return st;
}

static pc_rpc_client_t *s_cli;

static int s_call(int64_t caller, const char *method, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *desc, void **out)
{
    return s_call_on(s_cli, caller, method, req, desc, out);
}

static void s_free(void *msg)
{
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
}

/* Creates a group owned by `owner` with members; returns it (caller frees). */
static Pigeon__Grp__Group *s_create(const s_user_t *owner, const char *name, const char *policy,
                                    int64_t *members, size_t n)
{
    Pigeon__Grp__CreateRequest req = PIGEON__GRP__CREATE_REQUEST__INIT;
    req.name = (char *)name;
    req.join_policy = (char *)policy;
    req.member_ids = members;
    req.n_member_ids = n;
    void *g = NULL;
    assert_int_equal(
        s_call(owner->id, "grp.create", &req.base, &pigeon__grp__group__descriptor, &g), 201);
    return g;
}

static int s_simple(int64_t caller, const char *method, int64_t group)
{
    Pigeon__Grp__GroupIdRequest req = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    req.group_id = group;
    return s_call(caller, method, &req.base, NULL, NULL);
}

static int s_member_call(int64_t caller, const char *method, int64_t group, int64_t user)
{
    Pigeon__Grp__MemberRequest req = PIGEON__GRP__MEMBER_REQUEST__INIT;
    req.group_id = group;
    req.user_id = user;
    return s_call(caller, method, &req.base, NULL, NULL);
}

static int s_join(pc_rpc_client_t *cli, int64_t caller, int64_t group, Pigeon__Grp__JoinReply **out)
{
    Pigeon__Grp__JoinRequestBody req = PIGEON__GRP__JOIN_REQUEST_BODY__INIT;
    req.group_id = group;
    return s_call_on(cli, caller, "grp.join", &req.base, &pigeon__grp__join_reply__descriptor,
                     (void **)out);
}

static Pigeon__Grp__GroupList *s_search(int64_t caller, const char *q, int limit,
                                        const char *cursor)
{
    Pigeon__Grp__SearchRequest req = PIGEON__GRP__SEARCH_REQUEST__INIT;
    req.q = (char *)q;
    req.has_limit = limit > 0;
    req.limit = limit;
    req.cursor = (char *)cursor;
    void *out = NULL;
    assert_int_equal(
        s_call(caller, "grp.search", &req.base, &pigeon__grp__group_list__descriptor, &out), 200);
    return out;
}

static bool s_lists(const Pigeon__Grp__GroupList *l, int64_t id)
{
    for (size_t i = 0; i < l->n_groups; i++)
        if (l->groups[i]->id == id)
            return true;
    return false;
}

/* ------------------------------------------------------------------- tests */

static void test_create_with_a_contact_and_read_it_back(void **state)
{
    s_user_t a = s_user("ga"), b = s_user("gb"), c = s_user("gc");
    s_contact(&a, &b);
    Pigeon__Grp__Group *g = s_create(&a, "篮球爱好者", NULL, &b.id, 1);
    assert_string_equal(g->join_policy, "approval");
    assert_int_equal(g->owner_id, a.id);
    assert_int_equal(g->member_count, 2);
    /* c is not a's contact: 403 */
    Pigeon__Grp__CreateRequest req = PIGEON__GRP__CREATE_REQUEST__INIT;
    req.name = "x";
    req.member_ids = &c.id;
    req.n_member_ids = 1;
    assert_int_equal(s_call(a.id, "grp.create", &req.base, NULL, NULL), 403);
    req.name = "";
    req.n_member_ids = 0;
    assert_int_equal(s_call(a.id, "grp.create", &req.base, NULL, NULL), 400);
    /* a stranger sees an approval group but not its members */
    assert_int_equal(s_simple(c.id, "grp.get", g->id), 200);
    assert_int_equal(s_simple(c.id, "grp.members", g->id), 403);
    Pigeon__Grp__MemberList *ml = NULL;
    Pigeon__Grp__GroupIdRequest gid = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    gid.group_id = g->id;
    assert_int_equal(
        s_call(b.id, "grp.members", &gid.base, &pigeon__grp__member_list__descriptor, (void **)&ml),
        200);
    assert_int_equal(ml->n_members, 2);
    assert_string_equal(ml->members[0]->role, "owner");
    assert_int_equal(ml->members[0]->user->id, a.id);
    s_free(ml);
    s_free(g);
}

static void test_invite_only_is_404_to_strangers_and_never_listed(void **state)
{
    s_user_t a = s_user("gi"), c = s_user("gj");
    char name[64];
    snprintf(name, sizeof name, "秘密%s", a.name);
    Pigeon__Grp__Group *g = s_create(&a, name, "invite_only", NULL, 0);
    assert_int_equal(s_simple(c.id, "grp.get", g->id), 404);
    assert_int_equal(s_simple(c.id, "grp.members", g->id), 404);
    Pigeon__Grp__JoinReply *jr = NULL;
    assert_int_equal(s_join(s_cli, c.id, g->id, &jr), 404);
    Pigeon__Grp__GroupList *l = s_search(c.id, name, 0, NULL);
    assert_false(s_lists(l, g->id));
    s_free(l);
    s_free(g);
}

static void test_search_in_any_script_with_paging(void **state)
{
    s_user_t a = s_user("gs");
    char latin[64];
    snprintf(latin, sizeof latin, "Chess Club %s", a.name);
    Pigeon__Grp__Group *g1 = s_create(&a, "篮球爱好者", "open", NULL, 0);
    Pigeon__Grp__Group *g2 = s_create(&a, latin, "approval", NULL, 0);
    Pigeon__Grp__GroupList *l = s_search(a.id, "篮球", 50, NULL);
    assert_true(s_lists(l, g1->id));
    s_free(l);
    l = s_search(a.id, "爱好", 50, NULL);
    assert_true(s_lists(l, g1->id));
    s_free(l);
    l = s_search(a.id, "球", 50, NULL); /* one character */
    assert_true(s_lists(l, g1->id));
    s_free(l);
    l = s_search(a.id, "CHESS CLUB", 50, NULL); /* case-insensitive for Latin */
    assert_true(s_lists(l, g2->id));
    s_free(l);
    l = s_search(a.id, "篮球爱好者者", 50, NULL);
    assert_false(s_lists(l, g1->id));
    s_free(l);
    /* paging: one group per page, every 篮球 group exactly once */
    char cursor[64] = "";
    size_t seen = 0, pages = 0;
    for (;;) {
        l = s_search(a.id, "篮球", 1, cursor[0] ? cursor : NULL);
        assert_true(l->n_groups <= 1);
        seen += l->n_groups;
        pages++;
        bool more = l->next_cursor != NULL;
        if (more)
            snprintf(cursor, sizeof cursor, "%s", l->next_cursor);
        s_free(l);
        if (!more || pages > 100)
            break;
    }
    assert_true(seen >= 2); /* this test's and the first test's */
    assert_true(pages <= 100);
    s_free(g1);
    s_free(g2);
}

static void test_join_by_policy_and_decisions(void **state)
{
    s_user_t a = s_user("go"), b = s_user("gp");
    Pigeon__Grp__Group *open = s_create(&a, "open group", "open", NULL, 0);
    Pigeon__Grp__Group *appr = s_create(&a, "approval group", "approval", NULL, 0);
    Pigeon__Grp__JoinReply *jr = NULL;
    assert_int_equal(s_join(s_cli, b.id, open->id, &jr), 200);
    assert_string_equal(jr->member->role, "member");
    s_free(jr);
    assert_int_equal(s_join(s_cli, b.id, open->id, &jr), 409);
    assert_int_equal(s_join(s_cli, b.id, appr->id, &jr), 202);
    int64_t rid = jr->request->id;
    assert_string_equal(jr->request->status, "pending");
    s_free(jr);
    assert_int_equal(s_join(s_cli, b.id, appr->id, &jr), 409); /* pending */
    /* b cannot decide; a approves once, the second approval is 409 */
    Pigeon__Grp__DecideRequest d = PIGEON__GRP__DECIDE_REQUEST__INIT;
    d.group_id = appr->id;
    d.request_id = rid;
    assert_int_equal(s_call(b.id, "grp.approve", &d.base, NULL, NULL), 403);
    assert_int_equal(s_call(a.id, "grp.approve", &d.base, NULL, NULL), 200);
    assert_int_equal(s_call(a.id, "grp.approve", &d.base, NULL, NULL), 409);
    assert_int_equal(s_call(a.id, "grp.reject", &d.base, NULL, NULL), 409);
    s_free(open);
    s_free(appr);
}

static void test_roles_leave_and_transfer(void **state)
{
    s_user_t a = s_user("gr"), b = s_user("gt"), c = s_user("gu");
    s_contact(&a, &b);
    s_contact(&a, &c);
    int64_t ids[] = {b.id, c.id};
    Pigeon__Grp__Group *g = s_create(&a, "roles", "approval", ids, 2);
    assert_int_equal(g->member_count, 3);
    /* the owner cannot leave; b (member) cannot remove c */
    assert_int_equal(s_member_call(a.id, "grp.remove_member", g->id, a.id), 409);
    assert_int_equal(s_member_call(b.id, "grp.remove_member", g->id, c.id), 403);
    /* make b admin; b may mute c but not remove the owner */
    Pigeon__Grp__SetMemberRequest sm = PIGEON__GRP__SET_MEMBER_REQUEST__INIT;
    sm.group_id = g->id;
    sm.user_id = b.id;
    sm.role = "admin";
    Pigeon__Grp__Member *m = NULL;
    assert_int_equal(
        s_call(a.id, "grp.set_member", &sm.base, &pigeon__grp__member__descriptor, (void **)&m),
        200);
    assert_string_equal(m->role, "admin");
    s_free(m);
    sm.role = "owner";
    assert_int_equal(s_call(a.id, "grp.set_member", &sm.base, NULL, NULL), 400);
    sm.role = NULL;
    sm.user_id = c.id;
    sm.has_muted_until_us = true;
    sm.muted_until_us = 4102444800000000LL; /* 2100-01-01 */
    assert_int_equal(s_call(b.id, "grp.set_member", &sm.base, NULL, NULL), 200);
    sm.user_id = a.id;
    assert_int_equal(s_call(b.id, "grp.set_member", &sm.base, NULL, NULL), 403);
    assert_int_equal(s_member_call(b.id, "grp.remove_member", g->id, a.id), 403);
    /* transfer to c: a becomes admin and may leave */
    assert_int_equal(s_member_call(a.id, "grp.transfer", g->id, c.id), 200);
    Pigeon__Grp__MembershipRequest mr = PIGEON__GRP__MEMBERSHIP_REQUEST__INIT;
    mr.group_id = g->id;
    mr.user_id = a.id;
    Pigeon__Grp__Membership *ms = NULL;
    assert_int_equal(
        s_call(0, "grp.membership", &mr.base, &pigeon__grp__membership__descriptor, (void **)&ms),
        200);
    assert_string_equal(ms->role, "admin");
    assert_int_equal(ms->group->owner_id, c.id);
    s_free(ms);
    assert_int_equal(s_member_call(a.id, "grp.remove_member", g->id, a.id), 204);
    assert_int_equal(s_member_call(c.id, "grp.remove_member", g->id, b.id), 204);
    Pigeon__Grp__GroupIdRequest gid = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    gid.group_id = g->id;
    Pigeon__Grp__Group *now = NULL;
    assert_int_equal(
        s_call(c.id, "grp.get", &gid.base, &pigeon__grp__group__descriptor, (void **)&now), 200);
    assert_int_equal(now->member_count, 1);
    s_free(now);
    /* dismissal: only the owner; afterwards 404 */
    assert_int_equal(s_simple(c.id, "grp.dismiss", g->id), 204);
    assert_int_equal(s_simple(c.id, "grp.get", g->id), 404);
    s_free(g);
}

static void test_outbox_lists_changes_in_order(void **state)
{
    s_user_t a = s_user("gw"), b = s_user("gx");
    s_contact(&a, &b);
    Pigeon__Grp__Group *g = s_create(&a, "outbox", "open", &b.id, 1);
    assert_int_equal(s_member_call(b.id, "grp.remove_member", g->id, b.id), 204);
    Pigeon__Grp__ChangesRequest cr = PIGEON__GRP__CHANGES_REQUEST__INIT;
    cr.has_limit = true;
    cr.limit = 1000;
    Pigeon__Grp__ChangeList *cl = NULL;
    assert_int_equal(
        s_call(0, "grp.changes", &cr.base, &pigeon__grp__change_list__descriptor, (void **)&cl),
        200);
    const char *kinds[2] = {NULL, NULL};
    size_t k = 0;
    for (size_t i = 0; i < cl->n_changes; i++) {
        if (i > 0)
            assert_true(cl->changes[i]->id > cl->changes[i - 1]->id);
        if (cl->changes[i]->group_id == g->id && k < 2)
            kinds[k++] = cl->changes[i]->kind;
    }
    assert_int_equal(k, 2);
    assert_string_equal(kinds[0], "created");
    assert_string_equal(kinds[1], "left");
    s_free(cl);
    s_free(g);
}

/* Two joins of one user at once, and two approvals of one request at once. */
typedef struct {
    int64_t caller;  /* who calls */
    int64_t group;   /* which group */
    int64_t request; /* 0: join; else approve this request */
    int status;      /* the answer */
} s_race_t;

static void *s_racer(void *arg)
{
    s_race_t *r = arg;
    pc_rpc_client_t *cli = pc_rpc_client_new(s_reg, "group", 5000);
    while (pc_rpc_client_instances(cli) == 0)
        ; /* the registry snapshot is already loaded by the main thread */
    if (r->request == 0) {
        Pigeon__Grp__JoinReply *jr = NULL;
        r->status = s_join(cli, r->caller, r->group, &jr);
        s_free(jr);
    } else {
        Pigeon__Grp__DecideRequest d = PIGEON__GRP__DECIDE_REQUEST__INIT;
        d.group_id = r->group;
        d.request_id = r->request;
        r->status = s_call_on(cli, r->caller, "grp.approve", &d.base, NULL, NULL);
    }
    pc_rpc_client_destroy(&cli);
    return NULL;
}

static void s_race(s_race_t *a, s_race_t *b)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, s_racer, a);
    pthread_create(&t2, NULL, s_racer, b);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_true((a->status == 200 && b->status == 409) || (a->status == 409 && b->status == 200));
}

static void test_concurrent_joins_and_approvals_give_one_success(void **state)
{
    s_user_t a = s_user("gy"), b = s_user("gz"), c = s_user("gk");
    s_contact(&a, &c);
    Pigeon__Grp__Group *open = s_create(&a, "race open", "open", NULL, 0);
    s_race_t j1 = {.caller = b.id, .group = open->id}, j2 = j1;
    s_race(&j1, &j2);
    /* two admins approving one request */
    Pigeon__Grp__Group *appr = s_create(&a, "race approval", "approval", &c.id, 1);
    Pigeon__Grp__SetMemberRequest sm = PIGEON__GRP__SET_MEMBER_REQUEST__INIT;
    sm.group_id = appr->id;
    sm.user_id = c.id;
    sm.role = "admin";
    assert_int_equal(s_call(a.id, "grp.set_member", &sm.base, NULL, NULL), 200);
    Pigeon__Grp__JoinReply *jr = NULL;
    assert_int_equal(s_join(s_cli, b.id, appr->id, &jr), 202);
    s_race_t p1 = {.caller = a.id, .group = appr->id, .request = jr->request->id};
    s_race_t p2 = {.caller = c.id, .group = appr->id, .request = jr->request->id};
    s_free(jr);
    s_race(&p1, &p2);
    Pigeon__Grp__Group *now = NULL;
    Pigeon__Grp__GroupIdRequest gid = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    gid.group_id = appr->id;
    assert_int_equal(
        s_call(a.id, "grp.get", &gid.base, &pigeon__grp__group__descriptor, (void **)&now), 200);
    assert_int_equal(now->member_count, 3);
    s_free(now);
    gid.group_id = open->id;
    assert_int_equal(
        s_call(a.id, "grp.get", &gid.base, &pigeon__grp__group__descriptor, (void **)&now), 200);
    assert_int_equal(now->member_count, 2);
    s_free(now);
    s_free(open);
    s_free(appr);
}

static int s_setup(void **state)
{
    static const char *const services[] = {"auth", "relationship", "group", NULL};
    h_system_start(&s_sys, services, NULL);
    s_reg = pc_registry_new(s_sys.db_url, 200, 3000);
    if (s_reg == NULL)
        return -1;
    s_cli = s_client();
    return 0;
}

static int s_teardown(void **state)
{
    pc_rpc_client_destroy(&s_cli);
    pc_registry_destroy(&s_reg);
    h_system_stop(&s_sys);
    return 0;
}

int main(void)
{
    if (!h_have_binary("pigeon-group")) {
        fprintf(stderr, "pigeon-group not built: skipping\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_a_contact_and_read_it_back),
        cmocka_unit_test(test_invite_only_is_404_to_strangers_and_never_listed),
        cmocka_unit_test(test_search_in_any_script_with_paging),
        cmocka_unit_test(test_join_by_policy_and_decisions),
        cmocka_unit_test(test_roles_leave_and_transfer),
        cmocka_unit_test(test_outbox_lists_changes_in_order),
        cmocka_unit_test(test_concurrent_joins_and_approvals_give_one_success),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
