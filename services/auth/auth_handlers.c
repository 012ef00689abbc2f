/* auth_handlers.c - one function per pigeon-auth method.
 *
 * Every handler has the same shape: validate -> authorize -> store ->
 * publish -> reply. SQL lives in auth_store.c. Write handlers do their slow
 * or read-only steps (rate limits, Argon2) before pc_call_begin_write, so
 * the write transaction stays short; everything after it commits or rolls
 * back as one. Tokens and passwords never reach a log line. */
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.pb-c.h"
#include "auth_password.h"
#include "auth_search.h"
#include "auth_service.h"
#include "auth_store.h"
#include "auth_token.h"
#include "auth_validate.h"
#include "media_client.h"
#include "status.h"

#define S_ERR_SIZE 160
#define S_CLIENT_IP_MAX 64 /* longest textual IPv6 address with zone fits */

static const char *const s_bad_credentials = "wrong username or password";
static const char *const s_bad_token = "invalid or expired token";

static auth_service_t *s_svc(pc_call_t *call)
{
    const pc_service_ctx_t *ctx = pc_call_service(call);
    return ctx->arg;
}

/* Answers a failure that is not the client's: database or hashing pool. */
static int s_fail(pc_call_t *call, int status)
{
    switch (status) {
    case PC_UNAVAILABLE:
        return pc_call_error(call, PC_UNAVAILABLE,
                             "the account database is unavailable; try again");
    case PC_DEADLINE_EXCEEDED:
        return pc_call_error(call, PC_DEADLINE_EXCEEDED, "the request did not finish in time");
    default:
        return pc_call_error(call, PC_INTERNAL, "internal error");
    }
}

/* Answers a failed Argon2 step: a full queue is load to shed, not an outage. */
static int s_fail_hash(pc_call_t *call, int status)
{
    if (status == PC_UNAVAILABLE)
        return pc_call_error(call, PC_UNAVAILABLE,
                             "too many password checks in progress; try again shortly");
    return s_fail(call, status);
}

static int s_bad_body(pc_call_t *call, const char *what)
{
    return pc_call_error(call, PC_INVALID_ARGUMENT, "request body is not a valid %s", what);
}

/* A view of u as a protobuf message; valid while u lives. */
static void s_user_msg(const auth_user_t *u, Pigeon__Auth__User *m)
{
    pigeon__auth__user__init(m);
    m->id = u->id;
    m->username = (char *)u->username;
    m->nickname = (char *)u->nickname;
    m->has_avatar_media_id = u->has_avatar;
    m->avatar_media_id = u->avatar_media_id;
    m->add_policy = (char *)u->add_policy;
    m->created_at_us = u->created_at_us;
}

/* Replies with a UserList of users[0..n); next_cursor may be NULL. */
static int s_reply_users(pc_call_t *call, const auth_user_t *users, size_t n, char *next_cursor)
{
    Pigeon__Auth__UserList list = PIGEON__AUTH__USER_LIST__INIT;
    Pigeon__Auth__User *msgs = n ? calloc(n, sizeof *msgs) : NULL;
    Pigeon__Auth__User **ptrs = n ? calloc(n, sizeof *ptrs) : NULL;
    int status;
    if (n > 0 && (msgs == NULL || ptrs == NULL)) {
        status = s_fail(call, PC_INTERNAL);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        s_user_msg(&users[i], &msgs[i]);
        ptrs[i] = &msgs[i];
    }
    list.n_users = n;
    list.users = ptrs;
    list.next_cursor = next_cursor;
    status = pc_call_reply(call, PC_OK, &list.base);
done:
    free(ptrs);
    free(msgs);
    return status;
}

/* client_ip as the gateway resolved it: absent or empty means an internal
 * caller, which is not limited per IP. */
static bool s_client_ip_ok(const char *ip)
{
    if (ip == NULL)
        return true;
    size_t len = strlen(ip);
    if (len > S_CLIENT_IP_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)ip[i] <= ' ' || (unsigned char)ip[i] > '~')
            return false;
    return true;
}

