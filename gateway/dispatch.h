/* dispatch.h - from a complete request to a reply, independent of HTTP I/O.
 *
 * Route, parse the path id, authenticate, settle the RPC request id
 * (Idempotency-Key), run the handler. */
#ifndef PIGEON_GW_DISPATCH_H
#define PIGEON_GW_DISPATCH_H

#include <jansson.h>

#include "backend.h"
#include "reply.h"
#include "request.h"
#include "rpc_client.h"

void gw_dispatch(gw_request_t *req, gw_reply_t *out);

/* The request body as a JSON object (req->body_json when set, else body parsed);
 * NULL with a 400 in out. The caller decrefs. */
json_t *gw_request_json(const gw_request_t *req, gw_reply_t *out);

/* Options for an RPC on behalf of req (request id, caller, trace). */
pc_rpc_opts_t gw_request_rpc_opts(const gw_request_t *req);

/* One RPC to svc on behalf of req. Returns the service's success status with
 * *resp unpacked (when desc is given; the caller frees it), or -1 with out
 * filled (the service's error passed through: 4xx, 503 when no instance is
 * live, 504 past the deadline; 500 for a malformed reply). */
int gw_call(gw_request_t *req, gw_service_t svc, const char *method, const ProtobufCMessage *msg,
            const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp, gw_reply_t *out);

/* A query parameter as text: *value NULL when absent; -1 with a 400 in out
 * when it is not valid UTF-8 or longer than GW_QUERY_MAX bytes (refused,
 * not truncated). */
#define GW_QUERY_MAX 1024
int gw_query_text(gw_request_t *req, const char *name, const char **value, gw_reply_t *out);

#endif
