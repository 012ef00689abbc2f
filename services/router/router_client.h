/* router_client.h - typed calls to pigeon-router for other processes.
 *
 * Each returns the reply status; on success *out is unpacked (free it with
 * protobuf_c_message_free_unpacked), on failure `reply` keeps the error
 * message for the caller to pass on. Clear `reply` with pc_rpc_reply_clear
 * in every case. The caller id in opts is the acting user. */
#ifndef PIGEON_ROUTER_CLIENT_H
#define PIGEON_ROUTER_CLIENT_H

#include "router.pb-c.h"
#include "rpc_client.h"

/* msg.send: 201 a new message, 200 a resend (same message as stored). */
int router_client_send(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                       const Pigeon__Msg__SendRequest *req, Pigeon__Msg__Message **out,
                       pc_rpc_reply_t *reply);

/* msg.history: one page of a conversation. */
int router_client_history(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                          const Pigeon__Msg__HistoryRequest *req, Pigeon__Msg__History **out,
                          pc_rpc_reply_t *reply);

/* msg.read: 204. */
int router_client_read(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts,
                       const Pigeon__Msg__ReadRequest *req, pc_rpc_reply_t *reply);

#endif