/* Counts one attempt under "<kind>:<value>" against `limit` per minute
 * (0: no limit). Returns PC_OK to go on; otherwise the call has been
 * answered (429 with Retry-After, or a database failure). */
static int s_rate_limit(pc_call_t *call, const char *kind, const char *value, int limit)
{
    if (limit <= 0 || value == NULL || value[0] == '\0')
        return PC_OK;
    char key[160];
    snprintf(key, sizeof key, "%s:%s", kind, value);
    int hits = 0, retry_after = 1;
    pc_status_t status = auth_store_rate_hit(pc_call_db(call), key, &hits, &retry_after);
    if (status != PC_OK)
        return s_fail(call, status);
    if (hits <= limit)
        return PC_OK;
    char labels[64];
    snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
    if (pc_call_metrics(call) != NULL)
        pc_metrics_count(pc_call_metrics(call), "pigeon_auth_rate_limited_total",
                         "Register and login attempts refused by a rate limit", labels, 1);
    pc_call_error(call, PC_RATE_LIMITED, "too many attempts; retry in %d seconds", retry_after);
    pc_call_set_retry_after(call, (unsigned)retry_after); /* after: setting the error clears it */
    return PC_RATE_LIMITED;
}

/* Makes a token, stores its session and answers `status` with a Session. */
static int s_open_session(pc_call_t *call, int status, const auth_user_t *user, const char *device)
{
    auth_service_t *svc = s_svc(call);
    char token[AUTH_TOKEN_LEN + 1];
    uint8_t hash[AUTH_TOKEN_HASH_LEN];
    int64_t expires_at_us = 0;
    auth_token_new(token);
    auth_token_hash(token, hash);
    pc_status_t st = auth_store_create_session(pc_call_db(call), hash, user->id, device,
                                               svc->config.token_ttl_days, &expires_at_us);
    if (st != PC_OK) {
        sodium_memzero(token, sizeof token);
        return s_fail(call, st);
    }
    Pigeon__Auth__User user_msg;
    Pigeon__Auth__Session session = PIGEON__AUTH__SESSION__INIT;
    s_user_msg(user, &user_msg);
    session.user = &user_msg;
    session.token = token;
    session.expires_at_us = expires_at_us;
    status = pc_call_reply(call, status, &session.base);
    sodium_memzero(token, sizeof token);
    return status;
}

static int s_register(pc_call_t *call)
{
    auth_service_t *svc = s_svc(call);
    char err[S_ERR_SIZE], username[AUTH_USERNAME_MAX + 1], hash[AUTH_PASSWORD_HASH_SIZE];
    auth_user_t user;

    Pigeon__Auth__RegisterRequest *req =
        pc_call_unpack(call, &pigeon__auth__register_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "RegisterRequest");
    if (!auth_validate_username(req->username, username, err, sizeof err) ||
        !auth_validate_nickname(req->nickname, err, sizeof err) ||
        !auth_validate_password(req->password, err, sizeof err))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", err);
    if (!s_client_ip_ok(req->client_ip))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "client_ip is not valid");

    int status =
        s_rate_limit(call, "register:ip", req->client_ip, svc->config.rate_register_per_ip);
    if (status != PC_OK)
        return status;
    /* Spares the hash when the name is plainly taken; the insert below
     * settles a race between two registrations of the same name. */
    status = auth_store_user_by_name(pc_call_db(call), username, &user, NULL);
    if (status == PC_OK)
        return pc_call_error(call, PC_CONFLICT, "username is taken");
    if (status != PC_NOT_FOUND)
        return s_fail(call, status);
    status = auth_password_hash(svc->password, req->password, pc_call_remaining_ms(call), hash);
    if (status != PC_OK)
        return s_fail_hash(call, status);

    status = pc_call_begin_write(call);
    if (status == PC_OK)
        status = auth_store_create_user(pc_call_db(call), username, req->nickname, hash, &user);
    if (status == PC_OK)
        status = auth_nickname_index(pc_call_db(call), user.id, user.nickname);
    sodium_memzero(hash, sizeof hash);
    if (status == PC_CONFLICT)
        return pc_call_error(call, PC_CONFLICT, "username is taken");
    if (status != PC_OK)
        return s_fail(call, status);
    return s_open_session(call, PC_CREATED, &user, NULL);
}

