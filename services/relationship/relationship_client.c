/* relationship_client.c - typed calls to pigeon-relationship (see relationship_client.h). */
#include "relationship_client.h"

/* Calls a method whose reply is Allowed. */
static int s_ask(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *method,
                 const ProtobufCMessage *req, bool *answer, pc_rpc_reply_t *reply)
{
    *answer = false;
    int status = pc_rpc_call(cli, opts, method, req, reply);
    if (!pc_status_is_success(status))
        return status;
    Pigeon__Rel__Allowed *a = (Pigeon__Rel__Allowed *)pc_rpc_reply_unpack(
        reply, &pigeon__rel__allowed__descriptor, &status);
    if (a == NULL)
        return status;
    *answer = a->allowed;
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return status;
}

int relationship_client_may_message(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t sender,
                                    int64_t recipient, bool *allowed, pc_rpc_reply_t *reply)
{
    Pigeon__Rel__MayMessageRequest req = PIGEON__REL__MAY_MESSAGE_REQUEST__INIT;
    req.sender = sender;
    req.recipient = recipient;
    return s_ask(cli, opts, "rel.may_message", &req.base, allowed, reply);
}

int relationship_client_is_contact(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t owner,
                                   int64_t peer, bool *is_contact, pc_rpc_reply_t *reply)
{
    Pigeon__Rel__IsContactRequest req = PIGEON__REL__IS_CONTACT_REQUEST__INIT;
    req.owner = owner;
    req.peer = peer;
    return s_ask(cli, opts, "rel.is_contact", &req.base, is_contact, reply);
}

bool relationship_client_parse_changed(const void *payload, size_t len, int64_t *a, int64_t *b)
{
    Pigeon__Rel__RelChanged *ev =
        pigeon__rel__rel_changed__unpack(NULL, len, (const uint8_t *)payload);
    if (ev == NULL)
        return false;
    *a = ev->a;
    *b = ev->b;
    pigeon__rel__rel_changed__free_unpacked(ev, NULL);
    return true;
}
