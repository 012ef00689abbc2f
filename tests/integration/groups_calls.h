/* groups_calls.h - API.md "Groups" calls shared by test_groups*.c.
 *
 * Header-only (static inline), like contacts_calls.h, whose users and
 * friendship helpers these build on. Every helper fails the test (cmocka)
 * on an unexpected answer, so the tests read as the rules. */
#ifndef PIGEON_TEST_GROUPS_CALLS_H
#define PIGEON_TEST_GROUPS_CALLS_H

#include "contacts_calls.h"

/* pigeon-router joins when it exists: group messages need it. */
static const char *const gc_services[] = {"auth", "relationship", "router", "group", NULL};
static const char *const gc_services_no_router[] = {"auth", "relationship", "group", NULL};

static inline const char *const *gc_pick_services(void)
{
    return h_have_binary("pigeon-router") ? gc_services : gc_services_no_router;
}

/* Group id of a group object, checking its shape on the way. */
static inline int64_t gc_check_group(json_t *g)
{
    assert_true(json_is_object(g));
    assert_true(json_integer_value(json_object_get(g, "id")) > 0);
    assert_true(json_is_string(json_object_get(g, "name")));
    json_t *d = json_object_get(g, "description");
    assert_true(d && (json_is_null(d) || json_is_string(d)));
    assert_true(json_integer_value(json_object_get(g, "owner_id")) > 0);
    assert_true(json_is_string(json_object_get(g, "join_policy")));
    assert_true(json_is_integer(json_object_get(g, "member_count")));
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(g, "created_at"))));
    return json_integer_value(json_object_get(g, "id"));
}

/* A member object: checks its shape, returns its user id. */
static inline int64_t gc_check_member(json_t *m)
{
    assert_true(json_is_object(m));
    json_t *u = json_object_get(m, "user");
    h_check_user(u, json_string_value(json_object_get(u, "username")), NULL);
    assert_true(json_is_string(json_object_get(m, "role")));
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(m, "joined_at"))));
    json_t *mu = json_object_get(m, "muted_until");
    assert_true(mu && (json_is_null(mu) || json_is_string(mu)));
    return json_integer_value(json_object_get(u, "id"));
}

/* POST /v1/groups; member_ids may be NULL. Expects 201, returns the group id. */
static inline int64_t gc_create(const h_system_t *sys, const ct_user_t *owner, const char *name,
                                const char *policy, const int64_t *member_ids, size_t n)
{
    json_t *body = json_pack("{s:s}", "name", name);
    if (policy)
        json_object_set_new(body, "join_policy", json_string(policy));
    if (member_ids) {
        json_t *ids = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(ids, json_integer(member_ids[i]));
        json_object_set_new(body, "member_ids", ids);
    }
    h_resp_t r = ct_expect(sys, "POST", "/v1/groups", owner->token, body, 201, NULL);
    int64_t id = gc_check_group(r.json);
    assert_int_equal(json_integer_value(json_object_get(r.json, "owner_id")), owner->id);
    h_resp_free(&r);
    return id;
}

/* "/v1/groups/<gid><suffix>" */
static inline const char *gc_path(char *out, size_t size, int64_t gid, const char *suffix)
{
    snprintf(out, size, "/v1/groups/%" PRId64 "%s", gid, suffix ? suffix : "");
    return out;
}

/* A call on group gid (suffix after the id), answer checked and returned. */
static inline h_resp_t gc_expect(const h_system_t *sys, const char *method, int64_t gid,
                                 const char *suffix, const ct_user_t *u, json_t *body, long status,
                                 const char *code)
{
    char path[160];
    return ct_expect(sys, method, gc_path(path, sizeof path, gid, suffix), u->token, body, status,
                     code);
}

/* Same, answer freed. */
static inline void gc_check(const h_system_t *sys, const char *method, int64_t gid,
                            const char *suffix, const ct_user_t *u, json_t *body, long status,
                            const char *code)
{
    h_resp_t r = gc_expect(sys, method, gid, suffix, u, body, status, code);
    h_resp_free(&r);
}

/* "/members/<uid>" or "/join-requests/<rid>/<action>" suffixes. */
static inline const char *gc_sub(char *out, size_t size, const char *what, int64_t id,
                                 const char *action)
{
    snprintf(out, size, "/%s/%" PRId64 "%s%s", what, id, action ? "/" : "", action ? action : "");
    return out;
}

