/* messages_calls.h - API.md "Messages and conversations" calls shared by
 * test_messages*.c.
 *
 * Header-only (static inline), like contacts_calls.h, whose users and
 * contact helpers these build on. Every helper fails the test (cmocka) on
 * an unexpected answer. */
#ifndef PIGEON_TEST_MESSAGES_CALLS_H
#define PIGEON_TEST_MESSAGES_CALLS_H

#include "contacts_calls.h"

static const char *const mc_services[] = {"auth", "relationship", "router", NULL};

/* "d:<min>:<max>" */
static inline void mc_cid(const ct_user_t *x, const ct_user_t *y, char *out, size_t size)
{
    int64_t a = x->id < y->id ? x->id : y->id, b = x->id < y->id ? y->id : x->id;
    snprintf(out, size, "d:%" PRId64 ":%" PRId64, a, b);
}

/* POST /v1/messages to a user with a text. */
static inline h_resp_t mc_send(const h_system_t *sys, const ct_user_t *from, int64_t to,
                               const char *client_msg_id, const char *text)
{
    json_t *body = json_pack("{s:{s:I}, s:s, s:s, s:s}", "to", "user_id", (json_int_t)to,
                             "client_msg_id", client_msg_id, "kind", "text", "text", text);
    return h_call(sys, "POST", "/v1/messages", from->token, body);
}

/* A send that must answer `status` (and `code` for errors). */
static inline void mc_send_expect(const h_system_t *sys, const ct_user_t *from, int64_t to,
                                  const char *client_msg_id, long status, const char *code)
{
    h_resp_t r = mc_send(sys, from, to, client_msg_id, "hello");
    if (code)
        h_expect_error(&r, status, code);
    else
        h_expect_status(&r, status);
    h_resp_free(&r);
}

/* A send that must succeed with 201; returns the message's seq and copies its id. */
static inline int64_t mc_send_ok(const h_system_t *sys, const ct_user_t *from, int64_t to,
                                 const char *text, char *id, size_t idsize)
{
    char cmid[64];
    static unsigned counter;
    snprintf(cmid, sizeof cmid, "c-%u-%ld", __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST),
             (long)random());
    h_resp_t r = mc_send(sys, from, to, cmid, text);
    h_expect_status(&r, 201);
    int64_t seq = json_integer_value(json_object_get(r.json, "seq"));
    if (id)
        snprintf(id, idsize, "%s", json_string_value(json_object_get(r.json, "id")));
    h_resp_free(&r);
    return seq;
}

/* GET /v1/conversations/<cid>/messages<query> answering `status`. */
static inline h_resp_t mc_history(const h_system_t *sys, const ct_user_t *u, const char *cid,
                                  const char *query, long status, const char *code)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/conversations/%s/messages%s", cid, query ? query : "");
    return ct_expect(sys, "GET", path, u->token, NULL, status, code);
}

/* POST /v1/conversations/<cid>/read {"seq"} answering `status`. */
static inline void mc_read(const h_system_t *sys, const ct_user_t *u, const char *cid, int64_t seq,
                           long status, const char *code)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/conversations/%s/read", cid);
    ct_check(sys, "POST", path, u->token, json_pack("{s:I}", "seq", (json_int_t)seq), status, code);
}

/* POST /v1/messages/<id>/recall. */
static inline h_resp_t mc_recall(const h_system_t *sys, const ct_user_t *u, const char *id,
                                 long status, const char *code)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/messages/%s/recall", id);
    return ct_expect(sys, "POST", path, u->token, NULL, status, code);
}

/* u's conversation `cid` from GET /v1/conversations (a new reference), or NULL. */
static inline json_t *mc_conversation(const h_system_t *sys, const ct_user_t *u, const char *cid)
{
    h_resp_t r = ct_expect(sys, "GET", "/v1/conversations", u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "conversations"), *found = NULL, *c;
    size_t i;
    assert_true(json_is_array(list));
    json_array_foreach(list, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "id")), cid) == 0)
            found = json_incref(c);
    }
    h_resp_free(&r);
    return found;
}

static inline int64_t mc_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("field \"%s\" is not an integer", key);
    return json_integer_value(v);
}

/* pigeon-router answers through the gateway (readyz waits for auth only). */
static inline bool mc_router_up(void *arg)
{
    ct_probe_t *p = arg;
    h_resp_t r = h_http(p->sys, "GET", "/v1/conversations", p->token, NULL, NULL);
    bool up = r.status == 200;
    h_resp_free(&r);
    return up;
}

static inline void mc_wait_router(const h_system_t *sys)
{
    ct_wait_relationship(sys);
    ct_user_t probe = ct_user(sys, "probe");
    ct_probe_t p = {sys, probe.token};
    if (!h_wait_until(mc_router_up, &p, 15000))
        fail_msg("pigeon-router did not answer through the gateway within 15 s");
}

#endif
