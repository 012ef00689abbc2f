/* accounts.c - REST handlers of API.md's Accounts section.
 *
 * Each one: JSON -> protobuf (account_map.c), one RPC to pigeon-auth, and
 * protobuf -> JSON. Values are validated by pigeon-auth; the gateway checks
 * shapes and types only, so the rules live in one place. */
#include <stdlib.h>
#include <string.h>

#include "account_map.h"
#include "backend.h"
#include "dispatch.h"
#include "handlers.h"
#include "status.h"
#include "token_cache.h"

/* One call to pigeon-auth. */
static int s_call(gw_request_t *req, const char *method, const ProtobufCMessage *msg,
                  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp, gw_reply_t *out)
{
    return gw_call(req, GW_SVC_AUTH, method, msg, desc, resp, out);
}

static json_t *s_user(const ProtobufCMessage *m)
{
    return gw_user_json((const Pigeon__Auth__User *)m);
}

static json_t *s_session(const ProtobufCMessage *m)
{
    return gw_session_json((const Pigeon__Auth__Session *)m);
}

void gw_h_register(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Auth__RegisterRequest msg;
    if (gw_map_register(body, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else {
        msg.client_ip = (char *)req->client_ip;
        gw_answer(req, GW_SVC_AUTH, "auth.register", &msg.base, &pigeon__auth__session__descriptor,
                  s_session, out);
    }
    json_decref(body);
}

void gw_h_login(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Auth__LoginRequest msg;
    if (gw_map_login(body, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else {
        msg.client_ip = (char *)req->client_ip;
        gw_answer(req, GW_SVC_AUTH, "auth.login", &msg.base, &pigeon__auth__session__descriptor,
                  s_session, out);
    }
    json_decref(body);
}

void gw_h_logout(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Auth__LogoutRequest msg = PIGEON__AUTH__LOGOUT_REQUEST__INIT;
    msg.token = (char *)req->token;
    if (s_call(req, "auth.logout", &msg.base, NULL, NULL, out) < 0)
        return;
    /* The revoked/ event does this on every gateway; here it is also instant
     * for the caller's next request on this one. */
    gw_token_cache_revoke(req->ctx->tokens, req->token_hash);
    gw_reply_empty(out, PC_NO_CONTENT);
}

void gw_h_me(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Auth__GetUserRequest msg = PIGEON__AUTH__GET_USER_REQUEST__INIT;
    msg.id = req->caller_id;
    gw_answer(req, GW_SVC_AUTH, "auth.get_user", &msg.base, &pigeon__auth__user__descriptor, s_user,
              out);
}

void gw_h_patch_me(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    gw_patch_me_t patch;
    if (gw_map_patch_me(body, &patch, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_AUTH, "auth.patch_me", &patch.msg.base,
                  &pigeon__auth__user__descriptor, s_user, out);
    json_decref(body);
}

void gw_h_get_user(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Auth__GetUserRequest msg = PIGEON__AUTH__GET_USER_REQUEST__INIT;
    msg.id = req->path_id;
    gw_answer(req, GW_SVC_AUTH, "auth.get_user", &msg.base, &pigeon__auth__user__descriptor, s_user,
              out);
}

static void s_answer_list(gw_request_t *req, const char *method, const ProtobufCMessage *msg,
                          int with_cursor, gw_reply_t *out)
{
    ProtobufCMessage *resp = NULL;
    if (s_call(req, method, msg, &pigeon__auth__user_list__descriptor, &resp, out) < 0)
        return;
    gw_reply_json(out, PC_OK, gw_user_list_json((Pigeon__Auth__UserList *)resp, with_cursor));
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* GET /v1/users?username=<exact> or ?q=<text>&limit=&cursor=. With both,
 * the exact username wins: it is the narrower question. */
void gw_h_users(gw_request_t *req, gw_reply_t *out)
{
    const char *username, *q, *cursor;
    uint32_t limit;
    if (gw_query_text(req, "username", &username, out) < 0 ||
        gw_query_text(req, "q", &q, out) < 0 || gw_query_text(req, "cursor", &cursor, out) < 0)
        return;
    if (username) {
        Pigeon__Auth__FindUsernameRequest msg = PIGEON__AUTH__FIND_USERNAME_REQUEST__INIT;
        msg.username = (char *)username;
        s_answer_list(req, "auth.find_username", &msg.base, 0, out);
        return;
    }
    if (!q) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "query parameter \"username\" or \"q\" is required");
        return;
    }
    if (gw_query_limit(req, &limit, out) < 0)
        return;
    Pigeon__Auth__SearchRequest msg = PIGEON__AUTH__SEARCH_REQUEST__INIT;
    msg.q = (char *)q;
    if (limit > 0) {
        msg.has_limit = 1;
        msg.limit = limit;
    }
    msg.cursor = (char *)cursor;
    s_answer_list(req, "auth.search", &msg.base, 1, out);
}