static int s_login(pc_call_t *call)
{
    auth_service_t *svc = s_svc(call);
    char err[S_ERR_SIZE], username[AUTH_USERNAME_MAX + 1], stored[AUTH_PASSWORD_HASH_SIZE];
    auth_user_t user;
    bool match = false;

    Pigeon__Auth__LoginRequest *req =
        pc_call_unpack(call, &pigeon__auth__login_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "LoginRequest");
    if (!auth_validate_username(req->username, username, err, sizeof err) ||
        !auth_validate_login_password(req->password, err, sizeof err) ||
        !auth_validate_device(req->device, err, sizeof err))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", err);
    if (!s_client_ip_ok(req->client_ip))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "client_ip is not valid");

    int status = s_rate_limit(call, "login:ip", req->client_ip, svc->config.rate_login_per_ip);
    if (status == PC_OK)
        status = s_rate_limit(call, "login:user", username, svc->config.rate_login_per_user);
    if (status != PC_OK)
        return status;

    status = auth_store_user_by_name(pc_call_db(call), username, &user, stored);
    if (status != PC_OK && status != PC_NOT_FOUND)
        return s_fail(call, status);
    /* An unknown name is checked against the dummy hash: same time, same answer. */
    bool known = (status == PC_OK);
    status = auth_password_verify(svc->password, known ? stored : NULL, req->password,
                                  pc_call_remaining_ms(call), &match);
    sodium_memzero(stored, sizeof stored);
    if (status != PC_OK)
        return s_fail_hash(call, status);
    if (!known || !match)
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_credentials);

    status = pc_call_begin_write(call);
    if (status != PC_OK)
        return s_fail(call, status);
    return s_open_session(call, PC_OK, &user, req->device);
}

static int s_logout(pc_call_t *call)
{
    int64_t caller = pc_call_caller(call);
    uint8_t hash[AUTH_TOKEN_HASH_LEN];

    Pigeon__Auth__LogoutRequest *req =
        pc_call_unpack(call, &pigeon__auth__logout_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "LogoutRequest");
    if (caller <= 0 || !auth_token_well_formed(req->token))
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    auth_token_hash(req->token, hash);

    int status = pc_call_begin_write(call);
    if (status == PC_OK)
        status = auth_store_revoke_session(pc_call_db(call), hash, caller);
    if (status == PC_NOT_FOUND) /* unknown, expired, revoked, or not the caller's */
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    if (status != PC_OK)
        return s_fail(call, status);

    /* Gateways drop the token from their caches and close its sockets. The
     * payload is a packed Revoked: its first byte is a field tag, never the
     * 0x00 that marks a subscription marker. Sent only after the commit. */
    Pigeon__Auth__Revoked ev = PIGEON__AUTH__REVOKED__INIT;
    uint8_t buf[64];
    ev.token_hash.data = hash;
    ev.token_hash.len = sizeof hash;
    ev.user_id = caller;
    assert(pigeon__auth__revoked__get_packed_size(&ev) <= sizeof buf);
    size_t len = pigeon__auth__revoked__pack(&ev, buf);
    pc_call_publish(call, "revoked/", (const char *)buf, len);
    return pc_call_reply(call, PC_NO_CONTENT, NULL);
}

static int s_verify(pc_call_t *call)
{
    uint8_t hash[AUTH_TOKEN_HASH_LEN], stored[AUTH_TOKEN_HASH_LEN];
    int64_t user_id = 0, expires_at_us = 0;

    Pigeon__Auth__VerifyRequest *req =
        pc_call_unpack(call, &pigeon__auth__verify_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "VerifyRequest");
    if (!auth_token_well_formed(req->token))
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    auth_token_hash(req->token, hash);
    int status = auth_store_live_session(pc_call_db(call), hash, &user_id, &expires_at_us, stored);
    if (status == PC_NOT_FOUND)
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    if (status != PC_OK)
        return s_fail(call, status);
    if (!auth_token_hash_equal(hash, stored))
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);

    Pigeon__Auth__Identity id = PIGEON__AUTH__IDENTITY__INIT;
    id.user_id = user_id;
    id.expires_at_us = expires_at_us;
    id.token_hash.data = hash;
    id.token_hash.len = sizeof hash;
    return pc_call_reply(call, PC_OK, &id.base);
}

