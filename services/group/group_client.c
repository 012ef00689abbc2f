/* group_client.c - typed calls to pigeon-group (see group_client.h). */
#include "group_client.h"

/* Calls method and unpacks a successful reply with desc into *out. */
static int s_call(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *method,
                  const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc, void **out,
                  pc_rpc_reply_t *reply)
{
    *out = NULL;
    int status = pc_rpc_call(cli, opts, method, req, reply);
    if (!pc_status_is_success(status))
        return status;
    *out = pc_rpc_reply_unpack(reply, desc, &status);
    return status;
}

int group_client_membership(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t group_id,
                            int64_t user_id, Pigeon__Grp__Membership **out, pc_rpc_reply_t *reply)
{
    Pigeon__Grp__MembershipRequest req = PIGEON__GRP__MEMBERSHIP_REQUEST__INIT;
    req.group_id = group_id;
    req.user_id = user_id;
    return s_call(cli, opts, "grp.membership", &req.base, &pigeon__grp__membership__descriptor,
                  (void **)out, reply);
}

int group_client_roster(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t group_id,
                        Pigeon__Grp__Roster **out, pc_rpc_reply_t *reply)
{
    Pigeon__Grp__GroupIdRequest req = PIGEON__GRP__GROUP_ID_REQUEST__INIT;
    req.group_id = group_id;
    return s_call(cli, opts, "grp.roster", &req.base, &pigeon__grp__roster__descriptor,
                  (void **)out, reply);
}

int group_client_changes(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t after_id,
                         int limit, Pigeon__Grp__ChangeList **out, pc_rpc_reply_t *reply)
{
    Pigeon__Grp__ChangesRequest req = PIGEON__GRP__CHANGES_REQUEST__INIT;
    req.after_id = after_id;
    req.has_limit = true;
    req.limit = limit;
    return s_call(cli, opts, "grp.changes", &req.base, &pigeon__grp__change_list__descriptor,
                  (void **)out, reply);
}

bool group_client_parse_nudge(const void *payload, size_t len, int64_t *change_id)
{
    Pigeon__Grp__GroupNudge *ev =
        pigeon__grp__group_nudge__unpack(NULL, len, (const uint8_t *)payload);
    if (ev == NULL)
        return false;
    *change_id = ev->change_id;
    pigeon__grp__group_nudge__free_unpacked(ev, NULL);
    return true;
}