/* Role of user uid in gid as u sees the member list ("" when not listed). */
static inline void gc_role(const h_system_t *sys, const ct_user_t *u, int64_t gid, int64_t uid,
                           char *role, size_t size)
{
    h_resp_t r = gc_expect(sys, "GET", gid, "/members", u, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "members");
    assert_true(json_is_array(list));
    size_t i;
    json_t *m;
    role[0] = '\0';
    json_array_foreach(list, i, m)
    {
        if (gc_check_member(m) == uid)
            snprintf(role, size, "%s", json_string_value(json_object_get(m, "role")));
    }
    h_resp_free(&r);
}

static inline void gc_expect_role(const h_system_t *sys, const ct_user_t *u, int64_t gid,
                                  int64_t uid, const char *want)
{
    char role[16];
    gc_role(sys, u, gid, uid, role, sizeof role);
    if (strcmp(role, want) != 0)
        fail_msg("user %" PRId64 " has role \"%s\" in group %" PRId64 ", expected \"%s\"", uid,
                 role, gid, want);
}

/* PATCH /v1/groups/{gid}/members/{uid} with body; status checked. */
static inline h_resp_t gc_set_member(const h_system_t *sys, const ct_user_t *u, int64_t gid,
                                     int64_t uid, json_t *body, long status, const char *code)
{
    char sub[64];
    return gc_expect(sys, "PATCH", gid, gc_sub(sub, sizeof sub, "members", uid, NULL), u, body,
                     status, code);
}

/* Owner makes uid an admin. */
static inline void gc_make_admin(const h_system_t *sys, const ct_user_t *owner, int64_t gid,
                                 int64_t uid)
{
    h_resp_t r =
        gc_set_member(sys, owner, gid, uid, json_pack("{s:s}", "role", "admin"), 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "admin");
    h_resp_free(&r);
}

/* DELETE /v1/groups/{gid}/members/{uid}. */
static inline void gc_remove(const h_system_t *sys, const ct_user_t *u, int64_t gid, int64_t uid,
                             long status, const char *code)
{
    char sub[64];
    gc_check(sys, "DELETE", gid, gc_sub(sub, sizeof sub, "members", uid, NULL), u, NULL, status,
             code);
}

/* POST /v1/groups/{gid}/join on an approval group: 202, returns the request id. */
static inline int64_t gc_apply(const h_system_t *sys, const ct_user_t *u, int64_t gid)
{
    h_resp_t r =
        gc_expect(sys, "POST", gid, "/join", u, json_pack("{s:s}", "message", "hi"), 202, NULL);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    assert_true(id > 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "group_id")), gid);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(r.json, "message")), "hi");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "user"), "id")),
                     u->id);
    h_resp_free(&r);
    return id;
}

/* POST .../join-requests/{rid}/<action> by u. */
static inline void gc_decide(const h_system_t *sys, const ct_user_t *u, int64_t gid, int64_t rid,
                             const char *action, long status, const char *code)
{
    char sub[96];
    gc_check(sys, "POST", gid, gc_sub(sub, sizeof sub, "join-requests", rid, action), u, NULL,
             status, code);
}

/* Makes a and b contacts in both directions (a friendship). */
static inline void gc_friends(const h_system_t *sys, const ct_user_t *a, const ct_user_t *b)
{
    ct_befriend(sys, a, b);
}

/* pigeon-group answers through the gateway (the harness waits for
 * pigeon-auth only). */
static inline bool gc_group_up(void *arg)
{
    ct_probe_t *p = arg;
    h_resp_t r = h_http(p->sys, "GET", "/v1/me/groups", p->token, NULL, NULL);
    bool up = r.status == 200;
    h_resp_free(&r);
    return up;
}

static inline void gc_wait_group(const h_system_t *sys)
{
    ct_wait_relationship(sys);
    ct_user_t probe = ct_user(sys, "gprobe");
    ct_probe_t p = {sys, probe.token};
    if (!h_wait_until(gc_group_up, &p, 15000))
        fail_msg("pigeon-group did not answer through the gateway within 15 s");
}

#endif