#define S_TICKET_TTL_S 60 /* API.md: a WebSocket ticket is valid 60 s */

static int s_create_ticket(pc_call_t *call)
{
    int64_t caller = pc_call_caller(call);
    uint8_t session[AUTH_TOKEN_HASH_LEN], hash[AUTH_TOKEN_HASH_LEN];
    char ticket[AUTH_TOKEN_LEN + 1];
    int64_t expires_at_us = 0;

    Pigeon__Auth__CreateTicketRequest *req =
        pc_call_unpack(call, &pigeon__auth__create_ticket_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "CreateTicketRequest");
    if (caller <= 0 || !auth_token_well_formed(req->token))
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    auth_token_hash(req->token, session);
    /* A ticket looks like a token (256 random bits) and is stored the same
     * way: only its SHA-256. */
    auth_token_new(ticket);
    auth_token_hash(ticket, hash);

    int status = pc_call_begin_write(call);
    if (status == PC_OK)
        status = auth_store_create_ticket(pc_call_db(call), hash, session, caller, S_TICKET_TTL_S,
                                          &expires_at_us);
    if (status == PC_NOT_FOUND)
        return pc_call_error(call, PC_UNAUTHENTICATED, "%s", s_bad_token);
    if (status != PC_OK)
        return s_fail(call, status);
    Pigeon__Auth__Ticket t = PIGEON__AUTH__TICKET__INIT;
    t.ticket = ticket;
    t.expires_at_us = expires_at_us;
    int rc = pc_call_reply(call, PC_CREATED, &t.base);
    sodium_memzero(ticket, sizeof ticket);
    return rc;
}

static int s_redeem_ticket(pc_call_t *call)
{
    uint8_t hash[AUTH_TOKEN_HASH_LEN], session[AUTH_TOKEN_HASH_LEN];
    int64_t user_id = 0, expires_at_us = 0;

    Pigeon__Auth__RedeemTicketRequest *req =
        pc_call_unpack(call, &pigeon__auth__redeem_ticket_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "RedeemTicketRequest");
    if (!auth_token_well_formed(req->ticket))
        return pc_call_error(call, PC_UNAUTHENTICATED, "invalid, used or expired ticket");
    auth_token_hash(req->ticket, hash);
    int status = pc_call_begin_write(call);
    if (status == PC_OK)
        status = auth_store_redeem_ticket(pc_call_db(call), hash, &user_id, &expires_at_us, session);
    if (status == PC_NOT_FOUND)
        return pc_call_error(call, PC_UNAUTHENTICATED, "invalid, used or expired ticket");
    if (status != PC_OK)
        return s_fail(call, status);
    Pigeon__Auth__Identity id = PIGEON__AUTH__IDENTITY__INIT;
    id.user_id = user_id;
    id.expires_at_us = expires_at_us;
    id.token_hash.data = session;
    id.token_hash.len = sizeof session;
    return pc_call_reply(call, PC_OK, &id.base);
}

static int s_get_user(pc_call_t *call)
{
    auth_user_t user;
    Pigeon__Auth__GetUserRequest *req =
        pc_call_unpack(call, &pigeon__auth__get_user_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "GetUserRequest");
    int status =
        req->id > 0 ? auth_store_user_by_id(pc_call_db(call), req->id, &user) : PC_NOT_FOUND;
    if (status == PC_NOT_FOUND)
        return pc_call_error(call, PC_NOT_FOUND, "user not found");
    if (status != PC_OK)
        return s_fail(call, status);
    Pigeon__Auth__User msg;
    s_user_msg(&user, &msg);
    return pc_call_reply(call, PC_OK, &msg.base);
}

