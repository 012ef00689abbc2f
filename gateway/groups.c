/* groups.c - REST handlers of API.md's Groups section.
 *
 * Each one: JSON -> protobuf (groups_map.c), one RPC to pigeon-group, and
 * protobuf -> JSON. Every rule (roles, join policies, visibility, who may
 * add whom) lives in pigeon-group alone; the gateway checks shapes and
 * types and converts RFC 3339 times to microseconds. The router-only
 * methods (grp.membership, grp.roster, grp.changes) are never called from
 * here: they check no caller. Every POST here honours Idempotency-Key
 * (routes.c); the request id reaches the service, which replays its reply. */
#include <stdbool.h>
#include <string.h>

#include "api_json.h"
#include "dispatch.h"
#include "groups_map.h"
#include "handlers.h"
#include "status.h"

static json_t *s_group(const ProtobufCMessage *m)
{
    return pc_api_group((const Pigeon__Grp__Group *)m);
}

static json_t *s_member(const ProtobufCMessage *m)
{
    return pc_api_member((const Pigeon__Grp__Member *)m);
}

static json_t *s_search_list(const ProtobufCMessage *m)
{
    return gw_group_list_json((const Pigeon__Grp__GroupList *)m, true);
}

static json_t *s_mine_list(const ProtobufCMessage *m)
{
    return gw_group_list_json((const Pigeon__Grp__GroupList *)m, false);
}

static json_t *s_members(const ProtobufCMessage *m)
{
    return gw_member_list_json((const Pigeon__Grp__MemberList *)m);
}

static json_t *s_requests(const ProtobufCMessage *m)
{
    return gw_join_request_list_json((const Pigeon__Grp__JoinRequestList *)m);
}

static json_t *s_join(const ProtobufCMessage *m)
{
    return gw_join_reply_json((const Pigeon__Grp__JoinReply *)m);
}

/* The body as a JSON object; an empty body counts as {} when `may_be_empty`
 * (POST .../join, whose fields are all optional). NULL with a 400 in out. */
static json_t *s_body(gw_request_t *req, bool may_be_empty, gw_reply_t *out)
{
    if (may_be_empty && req->body_len == 0)
        return json_object();
    return gw_request_json(req, out);
}

/* POST /v1/groups: 201 group. */
void gw_h_create_group(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, false, out);
    if (!body)
        return;
    gw_create_group_t m;
    if (gw_map_create_group(body, &m, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.create", &m.msg.base, &pigeon__grp__group__descriptor,
                  s_group, out);
    json_decref(body);
}

void gw_h_get_group(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__GroupIdRequest msg = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    msg.group_id = req->path_id;
    gw_answer(req, GW_SVC_GROUP, "grp.get", &msg.base, &pigeon__grp__group__descriptor, s_group,
              out);
}

void gw_h_patch_group(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, false, out);
    if (!body)
        return;
    gw_patch_group_t m;
    if (gw_map_patch_group(body, req->path_id, &m, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.patch", &m.msg.base, &pigeon__grp__group__descriptor,
                  s_group, out);
    json_decref(body);
}

/* DELETE /v1/groups/{gid}: the owner dismisses the group. */
void gw_h_dismiss_group(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__GroupIdRequest msg = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    msg.group_id = req->path_id;
    gw_answer_empty(req, GW_SVC_GROUP, "grp.dismiss", &msg.base, out);
}

/* GET /v1/groups?q=&limit=&cursor=: {"groups","next_cursor"}. */
void gw_h_search_groups(gw_request_t *req, gw_reply_t *out)
{
    const char *q, *cursor;
    uint32_t limit;
    if (gw_query_text(req, "q", &q, out) < 0 || gw_query_text(req, "cursor", &cursor, out) < 0)
        return;
    if (!q) {
        gw_reply_error(out, PC_INVALID_ARGUMENT, "query parameter \"q\" is required");
        return;
    }
    if (gw_query_limit(req, &limit, out) < 0)
        return;
    Pigeon__Grp__SearchRequest msg = PIGEON__GRP__SEARCH_REQUEST__INIT;
    msg.q = (char *)q;
    if (limit > 0) {
        msg.has_limit = 1;
        msg.limit = (int32_t)limit;
    }
    msg.cursor = (char *)cursor;
    gw_answer(req, GW_SVC_GROUP, "grp.search", &msg.base, &pigeon__grp__group_list__descriptor,
              s_search_list, out);
}

