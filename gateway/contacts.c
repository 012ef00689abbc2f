/* contacts.c - REST handlers of API.md's Contacts section.
 *
 * Each one: JSON -> protobuf (contacts_map.c), one RPC to
 * pigeon-relationship, and protobuf -> JSON. The rules (who may add whom,
 * what is pending, text limits) live in pigeon-relationship alone; the
 * gateway checks shapes and types. Every POST here honours Idempotency-Key
 * (routes.c): the request id reaches the service, which replays its reply. */
#include "contacts_map.h"
#include "dispatch.h"
#include "handlers.h"
#include "status.h"

static json_t *s_add_reply(const ProtobufCMessage *m)
{
    return gw_add_reply_json((const Pigeon__Rel__AddReply *)m);
}

static json_t *s_contacts(const ProtobufCMessage *m)
{
    return gw_contact_list_json((const Pigeon__Rel__ContactList *)m);
}

static json_t *s_requests(const ProtobufCMessage *m)
{
    return gw_request_list_json((const Pigeon__Rel__FriendRequestList *)m);
}

static json_t *s_blocks(const ProtobufCMessage *m)
{
    return gw_block_list_json((const Pigeon__Rel__BlockList *)m);
}

/* POST /v1/contacts: 201 {"contact"} or 202 {"request"}. */
void gw_h_add_contact(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Rel__AddRequest msg;
    if (gw_map_add_contact(body, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer(req, GW_SVC_RELATIONSHIP, "rel.add", &msg.base,
                  &pigeon__rel__add_reply__descriptor, s_add_reply, out);
    json_decref(body);
}

void gw_h_list_contacts(gw_request_t *req, gw_reply_t *out)
{
    gw_answer(req, GW_SVC_RELATIONSHIP, "rel.list_contacts", NULL,
              &pigeon__rel__contact_list__descriptor, s_contacts, out);
}

void gw_h_remove_contact(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Rel__UserIdRequest msg = PIGEON__REL__USER_ID_REQUEST__INIT;
    msg.user_id = req->path_id;
    gw_answer_empty(req, GW_SVC_RELATIONSHIP, "rel.remove", &msg.base, out);
}

/* GET /v1/friend-requests?direction=incoming|outgoing. The value is
 * pigeon-relationship's to judge (absent: incoming; anything else: 400). */
void gw_h_list_requests(gw_request_t *req, gw_reply_t *out)
{
    const char *direction;
    if (gw_query_text(req, "direction", &direction, out) < 0)
        return;
    Pigeon__Rel__ListRequestsRequest msg = PIGEON__REL__LIST_REQUESTS_REQUEST__INIT;
    msg.direction = (char *)direction;
    gw_answer(req, GW_SVC_RELATIONSHIP, "rel.list_requests", &msg.base,
              &pigeon__rel__friend_request_list__descriptor, s_requests, out);
}

/* POST /v1/friend-requests/{id}/accept: 200 {"contact"} (kind friend). */
void gw_h_accept_request(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Rel__RequestIdRequest msg = PIGEON__REL__REQUEST_ID_REQUEST__INIT;
    msg.request_id = req->path_id;
    gw_answer(req, GW_SVC_RELATIONSHIP, "rel.accept", &msg.base,
              &pigeon__rel__add_reply__descriptor, s_add_reply, out);
}

void gw_h_decline_request(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Rel__RequestIdRequest msg = PIGEON__REL__REQUEST_ID_REQUEST__INIT;
    msg.request_id = req->path_id;
    gw_answer_empty(req, GW_SVC_RELATIONSHIP, "rel.decline", &msg.base, out);
}

/* DELETE /v1/friend-requests/{id}: the sender cancels. */
void gw_h_cancel_request(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Rel__RequestIdRequest msg = PIGEON__REL__REQUEST_ID_REQUEST__INIT;
    msg.request_id = req->path_id;
    gw_answer_empty(req, GW_SVC_RELATIONSHIP, "rel.cancel", &msg.base, out);
}

void gw_h_block(gw_request_t *req, gw_reply_t *out)
{
    char err[256];
    json_t *body = gw_request_json(req, out);
    if (!body)
        return;
    Pigeon__Rel__UserIdRequest msg;
    if (gw_map_block(body, &msg, err, sizeof err) < 0)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err);
    else
        gw_answer_empty(req, GW_SVC_RELATIONSHIP, "rel.block", &msg.base, out);
    json_decref(body);
}

void gw_h_unblock(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Rel__UserIdRequest msg = PIGEON__REL__USER_ID_REQUEST__INIT;
    msg.user_id = req->path_id;
    gw_answer_empty(req, GW_SVC_RELATIONSHIP, "rel.unblock", &msg.base, out);
}

void gw_h_list_blocks(gw_request_t *req, gw_reply_t *out)
{
    gw_answer(req, GW_SVC_RELATIONSHIP, "rel.list_blocks", NULL,
              &pigeon__rel__block_list__descriptor, s_blocks, out);
}
