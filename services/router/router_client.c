/* router_client.c - typed calls to pigeon-router (see router_client.h). */
#include "router_client.h"

/* Calls method and unpacks a success reply with desc into *out. */
static int s_call(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *method,
                  const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage **out, pc_rpc_reply_t *reply)
{
    if (out)
        *out = NULL;
    int status = pc_rpc_call(cli, opts, method, req, reply);
    if (!pc_status_is_success(status) || desc == NULL)
        return status;
    *out = pc_rpc_reply_unpack(reply, desc, &status);
    return status;
}

int router_client_send(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                       const Pigeon__Msg__SendRequest *req, Pigeon__Msg__Message **out,
                       pc_rpc_reply_t *reply)
{
    return s_call(cli, opts, "msg.send", &req->base, &pigeon__msg__message__descriptor,
                  (ProtobufCMessage **)out, reply);
}

int router_client_history(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                          const Pigeon__Msg__HistoryRequest *req, Pigeon__Msg__History **out,
                          pc_rpc_reply_t *reply)
{
    return s_call(cli, opts, "msg.history", &req->base, &pigeon__msg__history__descriptor,
                  (ProtobufCMessage **)out, reply);
}

int router_client_read(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                       const Pigeon__Msg__ReadRequest *req, pc_rpc_reply_t *reply)
{
    return s_call(cli, opts, "msg.read", &req->base, NULL, NULL, reply);
}