/* GET /v1/me/groups: {"groups"}. */
void gw_h_my_groups(gw_request_t *req, gw_reply_t *out)
{
    gw_answer(req, GW_SVC_GROUP, "grp.mine", NULL, &pigeon__grp__group_list__descriptor,
              s_mine_list, out);
}

void gw_h_group_members(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__GroupIdRequest msg = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    msg.group_id = req->path_id;
    gw_answer(req, GW_SVC_GROUP, "grp.members", &msg.base, &pigeon__grp__member_list__descriptor,
              s_members, out);
}

/* POST /v1/groups/{gid}/members: 200 {"members"}, those added. */
void gw_h_add_members(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, false, out);
    if (!body)
        return;
    gw_add_members_t m;
    if (gw_map_add_members(body, req->path_id, &m, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.add_members", &m.msg.base,
                  &pigeon__grp__member_list__descriptor, s_members, out);
    json_decref(body);
}

/* PATCH /v1/groups/{gid}/members/{uid}: 200 member. */
void gw_h_set_member(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, false, out);
    if (!body)
        return;
    gw_set_member_t m;
    if (gw_map_set_member(body, req->path_id, req->path_id2, &m, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.set_member", &m.msg.base,
                  &pigeon__grp__member__descriptor, s_member, out);
    json_decref(body);
}

/* DELETE /v1/groups/{gid}/members/{uid}: leave (yourself) or remove. */
void gw_h_remove_member(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__MemberRequest msg = PIGEON__GRP__MEMBER_REQUEST__INIT;
    msg.group_id = req->path_id;
    msg.user_id = req->path_id2;
    gw_answer_empty(req, GW_SVC_GROUP, "grp.remove_member", &msg.base, out);
}

/* POST /v1/groups/{gid}/transfer: 200 group. */
void gw_h_transfer_group(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, false, out);
    if (!body)
        return;
    Pigeon__Grp__MemberRequest msg;
    if (gw_map_transfer(body, req->path_id, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.transfer", &msg.base, &pigeon__grp__group__descriptor,
                  s_group, out);
    json_decref(body);
}

/* POST /v1/groups/{gid}/join: 200 member (open) or 202 join_request (approval). */
void gw_h_join_group(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = s_body(req, true, out);
    if (!body)
        return;
    Pigeon__Grp__JoinRequestBody msg;
    if (gw_map_join(body, req->path_id, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_GROUP, "grp.join", &msg.base, &pigeon__grp__join_reply__descriptor,
                  s_join, out);
    json_decref(body);
}

void gw_h_join_requests(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__GroupIdRequest msg = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    msg.group_id = req->path_id;
    gw_answer(req, GW_SVC_GROUP, "grp.join_requests", &msg.base,
              &pigeon__grp__join_request_list__descriptor, s_requests, out);
}

/* POST /v1/groups/{gid}/join-requests/{rid}/approve: 200 member. */
void gw_h_approve_join(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__DecideRequest msg = PIGEON__GRP__DECIDE_REQUEST__INIT;
    msg.group_id = req->path_id;
    msg.request_id = req->path_id2;
    gw_answer(req, GW_SVC_GROUP, "grp.approve", &msg.base, &pigeon__grp__member__descriptor,
              s_member, out);
}

void gw_h_reject_join(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Grp__DecideRequest msg = PIGEON__GRP__DECIDE_REQUEST__INIT;
    msg.group_id = req->path_id;
    msg.request_id = req->path_id2;
    gw_answer_empty(req, GW_SVC_GROUP, "grp.reject", &msg.base, out);
}