static int s_get_users(pc_call_t *call)
{
    auth_user_t *users = NULL;
    size_t n = 0;
    Pigeon__Auth__GetUsersRequest *req =
        pc_call_unpack(call, &pigeon__auth__get_users_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "GetUsersRequest");
    if (req->n_ids > AUTH_GET_USERS_MAX)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "ids may name at most %d users",
                             AUTH_GET_USERS_MAX);
    int status = auth_store_users_by_ids(pc_call_db(call), req->ids, req->n_ids, &users, &n);
    if (status != PC_OK)
        return s_fail(call, status);
    status = s_reply_users(call, users, n, NULL);
    free(users);
    return status;
}

static int s_find_username(pc_call_t *call)
{
    char err[S_ERR_SIZE], username[AUTH_USERNAME_MAX + 1];
    auth_user_t user;
    Pigeon__Auth__FindUsernameRequest *req =
        pc_call_unpack(call, &pigeon__auth__find_username_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "FindUsernameRequest");
    if (!auth_validate_username(req->username, username, err, sizeof err))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", err);
    int status = auth_store_user_by_name(pc_call_db(call), username, &user, NULL);
    if (status == PC_NOT_FOUND)
        return s_reply_users(call, NULL, 0, NULL);
    if (status != PC_OK)
        return s_fail(call, status);
    return s_reply_users(call, &user, 1, NULL);
}

static int s_search(pc_call_t *call)
{
    char err[S_ERR_SIZE], after[AUTH_USERNAME_MAX + 1], cursor[AUTH_CURSOR_SIZE];
    auth_query_t query;
    auth_user_t *users = NULL;
    size_t n = 0;
    uint32_t limit = 0;
    int status;

    Pigeon__Auth__SearchRequest *req =
        pc_call_unpack(call, &pigeon__auth__search_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "SearchRequest");
    if (!auth_validate_search_q(req->q, err, sizeof err) ||
        !auth_validate_search_limit(req->has_limit, req->limit, &limit, err, sizeof err))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", err);
    if (req->cursor != NULL && !auth_cursor_decode(req->cursor, after))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "cursor is not valid");

    /* Username prefix, or nickname substring in any script (auth_search.h). */
    if (auth_query_build(req->q, &query) < 0) {
        status = s_fail(call, PC_INTERNAL);
        goto done;
    }
    /* One row more than the page tells whether another page follows. */
    status = auth_store_search(pc_call_db(call), &query.q, req->cursor ? after : NULL, limit + 1,
                               &users, &n);
    if (status != PC_OK) {
        status = s_fail(call, status);
        goto done;
    }
    bool more = n > limit;
    if (more) {
        n = limit;
        auth_cursor_encode(users[n - 1].username, cursor);
    }
    status = s_reply_users(call, users, n, more ? cursor : NULL);
done:
    free(users);
    auth_query_clear(&query);
    return status;
}

/* An avatar must be an image `me` uploaded: PC_OK, or the error answered. */
static int s_check_avatar(pc_call_t *call, int64_t me, int64_t media_id)
{
    auth_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    pc_rpc_reply_t reply = {0};
    Pigeon__Media__Media *media = NULL;
    int st = media_client_require(w->media, &opts, media_id, me, "image", &media, &reply);
    if (st == PC_OK)
        protobuf_c_message_free_unpacked(&media->base, NULL);
    else if (st == PC_NOT_FOUND)
        st = pc_call_error(call, PC_NOT_FOUND,
                           "no such media (an avatar must be an image you "
                           "uploaded)");
    else if (st == PC_INVALID_ARGUMENT)
        st = pc_call_error(call, PC_INVALID_ARGUMENT, "avatar_media_id is not an image");
    else
        st = pc_call_error(call, st, "could not check the avatar: %s",
                           reply.error ? reply.error : "pigeon-media failed");
    pc_rpc_reply_clear(&reply);
    return st;
}

/* auth.avatar_in_use: is media_id some user's avatar? (read) */
static int s_avatar_in_use(pc_call_t *call)
{
    Pigeon__Auth__AvatarInUseRequest *req =
        pc_call_unpack(call, &pigeon__auth__avatar_in_use_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "AvatarInUseRequest");
    bool in_use = false;
    int status = auth_store_avatar_in_use(pc_call_db(call), req->media_id, &in_use);
    if (status != PC_OK)
        return s_fail(call, status);
    Pigeon__Auth__AvatarInUseReply msg = PIGEON__AUTH__AVATAR_IN_USE_REPLY__INIT;
    msg.in_use = in_use;
    return pc_call_reply(call, PC_OK, &msg.base);
}

