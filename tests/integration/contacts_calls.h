/* contacts_calls.h - API.md "Contacts" calls shared by test_contacts*.c.
 *
 * Header-only (static inline) because each integration test is one source
 * file linked with the harness library; these helpers are the contacts
 * tests' own vocabulary, not the harness's. Every helper fails the test
 * (cmocka) on an unexpected answer, so the tests read as the rules. */
#ifndef PIGEON_TEST_CONTACTS_CALLS_H
#define PIGEON_TEST_CONTACTS_CALLS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_helpers.h"
#include "harness.h"

/* Register limits far above what the contacts tests do from one IP. */
static const char *const ct_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                     "PIGEON_RATE_LOGIN_PER_IP=100000",
                                     "PIGEON_RATE_LOGIN_PER_USER=100000", NULL};
static const char *const ct_services[] = {"auth", "relationship", NULL};

typedef struct {
    char name[40];   /* username */
    char token[128]; /* bearer token */
    int64_t id;      /* user id */
} ct_user_t;

static inline ct_user_t ct_user(const h_system_t *sys, const char *prefix)
{
    ct_user_t u;
    h_unique_name(prefix, u.name, sizeof u.name);
    h_register(sys, u.name, prefix, u.token, &u.id);
    return u;
}

/* Sends the call and checks its status (and, when code is given, API.md's
 * error body); the answer is returned for more checks (the caller frees). */
static inline h_resp_t ct_expect(const h_system_t *sys, const char *method, const char *path,
                                 const char *token, json_t *body, long status, const char *code)
{
    h_resp_t r = h_call(sys, method, path, token, body);
    if (code)
        h_expect_error(&r, status, code);
    else
        h_expect_status(&r, status);
    return r;
}

/* Same, answer freed. */
static inline void ct_check(const h_system_t *sys, const char *method, const char *path,
                            const char *token, json_t *body, long status, const char *code)
{
    h_resp_t r = ct_expect(sys, method, path, token, body, status, code);
    h_resp_free(&r);
}

/* POST /v1/contacts; message and remark may be NULL (absent). */
static inline h_resp_t ct_add(const h_system_t *sys, const ct_user_t *from, int64_t to,
                              const char *mode, const char *message, const char *remark)
{
    json_t *body = json_pack("{s:I, s:s}", "user_id", (json_int_t)to, "mode", mode);
    if (message)
        json_object_set_new(body, "message", json_string(message));
    if (remark)
        json_object_set_new(body, "remark", json_string(remark));
    return h_call(sys, "POST", "/v1/contacts", from->token, body);
}

/* An add that must answer `status` (and `code` when an error). */
static inline void ct_add_expect(const h_system_t *sys, const ct_user_t *from, int64_t to,
                                 const char *mode, long status, const char *code)
{
    h_resp_t r = ct_add(sys, from, to, mode, NULL, NULL);
    if (code)
        h_expect_error(&r, status, code);
    else
        h_expect_status(&r, status);
    h_resp_free(&r);
}

/* A two_way add that must make a pending request (202); returns its id. */
static inline int64_t ct_ask(const h_system_t *sys, const ct_user_t *from, const ct_user_t *to)
{
    h_resp_t r = ct_add(sys, from, to->id, "two_way", NULL, NULL);
    h_expect_status(&r, 202);
    json_t *req = json_object_get(r.json, "request");
    int64_t id = json_integer_value(json_object_get(req, "id"));
    assert_true(id > 0);
    assert_string_equal(json_string_value(json_object_get(req, "status")), "pending");
    h_resp_free(&r);
    return id;
}

/* "/v1/friend-requests/<id>/<action>" (action NULL: no suffix). */
static inline void ct_request_path(char *out, size_t size, int64_t id, const char *action)
{
    snprintf(out, size, "/v1/friend-requests/%" PRId64 "%s%s", id, action ? "/" : "",
             action ? action : "");
}