static int s_patch_me(pc_call_t *call)
{
    int64_t caller = pc_call_caller(call);
    char err[S_ERR_SIZE];
    bool clear_avatar = false;
    auth_user_t user;

    Pigeon__Auth__PatchMeRequest *req =
        pc_call_unpack(call, &pigeon__auth__patch_me_request__descriptor);
    if (req == NULL)
        return s_bad_body(call, "PatchMeRequest");
    if (caller <= 0)
        return pc_call_error(call, PC_UNAUTHENTICATED, "authentication required");
    for (size_t i = 0; i < req->n_null_fields; i++) {
        const char *f = req->null_fields[i];
        if (strcmp(f, "nickname") == 0 || strcmp(f, "add_policy") == 0)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "%s cannot be null", f);
        if (strcmp(f, "avatar_media_id") != 0)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "null_fields names an unknown field");
        clear_avatar = true;
    }
    if ((req->nickname != NULL && !auth_validate_nickname(req->nickname, err, sizeof err)) ||
        (req->add_policy != NULL && !auth_validate_add_policy(req->add_policy, err, sizeof err)))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "%s", err);
    if (req->has_avatar_media_id && clear_avatar)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "avatar_media_id is both set and null");
    /* An avatar must be an image the caller uploaded, which only pigeon-media
     * can tell (DESIGN.md: auth -> media): 404 unknown or not the caller's,
     * 400 for a voice clip. Asked before the write transaction opens, so no
     * transaction waits on a network call. */
    if (req->has_avatar_media_id) {
        int st = s_check_avatar(call, caller, req->avatar_media_id);
        if (st != PC_OK)
            return st;
    }

    int status = pc_call_begin_write(call);
    if (status == PC_OK)
        status = auth_store_patch_user(pc_call_db(call), caller, req->nickname, req->add_policy,
                                       clear_avatar, req->has_avatar_media_id,
                                       req->avatar_media_id, &user);
    if (status == PC_OK && req->nickname != NULL)
        status = auth_nickname_index(pc_call_db(call), caller, user.nickname);
    if (status == PC_NOT_FOUND)
        return pc_call_error(call, PC_NOT_FOUND, "user not found");
    if (status != PC_OK)
        return s_fail(call, status);
    Pigeon__Auth__User msg;
    s_user_msg(&user, &msg);
    return pc_call_reply(call, PC_OK, &msg.base);
}

const pc_method_t auth_methods[] = {
    {"auth.register", s_register, PC_METHOD_WRITE | PC_METHOD_NO_REPLAY, NULL},
    {"auth.login", s_login, PC_METHOD_WRITE | PC_METHOD_NO_REPLAY, NULL},
    {"auth.logout", s_logout, PC_METHOD_WRITE, NULL},
    {"auth.verify", s_verify, PC_METHOD_READ, NULL},
    /* Replies hold a secret (create) or must not be replayed (a redeem
     * retried would hand the identity out twice). */
    {"auth.create_ticket", s_create_ticket, PC_METHOD_WRITE | PC_METHOD_NO_REPLAY, NULL},
    {"auth.redeem_ticket", s_redeem_ticket, PC_METHOD_WRITE | PC_METHOD_NO_REPLAY, NULL},
    {"auth.get_user", s_get_user, PC_METHOD_READ, NULL},
    {"auth.get_users", s_get_users, PC_METHOD_READ, NULL},
    {"auth.find_username", s_find_username, PC_METHOD_READ, NULL},
    {"auth.search", s_search, PC_METHOD_READ, NULL},
    {"auth.patch_me", s_patch_me, PC_METHOD_WRITE, NULL},
    {"auth.avatar_in_use", s_avatar_in_use, PC_METHOD_READ, NULL},
};
const size_t auth_method_count = sizeof auth_methods / sizeof auth_methods[0];