/* POST accept/decline or DELETE (action "cancel") of request id by u. */
static inline void ct_decide(const h_system_t *sys, const ct_user_t *u, int64_t id,
                             const char *action, long status, const char *code)
{
    char path[96];
    bool cancel = strcmp(action, "cancel") == 0;
    ct_request_path(path, sizeof path, id, cancel ? NULL : action);
    ct_check(sys, cancel ? "DELETE" : "POST", path, u->token, NULL, status, code);
}

/* Makes a and b friends (a asks, b accepts). */
static inline void ct_befriend(const h_system_t *sys, const ct_user_t *a, const ct_user_t *b)
{
    ct_decide(sys, b, ct_ask(sys, a, b), "accept", 200, NULL);
}

/* How u's contact list shows peer: returns the number of entries for peer
 * and copies the kind of the first into kind ("" when none). */
static inline int ct_kind(const h_system_t *sys, const ct_user_t *u, int64_t peer, char *kind,
                          size_t size)
{
    h_resp_t r = ct_expect(sys, "GET", "/v1/contacts", u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "contacts");
    assert_true(json_is_array(list));
    int n = 0;
    size_t i;
    json_t *c;
    kind[0] = '\0';
    json_array_foreach(list, i, c)
    {
        json_t *user = json_object_get(c, "user");
        if (json_integer_value(json_object_get(user, "id")) != peer)
            continue;
        if (n++ == 0)
            snprintf(kind, size, "%s", json_string_value(json_object_get(c, "kind")));
    }
    h_resp_free(&r);
    return n;
}

/* Fails unless u's list shows peer exactly once as `kind`, or not at all
 * when kind is NULL. */
static inline void ct_expect_kind(const h_system_t *sys, const ct_user_t *u, const ct_user_t *peer,
                                  const char *kind)
{
    char got[16];
    int n = ct_kind(sys, u, peer->id, got, sizeof got);
    if (kind == NULL && n != 0)
        fail_msg("%s sees %s as %s, expected no contact", u->name, peer->name, got);
    if (kind != NULL && (n != 1 || strcmp(got, kind) != 0))
        fail_msg("%s sees %s %d time(s) as \"%s\", expected once as %s", u->name, peer->name, n,
                 got, kind);
}

/* Pending requests u sees in `direction` (NULL: no query) that involve
 * peer (peer NULL: all of them). */
static inline int ct_pending(const h_system_t *sys, const ct_user_t *u, const char *direction,
                             const ct_user_t *peer)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/friend-requests%s%s", direction ? "?direction=" : "",
             direction ? direction : "");
    h_resp_t r = ct_expect(sys, "GET", path, u->token, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "requests");
    assert_true(json_is_array(list));
    int n = 0;
    size_t i;
    json_t *q;
    json_array_foreach(list, i, q)
    {
        assert_string_equal(json_string_value(json_object_get(q, "status")), "pending");
        int64_t from = json_integer_value(json_object_get(json_object_get(q, "from"), "id"));
        int64_t to = json_integer_value(json_object_get(json_object_get(q, "to"), "id"));
        /* incoming: to me; outgoing: from me */
        if (direction && strcmp(direction, "outgoing") == 0)
            assert_int_equal(from, u->id);
        else
            assert_int_equal(to, u->id);
        if (!peer || from == peer->id || to == peer->id)
            n++;
    }
    h_resp_free(&r);
    return n;
}

/* pigeon-relationship is up: the harness waits for /readyz, which asks for
 * pigeon-auth alone (gateway/README.md), so the first contacts call may
 * still find no instance (503). */
typedef struct {
    const h_system_t *sys;
    const char *token;
} ct_probe_t;

static inline bool ct_relationship_up(void *arg)
{
    ct_probe_t *p = arg;
    h_resp_t r = h_http(p->sys, "GET", "/v1/blocks", p->token, NULL, NULL);
    bool up = r.status == 200;
    h_resp_free(&r);
    return up;
}

static inline void ct_wait_relationship(const h_system_t *sys)
{
    ct_user_t probe = ct_user(sys, "probe");
    ct_probe_t p = {sys, probe.token};
    if (!h_wait_until(ct_relationship_up, &p, 15000))
        fail_msg("pigeon-relationship did not answer through the gateway within 15 s");
}

#endif
